"""Suggestions on the demo archive, the editorial policy, apply, and bad input."""

from __future__ import annotations

import gzip
import itertools
import json
import pickle
import random
import re
import shutil
import zlib
from pathlib import Path

import pytest

from linkdesk.archive import archive_stats
from linkdesk.cli import EXIT_OK, run
from linkdesk.config import load_config
from linkdesk.demo import demo_paths
from linkdesk.drafts import draft_from_text, read_drafts
from linkdesk.errors import ConfigError, DraftError, IndexMissingError, InputError
from linkdesk.index import linkindex
from linkdesk.index.linkindex import INDEX_BLOB, load_index, save_index
from linkdesk.model import Rejection, Suggestion
from linkdesk.render import apply_suggestions, terminal_report
from linkdesk.store import open_store
from linkdesk.suggest.inbound import inbound_links
from linkdesk.suggest.pipeline import LAYOUT, Suggester, apply_result, index_archive
from linkdesk.suggest.policy import Policy, Scored, Spans, apart, select, side_by_side
from linkdesk.suggest.ranker import Ranker
from linkdesk.text.normalize import NORMALIZATION_VERSION
from linkdesk.text.parse import parse

DRAFT = ("The Tidewater Bridge deck will be replaced with a federal grant, and trucks stay barred under the "
         "weight limit. Harbor ferry ridership hit a record this spring.")


def test_demo_draft_suggestions(suggester: Suggester) -> None:
    _, draft_path = demo_paths()
    source = Path(draft_path).read_text()
    result = suggester.run(draft_from_text(source, "markdown", "draft.md"))
    assert result.suggestions
    urls = {s.target_url for s in result.suggestions}
    assert "https://harborledger.example/2025/06/ferry-ridership-record/" in urls
    for s in result.suggestions:
        assert source[s.start:s.end] == s.anchor  # offsets index the draft exactly as given
        assert 0 < s.score <= 1 and s.reasons
    heading_end = source.index("\n")
    assert all(s.start > heading_end for s in result.suggestions)  # never in the heading


def test_a_suggester_without_the_source_catalog_links_the_archive_the_same(suggester: Suggester,
                                                                            demo_db: str) -> None:
    # relinking and inbound links need no outside sources: their suggester skips building that search
    store = open_store(demo_db, create=False)
    try:
        bare = Suggester(store, load_config(), sources=False)
    finally:
        store.close()
    _, draft_path = demo_paths()
    draft = draft_from_text(Path(draft_path).read_text(), "markdown", "draft.md")
    assert suggester.sources is not None and bare.sources is None
    internal = bare.internal(draft)
    assert internal and internal == suggester.internal(draft)
    # what needs the catalog says so, rather than answering as if it were empty
    with pytest.raises(RuntimeError, match="without the source catalog"):
        bare.run(draft)


def test_offsets_are_into_source_with_entities(suggester: Suggester) -> None:
    source = "<p>Officials&#8217; note: Harbor ferry ridership hit a record, the Port said.</p>"
    result = suggester.run(draft_from_text(source, "html", "d.html"))
    (s,) = [x for x in result.suggestions if "ridership" in x.anchor]
    assert source[s.start:s.end] == "Harbor ferry ridership hit a record"


def test_never_links_the_draft_itself(suggester: Suggester) -> None:
    url = "https://harborledger.example/2025/06/ferry-ridership-record/"
    result = suggester.run(draft_from_text(DRAFT, "text", "d.txt", url=url))
    assert url not in {s.target_url for s in result.suggestions}


def test_existing_link_target_not_suggested_again(suggester: Suggester) -> None:
    src = ("Earlier: [ridership record](https://harborledger.example/2025/06/ferry-ridership-record/). "
           "Harbor ferry ridership hit a record this spring.")
    result = suggester.run(draft_from_text(src, "markdown", "d.md"))
    assert "https://harborledger.example/2025/06/ferry-ridership-record/" not in {s.target_url for s in
                                                                                   result.suggestions}


