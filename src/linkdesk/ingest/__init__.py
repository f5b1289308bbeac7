"""Ingestion: every source kind becomes the same Article records, written by URL.

``ingest()`` reads each source with the module for its kind, validates and prepares every
record, and writes them in batches, each batch one transaction. A bad record is reported
with where it came from and never stops the rest; a crash leaves whole batches only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.pool import Pool
from pathlib import Path
from typing import Any

from ..config import load_config, processes
from ..errors import BadRecordError, FetchError, InputError
from ..forked import forked_pool, usable_jobs
from ..model import Article, IngestReport, Rejection
from ..store.base import PreparedArticle, Store
from ..text.normalize import url_key
from ..text.parse import PARSER_VERSION
from . import crawl, feeds, files, html_pages, jsonl, static_site, wxr
from .records import article_from_record, prepare

__all__ = ["KINDS", "detect_kind", "ingest", "ingest_records", "reread_stale"]

log = logging.getLogger(__name__)

KINDS = ("jsonl", "wxr", "feed", "static_site", "html_pages", "sitemap", "urls", "url")


def detect_kind(source: str) -> str:
    """Which reader a source needs, from its form and its first bytes."""
    if source.startswith(("http://", "https://")):
        return "url"
    path = Path(source)
    if not path.exists():
        raise InputError(f"{source}: no such file or directory")
    if path.is_dir():
        if static_site.looks_like_static_site(path):
            return "static_site"
        if any(p.suffix.lower() in (".html", ".htm") for p in path.rglob("*")):
            return "html_pages"
        raise InputError(f"{source}: folder has no Markdown or HTML files")
    head = files.head(path)
    name = path.name.lower()
    if b"\x00" in head:
        raise InputError(f"{source}: binary file, not an archive export")
    if jsonl.looks_like_jsonl(name, head):
        return "jsonl"
    if wxr.looks_like_wxr(head):
        return "wxr"
    if crawl.looks_like_sitemap(head):
        return "sitemap"
    if feeds.looks_like_feed(head):
        return "feed"
    if name.endswith((".html", ".htm")):
        return "html_pages"
    first = next((ln.strip() for ln in head.splitlines() if ln.strip() and not ln.startswith(b"#")), b"")
    if first.startswith((b"http://", b"https://")):
        return "urls"
    raise InputError(f"{source}: cannot tell what kind of export this is; pass --kind ({', '.join(KINDS)})")


def _read_url(url: str, fetcher: crawl.Fetcher, report: IngestReport) -> Iterator[Article | Rejection]:
    page = fetcher.get(url)
    head = page.content[:4096]
    if crawl.looks_like_sitemap(head):
        yield from crawl.read_sitemap(url, fetcher, report)
    elif feeds.looks_like_feed(head) or "xml" in page.content_type:
        yield from feeds.read_bytes(page.content, url, report)
    else:
        yield from crawl.fetch_pages(iter([url]), fetcher)


def _reader(source: str, kind: str, cfg: dict[str, Any], report: IngestReport,
            fetcher_box: list[crawl.Fetcher]) -> Iterator[Article | Rejection]:
    def fetcher() -> crawl.Fetcher:
        if not fetcher_box:
            fetcher_box.append(crawl.Fetcher.from_config(cfg))
        return fetcher_box[0]

    if kind == "jsonl":
        return jsonl.read(source, report)
    if kind == "wxr":
        return wxr.read(source, report)
    if kind == "feed":
        if source.startswith(("http://", "https://")):
            return feeds.read_bytes(fetcher().get(source).content, source, report)
        return feeds.read(source, report)
    if kind == "static_site":
        return static_site.read(source, report, cfg["site"]["base_url"], cfg["site"]["permalink"])
    if kind == "html_pages":
        return html_pages.read(source, report)
    if kind == "sitemap":
        return crawl.read_sitemap(source, fetcher(), report)
    if kind == "urls":
        return crawl.read_url_list(source, fetcher(), report)
    if kind == "url":
        return _read_url(source, fetcher(), report)
    raise InputError(f"unknown source kind {kind!r} (known: {', '.join(KINDS)})")


class _Writer:
    """Records prepared and written in batches, each batch one transaction; what each came to is
    counted in ``report``. With ``jobs`` > 1, each batch's records are parsed in that many forked
    processes (most of an ingest's time), and written in the order they were read."""

    def __init__(self, store: Store, cfg: dict[str, Any], report: IngestReport, jobs: int = 1) -> None:
        self.store, self.report = store, report
        self.max_body = int(cfg["ingest"]["max_body_bytes"])
        self.batch_size = int(cfg["ingest"]["batch_size"])
        self.jobs = usable_jobs(jobs)
        self.pool: Pool | None = None
        self.pending: list[tuple[Article, str, str]] = []
        # one run holding two records of one address keeps the later; say which, so nothing goes unseen
        self.first_seen: dict[str, str] = {}

    def add(self, item: Article, where: str, origin: str) -> None:
        self.pending.append((item, where, origin))
        if len(self.pending) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        batch: list[PreparedArticle] = []
        for (record, where, _), prepared in zip(self.pending, self._prepared(), strict=True):
            if isinstance(prepared, Rejection):
                self.report.rejected.append(prepared)
                continue
            batch.append(prepared)
            earlier = self.first_seen.setdefault(url_key(record.url), where)
            if earlier != where:
                self.report.warnings.append(f"{where}: same address as {earlier}; the later record replaces "
                                            "the earlier")
        self.pending.clear()
        report = self.report
        for item, status in zip(batch, self.store.write_batch(batch), strict=True) if batch else ():
            if status == "withdrawn":
                report.skip("withdrawn from the archive")
                report.warnings.append(f"{item.article.url}: withdrawn from the archive, so not ingested "
                                       "(`linkdesk restore URL` lets a later ingest take it back)")
            elif status == "old-address":
                report.skip("an older address of an archive article")
                current = self.store.get_article(item.article.url)
                report.warnings.append(f"{item.article.url}: the article there moved to "
                                       f"{current.url if current else 'another address'}, which the archive "
                                       "keeps; the record under the old address is left out")
            else:
                report.count(status)

    def _prepared(self) -> list[PreparedArticle | Rejection]:
        work = [(item, self.max_body, where, origin) for item, where, origin in self.pending]
        if self.jobs <= 1 or len(work) < MIN_RECORDS_TO_SHARE:
            return [_prepare(*args) for args in work]
        if self.pool is None:
            # forked at the first full batch; the store is never used in a worker
            self.pool = forked_pool(self.jobs)
        return self.pool.starmap(_prepare, work, chunksize=max(1, len(work) // (4 * self.jobs)))

    def close(self) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
            self.pool = None


# a batch smaller than this is parsed in the process that reads it: a CMS's few records a minute are
# not worth starting processes for
MIN_RECORDS_TO_SHARE = 50


def _prepare(item: Article, max_body: int, where: str, origin: str) -> PreparedArticle | Rejection:
    try:
        return prepare(item, max_body, where, origin=origin)
    except BadRecordError as exc:
        return Rejection(exc.where, exc.reason)


def ingest(store: Store, sources: Sequence[str], *, kind: str | None = None,
           site_hosts: Sequence[str] | None = None, config: dict[str, Any] | None = None,
           progress: Callable[[int], None] | None = None, jobs: int | None = None) -> IngestReport:
    """Read every source into the store. Returns what was added, updated, skipped and rejected.
    ``jobs`` processes parse the records (default: the config's ``[ingest] jobs``; the result is the
    same for any number). They are forked: a caller running threads of its own passes 1."""
    cfg = config or load_config()
    report = IngestReport()
    writer = _Writer(store, cfg, report, jobs or processes(cfg["ingest"]["jobs"]))
    fetcher_box: list[crawl.Fetcher] = []
    try:
        for source in sources:
            try:
                source_kind = kind or detect_kind(source)
                items = _reader(source, source_kind, cfg, report, fetcher_box)
                for n, item in enumerate(items, 1):
                    if isinstance(item, Rejection):
                        report.rejected.append(item)
                        log.warning("rejected %s", item)
                    else:
                        writer.add(item, _where(source, item, n), source)
                    if progress:
                        progress(1)
            except (InputError, FetchError) as exc:
                report.rejected.append(Rejection.from_error(source, exc))
            except OSError as exc:
                report.rejected.append(Rejection(source, f"cannot read: {exc.strerror or exc}"))
        writer.flush()
    finally:
        writer.close()
        for f in fetcher_box:
            f.close()
    hosts = list(site_hosts or cfg["site"]["hosts"] or [])
    if hosts:
        store.set_site_hosts(hosts)
    store.resolve_links()
    return report


def ingest_records(store: Store, records: Sequence[object], origin: str = "request",
                   config: dict[str, Any] | None = None) -> IngestReport:
    """Standard archive records given as data (what a CMS posts as it publishes), each checked and
    written as :func:`ingest` writes a JSONL file's lines: a bad one is reported as ``origin record
    N`` and the rest go in."""
    cfg = config or load_config()
    report = IngestReport()
    writer = _Writer(store, cfg, report)
    for n, rec in enumerate(records, 1):
        try:
            article = article_from_record(rec, f"{origin} record {n}")
        except BadRecordError as exc:
            report.rejected.append(Rejection(exc.where, exc.reason))
            continue
        writer.add(article, _where(origin, article, n), origin)
    writer.flush()
    store.resolve_links()
    return report


def reread_stale(store: Store, batch_size: int = 500,
                 progress: Callable[[int, int], None] | None = None) -> int:
    """Parse again, from the bodies the archive keeps, the articles whose text and link offsets an
    older parser made; returns how many. Their records stay as ingested. ``progress(done, total)``
    is called after each batch."""
    ids = store.stale_article_ids(PARSER_VERSION)
    for i in range(0, len(ids), batch_size):
        batch = []
        for a in store.get_articles(ids[i : i + batch_size]):
            # the body was accepted when it was ingested, whatever the size limit is now
            batch.append(prepare(a.to_article(), len(a.body.encode("utf-8", "surrogatepass")), a.url,
                                 origin=a.origin))
        store.write_batch(batch)
        if progress:
            progress(len(batch), len(ids))
    if ids:
        log.info("re-read %d articles parsed by an older linkdesk", len(ids))
        store.resolve_links()
    return len(ids)


def _where(source: str, article: Article, n: int) -> str:
    return f"{source} record {n} ({article.url[:120]})"
