"""`make demo` runs the whole desk on the packaged archive: every step it prints, and the draft it
writes with the links in and the notes out, linted clean."""

from __future__ import annotations

from pathlib import Path

from linkdesk.demo import demo_paths, main


def test_the_demo_runs_every_step_and_writes_a_clean_linked_draft(tmp_path: Path, capsys) -> None:
    assert main(str(tmp_path)) == 0
    out = capsys.readouterr().out
    steps = ["== ingest", "== index", "== source catalog", "== the archive", "== leftover notes",
             "== suggestions", "== related coverage", "== lint before apply", "== wrote", "== lint after apply"]
    assert [out.index(step) for step in steps] == sorted(out.index(step) for step in steps)
    assert "43 added, 0 updated, 0 rejected" in out
    assert out.count("     resolved: ") == 2 and "2 note(s) removed" in out
    assert "== lint after apply: clean" in out
    related = out[out.index("== related coverage"):out.index("== lint before apply")].splitlines()[1:]
    assert related and all("<https://harborledger.example/" in line for line in related)
    linked = (tmp_path / "draft.linked.md").read_text(encoding="utf-8")
    draft = Path(demo_paths()[1]).read_text(encoding="utf-8")
    assert "Link Suggestion" in draft and "Link Suggestion" not in linked
    assert linked.count("](https://") > draft.count("](https://")
