"""The whole tool on a PostgreSQL archive: the demo archive ingested, indexed and asked about on a real
server gives what the same archive in a SQLite file gives, through the CLI, the HTTP API and a batch job.
(The Store protocol itself runs on both engines in test_store.py and wherever the ``store`` fixture is used.)"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest

from linkdesk.batch import relink_archive
from linkdesk.cli import EXIT_OK, run
from linkdesk.config import load_config
from linkdesk.demo import demo_paths
from linkdesk.web import create_app

BRIDGE_STUDY = "https://harborledger.example/2022/05/tidewater-bridge-study/"


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = run(list(argv))
    return code, capsys.readouterr().out


@pytest.mark.parametrize("command", [
    ["stats", "--json"],
    ["orphans", "--json"],
    ["show", BRIDGE_STUDY, "--json"],
    ["inbound", BRIDGE_STUDY, "--json", "--threshold", "0.2"],
    ["suggest", demo_paths()[1], "--json"],
    ["sources", "stats", "--json"],
])
def test_the_cli_answers_on_postgresql_as_on_the_sqlite_file(pg_demo_db: str, demo_db: str, command: list[str],
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    on_sqlite = _cli(capsys, *command, "--db", demo_db)
    on_postgres = _cli(capsys, *command, "--db", pg_demo_db)
    assert on_sqlite[0] == EXIT_OK and on_sqlite[1].strip()
    assert _timeless(on_postgres) == _timeless(on_sqlite)


def _timeless(answer: tuple[int, str]) -> tuple[int, str]:
    """``answer`` without the times each archive built its index (or its catalog's search) at."""
    code, out = answer
    if '"index": {' in out:
        stats = json.loads(out)
        for moment in ("saved", "read_at", "trained_at"):
            assert stats["index"].pop(moment)
        return code, json.dumps(stats)
    if '"search": {' in out:
        stats = json.loads(out)
        assert stats["search"].pop("saved")
        return code, json.dumps(stats)
    return answer


def test_ingest_and_index_from_the_command_line(pg_archive: str, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    archive, draft = demo_paths()
    assert run(["suggest", draft, "--db", pg_archive]) == 2
    assert "no linkdesk archive there" in capsys.readouterr().err
    assert run(["ingest", archive, "--db", pg_archive, "--quiet"]) == EXIT_OK
    assert run(["suggest", draft, "--db", pg_archive]) == 2
    assert "run `linkdesk index`" in capsys.readouterr().err
    assert run(["index", "--db", pg_archive]) == EXIT_OK
    out = tmp_path / "linked.md"
    assert run(["apply", draft, "--db", pg_archive, "--out", str(out)]) == EXIT_OK
    assert out.read_text(encoding="utf-8").count("](https://harborledger.example/") >= 3


def test_the_http_api_on_postgresql(pg_demo_db: str, demo_db: str) -> None:
    draft = Path(demo_paths()[1]).read_text(encoding="utf-8")

    async def suggest(db: str) -> httpx.Response:
        app = create_app(db, load_config())
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://linkdesk.test") as c:
            return await c.post("/suggest", json={"body": draft, "format": "markdown"})

    on_postgres, on_sqlite = asyncio.run(suggest(pg_demo_db)), asyncio.run(suggest(demo_db))
    assert on_postgres.status_code == 200
    assert on_postgres.json() == on_sqlite.json() and on_postgres.json()["suggestions"]


@pytest.mark.slow
@pytest.mark.parametrize("ray_address", [None, "local"], ids=["processes", "ray"])
def test_relink_workers_open_the_postgresql_archive_themselves(pg_demo_db: str, demo_db: str,
                                                               ray_address: str | None) -> None:
    # how a job runs on a Ray cluster of several machines: each actor reaches the one server
    on_postgres = [item.to_json() for item in relink_archive(pg_demo_db, load_config(), threshold=0.3, jobs=2,
                                                             ray_address=ray_address)]
    on_sqlite = [item.to_json() for item in relink_archive(demo_db, load_config(), threshold=0.3)]
    assert on_postgres == on_sqlite and len(on_postgres) > 10
