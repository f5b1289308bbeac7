"""Standard archive JSONL (DESIGN.md record), plain or gzipped, one record a line."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import TypeVar

from ..errors import BadRecordError, InputError
from ..model import Article, IngestReport, Rejection
from .files import open_source
from .records import article_from_record

__all__ = ["looks_like_jsonl", "read", "read_objects", "read_records"]

T = TypeVar("T")

_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".json", ".json.gz")


def looks_like_jsonl(name: str, head: bytes) -> bool:
    """Whether a file named ``name`` that starts with ``head`` (decompressed) holds JSON lines."""
    return name.lower().endswith(_SUFFIXES) or head.lstrip()[:1] == b"{"


def read_objects(path: str) -> Iterator[tuple[str, object] | Rejection]:
    """``(where, parsed JSON)`` for every non-blank line, or a Rejection naming the line and the fault."""
    try:
        fh = open_source(path)
    except OSError as exc:
        raise InputError(f"{path}: cannot open: {exc.strerror or exc}") from exc
    with fh:
        try:
            for lineno, raw in enumerate(fh, 1):
                where = f"{path}:{lineno}"
                if not raw.strip():
                    continue
                try:
                    line = raw.decode("utf-8-sig")  # a byte-order mark some editors write first
                except UnicodeDecodeError as exc:
                    yield Rejection(where, f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at column {exc.start + 1})")
                    continue
                try:
                    yield where, json.loads(line)
                except json.JSONDecodeError as exc:
                    yield Rejection(where, f"malformed JSON: {exc.msg} at column {exc.colno}")
        except (OSError, EOFError) as exc:  # a truncated gzip stream
            yield Rejection(path, f"file ends early or is corrupt: {exc}")


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
