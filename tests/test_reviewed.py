"""Applying a review: the suggestions an editor kept from `suggest --json` (or /suggest) are inserted
exactly as reviewed, checked against the draft, without asking the archive again."""

from __future__ import annotations

import html
import itertools
import json
import re
from pathlib import Path
from typing import Any

import pytest

from linkdesk.cli import EXIT_ERROR, EXIT_OK, run
from linkdesk.demo import demo_paths
from linkdesk.drafts import draft_from_text
from linkdesk.errors import BadRecordError, InputError
from linkdesk.reviewed import review_for, reviewed_records, reviewed_result
from linkdesk.store import open_store
from linkdesk.suggest.pipeline import Draft, Suggester, apply_result, article_draft
from linkdesk.text.parse import parse
from linkdesk.web import create_app

from .conftest import asgi_call


def _demo_source() -> str:
    return Path(demo_paths()[1]).read_text(encoding="utf-8")


def _as_html(source: str) -> str:
    # entities in the text, so that anchors and source offsets differ
    paragraphs = [html.escape(p).replace("ferry", "f&#101;rry") for p in source.split("\n\n") if p.strip()]
    return "".join(f"<p>{p}</p>\n" for p in paragraphs)


DRAFTS = {"markdown": (_demo_source, "markdown"), "html": (lambda: _as_html(_demo_source()), "html"),
          "text": (_demo_source, "text")}


@pytest.fixture(params=sorted(DRAFTS))
def reviewed_draft(request: pytest.FixtureRequest, suggester: Suggester) -> tuple[Draft, Any]:
    make, fmt = DRAFTS[request.param]
    draft = draft_from_text(make(), fmt, f"draft.{fmt}")
    result = suggester.run(draft)
    assert result.suggestions, "the demo draft gets suggestions in every format"
    return draft, result


def test_every_subset_of_a_review_applies_as_keeping_it(reviewed_draft: tuple[Draft, Any]) -> None:
    draft, result = reviewed_draft
    review = json.loads(json.dumps(result.to_json()))  # as it comes back from a file or a CMS
    n = len(result.suggestions)
    for size in range(n + 1):
        for kept in itertools.combinations(range(n), size):
            chosen = {**review, "suggestions": [review["suggestions"][i] for i in kept]}
            applied = reviewed_result(draft, chosen)
            expected = result.keeping(kept)
            assert apply_result(draft, applied) == apply_result(draft, expected)
            assert [p.resolved is not None for p in applied.placeholders] == \
                   [p.resolved is not None for p in expected.placeholders]


def test_archive_articles_reviewed_as_relink_offers_them(suggester: Suggester, demo_db: str) -> None:
    store = open_store(demo_db, create=False)
    try:
        articles = list(store.iter_articles(with_body=True))
    finally:
        store.close()
    applied = 0
    for article in articles:
        draft = article_draft(article)
        result = suggester.run(draft)
        review = json.loads(json.dumps({"url": article.url, **result.to_json()}))
        assert apply_result(draft, reviewed_result(draft, review)) == apply_result(draft, result)
        applied += len(result.suggestions)
    assert applied, "some demo article can carry a link"


def _review(suggester: Suggester) -> tuple[Draft, dict[str, Any]]:
    draft = draft_from_text(_demo_source(), "markdown", "draft.md")
    return draft, json.loads(json.dumps(suggester.run(draft).to_json()))


def test_a_draft_edited_after_its_review_is_refused(suggester: Suggester) -> None:
    draft, review = _review(suggester)
    first = review["suggestions"][0]
    edited = draft_from_text("A new first line.\n\n" + draft.doc.source, "markdown", "draft.md")
    with pytest.raises(BadRecordError) as err:
        reviewed_result(edited, review, "review.json:1")
    assert str(err.value).startswith("review.json:1: suggestions[0]: the text reads ")
    assert f"not the anchor {first['anchor']!r}: was it edited after the review?" in str(err.value)


def _changed(review: dict[str, Any], change: dict[str, Any], index: int = 0, part: str = "suggestions") -> dict:
    items = [dict(x) for x in review[part]]
    items[index].update(change)
    items[index] = {k: v for k, v in items[index].items() if v is not _GONE}
    return {**review, part: items}


_GONE = object()


@pytest.mark.parametrize(("change", "message"), [
    ({"start": True}, "suggestions[0]: start: not a whole number"),
    ({"start": 10**6, "end": 10**6 + 3}, "suggestions[0]: offsets 1000000-1000003 are outside the draft"),
    ({"end": _GONE}, "suggestions[0]: end: missing"),
    ({"kind": "outside"}, "suggestions[0]: kind: 'outside' is neither 'internal' nor 'external'"),
    ({"target_url": "javascript:alert(1)"}, "suggestions[0]: target_url: 'javascript:alert(1)' is not a web address"),
    ({"anchor": "Something else"}, "suggestions[0]: the text reads "),
    ({"score": "high"}, "suggestions[0]: score: not a number"),
])
def test_bad_suggestions_are_named(suggester: Suggester, change: dict, message: str) -> None:
    draft, review = _review(suggester)
    with pytest.raises(BadRecordError) as err:
        reviewed_result(draft, _changed(review, change), "r.json:1")
    assert str(err.value).startswith("r.json:1: " + message)


