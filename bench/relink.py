"""Relinking a whole archive (`linkdesk relink`): time in one process and in two, and what it finds.

Usage: python bench/relink.py [--workdir DIR]
The digitalgov backtest's archive is ingested and indexed, then every article is run through the
suggester at the archive's default threshold, with --jobs 1, --jobs 2 and --jobs 2 --ray local; the
outputs must be identical.
"""

from __future__ import annotations

from common import arguments, indexed_digitalgov, record, same_work_each_way, timing_rows, workdir_option

from linkdesk.batch import relink_archive
from linkdesk.config import load_config


def main() -> None:
    ap = arguments(__doc__)
    workdir_option(ap)
    args = ap.parse_args()
    cfg = load_config()
    with indexed_digitalgov(args.workdir, cfg) as db:
        def relinked(jobs: int, ray_address: str | None = None) -> tuple[list[dict], list[dict]]:
            items = [item.to_json() for item in relink_archive(db, cfg, jobs=jobs, ray_address=ray_address)]
            return items, items

        runs = same_work_each_way([("one process", lambda: relinked(1)), ("two processes", lambda: relinked(2)),
                                   ("two Ray actors (local Ray, start-up included)", lambda: relinked(2, "local"))])
    items = runs["one process"][1]
    with_links = [i for i in items if i.get("suggestions")]
    links = sum(len(i["suggestions"]) for i in with_links)
    failed = sum(1 for i in items if "error" in i)
    table = ("| digitalgov archive | figure |\n|---|---|\n"
             f"| articles read | {len(items):,} ({failed} failed) |\n"
             f"| articles that could carry more links | {len(with_links):,} |\n"
             f"| links suggested | {links:,} |\n"
             + timing_rows(runs, len(items), not_counted="; not the Ray actors"))
    record("Relinking the archive (bench/relink.py)", table, args)


if __name__ == "__main__":
    main()
