"""Shared fixtures: real SQLite files in tmp_path, real PostgreSQL schemas on a throwaway server, the
packaged demo data, a local HTTP server."""

from __future__ import annotations

import asyncio
import gzip
import http.server
import json
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest

from linkdesk.config import load_config
from linkdesk.demo import demo_paths, demo_sources
from linkdesk.ingest import ingest
from linkdesk.sources.catalog import add_sources
from linkdesk.store import SQLiteStore, Store, open_store
from linkdesk.store.postgres import PG_MIGRATIONS
from linkdesk.store.sqlite import MIGRATIONS, _split_sql
from linkdesk.suggest.pipeline import Suggester, index_archive
from linkdesk.text.normalize import url_key

from .pgcluster import in_schema, postgres_server

FIXTURES = Path(__file__).parent / "fixtures"
SHARED_BENCH = Path(__file__).resolve().parents[1].parent / "shared" / "bench"


def asgi_call(app: Any, method: str, path: str, **kw: Any) -> httpx.Response:
    """One request to the web app in this process, through httpx's ASGI transport."""
    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://linkdesk.test") as c:
            return await c.request(method, path, **kw)
    return asyncio.run(go())


def backtest_records(backtest: str, name: str) -> Iterator[dict]:
    """The records of one file of a shared backtest ("archive", "drafts", "gold"); without
    ../shared/bench beside the project the test is skipped."""
    path = SHARED_BENCH / "data" / backtest / f"{name}.jsonl.gz"
    if not path.exists():
        pytest.skip("../shared/bench not present")
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        yield from map(json.loads, fh)


@pytest.fixture
def config() -> dict:
    cfg = load_config()
    cfg["crawl"]["delay_seconds"] = 0.0
    cfg["crawl"]["respect_robots"] = True
    return cfg


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str | None]:
    """A PostgreSQL server's DSN (``LINKDESK_TEST_PG``, or a throwaway cluster), or None without one."""
    with postgres_server() as dsn:
        yield dsn


@contextmanager
def pg_schema(pg_server: str | None) -> Iterator[str]:
    """The address of an empty PostgreSQL archive (a schema of its own, dropped afterwards); the test
    skips without a server."""
    if pg_server is None:
        pytest.skip("no PostgreSQL server: install Debian's postgresql (.ci/run does) or set LINKDESK_TEST_PG")
    import psycopg

    schema = f"test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield in_schema(pg_server, schema)
    finally:
        with psycopg.connect(pg_server, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def pg_archive(pg_server: str | None) -> Iterator[str]:
    with pg_schema(pg_server) as dsn:
        yield dsn


@pytest.fixture(params=["sqlite", "postgres"])
def archive_path(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a new archive goes: a SQLite file, then a PostgreSQL schema (the same test runs on both)."""
    if request.param == "sqlite":
        return str(tmp_path / "archive.db")
    return str(request.getfixturevalue("pg_archive"))


@pytest.fixture
def store(archive_path: str) -> Iterator[Store]:
    s = open_store(archive_path)
    yield s
    s.close()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[SQLiteStore]:
    s = open_store(str(tmp_path / "archive.db"))
    assert isinstance(s, SQLiteStore)
    yield s
    s.close()


def old_sqlite_archive(path: str, version: int) -> sqlite3.Connection:
    """A SQLite archive as a linkdesk of schema ``version`` made it (open, for a test to fill in)."""
    conn = sqlite3.connect(path, isolation_level=None)
    # what the store gives its migrations
    conn.create_function("linkdesk_url_key", 1, url_key)
    conn.create_function("linkdesk_urljoin", 2, urljoin)
    for script in MIGRATIONS[:version]:
        for statement in _split_sql(script):
            conn.execute(statement)
    conn.execute(f"PRAGMA user_version = {version}")
    return conn


def old_postgres_archive(dsn: str, version: int) -> None:
    """A PostgreSQL archive as a linkdesk of schema ``version`` made it."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        for script in PG_MIGRATIONS[:version]:
            conn.execute(script)
        conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', %s)", (str(version),))


def build_demo_archive(path: str) -> None:
    """The demo archive ingested and indexed, and the demo source catalog, at ``path``."""
    s = open_store(path)
    archive, _ = demo_paths()
    report = ingest(s, [archive], config=load_config())
    assert report.ok
    index_archive(s, load_config())
    assert add_sources(s, demo_sources(), load_config()).ok
    s.close()


@pytest.fixture
def demo_store(archive_path: str) -> Iterator[Store]:
    """A writable demo archive of its own, indexed and with its source catalog, on each engine."""
    build_demo_archive(archive_path)
    store = open_store(archive_path)
    yield store
    store.close()


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The demo archive in a SQLite file, once per session (read-only)."""
    path = str(tmp_path_factory.mktemp("demo") / "demo.db")
    build_demo_archive(path)
    return path


@pytest.fixture(scope="session")
def pg_demo_db(pg_server: str | None) -> Iterator[str]:
    """The same demo archive in a PostgreSQL schema, once per session (read-only)."""
    with pg_schema(pg_server) as dsn:
        build_demo_archive(dsn)
        yield dsn


@pytest.fixture(scope="session")
def suggester(demo_db: str) -> Suggester:
    """The demo archive's suggester, loaded once."""
    store = open_store(demo_db, create=False)
    s = Suggester(store, load_config())
    store.close()
    return s


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


class _Handler(http.server.SimpleHTTPRequestHandler):
    routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
    hits: dict[str, int] = {}

    def do_GET(self) -> None:
        self.hits[self.path] = self.hits.get(self.path, 0) + 1
        route = self.routes.get(self.path)
        if route is None:
            self.send_response(404)
            self.end_headers()
            return
        status, headers, body = route
        if callable(body):
            status, headers, body = body(self)
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up first (the timeout tests)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[tuple[str, dict, dict]]:
    """A real HTTP server on 127.0.0.1: (base URL, routes to fill in, hit counts)."""
    routes: dict = {}
    hits: dict = {}
    handler = type("Handler", (_Handler,), {"routes": routes, "hits": hits})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", routes, hits
    server.shutdown()
    server.server_close()


