"""The HTTP API: in-process through httpx's ASGI transport, and once as a real server on localhost."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from linkdesk.archive import archive_stats, describe_article, orphans
from linkdesk.config import load_config
from linkdesk.demo import demo_paths, demo_sources
from linkdesk.drafts import draft_from_record
from linkdesk.errors import IndexMissingError, StoreError
from linkdesk.ingest import ingest
from linkdesk.sources.catalog import add_sources
from linkdesk.store import open_store
from linkdesk.suggest.inbound import inbound_links
from linkdesk.suggest.pipeline import Suggester, apply_result, index_archive
from linkdesk.web import create_app

from .conftest import asgi_call as _call
from .conftest import build_demo_archive

BRIDGE_STUDY = "https://harborledger.example/2022/05/tidewater-bridge-study/"


@pytest.fixture(scope="module")
def app(demo_db: str) -> Any:
    return create_app(demo_db, load_config())


@pytest.fixture(scope="module")
def demo_record() -> dict:
    _, draft = demo_paths()
    return {"id": "draft.md", "body": Path(draft).read_text(encoding="utf-8"), "format": "markdown"}


def test_health_says_what_is_loaded(app) -> None:
    r = _call(app, "GET", "/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["articles"] == 43 and body["ranker"] == "fallback"
    assert any(n["rule"] == "fallback-scorer" for n in body["notices"])


def test_suggest_returns_what_the_library_returns(app, demo_db: str, demo_record: dict) -> None:
    r = _call(app, "POST", "/suggest", json=demo_record)
    assert r.status_code == 200
    store = open_store(demo_db, create=False)
    suggester = Suggester(store, load_config())
    store.close()
    draft = draft_from_record(demo_record, "x")
    assert r.json() == json.loads(json.dumps(suggester.run(draft).to_json()))
    assert r.json()["suggestions"] and len(r.json()["placeholders"]) == 2
    capped = _call(app, "POST", "/suggest", json=demo_record, params={"max_links": 1, "threshold": 0.9})
    assert capped.json() == json.loads(json.dumps(suggester.run(draft, 0.9, 1).to_json()))
    assert len(capped.json()["suggestions"]) < len(r.json()["suggestions"])


def test_apply_returns_the_linked_body(app, suggester, demo_record: dict) -> None:
    r = _call(app, "POST", "/apply", json=demo_record)
    assert r.status_code == 200
    draft = draft_from_record(demo_record, "x")
    assert r.json()["body"] == apply_result(draft, suggester.run(draft))
    assert "(Internal Link Suggestion" not in r.json()["body"]
    assert "](https://harborledger.example/2025/04/electric-ferry-launch/)" in r.json()["body"]


def test_lint_finds_a_broken_address(app) -> None:
    r = _call(app, "POST", "/lint", json={"body": "The ferry [timetable](htps://harborledger.example/t) changed."})
    assert r.status_code == 200
    assert r.json()["id"] is None
    assert "malformed-link" in {f["rule"] for f in r.json()["findings"]}


def test_archive_routes_answer_as_the_library(app, demo_db: str, suggester) -> None:
    store = open_store(demo_db, create=False)
    try:
        assert _call(app, "GET", "/stats").json() == json.loads(json.dumps(archive_stats(store)))
        assert _call(app, "GET", "/orphans", params={"limit": 3}).json() == orphans(store, limit=3)
        assert _call(app, "GET", "/article", params={"url": BRIDGE_STUDY}).json() == \
            json.loads(json.dumps(describe_article(store, BRIDGE_STUDY)))
        got = _call(app, "GET", "/inbound", params={"url": BRIDGE_STUDY}).json()
        assert got == inbound_links(store, suggester, BRIDGE_STUDY).to_json()
        assert got["links"]
    finally:
        store.close()


@pytest.mark.parametrize("method, path, kw, status, code", [
    ("POST", "/suggest", {"json": {"title": "no body"}}, 422, "bad_request"),
    ("POST", "/suggest", {"json": {"body": "x", "format": "docx"}}, 422, "bad_request"),
    ("POST", "/suggest", {"json": {"body": 5}}, 422, "bad_request"),
    ("POST", "/suggest", {"json": {"body": "x", "title": ["a"]}}, 422, "bad_request"),
    ("POST", "/suggest", {"json": {"body": "x", "id": False}}, 422, "bad_request"),
    # valid JSON that no UTF-8 answer can hold
    ("POST", "/suggest", {"content": b'{"body": "x", "id": "\\udc00"}', "headers": {"content-type": "application/json"}},
     400, "bad_record"),
    ("POST", "/apply", {"content": b'{"body": "a \\ud800 b"}', "headers": {"content-type": "application/json"}},
     400, "bad_record"),
    ("POST", "/suggest", {"json": ["a", "list"]}, 422, "bad_request"),
    ("POST", "/suggest", {"content": b"not json", "headers": {"content-type": "application/json"}}, 422,
     "bad_request"),
    ("POST", "/suggest", {"json": {"body": "x"}, "params": {"threshold": 2}}, 422, "bad_request"),
    ("POST", "/lint", {"json": {"body": "x", "published": "last Tuesday"}}, 400, "bad_record"),
    ("GET", "/article", {"params": {"url": "https://harborledger.example/nope/"}}, 404, "not_found"),
    ("GET", "/article", {}, 422, "bad_request"),
    ("GET", "/inbound", {"params": {"url": "https://harborledger.example/nope/"}}, 404, "not_found"),
    ("GET", "/orphans", {"params": {"limit": -1}}, 422, "bad_request"),
    # the framework's own refusals come in the same shape
    ("POST", "/suggest", {"content": b"\xff\xfe\xfd", "headers": {"content-type": "application/json"}}, 400,
     "bad_request"),
    ("GET", "/no-such-route", {}, 404, "not_found"),
    ("GET", "/suggest", {}, 405, "method_not_allowed"),
])
def test_errors_have_one_shape(app, method: str, path: str, kw: dict, status: int, code: str) -> None:
    r = _call(app, method, path, **kw)
    assert r.status_code == status
    error = r.json()["error"]
    assert error["code"] == code and error["message"]


def test_threshold_error_names_the_field(app) -> None:
    r = _call(app, "POST", "/suggest", json={"body": "x"}, params={"threshold": 2})
    assert "query.threshold" in r.json()["error"]["fields"]


def test_a_missing_draft_body_names_the_field(app) -> None:
    assert _call(app, "POST", "/lint", json={"title": "t"}).json()["error"]["fields"] == ["body.body"]


def test_an_unwritable_character_is_refused_naming_its_field(app) -> None:
    r = _call(app, "POST", "/suggest", content=b'{"body": "x", "title": "ok \\ud800"}',
              headers={"content-type": "application/json"})
    assert r.json()["error"]["message"] == \
        "request body: field 'title' holds an unpaired surrogate \\ud800 at character 3"


def test_the_app_needs_an_indexed_archive(tmp_path: Path) -> None:
    with pytest.raises(StoreError):
        create_app(str(tmp_path / "missing.db"))
    open_store(str(tmp_path / "empty.db")).close()
    with pytest.raises(IndexMissingError):
        create_app(str(tmp_path / "empty.db"))


@pytest.fixture(scope="module")
def guarded_app(demo_db: str) -> Any:
    return create_app(demo_db, load_config(), token="s3cret-token", cors_origins=["https://cms.example"])


@pytest.mark.parametrize("method, path, headers, status", [
    ("POST", "/suggest", {}, 401),
    ("POST", "/suggest", {"authorization": "Bearer wrong"}, 401),
    ("POST", "/suggest", {"authorization": "s3cret-token"}, 401),
    ("GET", "/stats", {}, 401),
    ("GET", f"/inbound?url={BRIDGE_STUDY}", {}, 401),
    ("POST", "/suggest", {"authorization": "Bearer s3cret-token"}, 200),
    ("GET", "/stats", {"authorization": "Bearer s3cret-token"}, 200),
    ("GET", "/health", {}, 200),
    ("GET", "/", {}, 200),
    ("GET", "/static/desk.js", {}, 200),
])
def test_a_token_guards_every_route_but_the_page_and_health(guarded_app, demo_record: dict, method: str,
                                                            path: str, headers: dict, status: int) -> None:
    r = _call(guarded_app, method, path, headers=headers, **({"json": demo_record} if method == "POST" else {}))
    assert r.status_code == status
    if status == 401:
        assert r.json()["error"]["code"] == "unauthorized" and "Bearer" in r.json()["error"]["message"]


def test_a_cms_origin_may_call_from_a_browser(guarded_app, app) -> None:
    def preflight(target: Any, origin: str) -> httpx.Response:
        return _call(target, "OPTIONS", "/suggest", headers={
            "origin": origin, "access-control-request-method": "POST",
            "access-control-request-headers": "authorization, content-type"})

    allowed = preflight(guarded_app, "https://cms.example")
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://cms.example"
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-origin" not in preflight(guarded_app, "https://elsewhere.example").headers
    assert "access-control-allow-origin" not in preflight(app, "https://cms.example").headers


LANTERN = "https://harborledger.example/2025/09/saltmarsh-lantern-walk/"


@pytest.mark.parametrize("check_seconds, reloaded", [(0, True), (3600, False)])
def test_a_new_index_is_served_without_a_restart(tmp_path: Path, check_seconds: float, reloaded: bool) -> None:
    db = str(tmp_path / "demo.db")
    build_demo_archive(db)
    app = create_app(db, load_config(), index_check_seconds=check_seconds)
    before = _call(app, "GET", "/health").json()
    draft = {"body": "Crowds lined the seawall for the Saltmarsh Lantern Walk on Saturday night.",
             "published": "2025-10-01"}
    assert LANTERN not in [s["target_url"] for s in _call(app, "POST", "/suggest", json=draft).json()["suggestions"]]
    # a new article ingested and indexed while the server runs
    new = tmp_path / "new.jsonl"
    new.write_text(json.dumps({"url": LANTERN, "title": "Saltmarsh Lantern Walk", "published": "2025-09-20",
                               "section": "culture", "body": "The Saltmarsh Lantern Walk returns to the seawall "
                               "with two hundred paper lanterns made in the library's workshops."}) + "\n")
    store = open_store(db)
    ingest(store, [str(new)], config=load_config())
    index_archive(store, load_config())
    store.close()
    after = _call(app, "POST", "/suggest", json=draft).json()
    assert (LANTERN in [s["target_url"] for s in after["suggestions"]]) is reloaded
    health = _call(app, "GET", "/health").json()
    assert (health["articles"], health["index_saved"] != before["index_saved"]) == \
        ((44, True) if reloaded else (43, False))


@pytest.mark.parametrize("keep, inserted", [("", 0), ("0", 1), ("0,2", 2), (None, None)])
def test_apply_inserts_only_the_kept_suggestions(app, suggester, demo_record: dict, keep: str | None,
                                                 inserted: int | None) -> None:
    draft = draft_from_record(demo_record, "x")
    result = suggester.run(draft)
    params = {} if keep is None else {"keep": keep}
    r = _call(app, "POST", "/apply", json=demo_record, params=params)
    assert r.status_code == 200
    body = r.json()["body"]
    kept = result.suggestions if keep is None else [result.suggestions[int(i)] for i in keep.split(",") if i]
    assert r.json()["suggestions"] == [s.to_json() for s in kept]
    for s in result.suggestions:
        assert (f"({s.target_url})" in body) == (s in kept)
    # a note whose resolution was not kept stays in the draft for the editor
    for note in result.placeholders:
        if note.resolved is not None:
            assert (note.text in body) == (note.resolved not in kept)


@pytest.mark.parametrize("keep", ["x", "1,,b", "99"])
def test_apply_refuses_unknown_suggestion_numbers(app, demo_record: dict, keep: str) -> None:
    r = _call(app, "POST", "/apply", json=demo_record, params={"keep": keep})
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_input"


def test_the_page_and_its_files_are_served(app) -> None:
    page = _call(app, "GET", "/")
    assert page.status_code == 200 and 'id="draft"' in page.text
    for path in ("/static/desk.js", "/static/desk.css"):
        assert _call(app, "GET", path).status_code == 200


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _serving(*options: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """``linkdesk serve`` with ``options``, on a free local port; its base URL once it answers."""
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "linkdesk", "serve", *options, "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **(env or {})})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(scope="module")
def server(demo_db: str) -> Iterator[str]:
    with _serving("--db", demo_db) as base:
        yield base


def test_serve_answers_over_real_http(server: str, demo_record: dict) -> None:
    r = httpx.post(f"{server}/suggest", json=demo_record, timeout=30)
    assert r.status_code == 200 and len(r.json()["placeholders"]) == 2
    bad = httpx.post(f"{server}/suggest", json={"nobody": 1}, timeout=30)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "bad_request"


@pytest.mark.slow
def test_serve_with_worker_processes_answers_drafts_side_by_side(server: str, demo_db: str,
                                                                 demo_record: dict) -> None:
    one = httpx.post(f"{server}/suggest", json=demo_record, timeout=30).json()

    async def many(base: str) -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            return await asyncio.gather(*(client.post("/suggest", json=demo_record) for _ in range(8)))

    with _serving("--db", demo_db, "--workers", "2") as base:
        answers = asyncio.run(many(base))
    assert [r.status_code for r in answers] == [200] * 8
    assert all(r.json() == one for r in answers)


def test_serve_with_workers_on_an_unindexed_archive_is_one_clear_error(tmp_path: Path) -> None:
    db = str(tmp_path / "empty.db")
    open_store(db).close()
    done = subprocess.run([sys.executable, "-m", "linkdesk", "serve", "--db", db, "--workers", "2",
                           "--port", str(_free_port())], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [f"linkdesk: error: {db}: no index yet; run `linkdesk index` "
                                                "after ingesting"]


CHROMIUM = "/usr/bin/chromium"


@contextmanager
def _chromium() -> Iterator[Any]:
    """Debian's Chromium, headless, through Playwright (imported here: the fast tests do without it)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            yield browser
        finally:
            browser.close()


