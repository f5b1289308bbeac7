"""What the SQLite and PostgreSQL stores share: the same tables, and every query written once in the
SQL both engines read (``?`` placeholders; the PostgreSQL store rewrites them for its driver).

An engine supplies the connection, transactions, its schema and migrations, a way to stream a long
result, and full-text search. Rows are read by column name (``row["url"]``) or position.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

from ..errors import StoreError
from ..model import DeclinedLink, RemovedSource, SourceItem, Withdrawal, Zone
from ..text.normalize import host_key, source_key, url_host, url_key
from .base import ChangedArticle, PreparedArticle, StoredArticle, StoredLink, stamp

__all__ = ["SQLStore"]

# an article no other article links to (a link to itself does not count)
# what write_batch reports of a record that changed the archive
_WRITTEN = frozenset({"added", "updated", "moved"})
_ORPHAN = "NOT EXISTS (SELECT 1 FROM links l WHERE l.target_id = a.id AND l.source_id != a.id)"
_WITHOUT_BODY = "id, url, title, published, section, tags, authors, aliases, format, text, ext_id"


def as_stored(params: Sequence[Any]) -> tuple[Any, ...]:
    """Query parameters as text is stored (see ``ingest.records.storable``): a NUL character as
    U+FFFD, so that a section or address asked about with one finds what was stored with one, on
    either engine (PostgreSQL text cannot hold NUL, and would refuse the query)."""
    return tuple(p.replace("\x00", "\ufffd") if isinstance(p, str) and "\x00" in p else p for p in params)


def _zones_json(zones: Sequence[Zone]) -> str:
    """Zones as ``{kind: [start, end, start, end, ...]}``: an article has dozens, so the form is kept
    small."""
    by_kind: dict[str, list[int]] = {}
    for z in zones:
        by_kind.setdefault(z.kind, []).extend((z.start, z.end))
    return json.dumps(by_kind, separators=(",", ":"))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _merge_context(old: str, new: str) -> str:
    """Contexts from several citing sentences, kept apart by newlines, each once, capped in size."""
    if not new or new in old.split("\n"):
        return old
    merged = f"{old}\n{new}" if old else new
    return merged[-4000:]


def _article(row: Any, with_body: bool = True) -> StoredArticle:
    return StoredArticle(
        id=row["id"], url=row["url"], title=row["title"], published=row["published"],
        section=row["section"], tags=json.loads(row["tags"]), authors=json.loads(row["authors"]),
        format=row["format"], body=row["body"] if with_body else "", text=row["text"],
        aliases=json.loads(row["aliases"]), ext_id=row["ext_id"],
        origin=(row["origin"] or "") if with_body else "",
    )


def _link(row: Any) -> StoredLink:
    return StoredLink(row["source_id"], row["anchor"], row["href"], row["text_start"], row["text_end"],
                      bool(row["internal"]), row["target_id"], row["src_start"], row["src_end"])


_LINK_COLUMNS = ("l.source_id, l.anchor, l.href, l.text_start, l.text_end, l.internal, l.target_id, "
                 "l.src_start, l.src_end")


class SQLStore(ABC):
    #: where the archive is, as given (a file path or a DSN): what another process opens it with
    path: str
    #: how messages name the archive (a DSN without its password)
    label: str

    # ------------------------------------------------------------------ what an engine supplies

    @abstractmethod
    def _execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run one statement; the result is iterable and has ``fetchone``/``fetchall``."""

    @abstractmethod
    def _executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...

    @abstractmethod
    def _stream(self, sql: str, params: Sequence[Any] = ()) -> Iterator[Any]:
        """The rows of a query that may be too long to hold in memory at once."""

    @abstractmethod
    def transaction(self) -> AbstractContextManager[Any]:
        """A transaction that commits on leaving and rolls back on any exception."""

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def search(self, phrases: Sequence[str], limit: int = 20) -> list[tuple[int, float]]:
        """Articles whose text uses any of ``phrases``, most relevant first (id, score; lower is better)."""

    # ------------------------------------------------------------------ writes

    def write_batch(self, items: Sequence[PreparedArticle]) -> list[str]:
        out: list[str] = []
        # to the microsecond, as the index compares it with when it read the archive
        now = stamp()
        with self.transaction():
            # few: read once a batch, not once a record (a round trip each on a server)
            withdrawn = {r["key"] for r in self._execute("SELECT key FROM withdrawn").fetchall()}
            for item in items:
                out.append("withdrawn" if url_key(item.article.url) in withdrawn else self._write_one(item, now))
            if any(status in _WRITTEN for status in out):
                self._mark_changed("articles")
        return out

    def changed_since(self, stamp: str | None) -> dict[str, ChangedArticle]:
        # an article's addresses (its own and its aliases): a link may use any of them
        query = "SELECT k.key, a.url, a.title, a.updated_at FROM url_keys k JOIN articles a ON a.id = k.article_id"
        found = self._execute(query + " WHERE a.updated_at > ?", (stamp,)) if stamp else self._execute(query)
        rows = found.fetchall()
        return {r["key"]: ChangedArticle(r["url"], r["title"], r["updated_at"]) for r in rows}

    def _write_one(self, item: PreparedArticle, now: str) -> str:
        a = item.article
        key = url_key(a.url)
        # the article at this address, or else the one that has it as an alias
        row = self._execute(
            "SELECT id, content_hash, parser, 1 AS own FROM articles WHERE url_key = ? UNION ALL "
            "SELECT a.id, a.content_hash, a.parser, 0 AS own FROM url_keys k JOIN articles a ON a.id = k.article_id "
            "WHERE k.key = ? ORDER BY own DESC LIMIT 1", (key, key),
        ).fetchone()
        if row is not None and not row["own"]:
            # a copy of an article from before it moved (an old export, a crawl of a redirecting
            # page): the archive keeps the article at its new address
            return "old-address"
        moved = False
        if row is None and a.aliases:
            # a record at a new address naming an archive article's address among its aliases is that
            # article, moved (a headline's slug rewritten, a section renamed, a site migrated): one
            # article, not a second copy of the story under the old address
            old_keys = [url_key(urljoin(a.url, alias)) for alias in a.aliases]
            row = self._execute(
                f"SELECT id, content_hash, parser FROM articles WHERE url_key IN ({','.join('?' * len(old_keys))}) "
                "ORDER BY id LIMIT 1", old_keys,
            ).fetchone()
            moved = row is not None
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
            self._execute(
                """UPDATE articles SET url=?, url_key=?, ext_id=?, title=?, published=?, section=?, tags=?,
                   authors=?, aliases=?, format=?, body=?, text=?, content_hash=?, origin=?, parser=?,
                   zones=?, updated_at=? WHERE id=?""",
                (*values, now, article_id),
            )
            self._execute("DELETE FROM links WHERE source_id = ?", (article_id,))
            self._execute("DELETE FROM url_keys WHERE article_id = ?", (article_id,))
            status = "moved" if moved else "updated"
        else:
            article_id = self._execute(
                """INSERT INTO articles (url, url_key, ext_id, title, published, section, tags, authors,
                   aliases, format, body, text, content_hash, origin, parser, zones, ingested_at, updated_at)
                   VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id""",
                (*values, now, now),
            ).fetchone()["id"]
            status = "added"
        keys = [(key, article_id, "url")]
        for alias in a.aliases:
            keys.append((url_key(urljoin(a.url, alias)), article_id, "alias"))
        # an alias never takes over another article's own URL
        self._executemany("INSERT INTO url_keys (key, article_id, kind) VALUES (?,?,?) ON CONFLICT DO NOTHING", keys)
        self._executemany(
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
        row = self._execute("SELECT value FROM meta WHERE key = 'site_hosts'").fetchone()
        if row:
            return list(json.loads(row["value"]))
        return self._inferred_hosts()

    def _inferred_hosts(self) -> list[str]:
        counts: Counter[str] = Counter()
        for row in self._stream("SELECT url FROM articles"):
            counts[url_host(row["url"])] += 1
        total = sum(counts.values())
        # a stray page from another host should not make that host "ours"
        return sorted(h for h, n in counts.items() if h and n >= max(1, 0.01 * total))

    def set_site_hosts(self, hosts: Sequence[str]) -> None:
        cleaned = sorted({host_key(h) for h in hosts if h.strip()})
        with self.transaction():
            self._execute(
                "INSERT INTO meta (key, value) VALUES ('site_hosts', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (json.dumps(cleaned),),
            )

    def resolve_links(self) -> None:
        hosts = self.site_hosts()
        with self.transaction():
            self._execute(
                "UPDATE links SET target_id = (SELECT article_id FROM url_keys WHERE key = links.target_key)"
            )
            marks = ",".join("?" * len(hosts)) or "NULL"
            self._execute(
                "UPDATE links SET internal = "
                f"CASE WHEN target_id IS NOT NULL OR target_host IN ({marks}) THEN 1 ELSE 0 END",
                hosts,
            )

    def withdraw(self, url: str, reason: str = "") -> Withdrawal | None:
        now = _now()
        with self.transaction():
            row = self._execute(
                "SELECT a.id, a.url, a.title FROM url_keys k JOIN articles a ON a.id = k.article_id WHERE k.key = ?",
                (url_key(url),),
            ).fetchone()
            if row is None:
                return None
            article_id = row["id"]
            keys = [r["key"] for r in self._execute("SELECT key FROM url_keys WHERE article_id = ?", (article_id,))]
            self._executemany(
                "INSERT INTO withdrawn (key, url, title, reason, withdrawn_at) VALUES (?,?,?,?,?) "
                "ON CONFLICT (key) DO UPDATE SET url = excluded.url, title = excluded.title, "
                "reason = excluded.reason, withdrawn_at = excluded.withdrawn_at",
                [(key, row["url"], row["title"], reason, now) for key in keys],
            )
            # the links other articles make to it stay (they are what an editor must change) and lead
            # nowhere now
            self._execute("UPDATE links SET target_id = NULL WHERE target_id = ?", (article_id,))
            self._execute("DELETE FROM links WHERE source_id = ?", (article_id,))
            self._execute("DELETE FROM url_keys WHERE article_id = ?", (article_id,))
            self._execute("DELETE FROM articles WHERE id = ?", (article_id,))
            self._mark_changed("withdrawals")
        return self._withdrawals("WHERE url = ?", (row["url"],))[0]

    def keep_out(self, withdrawal: Withdrawal) -> Withdrawal:
        w = withdrawal
        keys = list(dict.fromkeys([url_key(w.url), *w.addresses]))
        with self.transaction():
            self._executemany(
                "INSERT INTO withdrawn (key, url, title, reason, withdrawn_at) VALUES (?,?,?,?,?) "
                "ON CONFLICT (key) DO NOTHING",
                [(key, w.url, w.title, w.reason, w.withdrawn_at) for key in keys],
            )
            self._mark_changed("withdrawals")
        kept = self.withdrawal(w.url)
        assert kept is not None, "just written"
        return kept

    def restore(self, url: str) -> Withdrawal | None:
        found = self.withdrawal(url)
        if found is None:
            return None
        with self.transaction():
            self._execute("DELETE FROM withdrawn WHERE url = ?", (found.url,))
            self._mark_changed("withdrawals")
        return found

    def withdrawn(self) -> list[Withdrawal]:
        return self._withdrawals()

    def withdrawal(self, url: str) -> Withdrawal | None:
        found = self._withdrawals("WHERE url = (SELECT url FROM withdrawn WHERE key = ?)", (url_key(url),))
        return found[0] if found else None

    def decline(self, links: Sequence[DeclinedLink]) -> list[DeclinedLink]:
        pairs = [(source_key(d.source), url_key(d.target_url)) for d in links]
        with self.transaction():
            added = 0
            for d, (source, target) in zip(links, pairs, strict=True):
                added += self._execute(
                    "INSERT INTO declined (source_key, target_key, source, target_url, anchor, reason, declined_at) "
                    "VALUES (?,?,?,?,?,?,?) ON CONFLICT (source_key, target_key) DO NOTHING",
                    (source, target, d.source, d.target_url, d.anchor, d.reason, d.declined_at),
                ).rowcount
            if added:
                self._mark_changed("declines")
        return [self._declined("WHERE source_key = ? AND target_key = ?", pair)[0] for pair in pairs]

    def undecline(self, source: str, target_url: str) -> DeclinedLink | None:
        pair = (source_key(source), url_key(target_url))
        found = self._declined("WHERE source_key = ? AND target_key = ?", pair)
        if not found:
            return None
        with self.transaction():
            self._execute("DELETE FROM declined WHERE source_key = ? AND target_key = ?", pair)
            self._mark_changed("declines")
        return found[0]

    def declined(self, source: str | None = None) -> list[DeclinedLink]:
        if source is None:
            return self._declined()
        return self._declined("WHERE source_key = ?", (source_key(source),))

    def _declined(self, where: str = "", params: Sequence[Any] = ()) -> list[DeclinedLink]:
        return [DeclinedLink(r["source"], r["target_url"], r["anchor"], r["reason"], r["declined_at"])
                for r in self._execute(f"SELECT source, target_url, anchor, reason, declined_at FROM declined {where} "
                                       "ORDER BY declined_at DESC, source_key, target_key", params).fetchall()]

    def changed(self, what: str) -> str | None:
        row = self._execute("SELECT value FROM meta WHERE key = ?", (f"changed:{what}",)).fetchone()
        return str(row["value"]) if row else None

    def _mark_changed(self, what: str) -> None:
        # to the microsecond: a server tells what changed since it looked by this stamp
        self._execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (f"changed:{what}", stamp()),
        )

    def _withdrawals(self, where: str = "", params: Sequence[Any] = ()) -> list[Withdrawal]:
        """Withdrawn articles, newest withdrawal first, each with the archive articles that still link to it."""
        by_url: dict[str, Withdrawal] = {}
        for r in self._execute(f"SELECT key, url, title, reason, withdrawn_at FROM withdrawn {where} "
                               "ORDER BY withdrawn_at DESC, url, key", params).fetchall():
            w = by_url.setdefault(r["url"], Withdrawal(r["url"], r["title"], r["reason"], r["withdrawn_at"]))
            w.addresses.append(r["key"])
        for w in by_url.values():
            marks = ",".join("?" * len(w.addresses))
            w.linked_from = [
                {"url": r["url"], "title": r["title"]}
                for r in self._execute(
                    f"""SELECT DISTINCT a.url, a.title FROM links l JOIN articles a ON a.id = l.source_id
                        WHERE l.target_key IN ({marks}) ORDER BY a.url""", w.addresses
                ).fetchall()
            ]
        return list(by_url.values())

    # ------------------------------------------------------------------ reads

    def count_articles(self) -> int:
        return int(self._execute("SELECT count(*) AS n FROM articles").fetchone()["n"])

    def get_article(self, url: str) -> StoredArticle | None:
        row = self._execute(
            "SELECT a.* FROM url_keys k JOIN articles a ON a.id = k.article_id WHERE k.key = ?", (url_key(url),)
        ).fetchone()
        return _article(row) if row else None

    def get_articles(self, ids: Sequence[int]) -> list[StoredArticle]:
        out: list[StoredArticle] = []
        for i in range(0, len(ids), 500):
            chunk = list(ids[i : i + 500])
            marks = ",".join("?" * len(chunk))
            rows = self._execute(f"SELECT * FROM articles WHERE id IN ({marks})", chunk).fetchall()
            out.extend(_article(r) for r in rows)
        return out

    def stale_article_ids(self, parser: int) -> list[int]:
        rows = self._execute("SELECT id FROM articles WHERE parser < ? ORDER BY id", (parser,)).fetchall()
        return [r["id"] for r in rows]

    def article_zones(self, article_id: int) -> list[Zone]:
        row = self._execute("SELECT zones FROM articles WHERE id = ?", (article_id,)).fetchone()
        if row is None:
            raise StoreError(f"{self.label}: no article {article_id}")
        zones = [Zone(kind, bounds[k], bounds[k + 1]) for kind, bounds in json.loads(row["zones"]).items()
                 for k in range(0, len(bounds), 2)]
        return sorted(zones, key=lambda z: (z.start, -z.end))

    def iter_articles(self, with_body: bool = False) -> Iterator[StoredArticle]:
        cols = "*" if with_body else _WITHOUT_BODY
        for row in self._stream(f"SELECT {cols} FROM articles ORDER BY id"):
            yield _article(row, with_body)

    def orphans(self, section: str | None = None, limit: int = 0) -> list[StoredArticle]:
        where, params = _ORPHAN, []
        if section is not None:
            where += " AND section = ?"
            params.append(section)
        sql = f"SELECT {_WITHOUT_BODY} FROM articles a WHERE {where} ORDER BY published IS NULL, published DESC, url"
        # a limit past the engines' integers (2**63) is more than any archive holds: all of them
        if 0 < limit < 2**63:
            sql += f" LIMIT {int(limit)}"
        return [_article(row, with_body=False) for row in self._execute(sql, params).fetchall()]

    def iter_links(self, internal_only: bool = False) -> Iterator[StoredLink]:
        where = "WHERE l.internal = 1" if internal_only else ""
        for row in self._stream(f"SELECT {_LINK_COLUMNS} FROM links l {where} ORDER BY l.source_id, l.text_start"):
            yield _link(row)

    def article_links(self, article_id: int) -> list[dict[str, Any]]:
        rows = self._execute(
            """SELECT l.anchor, l.href, l.internal, t.url AS target_url, t.title AS target_title
               FROM links l LEFT JOIN articles t ON t.id = l.target_id WHERE l.source_id = ? ORDER BY l.src_start""",
            (article_id,),
        ).fetchall()
        return [{**dict(r), "internal": bool(r["internal"])} for r in rows]

    def inbound_count(self, article_id: int) -> int:
        row = self._execute(
            "SELECT count(DISTINCT source_id) AS n FROM links WHERE target_id = ? AND source_id != ?",
            (article_id, article_id),
        ).fetchone()
        return int(row["n"])

    def stats(self) -> dict[str, Any]:
        q = self._execute
        by_section = {
            (r["section"] or "(none)"): r["n"]
            for r in q("SELECT section, count(*) AS n FROM articles GROUP BY section "
                       "ORDER BY count(*) DESC, coalesce(section, '')").fetchall()
        }
        by_year = {
            (r["year"] or "(undated)"): r["n"]
            for r in q("SELECT coalesce(substr(published, 1, 4), '') AS year, count(*) AS n FROM articles "
                       "GROUP BY 1 ORDER BY 1").fetchall()
        }
        links = q(
            "SELECT count(*) AS total, coalesce(sum(internal), 0) AS internal, "
            "coalesce(sum(CASE WHEN internal = 1 AND target_id IS NOT NULL THEN 1 ELSE 0 END), 0) AS resolved "
            "FROM links"
        ).fetchone()
        total, internal, resolved = int(links["total"]), int(links["internal"]), int(links["resolved"])
        top = [
            {"url": r["url"], "title": r["title"], "inbound": r["n"]}
            for r in q(
                """SELECT a.url, a.title, count(DISTINCT l.source_id) AS n FROM links l
                   JOIN articles a ON a.id = l.target_id WHERE l.source_id != l.target_id
                   GROUP BY a.id, a.url, a.title ORDER BY n DESC, a.url LIMIT 10"""
            ).fetchall()
        ]
        orphans = q(f"SELECT count(*) AS n FROM articles a WHERE {_ORPHAN}").fetchone()["n"]
        withdrawn = q("SELECT count(DISTINCT url) AS n FROM withdrawn").fetchone()["n"]
        declined = q("SELECT count(*) AS n FROM declined").fetchone()["n"]
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
            "withdrawn": int(withdrawn),
            "declined": int(declined),
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
                row = self._execute(
                    "SELECT id, title, outlet, published, summary, context FROM sources WHERE url_key = ?", (key,)
                ).fetchone()
                if row is None:
                    self._execute(
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
                self._execute(
                    "UPDATE sources SET title=?, outlet=?, published=?, summary=?, context=?, updated_at=? WHERE id=?",
                    (*merged, now, row["id"]),
                )
                out.append("updated")
            if any(status != "unchanged" for status in out):
                self._mark_changed("sources")
        return out

    def remove_sources(self, removals: Sequence[RemovedSource]) -> list[RemovedSource]:
        keys = [url_key(r.url) for r in removals]
        with self.transaction():
            for r, key in zip(removals, keys, strict=True):
                row = self._execute("SELECT title FROM sources WHERE url_key = ?", (key,)).fetchone()
                self._execute(
                    "INSERT INTO removed_sources (url_key, url, title, reason, removed_at) VALUES (?,?,?,?,?) "
                    "ON CONFLICT (url_key) DO NOTHING",
                    (key, r.url, row["title"] if row else r.title, r.reason, r.removed_at),
                )
                self._execute("DELETE FROM sources WHERE url_key = ?", (key,))
            if keys:
                self._mark_changed("sources")
        return [self._removed_sources("WHERE url_key = ?", (key,))[0] for key in keys]

    def removed_sources(self) -> list[RemovedSource]:
        return self._removed_sources()

    def forget_removed_source(self, url: str) -> RemovedSource | None:
        key = url_key(url)
        found = self._removed_sources("WHERE url_key = ?", (key,))
        if not found:
            return None
        with self.transaction():
            self._execute("DELETE FROM removed_sources WHERE url_key = ?", (key,))
            self._mark_changed("sources")  # a running server's lint stops naming it
        return found[0]

    def _removed_sources(self, where: str = "", params: Sequence[Any] = ()) -> list[RemovedSource]:
        return [RemovedSource(r["url"], r["title"], r["reason"], r["removed_at"])
                for r in self._execute(f"SELECT url, title, reason, removed_at FROM removed_sources {where} "
                                       "ORDER BY removed_at DESC, url_key", params).fetchall()]

    def iter_sources(self) -> Iterator[SourceItem]:
        for row in self._stream(
            "SELECT url, title, outlet, published, summary, context, origin FROM sources ORDER BY id"
        ):
            yield SourceItem(row["url"], row["title"], row["outlet"], row["published"], row["summary"],
                             row["context"], row["origin"])

    def count_sources(self) -> int:
        return int(self._execute("SELECT count(*) AS n FROM sources").fetchone()["n"])

    def source_stats(self) -> dict[str, Any]:
        q = self._execute
        by_domain = [{"domain": r["domain"], "items": r["n"]} for r in q(
            "SELECT domain, count(*) AS n FROM sources GROUP BY domain ORDER BY count(*) DESC, domain LIMIT 20"
        ).fetchall()]
        by_origin = {r["origin"] or "(unknown)": r["n"] for r in q(
            "SELECT origin, count(*) AS n FROM sources GROUP BY origin ORDER BY count(*) DESC, origin"
        ).fetchall()}
        span = q("SELECT min(published) AS first, max(published) AS last, "
                 "sum(CASE WHEN published IS NULL THEN 1 ELSE 0 END) AS undated FROM sources").fetchone()
        feeds = [dict(r) for r in
                 q("SELECT url, etag, last_modified, polled_at, status FROM feeds ORDER BY url").fetchall()]
        return {"items": self.count_sources(), "by_origin": by_origin, "top_domains": by_domain,
                "first_published": span["first"], "last_published": span["last"],
                "undated": int(span["undated"] or 0), "feeds": feeds,
                "removed": int(q("SELECT count(*) AS n FROM removed_sources").fetchone()["n"])}

    def external_links(self) -> Iterator[tuple[StoredLink, str, str | None]]:
        """Every external link with the text and date of the article that cites it."""
        for row in self._stream(
            f"""SELECT {_LINK_COLUMNS}, a.text, a.published
               FROM links l JOIN articles a ON a.id = l.source_id WHERE l.internal = 0
               AND (l.href LIKE 'http://%' OR l.href LIKE 'https://%') ORDER BY l.source_id, l.text_start"""
        ):
            yield _link(row), row["text"], row["published"]

    def feed_state(self, url: str) -> dict[str, Any] | None:
        row = self._execute("SELECT * FROM feeds WHERE url = ?", (url,)).fetchone()
        return dict(row) if row else None

    def save_feed_state(self, url: str, etag: str | None, last_modified: str | None, status: str) -> None:
        with self.transaction():
            self._execute(
                """INSERT INTO feeds (url, etag, last_modified, polled_at, status) VALUES (?,?,?,?,?)
                   ON CONFLICT (url) DO UPDATE SET etag = coalesce(excluded.etag, feeds.etag),
                   last_modified = coalesce(excluded.last_modified, feeds.last_modified),
                   polled_at = excluded.polled_at, status = excluded.status""",
                (url, etag, last_modified, _now(), status),
            )

    # ------------------------------------------------------------------ blobs

    def save_blob(self, name: str, data: bytes, about: dict[str, Any] | None = None) -> None:
        # to the microsecond: a server tells a new index from the one it holds by this stamp
        created = stamp()
        with self.transaction():
            self._execute(
                "INSERT INTO blobs (name, created, data) VALUES (?,?,?) "
                "ON CONFLICT (name) DO UPDATE SET created = excluded.created, data = excluded.data",
                (name, created, data),
            )
            # in the same transaction, so that what is said about a blob is always about this one
            self._execute("DELETE FROM meta WHERE key = ?", (f"about:{name}",))
            if about is not None:
                self._execute("INSERT INTO meta (key, value) VALUES (?, ?)", (f"about:{name}", json.dumps(about)))

    def blob_about(self, name: str) -> dict[str, Any] | None:
        row = self._execute("SELECT value FROM meta WHERE key = ?", (f"about:{name}",)).fetchone()
        return dict(json.loads(row["value"])) if row else None

    def blob_created(self, name: str) -> str | None:
        row = self._execute("SELECT created FROM blobs WHERE name = ?", (name,)).fetchone()
        return str(row["created"]) if row else None

    def load_blob(self, name: str) -> bytes | None:
        row = self._execute("SELECT data FROM blobs WHERE name = ?", (name,)).fetchone()
        return bytes(row["data"]) if row else None
