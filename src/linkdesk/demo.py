"""``make demo``: the whole desk on the packaged Harbor Ledger archive and demo draft.

Ingests the demo archive into a fresh SQLite file, indexes and trains, loads the demo source
catalog (a JSONL of outside coverage and an RSS feed), shows the archive's orphans and where its
most linked articles could be linked from next, then shows the draft's leftover notes and how they
resolve, the other suggestions, the lint, and writes the draft with the links
applied and the resolved notes removed.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from importlib import resources

from .config import load_config
from .drafts import draft_from_text, read_drafts
from .ingest import ingest
from .model import Rejection
from .render import terminal_report
from .sources.catalog import add_sources
from .store import open_store
from .suggest.inbound import inbound_links
from .suggest.pipeline import Suggester, apply_result, index_archive


def demo_paths() -> tuple[str, str]:
    """The demo archive (JSONL) and the demo draft (Markdown)."""
    base = resources.files("linkdesk").joinpath("data/demo")
    return str(base.joinpath("archive.jsonl")), str(base.joinpath("draft.md"))


def demo_sources() -> list[str]:
    """The demo source catalog: JSONL records and an RSS feed."""
    base = resources.files("linkdesk").joinpath("data/demo")
    return [str(base.joinpath("sources.jsonl")), str(base.joinpath("wire.rss"))]


def main(out_dir: str | None = None) -> int:
    logging.basicConfig(level=logging.ERROR)
    archive, draft_path = demo_paths()
    out_dir = out_dir or tempfile.mkdtemp(prefix="linkdesk-demo-")
    os.makedirs(out_dir, exist_ok=True)
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
    sources = add_sources(store, demo_sources(), cfg)
    print(f"== source catalog: {sources.added} items from {', '.join(os.path.basename(s) for s in demo_sources())}, "
          f"{info['sources_from_archive']['added']} from the archive's own citations")
    suggester = Suggester(store, cfg)
    print(f"== the archive: {stats['orphans']} orphans (nothing links to them); "
          "more places for its most linked articles:")
    for top in stats["most_linked"]:
        for link in inbound_links(store, suggester, top["url"]).links:
            s = link.suggestion
            print(f"   {link.source_title!r} could link \"{s.anchor}\" to {s.target_title!r} ({s.score:.2f})")
    store.close()
    draft = next(iter(read_drafts(draft_path)))
    assert not isinstance(draft, Rejection)
    result = suggester.run(draft, related=3)
    print(f"== leftover notes in the demo draft ({os.path.basename(draft_path)})")
    for note in result.placeholders:
        print(f"   {note.kind} note at {note.start}-{note.end}: {' '.join(note.text.split())[:100]}")
        if note.resolved is not None:
            r = note.resolved
            label = f", {r.outlet}" + (f" [{r.outlet_label}]" if r.outlet_label else "") if r.outlet else ""
            print(f"     resolved: \"{r.anchor}\" → {r.target_title} <{r.target_url}>{label}")
        elif note.gap is not None:
            print(f"     content gap: \"{note.gap['working_title']}\"; phrases: {', '.join(note.gap['phrases'])}")
        else:
            print("     unresolved")
    print("== suggestions")
    print(terminal_report(draft.doc, result.suggestions, color=sys.stdout.isatty()))
    print("== related coverage, for a box beside the draft (`suggest --related 3`)")
    for related in result.related or []:
        print(f"   {related.score:.2f}  {related.title} <{related.url}>")
    if not result.related:
        print("   none close enough")
    print("== lint before apply")
    for finding in result.findings:
        print(f"   {finding.severity}: {finding.message} [{finding.rule}]")
    applied = os.path.join(out_dir, "draft.linked.md")
    linked = apply_result(draft, result)
    with open(applied, "w", encoding="utf-8") as fh:
        fh.write(linked)
    removed = sum(1 for p in result.placeholders if p.resolved is not None)
    print(f"== wrote {applied}: {len(result.suggestions)} link(s) inserted, {removed} note(s) removed")
    after_draft = draft_from_text(linked, "markdown", draft.id)
    after = suggester.lint(after_draft.doc, suggester.notes(after_draft))
    print("== lint after apply: " + ("clean" if not after else ""))
    for finding in after:
        print(f"   {finding.severity}: {finding.message} [{finding.rule}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
