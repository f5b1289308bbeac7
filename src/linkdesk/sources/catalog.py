"""The source catalog: outside coverage a desk can cite, from feeds, JSONL and the archive's own citations.

``add_sources()`` reads each source, reports what it could not use with where it came from, and
writes the rest by URL in batches. Feeds fetched over HTTP are polled politely: the ETag and
Last-Modified of the previous poll go out as If-None-Match / If-Modified-Since, so an unchanged
feed costs one 304.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import feedparser
from selectolax.lexbor import LexborHTMLParser

from ..config import load_config
from ..errors import BadRecordError, FetchError, InputError, NotFoundError
from ..ingest.crawl import Fetcher
from ..ingest.feeds import entry_date, looks_like_feed
from ..ingest.files import head, open_source
from ..ingest.jsonl import listed_fields, looks_like_jsonl, now_stamp, read_address_list, read_records
from ..ingest.records import normalize_date, storable
from ..model import IngestReport, Rejection, RemovedSource, SourceItem
from ..store.base import Store
from ..text.normalize import is_web_address, malformed_url, url_host, url_key
from .outlets import OutletTable
from .retrieve import load_source_index, source_search_status

__all__ = ["add_sources", "catalog_stats", "forget_removed_source", "from_archive", "item_from_record", "list_sources",
           "read_feed", "read_jsonl", "read_removals", "remove_sources", "removed_by_address", "title_from_url"]

log = logging.getLogger(__name__)

MAX_SUMMARY_CHARS = 1000
MAX_CONTEXT_CHARS = 400
_SEGMENT_NOISE = re.compile(r"^(?:\d+|[0-9a-f]{8,}|index|amp|article|story|news|html?|\w{1,2})$", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?]['\"”’)]?\s+")


def title_from_url(url: str) -> str:
    """A headline recovered from the URL slug, as a feed reader shows an item it has no title for."""
    path = unquote(urlsplit(url).path)
    for segment in reversed([s for s in path.split("/") if s]):
        stem = re.sub(r"\.(?:s?html?|php|aspx?)$", "", segment, flags=re.IGNORECASE)
        words = [w for w in re.split(r"[-_+\s]+", stem)
                 if w and not re.fullmatch(r"\d{5,}|[0-9a-f]{10,}", w, re.IGNORECASE)]
        if len(words) >= 2 and not _SEGMENT_NOISE.match(stem):
            return " ".join(words).lower()
    return ""


def item_from_record(rec: object, where: str, outlets: OutletTable) -> SourceItem:
    if not isinstance(rec, dict):
        raise BadRecordError(where, "expected a JSON object")
    url = rec.get("url")
    if not isinstance(url, str) or not url.strip():
        raise BadRecordError(where, "missing field 'url'")
    url = storable(url.strip(), "url", where)
    if not url.startswith(("http://", "https://")):
        raise BadRecordError(where, f"field 'url' must be an http(s) URL, got {url[:80]!r}")
    fields: dict[str, str] = {}
    for name in ("title", "outlet", "summary"):
        value = rec.get(name)
        if value is not None and not isinstance(value, str):
            raise BadRecordError(where, f"field {name!r} must be a string")
        fields[name] = storable((value or "").strip(), name, where)
    try:
        published = normalize_date(rec.get("published"))
    except ValueError as exc:
        raise BadRecordError(where, f"field {exc}") from exc
    title = fields["title"] or title_from_url(url)
    if not title:
        raise BadRecordError(where, "no title, and none can be read from the URL")
    return SourceItem(url=url, title=title, outlet=fields["outlet"] or outlets.lookup(url).name,
                      published=published, summary=fields["summary"][:MAX_SUMMARY_CHARS], origin="jsonl")


def read_jsonl(path: str, outlets: OutletTable) -> Iterator[SourceItem | Rejection]:
    return read_records(path, lambda rec, where: item_from_record(rec, where, outlets))


def _plain(html: str) -> str:
    if "<" not in html:
        return html.strip()
    tree = LexborHTMLParser(html)
    return " ".join((tree.text(separator=" ") or "").split())


def read_feed(data: bytes, where: str, outlets: OutletTable, report: IngestReport) -> Iterator[SourceItem | Rejection]:
    parsed = feedparser.parse(data)
    entries = parsed.get("entries") or []
    if parsed.get("bozo") and not entries:
        yield Rejection(where, f"not a readable feed: {parsed.get('bozo_exception')}")
        return
    if parsed.get("bozo"):
        report.warnings.append(f"{where}: feed is not well-formed ({parsed.get('bozo_exception')}); "
                               f"read {len(entries)} entries anyway")
    feed_title = (parsed.get("feed") or {}).get("title") or None
    for i, entry in enumerate(entries, 1):
        here = f"{where} entry {i}"
        link = (entry.get("link") or "").strip()
        if not link.startswith(("http://", "https://")):
            yield Rejection(here, "entry has no http(s) link")
            continue
        title = _plain(entry.get("title") or "") or title_from_url(link)
        if not title:
            yield Rejection(here, "entry has no title")
            continue
        published = entry_date(entry)
        if published is None:
            report.skip("items without a date (kept, undated)")
        outlet = outlets.lookup(link)
        yield SourceItem(url=link, title=title, outlet=outlet.name if outlet.known else (feed_title or outlet.name),
                         published=published, summary=_plain(entry.get("summary") or "")[:MAX_SUMMARY_CHARS],
                         origin="feed")


def _sentence_around(text: str, start: int, end: int) -> str:
    left = 0
    for before in _SENTENCE_END.finditer(text, max(0, start - MAX_CONTEXT_CHARS), start):
        left = before.end()
    after = _SENTENCE_END.search(text, end, end + MAX_CONTEXT_CHARS)
    right = after.start() + 1 if after else min(len(text), end + MAX_CONTEXT_CHARS)
    return " ".join(text[left:right].split())


def from_archive(store: Store, outlets: OutletTable) -> Iterator[SourceItem]:
    """The outside coverage the archive already cites: each external link's anchor and sentence
    become the item's context, the citing article's date stands in for the item's."""
    for link, text, published in store.external_links():
        if malformed_url(link.href):
            continue  # a broken citation (a stray quote, "https:/") is no source to offer
        outlet = outlets.lookup(link.href)
        title = title_from_url(link.href) or link.anchor.strip()
        if not title:
            continue
        context = _sentence_around(text, link.text_start, link.text_end)
        yield SourceItem(url=link.href, title=title, outlet=outlet.name, published=published,
                         context=f"{link.anchor.strip()} | {context}"[:MAX_CONTEXT_CHARS], origin="archive")


