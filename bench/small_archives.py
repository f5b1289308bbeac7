"""Small archives: which scorer `linkdesk index` picks, and whether it picked the better one.

Usage: python bench/small_archives.py [--shares 0.05,0.1,...]
Each shared backtest is cut down to the newest share of its dated articles (undated pages kept),
as a desk with a short history would have, and scored on the same drafts three ways: as
`linkdesk index` decides (trained ranker, unless the unsupervised scorer does clearly better on
the archive's newest linked articles), the trained ranker always, the unsupervised scorer always.
"""

from __future__ import annotations

import sys
import tempfile

from common import SHARED, archive_records, arguments, record, write_backtest

import linkdesk.suggest.ranker as ranker_module
from linkdesk.config import load_config
from linkdesk.evaluate import backtest_dir


def cut_down(name: str, share: float, out: str) -> None:
    records = archive_records(name)
    days = sorted(r["published"] for r in records if r.get("published"))
    since = days[int(len(days) * (1 - share))]
    write_backtest(name, [r for r in records if not r.get("published") or r["published"] >= since], out)


def span_f1(directory: str, how: str) -> tuple[float, dict]:
    config = load_config()
    margin = ranker_module.CLEARLY_BETTER_F1
    if how == "unsupervised":
        config["suggest"]["min_training_links"] = 10**9
    elif how == "trained":
        config["suggest"]["min_training_links"] = 0
        ranker_module.CLEARLY_BETTER_F1 = float("inf")
    try:
        report = backtest_dir(directory, config)
    finally:
        ranker_module.CLEARLY_BETTER_F1 = margin
    return report.metrics["linked"]["span"]["f1"], report.training


def main() -> None:
    ap = arguments(__doc__)
    ap.add_argument("--shares", default="0.05,0.1,0.2,0.35,0.5")
    args = ap.parse_args()
    lines = ["| backtest | share of dated articles | internal links | picked | span F1 as picked | "
             "trained always | unsupervised always | held-out F1 trained / unsupervised |",
             "|---|---|---|---|---|---|---|---|"]
    right = differ = rows = 0
    sums = [0.0, 0.0, 0.0, 0.0]
    for name in ("digitalgov", "rust"):
        if not (SHARED / name).exists():
            print(f"skip {name}: not found", file=sys.stderr)
            continue
        for share in (float(s) for s in args.shares.split(",")):
            with tempfile.TemporaryDirectory() as tmp:
                cut_down(name, share, tmp)
                auto, info = span_f1(tmp, "auto")
                trained, _ = span_f1(tmp, "trained")
                unsupervised, _ = span_f1(tmp, "unsupervised")
            training = info["training"]
            held = training.get("held_out", {}).get("f1")
            rival = training.get("held_out_unsupervised", {}).get("f1")
            compared = f"{held:.3f} / {rival:.3f}" if held is not None and rival is not None else "not compared"
            rows += 1
            # the rule before the held-out comparison: a fixed cut at 300 links
            fixed_cut = unsupervised if info["internal_links"] < 300 else trained
            for k, f1 in enumerate((auto, trained, unsupervised, fixed_cut)):
                sums[k] += f1
            if abs(trained - unsupervised) > 1e-9:
                differ += 1
                right += auto >= max(trained, unsupervised) - 1e-9
            line = (f"| {name} | {share:.2f} | {info['internal_links']} | {info['ranker']} | {auto:.3f} | "
                    f"{trained:.3f} | {unsupervised:.3f} | {compared} |")
            print(line, flush=True)
            lines.append(line)
    lines.append("")
    n = max(1, rows)
    lines.append(f"Where the two scorers differ on the drafts, the pick was the better one in {right} of {differ} "
                 f"cases. Mean span F1: as picked {sums[0] / n:.3f}, trained always {sums[1] / n:.3f}, "
                 f"unsupervised always {sums[2] / n:.3f}; a fixed cut at 300 links {sums[3] / n:.3f}.")
    record("Small archives (bench/small_archives.py)", "\n".join(lines), args)


if __name__ == "__main__":
    main()