@pytest.mark.slow
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (.ci/run installs it)")
def test_an_editor_unchecks_a_suggestion_and_inserts_the_rest(server: str, demo_record: dict) -> None:
    # a character outside the BMP before the anchors: JavaScript counts it twice, Python once
    body = demo_record["body"].replace("The Port Authority said Thursday", "\U0001F6A2 The Port Authority said Thursday")
    assert body != demo_record["body"]
    demo_record = {**demo_record, "body": body}
    expected = httpx.post(f"{server}/suggest", json=demo_record, timeout=30).json()["suggestions"]
    with _chromium() as browser:
        page = browser.new_page()
        page.goto(server)
        page.wait_for_function("document.getElementById('status').textContent.includes('articles')")
        assert "43 articles" in page.text_content("#status")
        page.fill("#draft", demo_record["body"])
        page.click("#suggest")
        page.wait_for_selector("#suggestions input[type=checkbox]")
        boxes = page.locator("#suggestions input[type=checkbox]")
        assert boxes.count() == len(expected)
        # every suggestion is marked in the preview, at the offsets the API gave
        marks = page.locator("#preview mark")
        assert marks.all_text_contents() == [demo_record["body"][s["start"]:s["end"]] for s in expected]
        # related coverage beside it, as the API lists it, none of it linked in the text
        related = httpx.post(f"{server}/suggest", json=demo_record, params={"related": 3},
                             timeout=30).json()["related"]
        assert related and page.locator("#related a").all_text_contents() == [r["title"] for r in related]
        assert not {r["url"] for r in related} & {s["target_url"] for s in expected}
        dropped = next(i for i, s in enumerate(expected) if s["kind"] == "internal")
        page.uncheck(f"#keep-{dropped}")
        page.click("#apply")
        page.wait_for_selector("#linked:not([hidden])")
        linked = page.input_value("#output")
        keep = ",".join(str(i) for i in range(len(expected)) if i != dropped)
        api = httpx.post(f"{server}/apply", json=demo_record, params={"keep": keep}, timeout=30).json()
        assert linked == api["body"]
        assert f"]({expected[dropped]['target_url']})" not in linked
        # the editor goes on writing after the suggestions: the links go into the draft as it is now
        more = "\n\nA last line written after the suggestions.\n"
        page.fill("#draft", demo_record["body"] + more)
        page.click("#apply")
        page.wait_for_function("document.getElementById('output').value.includes('A last line written')")
        assert page.input_value("#output") == linked + more
        # an edit that moved the words a link was checked at is refused, and the draft is kept
        page.fill("#draft", "A new first line.\n\n" + demo_record["body"])
        page.click("#apply")
        page.wait_for_selector("#error:not([hidden])")
        assert "was it edited after the review?" in page.text_content("#error")
        assert page.input_value("#draft").startswith("A new first line.")
        # an error from the API is shown to the editor, not swallowed
        page.fill("#draft", "A draft.")
        page.fill("#published", "")
        page.evaluate("document.getElementById('format').innerHTML += '<option value=\"docx\">docx</option>'")
        page.select_option("#format", "docx")
        page.click("#suggest")
        page.wait_for_selector("#error:not([hidden])")
        assert "format" in page.text_content("#error")


