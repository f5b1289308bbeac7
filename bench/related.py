"""Related coverage for every archive article (`linkdesk related`): time in one process and in two.

Usage: python bench/related.py [--workdir DIR] [--count N]
The digitalgov backtest's archive is ingested and indexed, then every article gets its N (5) most
related articles with --jobs 1 and --jobs 2; the outputs must be identical. How good the lists are
is measured by bench/quality.py (the drafts' lists of three against the links the editors made).
"""

from __future__ import annotations

from common import arguments, indexed_digitalgov, record, same_work_each_way, timing_rows, workdir_option

from linkdesk.batch import related_in_archive
from linkdesk.config import load_config


def main() -> None:
    ap = arguments(__doc__)
    workdir_option(ap)
    ap.add_argument("--count", type=int, default=5)
    args = ap.parse_args()
    cfg = load_config()
    with indexed_digitalgov(args.workdir, cfg) as db:
        def listed(jobs: int) -> tuple[list[dict], list[dict]]:
            items = [item.to_json() for item in related_in_archive(db, cfg, count=args.count, jobs=jobs)]
            return items, items

        runs = same_work_each_way([("one process", lambda: listed(1)), ("two processes", lambda: listed(2))])
    items = runs["one process"][1]
    failed = sum(1 for i in items if "error" in i)
    lengths = [len(i["related"]) for i in items if "error" not in i]
    table = (f"| digitalgov archive, {args.count} per article | figure |\n|---|---|\n"
             f"| articles read | {len(items):,} ({failed} failed) |\n"
             f"| articles with a related list | {sum(1 for n in lengths if n):,} |\n"
             f"| related articles listed, per article | {sum(lengths) / max(1, len(lengths)):.1f} |\n"
             + timing_rows(runs, len(items)))
    record("Related coverage for the archive (bench/related.py)", table, args)


if __name__ == "__main__":
    main()
