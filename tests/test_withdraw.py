"""Withdrawing articles from the archive (retracted, unpublished, removed on legal advice): gone from
the store and from every suggestion at once, kept out of later ingests, and named wherever a text
still links to them; restored on request."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linkdesk.archive import describe_article, restore_article, withdraw_article
from linkdesk.check import check_archive
from linkdesk.cli import EXIT_OK, EXIT_REJECTED, run
from linkdesk.config import load_config
from linkdesk.demo import demo_paths
from linkdesk.drafts import draft_from_record
from linkdesk.errors import NotFoundError
from linkdesk.ingest import ingest
from linkdesk.store import Store, open_store
from linkdesk.suggest.inbound import inbound_links
from linkdesk.suggest.pipeline import Draft, Suggester, index_archive
from linkdesk.text.normalize import url_key
from linkdesk.web import create_app

from .conftest import asgi_call as _call
from .conftest import build_demo_archive, old_postgres_archive, old_sqlite_archive

FARES = "https://harborledger.example/2022/02/ferry-fare-freeze/"
FARES_TITLE = "Harbor ferry fares frozen for another year"
# the two demo articles that link to FARES
LINKING = ["https://harborledger.example/2022/04/eastbank-ferry-terminal/",
           "https://harborledger.example/2025/06/ferry-ridership-record/"]
LAUNCH = "https://harborledger.example/2025/04/electric-ferry-launch/"


def _demo_draft() -> Draft:
    return draft_from_record({"id": "draft.md", "body": Path(demo_paths()[1]).read_text(encoding="utf-8")}, "draft")


def _targets(suggester: Suggester, draft: Draft) -> set[str]:
    return {s.target_url for s in suggester.run(draft).suggestions}


def test_a_withdrawn_article_leaves_the_archive_and_names_who_links_to_it(demo_store: Store) -> None:
    w = withdraw_article(demo_store, FARES, "retracted: the fare figures were wrong")
    assert (w.url, w.title, w.reason) == (FARES, FARES_TITLE, "retracted: the fare figures were wrong")
    assert [a["url"] for a in w.linked_from] == LINKING
    assert demo_store.get_article(FARES) is None
    assert demo_store.count_articles() == 42
    # gone from full-text search too, on either engine
    assert demo_store.search(["fares frozen"]) == []
    stats = demo_store.stats()
    assert stats["withdrawn"] == 1 and FARES not in [m["url"] for m in stats["most_linked"]]
    # the links to it stay in the articles that make them, leading nowhere now
    terminal = demo_store.get_article(LINKING[0])
    assert [link["target_url"] for link in demo_store.article_links(terminal.id) if link["href"] == FARES] == [None]
    with pytest.raises(NotFoundError, match=r"withdrawn from the archive on \d{4}-\d\d-\d\d \(retracted"):
        describe_article(demo_store, FARES)


def test_withdrawing_twice_gives_the_first_withdrawal_and_an_unknown_address_is_not_found(demo_store: Store) -> None:
    first = withdraw_article(demo_store, FARES, "retracted")
    again = withdraw_article(demo_store, FARES.rstrip("/") + "?utm_source=cms", "a retry from the CMS")
    assert (again.withdrawn_at, again.reason) == (first.withdrawn_at, "retracted")
    with pytest.raises(NotFoundError, match="2031/no-such-story/: not in the archive"):
        withdraw_article(demo_store, "https://harborledger.example/2031/no-such-story/")
    with pytest.raises(NotFoundError, match="no withdrawn article had this address"):
        restore_article(demo_store, LAUNCH)


def test_an_export_that_still_holds_it_does_not_bring_it_back_until_it_is_restored(demo_store: Store) -> None:
    withdraw_article(demo_store, FARES, "unpublished")
    report = ingest(demo_store, [demo_paths()[0]], config=load_config())
    assert report.ok and report.skipped == {"withdrawn from the archive": 1} and report.unchanged == 42
    assert any(FARES in w and "withdrawn" in w for w in report.warnings)
    assert demo_store.get_article(FARES) is None

    assert restore_article(demo_store, FARES).url == FARES
    assert demo_store.withdrawn() == [] and demo_store.stats()["withdrawn"] == 0
    report = ingest(demo_store, [demo_paths()[0]], config=load_config())
    assert (report.added, report.skipped) == (1, {})
    # the links to it resolve again
    assert demo_store.inbound_count(demo_store.get_article(FARES).id) == 2


def test_an_article_withdrawn_by_an_alias_keeps_all_its_addresses_out(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "a.db"))
    record = {"url": "https://n.example/2024/05/story/", "title": "Story", "body": "Text.",
              "aliases": ["/old/story.html"]}
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    assert ingest(store, [str(path)], config=load_config()).added == 1
    assert withdraw_article(store, "https://n.example/old/story.html").url == record["url"]
    moved = {**record, "url": "https://n.example/old/story.html", "aliases": []}
    path.write_text(json.dumps(moved) + "\n", encoding="utf-8")
    assert ingest(store, [str(path)], config=load_config()).skipped == {"withdrawn from the archive": 1}
    store.close()


def test_suggestions_leave_it_out_at_once_without_a_new_index(demo_store: Store) -> None:
    draft = _demo_draft()
    assert FARES in _targets(Suggester(demo_store, load_config()), draft)
    withdraw_article(demo_store, FARES)
    suggester = Suggester(demo_store, load_config())
    assert FARES in suggester.index.urls  # the index predates the withdrawal
    assert FARES not in _targets(suggester, draft)
    # nor does a note asking for it resolve to it
    assert {n.resolved.target_url for n in suggester.notes(draft) if n.resolved and n.kind == "internal"} == {LAUNCH}
    withdraw_article(demo_store, LAUNCH)
    suggester = Suggester(demo_store, load_config())
    assert LAUNCH not in {n.resolved.target_url for n in suggester.notes(draft) if n.resolved}
    with pytest.raises(NotFoundError, match="withdrawn from the archive"):
        inbound_links(demo_store, suggester, FARES)
    index_archive(demo_store, load_config())
    suggester = Suggester(demo_store, load_config())
    assert FARES not in suggester.index.urls and FARES not in _targets(suggester, draft)


def test_a_link_to_it_is_a_lint_error_in_drafts_and_in_the_archive(demo_store: Store) -> None:
    withdraw_article(demo_store, FARES, "retracted")
    suggester = Suggester(demo_store, load_config())
    body = f"Fares were [frozen]({FARES}) last year."
    draft = draft_from_record({"body": body}, "draft")
    findings = [f for f in suggester.run(draft).findings if f.rule == "withdrawn-link"]
    assert len(findings) == 1 and findings[0].severity == "error"
    assert f'"{FARES_TITLE}", withdrawn from the archive on' in findings[0].message
    assert "(retracted)" in findings[0].message
    assert body[findings[0].start:findings[0].end] == f"[frozen]({FARES})"
    checked = {c.url for c in check_archive(demo_store.path, load_config(), rules=["withdrawn-link"]) if c.findings}
    assert checked == set(LINKING)


def test_cli_withdraw_list_and_restore(demo_store: Store, archive_path: str, tmp_path: Path, capsys) -> None:
    listing = tmp_path / "takedown.txt"
    listing.write_text(f"# legal, 2026-11-30\n{FARES}\n\nhttps://harborledger.example/2031/none/\n", encoding="utf-8")
    assert run(["withdraw", "--from", str(listing), "--reason", "legal", "--db", archive_path]) == EXIT_REJECTED
    out, err = capsys.readouterr()
    assert f"withdrawn: {FARES_TITLE}  <{FARES}>" in out and "still linked from 2 archive article(s)" in out
    assert "2031/none/: not in the archive" in err

    assert run(["withdraw", "--list", "--json", "--db", archive_path]) == EXIT_OK
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(w["url"], w["reason"], len(w["linked_from"])) for w in listed] == [(FARES, "legal", 2)]
    assert run(["check", "--rule", "withdrawn-link", "--db", archive_path]) == EXIT_REJECTED
    assert "withdrawn-link: 2 in 2 article(s)" in capsys.readouterr().out

    assert run(["withdraw", "--db", archive_path]) == 2
    assert "give the addresses" in capsys.readouterr().err
    assert run(["restore", FARES, "--db", archive_path]) == EXIT_OK
    assert "ingest the article again" in capsys.readouterr().out
    assert run(["withdraw", "--list", "--db", archive_path]) == EXIT_OK
    assert capsys.readouterr().out == ""


def test_http_withdraw_takes_effect_at_once_here_and_soon_in_other_processes(tmp_path: Path) -> None:
    db = str(tmp_path / "demo.db")
    build_demo_archive(db)
    record = {"body": Path(demo_paths()[1]).read_text(encoding="utf-8")}
    here = create_app(db, load_config(), index_check_seconds=3600)
    # another instance of the service over the same archive, which looks for changes on every request
    there = create_app(db, load_config(), index_check_seconds=0)
    for app in (here, there):
        assert FARES in {s["target_url"] for s in _call(app, "POST", "/suggest", json=record).json()["suggestions"]}

    r = _call(here, "POST", "/withdraw", json={"url": FARES, "reason": "retracted"})
    assert r.status_code == 200
    assert r.json()["title"] == FARES_TITLE and [a["url"] for a in r.json()["linked_from"]] == LINKING
    for app in (here, there):
        assert FARES not in {s["target_url"] for s in _call(app, "POST", "/suggest", json=record).json()["suggestions"]}
    assert [w["url"] for w in _call(here, "GET", "/withdrawn").json()] == [FARES]
    r = _call(here, "GET", "/article", params={"url": FARES})
    assert r.status_code == 404 and "withdrawn from the archive" in r.json()["error"]["message"]
    assert _call(here, "GET", "/stats").json()["withdrawn"] == 1
    r = _call(here, "POST", "/withdraw", json={"url": "https://harborledger.example/2031/none/"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert _call(here, "POST", "/withdraw", json={"reason": "no address"}).status_code == 422

    assert _call(here, "POST", "/restore", json={"url": FARES}).status_code == 200
    assert _call(there, "GET", "/withdrawn").json() == []


def test_an_archive_from_before_withdrawals_gains_them(tmp_path: Path) -> None:
    path = str(tmp_path / "old.db")
    old_sqlite_archive(path, 5).close()
    store = open_store(path, create=False)
    assert (store.withdrawn(), store.changed("withdrawals"), store.stats()["withdrawn"]) == ([], None, 0)
    store.close()


def test_a_postgres_archive_from_before_withdrawals_gains_them(pg_archive: str) -> None:
    old_postgres_archive(pg_archive, 1)
    store = open_store(pg_archive, create=False)
    assert (store.withdrawn(), store.changed("withdrawals"), store.stats()["withdrawn"]) == ([], None, 0)
    store.close()


def test_an_address_the_archive_does_not_hold_is_kept_out_on_request(demo_store: Store, tmp_path: Path) -> None:
    story = "https://harborledger.example/2026/01/pulled-story/"
    with pytest.raises(NotFoundError, match="not in the archive"):
        withdraw_article(demo_store, story, "legal")
    kept = withdraw_article(demo_store, story, "legal", keep_out=True)
    assert (kept.url, kept.title, kept.reason, kept.addresses) == (story, "", "legal", [url_key(story)])
    # the export that still holds it, at another spelling of its address, does not bring it in
    path = tmp_path / "late.jsonl"
    path.write_text(json.dumps({"url": "http://www.harborledger.example/2026/01/pulled-story", "title": "Pulled",
                                "body": "Text."}) + "\n", encoding="utf-8")
    assert ingest(demo_store, [str(path)], config=load_config()).skipped == {"withdrawn from the archive": 1}
    # and a link to it is named for what it is
    draft = draft_from_record({"body": f"See [the story]({story})."}, "draft")
    [finding] = [f for f in Suggester(demo_store, load_config()).run(draft).findings if f.rule == "withdrawn-link"]
    assert f"leads to {story}, withdrawn from the archive on" in finding.message and "(legal)" in finding.message


def test_withdrawals_move_to_another_archive_with_their_reasons(tmp_path: Path, capsys) -> None:
    pulled = "https://harborledger.example/2026/01/pulled-story/"
    old, moved, fresh = (str(tmp_path / name) for name in ("old.db", "moved.db", "fresh.db"))
    for db in (old, moved):
        assert run(["ingest", demo_paths()[0], "--quiet", "--db", db]) == EXIT_OK
    open_store(fresh).close()
    assert run(["withdraw", FARES, "--reason", "retracted", "--db", old]) == EXIT_OK
    assert run(["withdraw", pulled, "--reason", "legal", "--db", old]) == EXIT_REJECTED
    assert run(["withdraw", pulled, "--reason", "legal", "--keep-out", "--db", old]) == EXIT_OK
    capsys.readouterr()
    assert run(["withdraw", "--list", "--json", "--db", old]) == EXIT_OK
    listing = tmp_path / "withdrawn.jsonl"
    listing.write_text(capsys.readouterr().out + "{\"title\": \"no address\"}\n", encoding="utf-8")
    before = {w["url"]: w for w in map(json.loads, listing.read_text(encoding="utf-8").splitlines()[:2])}

    # an archive that still holds the story (the CMS export ingested before the move) and an empty one
    for db in (moved, fresh):
        assert run(["withdraw", "--from", str(listing), "--db", db]) == EXIT_REJECTED
        assert f"{listing}:3: url: missing" in capsys.readouterr().err
        store = open_store(db)
        after = {w.url: w for w in store.withdrawn()}
        assert set(after) == {FARES, pulled} and store.get_article(FARES) is None
        assert {u: w.reason for u, w in after.items()} == {FARES: "retracted", pulled: "legal"}
        assert after[pulled].withdrawn_at == before[pulled]["withdrawn_at"]
        store.close()
    assert run(["ingest", demo_paths()[0], "--json", "--db", fresh]) == EXIT_OK
    report = json.loads(capsys.readouterr().out)
    assert report["added"] == 42 and report["skipped"] == {"withdrawn from the archive": 1}