@pytest.mark.slow
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (.ci/run installs it)")
def test_links_an_editor_leaves_unchecked_for_a_story_are_not_suggested_for_it_again(tmp_path: Path,
                                                                                     demo_record: dict) -> None:
    db = str(tmp_path / "demo.db")  # the page writes to this archive
    build_demo_archive(db)
    story = {**demo_record, "id": "cms-4411"}
    with _serving("--db", db) as base, _chromium() as browser:
        expected = httpx.post(f"{base}/suggest", json=story, timeout=30).json()["suggestions"]
        page = browser.new_page()
        page.goto(base)
        page.wait_for_function("document.getElementById('status').textContent.includes('articles')")
        assert "since the index" not in page.text_content("#status")
        # a story published this morning, ingested but not indexed yet: the page says it is not suggested
        fresh = tmp_path / "fresh.jsonl"
        fresh.write_text(json.dumps({"url": "https://harborledger.example/2025/12/night-ferry/",
                                     "title": "Night ferry pilot starts", "body": "The night ferry ran."}) + "\n")
        store = open_store(db)
        assert ingest(store, [str(fresh)], config=load_config()).added == 1
        store.close()
        time.sleep(5.5)  # the server looks at the archive again 5 s after its last look
        page.reload()
        page.wait_for_function("document.getElementById('status').textContent.includes('since the index')")
        assert "'Night ferry pilot starts'" in page.text_content("#status")
        page.fill("#draft", story["body"])
        page.fill("#story", "cms-4411")
        page.click("#suggest")
        page.wait_for_selector("#suggestions input[type=checkbox]")
        dropped = next(i for i, s in enumerate(expected) if s["kind"] == "internal")
        page.uncheck(f"#keep-{dropped}")
        # while the editor reads, a colleague declines another of the links for the story: the
        # server would now offer fewer, numbered differently, but the page inserts what was reviewed
        raced = min(i for i in range(len(expected)) if i != dropped)
        assert httpx.post(f"{base}/decline", json={"source": "cms-4411", "target_url": expected[raced]["target_url"],
                                                   "anchor": expected[raced]["anchor"]}, timeout=30).is_success
        assert len(httpx.post(f"{base}/suggest", json=story, timeout=30).json()["suggestions"]) < len(expected)
        page.click("#apply")
        page.wait_for_selector("#declined:not([hidden])")
        assert "1 link(s) left unchecked are remembered for cms-4411" in page.text_content("#declined")
        # what was applied is what the editor kept, as the page showed it
        keep = ",".join(str(i) for i in range(len(expected)) if i != dropped)
        api = httpx.post(f"{base}/apply", json={**story, "id": "another"}, params={"keep": keep}, timeout=30)
        assert page.input_value("#output") == api.json()["body"]
        assert expected[raced]["target_url"] in page.input_value("#output")
        declined = httpx.get(f"{base}/declined", params={"source": "cms-4411"}, timeout=30).json()
        assert sorted((d["target_url"], d["anchor"]) for d in declined) == sorted(
            (expected[i]["target_url"], expected[i]["anchor"]) for i in (dropped, raced))
        # suggested again for the story, the link is not offered; without the story given, it is
        target = expected[dropped]["target_url"]
        offered = ("url => [...document.querySelectorAll('#suggestions a')]"
                   ".some(a => a.getAttribute('href') === url)")
        page.click("#suggest")
        page.wait_for_function(f"url => !({offered})(url)", arg=target)
        again = httpx.post(f"{base}/suggest", json=story, timeout=30).json()["suggestions"]
        assert target not in {s["target_url"] for s in again}
        assert page.locator("#suggestions input[type=checkbox]").count() == len(again)
        page.fill("#story", "")
        page.click("#suggest")
        page.wait_for_function(offered, arg=target)


