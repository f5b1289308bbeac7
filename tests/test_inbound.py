"""Looking after the archive: the articles nothing links to, and where to link an article from."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from linkdesk.archive import orphans
from linkdesk.cli import EXIT_ERROR, EXIT_OK, EXIT_REJECTED, run
from linkdesk.config import load_config
from linkdesk.demo import demo_paths
from linkdesk.errors import IndexMissingError, NotFoundError
from linkdesk.ingest import ingest
from linkdesk.ingest.records import prepare
from linkdesk.model import Article
from linkdesk.store import open_store
from linkdesk.suggest import inbound
from linkdesk.suggest.inbound import inbound_links, orphans_inbound
from linkdesk.suggest.pipeline import Suggester, index_archive, rank_spotted

BRIDGE_STUDY = "https://harborledger.example/2022/05/tidewater-bridge-study/"
WEIGHT_LIMIT = "https://harborledger.example/2024/03/tidewater-bridge-weight-limit/"
BUDGET = "https://harborledger.example/2022/06/council-budget-2022/"


def _article(url: str, published: str | None, body: str = "", section: str = "news") -> object:
    return prepare(Article(url=url, title=url.rsplit("/", 2)[-2], body=body, published=published,
                           section=section), 10_000_000, url)


def test_orphans_are_the_articles_nothing_else_links_to(store) -> None:
    store.write_batch([
        _article("https://n.example/old/", "2021-01-01", "See [new](https://n.example/new/)."),
        _article("https://n.example/new/", "2023-05-01"),
        _article("https://n.example/self/", "2022-03-01", "This [page](https://n.example/self/) itself."),
        _article("https://n.example/undated/", None, section="pages"),
    ])
    store.resolve_links()
    found = [a["url"] for a in orphans(store)]
    # newest first, undated last; a link to itself does not make an article found
    assert found == ["https://n.example/self/", "https://n.example/old/", "https://n.example/undated/"]
    assert store.stats()["orphans"] == 3
    assert [a["url"] for a in orphans(store, section="pages")] == ["https://n.example/undated/"]
    assert len(orphans(store, limit=1)) == 1
    # past what the database's integers hold (from an HTTP query): all of them
    assert len(orphans(store, limit=2**63)) == len(orphans(store, limit=2**64)) == 3
    assert orphans(store)[0]["words"] == 3


def _demo_without_links(path: Path, anchors: list[str]) -> str:
    """The demo archive with its links to the bridge study at ``anchors`` taken out (their words
    kept), indexed in a store under ``path``."""
    archive, _ = demo_paths()
    rows = [json.loads(line) for line in Path(archive).read_text(encoding="utf-8").splitlines()]
    for anchor in anchors:
        link = f"[{anchor}]({BRIDGE_STUDY})"
        assert sum(link in row["body"] for row in rows) == 1
        for row in rows:
            row["body"] = row["body"].replace(link, anchor)
    (path / "archive.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    db = str(path / "archive.db")
    s = open_store(db)
    assert ingest(s, [str(path / "archive.jsonl")], config=load_config()).ok
    index_archive(s, load_config())
    s.close()
    return db


@pytest.fixture(scope="module")
def unlinked_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The weight-limit story names the bridge study without linking it."""
    return _demo_without_links(tmp_path_factory.mktemp("inbound"), ["Tidewater Bridge study"])


