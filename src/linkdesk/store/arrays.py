"""Arrays and a JSON document saved together as one blob of the archive.

The blob is a NumPy .npz file (a zip of arrays), read back with pickling refused, so that whoever can
write to a shared archive cannot make every process that loads it run code of theirs. Its "meta" array
is the JSON document as UTF-8 bytes: what built the arrays, and what is not an array.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

__all__ = ["UnreadableBlob", "pack_arrays", "unpack_arrays"]


class UnreadableBlob(ValueError):
    """The blob is not arrays and a JSON document as :func:`pack_arrays` writes them."""


def pack_arrays(meta: dict[str, Any], arrays: Mapping[str, np.ndarray], compress: bool) -> bytes:
    """``meta`` and ``arrays`` (none named "meta") as one blob, compressed or not."""
    text = json.dumps(meta, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    entries: dict[str, Any] = {"meta": np.frombuffer(text, dtype=np.uint8), **arrays}
    out = io.BytesIO()
    (np.savez_compressed if compress else np.savez)(out, **entries)
    return out.getvalue()


def unpack_arrays(blob: bytes, wanted: Callable[[str], bool]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The JSON document of a blob :func:`pack_arrays` wrote, and those of its arrays whose names are
    ``wanted`` (each is read from the zip only when asked for)."""
    try:
        with np.load(io.BytesIO(blob), allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files if name != "meta" and wanted(name)}
            meta = json.loads(stored["meta"].tobytes().decode("utf-8"))
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise UnreadableBlob(exc.__class__.__name__) from exc
    return meta, arrays
