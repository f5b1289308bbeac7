"""The Store protocol on both engines (the ``store`` fixture is a SQLite file, then a PostgreSQL
schema), and what is particular to each: SQLite's pragmas and migrations, PostgreSQL's addresses."""

from __future__ import annotations

import multiprocessing
import sqlite3

import pytest

from linkdesk.errors import StoreError
from linkdesk.ingest.records import prepare
from linkdesk.model import Article
from linkdesk.store import PostgresStore, open_store
from linkdesk.store.postgres import PG_SCHEMA_VERSION
from linkdesk.store.sqlite import SCHEMA_VERSION
from linkdesk.text.parse import PARSER_VERSION, parse

from .conftest import old_sqlite_archive


def _prep(url: str, title: str, body: str = "", **kw) -> object:
    return prepare(Article(url=url, title=title, body=body, **kw), 10_000_000, url)


def test_wal_and_schema_version(sqlite_store) -> None:
    assert sqlite_store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert sqlite_store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_upsert_by_url_and_unchanged(store) -> None:
    a = _prep("https://news.example/a/", "First")
    assert store.write_batch([a]) == ["added"]
    assert store.write_batch([a]) == ["unchanged"]
    b = _prep("https://www.news.example/a", "First, corrected")  # same URL spelled differently
    assert store.write_batch([b]) == ["updated"]
    assert store.count_articles() == 1
    assert store.get_article("https://news.example/a/").title == "First, corrected"


@pytest.mark.parametrize("fmt, body", [
    ("markdown", '# Fares rise\n\nBy Ana Ruiz\n\n> "Too dear," said one rider.\n\n'
                 "See [the budget](https://n.example/b) and `fare_table`:\n\n    rate = 2.75\n\n- one\n- two\n"),
    ("html", "<h2>Fares rise</h2><blockquote><p>Too dear</p></blockquote><p>See <a href='/b'>the budget</a>.</p>"
             "<pre>rate = 2.75</pre><table><tr><td>cell</td></tr></table>"),
])
def test_an_article_keeps_its_zones(store, fmt: str, body: str) -> None:
    # training reads where links may go from these instead of parsing every body again
    store.write_batch([_prep("https://n.example/a", "A", body, format=fmt)])
    stored = store.article_zones(store.get_article("https://n.example/a").id)

    def order(z):
        return z.start, z.end, z.kind

    assert sorted(stored, key=order) == sorted(parse(body, fmt).zones, key=order)
    assert {"heading", "quote", "code", "link"} <= {z.kind for z in stored}
    with pytest.raises(StoreError, match="no article 999"):
        store.article_zones(999)


def test_links_resolve_through_aliases_and_hosts(store) -> None:
    target = _prep("https://news.example/2024/new-home/", "Target", aliases=["/old/permalink/"])
    source = _prep("https://news.example/2024/source/", "Source",
                   "See [old link](/old/permalink/) and [elsewhere](https://other.example/x).")
    store.write_batch([target, source])
    store.resolve_links()
    links = store.article_links(store.get_article("https://news.example/2024/source/").id)
    by_anchor = {l["anchor"]: l for l in links}
    assert by_anchor["old link"]["internal"] is True
    assert by_anchor["old link"]["target_url"] == "https://news.example/2024/new-home/"
    assert by_anchor["elsewhere"]["internal"] is False
    assert store.stats()["links"]["internal_resolved_share"] == 1.0


def test_site_hosts_are_kept_as_bare_names(store) -> None:
    # as a desk types them in config or on the command line; lint and link scope compare bare names
    store.set_site_hosts([" WWW.News.Example ", "news.example", "", "  "])
    assert store.site_hosts() == ["news.example"]


@pytest.mark.parametrize("words, hit", [
    (["ferry"], True), (["ferries"], True), (["the ferry said"], True), (["said the ferry"], False),
    (['say "hi"'], False), (["NOT"], True), (["NEAR", "AND", "OR"], True), (["text:", "*"], False),
    (["harbor"], False), ([], False),
])
def test_full_text_search_takes_any_words(store, words: list[str], hit: bool) -> None:
    # words and phrases are searched for as the index stems them, never read as FTS5 syntax
    # (operators, columns); titles are not searched
    store.write_batch([_prep("https://n.example/a/", "A", "The ferry said NOT near here."),
                       _prep("https://n.example/harbor/", "Harbor", "Another story.")])
    found = [h for h, _ in store.search(words)]
    assert found == ([store.get_article("https://n.example/a/").id] if hit else [])


def test_failed_batch_leaves_nothing(store) -> None:
    good = _prep("https://n.example/1", "Good")
    with pytest.raises(StoreError), store.transaction():
        store._write_one(good, "now")
        store._execute("INSERT INTO nonexistent VALUES (1)")
    assert store.count_articles() == 0


def test_an_archive_another_process_holds_is_a_clean_error(tmp_path) -> None:
    db = str(tmp_path / "a.db")
    store = open_store(db)
    store.conn.execute("PRAGMA busy_timeout=50")
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreError, match=r"a\.db: database is locked"), store.transaction():
            pass
        with pytest.raises(StoreError, match=r"a\.db: database is locked"):
            store.set_site_hosts(["n.example"])
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    store.set_site_hosts(["n.example"])  # once the other writer is done
    assert store.site_hosts() == ["n.example"]
    store.close()