def test_in_page_anchors_and_images_leave_the_link_budget_alone(suggester: Suggester) -> None:
    # a long contents list and charts are not links to earlier coverage; counted as such they
    # would use up the draft's whole budget and nothing would be suggested
    contents = ", ".join(f"[part {k}](#part-{k})" for k in range(12))
    charts = ", ".join(f"[chart {k}](chart-{k}.png)" for k in range(6))
    linked = f"{contents}\n\n{DRAFT}\n\n{charts}"
    unlinked = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", linked)

    def internal(text: str) -> list[str]:
        return [s.target_url for s in suggester.run(draft_from_text(text, "markdown", "d.md")).suggestions
                if s.kind == "internal"]

    assert internal(unlinked)
    assert internal(linked) == internal(unlinked)


def test_no_suggestion_beside_the_link_a_note_asked_for(suggester: Suggester) -> None:
    filler = "Commuters waited on the dock for an hour on Monday, and several said they would drive next week. " * 6
    src = (filler + 'The first electric ferry Harbor ferry ridership hit a record this spring. (Internal Link '
           'Suggestion: Link "first electric ferry" to your earlier article about the first electric ferry entering '
           'service on the Eastbank route.)')
    draft = draft_from_text(src, "markdown", "d.md")
    result = suggester.run(draft)
    assert [p.resolved.anchor for p in result.placeholders if p.resolved] == ["first electric ferry"]
    spans = sorted((s.start, s.end) for s in result.suggestions)
    assert not any(side_by_side(src, a_end, b_start) for (_, a_end), (b_start, _) in itertools.pairwise(spans))
    applied = draft_from_text(apply_result(draft, result), "markdown", "applied.md")
    assert "adjacent-links" not in {f.rule for f in suggester.run(applied).findings}


def _items(*spans: tuple[int, int, str, float]) -> list[Scored]:
    return [Scored(a, b, t, f"anchor{a}", s) for a, b, t, s in spans]


@pytest.mark.parametrize("name,items,overrides,expected", [
    ("threshold", _items((0, 5, "a", 0.9), (10, 15, "b", 0.2)), {}, [0]),
    ("one link per target", _items((0, 5, "a", 0.9), (10, 15, "a", 0.8)), {}, [0]),
    ("no overlap", _items((0, 8, "a", 0.9), (4, 12, "b", 0.8)), {}, [0]),
    ("not side by side", _items((0, 5, "a", 0.9), (6, 12, "b", 0.8)), {"min_gap_chars": 2}, [0]),
    ("cap", _items((0, 5, "a", 0.9), (20, 25, "b", 0.8), (40, 45, "c", 0.95)), {"max_links": 2}, [0, 2]),
    ("heading is off limits", _items((60, 65, "a", 0.9)), {}, []),
])
def test_policy_rules(name: str, items: list[Scored], overrides: dict, expected: list[int]) -> None:
    doc = parse("x" * 58 + "\n\n" + "# " + "y" * 20 + "\n\n" + "z" * 30, "markdown")
    policy = Policy.from_config(load_config(), max_links_per_100_words=0, **overrides)
    # map test spans onto the parsed text: the heading zone sits at plain offsets 60-80
    assert any(z.kind == "heading" and z.start == 60 for z in doc.zones)
    assert [placed for placed, _ in select(doc, items, policy, 0.5)] == expected