def _source_kind(source: str) -> str:
    if source.startswith(("http://", "https://")):
        return "feed-url"
    path = Path(source)
    if not path.is_file():
        raise InputError(f"{source}: no such file")
    start = head(path)
    if looks_like_jsonl(path.name, start):
        return "jsonl"
    if looks_like_feed(start):
        return "feed"
    raise InputError(f"{source}: neither a feed (RSS/Atom) nor JSONL source records")


def _poll(url: str, store: Store, fetcher: Fetcher, report: IngestReport) -> bytes | None:
    state = store.feed_state(url) or {}
    headers = {}
    if state.get("etag"):
        headers["If-None-Match"] = state["etag"]
    if state.get("last_modified"):
        headers["If-Modified-Since"] = state["last_modified"]
    try:
        got = fetcher.get(url, headers=headers)
    except FetchError as exc:
        store.save_feed_state(url, None, None, f"error: {exc}")
        raise
    lower = {k.lower(): v for k, v in got.headers.items()}
    if got.status == 304:
        store.save_feed_state(url, None, None, "not modified")
        report.skip("feeds not modified since the last poll")
        return None
    store.save_feed_state(url, lower.get("etag"), lower.get("last-modified"), f"HTTP {got.status}")
    return got.content


def _items(source: str, store: Store, outlets: OutletTable, fetcher: Fetcher | None,
           report: IngestReport) -> Iterator[SourceItem | Rejection]:
    """One source's items, streamed; a source that cannot be read at all is one Rejection."""
    try:
        kind = _source_kind(source)
        if kind == "jsonl":
            yield from read_jsonl(source, outlets)
        elif kind == "feed":
            try:
                with open_source(source) as fh:
                    saved = fh.read()
            except (OSError, EOFError) as exc:
                raise InputError(f"{source}: compressed feed ends early or is damaged ({exc})") from exc
            yield from read_feed(saved, source, outlets, report)
        else:
            assert fetcher is not None
            polled = _poll(source, store, fetcher, report)
            if polled is not None:
                yield from read_feed(polled, source, outlets, report)
    except (FetchError, InputError) as exc:
        yield Rejection.from_error(source, exc)


def add_sources(store: Store, sources: Sequence[str], config: dict[str, Any] | None = None,
                include_archive: bool = False, fetcher: Fetcher | None = None) -> IngestReport:
    """Add catalog items from feeds (files or URLs), JSONL files and, with ``include_archive``, the
    archive's own external links. Returns what was added, updated, skipped and rejected."""
    cfg = config or load_config()
    outlets = OutletTable.from_config(cfg)
    report = IngestReport()
    own_fetcher = fetcher is None and any(s.startswith(("http://", "https://")) for s in sources)
    if own_fetcher:
        fetcher = Fetcher.from_config(cfg)
    try:
        streams: list[Iterable[SourceItem | Rejection]] = [
            _items(source, store, outlets, fetcher, report) for source in sources]
        if include_archive:
            streams.append(from_archive(store, outlets))
        _write(store, streams, int(cfg["ingest"]["batch_size"]), report)
    finally:
        if own_fetcher and fetcher is not None:
            fetcher.close()
    if report.added or report.updated:
        # saved with the catalog now (seconds on a large one), so that the processes that suggest next,
        # a running server's next look among them, read it back rather than each build it
        load_source_index(store, outlets)
    log.info("sources: %d added, %d updated, %d rejected", report.added, report.updated, len(report.rejected))
    return report


