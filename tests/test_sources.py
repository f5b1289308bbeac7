"""The source catalog, the outlet policy, retrieval and external suggestions."""

from __future__ import annotations

import gzip
import json
import sqlite3
import time
from pathlib import Path

import numpy as np
import pytest

from linkdesk.cli import run
from linkdesk.config import load_config
from linkdesk.errors import ConfigError
from linkdesk.ingest import ingest
from linkdesk.model import SourceItem
from linkdesk.sources.attribution import find_claims, sentences
from linkdesk.sources.catalog import add_sources, from_archive, remove_sources, title_from_url
from linkdesk.sources.external import ExternalSuggester
from linkdesk.sources.outlets import OutletTable
from linkdesk.sources.retrieve import SEARCH_BLOB, SourceIndex
from linkdesk.store import Store, open_store
from linkdesk.suggest.pipeline import index_archive
from linkdesk.text.parse import parse


def _write_jsonl(path: Path, records: list[object]) -> str:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n", encoding="utf-8")
    return str(path)


# ---------------------------------------------------------------------------- outlet policy

@pytest.mark.parametrize("where,name,kind,tier,label", [
    ("reuters.com", "Reuters", "wire", 1, None),
    ("https://www.reuters.com/world/some-story-2025-01-01/", "Reuters", "wire", 1, None),
    ("edition.cnn.com", "CNN", "national", 2, None),
    ("news.sky.com", "Sky News", "national", 2, None),
    ("www.cgtn.com", "CGTN", "state-affiliated", 3, "state-affiliated media (China)"),
    ("https://www.rt.com/news/123-x/", "RT", "state-affiliated", 3, "state-affiliated media (Russia)"),
    ("infowars.com", "InfoWars", "blocked", 3, "blocked"),
    ("dailymail.co.uk", "Daily Mail", "national", 3, "low trust"),
    ("unknown-gazette.example", "unknown-gazette.example", None, 2.5, None),
])
def test_outlet_lookup(where: str, name: str, kind: str | None, tier: float, label: str | None) -> None:
    table = OutletTable.packaged()
    outlet = table.lookup(where) if "://" in where else table.lookup_domain(where)
    assert (outlet.name, outlet.kind, outlet.tier, outlet.label) == (name, kind, tier, label)


def test_outlet_overrides_from_config(tmp_path: Path) -> None:
    cfg_file = tmp_path / "linkdesk.toml"
    cfg_file.write_text(
        '[sources]\nprefer = ["harbor-wire.example"]\nblock = ["cnn.com"]\nallow = ["theonion.com"]\n'
        '[sources.relabel."dw.com"]\nname = "Deutsche Welle"\ntier = 2\n', encoding="utf-8")
    table = OutletTable.from_config(load_config(str(cfg_file)))
    assert table.lookup_domain("harbor-wire.example").tier == 1
    assert table.lookup_domain("edition.cnn.com").blocked
    assert not table.lookup_domain("theonion.com").blocked
    relabelled = table.lookup_domain("dw.com")
    assert (relabelled.name, relabelled.kind, relabelled.tier) == ("Deutsche Welle", "national", 2)


def test_cli_outlet_names_what_is_not_a_domain(capsys) -> None:
    assert run(["sources", "outlet", "reuters.com", "", "not a domain"]) == 2
    assert capsys.readouterr().err.strip() == "linkdesk: error: not a domain or URL: '', 'not a domain'"
    assert run(["sources", "outlet", "https://www.reuters.com/world/x", "apnews.com"]) == 0
    assert "Reuters" in capsys.readouterr().out


