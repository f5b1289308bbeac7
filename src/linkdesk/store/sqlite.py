"""The default store: one SQLite file in WAL mode, with FTS5 over title and text (the queries are
shared with the PostgreSQL store, in :mod:`.sql`)."""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urljoin

from ..errors import StoreError
from ..text.normalize import url_key
from .sql import SQLStore, as_stored

__all__ = ["SCHEMA_VERSION", "SQLiteStore"]

log = logging.getLogger(__name__)

# Each entry migrates the schema from version i to i + 1. Never edit a released entry;
# append a new one.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE articles (
        id INTEGER PRIMARY KEY,
        url TEXT NOT NULL,
        url_key TEXT NOT NULL UNIQUE,
        ext_id TEXT,
        title TEXT NOT NULL,
        published TEXT,
        section TEXT,
        tags TEXT NOT NULL DEFAULT '[]',
        authors TEXT NOT NULL DEFAULT '[]',
        aliases TEXT NOT NULL DEFAULT '[]',
        format TEXT NOT NULL,
        body TEXT NOT NULL,
        text TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        origin TEXT,
        ingested_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX articles_published ON articles(published);
    CREATE TABLE url_keys (
        key TEXT PRIMARY KEY,
        article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        kind TEXT NOT NULL
    );
    CREATE INDEX url_keys_article ON url_keys(article_id);
    CREATE TABLE links (
        id INTEGER PRIMARY KEY,
        source_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        anchor TEXT NOT NULL,
        href TEXT NOT NULL,
        target_key TEXT NOT NULL,
        target_host TEXT NOT NULL,
        src_start INTEGER NOT NULL,
        src_end INTEGER NOT NULL,
        text_start INTEGER NOT NULL,
        text_end INTEGER NOT NULL,
        internal INTEGER NOT NULL DEFAULT 0,
        target_id INTEGER
    );
    CREATE INDEX links_source ON links(source_id);
    CREATE INDEX links_target ON links(target_id);
    CREATE INDEX links_key ON links(target_key);
    CREATE VIRTUAL TABLE articles_fts USING fts5(
        title, text, content='articles', content_rowid='id', tokenize='porter unicode61'
    );
    CREATE TRIGGER articles_ai AFTER INSERT ON articles BEGIN
        INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
    END;
    CREATE TRIGGER articles_ad AFTER DELETE ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
    END;
    CREATE TRIGGER articles_au AFTER UPDATE OF title, text ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
        INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
    END;
    CREATE TABLE blobs (name TEXT PRIMARY KEY, created TEXT NOT NULL, data BLOB NOT NULL);
    """,
    """
    CREATE TABLE sources (
        id INTEGER PRIMARY KEY,
        url TEXT NOT NULL,
        url_key TEXT NOT NULL UNIQUE,
        title TEXT NOT NULL,
        outlet TEXT,
        domain TEXT NOT NULL,
        published TEXT,
        summary TEXT NOT NULL DEFAULT '',
        context TEXT NOT NULL DEFAULT '',
        origin TEXT NOT NULL DEFAULT '',
        added_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX sources_published ON sources(published);
    CREATE INDEX sources_domain ON sources(domain);
    CREATE TABLE feeds (
        url TEXT PRIMARY KEY,
        etag TEXT,
        last_modified TEXT,
        polled_at TEXT,
        status TEXT
    );
    """,
    # URL keys keep the query parameters that pick a page ("?p=123"); before, every such page of
    # an archive had one key. Keys are refined, never merged, so the UNIQUE columns hold. A saved
    # index of an archive with such addresses was built on the old keys: it goes, and the next
    # suggest asks for `linkdesk index`
    """
    UPDATE articles SET url_key = linkdesk_url_key(url);
    DELETE FROM url_keys;
    INSERT OR IGNORE INTO url_keys (key, article_id, kind) SELECT url_key, id, 'url' FROM articles;
    INSERT OR IGNORE INTO url_keys (key, article_id, kind)
        SELECT linkdesk_url_key(linkdesk_urljoin(a.url, j.value)), a.id, 'alias'
        FROM articles a, json_each(a.aliases) j;
    UPDATE links SET target_key = linkdesk_url_key(href);
    UPDATE links SET target_id = (SELECT article_id FROM url_keys WHERE key = links.target_key);
    UPDATE sources SET url_key = linkdesk_url_key(url);
    DELETE FROM blobs WHERE EXISTS (SELECT 1 FROM articles WHERE url_key LIKE '%?%');
    """,
    # which parser made each article's text and link offsets, so that a better one can re-read the
    # stored bodies; every article stored before this column was made by the first
    """
    ALTER TABLE articles ADD COLUMN parser INTEGER NOT NULL DEFAULT 1;
    """,
    # each article's zones as its parser found them, so that training need not parse every body
    # again to know where a link may go; articles stored before are re-read (parser 4) to fill them
    """
    ALTER TABLE articles ADD COLUMN zones TEXT NOT NULL DEFAULT '{}';
    """,
    # articles withdrawn from the archive, by each of their addresses (URL key): kept out of the
    # archive when an export still holds them, and named when a text links to them
    """
    CREATE TABLE withdrawn (
        key TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        title TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        withdrawn_at TEXT NOT NULL
    );
    CREATE INDEX withdrawn_url ON withdrawn(url);
    """,
    # links editors declined: an article's address (URL key) or a draft's id, and the target's URL
    # key; not suggested there again
    """
    CREATE TABLE declined (
        source_key TEXT NOT NULL,
        target_key TEXT NOT NULL,
        source TEXT NOT NULL,
        target_url TEXT NOT NULL,
        anchor TEXT NOT NULL DEFAULT '',
        reason TEXT NOT NULL DEFAULT '',
        declined_at TEXT NOT NULL,
        PRIMARY KEY (source_key, target_key)
    );
    """,
    # outside addresses taken out of the source catalog, by URL key: later adds skip them
    """
    CREATE TABLE removed_sources (
        url_key TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        title TEXT NOT NULL DEFAULT '',
        reason TEXT NOT NULL DEFAULT '',
        removed_at TEXT NOT NULL
    );
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)


