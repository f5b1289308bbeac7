"""Archive-wide jobs (relinking, and one of one's own): every article through the suggester, in one process,
several, or Ray actors."""

from __future__ import annotations

import gzip
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from linkdesk.archive import withdraw_article
from linkdesk.batch import relink_archive, relink_ids, run_over_archive
from linkdesk.cli import EXIT_ERROR, EXIT_OK, EXIT_REJECTED, run
from linkdesk.config import load_config
from linkdesk.errors import InputError, OptionalDependencyError
from linkdesk.ingest import ingest
from linkdesk.model import ArticleOutcome
from linkdesk.store import open_store, with_archive
from linkdesk.store.base import Store, StoredArticle
from linkdesk.suggest import pipeline
from linkdesk.text.normalize import url_key

from .conftest import build_demo_archive


def _stored(db: str) -> dict:
    s = open_store(db, create=False)
    try:
        return {a.url: (a, {url_key(x["target_url"]) for x in s.article_links(a.id) if x["target_url"]})
                for a in s.iter_articles(with_body=True)}
    finally:
        s.close()


def test_relink_reads_every_article_newest_first(demo_db: str) -> None:
    items = list(relink_archive(demo_db, load_config(), threshold=0.3))
    stored = _stored(demo_db)
    assert len(items) == len(stored) == 43
    dates = [item.published or "" for item in items]
    assert dates == sorted(dates, reverse=True)
    offered = 0
    for item in items:
        article, links_to = stored[item.url]
        assert item.error is None
        for s in item.suggestions:
            offered += 1
            # offsets into the stored body; never the article itself, never a target it links already
            assert article.body[s.start:s.end] == s.anchor
            assert url_key(s.target_url) != url_key(item.url)
            assert url_key(s.target_url) not in links_to
    assert offered


@pytest.mark.slow
def test_relink_over_processes_gives_the_same_answer(demo_db: str) -> None:
    one = [item.to_json() for item in relink_archive(demo_db, load_config(), threshold=0.3)]
    calls: list[tuple[int, int]] = []
    two = [item.to_json() for item in relink_archive(demo_db, load_config(), threshold=0.3, jobs=2,
                                                     progress=lambda n, total: calls.append((n, total)))]
    assert one == two
    assert sum(n for n, _ in calls) == 43 and {total for _, total in calls} == {43}


@pytest.mark.slow
def test_relink_on_ray_actors_from_the_command_line(demo_db: str, capsys) -> None:
    assert run(["relink", "--db", demo_db, "--json", "--threshold", "0.3"]) == EXIT_OK
    in_process = capsys.readouterr()
    assert run(["relink", "--db", demo_db, "--json", "--threshold", "0.3", "--ray", "local", "--jobs", "2"]) == EXIT_OK
    on_ray = capsys.readouterr()
    assert on_ray.out == in_process.out and on_ray.out.strip()
    assert "43 article(s) read" in on_ray.err


