"""Quality on the shared backtests: the same figures `linkdesk eval` prints.

Usage: python bench/quality.py [--check] [--unsupervised]
--check compares the figures with bench/floors.json and exits 1 when any falls below its
floor. Floors only ever go up: raise one when a change lifts a figure for good.
--unsupervised measures the fixed scorer that archives with too few links get instead of the
trained ranker (floors under "internal_unsupervised").
"""

from __future__ import annotations

import json
import sys
import time

from common import ROOT, SHARED, arguments, floors_verdict, record

from linkdesk.config import load_config
from linkdesk.evaluate import backtest_dir

FLOORS = ROOT / "bench" / "floors.json"
REFERENCE = {"digitalgov": "anchor dictionary 0.395 / 0.184 / 0.252", "rust": "anchor dictionary 0.455 / 0.164 / 0.241"}
# ../shared/bench/README.md: BM25 "related posts", top 3, target view
RELATED_REFERENCE = {"digitalgov": "0.086 / 0.067 / 0.075", "rust": "0.213 / 0.411 / 0.281"}


def measure(unsupervised: bool = False) -> dict[str, dict]:
    config = load_config()
    if unsupervised:
        # as an archive with fewer links than the trained ranker needs
        config["suggest"]["min_training_links"] = 10**9
    results = {}
    for name in ("digitalgov", "rust"):
        path = SHARED / name
        if not path.exists():
            print(f"skip {name}: {path} not found", file=sys.stderr)
            continue
        t = time.perf_counter()
        report = backtest_dir(str(path), config)
        m = report.metrics["linked"]
        results[name] = {"threshold": report.threshold, "span": m["span"], "target": m["target"],
                         "all_span": report.metrics["all"]["span"], "seconds": round(time.perf_counter() - t, 1),
                         "ranker": report.training["ranker"], "ece": report.calibration["ece"],
                         "related": report.related["linked"]}
        print(f"{name}: threshold {report.threshold:.3f}  span P/R/F1 {m['span']['precision']:.3f} / "
              f"{m['span']['recall']:.3f} / {m['span']['f1']:.3f}   target P/R/F1 {m['target']['precision']:.3f} / "
              f"{m['target']['recall']:.3f} / {m['target']['f1']:.3f}   calibration error {report.calibration['ece']}"
              f"   related top {report.related['count']} target P/R/F1 {_prf(report.related['linked'])}")
    return results


def _prf(m: dict) -> str:
    return f"{m['precision']:.3f} / {m['recall']:.3f} / {m['f1']:.3f}"


def check(results: dict[str, dict], kind: str) -> list[str]:
    floors = json.loads(FLOORS.read_text())[kind]
    failures = []
    for name, views in floors.items():
        if name not in results:
            failures.append(f"{name}: not measured")
            continue
        for view, metrics in views.items():
            for metric, floor in metrics.items():
                got = results[name][view][metric]
                if got < floor:
                    failures.append(f"{name} {view} {metric} = {got:.4f}, below the floor {floor:.4f}")
    return failures


def main() -> None:
    ap = arguments(__doc__)
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--unsupervised", action="store_true")
    args = ap.parse_args()
    results = measure(args.unsupervised)
    lines = ["| backtest | ranker | threshold | span P / R / F1 (linked) | target P / R / F1 (linked) | "
             "span P / R / F1 (all drafts) | calibration error | reference (span, linked) | seconds |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, r in results.items():
        lines.append(f"| {name} | {r['ranker']} | {r['threshold']:.3f} | {_prf(r['span'])} | {_prf(r['target'])} | "
                     f"{_prf(r['all_span'])} | {r['ece']} | {REFERENCE[name]} | {r['seconds']} |")
    lines += ["", "Related coverage (`suggest --related 3`), each draft's list alone, scored as the articles the "
                  "editors linked (target view, linked drafts):", "",
              "| backtest | related top 3, target P / R / F1 | reference: BM25 related posts, top 3 |", "|---|---|---|"]
    lines += [f"| {name} | {_prf(r['related'])} | {RELATED_REFERENCE[name]} |" for name, r in results.items()]
    record("Quality, unsupervised scorer (bench/quality.py --unsupervised)" if args.unsupervised
           else "Quality (bench/quality.py)", "\n".join(lines), args)
    if args.check:
        failures = check(results, "internal_unsupervised" if args.unsupervised else "internal")
        sys.exit(floors_verdict(failures))


if __name__ == "__main__":
    main()
