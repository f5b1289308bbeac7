"""WordPress export files (WXR, the XML that Tools → Export writes).

Published posts and pages go in; drafts, pending, private and trashed items, revisions,
attachments and menu items are skipped and counted. A file that breaks off mid-way keeps
every item read before the break and reports where it broke.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator

from ..errors import BadRecordError, InputError
from ..model import Article, IngestReport, Rejection
from .records import normalize_date

__all__ = ["looks_like_wxr", "read"]

_CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
_DC_CREATOR = "{http://purl.org/dc/elements/1.1/}creator"
_KEEP_TYPES = {"post", "page"}


def looks_like_wxr(head: bytes) -> bool:
    return b"wordpress.org/export/" in head and b"<rss" in head


def _local(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, _, name = tag[1:].partition("}")
        return ns, name
    return "", tag


def _wp(item: ET.Element, name: str) -> str:
    for child in item:
        ns, local = _local(child.tag)
        if local == name and ns.startswith("http://wordpress.org/export/") and "excerpt" not in ns:
            return (child.text or "").strip()
    return ""


def _item_to_article(item: ET.Element, where: str, report: IngestReport) -> Article | None:
    post_type = _wp(item, "post_type") or "post"
    status = _wp(item, "status") or "publish"
    if post_type not in _KEEP_TYPES:
        report.skip(f"WordPress {post_type} items")
        return None
    if status != "publish":
        report.skip(f"WordPress {status} {post_type}s")
        return None
    title = (item.findtext("title") or "").strip()
    url = (item.findtext("link") or "").strip()
    guid = (item.findtext("guid") or "").strip()
    if not url and guid.startswith("http"):
        url = guid
    if not url:
        raise BadRecordError(where, "item has no <link> permalink")
    if not title:
        raise BadRecordError(where, "item has no <title>")
    try:
        published = normalize_date(
            (item.findtext("pubDate") or "").strip() or _wp(item, "post_date_gmt") or _wp(item, "post_date")
        )
    except ValueError:
        published = None
        report.warnings.append(f"{where}: unreadable publish date; stored without one")
    categories: list[str] = []
    tags: list[str] = []
    for cat in item.findall("category"):
        name = (cat.text or "").strip()
        if not name:
            continue
        (tags if cat.get("domain") == "post_tag" else categories).append(name)
    authors = [a.strip() for a in (el.text or "" for el in item.findall(_DC_CREATOR)) if a.strip()]
    return Article(
        url=url, title=title, body=item.findtext(_CONTENT) or "", format="html", published=published,
        section=categories[0] if categories else (post_type if post_type == "page" else None),
        tags=tags + categories[1:], authors=authors, id=_wp(item, "post_id") or None,
    )


def read(path: str, report: IngestReport) -> Iterator[Article | Rejection]:
    n = 0
    try:
        for _event, elem in ET.iterparse(path, events=("end",)):
            if elem.tag != "item":
                continue
            n += 1
            where = f"{path} item {n}"
            try:
                article = _item_to_article(elem, where, report)
            except BadRecordError as exc:
                yield Rejection(exc.where, exc.reason)
                article = None
            if article is not None:
                yield article
            elem.clear()
    except ET.ParseError as exc:
        line, col = exc.position
        yield Rejection(f"{path}:{line}", f"broken XML at column {col} ({exc.msg if hasattr(exc, 'msg') else exc}); "
                        f"the {n} items before it were read")
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc}") from exc