class SQLiteStore(SQLStore):
    def __init__(self, path: str, create: bool = True) -> None:
        self.path = self.label = path
        if not create and path != ":memory:" and not os.path.exists(path):
            raise StoreError(f"{path}: no such archive (run `linkdesk ingest` first)")
        try:
            self.conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
            self.conn.row_factory = sqlite3.Row
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self.conn.execute("PRAGMA busy_timeout=30000")
            # for migrations that re-derive keys with the same functions ingest uses
            self.conn.create_function("linkdesk_url_key", 1, url_key, deterministic=True)
            self.conn.create_function("linkdesk_urljoin", 2, urljoin, deterministic=True)
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path}: cannot open as a linkdesk archive: {exc}") from exc

    def _migrate(self) -> None:
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: schema version {version} is newer than this linkdesk ({SCHEMA_VERSION}); upgrade"
            )
        for i in range(version, SCHEMA_VERSION):
            log.info("migrating %s to schema version %d", self.path, i + 1)
            with self.transaction():
                for statement in _split_sql(MIGRATIONS[i]):
                    self.conn.execute(statement)
                self.conn.execute(f"PRAGMA user_version = {i + 1}")

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        try:
            return self.conn.execute(sql, as_stored(params))
        except sqlite3.Error as exc:
            raise _failed(self.label, exc) from exc

    def _executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        try:
            self.conn.executemany(sql, [as_stored(row) for row in rows])
        except sqlite3.Error as exc:
            raise _failed(self.label, exc) from exc

    def _stream(self, sql: str, params: Sequence[Any] = ()) -> Iterator[sqlite3.Row]:
        # sqlite3 steps through a result as it is read
        return iter(self.conn.execute(sql, as_stored(params)))

    def transaction(self) -> _Transaction:
        return _Transaction(self.conn, self.label)

    def close(self) -> None:
        self.conn.close()

    def search(self, phrases: Sequence[str], limit: int = 20) -> list[tuple[int, float]]:
        # each phrase quoted, so that none is read as FTS5 syntax (NOT, NEAR, a column name)
        quoted = ['"' + p.replace('"', '""') + '"' for p in phrases if p.strip()]
        if not quoted:
            return []
        rows = self.conn.execute(
            "SELECT rowid, bm25(articles_fts) FROM articles_fts WHERE articles_fts MATCH ? "
            "ORDER BY bm25(articles_fts) LIMIT ?",
            ("text : (" + " OR ".join(quoted) + ")", limit),
        ).fetchall()
        return [(int(r[0]), float(r[1])) for r in rows]


def _failed(label: str, exc: sqlite3.Error) -> StoreError:
    # locked past the busy timeout, a full disk, a file that cannot be written: one line naming the file,
    # as the PostgreSQL store says what its server refused
    return StoreError(f"{label}: {exc}")


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception, so a batch lands whole or not at all."""

    def __init__(self, conn: sqlite3.Connection, label: str) -> None:
        self.conn = conn
        self.label = label

    def __enter__(self) -> sqlite3.Connection:
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:  # another writer held the archive past the busy timeout
            raise _failed(self.label, exc) from exc
        return self.conn

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            try:
                self.conn.execute("COMMIT")
            except sqlite3.Error as commit_failed:
                self.conn.execute("ROLLBACK")
                raise _failed(self.label, commit_failed) from commit_failed
        else:
            self.conn.execute("ROLLBACK")


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements; trigger bodies contain ';' so split on complete statements."""
    out: list[str] = []
    buf = ""
    for line in script.strip().splitlines():
        buf += line + "\n"
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out