@pytest.mark.parametrize("name,items,expected", [
    ("the same words further down scored higher: linked where the reader first meets them",
     [Scored(0, 5, "a", "Ferry", 0.3), Scored(20, 25, "a", "ferry", 0.9)], [(0, 1)]),
    ("other words for the same article are another phrase",
     [Scored(0, 5, "a", "Boats", 0.3), Scored(20, 25, "a", "ferry", 0.9)], [(1, 1)]),
    ("a first mention in a heading is off limits: the next one",
     [Scored(60, 65, "a", "ferry", 0.9), Scored(84, 89, "a", "ferry", 0.2), Scored(100, 105, "a", "ferry", 0.7)],
     [(1, 2)]),
    ("no mention scores enough: no link anywhere", [Scored(0, 5, "a", "ferry", 0.3)], []),
])
def test_first_mention_only_links_a_phrase_where_it_first_appears(name: str, items: list[Scored],
                                                                  expected: list[tuple[int, int]]) -> None:
    doc = parse("x" * 58 + "\n\n" + "# " + "y" * 20 + "\n\n" + "z" * 30, "markdown")
    policy = Policy.from_config(load_config(), max_links_per_100_words=0)
    assert select(doc, items, policy, 0.5) == expected
    later = Policy.from_config(load_config(), max_links_per_100_words=0, first_mention_only=False)
    assert [placed for placed, _ in select(doc, items, later, 0.5)] == [decided for _, decided in expected]


def test_terminal_view_shows_the_text_a_reader_sees(suggester: Suggester) -> None:
    src = ("<!-- chart: ridership by month -->\n<script>draw('ridership');</script>\n\n"
           "Harbor ferry **ridership** hit a record this spring, helped by frozen fares.\n")
    draft = draft_from_text(src, "markdown", "d.md")
    result = suggester.run(draft)
    assert result.suggestions
    view = terminal_report(draft.doc, result.suggestions)
    assert "<!--" not in view and "script" not in view and "**" not in view
    first = result.suggestions[0]
    assert f"[[{draft.doc.text[slice(*draft.doc.text_span(first.start, first.end))]}]]" in view


def test_apply_only_inserts_markup(suggester: Suggester) -> None:
    _, draft_path = demo_paths()
    source = Path(draft_path).read_text()
    result = suggester.run(draft_from_text(source, "markdown", "draft.md"))
    out = apply_suggestions(source, "markdown", result.suggestions)
    assert out != source
    stripped = re.sub(r"\[([^\]]*)\]\(https?://[^)]*\)", r"\1", out)
    assert stripped == source
    html_src = "<p>Harbor ferry ridership hit a record this spring.</p>"
    res = suggester.run(draft_from_text(html_src, "html", "d.html"))
    out_html = apply_suggestions(html_src, "html", res.suggestions)
    assert re.sub(r'<a href="[^"]*">|</a>', "", out_html) == html_src and "<a href=" in out_html


def test_cli_suggest_json_and_apply(demo_db: str, tmp_path: Path, capsys) -> None:
    drafts = tmp_path / "drafts.jsonl"
    drafts.write_text(json.dumps({"id": "d1", "body": DRAFT, "format": "text"}) + "\n"
                      + '{"id": "broken", "body": \n'
                      + json.dumps({"id": "d2", "body": ""}) + "\n"
                      + '{"id": "d3", "body": "a \\udc9f b"}\n'
                      + json.dumps({"id": "d4", "body": "x", "title": 7}) + "\n")
    assert run(["suggest", str(drafts), "--db", demo_db, "--json"]) == 1
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in captured.out.splitlines()]
    assert [line["id"] for line in lines] == ["d1", "d2"]
    assert set(lines[0]) == {"id", "suggestions", "placeholders", "findings"}
    sugg = lines[0]["suggestions"][0]
    assert set(sugg) == {"kind", "anchor", "start", "end", "target_url", "target_title", "score", "reasons"}
    assert DRAFT[sugg["start"]:sugg["end"]] == sugg["anchor"]
    assert lines[1]["findings"][0]["rule"] == "empty-draft"
    assert f"{drafts}:2: malformed JSON" in captured.err
    # answers, files and terminals are UTF-8: a draft that cannot be written out is refused, naming why
    assert f"{drafts}:4: field 'body' holds an unpaired surrogate \\udc9f at character 2" in captured.err
    assert f"{drafts}:5: field 'title' must be a string" in captured.err
    text_draft = tmp_path / "d.txt"
    text_draft.write_text(DRAFT)
    out = tmp_path / "out.md"
    assert run(["apply", str(text_draft), "--out", str(out), "--db", demo_db]) == 0
    assert "](https://harborledger.example/" in out.read_text()