def _write(store: Store, streams: Iterable[Iterable[SourceItem | Rejection]], batch_size: int,
           report: IngestReport) -> None:
    seen: set[str] = set()
    removed = removed_by_address(store)
    batch: list[SourceItem] = []

    def flush() -> None:
        for status in store.write_sources(batch):
            report.count(status)
        batch.clear()

    for stream in streams:
        for item in stream:
            if isinstance(item, Rejection):
                report.rejected.append(item)
                continue
            key = url_key(item.url)
            if key in removed:
                report.skip("removed from the catalog (`linkdesk sources remove --forget` lets them in again)")
                continue
            if item.origin != "archive" and key in seen:
                report.skip("duplicate items (same URL twice in one source)")
                continue
            seen.add(key)
            batch.append(item)
            if len(batch) >= batch_size:
                flush()
    if batch:
        flush()


def remove_sources(store: Store, items: Sequence[str | RemovedSource], reason: str = "") -> list[RemovedSource]:
    """Take outside addresses out of the catalog for good (a retracted story, an item added by
    mistake): never suggested again, by this process or a running server (at its next look), skipped
    by later adds, and named by the lint where a draft cites one. An address the catalog does not
    hold is kept out all the same (its ``title`` is then empty). Each item is an address, removed now
    for ``reason``, or a removal listed by another archive, carried with its own reason and date."""
    removals = []
    for item in items:
        if isinstance(item, str):
            url = item.strip()
            if not is_web_address(url):
                raise InputError(f"{url!r} is not an http(s) address")
            item = RemovedSource(url, "", reason, now_stamp())
        removals.append(item)
    return store.remove_sources(removals)


def removed_by_address(store: Store) -> dict[str, RemovedSource]:
    """The addresses removed from the catalog, by URL key: what adds skip, the lint names and a
    review may no longer link to."""
    return {url_key(r.url): r for r in store.removed_sources()}


def forget_removed_source(store: Store, url: str) -> RemovedSource:
    """Let a removed address into the catalog again, at its next add."""
    forgotten = store.forget_removed_source(url)
    if forgotten is None:
        raise NotFoundError(f"{url}: not removed from the source catalog")
    return forgotten


def read_removals(path: str) -> Iterator[str | RemovedSource | Rejection]:
    """A list of addresses to remove from the catalog: an address a line, or a JSON line as
    ``sources remove --list --json`` writes them (moving removals to another store), kept with its
    reason and date."""
    def convert(record: dict[str, Any], where: str) -> RemovedSource:
        fields = listed_fields(record, where, ("url", "title", "reason"), "removed_at")
        if not is_web_address(fields["url"]):
            raise BadRecordError(where, "url: " + (f"{fields['url']!r} is not an http(s) address" if fields["url"]
                                                  else "missing"))
        return RemovedSource(fields["url"].strip(), fields["title"], fields["reason"], fields["removed_at"])

    def address(line: str, where: str) -> str:
        if not is_web_address(line):
            raise BadRecordError(where, f"{line!r} is not an http(s) address")
        return line

    return read_address_list(path, convert, address)


def catalog_stats(store: Store, config: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the catalog holds (items, dates, origins, domains, feeds, removals), and whether its saved
    search is current under ``config``'s outlet policy (``search``: ``saved``, ``current``)."""
    outlets = OutletTable.from_config(config or load_config())
    return {**store.source_stats(), "search": source_search_status(store, outlets)}


def list_sources(store: Store, limit: int = 50, outlet: str | None = None,
                 since: str | None = None) -> list[dict[str, Any]]:
    """Catalog items, newest first, optionally of one outlet (name or domain) or since a date."""
    if since is not None:
        try:
            since = normalize_date(since, "since")
        except ValueError as exc:
            raise InputError(str(exc)) from exc
    want = outlet.casefold() if outlet else None
    rows = [item for item in store.iter_sources()
            if (want is None or want in ((item.outlet or "").casefold(), url_host(item.url)))
            and (since is None or (item.published or "") >= since)]
    rows.sort(key=lambda item: item.published or "", reverse=True)
    return [item.to_record() for item in rows[: max(limit, 0)]]
