"""Leftover-note detection on drafts that contain none: every note found there is a false positive.

Usage: python bench/notes.py
Runs the packaged pattern set over the drafts of every shared backtest (digitalgov, rust, and the
sources-2025 event summaries) and records how many notes it finds, by pattern.
"""

from __future__ import annotations

import time
from collections import Counter

from common import SHARED, arguments, record

from linkdesk.drafts import read_drafts
from linkdesk.model import Rejection
from linkdesk.placeholders import find_notes


def main() -> None:
    args = arguments(__doc__).parse_args()
    rows = []
    for name in ("digitalgov", "rust", "sources-2025"):
        path = SHARED / name / "drafts.jsonl.gz"
        if not path.exists():
            continue
        drafts = 0
        chars = 0
        found: Counter[str] = Counter()
        t = time.perf_counter()
        for d in read_drafts(str(path)):
            if isinstance(d, Rejection):
                continue
            drafts += 1
            chars += len(d.doc.source)
            for note in find_notes(d.doc):
                found[note.pattern] += 1
                print(f"{name} {d.id}: {note.pattern}: {note.text[:80]!r}")
        secs = time.perf_counter() - t
        rows.append((name, drafts, chars, sum(found.values()), dict(found), secs))
        print(f"{name}: {drafts} drafts, {sum(found.values())} notes found {dict(found) or ''}")
    table = "| drafts | count | characters | notes found (all false positives) | seconds (parse + find) |\n" \
            "|---|---|---|---|---|\n"
    table += "\n".join(f"| {n} | {d:,} | {c:,} | {f} {p or ''} | {s:.1f} |" for n, d, c, f, p, s in rows)
    record("Leftover notes on backtest drafts (bench/notes.py)", table, args)


if __name__ == "__main__":
    main()