def test_relink_on_ray_without_ray_says_which_extra(demo_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # as if the extra were not installed
    with pytest.raises(OptionalDependencyError, match=r"linkdesk\[ray\]"):
        list(relink_archive(demo_db, load_config(), ray_address="local"))


def test_relink_ids_filters(demo_db: str) -> None:
    s = open_store(demo_db, create=False)
    try:
        every = relink_ids(s)
        transport = relink_ids(s, section="transport")
        recent = relink_ids(s, since="2025-01-01")
        by_id = {a.id: a for a in s.iter_articles()}
        assert len(every) == 43 and relink_ids(s, limit=5) == every[:5]
        assert transport and all(by_id[i].section == "transport" for i in transport)
        assert recent and all((by_id[i].published or "") >= "2025-01-01" for i in recent)
        assert set(recent) < set(every)
        with pytest.raises(InputError, match="since"):
            relink_ids(s, since="last spring")
    finally:
        s.close()


def test_one_article_failing_does_not_end_the_job(demo_db: str, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    real_parse = pipeline.parse

    def parse_or_fail(source: str, fmt: str | None = None) -> object:
        if "Tidewater Bridge" in source[:60]:
            raise RuntimeError("cannot read this one")
        return real_parse(source, fmt)

    # each article is read as a draft through the pipeline's parse
    monkeypatch.setattr(pipeline, "parse", parse_or_fail)
    items = list(relink_archive(demo_db, load_config(), threshold=0.3))
    failed = [item for item in items if item.error is not None]
    assert failed and all("cannot read this one" in item.error for item in failed)
    assert len(items) == 43 and any(item.suggestions for item in items)
    assert "error" in failed[0].to_json() and "suggestions" not in failed[0].to_json()
    # the command goes through, names what failed, and exits 1
    assert run(["relink", "--db", demo_db, "--threshold", "0.3"]) == EXIT_REJECTED
    captured = capsys.readouterr()
    assert f"failed: {failed[0].url}: RuntimeError: cannot read this one" in captured.err
    assert f"{len(failed)} failed" in captured.out


def test_cli_relink(demo_db: str, capsys) -> None:
    assert run(["relink", "--db", demo_db, "--json", "--threshold", "0.3"]) == EXIT_OK
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in captured.out.splitlines()]
    assert lines and all(x["suggestions"] for x in lines)
    assert "43 article(s) read" in captured.err
    assert run(["relink", "--db", demo_db, "--section", "transport", "--limit", "3"]) == EXIT_OK
    assert "3 article(s) read" in capsys.readouterr().out
    assert run(["relink", "--db", demo_db, "--since", "someday"]) == 2
    assert "since" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        run(["relink", "--db", demo_db, "--jobs", "0"])


def test_relink_writes_the_articles_with_their_new_links_for_the_cms_and_ingest(tmp_path: Path, capsys) -> None:
    db = str(tmp_path / "demo.db")  # the relinked records go back into this archive
    build_demo_archive(db)
    out = tmp_path / "relinked.jsonl.gz"
    assert run(["relink", "--db", db, "--threshold", "0.3", "--json", "--out", str(out)]) == EXIT_OK
    captured = capsys.readouterr()
    offered = {x["url"]: x["suggestions"] for x in map(json.loads, captured.out.splitlines())}
    assert f"wrote {len(offered)} article record(s) with the links inserted to {out}" in captured.err
    with gzip.open(out, "rt", encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh]
    assert [r["url"] for r in records] == list(offered) and len(records) >= 2
    stored = _stored(db)
    for record in records:
        article = stored[record["url"]][0]
        # the record as `linkdesk export` writes it, but for the links at the words offered
        body = article.body
        for s in sorted(offered[record["url"]], key=lambda s: -s["start"]):
            body = body[:s["start"]] + f"[{body[s['start']:s['end']]}]({s['target_url']})" + body[s["end"]:]
        assert record == {**article.to_article().to_record(), "body": body}

    store = open_store(db)
    report = ingest(store, [str(out)], config=load_config())
    assert report.ok and report.updated == len(records)
    now = _stored(db)
    for url, suggestions in offered.items():
        assert {url_key(s["target_url"]) for s in suggestions} <= now[url][1]
    store.close()
    again = {(item.url, s.target_url) for item in relink_archive(db, load_config(), threshold=0.3)
             for s in item.suggestions}
    assert not again & {(url, s["target_url"]) for url, suggestions in offered.items() for s in suggestions}


def test_a_reviewed_relink_writes_exactly_the_kept_links(archive_path: str, tmp_path: Path, capsys) -> None:
    db = archive_path
    build_demo_archive(db)
    assert run(["relink", "--db", db, "--threshold", "0.3", "--json"]) == EXIT_OK
    offered = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(offered) >= 2
    first, second = offered[0], offered[1]
    kept = {**first, "suggestions": first["suggestions"][-1:]}  # the editor kept one link of the first article
    review = tmp_path / "review.jsonl"
    review.write_text("\n".join(json.dumps(x) for x in [
        kept,
        {**second, "suggestions": []},  # and none of the second's
        {**second, "url": "https://harborledger.example/1999/01/never-ran/"},
        {"url": first["url"]},
    ]) + "\n{not json\n")
    out = tmp_path / "reviewed.jsonl"
    assert run(["relink", "--db", db, "--reviewed", str(review), "--out", str(out)]) == EXIT_REJECTED
    captured = capsys.readouterr()
    assert f"wrote 1 article record(s) with the reviewed links inserted to {out}" in captured.out
    assert f"rejected: {review}:3: https://harborledger.example/1999/01/never-ran/: not in the archive" in captured.err
    assert f"rejected: {review}:4: suggestions: missing" in captured.err
    assert f"rejected: {review}:5: malformed JSON" in captured.err
    [record] = [json.loads(line) for line in out.read_text().splitlines()]
    article = _stored(db)[first["url"]][0]
    s = kept["suggestions"][0]
    body = article.body[:s["start"]] + f"[{s['anchor']}]({s['target_url']})" + article.body[s["end"]:]
    assert record == {**article.to_article().to_record(), "body": body}

    # the article changed since the review: its line is refused, never linked at other words
    store = open_store(db)
    edited = tmp_path / "edited.jsonl"
    edited.write_text(json.dumps({**article.to_article().to_record(), "body": "Updated.\n\n" + article.body}) + "\n")
    assert ingest(store, [str(edited)], config=load_config()).ok
    withdraw_article(store, second["url"], "retracted")
    store.close()
    review.write_text(json.dumps(kept) + "\n" + json.dumps(second) + "\n")
    assert run(["relink", "--db", db, "--reviewed", str(review), "--out", str(out)]) == EXIT_REJECTED
    err = capsys.readouterr().err
    assert f"{review}:1: suggestions[0]: the text reads" in err
    assert f"{review}:2: {second['url']}: withdrawn from the archive on " in err and "(retracted)" in err
    assert out.read_text() == ""
    for extra in (["--threshold", "0.5"], ["--json"], ["--section", "transport"]):
        assert run(["relink", "--db", db, "--reviewed", str(review), "--out", str(out), *extra]) == EXIT_ERROR
        assert f"{extra[0]} cannot go with it" in capsys.readouterr().err
    assert run(["relink", "--db", db, "--reviewed", str(review)]) == EXIT_ERROR
    assert "give --out FILE" in capsys.readouterr().err


@dataclass
class Words(ArticleOutcome):
    words: int = 0

    def payload(self) -> dict:
        return {"words": self.words}


@dataclass(frozen=True)
class WordsJob:
    """A job of a data team's own: each article's length, failing on the articles named in ``refuse``."""

    refuse: frozenset[str] = frozenset()

    def run(self, store: Store, suggester: pipeline.Suggester, article: StoredArticle) -> Words:
        if article.url in self.refuse:
            raise ValueError("refused")
        return Words(article.url, article.title, article.published, words=len(article.text.split()))

    def failed(self, article: StoredArticle, error: str) -> Words:
        return Words(article.url, article.title, article.published, error=error)


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_job_of_ones_own_runs_over_the_archive_in_the_order_given(demo_db: str, jobs: int) -> None:
    stored = _stored(demo_db)
    ids = sorted(a.id for a, _ in stored.values())[::-1]
    refused = next(iter(stored))
    out = list(run_over_archive(demo_db, load_config(), ids, WordsJob(frozenset({refused})), jobs=jobs))
    by_id = {a.id: a for a, _ in stored.values()}
    assert [o.url for o in out] == [by_id[i].url for i in ids]
    assert {o.url: o.words for o in out if o.error is None} == \
        {a.url: len(a.text.split()) for a, _ in stored.values() if a.url != refused}
    assert [o.to_json() for o in out if o.error] == [
        {"url": refused, "title": stored[refused][0].title, "published": stored[refused][0].published,
         "error": "ValueError: refused"}]


@dataclass
class Loaded(ArticleOutcome):
    catalog: bool = False


@dataclass(frozen=True)
class CatalogJob:
    """Says whether its worker's suggester holds the source catalog's search."""

    def run(self, store: Store, suggester: pipeline.Suggester, article: StoredArticle) -> Loaded:
        return Loaded(article.url, article.title, article.published, catalog=suggester.sources is not None)

    def failed(self, article: StoredArticle, error: str) -> Loaded:
        return Loaded(article.url, article.title, article.published, error=error)


@dataclass(frozen=True)
class NoCatalogJob(CatalogJob):
    uses_sources = False


@pytest.mark.parametrize("job,catalog", [(CatalogJob(), True), (NoCatalogJob(), False)])
def test_workers_load_the_source_catalog_only_for_jobs_that_use_it(demo_db: str, job: CatalogJob,
                                                                  catalog: bool) -> None:
    # a job written before jobs could say so gets the catalog, as it always did
    ids = with_archive(demo_db, relink_ids)[:3]
    assert [o.catalog for o in run_over_archive(demo_db, load_config(), ids, job)] == [catalog] * 3
