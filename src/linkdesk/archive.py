"""Archive-level questions answered from a store: one article in full, the articles nothing links to,
the archive written out as standard records, and articles withdrawn from it."""

from __future__ import annotations

import gzip
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

from .errors import InputError, NotFoundError
from .ingest.records import normalize_date
from .model import Withdrawal
from .store.base import Store, StoredArticle

__all__ = ["article_selection", "describe_article", "export_archive", "export_records", "orphans", "restore_article",
           "select_articles", "withdraw_article"]


def describe_article(store: Store, url: str) -> dict[str, Any]:
    """Everything the archive knows about one article: metadata, out-links, inbound count."""
    article = store.get_article(url)
    if article is None:
        raise _not_there(store, url)
    links = store.article_links(article.id)
    return {
        "url": article.url,
        "title": article.title,
        "published": article.published,
        "section": article.section,
        "tags": article.tags,
        "authors": article.authors,
        "aliases": article.aliases,
        "format": article.format,
        "words": len(article.text.split()),
        "inbound": store.inbound_count(article.id),
        "links": links,
    }


def orphans(store: Store, section: str | None = None, limit: int = 0) -> list[dict[str, Any]]:
    """Articles no other article links to, newest first: readers reach them only from outside
    (search, social, the front page). ``linkdesk inbound URL`` finds where to link each from."""
    return [{"url": a.url, "title": a.title, "published": a.published, "section": a.section,
             "words": len(a.text.split())}
            for a in store.orphans(section, limit)]


def article_selection(section: str | None, since: str | None) -> Callable[[StoredArticle], bool]:
    """Whether an article is of ``section`` and published on or after ``since`` (a date)."""
    try:
        start = normalize_date(since, "since") if since else None
    except ValueError as exc:
        raise InputError(str(exc)) from None
    return lambda a: (section is None or a.section == section) and (start is None or (a.published or "") >= start)


def select_articles(store: Store, section: str | None = None, since: str | None = None) -> list[StoredArticle]:
    """The articles (without bodies) of ``section``, published on or after ``since`` (a date), in the
    order they were stored."""
    chosen = article_selection(section, since)
    return [a for a in store.iter_articles() if chosen(a)]


def export_records(store: Store, section: str | None = None, since: str | None = None) -> Iterator[dict[str, Any]]:
    """The archive's articles as standard records (DESIGN.md, with their aliases), in the order they
    were stored: what ``linkdesk ingest`` reads back, into this store or another (a SQLite file moving
    to a PostgreSQL server, a backup)."""
    chosen = article_selection(section, since)
    # one pass over the stored articles, bodies included, as the store streams them
    for article in store.iter_articles(with_body=True):
        if chosen(article):
            yield article.to_article().to_record()


def export_archive(store: Store, path: str, section: str | None = None, since: str | None = None) -> int:
    """:func:`export_records` written to ``path`` as JSONL (gzipped when it ends in ``.gz``); the file
    appears whole or not at all. Returns how many records were written."""
    try:
        fd, partial = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), prefix=".linkdesk-export-")
    except OSError as exc:
        raise InputError(f"{path}: cannot write there ({exc.strerror})") from exc
    os.close(fd)
    written = 0
    try:
        with gzip.open(partial, "wb") if path.endswith(".gz") else open(partial, "wb") as out:
            for record in export_records(store, section, since):
                out.write(json.dumps(record, ensure_ascii=False).encode("utf-8") + b"\n")
                written += 1
        # as any file the user writes (mkstemp makes it private)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(partial, 0o666 & ~umask)
        os.replace(partial, path)
    except BaseException:
        os.unlink(partial)
        raise
    return written


def withdraw_article(store: Store, url: str, reason: str = "") -> Withdrawal:
    """Take the article at ``url`` out of the archive (retracted, unpublished, removed on legal advice):
    its text and links go, it is never suggested again (at once, before the next ``linkdesk index``),
    an export that still holds it does not bring it back, and links to it are errors in the lint.
    The result names the archive articles that still link to it. Withdrawing an article twice gives
    the first withdrawal back (a CMS may send the same request again)."""
    done = store.withdraw(url, reason)
    if done is not None:
        return done
    earlier = store.withdrawal(url)
    if earlier is not None:
        return earlier
    raise NotFoundError(f"{url}: not in the archive")


def restore_article(store: Store, url: str) -> Withdrawal:
    """Undo a withdrawal, so that a later ingest of the article takes it back into the archive (its text
    is not kept while it is withdrawn)."""
    restored = store.restore(url)
    if restored is None:
        raise NotFoundError(f"{url}: no withdrawn article had this address")
    return restored


def _not_there(store: Store, url: str) -> NotFoundError:
    withdrawn = store.withdrawal(url)
    if withdrawn is None:
        return NotFoundError(f"{url}: not in the archive")
    return NotFoundError(f"{url}: {withdrawn.when_and_why()}")
