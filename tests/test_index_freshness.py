"""What the index does not know yet: articles ingested after it was built are named (stats, a notice
with every suggestion, /health), a draft's link to one is no "not found", and `linkdesk index
--no-train` takes them in within seconds, keeping the ranker as it was trained."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linkdesk.archive import archive_stats, withdraw_article
from linkdesk.batch import related_for_article
from linkdesk.cli import EXIT_OK, run
from linkdesk.config import load_config
from linkdesk.demo import demo_paths
from linkdesk.drafts import draft_from_record
from linkdesk.errors import IndexMissingError
from linkdesk.ingest import ingest
from linkdesk.store import Store, open_store
from linkdesk.suggest.pipeline import Suggester, index_archive, index_is_current
from linkdesk.web import create_app

from .conftest import asgi_call, build_demo_archive

NEW_URL = "https://harborledger.example/2025/11/night-ferry-pilot/"
NEW_TITLE = "Night ferry pilot carries its first riders across the harbor"
NEW_RECORD = {"url": NEW_URL, "title": NEW_TITLE, "published": "2025-11-20", "section": "transit",
              "body": "The night ferry pilot carried 212 riders on its first run, the port authority said."}
# a draft naming the new article by its title
NAMING = {"id": "naming", "published": "2025-11-25", "body": f"Ridership grew again. The {NEW_TITLE} story drew "
                                                              "letters from commuters."}
# a draft linking to it by hand, and to a page the archive never held
LINKING = {"id": "linking", "published": "2025-11-25",
           "body": f"Our [earlier report]({NEW_URL}) has the figures. A [missing page]"
                   "(https://harborledger.example/2031/none/) does not exist."}


def _ingest_new(store: Store, tmp_path: Path, record: dict = NEW_RECORD) -> None:
    path = tmp_path / "new.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    assert ingest(store, [str(path)], config=load_config()).ok


def _result(store: Store, record: dict = NAMING):
    return Suggester(store, load_config()).run(draft_from_record(record, "draft"))


def _not_found(result) -> list[str]:
    return [f.message for f in result.findings if f.rule == "internal-link-not-found"]


def test_an_article_ingested_after_the_index_is_named_until_index_no_train_takes_it_in(
        demo_store: Store, tmp_path: Path) -> None:
    before = archive_stats(demo_store)["index"]
    assert before["changed_since"] == 0 and before["articles"] == 43 and before["ranker"] == "fallback"
    trained_at = before["trained_at"]
    assert trained_at == before["read_at"]

    _ingest_new(demo_store, tmp_path)
    stale = archive_stats(demo_store)["index"]
    assert stale["changed_since"] == 1
    assert [(a["url"], a["title"]) for a in stale["newest_changed"]] == [(NEW_URL, NEW_TITLE)]
    result = _result(demo_store)
    assert NEW_URL not in {s.target_url for s in result.suggestions}
    notices = [f for f in result.findings if f.rule == "stale-index"]
    assert len(notices) == 1 and "1 article(s)" in notices[0].message and NEW_TITLE in notices[0].message
    # the link to the new article is to the archive; the one to a page it never held is still named
    not_found = _not_found(_result(demo_store, LINKING))
    assert len(not_found) == 1 and "2031/none/" in not_found[0]
    # its own related coverage is there already: it is read from the archive, not the index
    related = related_for_article(demo_store, Suggester(demo_store, load_config()), NEW_URL, 3).related
    assert related and any("ferry" in r.title.lower() for r in related)

    info = index_archive(demo_store, load_config(), train_ranker=False)
    assert info["ranker_trained"] is False and info["articles"] == 44
    fresh = archive_stats(demo_store)["index"]
    assert fresh["changed_since"] == 0 and fresh["articles"] == 44
    # the ranker is the one trained on the archive as it was; the index read it again
    assert (fresh["ranker"], fresh["threshold"], fresh["trained_at"]) == ("fallback", before["threshold"], trained_at)
    assert fresh["read_at"] > trained_at
    result = _result(demo_store)
    assert NEW_URL in {s.target_url for s in result.suggestions}
    assert not [f for f in result.findings if f.rule == "stale-index"]

    # a full index trains again, on the archive as it is now
    index_archive(demo_store, load_config())
    retrained = archive_stats(demo_store)["index"]
    assert retrained["trained_at"] == retrained["read_at"] > fresh["read_at"]


def test_the_kept_ranker_counts_follow_their_articles_when_positions_move(demo_store: Store) -> None:
    old = Suggester(demo_store, load_config())
    counts = {name: {old.index.urls[t]: n for t, n in getattr(old.ranker, name).items()}
              for name in ("target_offered", "target_linked", "target_named", "target_named_linked")}
    first = old.index.urls[0]
    assert counts["target_offered"].get(first)
    # the first article leaves the archive: every other one moves up a place in the new index
    withdraw_article(demo_store, first, "retracted")
    index_archive(demo_store, load_config(), train_ranker=False)
    new = Suggester(demo_store, load_config())
    assert new.index.size == old.index.size - 1 and new.index.urls[0] != first
    for name, by_url in counts.items():
        kept = {new.index.urls[t]: n for t, n in getattr(new.ranker, name).items()}
        assert kept == {url: n for url, n in by_url.items() if url != first}, name


def test_no_train_says_when_the_archive_has_come_to_hold_enough_links_to_train(demo_store: Store) -> None:
    assert index_archive(demo_store, load_config(), train_ranker=False)["retrain"] is None
    # the desk lowered the bar to 20 links (the demo archive has 29), or the archive grew past it
    enough = load_config(overrides={"suggest": {"min_training_links": 20}})
    info = index_archive(demo_store, enough, train_ranker=False)
    assert info["ranker"] == "fallback" and "29 internal links, enough to learn from" in info["retrain"]
    assert index_archive(demo_store, enough)["ranker"] == "trained"


def test_an_unchanged_ingest_leaves_the_index_current(demo_store: Store) -> None:
    archive, _ = demo_paths()
    report = ingest(demo_store, [archive], config=load_config())
    assert report.unchanged == 43 and report.added == report.updated == 0
    assert archive_stats(demo_store)["index"]["changed_since"] == 0
    assert not [f for f in _result(demo_store).findings if f.rule == "stale-index"]


def test_no_train_needs_a_ranker_to_keep(archive_path: str) -> None:
    store = open_store(archive_path)
    try:
        assert ingest(store, [demo_paths()[0]], config=load_config()).ok
        assert archive_stats(store)["index"] is None
        with pytest.raises(IndexMissingError, match=r"no ranker to keep \(--no-train\).*no index yet"):
            index_archive(store, load_config(), train_ranker=False)
    finally:
        store.close()


def test_cli_says_what_the_index_lacks_and_index_no_train_mends_it(tmp_path: Path, capsys) -> None:
    db = str(tmp_path / "demo.db")
    build_demo_archive(db)
    assert run(["stats", "--db", db]) == EXIT_OK
    out = capsys.readouterr().out
    assert "index: saved " in out and "43 articles; unsupervised scorer, default threshold" in out
    assert "added or changed since" not in out

    new = tmp_path / "new.jsonl"
    new.write_text(json.dumps(NEW_RECORD) + "\n", encoding="utf-8")
    assert run(["ingest", str(new), "--quiet", "--db", db]) == EXIT_OK
    assert run(["ingest", str(new), "--db", db]) == EXIT_OK
    assert "--no-train" not in capsys.readouterr().err  # nothing new the second time
    new.write_text(json.dumps({**NEW_RECORD, "body": NEW_RECORD["body"] + " More runs follow."}) + "\n")
    assert run(["ingest", str(new), "--db", db]) == EXIT_OK
    assert "`linkdesk index --no-train` keeps the ranker" in capsys.readouterr().err
    assert run(["stats", "--db", db]) == EXIT_OK
    out = capsys.readouterr().out
    assert "1 article(s) added or changed since, not suggested yet" in out and NEW_TITLE in out

    assert run(["index", "--no-train", "--db", db]) == EXIT_OK
    out = capsys.readouterr().out
    assert "indexed 44 articles" in out and "ranker kept (unsupervised fallback, on the archive as of " in out
    assert run(["stats", "--json", "--db", db]) == EXIT_OK
    index = json.loads(capsys.readouterr().out)["index"]
    assert index["changed_since"] == 0 and index["trained_at"] < index["read_at"]
    assert run(["stats", "--db", db]) == EXIT_OK
    out = capsys.readouterr().out
    assert "unsupervised scorer kept from the archive as of " in out and "(29 internal links then, 29 now)" in out


def test_a_running_server_names_new_articles_and_takes_in_the_new_index(tmp_path: Path) -> None:
    db = str(tmp_path / "demo.db")
    build_demo_archive(db)
    app = create_app(db, load_config(), index_check_seconds=0)
    health = asgi_call(app, "GET", "/health").json()
    assert not [n for n in health["notices"] if n["rule"] == "stale-index"]

    store = open_store(db)
    _ingest_new(store, tmp_path)
    health = asgi_call(app, "GET", "/health").json()
    assert [n["rule"] for n in health["notices"]].count("stale-index") == 1
    r = asgi_call(app, "POST", "/lint", json=LINKING)
    not_found = [f["message"] for f in r.json()["findings"] if f["rule"] == "internal-link-not-found"]
    assert len(not_found) == 1 and "2031/none/" in not_found[0]
    stats = asgi_call(app, "GET", "/stats").json()
    assert stats["index"]["changed_since"] == 1 and stats["index"]["newest_changed"][0]["url"] == NEW_URL

    index_archive(store, load_config(), train_ranker=False)
    store.close()
    suggested = asgi_call(app, "POST", "/suggest", json=NAMING).json()
    assert NEW_URL in {s["target_url"] for s in suggested["suggestions"]}
    assert asgi_call(app, "GET", "/health").json()["articles"] == 44


def test_a_cms_posts_what_it_publishes_and_a_bad_record_is_named(tmp_path: Path) -> None:
    db = str(tmp_path / "demo.db")
    build_demo_archive(db)
    app = create_app(db, load_config(), index_check_seconds=3600)
    records = [NEW_RECORD, {"url": "ftp://harborledger.example/x", "title": "Not a web page"},
               {**NEW_RECORD, "url": NEW_URL + "b/", "published": "the day after"}]
    r = asgi_call(app, "POST", "/articles", json=records)
    assert r.status_code == 200
    report = r.json()
    assert report["added"] == 1 and len(report["rejected"]) == 2
    assert report["rejected"][0].startswith("request record 2") and "'url'" in report["rejected"][0]
    assert report["rejected"][1].startswith("request record 3") and "published" in report["rejected"][1]
    # this instance takes it in at once: known to the lint, named as not suggested yet, related listed
    assert [n["rule"] for n in asgi_call(app, "GET", "/health").json()["notices"]].count("stale-index") == 1
    lint = asgi_call(app, "POST", "/lint", json=LINKING).json()["findings"]
    not_found = [f["message"] for f in lint if f["rule"] == "internal-link-not-found"]
    assert len(not_found) == 1 and "2031/none/" in not_found[0]
    assert asgi_call(app, "GET", "/related", params={"url": NEW_URL}).status_code == 200
    # posted again unchanged: nothing written
    assert asgi_call(app, "POST", "/articles", json=[NEW_RECORD]).json()["unchanged"] == 1


@pytest.mark.parametrize("bad,reason", [
    ({"title": "No address"}, "'url'"),
    ({"url": NEW_URL + "t/", "title": "Tags as a number", "tags": 5}, "tags"),
    ({"url": NEW_URL + "n/", "title": 7}, "'title'"),
    ({"url": NEW_URL + "b/", "title": "Body as a list", "body": ["a"]}, "'body'"),
    ("https://harborledger.example/just-an-address/", "JSON object"),
    (None, "JSON object"),
])
def test_a_record_of_the_wrong_shape_is_named_and_the_rest_go_in(tmp_path: Path, bad: object, reason: str) -> None:
    db = str(tmp_path / "demo.db")
    build_demo_archive(db)
    app = create_app(db, load_config(), index_check_seconds=3600)
    r = asgi_call(app, "POST", "/articles", json=[bad, NEW_RECORD])
    assert r.status_code == 200
    report = r.json()
    assert report["added"] == 1 and len(report["rejected"]) == 1
    assert report["rejected"][0].startswith("request record 1") and reason in report["rejected"][0]
    assert asgi_call(app, "GET", "/article", params={"url": NEW_URL}).status_code == 200


@pytest.mark.parametrize("body,field", [
    ({"url": NEW_URL, "title": "not a list"}, "body"),
    ([NEW_RECORD] * 501, "body"),
])
def test_a_request_that_is_not_a_list_of_records_is_refused_whole(demo_db: str, body: object, field: str) -> None:
    r = asgi_call(create_app(demo_db, load_config()), "POST", "/articles", json=body)
    assert r.status_code == 422 and field in r.json()["error"]["message"]


def test_index_if_changed_does_nothing_while_the_index_is_current(tmp_path: Path, capsys) -> None:
    db = str(tmp_path / "demo.db")
    build_demo_archive(db)
    store = open_store(db)
    try:
        assert index_is_current(store)
        saved = archive_stats(store)["index"]["saved"]
    finally:
        store.close()
    assert run(["index", "--if-changed", "--no-train", "--db", db]) == EXIT_OK
    assert "the index is current" in capsys.readouterr().out
    store = open_store(db)
    try:
        assert archive_stats(store)["index"]["saved"] == saved
        _ingest_new(store, tmp_path)
        assert not index_is_current(store)
    finally:
        store.close()
    assert run(["index", "--if-changed", "--no-train", "--json", "--db", db]) == EXIT_OK
    assert json.loads(capsys.readouterr().out)["articles"] == 44
    assert run(["index", "--if-changed", "--no-train", "--json", "--db", db]) == EXIT_OK
    assert json.loads(capsys.readouterr().out) == {"current": True}
    # the ranker was kept from the archive as it was: a training run still has work to do, once
    assert run(["index", "--if-changed", "--json", "--db", db]) == EXIT_OK
    assert json.loads(capsys.readouterr().out)["ranker_trained"] is True
    assert run(["index", "--if-changed", "--json", "--db", db]) == EXIT_OK
    assert json.loads(capsys.readouterr().out) == {"current": True}


def test_an_index_of_another_layout_or_library_is_not_current(demo_store: Store, monkeypatch) -> None:
    from linkdesk.index import linkindex

    assert index_is_current(demo_store)
    monkeypatch.setattr("linkdesk.suggest.pipeline.LAYOUT", "another feature list")
    assert not index_is_current(demo_store)
    monkeypatch.undo()
    monkeypatch.setattr(linkindex, "_model_library", lambda: "scikit-learn 0.0")
    assert not index_is_current(demo_store)
