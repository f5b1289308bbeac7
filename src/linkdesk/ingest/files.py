"""Reading source files that may be gzipped, for every reader that sniffs or reads one."""

from __future__ import annotations

import contextlib
import gzip
from pathlib import Path
from typing import IO, cast

__all__ = ["head", "open_source"]

_GZIP_MAGIC = b"\x1f\x8b"


def open_source(path: str | Path) -> IO[bytes]:
    """The file's bytes as a stream, decompressed when it is gzipped (whatever its name)."""
    with open(path, "rb") as probe:
        magic = probe.read(2)
    return cast(IO[bytes], gzip.open(path, "rb") if magic == _GZIP_MAGIC else open(path, "rb"))


def head(path: str | Path, n: int = 4096) -> bytes:
    """The first ``n`` bytes of the (decompressed) file, to tell what it holds; a gzip stream that
    ends early yields what it has."""
    with open_source(path) as fh, contextlib.suppress(OSError, EOFError):
        return fh.read(n)
    with open(path, "rb") as raw:
        return raw.read(n)