@pytest.fixture(scope="module")
def orphaned_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Nothing links to the bridge study any more: an orphan that two stories name."""
    return _demo_without_links(tmp_path_factory.mktemp("orphaned"), ["Tidewater Bridge study", "Tidewater Bridge"])


def _inbound(db: str, url: str, **kw) -> list:
    s = open_store(db, create=False)
    try:
        return inbound_links(s, Suggester(s, load_config()), url, **kw).links
    finally:
        s.close()


def test_inbound_finds_the_mention_that_lost_its_link(unlinked_db: str) -> None:
    by_source = {link.source_url: link.suggestion for link in _inbound(unlinked_db, BRIDGE_STUDY)}
    assert WEIGHT_LIMIT in by_source
    assert by_source[WEIGHT_LIMIT].anchor == "Tidewater Bridge"
    assert by_source[WEIGHT_LIMIT].target_url == BRIDGE_STUDY


def test_inbound_links_are_placed_in_each_source_as_stored(unlinked_db: str) -> None:
    links = _inbound(unlinked_db, BRIDGE_STUDY, limit=0, threshold=0.0)
    assert len(links) >= 2, "the demo archive names the bridge in more than one story"
    s = open_store(unlinked_db, create=False)
    try:
        for link in links:
            source = s.get_article(link.source_url)
            sug = link.suggestion
            assert source.url != BRIDGE_STUDY
            # offsets are into the body as stored, wrapping the anchor's words
            assert source.body[sug.start:sug.end] == sug.anchor
            assert BRIDGE_STUDY not in {x["target_url"] for x in s.article_links(source.id)}
            assert sug.reasons
        assert len({link.source_url for link in links}) == len(links)
        assert [link.suggestion.score for link in links] == sorted((link.suggestion.score for link in links),
                                                                   reverse=True)
        assert len(_inbound(unlinked_db, BRIDGE_STUDY, limit=1, threshold=0.0)) == 1
    finally:
        s.close()


def test_inbound_skips_articles_that_link_there_already(demo_db: str) -> None:
    # in the demo as written, the budget story links the bridge study by its name
    sources = {link.source_url for link in _inbound(demo_db, BRIDGE_STUDY, limit=0, threshold=0.0)}
    assert BUDGET not in sources and WEIGHT_LIMIT not in sources
    assert sources, "other stories name the bridge"


def test_inbound_for_an_unknown_or_unindexed_article(tmp_path: Path, demo_db: str) -> None:
    with pytest.raises(NotFoundError, match="not in the archive"):
        _inbound(demo_db, "https://harborledger.example/no/such/page/")
    db = str(tmp_path / "a.db")
    s = open_store(db)
    s.write_batch([prepare(Article(url="https://n.example/seawall/", title="Council approves the Old Town seawall",
                                   body="The council voted for the seawall.", published="2021-01-01"),
                           10_000_000, "a")])
    index_archive(s, load_config())
    s.write_batch([_article("https://n.example/b/", "2021-02-01", "Work on the Old Town seawall starts in May.")])
    s.close()
    with pytest.raises(IndexMissingError, match="run `linkdesk index`"):
        _inbound(db, "https://n.example/b/")
    # an article ingested since the index can still link to one the index knows
    assert [link.source_url for link in _inbound(db, "https://n.example/seawall/", threshold=0.0)] == \
        ["https://n.example/b/"]


def test_cli_orphans_and_inbound(unlinked_db: str, capsys) -> None:
    assert run(["orphans", "--db", unlinked_db, "--json"]) == EXIT_OK
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert listed and all({"url", "title", "published", "section", "words"} <= set(x) for x in listed)
    assert run(["inbound", BRIDGE_STUDY, "--db", unlinked_db, "--json"]) == EXIT_OK
    report = json.loads(capsys.readouterr().out)
    assert report["url"] == BRIDGE_STUDY and report["articles_searched"] >= len(report["links"])
    assert WEIGHT_LIMIT in {x["source_url"] for x in report["links"]}
    assert all(x["kind"] == "internal" and x["target_url"] == BRIDGE_STUDY for x in report["links"])
    assert run(["inbound", BRIDGE_STUDY, "--db", unlinked_db]) == EXIT_OK
    assert 'link "Tidewater Bridge"' in capsys.readouterr().out
    assert run(["inbound", "https://harborledger.example/nope/", "--db", unlinked_db]) == EXIT_ERROR
    assert "not in the archive" in capsys.readouterr().err


def test_inbound_says_what_scored_under_the_threshold(unlinked_db: str) -> None:
    s = open_store(unlinked_db, create=False)
    try:
        suggester = Suggester(s, load_config())
        everything = inbound_links(s, suggester, BRIDGE_STUDY, limit=0, threshold=0.0)
        strict = inbound_links(s, suggester, BRIDGE_STUDY, limit=0, threshold=0.7)
    finally:
        s.close()
    under = [link.suggestion.score for link in everything.links if link.suggestion.score < 0.7]
    assert under and everything.below == 0 and everything.best_below is None
    assert strict.links == [link for link in everything.links if link.suggestion.score >= 0.7]
    assert strict.below == len(under) and strict.best_below == max(under)
    assert strict.threshold == 0.7 and strict.searched == everything.searched > 0


@pytest.mark.parametrize("jobs", [1, 2])
def test_every_orphan_is_asked_about_in_one_read_of_the_archive(orphaned_db: str, jobs: int) -> None:
    report = orphans_inbound(orphaned_db, load_config(), threshold=0.0, jobs=jobs)
    s = open_store(orphaned_db, create=False)
    try:
        assert [x.url for x in report.orphans] == [a["url"] for a in orphans(s)]
        assert report.articles_read == s.count_articles() and report.unreadable == []
        newest_culture = [a["url"] for a in orphans(s, section="culture", limit=1)]
        suggester = Suggester(s, load_config())
        # what the question about one orphan finds (in the articles full-text search names), found the same
        for item in report.orphans:
            one = inbound_links(s, suggester, item.url, threshold=0.0, sources=1000)
            assert item.inbound is not None
            assert item.inbound.links == one.links and item.inbound.below == one.below
    finally:
        s.close()
    study = next(x for x in report.orphans if x.url == BRIDGE_STUDY)
    assert WEIGHT_LIMIT in {link.source_url for link in study.inbound.links}
    assert study.to_json()["published"] == "2022-05-20" and study.to_json()["links"]
    assert [x.url for x in orphans_inbound(orphaned_db, load_config(), section="culture", newest=1).orphans] \
        == newest_culture


def test_cli_inbound_for_every_orphan(orphaned_db: str, capsys) -> None:
    assert run(["inbound", "--orphans", "--db", orphaned_db, "--threshold", "0.0", "--json"]) == EXIT_OK
    captured = capsys.readouterr()
    lines = {x["url"]: x for x in map(json.loads, captured.out.splitlines())}
    assert WEIGHT_LIMIT in {link["source_url"] for link in lines[BRIDGE_STUDY]["links"]}
    assert f"{len(lines)} orphan(s) asked about" in captured.err
    assert run(["inbound", "--orphans", "--db", orphaned_db, "--threshold", "0.0"]) == EXIT_OK
    assert f"<{BRIDGE_STUDY}>" in capsys.readouterr().out
    assert run(["inbound", "--db", orphaned_db]) == EXIT_ERROR
    assert run(["inbound", BRIDGE_STUDY, "--orphans", "--db", orphaned_db]) == EXIT_ERROR
    assert "not both" in capsys.readouterr().err


def test_an_orphan_ingested_after_the_index_is_reported_and_the_rest_go_on(orphaned_db: str, tmp_path: Path,
                                                                          capsys) -> None:
    db = str(tmp_path / "copy.db")
    shutil.copy(orphaned_db, db)
    late = "https://harborledger.example/2025/12/late-story/"
    s = open_store(db)
    s.write_batch([_article(late, "2025-12-01", "Written after the index was built.")])
    s.resolve_links()
    s.close()
    report = orphans_inbound(db, load_config())
    assert [x.url for x in report.orphans if x.error] == [late] and "linkdesk index" in report.orphans[0].error
    assert len(report.orphans) > 1 and all(x.inbound is not None for x in report.orphans[1:])
    assert run(["inbound", "--orphans", "--db", db]) == EXIT_REJECTED
    assert f"failed: {late}: not in the link index yet" in capsys.readouterr().err


@pytest.mark.parametrize("url", [BRIDGE_STUDY, WEIGHT_LIMIT, BUDGET,
                                 "https://harborledger.example/2025/06/ferry-ridership-record/"])
def test_inbound_reads_closely_only_the_articles_that_can_name_it_and_answers_the_same(
        unlinked_db: str, url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # the quick test and scoring only the article's own candidates save time, never a place or a score
    answer = [link.to_json() for link in _inbound(unlinked_db, url, limit=0, threshold=0.0)]
    assert answer
    monkeypatch.setattr(inbound, "may_name", lambda *args: True)
    monkeypatch.setattr(inbound, "rank_spotted", lambda spotted, index, ranker, view, targets: rank_spotted(
        spotted, index, ranker, view))
    assert [link.to_json() for link in _inbound(unlinked_db, url, limit=0, threshold=0.0)] == answer
