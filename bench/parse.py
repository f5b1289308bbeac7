"""Long, link-heavy drafts: a 5 MB draft in each markup linkdesk reads, parsed, and suggested for.

Usage: python bench/parse.py [--skip-suggest]
Each document holds 20,000 paragraphs of about 45 words, each with one link: as HTML, as
Markdown, and as Markdown whose paragraphs are raw HTML blocks with Markdown links inside.
Records the seconds to parse each and the links found (all 20,000 must be); then, on the
digitalgov archive (ingested and indexed in a temporary folder), the seconds and peak memory of
`linkdesk suggest` on a 5 MB Markdown draft made of the digitalgov backtest's drafts one after
another (real text: titles named, time references, links), start-up included.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time

from common import RESULTS, ROOT, SHARED, record

from linkdesk.text.parse import parse

PARAGRAPHS = 20_000
WORDS = "the ferry crossed the harbor at dawn with commuters and freight on board " * 3
# the suggest run, timed in a process of its own so that its peak memory is its own
SUGGEST = """
import resource, sys, time
from linkdesk.cli import run
t = time.perf_counter()
code = run(sys.argv[1:])
print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, code, file=sys.stderr)
"""


def documents() -> dict[str, tuple[str, str]]:
    return {
        "HTML": ("html", "".join(f'<p>{WORDS}<a href="/news/{i}/">earlier story</a> more.</p>\n'
                                 for i in range(PARAGRAPHS))),
        "Markdown": ("markdown", "".join(f"{WORDS}[earlier story](/news/{i}/) more.\n\n" for i in range(PARAGRAPHS))),
        "Markdown in HTML blocks": ("markdown", "".join(f"<div>{WORDS}[earlier story](/news/{i}/) more.</div>\n\n"
                                                       for i in range(PARAGRAPHS))),
    }


def backtest_drafts_text(megabytes: float = 5.0) -> str:
    """The digitalgov backtest's draft bodies one after another, repeated up to ``megabytes``."""
    with gzip.open(SHARED / "digitalgov" / "drafts.jsonl.gz", "rt", encoding="utf-8") as fh:
        bodies = [json.loads(line)["body"] for line in fh]
    parts: list[str] = []
    size = 0
    while size < megabytes * 1e6:
        body = bodies[len(parts) % len(bodies)]
        parts.append(body)
        size += len(body.encode()) + 2
    return "\n\n".join(parts)


def suggest_figures(markdown: str) -> tuple[float, float, int]:
    """Seconds, peak MB and exit code of `linkdesk suggest --json` on ``markdown`` against the
    digitalgov archive."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    with tempfile.TemporaryDirectory() as tmp:
        db, draft = os.path.join(tmp, "dg.db"), os.path.join(tmp, "long.md")
        with open(draft, "w", encoding="utf-8") as fh:
            fh.write(markdown)
        for args in (["ingest", str(SHARED / "digitalgov" / "archive.jsonl.gz"), "-q"], ["index"]):
            subprocess.run([sys.executable, "-m", "linkdesk", *args, "--db", db], check=True, env=env,
                           capture_output=True)
        done = subprocess.run([sys.executable, "-c", SUGGEST, "suggest", draft, "--db", db, "--json"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=True)
    seconds, peak_mb, code = done.stderr.strip().splitlines()[-1].split()
    return float(seconds), float(peak_mb), int(code)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-suggest", action="store_true")
    args = ap.parse_args()
    rows = []
    docs = documents()
    for name, (fmt, source) in docs.items():
        t = time.perf_counter()
        doc = parse(source, fmt)
        secs = time.perf_counter() - t
        mb = len(source.encode()) / 1e6
        rows.append(f"| {name} | {mb:.1f} | {len(doc.links):,} | {secs:.2f} |")
        print(f"{name}: {mb:.1f} MB, {len(doc.links):,} links found in {secs:.2f} s")
    body = "| markup | MB | links found (of 20,000) | seconds to parse |\n|---|---|---|---|\n" + "\n".join(rows)
    if not args.skip_suggest and (SHARED / "digitalgov").exists():
        seconds, peak_mb, code = suggest_figures(backtest_drafts_text())
        print(f"suggest on 5 MB of the digitalgov drafts as one draft: {seconds:.1f} s, peak {peak_mb:.0f} MB, "
              f"exit code {code}")
        body += ("\n\n| `linkdesk suggest --json`, 5 MB of the digitalgov drafts as one Markdown draft | figure | bound |\n"
                 f"|---|---|---|\n| seconds (load the index, parse, suggest, lint) | {seconds:.1f} | |\n"
                 f"| peak RSS | {peak_mb:.0f} MB | <= 2,048 MB |\n| exit code | {code} | |")
    record("Long, link-heavy drafts (bench/parse.py)", body)
    print(f"recorded in {RESULTS}")


if __name__ == "__main__":
    main()