def test_not_an_archive(tmp_path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="cannot open"):
        open_store(str(bad))
    with pytest.raises(StoreError, match="no such archive"):
        open_store(str(tmp_path / "missing.db"), create=False)


def test_migration_refines_url_keys_of_an_older_archive(tmp_path) -> None:
    # an archive written by the schema-2 code: keys without any query
    path = str(tmp_path / "old.db")
    conn = old_sqlite_archive(path, 2)
    row = ("markdown", "", "", "h", "2024-01-01T00:00:00", "2024-01-01T00:00:00")
    conn.execute("INSERT INTO articles (id, url, url_key, title, aliases, format, body, text, content_hash, "
                 "ingested_at, updated_at) VALUES (1, 'https://n.example/s.php?p=1', 'n.example/s.php', 'One', "
                 "'[\"/old/1/\"]', ?, ?, ?, ?, ?, ?)", row)
    conn.execute("INSERT INTO url_keys VALUES ('n.example/s.php', 1, 'url')")
    conn.execute("INSERT INTO links (source_id, anchor, href, target_key, target_host, src_start, src_end, "
                 "text_start, text_end) VALUES (1, 'x', 'https://n.example/s.php?p=1&utm_source=a', "
                 "'n.example/s.php', 'n.example', 0, 1, 0, 1)")
    conn.execute("INSERT INTO blobs VALUES ('index', 'then', x'00')")
    conn.close()
    store = open_store(path, create=False)
    assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert store.get_article("https://n.example/s.php?p=1").title == "One"
    assert store.get_article("https://n.example/old/1/").title == "One"  # the alias, re-derived
    assert store.get_article("https://n.example/s.php") is None
    assert store.conn.execute("SELECT target_id FROM links").fetchone()[0] == 1
    assert store.conn.execute("SELECT count(*) FROM blobs").fetchone()[0] == 0  # built on the old keys
    assert store.stale_article_ids(PARSER_VERSION) == [1]  # its text was made by the first parser
    assert store.article_zones(1) == []  # until it is read again


def test_postgres_archive_is_made_once_and_named_without_its_password(pg_archive: str) -> None:
    with pytest.raises(StoreError, match="no linkdesk archive there"):
        open_store(pg_archive, create=False)
    first = open_store(pg_archive)
    assert isinstance(first, PostgresStore)
    first.write_batch([_prep("https://n.example/a/", "A")])
    first.close()
    again = open_store(pg_archive.replace("postgresql://linkdesk@", "postgresql://linkdesk:s3cret@"), create=False)
    assert again.count_articles() == 1
    assert again._execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()["value"] \
        == str(PG_SCHEMA_VERSION)
    assert "s3cret" in again.path and "s3cret" not in again.label and "user=linkdesk" in again.label
    again.close()


def test_postgres_archive_newer_than_this_linkdesk_is_refused(pg_archive: str) -> None:
    store = open_store(pg_archive)
    store._execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(PG_SCHEMA_VERSION + 1),))
    store.close()
    with pytest.raises(StoreError, match="newer than this linkdesk"):
        open_store(pg_archive)


def test_postgres_server_not_there_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(StoreError, match="cannot connect"):
        open_store(f"postgresql://linkdesk@/postgres?host={tmp_path}&port=1&connect_timeout=2")


def _open_and_count(dsn: str) -> int:
    store = open_store(dsn)
    try:
        return store.count_articles()
    finally:
        store.close()


def test_postgres_archive_made_by_two_processes_at_once(pg_archive: str) -> None:
    # two app instances starting together on an empty database both make the schema: one waits
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        assert pool.map(_open_and_count, [pg_archive] * 4) == [0, 0, 0, 0]


def test_long_reads_stream_past_a_fetch_while_other_queries_run(store) -> None:
    # the PostgreSQL store reads long results a few thousand rows at a time
    n = 2_100
    store.write_batch([_prep(f"https://n.example/{i}/", f"Story {i}", f"Body {i}.") for i in range(n)])
    seen = []
    for article in store.iter_articles(with_body=True):
        seen.append(article.url)
        assert store.get_article(article.url).body == article.body
    assert seen == [f"https://n.example/{i}/" for i in range(n)]


def _ingest_quietly(args: tuple[str, str]) -> tuple[int, int, int]:
    from linkdesk.config import load_config
    from linkdesk.ingest import ingest

    store = open_store(args[0])
    try:
        report = ingest(store, [args[1]], config=load_config())
        return report.added + report.updated + report.unchanged, len(report.rejected), store.count_articles()
    finally:
        store.close()


def test_two_ingests_of_the_same_export_at_once(archive_path: str, tmp_path) -> None:
    # two app instances polling the same feed: each record is written once, neither job fails
    import json

    src = tmp_path / "export.jsonl"
    src.write_text("".join(json.dumps({"url": f"https://n.example/{i}/", "title": f"Story {i}",
                                       "body": f"Body {i} links [one](https://n.example/{i + 1}/)."}) + "\n"
                           for i in range(600)))
    open_store(archive_path).close()  # the schema made once, as an archive already in use
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        results = pool.map(_ingest_quietly, [(archive_path, str(src))] * 2)
    assert [r[:2] for r in results] == [(600, 0), (600, 0)]
    store = open_store(archive_path, create=False)
    assert store.count_articles() == 600
    store.close()