def test_bad_drafts(demo_db: str, tmp_path: Path, suggester: Suggester, capsys) -> None:
    bad = tmp_path / "bad.md"
    bad.write_bytes(b"Caf\xe9 au lait")
    assert run(["suggest", str(bad), "--db", demo_db]) == 1
    assert "not valid UTF-8 (byte 0xe9 at offset 3)" in capsys.readouterr().err
    all_links = "[Harbor ferry ridership](https://harborledger.example/2025/06/ferry-ridership-record/)"
    assert suggester.run(draft_from_text(all_links, "markdown", "l.md")).suggestions == []
    big = ("Harbor ferry ridership hit a record. " + "Plain words fill the page. " * 40 + "\n\n") * 1200
    assert len(big.encode()) > 1_000_000
    result = suggester.run(draft_from_text(big, "text", "big.txt"))
    assert all(big[s.start:s.end] == s.anchor for s in result.suggestions)
    with pytest.raises(DraftError):
        draft_from_text("x" * 20_000_001, "text", "huge.txt")


@pytest.mark.parametrize("setting,message", [
    ("[suggest]\nthreshold = 1.5", "suggest.threshold: expected \"auto\" or a score from 0 to 1, got 1.5"),
    ("[suggest]\nthreshold = \"high\"", "got 'high'"),
    ("[policy]\nmax_links = -1", "policy.max_links: -1 must not be negative"),
    ("[policy]\nmax_links_per_100_words = nan", "policy.max_links_per_100_words: nan must not be negative"),
    ("[policy]\nmax_links_per_100_words = 2", None),
])
def test_config_values_out_of_range_are_named(tmp_path: Path, setting: str, message: str | None) -> None:
    cfg_file = tmp_path / "linkdesk.toml"
    cfg_file.write_text(setting + "\n", encoding="utf-8")
    if message is None:
        assert load_config(str(cfg_file))["policy"]["max_links_per_100_words"] == 2.0
        return
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(str(cfg_file))


@pytest.mark.parametrize("args,message", [
    (["--threshold", "1.5"], "1.5 is not a score from 0 to 1"),
    (["--threshold", "nan"], "nan is not a score from 0 to 1"),
    (["--threshold", "high"], "not a number: 'high'"),
    (["--max-links", "-3"], "-3 is negative"),
])
def test_cli_refuses_out_of_range_options(demo_db: str, tmp_path: Path, capsys, args: list[str], message: str) -> None:
    draft = tmp_path / "d.txt"
    draft.write_text(DRAFT)
    with pytest.raises(SystemExit) as exit_:
        run(["suggest", str(draft), "--db", demo_db, *args])
    assert exit_.value.code == 2 and message in capsys.readouterr().err


def test_cli_names_an_output_it_cannot_write(demo_db: str, tmp_path: Path, capsys) -> None:
    draft = tmp_path / "d.txt"
    draft.write_text(DRAFT)
    out = tmp_path / "no such folder" / "out.md"
    assert run(["apply", str(draft), "--out", str(out), "--db", demo_db]) == 2
    assert capsys.readouterr().err.strip() == f"linkdesk: error: {out}: No such file or directory"


