"""Related coverage: the archive articles a box beside the draft lists, never those the draft links
or is suggested to link, nor itself, a withdrawn article or one the policy never suggests."""

from __future__ import annotations

import json
import re

import pytest

from linkdesk.cli import EXIT_OK, EXIT_REJECTED, run
from linkdesk.config import load_config
from linkdesk.drafts import draft_from_record
from linkdesk.errors import ConfigError, NotFoundError
from linkdesk.suggest.pipeline import Suggester
from linkdesk.web import create_app

from .conftest import asgi_call

BRIDGE = {"id": "bridge", "published": "2025-12-01",
          "body": "Engineers closed the Tidewater Bridge deck for repairs again this week, as the replacement "
                  "funded by the federal grant is still years away. Drivers faced long detours, and the "
                  "county said the study of the deck's condition showed it needs replacing by 2030."}
BRIDGE_STUDY = "https://harborledger.example/2022/05/tidewater-bridge-study/"


def _draft(record: dict = BRIDGE):
    return draft_from_record(record, "draft")


def test_related_lists_the_articles_on_the_drafts_subject_best_first(suggester: Suggester) -> None:
    related = suggester.related(_draft(), 5)
    assert 0 < len(related) <= 5
    assert [r.score for r in related] == sorted((r.score for r in related), reverse=True)
    assert all("bridge" in r.title.lower() or "tidewater" in r.title.lower() for r in related[:2])
    assert all(r.score >= load_config()["related"]["min_score"] for r in related)
    assert all(r.reasons[0].startswith("on the same subject (text similarity ") for r in related)
    assert len({r.url for r in related}) == len(related)


def test_related_leaves_out_what_the_draft_links_what_it_is_suggested_and_itself(suggester: Suggester) -> None:
    alone = [r.url for r in suggester.related(_draft(), 10)]
    assert BRIDGE_STUDY in alone
    linking = {**BRIDGE, "body": BRIDGE["body"] + f" See [the study]({BRIDGE_STUDY})."}
    assert BRIDGE_STUDY not in [r.url for r in suggester.related(_draft(linking), 10)]
    assert BRIDGE_STUDY not in [r.url for r in suggester.related(_draft(), 10, linked=[BRIDGE_STUDY])]
    itself = {**BRIDGE, "url": BRIDGE_STUDY}
    assert BRIDGE_STUDY not in [r.url for r in suggester.related(_draft(itself), 10)]
    # what run() lists beside the draft are neither its suggestions nor its links
    result = suggester.run(_draft(), related=10)
    assert result.related is not None
    assert not {r.url for r in result.related} & {s.target_url for s in result.suggestions}


@pytest.mark.parametrize("setting", [{"never_suggest": ["/2022/05/*"]}, {"never_sections": ["Transport"]}])
def test_related_leaves_out_what_the_policy_never_suggests(demo_db: str, setting: dict) -> None:
    from linkdesk.store import open_store

    store = open_store(demo_db, create=False)
    try:
        suggester = Suggester(store, load_config(overrides={"policy": setting}))
    finally:
        store.close()
    assert BRIDGE_STUDY not in [r.url for r in suggester.related(_draft(), 10)]


def test_related_is_asked_for_and_has_a_floor(suggester: Suggester) -> None:
    assert suggester.run(_draft()).related is None and "related" not in suggester.run(_draft()).to_json()
    assert suggester.run(_draft(), related=0).related is None
    listed = suggester.run(_draft(), related=3).to_json()["related"]
    assert 0 < len(listed) <= 3 and set(listed[0]) == {"url", "title", "published", "score", "reasons"}
    # nothing in the archive is about this
    unrelated = {"id": "x", "body": "Quarterly cricket scores from the southern league were posted on Monday."}
    assert suggester.run(_draft(unrelated), related=3).related == []
    assert suggester.run(_draft({"id": "empty", "body": "  "}), related=3).related == []


def test_related_can_put_recent_coverage_first(demo_db: str) -> None:
    from datetime import date

    from linkdesk.store import open_store

    def listed(half_life: float) -> dict[str, tuple[float, list[str], str | None]]:
        store = open_store(demo_db, create=False)
        try:
            cfg = load_config(overrides={"related": {"min_score": 0.0, "half_life_days": half_life}})
            suggester = Suggester(store, cfg)
        finally:
            store.close()
        return {r.url: (r.score, r.reasons, r.published) for r in suggester.related(_draft(), 40)}

    plain, aged = listed(0.0), listed(365.0)
    draft_day = date.fromisoformat(BRIDGE["published"])
    compared = 0
    for url, (score, reasons, published) in aged.items():
        if url not in plain or plain[url][0] < 0.05:
            continue
        if published is None:
            assert score == plain[url][0] and not any("days apart" in r for r in reasons)
            continue
        apart = abs((draft_day - date.fromisoformat(published[:10])).days)
        assert score == pytest.approx(plain[url][0] * 0.5 ** (apart / 365), rel=0.01, abs=2e-4)
        assert f"published {apart} days apart (scores halve every 365 days)" in reasons
        compared += 1
    assert compared >= 3
    # a short half-life puts the newest of the bridge coverage ahead of older, closer matches
    newest_first = [u for u, (_, _, published) in sorted(listed(30.0).items(), key=lambda kv: -kv[1][0]) if published]
    by_text = [u for u, (_, _, published) in sorted(plain.items(), key=lambda kv: -kv[1][0]) if published]
    assert newest_first[:3] != by_text[:3]


