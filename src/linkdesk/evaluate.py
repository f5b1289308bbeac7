"""Backtests: hold out the newest articles, strip their internal links, ask for them back.

Metrics are micro-averaged precision/recall/F1 in two views, exactly as the shared
reference scorer computes them: *target* (the set of articles a draft links to) and
*span* (a suggestion counts when its target matches a gold link whose anchor overlaps it),
each over drafts with at least one gold link (``linked``) and over all drafts (``all``).
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from .config import load_config
from .drafts import read_drafts
from .errors import BadRecordError, InputError
from .index.linkindex import LinkIndex
from .ingest import ingest, reread_stale
from .ingest.jsonl import read_objects
from .ingest.records import prepare
from .model import Format, Rejection
from .store import open_store
from .store.base import Store, StoredLink
from .suggest.pipeline import Draft, Ranked, Suggester, choose, index_archive, rank_draft
from .suggest.policy import Policy
from .suggest.ranker import TARGET_PRECISION
from .text.normalize import url_key
from .text.parse import link_content, parse

__all__ = ["HOLDOUT_SHARE", "OUTCOMES", "THRESHOLDS", "EvalReport", "backtest_dir", "backtest_store",
           "gold_outcomes", "reliability", "score_predictions", "strip_links"]

log = logging.getLogger(__name__)
THRESHOLDS = [round(0.05 * k, 2) for k in range(1, 20)]
# how much of an archive, newest first, a temporal split holds out as drafts
HOLDOUT_SHARE = 0.2
# how long a related list the backtest scores: a box of three, as "related posts" are compared
RELATED_COUNT = 3
CALIBRATION_EDGES = tuple(round(0.1 * k, 1) for k in range(11))


def _prf(tp: int, npred: int, ngold: int) -> dict[str, float | int]:
    p = tp / npred if npred else 0.0
    r = tp / ngold if ngold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "tp": tp, "predicted": npred,
            "gold": ngold}


def score_predictions(gold: dict[str, list[dict[str, Any]]], pred: dict[str, list[dict[str, Any]]]
                      ) -> dict[str, dict[str, dict[str, float | int]]]:
    """Precision/recall/F1 per scope (linked, all) and view (target, span)."""
    out: dict[str, dict[str, dict[str, float | int]]] = {}
    for scope in ("linked", "all"):
        t_tp = t_np = t_ng = s_tp = s_np = s_ng = 0
        for did, glinks in gold.items():
            if scope == "linked" and not glinks:
                continue
            sugg = pred.get(did, [])
            gset = {url_key(g["target_url"]) for g in glinks}
            pset = {url_key(s.get("target_url") or s.get("url") or "") for s in sugg}
            t_tp += len(gset & pset)
            t_np += len(pset)
            t_ng += len(gset)
            spans = _with_span(sugg)
            s_np += len(spans)
            s_tp += sum(_hits(glinks, spans))
            s_ng += len(glinks)
        out[scope] = {"target": _prf(t_tp, t_np, t_ng), "span": _prf(s_tp, s_np, s_ng)}
    return out


def _with_span(sugg: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for s in sugg if s.get("start") is not None and s.get("end") is not None]


def _matches(glinks: list[dict[str, Any]], sugg: list[dict[str, Any]]) -> list[int | None]:
    """Per suggestion (each with a span), the gold link it gets right in the span view, if any: one
    whose target it links and whose anchor its span overlaps, each gold link matched once, in the
    suggestions' order."""
    used: set[int] = set()
    out: list[int | None] = []
    for s in sugg:
        key = url_key(s.get("target_url") or s.get("url") or "")
        hit = next((i for i, g in enumerate(glinks) if i not in used and url_key(g["target_url"]) == key
                    and s["start"] < g["end"] and g["start"] < s["end"]), None)
        if hit is not None:
            used.add(hit)
        out.append(hit)
    return out


def _hits(glinks: list[dict[str, Any]], sugg: list[dict[str, Any]]) -> list[bool]:
    """Per suggestion (each with a span), whether it is right in the span view."""
    return [hit is not None for hit in _matches(glinks, sugg)]


# what became of a gold link, in the order a desk would look into it
OUTCOMES = ("found", "left out by the policy", "scored below the threshold", "no candidate at its words")


