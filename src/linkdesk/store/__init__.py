"""Archive stores. :func:`open_store` picks the implementation from the path or DSN."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

from .base import PreparedArticle, Store, StoredArticle, StoredLink
from .postgres import PostgresStore, is_postgres_dsn
from .sqlite import SQLiteStore

__all__ = [
    "PostgresStore",
    "PreparedArticle",
    "SQLiteStore",
    "Store",
    "StoredArticle",
    "StoredLink",
    "default_db_path",
    "open_store",
    "with_archive",
]

T = TypeVar("T")


def default_db_path() -> str:
    """``$LINKDESK_DB`` when set, else ``./linkdesk.db``."""
    return os.environ.get("LINKDESK_DB") or "linkdesk.db"


def open_store(path: str | None = None, create: bool = True) -> Store:
    """The archive at ``path``: a SQLite file, or a PostgreSQL server for a ``postgresql://`` address.
    With ``create`` False an archive must already be there (:class:`StoreError` otherwise)."""
    path = path or default_db_path()
    if is_postgres_dsn(path):
        return PostgresStore(path, create=create)
    return SQLiteStore(path, create=create)


def with_archive(path: str | None, use: Callable[[Store], T]) -> T:
    """``use(store)`` on the existing archive at ``path`` (default as :func:`open_store`), closed afterwards."""
    store = open_store(path, create=False)
    try:
        return use(store)
    finally:
        store.close()
