"""Reading drafts: a Markdown, HTML or text file, or a JSONL of standard records (one draft a line)."""

from __future__ import annotations

import os
from collections.abc import Iterator

from .errors import BadRecordError, DraftError
from .ingest.jsonl import read_records
from .ingest.records import FORMATS, encodable, normalize_date
from .ingest.static_site import front_matter
from .model import Rejection
from .suggest.pipeline import Draft
from .text.parse import detect_format, parse

__all__ = ["MAX_DRAFT_BYTES", "draft_from_record", "draft_from_text", "read_drafts"]

_JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson")
# what a folder of drafts is read for; other files in it (images, notes to self) are passed over
DRAFT_SUFFIXES = (".md", ".markdown", ".html", ".htm", ".txt", *_JSONL_SUFFIXES)
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
    # what goes back out (an applied body, the result's id) must be writable as UTF-8
    text = {"body": encodable(body, "body", where)}
    for name in ("url", "title", "section"):
        value = rec.get(name)
        if value is not None and not isinstance(value, str):
            raise BadRecordError(where, f"field '{name}' must be a string")
        if value is not None:
            text[name] = encodable(value, name, where)
    ident = rec.get("id", rec.get("url"))
    if isinstance(ident, str):
        encodable(ident, "id", where)
    elif ident is not None and not isinstance(ident, int):
        raise BadRecordError(where, "field 'id' must be a string or a number")
    try:
        return draft_from_text(text["body"], fmt, where, id=str(ident) if ident is not None else where,
                               url=text.get("url"), title=text.get("title"), published=published,
                               section=text.get("section"))
    except DraftError as exc:  # too large, bad front matter: a fault of this record
        raise BadRecordError(where, str(exc).removeprefix(f"{where}: ")) from exc


def read_drafts(path: str) -> Iterator[Draft | Rejection]:
    """Drafts from a file; a JSONL yields one per line and a Rejection for each bad line. A folder
    yields the drafts of every file in it (and below it) named as a draft, in name order, and a
    Rejection for each file that cannot be read."""
    if os.path.isdir(path):
        yield from _read_folder(path)
        return
    if not os.path.exists(path):
        raise DraftError(f"{path}: no such file")
    yield from _read_file(path, os.path.basename(path))


def _read_file(path: str, name: str) -> Iterator[Draft | Rejection]:
    if path.lower().endswith(_JSONL_SUFFIXES):
        yield from read_records(path, draft_from_record)
        return
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise DraftError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    if b"\x00" in raw[:8192]:
        raise DraftError(f"{path}: binary file, not a draft")
    text = _decode(raw, path)
    yield draft_from_text(text, detect_format(text, path), name)


def _read_folder(path: str) -> Iterator[Draft | Rejection]:
    files = []
    for root, dirs, names in os.walk(path):
        dirs[:] = [d for d in dirs if not d.startswith(".")]  # .git and the like hold no drafts
        files += [os.path.join(root, n) for n in names if not n.startswith(".") and n.lower().endswith(DRAFT_SUFFIXES)]
    if not files:
        raise DraftError(f"{path}: a folder with no drafts in it (looked for {', '.join(DRAFT_SUFFIXES)})")
    for file in sorted(files):
        try:
            # named by their place in the folder: two folders may each hold an "index.md"
            yield from _read_file(file, os.path.relpath(file, path))
        except DraftError as exc:
            yield Rejection.from_error(file, exc)
