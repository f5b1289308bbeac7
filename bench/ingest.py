"""Ingest speed and memory: the digitalgov backtest archive, and a synthetic archive.

Usage: python bench/ingest.py [--synthetic N]   (default N = 100000)
Targets: digitalgov (2,518 articles) under 10 s; 100,000 synthetic under 5 minutes, under 2 GB peak.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

from common import ROOT, SHARED, arguments, record
from synth import write


def run_ingest(source: str, db: str) -> tuple[float, float, dict]:
    """Ingest in a fresh process so its peak memory is its own."""
    code = (
        "import json, resource, sys, time\n"
        "from linkdesk.ingest import ingest\nfrom linkdesk.store import open_store\n"
        "s = open_store(sys.argv[2]); t = time.perf_counter(); r = ingest(s, [sys.argv[1]])\n"
        "el = time.perf_counter() - t\n"
        "print(json.dumps({'seconds': el, 'rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,"
        " 'added': r.added, 'rejected': len(r.rejected), 'articles': s.count_articles()}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, source, db], check=True, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    data = json.loads(out.stdout.strip().splitlines()[-1])
    return data["seconds"], data["rss_mb"], data


def main() -> None:
    ap = arguments(__doc__)
    ap.add_argument("--synthetic", type=int, default=100_000)
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        dg = SHARED / "digitalgov" / "archive.jsonl.gz"
        if dg.exists():
            secs, rss, data = run_ingest(str(dg), os.path.join(tmp, "dg.db"))
            rows.append(("digitalgov archive", data["articles"], secs, rss, "< 10 s"))
            print(f"digitalgov: {data['articles']} articles in {secs:.1f} s, peak {rss:.0f} MB")
        synth = os.path.join(tmp, "synthetic.jsonl")
        t = time.perf_counter()
        write(synth, args.synthetic)
        gen = time.perf_counter() - t
        size = os.path.getsize(synth) / 1e6
        secs, rss, data = run_ingest(synth, os.path.join(tmp, "synth.db"))
        rows.append((f"synthetic ({size:.0f} MB JSONL)", data["articles"], secs, rss, "< 300 s, < 2,048 MB"))
        print(f"synthetic: {data['articles']} articles ({size:.0f} MB, generated in {gen:.0f} s) "
              f"in {secs:.1f} s, peak {rss:.0f} MB")
    table = "| archive | articles | ingest seconds | peak RSS MB | target |\n|---|---|---|---|---|\n"
    table += "\n".join(f"| {a} | {n:,} | {s:.1f} | {m:.0f} | {t} |" for a, n, s, m, t in rows)
    record("Ingest (bench/ingest.py)", table, args)


if __name__ == "__main__":
    main()
