"""Outside addresses taken out of the source catalog (a retracted story): never suggested, skipped by
later adds, named by the lint, until the removal is forgotten; on both engines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linkdesk.cli import EXIT_ERROR, EXIT_OK, EXIT_REJECTED, run
from linkdesk.config import load_config
from linkdesk.demo import demo_paths, demo_sources
from linkdesk.drafts import draft_from_text
from linkdesk.errors import InputError, NotFoundError
from linkdesk.sources.catalog import add_sources, forget_removed_source, remove_sources
from linkdesk.store import Store, open_store
from linkdesk.suggest.pipeline import Suggester
from linkdesk.web import create_app

from .conftest import asgi_call, old_postgres_archive, old_sqlite_archive

NPR = "https://www.npr.org/2025/11/14/electric-ferry-delays-norway-washington"


def _draft() -> object:
    return draft_from_text(Path(demo_paths()[1]).read_text(encoding="utf-8"), "markdown", "draft.md")


def _outside(suggester: Suggester) -> set[str]:
    return {s.target_url for s in suggester.run(_draft()).suggestions if s.kind == "external"}


def test_a_removed_source_is_not_suggested_added_again_or_cited_unnoticed(demo_store: Store) -> None:
    running = Suggester(demo_store)  # as a server that was up before the removal
    assert NPR in _outside(running)
    [removed] = remove_sources(demo_store, [NPR], "retracted by the outlet")
    assert (removed.url, removed.reason) == (NPR, "retracted by the outlet")
    assert removed.title.startswith("Electric ferries run late")  # the catalog's headline, for the record
    assert NPR not in {item.url for item in demo_store.iter_sources()}
    assert NPR not in _outside(Suggester(demo_store))
    running.refresh(demo_store)
    assert NPR not in _outside(running)
    assert _outside(running), "the other sources are still offered"

    # a later poll of the feed or the archive's citations does not bring it back
    report = add_sources(demo_store, demo_sources(), load_config(), include_archive=True)
    assert report.ok and sum(n for why, n in report.skipped.items() if "removed from the catalog" in why) >= 1
    assert NPR not in {item.url for item in demo_store.iter_sources()}
    assert demo_store.source_stats()["removed"] == 1

    # a draft that cites it is told, with when and why
    cited = draft_from_text(f"Operators [reported delays]({NPR}) this year.", "markdown", "d.md")
    findings = [f for f in running.run(cited).findings if f.rule == "removed-source"]
    assert [(f.severity, f.start) for f in findings] == [("warning", 10)]
    assert "removed from the source catalog on " in findings[0].message and "(retracted by the outlet)" in \
        findings[0].message

    # removing twice keeps the first record; forgetting lets the next add take it in again
    assert remove_sources(demo_store, [NPR + "?utm_source=x"], "again") == [removed]
    assert forget_removed_source(demo_store, NPR) == removed
    running.refresh(demo_store)
    assert not [f for f in running.run(cited).findings if f.rule == "removed-source"]
    assert add_sources(demo_store, demo_sources(), load_config()).added == 1
    running.refresh(demo_store)
    assert NPR in _outside(running)
    with pytest.raises(NotFoundError, match="not removed from the source catalog"):
        forget_removed_source(demo_store, NPR)
    with pytest.raises(InputError, match="is not an http"):
        remove_sources(demo_store, ["npr.org/story"])


def test_an_address_not_in_the_catalog_is_kept_out_of_it(demo_store: Store, tmp_path: Path) -> None:
    wire = "https://wire.example/2025/11/ferry-battery-recall"
    [removed] = remove_sources(demo_store, [wire], "legal hold")
    assert removed.title == ""
    feed = tmp_path / "wire.jsonl"
    feed.write_text(json.dumps({"url": wire, "title": "Ferry battery recall", "outlet": "Wire"}) + "\n"
                    + json.dumps({"url": "https://wire.example/2025/11/other", "title": "Other news"}) + "\n")
    report = add_sources(demo_store, [str(feed)], load_config())
    assert report.added == 1
    assert wire not in {item.url for item in demo_store.iter_sources()}


def test_cli_moves_removals_between_archives(demo_store: Store, archive_path: str, tmp_path: Path, capsys) -> None:
    db = archive_path
    assert run(["sources", "remove", NPR, "--reason", "retracted", "--db", db]) == EXIT_OK
    assert f"removed: {NPR} (\"Electric ferries run late" in capsys.readouterr().out
    assert run(["sources", "remove", "--list", "--json", "--db", db]) == EXIT_OK
    listed = capsys.readouterr().out
    assert [json.loads(line)["url"] for line in listed.splitlines()] == [NPR]
    other = str(tmp_path / "other.db")
    open_store(other).close()  # an archive of its own, its catalog empty so far
    removals = tmp_path / "removals.txt"
    removals.write_text(listed + "# a takedown list\nhttps://wire.example/a\n\n{\"url\": 7}\nnot-an-address\n")
    assert run(["sources", "remove", "--from", str(removals), "--db", other, "--json"]) == EXIT_REJECTED
    captured = capsys.readouterr()
    assert f"linkdesk: {removals}:5: url: not a string" in captured.err
    assert f"linkdesk: {removals}:6: 'not-an-address' is not an http(s) address" in captured.err
    carried = {r["url"]: r for r in map(json.loads, captured.out.splitlines())}
    original = json.loads(listed)
    assert carried[NPR] == original  # reason, date and headline as the first archive had them
    assert carried["https://wire.example/a"]["reason"] == ""
    assert run(["sources", "stats", "--db", other]) == EXIT_OK
    assert "2 address(es) removed" in capsys.readouterr().out
    assert run(["sources", "remove", "--forget", NPR, "https://nope.example/x", "--db", other]) == EXIT_REJECTED
    captured = capsys.readouterr()
    assert f"may be added again: {NPR}" in captured.out
    assert "https://nope.example/x: not removed from the source catalog" in captured.err
    assert run(["sources", "remove", "--db", other]) == EXIT_ERROR
    assert "give the addresses" in capsys.readouterr().err


def test_archives_from_before_removals_gain_them(tmp_path: Path, pg_archive: str) -> None:
    path = str(tmp_path / "old.db")
    old_sqlite_archive(path, 7).close()
    old_postgres_archive(pg_archive, 3)
    for where in (path, pg_archive):
        store = open_store(where, create=False)
        try:
            assert store.removed_sources() == [] and store.source_stats()["removed"] == 0
            assert [r.url for r in remove_sources(store, [NPR])] == [NPR]
        finally:
            store.close()


def test_http_removes_and_forgets(demo_store: Store, archive_path: str) -> None:
    app = create_app(archive_path)
    record = {"id": "d1", "body": Path(demo_paths()[1]).read_text(encoding="utf-8")}

    def outside() -> set[str]:
        answer = asgi_call(app, "POST", "/suggest", json=record).json()
        return {s["target_url"] for s in answer["suggestions"] if s["kind"] == "external"}

    assert NPR in outside()
    removed = asgi_call(app, "POST", "/sources/remove", json={"url": NPR, "reason": "kill notice"})
    assert removed.status_code == 200 and removed.json()["reason"] == "kill notice"
    assert NPR not in outside()
    assert [r["url"] for r in asgi_call(app, "GET", "/sources/removed").json()] == [NPR]
    bad = asgi_call(app, "POST", "/sources/remove", json={"url": "npr.org/story"})
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, "bad_input")
    missing = asgi_call(app, "POST", "/sources/remove/forget", json={"url": "https://nope.example/x"})
    assert missing.status_code == 404
    assert asgi_call(app, "POST", "/sources/remove/forget", json={"url": NPR}).json()["url"] == NPR
    assert asgi_call(app, "GET", "/sources/removed").json() == []