def gold_outcomes(ranked: Sequence[Ranked], gold: dict[str, list[dict[str, Any]]],
                  preds: dict[str, list[dict[str, Any]]], index: LinkIndex, threshold: float) -> dict[str, Any]:
    """What became of each gold link of the linked drafts at ``threshold``: found (span view), or why
    not. The policy left it out (its article scored high enough at its words, but the link went to
    another mention, or a zone, a neighbour or the cap kept it out); its article scored below the
    threshold there; or nothing named its article at its words (an anchor like "here" or "this
    guide", or an article outside the archive). Counted in all and by the target's section, so that
    a desk sees which kinds of links the suggester misses and whether a threshold would bring them."""
    counts = dict.fromkeys(OUTCOMES, 0)
    by_section: dict[str, dict[str, int]] = {}
    for r in ranked:
        did = str(r.draft.id)
        glinks = gold.get(did) or []
        found = set(_matches(glinks, _with_span(preds.get(did, []))))
        doc = r.draft.doc
        for i, g in enumerate(glinks):
            target = index.lookup_url(g["target_url"])
            start, end = doc.text_span(g["start"], g["end"])
            scores = [float(sc) for c, sc in zip(r.cands, r.scores, strict=True)
                      if c.target == target and c.start < end and start < c.end]
            outcome = ("found" if i in found else "no candidate at its words" if not scores
                       else "scored below the threshold" if max(scores) < threshold else "left out by the policy")
            counts[outcome] += 1
            section = (index.sections[target] if target is not None else None) or "(no section)"
            by_section.setdefault(section, dict.fromkeys(OUTCOMES, 0))[outcome] += 1
    ordered = sorted(by_section.items(), key=lambda item: (-sum(item[1].values()), item[0]))
    return {"threshold": threshold, "gold": sum(counts.values()), "outcomes": counts, "by_section": dict(ordered)}


def reliability(gold: dict[str, list[dict[str, Any]]], pred: dict[str, list[dict[str, Any]]],
                edges: tuple[float, ...] = CALIBRATION_EDGES) -> dict[str, Any]:
    """How far scores can be read as chances: per score band, the suggestions in it (linked drafts),
    their mean score and the share that were right in the span view; and the expected calibration
    error, the suggestion-weighted mean gap between the two."""
    rows: list[tuple[float, bool]] = []
    for did, glinks in gold.items():
        if glinks:
            spans = _with_span(pred.get(did, []))
            rows.extend((float(s["score"]), hit) for s, hit in zip(spans, _hits(glinks, spans), strict=True))
    bands = []
    gap = 0.0
    for lo, hi in itertools.pairwise(edges):
        inside = [(sc, hit) for sc, hit in rows if lo <= sc < hi or (hi == edges[-1] and sc == hi)]
        if not inside:
            continue
        mean = sum(sc for sc, _ in inside) / len(inside)
        right = sum(hit for _, hit in inside) / len(inside)
        gap += len(inside) * abs(mean - right)
        bands.append({"low": lo, "high": hi, "suggestions": len(inside), "mean_score": round(mean, 4),
                      "right": round(right, 4)})
    return {"bands": bands, "ece": round(gap / len(rows), 4) if rows else None, "suggestions": len(rows)}


