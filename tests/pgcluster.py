"""A throwaway PostgreSQL server for the tests and benches: a fresh cluster in a temporary folder,
reached over a Unix socket only (no port to collide with), stopped and removed afterwards.

``LINKDESK_TEST_PG`` (a DSN) names a server to use instead. Without either, PostgreSQL tests skip.
Run as root (as in CI), the server runs as the ``postgres`` user, since PostgreSQL refuses root.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["in_schema", "pg_binaries", "postgres_server"]


def in_schema(dsn: str, schema: str) -> str:
    """``dsn`` with its tables in ``schema`` (the connection's search_path)."""
    parts = urlsplit(dsn)
    query = [*parse_qsl(parts.query), ("options", f"-csearch_path={schema}")]
    return urlunsplit(parts._replace(query=urlencode(query)))


def pg_binaries() -> str | None:
    """The folder holding initdb and pg_ctl (Debian keeps them per version), or None."""
    for folder in [*sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True), ""]:
        initdb = os.path.join(folder, "initdb") if folder else shutil.which("initdb")
        if initdb and os.access(initdb, os.X_OK):
            return os.path.dirname(initdb)
    return None


def _as_server_user(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", "postgres", "--", *argv]


@contextmanager
def postgres_server() -> Iterator[str | None]:
    """A DSN for a server the caller may create schemas in, or None when there is none to be had."""
    given = os.environ.get("LINKDESK_TEST_PG")
    if given:
        yield given
        return
    binaries = pg_binaries()
    if binaries is None or (os.geteuid() == 0 and not _has_user("postgres")):
        yield None
        return
    folder = tempfile.mkdtemp(prefix="linkdesk-pg-")
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    data = os.path.join(folder, "data")
    pg_ctl = os.path.join(binaries, "pg_ctl")
    subprocess.run(_as_server_user([os.path.join(binaries, "initdb"), "-D", data, "-A", "trust", "-U", "linkdesk",
                                    "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]),
                   check=True, capture_output=True)
    # fsync off: a test server's data need not survive a crash
    options = f"-k {folder} -c listen_addresses='' -p 5432 -c fsync=off -c full_page_writes=off"
    subprocess.run(_as_server_user([pg_ctl, "-D", data, "-o", options, "-l", os.path.join(folder, "log"),
                                    "-w", "start"]), check=True, capture_output=True)
    try:
        yield f"postgresql://linkdesk@/postgres?host={folder}&port=5432"
    finally:
        subprocess.run(_as_server_user([pg_ctl, "-D", data, "-m", "immediate", "stop"]), capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True