def test_overlapping_and_misplaced_links_are_refused(suggester: Suggester) -> None:
    draft, review = _review(suggester)
    s = review["suggestions"][0]
    # the same words twice, to two places: one link per place
    twice = {**review, "suggestions": [s, {**s, "target_url": "https://harborledger.example/other/"}]}
    with pytest.raises(BadRecordError, match=r"suggestions\[0\] and suggestions\[1\] overlap"):
        reviewed_result(draft, twice)
    linked = draft_from_text("See the [Northgate Shipyard story](https://harborledger.example/x/) today.",
                             "markdown", "d.md")
    inside = {"suggestions": [{"kind": "internal", "anchor": "Northgate Shipyard", "start": 9, "end": 27,
                               "target_url": "https://harborledger.example/y/"}]}
    with pytest.raises(BadRecordError, match=re.escape("inside the draft's own link to https://harborledger.example/x/")):
        reviewed_result(linked, inside)
    for bad, message in [([], "not a JSON object"), ({"placeholders": []}, "suggestions: missing"),
                         ({"suggestions": {}}, "suggestions: not a list"),
                         ({"suggestions": [7]}, "suggestions[0]: not a JSON object")]:
        with pytest.raises(BadRecordError, match=re.escape(message)):
            reviewed_result(draft, bad)


def test_a_note_goes_only_with_its_kept_resolution(suggester: Suggester) -> None:
    draft, review = _review(suggester)
    assert all(p["resolved"] for p in review["placeholders"])
    kept = {**review, "suggestions": [s for s in review["suggestions"] if s != review["placeholders"][0]["resolved"]]}
    result = reviewed_result(draft, kept)
    assert result.placeholders[0].resolved is None and result.placeholders[1].resolved is not None
    out = apply_result(draft, result)
    assert review["placeholders"][0]["text"] in out and review["placeholders"][1]["text"] not in out
    # a hand-made link inside a note that goes would be cut with it
    note = review["placeholders"][1]
    inside = {"kind": "internal", "anchor": note["text"][1:9], "start": note["start"] + 1, "end": note["start"] + 9,
              "target_url": "https://harborledger.example/x/"}
    with pytest.raises(BadRecordError, match=r"suggestions\[\d\] \('.*'\) lies in placeholders\[1\]"):
        reviewed_result(draft, {**review, "suggestions": [*review["suggestions"], inside]})
    moved = _changed(review, {"start": review["placeholders"][0]["start"] + 1}, part="placeholders")
    with pytest.raises(BadRecordError, match=r"placeholders\[0\]: the draft does not hold this note"):
        reviewed_result(draft, moved)


def test_review_for_finds_the_draft_by_its_id(tmp_path: Path) -> None:
    draft = draft_from_text("Harbor news.", "markdown", "b.md")
    path = tmp_path / "reviews.jsonl"
    path.write_text(json.dumps({"id": "a.md", "suggestions": []}) + "\n"
                    + json.dumps({"id": "b.md", "suggestions": [], "placeholders": []}) + "\n")
    assert review_for(str(path), draft) == (f"{path}:2", {"id": "b.md", "suggestions": [], "placeholders": []})
    with pytest.raises(InputError, match=r"no review of 'c.md' \(it reviews 'a.md', 'b.md'\)"):
        review_for(str(path), draft_from_text("x", "markdown", "c.md"))
    path.write_text(json.dumps({"suggestions": []}) + "\n")
    assert review_for(str(path), draft)[1] == {"suggestions": []}
    # pretty-printed to be edited by hand: one review, or a list of them
    path.write_text(json.dumps({"id": "b.md", "suggestions": []}, indent=2))
    assert review_for(str(path), draft) == (str(path), {"id": "b.md", "suggestions": []})
    path.write_text(json.dumps([{"id": "a.md", "suggestions": []}, {"id": "b.md", "suggestions": [7]}], indent=1))
    assert review_for(str(path), draft) == (f"{path}: item 2", {"id": "b.md", "suggestions": [7]})
    path.write_text(json.dumps({"id": "b.md", "suggestions": []}) + "\n{oops\n")
    with pytest.raises(InputError, match=f"{path}:2: malformed JSON"):
        review_for(str(path), draft)
    path.write_text(json.dumps({"id": "b.md"}) + "\n")
    with pytest.raises(InputError, match=f"{path}:1: suggestions: missing"):
        review_for(str(path), draft)


