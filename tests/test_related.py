"""Related coverage: the archive articles a box beside the draft lists, never those the draft links
or is suggested to link, nor itself, a withdrawn article or one the policy never suggests."""

from __future__ import annotations

import pytest

from linkdesk.config import load_config
from linkdesk.drafts import draft_from_record
from linkdesk.errors import ConfigError
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