@dataclass
class EvalReport:
    source: str
    threshold: float
    metrics: dict[str, Any]
    sweep: list[dict[str, Any]]
    training: dict[str, Any]
    drafts: int
    predictions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # scores against outcomes, over every suggestion down to the lowest threshold swept
    calibration: dict[str, Any] = field(default_factory=dict)
    # input records left out (archive records, drafts, gold lines), and why
    rejected: list[Rejection] = field(default_factory=list)
    # a temporal split's drafts (standard records) and gold links, so that its figures can be checked
    # and its misses read
    split_drafts: list[dict[str, Any]] = field(default_factory=list)
    split_gold: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # what became of the gold links at the threshold: see gold_outcomes
    gold_outcomes: dict[str, Any] = field(default_factory=dict)
    # the related-coverage lists (RELATED_COUNT per draft, alone) scored as target-view predictions,
    # linked and all drafts: how often what a "related" box lists is an article the editors linked
    related: dict[str, Any] = field(default_factory=dict)
    related_predictions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def best(self) -> dict[str, dict[str, Any] | None]:
        """The sweep's thresholds a desk would choose between: the best span F1 on linked drafts
        (``any``), and the best among those whose span precision reaches ``TARGET_PRECISION``
        (``precise``), each with its threshold and span figures; None where no threshold finds a link."""
        def pick(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
            row = max(rows, key=lambda r: (r["span"]["f1"], r["span"]["precision"]), default=None)
            if row is None or not row["span"]["f1"]:
                return None
            return {"threshold": row["threshold"], **{k: row["span"][k] for k in ("precision", "recall", "f1")}}
        return {"any": pick(self.sweep),
                "precise": pick([r for r in self.sweep if r["span"]["precision"] >= TARGET_PRECISION])}

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "threshold": self.threshold, "drafts": self.drafts, "metrics": self.metrics,
                "sweep": self.sweep, "best": self.best(), "gold_outcomes": self.gold_outcomes,
                "calibration": self.calibration, "related": self.related, "training": self.training,
                "rejected": [{"where": r.where, "reason": r.reason} for r in self.rejected]}

    def write(self, out_dir: str) -> dict[str, str]:
        """Write the JSON report, the predictions and the related lists (JSONL, as the reference scorer
        reads them) and the plot (PNG: precision-recall, calibration); for a temporal split, its drafts
        and gold links too (JSONL, as a prepared backtest holds them)."""
        os.makedirs(out_dir, exist_ok=True)
        paths = {"report": os.path.join(out_dir, "eval.json"), "plot": os.path.join(out_dir, "pr.png"),
                 "predictions": os.path.join(out_dir, "predictions.jsonl"),
                 "related": os.path.join(out_dir, "related.jsonl")}
        with open(paths["report"], "w", encoding="utf-8") as fh:
            json.dump(self.to_json(), fh, indent=2)
        _write_jsonl(paths["predictions"], ({"id": did, "suggestions": sugg} for did, sugg in self.predictions.items()))
        _write_jsonl(paths["related"], ({"id": did, "suggestions": related}
                                        for did, related in self.related_predictions.items()))
        if self.split_drafts:
            paths["drafts"] = os.path.join(out_dir, "drafts.jsonl")
            paths["gold"] = os.path.join(out_dir, "gold.jsonl")
            _write_jsonl(paths["drafts"], self.split_drafts)
            _write_jsonl(paths["gold"], ({"id": did, "links": links} for did, links in self.split_gold.items()))
        _plot(self, paths["plot"])
        return paths


