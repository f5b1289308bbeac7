"""Standard archive JSONL (DESIGN.md record), plain or gzipped, one record a line."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from ..errors import BadRecordError, InputError
from ..model import Article, IngestReport, Rejection
from .files import open_source
from .records import article_from_record

__all__ = ["listed_fields", "looks_like_jsonl", "now_stamp", "read", "read_address_list", "read_objects",
           "read_records"]

T = TypeVar("T")

_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".json", ".json.gz")


def looks_like_jsonl(name: str, head: bytes) -> bool:
    """Whether a file named ``name`` that starts with ``head`` (decompressed) holds JSON lines."""
    return name.lower().endswith(_SUFFIXES) or head.lstrip()[:1] == b"{"


# A file whose first line is not JSON on its own may be one JSON document over many lines (a review
# pretty-printed to be edited by hand, an export as an array): read whole up to this size.
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024


def read_objects(path: str) -> Iterator[tuple[str, object] | Rejection]:
    """``(where, parsed JSON)`` for every non-blank line, or a Rejection naming the line and the fault.
    A file that is one JSON document over several lines gives its object, or each item of its array
    (``where`` then names the item)."""
    try:
        fh = open_source(path)
    except OSError as exc:
        raise InputError(f"{path}: cannot open: {exc.strerror or exc}") from exc
    with fh:
        try:
            lines = ((number, raw) for number, raw in enumerate(fh, 1) if raw.strip())
            first = next(lines, None)
            if first is None:
                return
            ahead = [first]
            if first[1].lstrip()[:1] in (b"{", b"[", b"\xef"):
                whole = _one_document(first[1], lines)
                if isinstance(whole, tuple):
                    yield from _document_items(path, whole[0])
                    return
                # not one document either: the lines read ahead are read as lines
                ahead.extend(whole)
            for number, raw in itertools.chain(ahead, lines):
                yield _parsed_line(f"{path}:{number}", raw)
        except (OSError, EOFError) as exc:  # a truncated gzip stream
            yield Rejection(path, f"file ends early or is corrupt: {exc}")


def _parsed_line(where: str, raw: bytes) -> tuple[str, object] | Rejection:
    try:
        line = raw.decode("utf-8-sig")  # a byte-order mark some editors write first
    except UnicodeDecodeError as exc:
        return Rejection(where, f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at column {exc.start + 1})")
    try:
        return where, json.loads(line)
    except json.JSONDecodeError as exc:
        return Rejection(where, f"malformed JSON: {exc.msg} at column {exc.colno}")


def _one_document(first: bytes, rest: Iterator[tuple[int, bytes]]) -> tuple[object] | list[tuple[int, bytes]]:
    """The file from its first line on as one JSON document, as a 1-tuple; or, when the first line
    is JSON on its own (JSON lines) or the file is not one document, the lines read past the first."""
    try:
        json.loads(first.decode("utf-8-sig"))
        return []  # JSON lines: nothing was read ahead
    except (UnicodeDecodeError, json.JSONDecodeError):
        pass
    ahead: list[tuple[int, bytes]] = []
    size = len(first)
    for number, raw in rest:
        ahead.append((number, raw))
        size += len(raw)
        if size > MAX_DOCUMENT_BYTES:
            return ahead
    try:
        return (json.loads(b"".join([first, *(raw for _, raw in ahead)]).decode("utf-8-sig")),)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return ahead


def _document_items(path: str, document: object) -> Iterator[tuple[str, object]]:
    if isinstance(document, list):
        for i, item in enumerate(document):
            yield f"{path}: item {i + 1}", item
    else:
        yield path, document


def read_records(path: str, convert: Callable[[object, str], T]) -> Iterator[T | Rejection]:
    """Every line of ``path`` through ``convert(record, where)``; a line that is not JSON, or that
    ``convert`` rejects with :class:`BadRecordError`, becomes a Rejection naming it."""
    for item in read_objects(path):
        if isinstance(item, Rejection):
            yield item
            continue
        where, rec = item
        try:
            yield convert(rec, where)
        except BadRecordError as exc:
            yield Rejection(exc.where, exc.reason)


def read(path: str, report: IngestReport) -> Iterator[Article | Rejection]:
    return read_records(path, article_from_record)


def read_address_list(path: str, convert: Callable[[dict[str, Any], str], T],
                      address: Callable[[str, str], str] | None = None) -> Iterator[str | T | Rejection]:
    """The lines of a list of addresses (a takedown list, a review's decisions): an address a line
    (through ``address(line, where)`` when given), blank lines and ``#`` notes left out; or a JSON
    object a line, through ``convert(record, where)`` (as the matching ``--list --json`` writes them;
    see :func:`listed_fields`). A JSON line that is not valid, or a line either rejects with
    :class:`BadRecordError`, is a Rejection naming it."""
    try:
        with open(path, encoding="utf-8") as fh:
            lines = list(fh)
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read it ({exc})") from exc
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{path}:{number}"
        try:
            if not line.startswith("{"):
                yield address(line, where) if address is not None else line
                continue
            yield convert(json.loads(line), where)
        except json.JSONDecodeError as exc:
            yield Rejection(where, f"malformed JSON: {exc.msg} at column {exc.colno}")
        except BadRecordError as exc:
            yield Rejection(exc.where, exc.reason)


def listed_fields(record: dict[str, Any], where: str, names: Sequence[str], stamp: str) -> dict[str, str]:
    """The text fields ``names`` of a record a ``--list --json`` wrote (missing ones empty), and its
    time field ``stamp`` as ISO 8601 (now, when it has none); a field that is not text, or a time
    that is not one, is a :class:`BadRecordError` naming it."""
    fields = {name: record.get(name) or "" for name in (*names, stamp)}
    for name, value in fields.items():
        if not isinstance(value, str):
            raise BadRecordError(where, f"{name}: not a string")
    try:
        fields[stamp] = datetime.fromisoformat(fields[stamp]).isoformat() if fields[stamp] else now_stamp()
    except ValueError:
        raise BadRecordError(where, f"{stamp}: {fields[stamp]!r} is not a date and time") from None
    return fields


def now_stamp() -> str:
    """The time now, as linkdesk records when something was decided (UTC, to the second)."""
    return datetime.now(UTC).isoformat(timespec="seconds")
