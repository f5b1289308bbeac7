"""Validating records and preparing them for the store; shared by every source kind."""

from __future__ import annotations

import hashlib
import html
import json
import re
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from ..errors import BadRecordError
from ..model import Article, Format
from ..store.base import PreparedArticle
from ..text.normalize import link_scope
from ..text.parse import PARSER_VERSION, parse

__all__ = ["FORMATS", "article_from_record", "encodable", "normalize_date", "prepare", "storable"]

FORMATS = ("markdown", "html", "text")


def normalize_date(value: Any, field: str = "published") -> str | None:
    """ISO date or datetime from the forms archives use; None for empty; ValueError otherwise."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str):
        raise ValueError(f"{field} must be a date string, got {type(value).__name__}")
    s = value.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", s):
        try:
            return date.fromisoformat(s).isoformat()
        except ValueError as exc:  # "2024-02-30": the form of a date, not a day there was
            raise ValueError(f"{field} {value!r} is not a date ({exc})") from None
    try:
        dt = datetime.fromisoformat(s.replace("Z", "+00:00"))
        return dt.isoformat(timespec="seconds")
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(s).isoformat(timespec="seconds")
    except (TypeError, ValueError, IndexError):
        pass
    raise ValueError(f"{field} {value!r} is not a date (expected YYYY-MM-DD or an ISO datetime)")


def _str_list(value: Any, field: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    # real exports carry nulls in these lists (an author deleted from the CMS); they mean "nothing"
    if not isinstance(value, list) or not all(isinstance(v, str) or v is None for v in value):
        raise ValueError(f"{field} must be a list of strings")
    return [v.strip() for v in value if v and v.strip()]


def article_from_record(rec: Any, where: str) -> Article:
    """A standard archive record (DESIGN.md) as an Article, or BadRecordError naming the field."""
    if not isinstance(rec, dict):
        raise BadRecordError(where, f"expected a JSON object, got {type(rec).__name__}")
    url = rec.get("url")
    if not isinstance(url, str) or not url.strip():
        raise BadRecordError(where, "missing required field 'url'")
    url = url.strip()
    parts = urlsplit(url)
    if not parts.netloc:
        raise BadRecordError(where, f"field 'url' is not an absolute URL: {url[:200]!r}")
    if parts.scheme.lower() not in ("http", "https"):
        # the archive is of web pages: a draft can only link an address a reader's browser opens
        raise BadRecordError(where, f"field 'url' is not a web address (http or https): {url[:200]!r}")
    title = rec.get("title")
    if not isinstance(title, str) or not title.strip():
        raise BadRecordError(where, "missing required field 'title'")
    body = rec.get("body", "")
    if body is None:
        body = ""
    if not isinstance(body, str):
        raise BadRecordError(where, f"field 'body' must be a string, got {type(body).__name__}")
    fmt: Format = rec.get("format") or "markdown"
    if fmt not in FORMATS:
        raise BadRecordError(where, f"field 'format' must be one of {', '.join(FORMATS)}, got {fmt!r}")
    try:
        published = normalize_date(rec.get("published"))
        tags = _str_list(rec.get("tags"), "tags")
        authors = _str_list(rec.get("authors"), "authors")
        aliases = _str_list(rec.get("aliases"), "aliases")
    except ValueError as exc:
        raise BadRecordError(where, f"field {exc}") from exc
    section = rec.get("section")
    if section is not None and not isinstance(section, str):
        raise BadRecordError(where, "field 'section' must be a string")
    ext_id = rec.get("id")
    return Article(
        url=url, title=title.strip(), body=body, format=fmt, published=published, section=section or None,
        tags=tags, authors=authors, id=str(ext_id) if ext_id is not None else None, aliases=aliases,
    )


# an unpaired surrogate (JSON allows "\\ud800") cannot be written as UTF-8, so no store can keep it
_SURROGATE = re.compile("[\ud800-\udfff]")


def encodable(value: str, field: str, where: str) -> str:
    """``value``, refused naming the field when it holds an unpaired surrogate: valid in JSON
    (``"\\ud800"``), but no UTF-8 file, database or HTTP answer can hold it."""
    bad = _SURROGATE.search(value)
    if bad:
        raise BadRecordError(where, f"field '{field}' holds an unpaired surrogate "
                                    f"{bad.group().encode('unicode_escape').decode()} at character {bad.start()}")
    return value


def storable(value: str, field: str, where: str) -> str:
    """``value`` as a store can keep it: :func:`encodable`, and NUL characters (which PostgreSQL text
    cannot hold) become U+FFFD, one character for one, so that every offset stays where it was."""
    return encodable(value, field, where).replace("\x00", "\ufffd")


def _storable(article: Article, where: str) -> None:
    for name in ("url", "title", "body", "section", "id"):
        value = getattr(article, name)
        if value is not None:
            setattr(article, name, storable(value, name, where))
    for name in ("tags", "authors", "aliases"):
        setattr(article, name, [storable(v, name, where) for v in getattr(article, name)])


def prepare(article: Article, max_body_bytes: int, where: str, origin: str = "") -> PreparedArticle:
    """Parse the body, make its links absolute, and hash the content that decides "unchanged"."""
    _storable(article, where)
    size = len(article.body.encode("utf-8", "surrogatepass"))
    if size > max_body_bytes:
        raise BadRecordError(
            where, f"body is {size:,} bytes, over the {max_body_bytes:,}-byte limit (ingest.max_body_bytes)"
        )
    # exports often carry titles HTML-escaped ("Agency&#8217;s", "U&#46;S&#46;"); bodies are decoded
    # by their parser, titles would otherwise be matched and shown with the entities in them
    article.title = html.unescape(article.title)
    doc = parse(article.body, article.format)
    links = []
    for link in doc.links:
        href = link.href.strip()
        if link_scope(href, ()) in ("page", "asset", "other"):
            continue
        link.href = urljoin(article.url, href)
        links.append(link)
    record = article.to_record()
    content_hash = hashlib.sha256(json.dumps(record, sort_keys=True).encode("utf-8", "surrogatepass")).hexdigest()
    return PreparedArticle(article, doc.text, links, content_hash, origin, PARSER_VERSION, doc.zones)


def utc_today() -> str:
    return datetime.now(UTC).date().isoformat()