def _write_jsonl(path: str, rows: Iterable[dict[str, Any]]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def _plot(report: EvalReport, path: str) -> None:
    """Precision against recall over the threshold sweep, and beside it how often suggestions in each
    score band were right against their mean score (on the diagonal, a score reads as a chance)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax, cal) = plt.subplots(1, 2, figsize=(11, 4.5), dpi=100)
    for view, style in (("span", "o-"), ("target", "s--")):
        r = [row[view]["recall"] for row in report.sweep]
        p = [row[view]["precision"] for row in report.sweep]
        ax.plot(r, p, style, label=f"{view} view", markersize=3)
    chosen = report.metrics["linked"]["span"]
    ax.plot([chosen["recall"]], [chosen["precision"]], "r*", markersize=12,
            label=f"default threshold {report.threshold:.3f}")
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_title(f"linkdesk backtest: {os.path.basename(report.source.rstrip('/'))} (linked drafts)")
    ax.legend(loc="upper right")
    bands = report.calibration.get("bands", [])
    cal.plot([0, 1], [0, 1], ":", color="grey", label="a score that reads as a chance")
    cal.plot([b["mean_score"] for b in bands], [b["right"] for b in bands], "o-", label="suggestions per score band")
    for b in bands:  # a band of two suggestions says little: show how many stand behind each point
        cal.annotate(str(b["suggestions"]), (b["mean_score"], b["right"]), textcoords="offset points", xytext=(4, -10),
                     fontsize=7)
    cal.set_xlabel("mean score")
    cal.set_ylabel("share right (span view)")
    ece = report.calibration.get("ece")
    cal.set_title("calibration" + (f" (expected error {ece:.3f})" if ece is not None else ""))
    cal.legend(loc="upper left")
    for a in (ax, cal):
        a.set_xlim(0, 1)
        a.set_ylim(0, 1)
        a.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _gold_links(rec: object, where: str) -> tuple[str, list[dict[str, Any]]]:
    """One gold line: a draft id and its links, each with int offsets and a target URL."""
    if not isinstance(rec, dict) or rec.get("id") is None:
        raise BadRecordError(where, "expected a JSON object with an 'id'")
    links = rec.get("links", [])
    if not isinstance(links, list):
        raise BadRecordError(where, "field 'links' must be a list")
    for k, link in enumerate(links):
        ok = (isinstance(link, dict) and isinstance(link.get("target_url"), str)
              and all(isinstance(link.get(f), int) and not isinstance(link.get(f), bool) for f in ("start", "end")))
        if not ok or link["start"] >= link["end"]:
            raise BadRecordError(where, f"link {k}: needs int 'start' < 'end' and a 'target_url'")
    return str(rec["id"]), links


def _read_gold(path: str) -> tuple[dict[str, list[dict[str, Any]]], set[str], list[Rejection]]:
    """Gold links per draft id; the ids whose line is unusable (those drafts are left out: scored
    with no gold they would count as drafts the editors left unlinked); the bad lines. Drafts with
    no gold line at all (after a cut-off file, say) are not scored, as by the reference scorer."""
    gold: dict[str, list[dict[str, Any]]] = {}
    spoiled: set[str] = set()
    rejected: list[Rejection] = []
    for item in read_objects(path):
        if isinstance(item, Rejection):
            rejected.append(item)
            continue
        where, rec = item
        try:
            did, links = _gold_links(rec, where)
        except BadRecordError as exc:
            rejected.append(Rejection(exc.where, exc.reason))
            if isinstance(rec, dict) and rec.get("id") is not None:
                spoiled.add(str(rec["id"]))
            continue
        gold[did] = links
    return gold, spoiled, rejected


def _find(directory: str, stem: str) -> str:
    for name in (f"{stem}.jsonl", f"{stem}.jsonl.gz"):
        path = os.path.join(directory, name)
        if os.path.exists(path):
            return path
    raise InputError(f"{directory}: no {stem}.jsonl or {stem}.jsonl.gz")


def _run(store: Store, source: str, drafts: list[Draft], gold: dict[str, list[dict[str, Any]]],
         cfg: dict[str, Any], threshold: float | None) -> EvalReport:
    info = index_archive(store, cfg)
    suggester = Suggester(store, cfg)
    chosen = suggester.threshold(threshold)
    policy = Policy.from_config(cfg)
    ranked = [rank_draft(d, suggester.index, suggester.ranker, suggester.view) for d in drafts]

    def predictions(t: float) -> dict[str, list[dict[str, Any]]]:
        return {str(r.draft.id): [s.to_json() for s in choose(r, suggester.index, policy, t)] for r in ranked}

    preds = predictions(chosen)
    swept = {t: predictions(t) for t in THRESHOLDS}
    sweep = []
    for t, at_t in swept.items():
        m = score_predictions(gold, at_t)["linked"]
        sweep.append({"threshold": t, "target": m["target"], "span": m["span"]})
    # each draft's related list on its own, as a "related posts" box is compared: not the articles
    # left once its in-text suggestions are taken out, which is what `suggest --related` lists
    related = {str(d.id): [{"target_url": r.url} for r in suggester.related(d, RELATED_COUNT)] for d in drafts}
    scored = score_predictions(gold, related)
    # calibration over every suggestion the sweep made, those of its lowest threshold
    return EvalReport(source, chosen, score_predictions(gold, preds), sweep, info, len(drafts), preds,
                      reliability(gold, swept[THRESHOLDS[0]]),
                      gold_outcomes=gold_outcomes(ranked, gold, preds, suggester.index, chosen),
                      related={"count": RELATED_COUNT, "linked": scored["linked"]["target"],
                               "all": scored["all"]["target"]}, related_predictions=related)


def backtest_dir(directory: str, config: dict[str, Any] | None = None, threshold: float | None = None,
                 workdir: str | None = None) -> EvalReport:
    """A prepared backtest (archive, drafts, gold as JSONL, gzipped or not), in a fresh archive."""
    cfg = config or load_config()
    archive, drafts_path, gold_path = (_find(directory, s) for s in ("archive", "drafts", "gold"))
    gold, spoiled, rejected = _read_gold(gold_path)
    drafts = []
    for item in read_drafts(drafts_path):
        if isinstance(item, Rejection):
            rejected.append(item)
        elif str(item.id) in spoiled:
            rejected.append(Rejection(f"{drafts_path}: draft {item.id}", "left out: its gold line is unusable"))
        else:
            drafts.append(item)
    # gold for a draft that was not read (rejected above) would count as links missed
    read = {str(d.id) for d in drafts}
    for did in sorted(set(gold) - read):
        rejected.append(Rejection(f"{gold_path}: draft {did}", "left out: no such draft was read"))
    gold = {did: links for did, links in gold.items() if did in read}
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        store = open_store(os.path.join(tmp, "backtest.db"))
        try:
            ingested = ingest(store, [archive], config=cfg)
            result = _run(store, directory, drafts, gold, cfg, threshold)
        finally:
            store.close()
    result.rejected = ingested.rejected + rejected
    if result.rejected:
        log.warning("%d records rejected (archive, drafts, gold): see the report", len(result.rejected))
    return result


def backtest_store(store: Store, config: dict[str, Any] | None = None, threshold: float | None = None,
                   fraction: float = HOLDOUT_SHARE, workdir: str | None = None) -> EvalReport:
    """Temporal split of an archive: the newest ``fraction`` of dated articles become drafts, as the
    shared backtests make them: each body in its own markup with its internal links stripped to their
    anchor text, outside links left in place. Suggestions come from the rest."""
    if not 0.0 < fraction < 1.0:
        raise InputError(f"the share held out as drafts must be between 0 and 1, not {fraction}")
    cfg = config or load_config()
    # the drafts are the bodies parsed again: the links' stored offsets must be this parser's
    reread_stale(store)
    articles = list(store.iter_articles(with_body=True))
    dated = sorted((a for a in articles if a.published), key=lambda a: (a.published or "", a.id))
    if len(dated) < 10:
        raise InputError(f"{store.label}: fewer than 10 dated articles; nothing to hold out")
    cut = len(dated) - max(1, int(len(dated) * fraction))
    held = dated[cut:]
    held_ids = {a.id for a in held}
    older_urls = {url_key(a.url) for a in articles if a.id not in held_ids}
    by_id = {a.id: a for a in articles}
    internal: dict[int, list[StoredLink]] = {}
    for link in store.iter_links(internal_only=True):
        if link.source_id in held_ids:
            internal.setdefault(link.source_id, []).append(link)
    drafts, records, gold = [], [], {}
    for a in held:
        body, stripped = strip_links(a.body, internal.get(a.id, []))
        drafts.append(Draft(parse(body, cast(Format, a.format)), str(a.id), a.url, a.title, a.published, a.section))
        records.append({"id": str(a.id), "url": a.url, "title": a.title, "published": a.published,
                        "section": a.section, "format": a.format, "body": body})
        # what an editor could have linked then: older articles, by words the reader sees
        gold[str(a.id)] = [{"start": start, "end": end, "anchor": link.anchor, "target_url": by_id[link.target_id].url}
                           for link, start, end in stripped
                           if link.target_id is not None and link.target_id not in held_ids
                           and url_key(by_id[link.target_id].url) in older_urls and link.anchor.strip()]
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        split = open_store(os.path.join(tmp, "older.db"))
        try:
            batch = []
            for a in articles:
                if a.id in held_ids:
                    continue
                batch.append(prepare(a.to_article(), 10**9, a.url))
            split.write_batch(batch)
            split.set_site_hosts(store.site_hosts())
            split.resolve_links()
            report = _run(split, store.label, drafts, gold, cfg, threshold)
        finally:
            split.close()
    report.split_drafts, report.split_gold = records, gold
    return report


def strip_links(body: str, links: Sequence[StoredLink]) -> tuple[str, list[tuple[StoredLink, int, int]]]:
    """``body`` with each of ``links`` replaced by its own content (``[text](url)`` by ``text``,
    ``<a href="url">text</a>`` by ``text``), and, for each link, where that content now sits."""
    parts: list[str] = []
    stripped: list[tuple[StoredLink, int, int]] = []
    cursor = length = 0
    for link in sorted(links, key=lambda lk: lk.src_start):
        if link.src_start < cursor or link.src_end > len(body):
            continue  # overlapping or out of range: offsets from another body, left as they are
        inner_start, inner_end = link_content(body, link.src_start, link.src_end)
        parts.append(body[cursor:link.src_start])
        length += link.src_start - cursor
        parts.append(body[inner_start:inner_end])
        stripped.append((link, length, length + inner_end - inner_start))
        length += inner_end - inner_start
        cursor = link.src_end
    parts.append(body[cursor:])
    return "".join(parts), stripped
