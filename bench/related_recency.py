"""Related coverage with recent coverage first (`[related] half_life_days`): the drafts' lists of
three against the articles their editors linked (target view, linked drafts, as `linkdesk eval`
scores them), at several half-lives, on both shared backtests.

Usage: python bench/related_recency.py
0 is the default (age does not count). The figures say what the setting costs or gains where
editors' links are the measure; a desk that turns it on wants fresher boxes, which links do not show.
"""

from __future__ import annotations

import gzip
import json
import tempfile
from pathlib import Path

from common import SHARED, arguments, indexed_backtest, record

from linkdesk.config import load_config
from linkdesk.drafts import read_drafts
from linkdesk.evaluate import RELATED_COUNT, score_predictions
from linkdesk.model import Rejection
from linkdesk.suggest.pipeline import Suggester

HALF_LIVES = (0.0, 90.0, 365.0, 1095.0)


def main() -> None:
    args = arguments(__doc__).parse_args()
    rows = []
    for name in ("digitalgov", "rust"):
        with tempfile.TemporaryDirectory() as tmp:
            store = indexed_backtest(name, str(Path(tmp) / f"{name}.db"), load_config())
            try:
                drafts = [d for d in read_drafts(str(SHARED / name / "drafts.jsonl.gz")) if not isinstance(d, Rejection)]
                with gzip.open(SHARED / name / "gold.jsonl.gz", "rt", encoding="utf-8") as fh:
                    gold = {str(r["id"]): r["links"] for r in map(json.loads, fh)}
                for half_life in HALF_LIVES:
                    suggester = Suggester(store, load_config(overrides={"related": {"half_life_days": half_life}}))
                    lists = {str(d.id): [{"target_url": r.url} for r in suggester.related(d, RELATED_COUNT)]
                             for d in drafts}
                    m = score_predictions(gold, lists)["linked"]["target"]
                    rows.append((name, half_life, m))
                    print(f"{name} half-life {half_life:g} days: P {m['precision']:.3f} R {m['recall']:.3f} "
                          f"F1 {m['f1']:.3f}")
            finally:
                store.close()
    table = ("| backtest | half_life_days | related P / R / F1 (lists of three, target view, linked drafts) |\n"
             "|---|---|---|\n")
    table += "".join(f"| {name} | {'0 (default, off)' if not h else f'{h:g}'} | "
                     f"{m['precision']:.3f} / {m['recall']:.3f} / {m['f1']:.3f} |\n" for name, h, m in rows)
    record("Related coverage, recent first (bench/related_recency.py)", table, args)


if __name__ == "__main__":
    main()