@pytest.mark.parametrize("relabel,message", [
    ('kind = "tabloid"', "kind 'tabloid'"),
    ("tier = 7", "tier must be"),
    ('colour = "red"', "unknown field"),
])
def test_bad_outlet_overrides_are_named(tmp_path: Path, relabel: str, message: str) -> None:
    cfg_file = tmp_path / "linkdesk.toml"
    cfg_file.write_text(f'[sources.relabel."example.com"]\n{relabel}\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as err:
        OutletTable.from_config(load_config(str(cfg_file)))
    assert "sources.relabel.example.com" in str(err.value)


# ---------------------------------------------------------------------------- catalog

@pytest.mark.parametrize("url,title", [
    ("https://www.reuters.com/world/europe/ferry-strike-ends-after-talks-2025-03-02/", "ferry strike ends after talks 2025 03 02"),
    ("https://example.com/news/2025/03/harbor-bridge-reopens.html", "harbor bridge reopens"),
    ("https://example.com/story/12345678", ""),
    ("https://example.com/", ""),
])
def test_title_from_url(url: str, title: str) -> None:
    assert title_from_url(url) == title


def test_jsonl_catalog_reports_bad_lines_and_keeps_the_rest(store: Store, tmp_path: Path, config: dict) -> None:
    path = _write_jsonl(tmp_path / "items.jsonl", [
        {"url": "https://www.reuters.com/a/ferry-strike-ends-2025-03-02/", "published": "2025-03-02",
         "title": "Ferry strike ends", "summary": "Workers return."},
        '{"url": "https://apnews.com/article/x", "title": ',                              # line 2: truncated
        {"title": "no url"},                                                             # line 3
        {"url": "ftp://files.example/a", "title": "not http"},                           # line 4
        {"url": "https://apnews.com/article/bridge-reopens-9a", "published": "next week"},  # line 5: bad date
        {"url": "https://apnews.com/article/bridge-reopens-after-repairs-9a"},           # no title, no date: kept
        {"url": "https://www.reuters.com/a/ferry-strike-ends-2025-03-02/", "title": "Ferry strike ends"},  # duplicate
        {"url": "https://apnews.com/article/tolls-rise", "title": "Tolls \ud800 rise"},     # line 8: not UTF-8
        {"url": "https://apnews.com/article/tolls-fall", "title": "Tolls fall", "summary": "a\x00b"},  # NUL: kept
    ])
    report = add_sources(store, [path], config)
    assert report.added == 3
    assert sorted(r.where for r in report.rejected) == [f"{path}:{n}" for n in (2, 3, 4, 5, 8)]
    assert "field 'title' holds an unpaired surrogate" in report.rejected[-1].reason
    assert any("duplicate" in k for k in report.skipped)
    items = {i.url: i for i in store.iter_sources()}
    kept = items["https://apnews.com/article/bridge-reopens-after-repairs-9a"]
    assert (kept.title, kept.outlet, kept.published) == ("bridge reopens after repairs 9a", "Associated Press", None)
    assert items["https://www.reuters.com/a/ferry-strike-ends-2025-03-02/"].outlet == "Reuters"
    assert items["https://apnews.com/article/tolls-fall"].summary == "a\ufffdb"
    again = add_sources(store, [path], config)
    assert (again.added, again.updated) == (0, 0)
    assert store.count_sources() == 3


def test_gzipped_and_truncated_gzip_catalog(store: Store, tmp_path: Path, config: dict) -> None:
    lines = "".join(json.dumps({"url": f"https://apnews.com/article/story-number-{i}", "title": f"Story {i}"}) + "\n"
                    for i in range(200))
    blob = gzip.compress(lines.encode())
    (tmp_path / "ok.jsonl.gz").write_bytes(blob)
    (tmp_path / "cut.jsonl.gz").write_bytes(blob[: len(blob) // 2])
    report = add_sources(store, [str(tmp_path / "ok.jsonl.gz"), str(tmp_path / "cut.jsonl.gz")], config)
    assert report.added == 200
    assert [r.where for r in report.rejected] == [str(tmp_path / "cut.jsonl.gz")]
    assert "ends early" in report.rejected[0].reason


def test_gzipped_feed_is_read_as_a_feed(store: Store, tmp_path: Path, fixtures: Path, config: dict) -> None:
    # named without a hint, as a feed saved by a crawler often is
    blob = gzip.compress((fixtures / "feed.rss").read_bytes())
    (tmp_path / "feed.gz").write_bytes(blob)
    (tmp_path / "cut.gz").write_bytes(blob[: len(blob) // 2])
    report = add_sources(store, [str(tmp_path / "feed.gz"), str(tmp_path / "cut.gz")], config)
    assert report.added >= 2 and all(" entry " in r.where for r in report.rejected if "feed.gz" in r.where)
    # a damaged one is named, not a traceback
    assert any(r.where.endswith("cut.gz") for r in report.rejected)
    assert all(i.origin == "feed" for i in store.iter_sources())


def test_feeds_truncated_wrong_encoding_and_undated(store: Store, tmp_path: Path, fixtures: Path,
                                                     config: dict) -> None:
    full = (fixtures / "feed.rss").read_bytes()
    (tmp_path / "cut.rss").write_bytes(full[: full.rfind(b"<item>") + 40])
    latin = ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
             '<item><title>Caf\xe9 owners protest harbor fees</title><link>https://www.theguardian.com/cafe-fees</link>'
             '</item></channel></rss>').encode("latin-1")
    (tmp_path / "latin.rss").write_bytes(latin)
    report = add_sources(store, [str(fixtures / "feed.rss"), str(tmp_path / "cut.rss"), str(tmp_path / "latin.rss")],
                         config)
    assert report.added >= 2
    assert any("cut.rss" in w for w in report.warnings) or any("cut.rss" in r.where for r in report.rejected)
    titles = [i.title for i in store.iter_sources()]
    assert any(t.startswith("Caf") and "harbor fees" in t for t in titles)
    assert any("without a date" in k for k in report.skipped)
    assert all(i.origin == "feed" for i in store.iter_sources())


def test_feed_polling_honours_etag_and_last_modified(store: Store, http_server, fixtures: Path,
                                                      config: dict) -> None:
    base, routes, _hits = http_server
    body = (fixtures / "feed.rss").read_bytes()
    seen_headers: list[dict[str, str]] = []

    def feed(handler):  # type: ignore[no-untyped-def]
        seen_headers.append({k.lower(): v for k, v in handler.headers.items()})
        if handler.headers.get("If-None-Match") == '"v1"':
            return 304, {"ETag": '"v1"'}, b""
        return 200, {"Content-Type": "application/rss+xml", "ETag": '"v1"',
                     "Last-Modified": "Wed, 19 Nov 2025 10:00:00 GMT"}, body

    routes["/feed.xml"] = (200, {}, feed)
    first = add_sources(store, [f"{base}/feed.xml"], config)
    assert first.added == 2  # the fixture feed has one entry without a title, rejected
    second = add_sources(store, [f"{base}/feed.xml"], config)
    assert second.added == 0 and any("not modified" in k for k in second.skipped)
    assert seen_headers[1]["if-none-match"] == '"v1"'
    assert seen_headers[1]["if-modified-since"] == "Wed, 19 Nov 2025 10:00:00 GMT"
    state = store.feed_state(f"{base}/feed.xml")
    assert state is not None and state["status"] == "not modified"


def test_feed_redirect_loop_and_timeout_are_reported(store: Store, http_server, config: dict) -> None:
    base, routes, _ = http_server
    routes["/loop"] = (302, {"Location": "/loop2"}, b"")
    routes["/loop2"] = (302, {"Location": "/loop"}, b"")

    def slow(handler):  # type: ignore[no-untyped-def]
        time.sleep(1.5)
        return 200, {}, b"<rss></rss>"

    routes["/slow"] = (200, {}, slow)
    config["crawl"]["timeout_seconds"] = 0.5
    config["crawl"]["retries"] = 0
    report = add_sources(store, [f"{base}/loop", f"{base}/slow"], config)
    reasons = {r.where: r.reason for r in report.rejected}
    assert "redirect" in reasons[f"{base}/loop"]
    assert "timed out" in reasons[f"{base}/slow"]
    assert store.count_sources() == 0


def test_catalog_from_the_archives_own_citations(demo_db: str) -> None:
    from linkdesk.store import open_store

    s = open_store(demo_db, create=False)
    try:
        cited = [i for i in s.iter_sources() if i.origin == "archive"]
    finally:
        s.close()
    assert len(cited) == 4
    weather = next(i for i in cited if "weather.gov" in i.url)
    assert weather.published and "National Weather Service" in weather.context


def test_broken_citations_in_the_archive_are_no_sources(store: Store, tmp_path: Path) -> None:
    body = ("Fares rose, [Reuters reported](https://www.reuters.com/world/fares-rise/). The ferry was late, "
            "[AP said](htps://apnews.com/article/ferry-late).\n\n<p>The pier shut, "
            "<a href=https://www.bbc.com/news/pier\">the BBC said</a>.</p>\n")
    path = _write_jsonl(tmp_path / "archive.jsonl", [{"url": "https://harborledger.example/2025/01/fares/",
                                                       "title": "Fares rise", "published": "2025-01-10", "body": body}])
    ingest(store, [path])
    assert [item.url for item in from_archive(store, OutletTable.packaged())] == [
        "https://www.reuters.com/world/fares-rise/"]


# ---------------------------------------------------------------------------- retrieval

def _index(items: list[SourceItem]) -> SourceIndex:
    return SourceIndex.build(items, OutletTable.packaged())


def test_time_prior_prefers_coverage_from_the_drafts_days() -> None:
    items = [
        SourceItem("https://apnews.com/article/ferry-strike-old", "Harbor ferry workers strike over pay", published="2025-01-10"),
        SourceItem("https://apnews.com/article/ferry-strike-now", "Harbor ferry workers strike over pay", published="2025-06-01"),
        SourceItem("https://apnews.com/article/ferry-strike-later", "Harbor ferry workers strike over pay", published="2025-06-20"),
    ]
    hits = _index(items).search("Ferry workers went on strike over pay on Sunday.", "2025-06-01", k=3)
    assert [h.item.url.rsplit("-", 1)[1] for h in hits] == ["now", "old", "later"]


def test_trust_breaks_ties_and_blocked_outlets_never_appear() -> None:
    items = [
        SourceItem("https://www.cgtn.com/news/port-expansion", "Port expansion approved by regulators", published="2025-06-01"),
        SourceItem("https://www.reuters.com/port-expansion", "Port expansion approved by regulators", published="2025-06-01"),
        SourceItem("https://www.infowars.com/port-expansion", "Port expansion approved by regulators", published="2025-06-01"),
    ]
    hits = _index(items).search("Regulators approved the port expansion.", "2025-06-01", k=5)
    assert [h.outlet.name for h in hits] == ["Reuters", "CGTN"]
    assert hits[1].outlet.label == "state-affiliated media (China)"


@pytest.mark.parametrize("sentence,strong,weak,contested", [
    ("The ministry said 40% of the fleet was idle.", True, False, False),
    ("According to the coast guard, the ferry ran aground.", True, False, False),
    ("Prices rose 12% last year.", True, False, False),
    ("The mayor allegedly approved the contract.", True, False, True),
    ("The company denied the report.", True, False, True),
    ("The captain told reporters the crossing was rough.", False, True, False),
    ("The ferry leaves at noon.", False, False, False),
    # a study, survey or poll attributes when the sentence points at one or says what it found
    ("A new study links ferry wakes to erosion.", True, False, False),
    ("Polls show most riders want later sailings.", True, False, False),
    ("A survey of 1,000 riders backs the change.", True, False, False),
    ("The harbor guide collects best practices, case studies, tips and templates.", False, False, False),
    ("Poll workers checked in at the terminal.", False, False, False),
    ("Students study the tides from the pier.", False, False, False),
])
def test_attribution(sentence: str, strong: bool, weak: bool, contested: bool) -> None:
    claims = find_claims(sentence, sentences(sentence))
    assert any(not c.weak for c in claims) == strong
    assert any(c.weak for c in claims) == weak
    assert any(c.contested for c in claims) == contested


def test_external_suggestions_carry_outlet_and_label(store: Store, tmp_path: Path, config: dict) -> None:
    path = _write_jsonl(tmp_path / "c.jsonl", [
        {"url": "https://www.cgtn.com/news/2025-06-01/lithium-exports-rise", "published": "2025-06-01",
         "title": "Lithium exports rise sharply in May, customs data show"},
        {"url": "https://www.reuters.com/markets/harbor-fees-2025-06-01/", "published": "2025-06-01",
         "title": "Harbor fees unchanged for summer season"},
    ])
    add_sources(store, [path], config)
    ext = ExternalSuggester(store, config)
    doc = parse("Lithium exports rose 30% in May, according to customs data.\n\nThe port was quiet.", "markdown")
    found = ext.suggest(doc, None, "2025-06-02")
    assert len(found) == 1
    s = found[0]
    assert (s.kind, s.outlet, s.outlet_label) == ("external", "CGTN", "state-affiliated media (China)")
    assert doc.source[s.start:s.end] == s.anchor and "Lithium exports" in s.anchor
    assert s.to_json()["outlet_label"] == "state-affiliated media (China)"
    assert any("according to" in r for r in s.reasons)


LITHIUM = "https://www.reuters.com/lithium-exports-2025-06-01/"


@pytest.mark.parametrize("source,expected", [
    # an outside link already sources the sentence
    ("Lithium exports rose 30% in May, [Reuters reported](https://www.reuters.com/other/).", None),
    # a link to the desk's own earlier coverage does not; the source goes beside it, not on it
    ("Lithium exports rose 30% in May, Reuters reported, [extending a rise](https://harborledger.example/a/) "
     "that began in April.", LITHIUM),
])
def test_links_in_a_sentence_and_its_source(store: Store, tmp_path: Path, config: dict, source: str,
                                            expected: str | None) -> None:
    store.set_site_hosts(["harborledger.example"])
    path = _write_jsonl(tmp_path / "c.jsonl", [
        {"url": LITHIUM, "published": "2025-06-01", "title": "Lithium exports rise sharply in May"}])
    add_sources(store, [path], config)
    found = ExternalSuggester(store, config).suggest(parse(source, "markdown"), None, "2025-06-02")
    assert [s.target_url for s in found] == ([expected] if expected else [])
    link = (source.index("["), source.index(")") + 1)
    assert all(s.end <= link[0] or s.start >= link[1] for s in found)


# ---------------------------------------------------------------------------- the catalog's saved search

_CATALOG = [
    {"url": "https://www.reuters.com/lithium-exports-2025-06-01/", "published": "2025-06-01",
     "title": "Lithium exports rise sharply in May", "summary": "Customs data show a 30% rise."},
    {"url": "https://harborwatch.example/ferry-fares-2025-06-02/", "published": "2025-06-02",
     "outlet": "Harbor Watch", "title": "Ferry fares to rise in July, port authority says"},
    {"url": "https://www.infowars.com/ferry-fares-hoax/", "published": "2025-06-02",
     "title": "Ferry fares hoax exposed"},
    {"url": "https://apnews.com/article/port-strike-ends", "published": "2025-05-30",
     "title": "Port strike ends after two weeks of talks"},
]
_QUERIES = ["lithium exports customs", "ferry fares port authority", "port strike talks", "ferry fares hoax",
            "harbor lighthouse repairs"]


def _answers(index: SourceIndex) -> list[list[tuple]]:
    return [[(h.item.url, h.score, h.outlet.name, h.outlet.label, h.matched) for h in index.search(q, "2025-06-03")]
            for q in _QUERIES]


@pytest.fixture
def catalog_store(store: Store, tmp_path: Path, config: dict) -> Store:
    add_sources(store, [_write_jsonl(tmp_path / "catalog.jsonl", _CATALOG)], config)
    return store


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many items each build of the catalog's search read, in order."""
    made: list[int] = []
    build = SourceIndex.build.__func__  # type: ignore[attr-defined]

    def counted(cls: type[SourceIndex], items, outlets: OutletTable) -> SourceIndex:
        index = build(cls, items, outlets)
        made.append(len(index))
        return index

    monkeypatch.setattr(SourceIndex, "build", classmethod(counted))
    return made


def test_the_saved_search_answers_as_a_built_one(catalog_store: Store, config: dict, builds: list[int]) -> None:
    about = catalog_store.blob_about(SEARCH_BLOB)
    assert about is not None and about["items"] == 4  # saved by `sources add`
    loaded = ExternalSuggester(catalog_store, config).index
    assert builds == [], "the catalog's search was built again, not read back"
    built = SourceIndex.build(catalog_store.iter_sources(), OutletTable.from_config(config))
    assert len(built) == len(loaded) == 3  # the blocked outlet's item is left out
    assert _answers(loaded) == _answers(built)
    # the outlet as the catalog names it, when the policy does not know its domain, survives the round trip
    assert _answers(loaded)[1][0][0] == "https://harborwatch.example/ferry-fares-2025-06-02/"
    assert _answers(loaded)[1][0][2] == "Harbor Watch"
    assert all(url != "https://www.infowars.com/ferry-fares-hoax/" for hits in _answers(loaded) for url, *_ in hits)
    assert [i.url for i in loaded.items] == [i.url for i in built.items]


def _add_item(store: Store, config: dict, tmp_path: Path) -> None:
    add_sources(store, [_write_jsonl(tmp_path / "more.jsonl", [
        {"url": "https://www.reuters.com/lighthouse-repairs-2025-06-02/", "published": "2025-06-02",
         "title": "Harbor lighthouse repairs finished early"}])], config)


def _update_item(store: Store, config: dict, tmp_path: Path) -> None:
    # written as another linkdesk would, one that does not save the search: as many items as before,
    # so only the catalog's change stamp tells
    store.write_sources([SourceItem(
        "https://apnews.com/article/port-strike-ends", "Port strike ends after two weeks of talks",
        published="2025-05-30",
        summary="Dockworkers back at the ferry port as fares talks end; the port authority says July.")])


def _remove_item(store: Store, config: dict, tmp_path: Path) -> None:
    remove_sources(store, ["https://apnews.com/article/port-strike-ends"], "retracted")


def _block_outlet(store: Store, config: dict, tmp_path: Path) -> None:
    config["sources"]["block"] = ["reuters.com"]


def _relabel_outlet(store: Store, config: dict, tmp_path: Path) -> None:
    config["sources"]["relabel"] = {"harborwatch.example": {"name": "Harbor Watch Daily", "tier": 1}}


@pytest.mark.parametrize("change", [_add_item, _update_item, _remove_item, _block_outlet, _relabel_outlet])
def test_the_saved_search_is_built_again_when_the_catalog_or_policy_changes(
        catalog_store: Store, config: dict, tmp_path: Path, builds: list[int], change) -> None:
    stale = _answers(ExternalSuggester(catalog_store, config).index)
    change(catalog_store, config, tmp_path)
    loaded = ExternalSuggester(catalog_store, config).index
    # built once: by `sources add` for what it adds, else by the first load after the change,
    # and saved as such: the next load reads it
    again = ExternalSuggester(catalog_store, config).index
    assert len(builds) == 1
    fresh = _answers(SourceIndex.build(catalog_store.iter_sources(), OutletTable.from_config(config)))
    assert _answers(loaded) == _answers(again) == fresh != stale


def test_adding_to_the_catalog_saves_its_search(store: Store, tmp_path: Path, config: dict,
                                                builds: list[int]) -> None:
    add_sources(store, [_write_jsonl(tmp_path / "catalog.jsonl", _CATALOG)], config)
    assert builds == [3]
    ExternalSuggester(store, config)
    assert builds == [3], "the first load after `sources add` built the catalog's search again"
    # an add that changes nothing has nothing to save
    add_sources(store, [_write_jsonl(tmp_path / "again.jsonl", _CATALOG)], config)
    assert builds == [3]
    # the archive's own citations, which `linkdesk index` adds
    ingest(store, [_write_jsonl(tmp_path / "archive.jsonl", [
        {"url": "https://harborledger.example/2025/06/lighthouse/", "title": "Lighthouse reopens",
         "published": "2025-06-03", "format": "markdown",
         "body": "The lighthouse reopened, [Reuters reported](https://www.reuters.com/lighthouse-reopens-2025-06-03/)."}
    ])], config=config)
    index_archive(store, config)
    assert builds == [3, 4]
    assert ExternalSuggester(store, config).index.search("lighthouse reopens", "2025-06-03")
    assert builds == [3, 4]


def test_an_unreadable_saved_search_is_built_again(catalog_store: Store, config: dict, builds: list[int],
                                                   caplog: pytest.LogCaptureFixture) -> None:
    saved = _answers(ExternalSuggester(catalog_store, config).index)
    catalog_store.save_blob(SEARCH_BLOB, b"PK\x03\x04 not a zip at all", catalog_store.blob_about(SEARCH_BLOB))
    assert _answers(ExternalSuggester(catalog_store, config).index) == saved
    assert builds == [3] and "cannot be read" in caplog.text


def test_a_catalog_without_a_change_stamp_is_never_taken_for_a_saved_one(catalog_store: Store, config: dict,
                                                                        builds: list[int]) -> None:
    # as in an archive whose catalog an earlier linkdesk filled
    about = catalog_store.blob_about(SEARCH_BLOB)
    with catalog_store.transaction():
        catalog_store._execute("DELETE FROM meta WHERE key = 'changed:sources'")
    ExternalSuggester(catalog_store, config)
    ExternalSuggester(catalog_store, config)
    assert builds == [3, 3] and catalog_store.blob_about(SEARCH_BLOB) == about


def test_a_search_that_cannot_be_saved_is_still_used(tmp_path: Path, config: dict,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    db = str(tmp_path / "a.db")
    store = open_store(db)
    add_sources(store, [_write_jsonl(tmp_path / "catalog.jsonl", _CATALOG)], config)
    saved = store.blob_about(SEARCH_BLOB)
    config["sources"]["block"] = ["reuters.com"]  # so the saved search is not this policy's
    store.conn.execute("PRAGMA busy_timeout=50")  # type: ignore[attr-defined]
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another process writing the archive
    try:
        index = ExternalSuggester(store, config).index
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert _answers(index) == _answers(SourceIndex.build(store.iter_sources(), OutletTable.from_config(config)))
    assert len(index) == 2
    assert "could not be saved" in caplog.text and "database is locked" in caplog.text
    assert store.blob_about(SEARCH_BLOB) == saved
    store.close()


# ---------------------------------------------------------------------------- CLI

def test_cli_sources_add_list_stats_outlet(tmp_path: Path, capsys) -> None:
    db = str(tmp_path / "a.db")
    path = _write_jsonl(tmp_path / "c.jsonl", [
        {"url": "https://www.reuters.com/a-2025-06-01/", "published": "2025-06-01", "title": "First"},
        {"url": "https://apnews.com/article/b", "published": "2025-06-03", "title": "Second"},
        "{broken",
    ])
    assert run(["sources", "add", path, "--db", db]) == 1
    captured = capsys.readouterr()
    assert "2 added" in captured.out and f"{path}:3" in captured.err
    assert run(["sources", "list", "--db", db, "--json"]) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [i["title"] for i in listed] == ["Second", "First"]
    assert run(["sources", "list", "--db", db, "--json", "--outlet", "reuters"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 1
    assert run(["sources", "stats", "--db", db, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["items"] == 2
    assert run(["sources", "outlet", "cgtn.com", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["label"] == "state-affiliated media (China)"
    assert run(["sources", "add", "--db", db]) == 2


def test_cli_sources_stats_says_whether_the_saved_search_is_current(tmp_path: Path, config: dict, capsys) -> None:
    db = str(tmp_path / "a.db")

    def search_line(*extra: str) -> str:
        assert run(["sources", "stats", "--db", db, *extra]) == 0
        return next(line for line in capsys.readouterr().out.splitlines() if "search:" in line)

    store = open_store(db)
    store.write_sources([SourceItem("https://apnews.com/article/b", "Port strike ends", published="2025-06-03")])
    assert "not saved: the next process that suggests builds it" in search_line()
    assert run(["sources", "add", _write_jsonl(tmp_path / "c.jsonl", _CATALOG), "--db", db]) == 0
    capsys.readouterr()
    assert "current" in search_line()
    assert run(["sources", "stats", "--db", db, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["search"]["current"] is True
    # under another outlet policy, and after a removal, the saved one is not what a load would build
    (tmp_path / "blocking.toml").write_text('[sources]\nblock = ["reuters.com"]\n', encoding="utf-8")
    assert "out of date" in search_line("--config", str(tmp_path / "blocking.toml"))
    assert run(["sources", "remove", "https://apnews.com/article/b", "--db", db]) == 0
    capsys.readouterr()
    assert "out of date" in search_line()
    ExternalSuggester(store, config)
    assert "current" in search_line()
    store.close()


def test_overlap_lookup_agrees_with_checking_every_span() -> None:
    # sentences are held against quotes and outside links through the policy's ordered spans
    from linkdesk.suggest.policy import Spans

    rng = np.random.default_rng(5)
    spans = [(int(a), int(a + n)) for a, n in zip(rng.integers(0, 500, 40), rng.integers(1, 60, 40), strict=True)]
    lookup = Spans(spans)
    for s in range(0, 560, 3):
        for e in (s + 1, s + 7, s + 40):
            assert (not lookup.clear(s, e)) == any(a < e and s < b for a, b in spans), (s, e)
    assert Spans([]).clear(0, 10)
