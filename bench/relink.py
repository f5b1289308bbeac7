"""Relinking a whole archive (`linkdesk relink`): time in one process and in two, and what it finds.

Usage: python bench/relink.py [--workdir DIR]
The digitalgov backtest's archive is ingested and indexed, then every article is run through the
suggester at the archive's default threshold, with --jobs 1, --jobs 2 and --jobs 2 --ray local; the
outputs must be identical.
"""

from __future__ import annotations

import time

from common import arguments, indexed_digitalgov, peak_rss_mb, record, workdir_option

from linkdesk.batch import relink_archive
from linkdesk.config import load_config


def main() -> None:
    ap = arguments(__doc__)
    workdir_option(ap)
    args = ap.parse_args()
    cfg = load_config()
    with indexed_digitalgov(args.workdir, cfg) as db:
        runs = {}
        for name, jobs, ray_address in (("one process", 1, None), ("two processes", 2, None),
                                        ("two Ray actors (local Ray, start-up included)", 2, "local")):
            t = time.perf_counter()
            items = [item.to_json() for item in relink_archive(db, cfg, jobs=jobs, ray_address=ray_address)]
            runs[name] = (time.perf_counter() - t, items)
            print(f"{name}: {len(items)} articles in {runs[name][0]:.1f} s")
    items = runs["one process"][1]
    assert all(run[1] == items for run in runs.values()), "the runs disagree"
    with_links = [i for i in items if i.get("suggestions")]
    links = sum(len(i["suggestions"]) for i in with_links)
    failed = sum(1 for i in items if "error" in i)
    table = ("| digitalgov archive | figure |\n|---|---|\n"
             f"| articles read | {len(items):,} ({failed} failed) |\n"
             f"| articles that could carry more links | {len(with_links):,} |\n"
             f"| links suggested | {links:,} |\n"
             f"| one process | {runs['one process'][0]:.1f} s ({1000 * runs['one process'][0] / len(items):.1f} ms "
             f"per article, index load included) |\n"
             + "".join(f"| {name} (identical output) | {seconds:.1f} s |\n"
                       for name, (seconds, _) in runs.items() if name != "one process")
             + f"| peak RSS (this process and its worker processes; not the Ray actors) | {peak_rss_mb():.0f} MB |")
    record("Relinking the archive (bench/relink.py)", table, args)


if __name__ == "__main__":
    main()
