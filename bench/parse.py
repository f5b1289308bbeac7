"""Parsing long, link-heavy documents: a 5 MB draft in each markup linkdesk reads.

Usage: python bench/parse.py
Each document holds 20,000 paragraphs of about 45 words, each with one link: as HTML, as
Markdown, and as Markdown whose paragraphs are raw HTML blocks with Markdown links inside.
Records the seconds to parse each and the links found (all 20,000 must be).
"""

from __future__ import annotations

import time

from common import RESULTS, record

from linkdesk.text.parse import parse

PARAGRAPHS = 20_000
WORDS = "the ferry crossed the harbor at dawn with commuters and freight on board " * 3


def documents() -> dict[str, tuple[str, str]]:
    return {
        "HTML": ("html", "".join(f'<p>{WORDS}<a href="/news/{i}/">earlier story</a> more.</p>\n'
                                 for i in range(PARAGRAPHS))),
        "Markdown": ("markdown", "".join(f"{WORDS}[earlier story](/news/{i}/) more.\n\n" for i in range(PARAGRAPHS))),
        "Markdown in HTML blocks": ("markdown", "".join(f"<div>{WORDS}[earlier story](/news/{i}/) more.</div>\n\n"
                                                       for i in range(PARAGRAPHS))),
    }


def main() -> None:
    rows = []
    for name, (fmt, source) in documents().items():
        t = time.perf_counter()
        doc = parse(source, fmt)
        secs = time.perf_counter() - t
        mb = len(source.encode()) / 1e6
        rows.append(f"| {name} | {mb:.1f} | {len(doc.links):,} | {secs:.2f} |")
        print(f"{name}: {mb:.1f} MB, {len(doc.links):,} links found in {secs:.2f} s")
    record("Parsing long, link-heavy drafts (bench/parse.py)",
           "| markup | MB | links found (of 20,000) | seconds |\n|---|---|---|---|\n" + "\n".join(rows))
    print(f"recorded in {RESULTS}")


if __name__ == "__main__":
    main()
