"""The archive-wide check (`linkdesk check`): time over the digitalgov archive, in one process and in
two, and what it finds.

Usage: python bench/check.py [--workdir DIR]
The digitalgov backtest's archive is ingested and indexed, then every article is linted as
`linkdesk check --min-severity info` does, with --jobs 1 and --jobs 2; the outputs must be identical.
"""

from __future__ import annotations

from common import arguments, indexed_digitalgov, record, same_work_each_way, timing_rows, workdir_option

from linkdesk.check import CheckSummary, check_archive, summarize
from linkdesk.config import load_config


def main() -> None:
    ap = arguments(__doc__)
    workdir_option(ap)
    args = ap.parse_args()
    cfg = load_config()
    with indexed_digitalgov(args.workdir, cfg) as db:
        def checked(jobs: int) -> tuple[list[dict], CheckSummary]:
            found = list(check_archive(db, cfg, min_severity="info", jobs=jobs))
            return [c.to_json() for c in found], summarize(iter(found))

        runs = same_work_each_way([("one process", lambda: checked(1)), ("two processes", lambda: checked(2))])
    summary = runs["one process"][1]
    rows = "".join(f"| {rule} | {n:,} | {summary.articles_by_rule[rule]:,} |\n"
                   for rule, n in summary.findings.most_common())
    table = ("| digitalgov archive | figure |\n|---|---|\n"
             f"| articles checked | {summary.articles:,} ({summary.unreadable} unreadable) |\n"
             f"| articles with findings (any severity) | {summary.with_findings:,} |\n"
             + timing_rows(runs, summary.articles)
             + "\n| rule | findings | articles |\n|---|---|---|\n" + rows)
    record("Checking the archive (bench/check.py)", table, args)


if __name__ == "__main__":
    main()
