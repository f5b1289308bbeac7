"""Records of any shape: each is taken or refused with a BadRecordError naming it, never a
traceback, and what is taken can be stored and written back out as UTF-8."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linkdesk.drafts import draft_from_record
from linkdesk.errors import BadRecordError
from linkdesk.ingest.records import article_from_record, prepare
from linkdesk.store import open_store

# text as JSON can carry it: any code point, lone surrogates and NUL included
TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT
JSON_VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(TEXT, inner, max_size=3), max_leaves=6)
# values close to right, so that records also get past the first checks
PLAUSIBLE = {
    "url": st.sampled_from(["https://desk.example/a/", "http://desk.example/b?x=1", "desk.example/c", "ftp://x/",
                            " https://desk.example/d/ "]) | TEXT.map(lambda t: "https://desk.example/" + t),
    "title": TEXT | st.just("A title"),
    "body": TEXT.map(lambda t: f"Text [a link]({t}) and <a href='{t}'>more</a> {t}") | TEXT,
    "format": st.sampled_from(["markdown", "html", "text", "docx", ""]),
    "published": st.sampled_from(["2024-05-01", "2024-05-01T10:00:00Z", "Tue, 07 May 2024 10:00:00 GMT",
                                  "last Tuesday", "2024-13-45", ""]) | TEXT,
    "tags": st.lists(TEXT, max_size=3), "authors": st.lists(TEXT, max_size=3),
    "aliases": st.lists(TEXT.map(lambda t: "/old/" + t), max_size=2),
    "section": TEXT, "id": TEXT | st.integers(),
}
# an address and a title mostly as they should be, so that most records get as far as the store; the
# other fields anything
RECORDS = st.fixed_dictionaries({"url": PLAUSIBLE["url"], "title": PLAUSIBLE["title"]},
                                optional={k: v | JSON_VALUES for k, v in PLAUSIBLE.items()
                                          if k not in ("url", "title")})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
          derandomize=True)
@given(rec=RECORDS)
def test_an_archive_record_is_stored_or_refused_by_name(tmp_path_factory: Any, rec: dict[str, Any]) -> None:
    try:
        prepared = prepare(article_from_record(rec, "in.jsonl:1"), 1_000_000, "in.jsonl:1")
    except BadRecordError as exc:
        assert str(exc).startswith("in.jsonl:1: ")
        return
    store = open_store(str(tmp_path_factory.mktemp("records") / "a.db"))
    try:
        assert store.write_batch([prepared]) == ["added"]
        stored = store.get_article(prepared.article.url)
        assert stored is not None
        json.dumps(stored.to_article().to_record(), ensure_ascii=False).encode("utf-8")
    finally:
        store.close()


@settings(max_examples=300, deadline=None, derandomize=True)
@given(rec=RECORDS | JSON_VALUES)
def test_a_draft_record_is_read_or_refused_by_name(rec: Any) -> None:
    try:
        draft = draft_from_record(rec, "drafts.jsonl:3")
    except BadRecordError as exc:
        assert str(exc).startswith("drafts.jsonl:3: ")
        return
    # what goes back out (an applied body, the result's id) is writable
    for value in (draft.doc.source, draft.id, draft.url, draft.title, draft.section):
        if value is not None:
            value.encode("utf-8")
