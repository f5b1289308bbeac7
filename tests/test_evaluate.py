"""linkdesk eval agrees with the shared reference scorer on the same predictions."""

from __future__ import annotations

import gzip
import importlib.util
import json
from pathlib import Path

import pytest

from linkdesk.cli import EXIT_ERROR, run
from linkdesk.config import load_config
from linkdesk.demo import demo_paths
from linkdesk.drafts import draft_from_text, read_drafts
from linkdesk.evaluate import (
    EvalReport,
    backtest_dir,
    backtest_store,
    gold_outcomes,
    reliability,
    score_predictions,
    strip_links,
)
from linkdesk.ingest import ingest
from linkdesk.model import Rejection
from linkdesk.store import open_store
from linkdesk.suggest.pipeline import Suggester, choose, rank_draft
from linkdesk.suggest.policy import Policy
from linkdesk.text.parse import parse

from .conftest import SHARED_BENCH


def _reference_scorer():
    path = SHARED_BENCH / "score.py"
    if not path.exists():
        pytest.skip("the shared reference scorer is not beside this checkout")
    spec = importlib.util.spec_from_file_location("reference_score", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _demo_backtest(tmp_path: Path) -> Path:
    """A backtest from the demo archive: the newest quarter as drafts, their internal links stripped."""
    archive, _ = demo_paths()
    with open(archive, encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh]
    records.sort(key=lambda r: r["published"])
    cut = len(records) * 3 // 4
    older, newer = records[:cut], records[cut:]
    known = {r["url"] for r in older}
    out = tmp_path / "bt"
    out.mkdir()
    drafts, gold = [], []
    import re

    for r in newer:
        body, links = r["body"], []
        while True:
            m = re.search(r"\[([^\]]+)\]\((https://harborledger\.example/[^)]+)\)", body)
            if not m:
                break
            body = body[:m.start()] + m.group(1) + body[m.end():]
            if m.group(2) in known:
                links.append({"start": m.start(), "end": m.start() + len(m.group(1)), "anchor": m.group(1),
                              "target_url": m.group(2)})
        drafts.append({**r, "body": body})
        gold.append({"id": r["id"], "links": links})
    for name, rows in (("archive", older), ("drafts", drafts), ("gold", gold)):
        (out / f"{name}.jsonl").write_text("".join(json.dumps(x) + "\n" for x in rows))
    return out


def test_eval_figures_equal_reference_scorer(tmp_path: Path) -> None:
    ref = _reference_scorer()
    bt = _demo_backtest(tmp_path)
    report = backtest_dir(str(bt), threshold=0.3)
    gold, pred = ref.load(str(bt / "gold.jsonl"), _write_preds(tmp_path, report.predictions))
    assert report.metrics == ref.score(gold, pred)
    assert report.metrics["linked"]["span"]["gold"] > 0
    paths = report.write(str(tmp_path / "out"))
    assert Path(paths["plot"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads(Path(paths["report"]).read_text())["metrics"] == report.metrics
    # the related lists, as written, score as the report says (target view: they have no place in the text)
    gold, related = ref.load(str(bt / "gold.jsonl"), paths["related"])
    scored = ref.score(gold, related)
    assert (report.related["linked"], report.related["all"]) == (scored["linked"]["target"], scored["all"]["target"])
    assert report.related["linked"]["predicted"] > 0
    assert all(len(lists) <= report.related["count"] for lists in related.values())


def test_eval_reports_bad_lines_and_goes_on(tmp_path: Path, capsys) -> None:
    bt = _demo_backtest(tmp_path)
    drafts = [json.loads(line) for line in (bt / "drafts.jsonl").read_text().splitlines()]
    gold = [json.loads(line) for line in (bt / "gold.jsonl").read_text().splitlines()]
    spoiled, bodiless = str(drafts[0]["id"]), str(drafts[1]["id"])
    gold[0]["links"] = [{"start": "3", "end": 9, "target_url": "https://harborledger.example/x/"}]
    del drafts[1]["body"]
    (bt / "drafts.jsonl").write_text("".join(json.dumps(d) + "\n" for d in drafts))
    (bt / "gold.jsonl").write_text("".join(json.dumps(g) + "\n" for g in gold) + '{"id": "cut off\n')
    out = tmp_path / "ev"
    assert run(["eval", str(bt), "--out", str(out), "--threshold", "0.3"]) == 1
    err = capsys.readouterr().err
    assert "gold.jsonl:1: link 0: needs int 'start' < 'end'" in err
    assert f"gold.jsonl:{len(gold) + 1}: malformed JSON" in err
    assert "drafts.jsonl:2: missing field 'body'" in err
    assert f"draft {spoiled}: left out" in err
    assert f"gold.jsonl: draft {bodiless}: left out: no such draft was read" in err
    report = json.loads((out / "eval.json").read_text())
    assert report["drafts"] == len(drafts) - 2 and len(report["rejected"]) == 5
    # the unread draft's gold is not counted as missed: the figures are those of the drafts read
    kept_gold = sum(len(g["links"]) for g in gold[2:])
    assert report["metrics"]["all"]["span"]["gold"] == kept_gold
    scored = {json.loads(line)["id"] for line in (out / "predictions.jsonl").read_text().splitlines()}
    assert spoiled not in scored and bodiless not in scored and len(scored) == len(drafts) - 2


def test_eval_scores_the_drafts_whose_gold_survives_a_cut_off_file(tmp_path: Path) -> None:
    bt = _demo_backtest(tmp_path)
    lines = (bt / "gold.jsonl").read_text().splitlines(keepends=True)
    # a long last line so that the cut falls inside it and every line before it is whole
    whole = gzip.compress("".join(lines[:-1]).encode() + b" " * 200_000 + lines[-1].encode())
    (bt / "gold.jsonl").unlink()
    (bt / "gold.jsonl.gz").write_bytes(whole[: len(whole) - 40])
    report = backtest_dir(str(bt), threshold=0.3)
    assert any("file ends early" in r.reason for r in report.rejected)
    # the last draft, its gold lost, is not scored: the gold counted is that of the lines read
    read = [json.loads(line) for line in lines[:-1]]
    assert report.metrics["all"]["span"]["gold"] == sum(len(g["links"]) for g in read)


def _write_preds(tmp_path: Path, preds: dict) -> str:
    path = tmp_path / "pred.jsonl"
    path.write_text("".join(json.dumps({"id": k, "suggestions": v}) + "\n" for k, v in preds.items()))
    return str(path)


@pytest.mark.parametrize("gold,pred", [
    ({"d": [{"start": 0, "end": 5, "target_url": "https://a.example/x/"}]},
     {"d": [{"start": 2, "end": 4, "target_url": "http://www.a.example/x"}]}),
    ({"d": [{"start": 0, "end": 5, "target_url": "https://a.example/x"}], "e": []},
     {"d": [{"start": 9, "end": 12, "target_url": "https://a.example/x"}], "e": [{"start": 0, "end": 1,
                                                                                  "target_url": "https://a.example/y"}]}),
])
def test_score_predictions_matches_reference_on_edge_cases(gold, pred) -> None:
    assert score_predictions(gold, pred) == _reference_scorer().score(gold, pred)


def test_reliability_bands_and_calibration_error() -> None:
    gold = {"d": [{"start": 0, "end": 5, "target_url": "https://a.example/x"},
                  {"start": 10, "end": 15, "target_url": "https://a.example/y"}],
            "unlinked": []}
    pred = {"d": [{"start": 0, "end": 5, "target_url": "https://a.example/x", "score": 0.85},   # right
                  {"start": 10, "end": 15, "target_url": "https://a.example/z", "score": 0.8},  # wrong target
                  {"start": 20, "end": 25, "target_url": "https://a.example/y", "score": 0.15},  # wrong place
                  {"start": 11, "end": 14, "target_url": "https://a.example/y", "score": 1.0}],  # right, top edge
            "unlinked": [{"start": 0, "end": 3, "target_url": "https://a.example/x", "score": 0.9}]}
    cal = reliability(gold, pred)
    assert cal["suggestions"] == 4  # linked drafts only, as the span view
    assert [(b["low"], b["suggestions"], b["right"]) for b in cal["bands"]] == [(0.1, 1, 0.0), (0.8, 2, 0.5),
                                                                                (0.9, 1, 1.0)]
    assert cal["ece"] == pytest.approx((0.15 + 2 * abs(0.825 - 0.5) + 0.0) / 4)


def _sweep_row(threshold: float, precision: float, recall: float) -> dict:
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    span = {"precision": precision, "recall": recall, "f1": f1}
    return {"threshold": threshold, "span": span, "target": span}


@pytest.mark.parametrize(("rows", "best_any", "best_precise"), [
    ([(0.1, 0.40, 0.50), (0.2, 0.62, 0.30), (0.3, 0.70, 0.20)], 0.1, 0.2),
    ([(0.1, 0.40, 0.50), (0.2, 0.55, 0.30)], 0.1, None),
    ([(0.1, 0.50, 0.50), (0.2, 0.60, 0.60), (0.3, 0.90, 0.10)], 0.2, 0.2),
    ([(0.1, 0.0, 0.0), (0.2, 0.0, 0.0)], None, None),
])
def test_report_names_the_thresholds_a_desk_chooses_between(rows, best_any, best_precise) -> None:
    report = EvalReport("x", 0.3, {}, [_sweep_row(*r) for r in rows], {}, 1)
    best = report.best()
    assert (best["any"] or {}).get("threshold") == best_any
    assert (best["precise"] or {}).get("threshold") == best_precise
    assert report.to_json()["best"] == best


@pytest.mark.slow
def test_cli_eval_on_store_split(demo_db: str, tmp_path: Path, capsys) -> None:
    assert run(["eval", "--db", demo_db, "--out", str(tmp_path / "ev")]) == 0
    out = capsys.readouterr().out
    assert "linked span" in out and (tmp_path / "ev" / "pr.png").exists()
    assert "best span F1: " in out and "best span F1 at precision >= 0.60: " in out
    assert "expected calibration error" in out
    report = json.loads((tmp_path / "ev" / "eval.json").read_text())
    assert sum(b["suggestions"] for b in report["calibration"]["bands"]) == report["calibration"]["suggestions"]
    outcomes = report["gold_outcomes"]
    assert outcomes["gold"] == report["metrics"]["linked"]["span"]["gold"] == sum(outcomes["outcomes"].values())
    assert outcomes["outcomes"]["found"] == report["metrics"]["linked"]["span"]["tp"]
    assert f"what became of the {outcomes['gold']} gold links" in out and "linked article section" in out


@pytest.mark.slow
def test_store_split_writes_what_its_figures_can_be_checked_with(demo_db: str, tmp_path: Path) -> None:
    """The split's drafts and gold links are written beside the predictions: the reference scorer gives
    the same figures from them, and the drafts read back as drafts, bodies in their own markup."""
    ref = _reference_scorer()
    store = open_store(demo_db, create=False)
    try:
        report = backtest_store(store, threshold=0.3)
    finally:
        store.close()
    paths = report.write(str(tmp_path / "out"))
    assert report.metrics == ref.score(*ref.load(paths["gold"], paths["predictions"]))
    assert report.metrics["linked"]["span"]["gold"] > 0
    drafts = list(read_drafts(paths["drafts"]))
    assert len(drafts) == report.drafts and not [d for d in drafts if isinstance(d, Rejection)]
    assert all(d.doc.format == "markdown" for d in drafts)
    for line in Path(paths["gold"]).read_text().splitlines():
        gold = json.loads(line)
        body = next(d for d in drafts if d.id == gold["id"]).doc.source
        assert all(body[g["start"]:g["end"]] == g["anchor"] for g in gold["links"])


@pytest.mark.slow
def test_store_split_of_an_html_archive(store, config, tmp_path: Path) -> None:
    """The demo archive as HTML pages: the split's drafts stay HTML, with the anchors where the gold says."""
    from markdown_it import MarkdownIt

    render = MarkdownIt("commonmark").render
    archive = tmp_path / "html.jsonl"
    records = [json.loads(line) for line in Path(demo_paths()[0]).read_text(encoding="utf-8").splitlines()]
    archive.write_text("".join(json.dumps({**r, "format": "html", "body": render(r["body"])}) + "\n" for r in records))
    assert ingest(store, [str(archive)], config=config).ok
    report = backtest_store(store, threshold=0.3)
    assert report.metrics["linked"]["span"]["gold"] > 0
    bodies = {r["id"]: r["body"] for r in report.split_drafts}
    assert all(r["format"] == "html" and "<p>" in r["body"] for r in report.split_drafts)
    for did, links in report.split_gold.items():
        assert all(bodies[did][g["start"]:g["end"]] == g["anchor"] for g in links)
        assert not any(g["target_url"] in bodies[did] for g in links)


def test_cli_eval_on_an_archive_without_links_says_it_measures_nothing(tmp_path: Path, capsys) -> None:
    src = tmp_path / "plain.jsonl"
    src.write_text("".join(json.dumps({"url": f"{SITE}/{i}/", "title": f"Ferry story {i}", "format": "markdown",
                                       "published": f"2024-01-{i + 1:02d}", "body": "Ferries and boats. " * 20}) + "\n"
                           for i in range(15)))
    db = str(tmp_path / "plain.db")
    assert run(["ingest", str(src), "--db", db]) == 0
    capsys.readouterr()
    assert run(["eval", "--db", db, "--out", str(tmp_path / "ev")]) == 0
    out = capsys.readouterr().out
    assert "3 drafts" in out and "nothing here to choose a threshold by" in out and "best span F1" not in out


@pytest.mark.slow
def test_cli_eval_holds_out_the_share_asked_for(demo_db: str, tmp_path: Path, capsys) -> None:
    lines = Path(demo_paths()[0]).read_text(encoding="utf-8").splitlines()
    dated = sum(1 for line in lines if json.loads(line).get("published"))
    assert run(["eval", "--db", demo_db, "--holdout", "0.5", "--json", "--out", str(tmp_path / "ev")]) == 0
    assert json.loads(capsys.readouterr().out)["drafts"] == dated // 2


@pytest.mark.parametrize(("args", "message"), [
    (["--holdout", "1"], "leaves nothing on one side"),
    (["--holdout", "0"], "leaves nothing on one side"),
    (["--holdout", "half"], "not a number"),
])
def test_cli_eval_refuses_a_holdout_that_splits_nothing(demo_db: str, tmp_path: Path, capsys, args, message) -> None:
    with pytest.raises(SystemExit) as exit_:
        run(["eval", "--db", demo_db, "--out", str(tmp_path / "ev"), *args])
    assert exit_.value.code == 2 and message in capsys.readouterr().err


def test_cli_eval_holdout_is_for_an_archive_split(tmp_path: Path, capsys) -> None:
    assert run(["eval", str(_demo_backtest(tmp_path)), "--holdout", "0.3", "--out", str(tmp_path / "ev")]) == EXIT_ERROR
    assert "--holdout splits an archive" in capsys.readouterr().err
    assert not (tmp_path / "ev").exists()


SITE = "https://news.example"


@pytest.mark.parametrize(("fmt", "body", "anchors"), [
    ("markdown", f"# Port [budget]({SITE}/a/) vote\n\nSee [the **new** [draft] plan]({SITE}/b/ \"t\") and "
                 f"[a source](https://other.example/x) or <{SITE}/c/>.\n\n> A [quoted]({SITE}/a/) line.\n",
     ["budget", "the **new** [draft] plan", f"{SITE}/c/", "quoted"]),
    ("html", f'<h2>Port <a href="{SITE}/a/">budget</a></h2><p>See <a title="a > b" href="/b/"><b>the</b> '
             f'plan</a> and <a href="https://other.example/x">a source</a>, <A HREF="/c/">shouted</A >.</p>',
     ["budget", "<b>the</b> plan", "shouted"]),
])
def test_strip_links_leaves_the_draft_an_editor_would_have(store, config, tmp_path: Path, fmt, body, anchors) -> None:
    """A held-out article becomes a draft in its own markup: internal links stripped to their content
    (where each now sits is known), headings and quotes still headings and quotes, outside links kept."""
    record = {"url": f"{SITE}/new/", "title": "New", "published": "2024-01-02", "format": fmt, "body": body}
    src = tmp_path / "one.jsonl"
    src.write_text(json.dumps(record) + "\n")
    assert ingest(store, [str(src)], config=config, site_hosts=["news.example"]).ok
    article = next(store.iter_articles(with_body=True))
    internal = list(store.iter_links(internal_only=True))
    stripped_body, stripped = strip_links(article.body, internal)
    assert [stripped_body[start:end] for _, start, end in stripped] == anchors
    draft = parse(stripped_body, fmt)
    assert draft.text == article.text
    assert [link.href for link in draft.links] == ["https://other.example/x"]
    assert [z.kind for z in draft.zones if z.kind in ("heading", "quote")] == [
        z.kind for z in parse(article.body, fmt).zones if z.kind in ("heading", "quote")]


def test_each_gold_link_is_accounted_for(suggester: Suggester) -> None:
    # the same article named twice and once by "here": the first naming is found, the second left out
    # by the policy (one link per article, where the reader first meets it), "here" names nothing;
    # above every score, both namings scored below the threshold
    ferry = "https://harborledger.example/2025/06/ferry-ridership-record/"
    title = "Harbor ferry ridership hits record"
    text = f"{title}, the agency said. Read the figures here. Later: {title} again, the report says."
    spans = [(text.index(title), text.index(title) + len(title)), (text.index("here"), text.index("here") + 4),
             (text.rindex(title), text.rindex(title) + len(title))]
    gold = {"d": [{"start": a, "end": b, "target_url": ferry} for a, b in spans]}
    ranked = rank_draft(draft_from_text(text, "text", "d"), suggester.index, suggester.ranker, suggester.view)
    index = suggester.index
    low = min(float(sc) for c, sc in zip(ranked.cands, ranked.scores, strict=True)
              if c.target == index.lookup_url(ferry))
    section = index.sections[index.lookup_url(ferry)] or "(no section)"
    for threshold, expected in ((low, {"found": 1, "left out by the policy": 1, "no candidate at its words": 1}),
                                (1.0, {"scored below the threshold": 2, "no candidate at its words": 1})):
        preds = {"d": [s.to_json() for s in choose(ranked, index, Policy.from_config(load_config()), threshold)]}
        got = gold_outcomes([ranked], gold, preds, index, threshold)
        outcomes = {name: n for name, n in got["outcomes"].items() if n}
        assert outcomes == expected
        assert got["gold"] == 3 and got["by_section"] == {section: got["outcomes"]}
        assert got["outcomes"]["found"] == score_predictions(gold, preds)["linked"]["span"]["tp"]