@pytest.mark.slow
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (.ci/run installs it)")
def test_the_page_asks_once_for_the_token_of_a_guarded_server(demo_db: str, demo_record: dict) -> None:
    with _serving("--db", demo_db, env={"LINKDESK_API_TOKEN": "s3cret-token"}) as base, _chromium() as browser:
        assert httpx.post(f"{base}/suggest", json=demo_record, timeout=30).status_code == 401
        page = browser.new_page()
        asked: list[str] = []

        def answer(dialog: Any) -> None:
            asked.append(dialog.message)
            dialog.accept("s3cret-token")

        page.on("dialog", answer)
        page.goto(base)
        page.fill("#draft", demo_record["body"])
        page.click("#suggest")
        page.wait_for_selector("#suggestions input[type=checkbox]")
        # the token is kept for the tab: the next call sends it without asking
        with page.expect_response(lambda r: "/suggest" in r.url) as response:
            page.click("#suggest")
        assert response.value.status == 200
        assert asked == ["This linkdesk needs its access token:"]


@pytest.mark.slow
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (.ci/run installs it)")
def test_an_editor_asks_which_stories_should_link_to_a_published_one(server: str) -> None:
    # one story links to it at the archive's threshold, one more only under it
    ordered = "https://harborledger.example/2023/05/electric-ferries-ordered/"
    with _chromium() as browser:
        page = browser.new_page()
        page.goto(server)

        def places(threshold: str) -> list[str]:
            page.fill("#inbound-threshold", threshold)
            with page.expect_response(lambda r: "/inbound" in r.url):
                page.click("#inbound")
            page.wait_for_selector("#inbound-summary:not([hidden])")
            return page.locator("#inbound-links li").all_text_contents()

        def answer(**params: Any) -> dict:
            return httpx.get(f"{server}/inbound", params={"url": ordered, **params}, timeout=30).json()

        page.fill("#inbound-url", ordered)
        default = answer()
        shown = places("")
        # the places the API gives, in its order, each with the story, the words and the score
        assert default["links"] and len(shown) == len(default["links"])
        for text, link in zip(shown, default["links"], strict=True):
            assert link["source_title"] in text and f"“{link['anchor']}”" in text
            assert page.evaluate("score => score.toFixed(2)", link["score"]) in text
        summary = page.text_content("#inbound-summary")
        assert f"{len(default['links'])} of {default['articles_searched']} stories" in summary
        assert f"{default['below_threshold']} more under it" in summary
        # a lower threshold lists the places that scored under the archive's
        assert len(places("0")) == len(answer(threshold=0)["links"]) > len(shown)
        # or from the newest orphans, as the API lists them: asking about one fills in its address
        page.click("#orphans")
        page.wait_for_selector("#orphan-list li")
        orphans = httpx.get(f"{server}/orphans", params={"limit": 10}, timeout=30).json()
        assert page.locator("#orphan-list a").all_text_contents() == [o["title"] for o in orphans]
        places_of = [len(answer(url=o["url"], threshold=0)["links"]) for o in orphans]
        k = next(k for k, n in enumerate(places_of) if n)
        page.fill("#inbound-threshold", "0")
        with page.expect_response(lambda r: "/inbound" in r.url):
            page.locator("#orphan-list button").nth(k).click()
        page.wait_for_selector("#inbound-summary:not([hidden])")
        assert page.input_value("#inbound-url") == orphans[k]["url"]
        assert page.locator("#inbound-links li").count() == places_of[k]
        # an address the archive does not hold is said so, and the list emptied
        page.fill("#inbound-url", "https://harborledger.example/2031/01/not-yet/")
        page.click("#inbound")
        page.wait_for_selector("#inbound-error:not([hidden])")
        assert "not in the archive" in page.text_content("#inbound-error")
        assert page.locator("#inbound-links li").count() == 0


