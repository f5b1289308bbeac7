"""Speed on the digitalgov backtest: ingest + index + training, then `linkdesk suggest` over
all 415 drafts in one process, start-up included; last, `linkdesk index --no-train` (the index
rebuilt, the ranker kept), as after a day's articles are ingested.

Usage: python bench/speed.py
Targets: ingest + index + train <= 60 s; suggest <= 50 ms per draft including start-up.
"""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import sys
import tempfile
import time

from common import ROOT, SHARED, arguments, record


def main() -> None:
    args = arguments(__doc__).parse_args()
    data = SHARED / "digitalgov"
    linkdesk = shutil.which("linkdesk") or str(ROOT / ".venv" / "bin" / "linkdesk")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "dg.db")
        t = time.perf_counter()
        subprocess.run([linkdesk, "ingest", str(data / "archive.jsonl.gz"), "--db", db, "-q"], check=False, env=env,
                       capture_output=True)
        t_ingest = time.perf_counter() - t
        t = time.perf_counter()
        subprocess.run([linkdesk, "index", "--db", db], check=True, env=env, capture_output=True)
        t_index = time.perf_counter() - t
        drafts = os.path.join(tmp, "drafts.jsonl")
        with gzip.open(data / "drafts.jsonl.gz", "rb") as src, open(drafts, "wb") as dst:
            dst.write(src.read())
        with open(drafts, encoding="utf-8") as fh:
            n = sum(1 for _ in fh)
        t = time.perf_counter()
        subprocess.run([linkdesk, "suggest", drafts, "--db", db, "--json"], check=True, env=env,
                       stdout=subprocess.DEVNULL)
        t_suggest = time.perf_counter() - t
        t = time.perf_counter()
        subprocess.run([linkdesk, "index", "--no-train", "--db", db], check=True, env=env, capture_output=True)
        t_refresh = time.perf_counter() - t
    per_draft = t_suggest / n * 1000
    print(f"ingest {t_ingest:.1f} s + index/train {t_index:.1f} s = {t_ingest + t_index:.1f} s (target <= 60 s)")
    print(f"suggest: {n} drafts in {t_suggest:.1f} s = {per_draft:.1f} ms per draft incl. start-up (target <= 50)")
    print(f"index --no-train (ranker kept): {t_refresh:.1f} s")
    record("Speed (bench/speed.py)", f"""
| step (digitalgov, {n} drafts) | figure | target |
|---|---|---|
| ingest | {t_ingest:.1f} s | |
| index + train | {t_index:.1f} s | |
| ingest + index + train | {t_ingest + t_index:.1f} s | <= 60 s |
| `linkdesk suggest` all drafts, one process | {t_suggest:.1f} s, {per_draft:.1f} ms per draft | <= 50 ms |
| `linkdesk index --no-train` (index rebuilt, ranker kept), start-up included | {t_refresh:.1f} s | |
""", args)
    sys.exit(0)


if __name__ == "__main__":
    main()
