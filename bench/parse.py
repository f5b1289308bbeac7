"""Long, link-heavy drafts: a 5 MB draft in each markup linkdesk reads, parsed, and suggested for.

Usage: python bench/parse.py [--skip-suggest]
Each document holds 20,000 paragraphs of about 45 words, each with one link: as HTML, as
Markdown, and as Markdown whose paragraphs are raw HTML blocks with Markdown links inside.
Records the seconds to parse each and the links found (all 20,000 must be); then, on the
digitalgov archive (ingested and indexed in a temporary folder), the seconds and peak memory of
`linkdesk suggest` on 5 MB Markdown drafts made of the digitalgov backtest's drafts one after
another (real text: titles named, time references, outside links), start-up included: once as the
backtest gives them, once as published, with their links to the archive put back (thousands of
links the suggester must keep clear of).
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import tempfile
import time

from common import ROOT, SHARED, arguments, record

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


def backtest_drafts_text(megabytes: float = 5.0, with_links: bool = False) -> str:
    """The digitalgov backtest's draft bodies one after another, repeated up to ``megabytes``;
    ``with_links``: each with the internal links the backtest took out put back."""
    with gzip.open(SHARED / "digitalgov" / "drafts.jsonl.gz", "rt", encoding="utf-8") as fh:
        bodies = {rec["id"]: rec["body"] for rec in map(json.loads, fh)}
    if with_links:
        with gzip.open(SHARED / "digitalgov" / "gold.jsonl.gz", "rt", encoding="utf-8") as fh:
            for rec in map(json.loads, fh):
                body = bodies[rec["id"]]
                for link in sorted(rec["links"], key=lambda g: -g["start"]):
                    start, end = link["start"], link["end"]
                    body = f"{body[:start]}[{body[start:end]}]({link['target_url']}){body[end:]}"
                bodies[rec["id"]] = body
    texts = list(bodies.values())
    parts: list[str] = []
    size = 0
    while size < megabytes * 1e6:
        body = texts[len(parts) % len(texts)]
        parts.append(body)
        size += len(body.encode()) + 2
    return "\n\n".join(parts)


def suggest_figures(drafts: dict[str, str]) -> dict[str, tuple[float, float, int]]:
    """Per Markdown draft: seconds, peak MB and exit code of `linkdesk suggest --json` on it against
    the digitalgov archive."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    figures = {}
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "dg.db")
        for args in (["ingest", str(SHARED / "digitalgov" / "archive.jsonl.gz"), "-q"], ["index"]):
            subprocess.run([sys.executable, "-m", "linkdesk", *args, "--db", db], check=True, env=env,
                           capture_output=True)
        for name, markdown in drafts.items():
            draft = os.path.join(tmp, "long.md")
            with open(draft, "w", encoding="utf-8") as fh:
                fh.write(markdown)
            done = subprocess.run([sys.executable, "-c", SUGGEST, "suggest", draft, "--db", db, "--json"],
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=True)
            seconds, peak_mb, code = done.stderr.strip().splitlines()[-1].split()
            figures[name] = float(seconds), float(peak_mb), int(code)
    return figures


def main() -> None:
    ap = arguments(__doc__)
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
        figures = suggest_figures({"as the backtest gives them": backtest_drafts_text(),
                                   "as published, links to the archive put back": backtest_drafts_text(with_links=True)})
        body += ("\n\n| `linkdesk suggest --json`, 5 MB of the digitalgov drafts as one Markdown draft | seconds (load "
                 "the index, parse, suggest, lint) | peak RSS (bound 2,048 MB) | exit code |\n|---|---|---|---|")
        for name, (seconds, peak_mb, code) in figures.items():
            print(f"suggest on 5 MB of the digitalgov drafts as one draft, {name}: {seconds:.1f} s, "
                  f"peak {peak_mb:.0f} MB, exit code {code}")
            body += f"\n| {name} | {seconds:.1f} | {peak_mb:.0f} MB | {code} |"
    record("Long, link-heavy drafts (bench/parse.py)", body, args)


if __name__ == "__main__":
    main()
