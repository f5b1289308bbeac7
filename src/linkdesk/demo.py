"""``make demo``: the whole desk on the packaged Harbor Ledger archive and demo draft.

Ingests the demo archive into a fresh SQLite file, indexes and trains, shows the archive's
statistics, the draft's suggestions, and writes the draft with the links applied.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from importlib import resources

from .config import load_config
from .drafts import read_drafts
from .ingest import ingest
from .model import Rejection
from .render import apply_suggestions, terminal_report
from .store import open_store
from .suggest.pipeline import Suggester, index_archive


def demo_paths() -> tuple[str, str]:
    base = resources.files("linkdesk").joinpath("data/demo")
    return str(base.joinpath("archive.jsonl")), str(base.joinpath("draft.md"))


def main(out_dir: str | None = None) -> int:
    logging.basicConfig(level=logging.ERROR)
    archive, draft_path = demo_paths()
    out_dir = out_dir or tempfile.mkdtemp(prefix="linkdesk-demo-")
    db = os.path.join(out_dir, "demo.db")
    cfg = load_config()
    store = open_store(db)
    report = ingest(store, [archive], config=cfg)
    print(f"== ingest {os.path.basename(archive)} → {db}")
    print(f"   {report.added} added, {report.updated} updated, {len(report.rejected)} rejected")
    stats = store.stats()
    links = stats["links"]
    print(f"   {stats['articles']} articles in {len(stats['by_section'])} sections, "
          f"{links['internal']} internal and {links['external']} external links")
    info = index_archive(store, cfg)
    print(f"== index: {info['anchor_phrases']} anchor phrases; ranker {info['ranker']}"
          + (f" ({info['training'].get('reason')})" if info["ranker"] != "trained" else ""))
    suggester = Suggester(store, cfg)
    store.close()
    draft = next(iter(read_drafts(draft_path)))
    assert not isinstance(draft, Rejection)
    result = suggester.run(draft)
    print(f"== suggestions for the demo draft ({os.path.basename(draft_path)})")
    print(terminal_report(draft.doc.source, result.suggestions, color=sys.stdout.isatty()))
    for finding in result.findings:
        print(f"   {finding.severity}: {finding.message}")
    applied = os.path.join(out_dir, "draft.linked.md")
    with open(applied, "w", encoding="utf-8") as fh:
        fh.write(apply_suggestions(draft.doc.source, draft.doc.format, result.suggestions))
    print(f"== wrote {applied} with {len(result.suggestions)} link(s) inserted")
    return 0


if __name__ == "__main__":
    sys.exit(main())
