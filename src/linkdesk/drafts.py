"""Reading drafts: a Markdown, HTML or text file, or a JSONL of standard records (one draft a line)."""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterator

from .errors import BadRecordError, DraftError
from .ingest.records import FORMATS, normalize_date
from .ingest.static_site import front_matter
from .model import Rejection
from .suggest.pipeline import Draft
from .text.parse import detect_format, parse

__all__ = ["MAX_DRAFT_BYTES", "draft_from_record", "draft_from_text", "read_drafts"]

# A draft larger than this is refused: no web-desk story is 20 MB, and parsing one would stall a request.
MAX_DRAFT_BYTES = 20_000_000


def _decode(raw: bytes, where: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DraftError(f"{where}: not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})") from exc


def _front_matter_meta(source: str, where: str) -> dict[str, str | None]:
    """Title, date, URL and section from a Markdown draft's front matter, when it has one."""
    try:
        data, _ = front_matter(source, where)
    except ValueError as exc:
        raise DraftError(f"{where}: {exc}") from exc
    meta: dict[str, str | None] = {}
    for key, names in (("title", ("title",)), ("published", ("published", "date")),
                       ("url", ("url", "permalink", "canonical")), ("section", ("section", "category"))):
        value = next((data[n] for n in names if data.get(n) not in (None, "")), None)
        if value is None:
            continue
        if key == "published":
            try:
                meta[key] = normalize_date(value)
            except ValueError as exc:
                raise DraftError(f"{where}: front matter {exc}") from exc
        else:
            meta[key] = str(value)
    return meta


def draft_from_text(source: str, fmt: str | None = None, name: str | None = None, **meta: str | None) -> Draft:
    if len(source) > MAX_DRAFT_BYTES:
        raise DraftError(f"{name or 'draft'}: {len(source):,} characters, over the {MAX_DRAFT_BYTES:,} limit")
    doc = parse(source, fmt, name)
    if doc.format == "markdown" and source.startswith(("---", "+++")):
        meta = {**_front_matter_meta(source, name or "draft"), **{k: v for k, v in meta.items() if v}}
    return Draft(doc, id=meta.get("id") or name, url=meta.get("url"), title=meta.get("title"),
                 published=meta.get("published"), section=meta.get("section"))


def draft_from_record(rec: object, where: str) -> Draft:
    if not isinstance(rec, dict):
        raise BadRecordError(where, "expected a JSON object")
    body = rec.get("body")
    if not isinstance(body, str):
        raise BadRecordError(where, "missing field 'body' (the draft text)")
    fmt = rec.get("format") or "markdown"
    if fmt not in FORMATS:
        raise BadRecordError(where, f"field 'format' must be one of {', '.join(FORMATS)}")
    try:
        published = normalize_date(rec.get("published"))
    except ValueError as exc:
        raise BadRecordError(where, f"field {exc}") from exc
    ident = rec.get("id", rec.get("url"))
    return draft_from_text(body, fmt, where, id=str(ident) if ident is not None else where, url=rec.get("url"),
                           title=rec.get("title"), published=published, section=rec.get("section"))


def read_drafts(path: str) -> Iterator[Draft | Rejection]:
    """Drafts from a file; a JSONL yields one per line and a Rejection for each bad line."""
    if not os.path.exists(path):
        raise DraftError(f"{path}: no such file")
    low = path.lower()
    if low.endswith((".jsonl", ".jsonl.gz", ".ndjson")):
        opener = gzip.open if low.endswith(".gz") else open
        with opener(path, "rb") as fh:
            for lineno, raw in enumerate(fh, 1):
                where = f"{path}:{lineno}"
                if not raw.strip():
                    continue
                try:
                    rec = json.loads(_decode(raw, where))
                    yield draft_from_record(rec, where)
                except json.JSONDecodeError as exc:
                    yield Rejection(where, f"malformed JSON: {exc.msg} at column {exc.colno}")
                except BadRecordError as exc:
                    yield Rejection(exc.where, exc.reason)
                except DraftError as exc:
                    yield Rejection(where, str(exc).removeprefix(f"{where}: "))
        return
    with open(path, "rb") as fh:
        raw = fh.read()
    if b"\x00" in raw[:8192]:
        raise DraftError(f"{path}: binary file, not a draft")
    text = _decode(raw, path)
    yield draft_from_text(text, detect_format(text, path), os.path.basename(path))