def test_cli_applies_a_review_without_an_archive(suggester: Suggester, demo_db: str, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    draft_path = tmp_path / "draft.md"
    draft_path.write_text(_demo_source(), encoding="utf-8")
    assert run(["suggest", str(draft_path), "--json", "--db", demo_db]) == EXIT_OK
    line = json.loads(capsys.readouterr().out)
    line["suggestions"] = [s for s in line["suggestions"] if s["kind"] == "internal"]
    review = tmp_path / "review.json"
    review.write_text(json.dumps(line) + "\n")
    # no archive anywhere: the review is all it needs
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LINKDESK_DB", raising=False)
    out = tmp_path / "out.md"
    assert run(["apply", str(draft_path), "--reviewed", str(review), "--out", str(out)]) == EXIT_OK
    printed = capsys.readouterr()
    assert f"wrote {out}: {len(line['suggestions'])} link(s) inserted" in printed.out
    draft = draft_from_text(_demo_source(), "markdown", "draft.md")
    assert out.read_text() == apply_result(draft, reviewed_result(draft, line))
    assert "unresolved external note left in place" in printed.err
    assert run(["apply", str(draft_path), "--reviewed", str(review), "--out", str(out), "--threshold", "0.5"]) \
        == EXIT_ERROR
    assert "--threshold and --max-links do not apply" in capsys.readouterr().err
    line["suggestions"][0]["start"] += 1
    review.write_text(json.dumps(line) + "\n")
    assert run(["apply", str(draft_path), "--reviewed", str(review), "--out", str(out)]) == EXIT_ERROR
    assert f"{review}:1: suggestions[0]: the text reads" in capsys.readouterr().err


def test_http_apply_reviewed(suggester: Suggester, demo_db: str) -> None:
    app = create_app(demo_db)
    record = {"id": "d1", "body": _demo_source(), "format": "markdown"}
    suggested = asgi_call(app, "POST", "/suggest", json=record).json()
    kept = [0, 2]
    body = {"draft": record, "suggestions": [suggested["suggestions"][i] for i in kept],
            "placeholders": suggested["placeholders"]}
    got = asgi_call(app, "POST", "/apply/reviewed", json=body)
    assert got.status_code == 200, got.text
    by_keep = asgi_call(app, "POST", "/apply?keep=0,2", json=record).json()
    assert got.json()["body"] == by_keep["body"]
    assert got.json()["suggestions"] == by_keep["suggestions"]
    body["suggestions"][0] = {**body["suggestions"][0], "anchor": "not in the draft"}
    bad = asgi_call(app, "POST", "/apply/reviewed", json=body)
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "bad_record"
    assert "suggestions[0]: the text reads" in bad.json()["error"]["message"]


def test_a_kept_link_to_what_was_withdrawn_since_is_refused(demo_store, archive_path: str, tmp_path: Path,
                                                            capsys) -> None:
    app = create_app(archive_path)
    record = {"id": "d1", "body": _demo_source(), "format": "markdown"}
    suggested = asgi_call(app, "POST", "/suggest", json=record).json()
    internal = next(i for i, s in enumerate(suggested["suggestions"]) if s["kind"] == "internal")
    target = suggested["suggestions"][internal]["target_url"]
    body = {"draft": record, "suggestions": suggested["suggestions"], "placeholders": suggested["placeholders"]}
    assert asgi_call(app, "POST", "/apply/reviewed", json=body).status_code == 200
    assert asgi_call(app, "POST", "/withdraw", json={"url": target, "reason": "retracted"}).status_code == 200
    refused = asgi_call(app, "POST", "/apply/reviewed", json=body)
    assert refused.status_code == 400
    message = refused.json()["error"]["message"]
    assert f"suggestions[{internal}]: its target {target} was withdrawn from the archive on " in message
    assert "(retracted) after the review" in message
    # the same from the command line, with the archive given, and for a relink review
    draft_path, review = tmp_path / "draft.md", tmp_path / "review.json"
    draft_path.write_text(_demo_source(), encoding="utf-8")
    review.write_text(json.dumps({**suggested, "id": "draft.md"}))
    out = tmp_path / "out.md"
    assert run(["apply", str(draft_path), "--reviewed", str(review), "--out", str(out), "--db", archive_path]) \
        == EXIT_ERROR
    assert f"its target {target} was withdrawn" in capsys.readouterr().err
    relinked = tmp_path / "relink.jsonl"
    article = next(a for a in demo_store.iter_articles(with_body=True) if a.url != target)
    doc = parse(article.body, article.format)
    first = doc.text.split()[0]
    start, end = doc.source_span(doc.text.index(first), doc.text.index(first) + len(first))
    offer = {"kind": "internal", "anchor": first, "start": start, "end": end, "target_url": target}
    relinked.write_text(json.dumps({"url": article.url, "suggestions": [offer]}) + "\n")
    [rejected] = list(reviewed_records(demo_store, str(relinked)))
    assert rejected.where == f"{relinked}:1: suggestions[0]" and "was withdrawn from the archive" in rejected.reason