def test_related_count_comes_from_the_configuration_and_is_checked() -> None:
    assert load_config(overrides={"related": {"count": 4}})["related"]["count"] == 4
    with pytest.raises(ConfigError, match=r"related\.min_score"):
        load_config(overrides={"related": {"min_score": -1}})


def test_http_suggest_lists_related_coverage_when_asked(demo_db: str, suggester: Suggester) -> None:
    app = create_app(demo_db, load_config())
    plain = asgi_call(app, "POST", "/suggest", json=BRIDGE)
    assert plain.status_code == 200 and "related" not in plain.json()
    asked = asgi_call(app, "POST", "/suggest", params={"related": 3}, json=BRIDGE)
    assert asked.status_code == 200
    assert asked.json()["related"] == suggester.run(_draft(), related=3).to_json()["related"]
    assert asgi_call(app, "POST", "/suggest", params={"related": 51}, json=BRIDGE).status_code == 422


FARES = "https://harborledger.example/2022/02/ferry-fare-freeze/"
# an article that links FARES
TERMINAL = "https://harborledger.example/2022/04/eastbank-ferry-terminal/"


def test_an_archive_articles_related_coverage_is_neither_itself_nor_what_it_links(demo_db: str,
                                                                                 suggester: Suggester) -> None:
    from linkdesk.batch import related_for_article
    from linkdesk.store import open_store

    store = open_store(demo_db, create=False)
    try:
        terminal = store.get_article(TERMINAL)
        study = related_for_article(store, suggester, BRIDGE_STUDY, 10)
        linking = related_for_article(store, suggester, TERMINAL, 10)
        with pytest.raises(NotFoundError, match="not in the archive"):
            related_for_article(store, suggester, "https://harborledger.example/2031/none/")
    finally:
        store.close()
    assert study.related and BRIDGE_STUDY not in {r.url for r in study.related}
    # newer coverage of the same story is related too: a see-also box on an old page points forward
    assert any((r.published or "") > "2022-05" for r in study.related)
    # the terminal story links the fares story: with that link taken out of its text, the fares story is
    # the one related to it
    assert FARES not in {r.url for r in linking.related}
    unlinked = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", terminal.body)
    assert FARES in [r.url for r in suggester.related(_draft({"id": "t", "title": terminal.title, "body": unlinked}),
                                                      10)]


def test_cli_related_for_some_articles_and_for_the_archive(demo_db: str, capsys) -> None:
    assert run(["related", BRIDGE_STUDY, "https://harborledger.example/2031/none/", "--count", "3", "--json",
                "--db", demo_db]) == EXIT_REJECTED
    out, err = capsys.readouterr()
    one = json.loads(out)
    assert one["url"] == BRIDGE_STUDY and 0 < len(one["related"]) <= 3
    assert "2031/none/: not in the archive" in err

    assert run(["related", "--json", "--count", "3", "--db", demo_db]) == EXIT_OK
    out, err = capsys.readouterr()
    every = [json.loads(line) for line in out.splitlines()]
    assert len(every) == 43 and "43 article(s) read" in err
    # the batch answers for each article as the question about it alone does
    assert next(item for item in every if item["url"] == BRIDGE_STUDY) == one
    assert run(["related", BRIDGE_STUDY, "--limit", "3", "--db", demo_db]) == 2
    assert "give addresses or those" in capsys.readouterr().err


@pytest.mark.slow
def test_related_over_processes_gives_the_same_answer(demo_db: str) -> None:
    from linkdesk.batch import related_in_archive

    one = [item.to_json() for item in related_in_archive(demo_db, load_config(), count=4)]
    two = [item.to_json() for item in related_in_archive(demo_db, load_config(), count=4, jobs=2)]
    assert one == two and len(one) == 43


def test_http_related_answers_as_the_library(demo_db: str) -> None:
    app = create_app(demo_db, load_config())
    r = asgi_call(app, "GET", "/related", params={"url": FARES, "count": 2})
    assert r.status_code == 200
    body = r.json()
    assert body["url"] == FARES and 0 < len(body["related"]) <= 2
    assert FARES not in {x["url"] for x in body["related"]}
    missing = asgi_call(app, "GET", "/related", params={"url": "https://harborledger.example/2031/none/"})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert asgi_call(app, "GET", "/related", params={"url": FARES, "count": 0}).status_code == 422


def test_cli_suggest_lists_related_coverage_when_asked(demo_db: str, tmp_path, capsys) -> None:
    draft = tmp_path / "bridge.md"
    draft.write_text(BRIDGE["body"], encoding="utf-8")
    assert run(["suggest", str(draft), "--db", demo_db]) == EXIT_OK
    assert "related coverage" not in capsys.readouterr().out
    assert run(["suggest", str(draft), "--related", "2", "--db", demo_db]) == EXIT_OK
    out = capsys.readouterr().out
    listed = out[out.index("related coverage (for a box beside the draft):"):].splitlines()[1:]
    assert 0 < len(listed) <= 2 and all("(on the same subject (text similarity " in line for line in listed)
    assert run(["suggest", str(draft), "--related", "2", "--json", "--db", demo_db]) == EXIT_OK
    assert [r["title"] in out for r in json.loads(capsys.readouterr().out)["related"]] == [True] * len(listed)
