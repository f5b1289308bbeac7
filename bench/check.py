"""The archive-wide check (`linkdesk check`): time over the digitalgov archive and what it finds.

Usage: python bench/check.py [--workdir DIR]
The digitalgov backtest's archive is ingested and indexed, then every article is linted as
`linkdesk check --min-severity info` does.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from common import arguments, indexed_backtest, peak_rss_mb, record

from linkdesk.check import check_archive, summarize
from linkdesk.config import load_config
from linkdesk.suggest.pipeline import Suggester


def main() -> None:
    ap = arguments(__doc__)
    ap.add_argument("--workdir", help="where the store goes (default: a temporary folder)")
    args = ap.parse_args()
    cfg = load_config()
    with tempfile.TemporaryDirectory() as tmp:
        store = indexed_backtest("digitalgov", str(Path(args.workdir or tmp) / "digitalgov.db"), cfg)
        try:
            t = time.perf_counter()
            summary = summarize(check_archive(store, Suggester(store, cfg), min_severity="info"))
            seconds = time.perf_counter() - t
        finally:
            store.close()
    print(f"{summary.articles} articles in {seconds:.1f} s, {summary.with_findings} with findings")
    rows = "".join(f"| {rule} | {n:,} | {summary.articles_by_rule[rule]:,} |\n"
                   for rule, n in summary.findings.most_common())
    table = ("| digitalgov archive | figure |\n|---|---|\n"
             f"| articles checked | {summary.articles:,} ({summary.unreadable} unreadable) |\n"
             f"| articles with findings (any severity) | {summary.with_findings:,} |\n"
             f"| time, index load included | {seconds:.1f} s ({1000 * seconds / summary.articles:.1f} ms per article) |\n"
             f"| peak RSS | {peak_rss_mb():.0f} MB |\n\n"
             "| rule | findings | articles |\n|---|---|---|\n" + rows)
    record("Checking the archive (bench/check.py)", table, args)


if __name__ == "__main__":
    main()
