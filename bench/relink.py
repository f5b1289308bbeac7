"""Relinking a whole archive (`linkdesk relink`): time in one process and in two, and what it finds.

Usage: python bench/relink.py [--workdir DIR]
The digitalgov backtest's archive is ingested and indexed, then every article is run through the
suggester at the archive's default threshold, once with --jobs 1 and once with --jobs 2; the two
outputs must be identical.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from common import RESULTS, indexed_backtest, peak_rss_mb, record

from linkdesk.batch import relink_archive
from linkdesk.config import load_config


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workdir", help="where the store goes (default: a temporary folder)")
    args = ap.parse_args()
    cfg = load_config()
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(args.workdir or tmp) / "digitalgov.db")
        indexed_backtest("digitalgov", db, cfg).close()
        runs = {}
        for jobs in (1, 2):
            t = time.perf_counter()
            items = [item.to_json() for item in relink_archive(db, cfg, jobs=jobs)]
            runs[jobs] = (time.perf_counter() - t, items)
            print(f"jobs {jobs}: {len(items)} articles in {runs[jobs][0]:.1f} s")
    items = runs[1][1]
    assert items == runs[2][1], "one process and two disagree"
    with_links = [i for i in items if i.get("suggestions")]
    links = sum(len(i["suggestions"]) for i in with_links)
    failed = sum(1 for i in items if "error" in i)
    table = ("| digitalgov archive | figure |\n|---|---|\n"
             f"| articles read | {len(items):,} ({failed} failed) |\n"
             f"| articles that could carry more links | {len(with_links):,} |\n"
             f"| links suggested | {links:,} |\n"
             f"| one process | {runs[1][0]:.1f} s ({1000 * runs[1][0] / len(items):.1f} ms per article, "
             f"index load included) |\n"
             f"| two processes (identical output) | {runs[2][0]:.1f} s |\n"
             f"| peak RSS (this process and its workers) | {peak_rss_mb():.0f} MB |")
    record("Relinking the archive (bench/relink.py)", table)
    print(f"recorded in {RESULTS}")


if __name__ == "__main__":
    main()
