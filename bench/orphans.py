"""Where the archive could link to each of its orphans (`linkdesk inbound --orphans`): time over the
digitalgov archive in one process and in two, and what it finds.

Usage: python bench/orphans.py [--workdir DIR]
The digitalgov backtest's archive is ingested and indexed, then every orphan is asked about at the
archive's default threshold, in one read of the archive, with --jobs 1 and --jobs 2; the outputs
must be identical.
"""

from __future__ import annotations

from common import arguments, indexed_digitalgov, record, same_work_each_way, timing_rows, workdir_option

from linkdesk.config import load_config
from linkdesk.suggest.inbound import OrphansInbound, orphans_inbound


def main() -> None:
    ap = arguments(__doc__)
    workdir_option(ap)
    args = ap.parse_args()
    cfg = load_config()
    with indexed_digitalgov(args.workdir, cfg) as db:
        def asked(jobs: int) -> tuple[list[dict], OrphansInbound]:
            report = orphans_inbound(db, cfg, jobs=jobs)
            return [item.to_json() for item in report.orphans], report

        runs = same_work_each_way([("one process", lambda: asked(1)), ("two processes", lambda: asked(2))])
    report = runs["one process"][1]
    placed = [item.inbound for item in report.orphans if item.inbound is not None and item.inbound.links]
    table = ("| digitalgov archive | figure |\n|---|---|\n"
             f"| orphans asked about | {len(report.orphans):,} |\n"
             f"| orphans with a place at the default threshold | {len(placed):,} "
             f"({sum(len(found.links) for found in placed):,} links) |\n"
             f"| articles read (once, for all orphans) | {report.articles_read:,} "
             f"({len(report.unreadable)} unreadable) |\n"
             + timing_rows(runs))
    record("Inbound links for every orphan (bench/orphans.py)", table, args)


if __name__ == "__main__":
    main()
