"""The archive-wide check (`linkdesk check`): time over the digitalgov archive, in one process and in
two, and what it finds.

Usage: python bench/check.py [--workdir DIR]
The digitalgov backtest's archive is ingested and indexed, then every article is linted as
`linkdesk check --min-severity info` does, with --jobs 1 and --jobs 2; the outputs must be identical.
"""

from __future__ import annotations

import time

from common import arguments, indexed_digitalgov, peak_rss_mb, record, workdir_option

from linkdesk.check import CheckSummary, check_archive, summarize
from linkdesk.config import load_config


def main() -> None:
    ap = arguments(__doc__)
    workdir_option(ap)
    args = ap.parse_args()
    cfg = load_config()
    runs: dict[int, tuple[float, CheckSummary, list[dict]]] = {}
    with indexed_digitalgov(args.workdir, cfg) as db:
        for jobs in (1, 2):
            t = time.perf_counter()
            checked = list(check_archive(db, cfg, min_severity="info", jobs=jobs))
            summary = summarize(iter(checked))
            runs[jobs] = (time.perf_counter() - t, summary, [c.to_json() for c in checked])
            print(f"--jobs {jobs}: {summary.articles} articles in {runs[jobs][0]:.1f} s, "
                  f"{summary.with_findings} with findings")
    assert runs[1][2] == runs[2][2], "the runs disagree"
    seconds, summary, _ = runs[1]
    rows = "".join(f"| {rule} | {n:,} | {summary.articles_by_rule[rule]:,} |\n"
                   for rule, n in summary.findings.most_common())
    table = ("| digitalgov archive | figure |\n|---|---|\n"
             f"| articles checked | {summary.articles:,} ({summary.unreadable} unreadable) |\n"
             f"| articles with findings (any severity) | {summary.with_findings:,} |\n"
             f"| one process, index load included | {seconds:.1f} s ({1000 * seconds / summary.articles:.1f} ms "
             "per article) |\n"
             f"| two processes (identical output) | {runs[2][0]:.1f} s |\n"
             f"| peak RSS (this process and its worker processes) | {peak_rss_mb():.0f} MB |\n\n"
             "| rule | findings | articles |\n|---|---|---|\n" + rows)
    record("Checking the archive (bench/check.py)", table, args)


if __name__ == "__main__":
    main()
