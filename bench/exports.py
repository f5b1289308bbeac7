"""The same archives as other exports would give them: do the figures hang on the export's form?

Usage: python bench/exports.py
Each shared backtest's archive is written again as HTML (its Markdown rendered, as a CMS or a
WordPress export holds pages) with its internal links site-relative ("/2024/05/story/"), and scored
on the same drafts and gold as the Markdown archive. A desk's archive arrives in whatever form its
CMS exports; the suggestions, and the threshold chosen on the archive, should not depend on it.
"""

from __future__ import annotations

import sys
import tempfile
from urllib.parse import urlsplit

from common import SHARED, archive_records, arguments, record, write_backtest
from markdown_it import MarkdownIt

from linkdesk.config import load_config
from linkdesk.evaluate import backtest_dir


def as_html(name: str, out: str) -> None:
    render = MarkdownIt("commonmark").enable("table").render
    records = archive_records(name)
    hosts = {urlsplit(r["url"]).netloc for r in records}
    pages = []
    for r in records:
        body = render(r["body"]) if r.get("format", "markdown") == "markdown" else r["body"]
        for host in hosts:
            body = body.replace(f'href="https://{host}/', 'href="/').replace(f'href="http://{host}/', 'href="/')
        pages.append({**r, "body": body, "format": "html"})
    write_backtest(name, pages, out)


def figures(directory: str) -> str:
    report = backtest_dir(directory, load_config())
    span = report.metrics["linked"]["span"]
    return f"{report.threshold:.3f} | {span['precision']:.3f} / {span['recall']:.3f} / {span['f1']:.3f}"


def main() -> None:
    args = arguments(__doc__).parse_args()
    lines = ["| backtest | archive as | threshold | span P / R / F1 (linked drafts) |", "|---|---|---|---|"]
    for name in ("digitalgov", "rust"):
        if not (SHARED / name).exists():
            print(f"skip {name}: not found", file=sys.stderr)
            continue
        with tempfile.TemporaryDirectory() as tmp:
            as_html(name, tmp)
            for form, directory in (("Markdown, absolute links (as shipped)", str(SHARED / name)),
                                    ("HTML, site-relative links", tmp)):
                line = f"| {name} | {form} | {figures(directory)} |"
                print(line, flush=True)
                lines.append(line)
    record("Other exports of the same archives (bench/exports.py)", "\n".join(lines), args)


if __name__ == "__main__":
    main()
