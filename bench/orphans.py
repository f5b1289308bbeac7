"""Where the archive could link to each of its orphans (`linkdesk inbound --orphans`): time over the
digitalgov archive in one process and in two, and what it finds.

Usage: python bench/orphans.py [--workdir DIR]
The digitalgov backtest's archive is ingested and indexed, then every orphan is asked about at the
archive's default threshold, in one read of the archive, with --jobs 1 and --jobs 2; the outputs
must be identical.
"""

from __future__ import annotations

import time

from common import arguments, indexed_digitalgov, peak_rss_mb, record, workdir_option

from linkdesk.config import load_config
from linkdesk.suggest.inbound import orphans_inbound


def main() -> None:
    ap = arguments(__doc__)
    workdir_option(ap)
    args = ap.parse_args()
    cfg = load_config()
    runs = {}
    with indexed_digitalgov(args.workdir, cfg) as db:
        for jobs in (1, 2):
            t = time.perf_counter()
            report = orphans_inbound(db, cfg, jobs=jobs)
            runs[jobs] = (time.perf_counter() - t, report, [item.to_json() for item in report.orphans])
            print(f"--jobs {jobs}: {len(report.orphans)} orphans in {runs[jobs][0]:.1f} s")
    assert runs[1][2] == runs[2][2], "the runs disagree"
    seconds, report, _ = runs[1]
    placed = [item.inbound for item in report.orphans if item.inbound is not None and item.inbound.links]
    table = ("| digitalgov archive | figure |\n|---|---|\n"
             f"| orphans asked about | {len(report.orphans):,} |\n"
             f"| orphans with a place at the default threshold | {len(placed):,} "
             f"({sum(len(found.links) for found in placed):,} links) |\n"
             f"| articles read (once, for all orphans) | {report.articles_read:,} "
             f"({len(report.unreadable)} unreadable) |\n"
             f"| one process, index load included | {seconds:.1f} s |\n"
             f"| two processes (identical output) | {runs[2][0]:.1f} s |\n"
             f"| peak RSS (this process and its worker processes) | {peak_rss_mb():.0f} MB |")
    record("Inbound links for every orphan (bench/orphans.py)", table, args)


if __name__ == "__main__":
    main()