def test_catalog_items_added_while_it_runs_are_served_without_a_new_index(tmp_path: Path) -> None:
    db = str(tmp_path / "a.db")
    store = open_store(db)
    assert ingest(store, [demo_paths()[0]], config=load_config()).ok
    index_archive(store, load_config())
    store.close()
    app = create_app(db, load_config(), index_check_seconds=0)
    record = {"body": Path(demo_paths()[1]).read_text(encoding="utf-8")}

    def external() -> list[str]:
        found = _call(app, "POST", "/suggest", json=record).json()
        return [s["target_url"] for s in found["suggestions"] if s["kind"] == "external"] + \
            [p["resolved"]["target_url"] for p in found["placeholders"]
             if p["kind"] == "external" and p.get("resolved")]

    # the catalog holds only the archive's own citations, none about the battery shortage
    assert external() == []
    # a feed polled by another process (a cron job's `linkdesk sources add`)
    store = open_store(db)
    assert add_sources(store, demo_sources(), load_config()).added > 0
    store.close()
    assert external()


def test_a_request_over_the_size_limit_is_refused_before_it_is_read(demo_db: str, demo_record: dict) -> None:
    cfg = load_config(overrides={"serve": {"max_request_bytes": 20_000}})
    small = create_app(demo_db, cfg)
    assert _call(small, "POST", "/lint", json=demo_record).status_code == 200
    r = _call(small, "POST", "/lint", json={**demo_record, "body": demo_record["body"] * 20})
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
    r = _call(small, "POST", "/articles", json=[{"url": "https://harborledger.example/x/", "title": "X",
                                                 "body": "x" * 30_000}])
    assert r.status_code == 413
    # sent in chunks, with no length given: refused as they arrive
    async def chunked(parts: list[bytes]) -> Any:
        for part in parts:
            yield part

    chunks = [b'{"body": "', *([b"x" * 8_000] * 4), b'"}']
    json_type = {"content-type": "application/json"}
    r = _call(small, "POST", "/lint", content=chunked(chunks), headers=json_type)
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
    assert _call(small, "POST", "/lint", content=chunked(chunks[:2] + chunks[-1:]), headers=json_type).status_code == 200
