"""`linkdesk check`: the pre-publish lint over the archive's published articles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linkdesk.check import check_archive, summarize
from linkdesk.cli import EXIT_OK, EXIT_REJECTED, run
from linkdesk.config import load_config
from linkdesk.demo import demo_paths
from linkdesk.errors import InputError
from linkdesk.ingest import ingest
from linkdesk.store import Store
from linkdesk.suggest import pipeline
from linkdesk.suggest.pipeline import index_archive

VOTERS = "https://harborledger.example/2025/01/ferry-voters/"
PIER = "https://harborledger.example/2025/02/pier-notes/"
FLAWED = [
    {"url": VOTERS, "title": "Ferry voters", "published": "2025-01-10", "section": "opinion", "format": "markdown",
     "body": "Register at [vote.gov](vote.gov) before the [ferry vote](). "
             "Write to [the desk](desk@harborledger.example) with questions."},
    {"url": PIER, "title": "Pier notes", "published": "2025-02-03", "section": "transport", "format": "markdown",
     "body": "The pier reopens in March TK. See [the old pier story](https://harborledger.example/2019/01/no-pier/)."},
]


@pytest.fixture
def flawed_archive(store: Store, tmp_path: Path) -> Store:
    """The demo archive (which the check finds clean) and two articles published with faults."""
    extra = tmp_path / "flawed.jsonl"
    extra.write_text("".join(json.dumps(r) + "\n" for r in FLAWED), encoding="utf-8")
    assert ingest(store, [demo_paths()[0], str(extra)], config=load_config()).ok
    index_archive(store, load_config())
    return store


def _found(store: Store, **kw) -> dict[str, list[tuple[str, str]]]:
    results = check_archive(store.path, load_config(), **kw)
    return {c.url: [(f.rule, f.severity) for f in c.findings] for c in results if c.findings}


def test_the_check_finds_what_went_out_with_the_stories(flawed_archive: Store) -> None:
    found = _found(flawed_archive, min_severity="info")
    assert found == {
        VOTERS: [("malformed-link", "error"), ("empty-address", "error"), ("malformed-link", "error")],
        PIER: [("leftover-note", "error"), ("internal-link-not-found", "warning")],
    }


@pytest.mark.parametrize("kw, urls", [
    ({"rules": ["leftover-note"]}, [PIER]),
    ({"min_severity": "error"}, [VOTERS, PIER]),
    ({"section": "opinion"}, [VOTERS]),
    ({"since": "2025-02-01"}, [PIER]),
    ({"since": "2025-03-01"}, []),
])
def test_the_check_narrows_to_rules_severity_section_and_date(flawed_archive: Store, kw: dict,
                                                              urls: list[str]) -> None:
    found = _found(flawed_archive, **kw)
    assert list(found) == urls
    if kw.get("min_severity") == "error":
        assert ("internal-link-not-found", "warning") not in found[PIER]


def test_the_summary_counts_by_rule(flawed_archive: Store) -> None:
    summary = summarize(check_archive(flawed_archive.path, load_config()))
    assert (summary.articles, summary.with_findings, summary.worst) == (45, 2, "error")
    assert summary.to_json()["by_rule"]["malformed-link"] == {"findings": 2, "articles": 1}


def test_an_unknown_rule_is_one_clear_error(flawed_archive: Store) -> None:
    with pytest.raises(InputError, match="no such lint rule: dead-link"):
        next(check_archive(flawed_archive.path, load_config(), rules=["dead-link"]))


def test_cli_check_prints_findings_and_fails_on_errors(flawed_archive: Store, archive_path: str, capsys) -> None:
    assert run(["check", "--db", archive_path, "--json"]) == EXIT_REJECTED
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in captured.out.splitlines()]
    assert [line["url"] for line in lines] == [VOTERS, PIER]
    note = lines[1]["placeholders"][0]
    assert FLAWED[1]["body"][note["start"]:note["end"]] == "TK"
    assert "45 article(s) checked, 2 with findings" in captured.err
    assert "empty-address: 1 in 1 article(s)" in captured.err
    # warnings alone pass unless asked to fail on them
    assert run(["check", "--db", archive_path, "--rule", "internal-link-not-found"]) == EXIT_OK
    assert run(["check", "--db", archive_path, "--rule", "internal-link-not-found", "--fail-on", "warning"]) \
        == EXIT_REJECTED
    out = capsys.readouterr().out
    assert f"Pier notes  <{PIER}>" in out and "[internal-link-not-found]" in out


def test_one_article_failing_does_not_end_the_check(flawed_archive: Store, archive_path: str,
                                                    monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    real_parse = pipeline.parse

    def parse_or_fail(source: str, fmt: str | None = None) -> object:
        if source.startswith("The pier reopens"):
            raise RuntimeError("cannot read this one")
        return real_parse(source, fmt)

    # each article is read as a draft through the pipeline's parse
    monkeypatch.setattr(pipeline, "parse", parse_or_fail)
    summary = summarize(check_archive(flawed_archive.path, load_config()))
    assert (summary.articles, summary.unreadable, summary.with_findings) == (45, 1, 1)
    assert run(["check", "--db", archive_path, "--rule", "leftover-note"]) == EXIT_REJECTED
    assert f"failed: {PIER}: RuntimeError: cannot read this one" in capsys.readouterr().err


def test_two_worker_processes_check_the_same(flawed_archive: Store, archive_path: str, capsys) -> None:
    one = [c.to_json() for c in check_archive(flawed_archive.path, load_config())]
    two = [c.to_json() for c in check_archive(flawed_archive.path, load_config(), jobs=2)]
    assert len(one) == 45 and two == one
    assert run(["check", "--db", archive_path, "--jobs", "2", "--json"]) == EXIT_REJECTED
    assert [json.loads(line)["url"] for line in capsys.readouterr().out.splitlines()] == [VOTERS, PIER]
