"""Archive stores. :func:`open_store` picks the implementation from the path or DSN."""

from __future__ import annotations

import os

from ..errors import StoreError
from .base import PreparedArticle, Store, StoredArticle, StoredLink
from .sqlite import SQLiteStore

__all__ = [
    "PreparedArticle",
    "SQLiteStore",
    "Store",
    "StoredArticle",
    "StoredLink",
    "default_db_path",
    "open_store",
]


def default_db_path() -> str:
    """``$LINKDESK_DB`` when set, else ``./linkdesk.db``."""
    return os.environ.get("LINKDESK_DB") or "linkdesk.db"


def open_store(path: str | None = None, create: bool = True) -> Store:
    path = path or default_db_path()
    if path.startswith(("postgres://", "postgresql://")):
        raise StoreError("PostgreSQL stores are not available in this version; use a SQLite file path")
    return SQLiteStore(path, create=create)