def test_cli_suggest_reads_a_folder_of_drafts(demo_db: str, tmp_path: Path, capsys) -> None:
    folder = tmp_path / "desk"
    (folder / "sport").mkdir(parents=True)
    (folder / ".git").mkdir()
    (folder / "story.md").write_text(DRAFT)
    (folder / "sport" / "story.md").write_text(DRAFT)
    (folder / "sport" / "broken.md").write_bytes(b"Caf\xe9")
    (folder / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    (folder / ".git" / "notes.md").write_text(DRAFT)
    assert run(["suggest", str(folder), "--db", demo_db, "--json"]) == 1
    captured = capsys.readouterr()
    ids = [json.loads(line)["id"] for line in captured.out.splitlines()]
    assert ids == ["sport/story.md", "story.md"]
    assert f"{folder / 'sport' / 'broken.md'}: not valid UTF-8" in captured.err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run(["suggest", str(empty), "--db", demo_db]) == 1
    assert "a folder with no drafts in it" in capsys.readouterr().err


def test_cut_off_gzip_keeps_the_drafts_before_the_damage(tmp_path: Path) -> None:
    whole = gzip.compress("".join(json.dumps({"id": f"d{k}", "body": DRAFT * 20}) + "\n" for k in range(40)).encode())
    cut = tmp_path / "drafts.jsonl.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    items = list(read_drafts(str(cut)))
    assert items and isinstance(items[-1], Rejection) and "file ends early" in items[-1].reason
    assert [d.id for d in items[:-1]] == [f"d{k}" for k in range(len(items) - 1)]


def test_index_built_with_other_normalization_asks_to_be_rebuilt(tmp_path: Path, demo_db: str, capsys) -> None:
    path = str(tmp_path / "copy.db")
    shutil.copy(demo_db, path)
    store = open_store(path, create=False)
    index, ranker = load_index(store, LAYOUT, Ranker.from_state)
    save_index(store, index, ranker, LAYOUT.replace(f"normalization:{NORMALIZATION_VERSION}", "normalization:1"))
    with pytest.raises(IndexMissingError, match="run `linkdesk index` again"):
        Suggester(store)
    # stats says so before a draft is tried, as it does for articles the index does not hold yet
    assert archive_stats(store)["index"]["usable"] is False
    assert run(["stats", "--db", path]) == EXIT_OK
    assert "built by another version of linkdesk, which this one cannot load" in capsys.readouterr().out
    index_archive(store, load_config())
    assert Suggester(store).ranker.kind == "fallback"
    assert archive_stats(store)["index"]["usable"] is True
    assert run(["stats", "--db", path]) == EXIT_OK
    assert "another version" not in capsys.readouterr().out


def test_index_saved_by_another_scikit_learn_asks_to_be_rebuilt(tmp_path: Path, demo_db: str,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    path = str(tmp_path / "copy.db")
    shutil.copy(demo_db, path)
    store = open_store(path, create=False)
    index, ranker = load_index(store, LAYOUT, Ranker.from_state)
    with monkeypatch.context() as patched:
        patched.setattr(linkindex, "_model_library", lambda: "scikit-learn 1.4.0")
        save_index(store, index, ranker, LAYOUT)
    with pytest.raises(IndexMissingError, match=r"built with scikit-learn 1\.4\.0 and linkdesk now runs "
                                                r"scikit-learn \d.*; run `linkdesk index` again"):
        Suggester(store)
    store.close()


class _RunsCode:
    """What an index saved as a pickle could hold: unpickling it runs code (here, makes a file)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple:
        return (Path.touch, (self.path,))


def test_an_index_saved_as_a_pickle_is_never_unpickled(tmp_path: Path, demo_db: str) -> None:
    # as an older linkdesk saved it, or as whoever can write to a shared archive might put it there
    path = str(tmp_path / "copy.db")
    shutil.copy(demo_db, path)
    store = open_store(path, create=False)
    ran = tmp_path / "ran"
    store.save_blob(INDEX_BLOB, zlib.compress(pickle.dumps({"index": _RunsCode(ran), "layout": LAYOUT})))
    assert pickle.loads(zlib.decompress(store.load_blob(INDEX_BLOB))) and ran.exists()  # what it would do
    ran.unlink()
    with pytest.raises(IndexMissingError, match="built by another version of linkdesk; run `linkdesk index` again"):
        Suggester(store)
    assert not ran.exists()
    store.save_blob(INDEX_BLOB, b"PK\x03\x04 not what it seems")
    with pytest.raises(IndexMissingError, match=r"the stored index cannot be read \(\w+\); run `linkdesk index`"):
        Suggester(store)
    store.close()


def test_empty_archive_and_archive_without_links(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "empty.db"))
    with pytest.raises(IndexMissingError):
        Suggester(store)
    info = index_archive(store, load_config())
    assert info["ranker"] == "fallback"
    result = Suggester(store).run(draft_from_text(DRAFT, "text", "d.txt"))
    assert result.suggestions == [] and {f.rule for f in result.findings} >= {"empty-archive"}
    store.close()


@pytest.mark.parametrize("text,end,start,expected", [
    ("Alpha Beta", 5, 6, True),
    ("Alpha   Beta", 5, 8, True),
    ("AlphaBeta", 5, 5, True),
    ("Alpha, Beta", 5, 7, False),
    ("Alpha. Beta", 5, 7, False),
    ("Alpha\nBeta", 5, 6, False),
    ("Alpha and Beta", 5, 10, False),
])
def test_side_by_side(text: str, end: int, start: int, expected: bool) -> None:
    assert side_by_side(text, end, start) is expected


def test_apart_covers_every_side_by_side_span() -> None:
    text = "One two. Three, four  five -- six   seven"
    words = [(m.start(), m.end()) for m in re.finditer(r"\w+", text)]
    for a, b in words:
        lo, hi = apart(text, a, b)
        for s, e in words:
            touching = (s < b and a < e) or side_by_side(text, b, s) or side_by_side(text, e, a)
            assert (s < hi and lo < e) == touching, (text[a:b], text[s:e])


@pytest.mark.parametrize("seed", range(5))
def test_spans_answer_as_checking_every_span(seed: int) -> None:
    # the policy checks each candidate against the zones and the links taken by binary search: it
    # must answer exactly as going through every span would, nested and touching spans included
    rng = random.Random(seed)
    text = "".join(rng.choice("ab  .") for _ in range(400))
    zones = [(a, a + rng.randint(0, 30)) for a in (rng.randrange(400) for _ in range(40))]
    spans = Spans(zones)
    taken: list[tuple[int, int]] = []
    links = Spans()
    for _ in range(300):
        s = rng.randrange(400)
        e = s + rng.randint(1, 12)
        gap = rng.randint(0, 3)
        assert spans.clear(s, e, gap) == all(e + gap <= a or b + gap <= s for a, b in zones)
        if links.clear(s, e, gap):
            assert links.beside(text, s, e) == any(
                side_by_side(text, b, s) or side_by_side(text, e, a) for a, b in taken)
            links.add(s, e)
            taken.append((s, e))
        else:
            assert not all(e + gap <= a or b + gap <= s for a, b in taken)


def test_a_mention_cutting_across_emphasis_is_not_linked_where_it_stands() -> None:
    source = "*The **Web Team** meets.* Later the Web Team met again."
    doc = parse(source, "markdown")
    assert doc.text == "The Web Team meets. Later the Web Team met again."
    items = [Scored(0, 7, "a", "The Web", 0.9), Scored(26, 33, "a", "the Web", 0.6)]
    policy = Policy.from_config(load_config(), max_links_per_100_words=0)
    # as a mention in a heading, one no link can wrap is passed over: the same words further on are linked
    assert select(doc, items, policy, 0.5) == [(1, 1)]
    whole = [Scored(4, 12, "a", "Web Team", 0.9)]
    assert select(doc, whole, policy, 0.5) == [(0, 0)]


@pytest.mark.parametrize("source,anchor,link", [
    ("Read the report today.", "the report", "[the report](https://t.example/r)"),
    # raw HTML keeps Markdown syntax as it is: the link goes in as HTML
    ("Intro.\n\n<div class=\"box\">\n  <p>Read the report today.</p>\n</div>\n", "the report",
     '<a href="https://t.example/r">the report</a>'),
    # "![...](...)" would be an image, "[a [b]](...)" not the link it means
    ("Wow!the report is out.", "the report", '<a href="https://t.example/r">the report</a>'),
    ("Read [sic] the report.", "[sic] the report", '<a href="https://t.example/r">[sic] the report</a>'),
])
def test_apply_writes_a_link_markdown_reads_as_one(source: str, anchor: str, link: str) -> None:
    doc = parse(source, "markdown")
    i = doc.text.index(anchor)
    start, end = doc.source_span(i, i + len(anchor))
    out = apply_suggestions(source, "markdown", [Suggestion("internal", anchor, start, end, "https://t.example/r", "R",
                                                            0.9)])
    assert out == source[:start] + link + source[end:]
    again = parse(out, "markdown")
    assert again.text == doc.text and [(x.anchor, x.href) for x in again.links] == [(anchor, "https://t.example/r")]


def test_policy_keeps_links_apart() -> None:
    # two spaces clear the minimum gap, but the links would still read as one
    doc = parse("Harbor ferry  Northgate Shipyard works late.", "text")
    items = [Scored(0, 12, "a", "Harbor ferry", 0.9), Scored(14, 32, "b", "Northgate Shipyard", 0.8)]
    policy = Policy.from_config(load_config(), max_links_per_100_words=0)
    assert select(doc, items, policy, 0.5) == [(0, 0)]


def test_demo_draft_applied_passes_lint(suggester: Suggester) -> None:
    _, draft_path = demo_paths()
    draft = draft_from_text(Path(draft_path).read_text(), "markdown", "draft.md")
    result = suggester.run(draft)
    assert {s.kind for s in result.suggestions} == {"internal", "external"}
    applied = draft_from_text(apply_result(draft, result), "markdown", "applied.md")
    assert not [f for f in suggester.run(applied).findings if f.severity != "info"]


@pytest.mark.parametrize("sentence,target", [
    # the exact words of a long title: the unsupervised scorer suggests it
    ("Volunteers haul two tons of trash off Gull Island, the group said.", "/2022/08/gull-island-cleanup/"),
    # a few of its words: not enough without links to learn from
    ("Volunteers went back to Gull Island on Saturday.", None),
])
def test_unsupervised_scorer(suggester: Suggester, sentence: str, target: str | None) -> None:
    assert suggester.ranker.kind == "fallback"  # the demo archive has too few links
    found = {s.target_url.removeprefix("https://harborledger.example") for s in
             suggester.run(draft_from_text(sentence, "text", "d.txt")).suggestions if s.kind == "internal"}
    assert found == ({target} if target else set())


def test_the_policy_never_suggests_listed_pages_or_sections(demo_db: str) -> None:
    fares = "https://harborledger.example/2022/02/ferry-fare-freeze/"
    contract = "https://harborledger.example/2023/05/shipyard-contract-won/"
    draft = draft_from_text(Path(demo_paths()[1]).read_text(encoding="utf-8"), "markdown", "draft.md")

    def internal(**policy: list) -> set[str]:
        cfg = load_config()
        cfg["policy"].update(policy)
        return {s.target_url for s in Suggester(store, cfg).run(draft).suggestions if s.kind == "internal"}

    store = open_store(demo_db, create=False)
    try:
        every = internal()
        assert {fares, contract} <= every
        # by the address's path, or the whole address when the pattern has a scheme
        # (another article may take the room a page left out leaves)
        without = internal(never_suggest=["/2022/02/ferry-fare-*"])
        assert fares not in without and every - {fares} <= without
        without = internal(never_suggest=["https://harborledger.example/2022/*"])
        assert not any("/2022/" in u for u in without) and {u for u in every if "/2022/" not in u} <= without
        assert internal(never_suggest=["/2022/02/ferry-fare"]) == every  # a pattern matches the whole path
        # whole sections, however the config spells them
        transport = internal(never_sections=["Transport"])
        assert contract in transport and fares not in transport
        cfg = load_config()
        cfg["policy"]["never_suggest"] = ["/2022/02/ferry-fare-*"]
        with pytest.raises(InputError, match="the editorial policy never suggests it"):
            inbound_links(store, Suggester(store, cfg), fares)
        cfg["policy"]["never_suggest"] = ["/about/", 7]
        with pytest.raises(ConfigError, match=r"policy.never_suggest: expected a list of non-empty strings"):
            Suggester(store, cfg)
    finally:
        store.close()
