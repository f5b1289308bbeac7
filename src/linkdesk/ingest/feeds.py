"""RSS 2.0 and Atom feeds, from files or URLs, through feedparser."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import feedparser

from ..model import Article, IngestReport, Rejection

__all__ = ["entry_date", "looks_like_feed", "read", "read_bytes"]


def looks_like_feed(head: bytes) -> bool:
    low = head.lower()
    return b"<rss" in low or b"<feed" in low or b"<rdf:rdf" in low


def entry_date(entry: Any) -> str | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            y, mo, d, h, mi, sec = value[:6]
            return datetime(y, mo, d, h, mi, sec, tzinfo=UTC).isoformat(timespec="seconds")
    return None


def read_bytes(data: bytes, where: str, report: IngestReport) -> Iterator[Article | Rejection]:
    parsed = feedparser.parse(data)
    entries = parsed.get("entries") or []
    if parsed.get("bozo") and not entries:
        exc = parsed.get("bozo_exception")
        yield Rejection(where, f"not a readable feed: {exc}")
        return
    if parsed.get("bozo"):
        report.warnings.append(f"{where}: feed is not well-formed ({parsed.get('bozo_exception')}); "
                               f"read {len(entries)} entries anyway")
    for i, entry in enumerate(entries, 1):
        here = f"{where} entry {i}"
        link = (entry.get("link") or "").strip()
        title = (entry.get("title") or "").strip()
        if not link:
            yield Rejection(here, "entry has no link")
            continue
        if not title:
            yield Rejection(here, "entry has no title")
            continue
        content = entry.get("content") or []
        body = content[0].get("value", "") if content else entry.get("summary", "") or ""
        tags = [t.get("term", "").strip() for t in entry.get("tags") or [] if t.get("term")]
        authors = [a.get("name", "").strip() for a in entry.get("authors") or [] if a.get("name")]
        published = entry_date(entry)
        if published is None:
            report.warnings.append(f"{here}: no date; stored without one")
        yield Article(url=link, title=title, body=body, format="html", published=published,
                      section=tags[0] if tags else None, tags=tags, authors=authors,
                      id=entry.get("id") or None)


def read(path: str, report: IngestReport) -> Iterator[Article | Rejection]:
    with open(path, "rb") as fh:
        data = fh.read()
    yield from read_bytes(data, path, report)
