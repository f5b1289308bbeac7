"""Related coverage for every archive article (`linkdesk related`): time in one process and in two.

Usage: python bench/related.py [--workdir DIR] [--count N]
The digitalgov backtest's archive is ingested and indexed, then every article gets its N (5) most
related articles with --jobs 1 and --jobs 2; the outputs must be identical. How good the lists are
is measured by bench/quality.py (the drafts' lists of three against the links the editors made).
"""

from __future__ import annotations

import time

from common import arguments, indexed_digitalgov, peak_rss_mb, record, workdir_option

from linkdesk.batch import related_in_archive
from linkdesk.config import load_config


def main() -> None:
    ap = arguments(__doc__)
    workdir_option(ap)
    ap.add_argument("--count", type=int, default=5)
    args = ap.parse_args()
    cfg = load_config()
    with indexed_digitalgov(args.workdir, cfg) as db:
        runs = {}
        for name, jobs in (("one process", 1), ("two processes", 2)):
            t = time.perf_counter()
            items = [item.to_json() for item in related_in_archive(db, cfg, count=args.count, jobs=jobs)]
            runs[name] = (time.perf_counter() - t, items)
            print(f"{name}: {len(items)} articles in {runs[name][0]:.1f} s")
    items = runs["one process"][1]
    assert runs["two processes"][1] == items, "the runs disagree"
    failed = sum(1 for i in items if "error" in i)
    lengths = [len(i["related"]) for i in items if "error" not in i]
    seconds = runs["one process"][0]
    table = (f"| digitalgov archive, {args.count} per article | figure |\n|---|---|\n"
             f"| articles read | {len(items):,} ({failed} failed) |\n"
             f"| articles with a related list | {sum(1 for n in lengths if n):,} |\n"
             f"| related articles listed, per article | {sum(lengths) / max(1, len(lengths)):.1f} |\n"
             f"| one process | {seconds:.1f} s ({1000 * seconds / len(items):.1f} ms per article, index load "
             f"included) |\n"
             f"| two processes (identical output) | {runs['two processes'][0]:.1f} s |\n"
             f"| peak RSS (this process and its worker processes) | {peak_rss_mb():.0f} MB |")
    record("Related coverage for the archive (bench/related.py)", table, args)


if __name__ == "__main__":
    main()
