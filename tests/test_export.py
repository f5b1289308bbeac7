"""The archive written out as standard records: read back by ingest, it is the same archive."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from linkdesk import archive as archive_module
from linkdesk.archive import export_archive, export_records
from linkdesk.cli import EXIT_OK, run
from linkdesk.demo import demo_paths
from linkdesk.errors import InputError
from linkdesk.ingest import ingest
from linkdesk.store import open_store

EXTRA = {"id": "cms-7731", "url": "https://harborledger.example/2025/07/cafe-reopens/", "title": "Café reopens",
         "published": "2025-07-02T09:30:00+00:00", "section": "business", "tags": ["food", "waterfront"],
         "authors": ["Ana Ruiz", "Tom Ng"], "aliases": ["/?p=7731"], "format": "html",
         "body": "<p>The <a href='/2022/02/ferry-fare-freeze/'>ferry</a> café is open — “finally”.</p>"}


def _articles(db: str) -> list:
    store = open_store(db, create=False)
    try:
        return [a.to_article() for a in store.iter_articles(with_body=True)]
    finally:
        store.close()


def test_an_exported_archive_ingested_again_is_the_same_archive(store, tmp_path: Path, config: dict) -> None:
    archive, _ = demo_paths()
    extra = tmp_path / "extra.jsonl"
    extra.write_text(json.dumps(EXTRA, ensure_ascii=False) + "\n", encoding="utf-8")
    assert ingest(store, [archive, str(extra)], config=config).ok
    out = tmp_path / "archive.jsonl.gz"
    assert export_archive(store, str(out)) == 44
    copy = str(tmp_path / "copy.db")
    copy_store = open_store(copy)
    assert ingest(copy_store, [str(out)], config=config).added == 44
    assert copy_store.stats() == store.stats()
    copy_store.close()
    assert _articles(copy) == [a.to_article() for a in store.iter_articles(with_body=True)]
    with gzip.open(out, "rt", encoding="utf-8") as fh:
        last = json.loads(fh.readlines()[-1])
    assert last == EXTRA  # a record as it went in comes out as it was


def test_export_filters_and_a_bad_date(store, config: dict) -> None:
    archive, _ = demo_paths()
    ingest(store, [archive], config=config)
    transport = list(export_records(store, section="transport", since="2023-01-01"))
    assert transport and all(r["section"] == "transport" and r["published"] >= "2023-01-01" for r in transport)
    assert len(transport) < len(list(export_records(store, section="transport")))
    with pytest.raises(InputError, match="since 'someday' is not a date"):
        list(export_records(store, since="someday"))


def test_a_failed_export_leaves_no_file(demo_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(store, section=None, since=None):
        yield {"url": "https://harborledger.example/a/"}
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(archive_module, "export_records", failing)
    store = open_store(demo_db, create=False)
    with pytest.raises(OSError, match="No space left"):
        export_archive(store, str(tmp_path / "out.jsonl"))
    store.close()
    assert list(tmp_path.iterdir()) == []


def test_cli_export(demo_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["export", "--db", demo_db, "--section", "sports"]) == EXIT_OK
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in captured.out.splitlines()]
    assert lines and {r["section"] for r in lines} == {"sports"}
    assert f"{len(lines)} article(s) written" in captured.err
    out = tmp_path / "all.jsonl"
    assert run(["export", "--db", demo_db, "--out", str(out)]) == EXIT_OK
    assert f"43 article(s) written to {out}" in capsys.readouterr().out
    assert len(out.read_text(encoding="utf-8").splitlines()) == 43
    assert run(["export", "--db", demo_db, "--out", str(tmp_path / "missing" / "x.jsonl")]) == 2
    assert "cannot write there" in capsys.readouterr().err
