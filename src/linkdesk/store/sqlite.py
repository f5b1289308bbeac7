"""The default store: one SQLite file in WAL mode, with FTS5 over title and text."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

from ..errors import StoreError
from ..model import SourceItem, Zone
from ..text.normalize import host_key, url_host, url_key
from .base import PreparedArticle, StoredArticle, StoredLink

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
]
SCHEMA_VERSION = len(MIGRATIONS)


# an article no other article links to (a link to itself does not count)
_ORPHAN = "NOT EXISTS (SELECT 1 FROM links l WHERE l.target_id = a.id AND l.source_id != a.id)"
_WITHOUT_BODY = "id, url, title, published, section, tags, authors, aliases, format, text, ext_id"


def _without_body(row: sqlite3.Row) -> StoredArticle:
    return StoredArticle(
        id=row["id"], url=row["url"], title=row["title"], published=row["published"],
        section=row["section"], tags=json.loads(row["tags"]), authors=json.loads(row["authors"]),
        format=row["format"], body="", text=row["text"], aliases=json.loads(row["aliases"]),
        ext_id=row["ext_id"],
    )


def _zones_json(zones: Sequence[Zone]) -> str:
    """Zones as ``{kind: [start, end, start, end, ...]}``: an article has dozens, so the form is kept
    small."""
    by_kind: dict[str, list[int]] = {}
    for z in zones:
        by_kind.setdefault(z.kind, []).extend((z.start, z.end))
    return json.dumps(by_kind, separators=(",", ":"))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class SQLiteStore:
    def __init__(self, path: str, create: bool = True) -> None:
        self.path = path
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

    # ------------------------------------------------------------------ schema

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

    def transaction(self) -> _Transaction:
        return _Transaction(self.conn)

    def close(self) -> None:
        self.conn.close()

    # ------------------------------------------------------------------ writes

    def write_batch(self, items: Sequence[PreparedArticle]) -> list[str]:
        out: list[str] = []
        now = _now()
        with self.transaction():
            for item in items:
                out.append(self._write_one(item, now))
        return out

    def _write_one(self, item: PreparedArticle, now: str) -> str:
        a = item.article
        key = url_key(a.url)
        row = self.conn.execute("SELECT id, content_hash, parser FROM articles WHERE url_key = ?", (key,)).fetchone()
        # the same record read by another parser may give other text and link offsets
        if row and row["content_hash"] == item.content_hash and row["parser"] == item.parser:
            return "unchanged"
        values = (
            a.url, key, a.id, a.title, a.published, a.section, json.dumps(a.tags), json.dumps(a.authors),
            json.dumps(a.aliases), a.format, a.body, item.text, item.content_hash, item.origin, item.parser,
            _zones_json(item.zones),
        )
        if row:
            article_id = row["id"]
            self.conn.execute(
                """UPDATE articles SET url=?, url_key=?, ext_id=?, title=?, published=?, section=?, tags=?,
                   authors=?, aliases=?, format=?, body=?, text=?, content_hash=?, origin=?, parser=?,
                   zones=?, updated_at=? WHERE id=?""",
                (*values, now, article_id),
            )
            self.conn.execute("DELETE FROM links WHERE source_id = ?", (article_id,))
            self.conn.execute("DELETE FROM url_keys WHERE article_id = ?", (article_id,))
            status = "updated"
        else:
            cur = self.conn.execute(
                """INSERT INTO articles (url, url_key, ext_id, title, published, section, tags, authors,
                   aliases, format, body, text, content_hash, origin, parser, zones, ingested_at, updated_at)
                   VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""",
                (*values, now, now),
            )
            article_id = cur.lastrowid
            status = "added"
        keys = [(key, article_id, "url")]
        for alias in a.aliases:
            keys.append((url_key(urljoin(a.url, alias)), article_id, "alias"))
        # an alias never takes over another article's own URL
        self.conn.executemany("INSERT OR IGNORE INTO url_keys (key, article_id, kind) VALUES (?,?,?)", keys)
        self.conn.executemany(
            """INSERT INTO links (source_id, anchor, href, target_key, target_host, src_start, src_end,
               text_start, text_end) VALUES (?,?,?,?,?,?,?,?,?)""",
            [
                (article_id, link.anchor, link.href, url_key(link.href), url_host(link.href),
                 link.src_start, link.src_end, link.text_start, link.text_end)
                for link in item.links
            ],
        )
        return status

    def site_hosts(self) -> list[str]:
        row = self.conn.execute("SELECT value FROM meta WHERE key='site_hosts'").fetchone()
        if row:
            return list(json.loads(row[0]))
        return self._inferred_hosts()

    def _inferred_hosts(self) -> list[str]:
        counts: Counter[str] = Counter()
        for (url,) in self.conn.execute("SELECT url FROM articles"):
            counts[url_host(url)] += 1
        total = sum(counts.values())
        # a stray page from another host should not make that host "ours"
        return sorted(h for h, n in counts.items() if h and n >= max(1, 0.01 * total))

    def set_site_hosts(self, hosts: Sequence[str]) -> None:
        cleaned = sorted({host_key(h) for h in hosts if h.strip()})
        with self.transaction():
            self.conn.execute(
                "INSERT INTO meta (key, value) VALUES ('site_hosts', ?) "
                "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                (json.dumps(cleaned),),
            )

    def resolve_links(self) -> None:
        hosts = self.site_hosts()
        with self.transaction():
            self.conn.execute(
                "UPDATE links SET target_id = (SELECT article_id FROM url_keys WHERE key = links.target_key)"
            )
            marks = ",".join("?" * len(hosts)) or "NULL"
            self.conn.execute(
                f"UPDATE links SET internal = (target_id IS NOT NULL OR target_host IN ({marks}))", hosts
            )

    # ------------------------------------------------------------------ reads

    def count_articles(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM articles").fetchone()[0])

    def _article(self, row: sqlite3.Row, with_body: bool = True) -> StoredArticle:
        return StoredArticle(
            id=row["id"], url=row["url"], title=row["title"], published=row["published"],
            section=row["section"], tags=json.loads(row["tags"]), authors=json.loads(row["authors"]),
            format=row["format"], body=row["body"] if with_body else "", text=row["text"],
            aliases=json.loads(row["aliases"]), ext_id=row["ext_id"], origin=row["origin"] or "",
        )

    def get_article(self, url: str) -> StoredArticle | None:
        row = self.conn.execute(
            "SELECT a.* FROM url_keys k JOIN articles a ON a.id = k.article_id WHERE k.key = ?", (url_key(url),)
        ).fetchone()
        return self._article(row) if row else None

    def get_articles(self, ids: Sequence[int]) -> list[StoredArticle]:
        out: list[StoredArticle] = []
        for i in range(0, len(ids), 500):
            chunk = list(ids[i : i + 500])
            marks = ",".join("?" * len(chunk))
            rows = self.conn.execute(f"SELECT * FROM articles WHERE id IN ({marks})", chunk).fetchall()
            out.extend(self._article(r) for r in rows)
        return out

    def stale_article_ids(self, parser: int) -> list[int]:
        return [r[0] for r in self.conn.execute("SELECT id FROM articles WHERE parser < ? ORDER BY id", (parser,))]

    def article_zones(self, article_id: int) -> list[Zone]:
        row = self.conn.execute("SELECT zones FROM articles WHERE id = ?", (article_id,)).fetchone()
        if row is None:
            raise StoreError(f"{self.path}: no article {article_id}")
        zones = [Zone(kind, bounds[k], bounds[k + 1]) for kind, bounds in json.loads(row[0]).items()
                 for k in range(0, len(bounds), 2)]
        return sorted(zones, key=lambda z: (z.start, -z.end))

    def iter_articles(self, with_body: bool = False) -> Iterator[StoredArticle]:
        cols = "*" if with_body else _WITHOUT_BODY
        for row in self.conn.execute(f"SELECT {cols} FROM articles ORDER BY id"):
            yield self._article(row) if with_body else _without_body(row)

    def orphans(self, section: str | None = None, limit: int = 0) -> list[StoredArticle]:
        rows = self.conn.execute(
            f"""SELECT {_WITHOUT_BODY} FROM articles a WHERE {_ORPHAN} AND (? IS NULL OR section = ?)
                ORDER BY published IS NULL, published DESC, url LIMIT ?""",
            (section, section, limit if limit > 0 else -1),
        )
        return [_without_body(row) for row in rows]

    def iter_links(self, internal_only: bool = False) -> Iterator[StoredLink]:
        where = "WHERE internal = 1" if internal_only else ""
        for row in self.conn.execute(
            f"SELECT source_id, anchor, href, text_start, text_end, internal, target_id, src_start, src_end "
            f"FROM links {where} ORDER BY source_id, text_start"
        ):
            yield StoredLink(row[0], row[1], row[2], row[3], row[4], bool(row[5]), row[6], row[7], row[8])

    def article_links(self, article_id: int) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            """SELECT l.anchor, l.href, l.internal, t.url AS target_url, t.title AS target_title
               FROM links l LEFT JOIN articles t ON t.id = l.target_id WHERE l.source_id = ? ORDER BY l.src_start""",
            (article_id,),
        ).fetchall()
        return [dict(r) for r in rows]

    def inbound_count(self, article_id: int) -> int:
        return int(
            self.conn.execute(
                "SELECT count(DISTINCT source_id) FROM links WHERE target_id = ? AND source_id != ?",
                (article_id, article_id),
            ).fetchone()[0]
        )

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

    def stats(self) -> dict[str, Any]:
        c = self.conn
        by_section = {
            (r[0] or "(none)"): r[1]
            for r in c.execute("SELECT section, count(*) FROM articles GROUP BY section ORDER BY count(*) DESC")
        }
        by_year = {
            (r[0] or "(undated)"): r[1]
            for r in c.execute("SELECT substr(published, 1, 4), count(*) FROM articles GROUP BY 1 ORDER BY 1")
        }
        total, internal, resolved = c.execute(
            "SELECT count(*), coalesce(sum(internal), 0), coalesce(sum(internal AND target_id IS NOT NULL), 0) "
            "FROM links"
        ).fetchone()
        top = [
            {"url": r[0], "title": r[1], "inbound": r[2]}
            for r in c.execute(
                """SELECT a.url, a.title, count(DISTINCT l.source_id) AS n FROM links l
                   JOIN articles a ON a.id = l.target_id WHERE l.source_id != l.target_id
                   GROUP BY l.target_id ORDER BY n DESC, a.url LIMIT 10"""
            )
        ]
        orphans = c.execute(f"SELECT count(*) FROM articles a WHERE {_ORPHAN}").fetchone()[0]
        return {
            "articles": self.count_articles(),
            "by_section": by_section,
            "by_year": by_year,
            "links": {
                "total": total,
                "internal": internal,
                "external": total - internal,
                "internal_resolved": resolved,
                "internal_resolved_share": round(resolved / internal, 4) if internal else None,
            },
            "most_linked": top,
            "orphans": orphans,
            "site_hosts": self.site_hosts(),
        }

    # ------------------------------------------------------------------ source catalog

    def write_sources(self, items: Sequence[SourceItem]) -> list[str]:
        """Add or update catalog items by URL; an item seen again keeps what it already knew
        (a title, summary or date) unless the new copy carries something better."""
        out: list[str] = []
        now = _now()
        with self.transaction():
            for item in items:
                key = url_key(item.url)
                row = self.conn.execute(
                    "SELECT id, title, outlet, published, summary, context FROM sources WHERE url_key = ?", (key,)
                ).fetchone()
                if row is None:
                    self.conn.execute(
                        """INSERT INTO sources (url, url_key, title, outlet, domain, published, summary, context,
                           origin, added_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)""",
                        (item.url, key, item.title, item.outlet, url_host(item.url), item.published, item.summary,
                         item.context, item.origin, now, now),
                    )
                    out.append("added")
                    continue
                merged = (
                    item.title if len(item.title) > len(row["title"]) and item.origin != "archive" else row["title"],
                    row["outlet"] or item.outlet,
                    row["published"] or item.published,
                    item.summary if len(item.summary) > len(row["summary"]) else row["summary"],
                    _merge_context(row["context"], item.context),
                )
                if merged == (row["title"], row["outlet"], row["published"], row["summary"], row["context"]):
                    out.append("unchanged")
                    continue
                self.conn.execute(
                    "UPDATE sources SET title=?, outlet=?, published=?, summary=?, context=?, updated_at=? WHERE id=?",
                    (*merged, now, row["id"]),
                )
                out.append("updated")
        return out

    def iter_sources(self) -> Iterator[SourceItem]:
        for row in self.conn.execute(
            "SELECT url, title, outlet, published, summary, context, origin FROM sources ORDER BY id"
        ):
            yield SourceItem(row[0], row[1], row[2], row[3], row[4], row[5], row[6])

    def count_sources(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM sources").fetchone()[0])

    def source_stats(self) -> dict[str, Any]:
        c = self.conn
        by_domain = [{"domain": r[0], "items": r[1]} for r in c.execute(
            "SELECT domain, count(*) FROM sources GROUP BY domain ORDER BY count(*) DESC, domain LIMIT 20")]
        by_origin = {r[0] or "(unknown)": r[1] for r in c.execute(
            "SELECT origin, count(*) FROM sources GROUP BY origin ORDER BY count(*) DESC")}
        first, last, undated = c.execute(
            "SELECT min(published), max(published), sum(published IS NULL) FROM sources").fetchone()
        feeds = [dict(r) for r in
                 c.execute("SELECT url, etag, last_modified, polled_at, status FROM feeds ORDER BY url")]
        return {"items": self.count_sources(), "by_origin": by_origin, "top_domains": by_domain,
                "first_published": first, "last_published": last, "undated": undated or 0, "feeds": feeds}

    def external_links(self) -> Iterator[tuple[StoredLink, str, str | None]]:
        """Every external link with the text and date of the article that cites it."""
        for row in self.conn.execute(
            """SELECT l.source_id, l.anchor, l.href, l.text_start, l.text_end, l.internal, l.target_id,
                      l.src_start, l.src_end, a.text, a.published
               FROM links l JOIN articles a ON a.id = l.source_id WHERE l.internal = 0
               AND (l.href LIKE 'http://%' OR l.href LIKE 'https://%') ORDER BY l.source_id, l.text_start"""
        ):
            link = StoredLink(row[0], row[1], row[2], row[3], row[4], bool(row[5]), row[6], row[7], row[8])
            yield link, row[9], row[10]

    def feed_state(self, url: str) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT * FROM feeds WHERE url = ?", (url,)).fetchone()
        return dict(row) if row else None

    def save_feed_state(self, url: str, etag: str | None, last_modified: str | None, status: str) -> None:
        with self.transaction():
            self.conn.execute(
                """INSERT INTO feeds (url, etag, last_modified, polled_at, status) VALUES (?,?,?,?,?)
                   ON CONFLICT(url) DO UPDATE SET etag=coalesce(excluded.etag, feeds.etag),
                   last_modified=coalesce(excluded.last_modified, feeds.last_modified),
                   polled_at=excluded.polled_at, status=excluded.status""",
                (url, etag, last_modified, _now(), status),
            )

    # ------------------------------------------------------------------ blobs

    def save_blob(self, name: str, data: bytes) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO blobs (name, created, data) VALUES (?,?,?) "
                "ON CONFLICT(name) DO UPDATE SET created=excluded.created, data=excluded.data",
                (name, _now(), data),
            )

    def load_blob(self, name: str) -> bytes | None:
        row = self.conn.execute("SELECT data FROM blobs WHERE name = ?", (name,)).fetchone()
        return bytes(row[0]) if row else None


def _merge_context(old: str, new: str) -> str:
    """Contexts from several citing sentences, kept apart by newlines, each once, capped in size."""
    if not new or new in old.split("\n"):
        return old
    merged = f"{old}\n{new}" if old else new
    return merged[-4000:]


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception, so a batch lands whole or not at all."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.conn.execute("COMMIT")
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
