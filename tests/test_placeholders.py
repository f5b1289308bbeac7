"""Leftover editorial notes: finding every pattern, resolving link notes, removing them, and lint."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from linkdesk.cli import run
from linkdesk.config import load_config
from linkdesk.demo import demo_paths
from linkdesk.drafts import draft_from_text, read_drafts
from linkdesk.lint import lint
from linkdesk.model import Rejection
from linkdesk.placeholders import find_notes, locate_anchor, patterns_from_config
from linkdesk.render import apply_suggestions
from linkdesk.store import open_store
from linkdesk.suggest.pipeline import Suggester
from linkdesk.text.normalize import address_slug
from linkdesk.text.parse import parse

from .conftest import FIXTURES, SHARED_BENCH, backtest_records

NOTE_CASES = [
    # (text, pattern, kind, anchor, outlets)
    ('The tunnel reopened. (Internal Link Suggestion: Link "harbor tunnel" to your earlier article about the '
     'tunnel closure.)', "link_note", "internal", "harbor tunnel", []),
    ("The tunnel reopened. (internal link suggestion: link “harbor tunnel” to your previous coverage of the "
     "closure.)", "link_note", "internal", "harbor tunnel", []),
    ("The tunnel reopened. [Internal link: Link ‘harbor tunnel’ to our explainer on tunnel repairs]",
     "link_note", "internal", "harbor tunnel", []),
    ("Fares rose. (Link suggestion - link 'fare rise' to your story on the 2024 fare vote.)",
     "link_note", "internal", "fare rise", []),
    ('Talks stalled. (External Link Suggestion: Link to a reputable news source such as the Associated Press or '
     "Deutsche Welle that covered the Baltic port talks.)", "link_note", "external", None, ["Associated Press"]),
    ("Talks stalled. (External link: cite AP or AFP coverage of the port talks.)",
     "link_note", "external", None, ["Associated Press", "Agence France-Presse"]),
    ('Costs doubled. (Outbound link suggestion: "cost overruns" to a Reuters report.)',
     "link_note", "external", "cost overruns", ["Reuters"]),
    ('The Harbor Transit Authority (HTA) met. (Internal Link Suggestion: Link "Harbor Transit Authority (HTA)" to '
     "your planned explainer on HTA finances.)", "link_note", "internal", "Harbor Transit Authority (HTA)", []),
    ("The council voted [link to the 2023 budget story] on Monday.", "link_request", "internal", None, []),
    ("The council voted [INSERT LINK] on Monday.", "insert_link", "other", None, []),
    ("The council voted [add external link] on Monday.", "insert_link", "external", None, []),
    ("The council voted.\n\n<!-- link: the council budget vote story -->\n\nMore text.", "html_link_comment",
     "internal", None, []),
    ("Ridership doubled [citation needed].", "citation_needed", "external", None, []),
    ("The dock reopened. (Image suggestion: a ferry at the Eastbank dock at dawn.)", "image_note", "other", None, []),
    ("Intro.\n\nMeta description: The harbor's second electric ferry is late.\n\nBody.", "seo_line", "other", None, []),
    ("Intro.\n\n**Focus keyword:** electric ferry\n\nBody.", "seo_line", "other", None, []),
    ("The crowd numbered TK people.", "tk", "other", None, []),
    ("The crowd numbered TKTK people.", "tk", "other", None, []),
    ("The budget grew [TODO: check the figure with finance] last year.", "todo", "other", None, []),
    # a note may quote code; code never holds a note
    ('Linking got faster. (Internal Link Suggestion: Link "in May 2024" to your previous article about `rust-lld` '
     "on nightly.)", "link_note", "internal", "in May 2024", []),
]


@pytest.mark.parametrize("text,pattern,kind,anchor,outlets", NOTE_CASES)
def test_every_note_pattern(text: str, pattern: str, kind: str, anchor: str | None, outlets: list[str]) -> None:
    doc = parse(text, "markdown")
    notes = find_notes(doc)
    assert [n.pattern for n in notes] == [pattern]
    note = notes[0]
    assert (note.kind, note.anchor, note.outlets) == (kind, anchor, outlets)
    assert text[note.start:note.end] == note.text
    if pattern == "seo_line":
        assert note.text.endswith("\n") and note.text.lstrip("*").lower().startswith(("meta", "focus"))


@pytest.mark.parametrize("text", [
    "Shoppers queued outside TK Maxx on Friday.",
    "The route uses Link Road and the old bridge (see map below).",
    "He said the plan needs a link to the rail line, [1] according to planners.",
    "Use `#[link(name = \"m\")]` to link the library.",
    "Read the council minutes (PDF) and the budget [draft].",
    "The image (left) shows the dock.",
    "Her description: calm, methodical and fair.",
])
def test_ordinary_prose_is_not_a_note(text: str) -> None:
    assert find_notes(parse(text, "markdown")) == []


@pytest.mark.slow
@pytest.mark.parametrize("backtest", ["digitalgov", "rust"])
def test_notes_put_into_real_drafts_are_found_and_removed_whole(backtest: str) -> None:
    # after the sentence of each gold link, a note asking for that link, as a desk's tooling leaves
    # them (this is how notes quoting code were found to be skipped as code)
    gold = {rec["id"]: rec["links"] for rec in backtest_records(backtest, "gold")}
    titles = {rec["url"]: rec["title"] for rec in backtest_records(backtest, "archive")}
    notes = 0
    for record in backtest_records(backtest, "drafts"):
        body = record["body"]
        for link in gold.get(record["id"], [])[:3]:
            sentence_end = re.compile(r"[.!?](?=\s)").search(body, link["end"])
            if sentence_end is None or '"' in link["anchor"]:
                continue
            about = titles.get(link["target_url"], "it")
            note = f' (Internal Link Suggestion: Link "{link["anchor"]}" to your previous article about {about}.)'
            source = body[:sentence_end.end()] + note + body[sentence_end.end():]
            doc = parse(source, record.get("format", "markdown"))
            found = find_notes(doc)
            assert [n.text for n in found] == [note.strip()], record["id"]
            assert found[0].anchor == " ".join(link["anchor"].split())
            removed = apply_suggestions(source, doc.format, [], remove=found, doc=doc)
            assert " ".join(parse(removed, doc.format).text.split()) == \
                " ".join(parse(body, doc.format).text.split()), record["id"]
            notes += 1
    assert notes > 40


@pytest.mark.slow
@pytest.mark.skipif(not (SHARED_BENCH / "data").exists(), reason="../shared/bench not present")
def test_backtest_drafts_have_no_notes() -> None:
    """The shared backtest drafts contain no leftover notes: whatever the patterns find there is a false positive."""
    found = 0
    drafts = 0
    for name in ("digitalgov", "rust"):
        for d in read_drafts(str(SHARED_BENCH / "data" / name / "drafts.jsonl.gz")):
            if not isinstance(d, Rejection):
                drafts += 1
                found += len(find_notes(d.doc))
    assert drafts == 565
    assert found == 0


def test_html_draft_notes_map_to_source_offsets() -> None:
    source = ("<p>The tunnel &amp; bridge reopened. (Internal Link Suggestion: Link &ldquo;tunnel &amp; bridge&rdquo; "
              "to your earlier story on the repairs.)</p>\n<!-- link: repairs timeline --><p>More.</p>")
    doc = parse(source, "html")
    notes = find_notes(doc)
    assert [n.pattern for n in notes] == ["link_note", "html_link_comment"]
    assert notes[0].anchor == "tunnel & bridge"
    assert source[notes[0].start:notes[0].end].startswith("(Internal") and source[notes[0].end - 1] == ")"
    assert source[notes[1].start:notes[1].end] == "<!-- link: repairs timeline -->"


def test_extra_patterns_from_config(tmp_path: Path) -> None:
    cfg_file = tmp_path / "linkdesk.toml"
    cfg_file.write_text('[placeholders]\nextra = [{name = "ask", regex = "\\\\(ask @\\\\w+[^)]*\\\\)"}]\n', encoding="utf-8")
    patterns = patterns_from_config(load_config(str(cfg_file)))
    notes = find_notes(parse("The fare rose (ask @dana for the figure) today.", "markdown"), patterns=patterns)
    assert [(n.pattern, n.text) for n in notes] == [("ask", "(ask @dana for the figure)")]


@pytest.mark.parametrize("anchor,expected_start", [
    ("Harbor Tunnel", 33),            # nearest before the note, case-insensitive
    ("harbor   tunnel", 33),          # whitespace-insensitive
    ("harbor ‘tunnel’", None),        # quotes are folded, but the words must still be there
])
def test_locate_anchor_nearest_the_note(anchor: str, expected_start: int | None) -> None:
    text = "The harbor tunnel closed. Later, harbor tunnel repairs began. (Link note: x)"
    doc = parse(text, "text")
    note = (text.index("(Link"), len(text))
    found = locate_anchor(doc, anchor, note)
    assert (found[0] if found else None) == expected_start


def test_locate_anchor_folds_curly_quotes() -> None:
    text = "Officials called it the “people’s ferry” on Monday. (Internal link: “people's ferry”)"
    doc = parse(text, "text")
    found = locate_anchor(doc, "people's ferry", (text.index("(Internal"), len(text)))
    assert found is not None and text[found[0]:found[1]] == "people’s ferry"


# ---------------------------------------------------------------------------- resolution

def test_demo_notes_resolve(suggester: Suggester) -> None:
    _, draft_path = demo_paths()
    draft = next(iter(read_drafts(draft_path)))
    assert not isinstance(draft, Rejection)
    result = suggester.run(draft)
    internal, external = result.placeholders
    assert internal.kind == "internal" and internal.resolved is not None
    assert internal.resolved.target_url == "https://harborledger.example/2025/04/electric-ferry-launch/"
    assert internal.resolved.anchor == "first electric ferry"
    assert draft.doc.source[internal.resolved.start:internal.resolved.end] == "first electric ferry"
    assert internal.resolved.start < internal.start  # the occurrence before the note, not the one inside it
    assert external.kind == "external" and external.resolved is not None
    assert external.resolved.outlet in ("Reuters", "Associated Press")
    assert external.to_json()["resolved"]["kind"] == "external"
    assert set(external.to_json()) == {"start", "end", "text", "kind", "anchor", "resolved", "gap"}
    # a resolved note's link is one of the draft's suggestions, and no other suggestion targets it
    urls = [s.target_url for s in result.suggestions]
    assert urls.count(internal.resolved.target_url) == 1 and urls.count(external.resolved.target_url) == 1


def test_note_with_no_matching_article_becomes_a_content_gap(suggester: Suggester) -> None:
    text = ("The city signed a water-sharing compact with Lakeside County on Monday. (Internal Link Suggestion: "
            "Link \"water-sharing compact\" to your previous or planned article explaining the Lakeside County "
            "water-sharing compact.)")
    result = suggester.run(draft_from_text(text, "markdown", "gap.md"))
    (note,) = result.placeholders
    assert note.resolved is None
    assert note.gap is not None
    assert "water-sharing compact" in note.gap["working_title"].lower()
    assert note.gap["phrases"][0] == "water-sharing compact"
    assert "Lakeside County" in note.gap["phrases"]
    assert any(f.rule == "leftover-note" and "content gap" in f.message for f in result.findings)


def test_external_note_honours_the_named_outlet(suggester: Suggester) -> None:
    text = ("---\npublished: 2025-11-20\n---\n\nBattery makers cannot supply marine packs fast enough. "
            "(External Link Suggestion: Link to a reputable source such as the BBC that covered the marine battery "
            "bottleneck.)")
    result = suggester.run(draft_from_text(text, "markdown", "bbc.md"))
    (note,) = result.placeholders
    assert note.outlets == ["BBC News"]
    assert note.resolved is not None and note.resolved.outlet == "BBC News"
    assert any("an outlet the note names" in r for r in note.resolved.reasons)


def test_external_note_never_resolves_to_a_blocked_outlet(suggester: Suggester) -> None:
    text = ("---\npublished: 2025-11-20\n---\n\nSome call the battery shortage a hoax. (External link suggestion: "
            "link to InfoWars coverage of the marine battery shortage hoax.)")
    result = suggester.run(draft_from_text(text, "markdown", "blocked.md"))
    (note,) = result.placeholders
    assert note.resolved is None or "infowars" not in note.resolved.target_url


# ---------------------------------------------------------------------------- apply

def test_golden_apply_on_the_demo_draft(demo_db: str, tmp_path: Path, capsys) -> None:
    _, draft_path = demo_paths()
    out = tmp_path / "linked.md"
    assert run(["apply", draft_path, "--db", demo_db, "--out", str(out)]) == 0
    assert "2 resolved note(s) removed" in capsys.readouterr().out
    produced = out.read_text(encoding="utf-8")
    assert produced == (FIXTURES / "demo_draft.applied.md").read_text(encoding="utf-8")
    assert find_notes(parse(produced, "markdown")) == []


def test_offsets_stay_exact_when_notes_are_removed(suggester: Suggester) -> None:
    _, draft_path = demo_paths()
    draft = next(iter(read_drafts(draft_path)))
    assert not isinstance(draft, Rejection)
    result = suggester.run(draft)
    source = draft.doc.source
    resolved = [p for p in result.placeholders if p.resolved is not None]
    out = apply_suggestions(source, "markdown", result.suggestions, remove=resolved)
    # strip the inserted link markup: what is left is the source minus the notes and one space each
    plain = re.sub(r"\[([^\]]+)\]\((https?://[^)]+)\)", r"\1", out)
    expected = source
    for note in sorted(resolved, key=lambda p: -p.start):
        expected = expected[:note.start - 1] + expected[note.end:]
    assert plain == expected
    # every anchor sits where its offsets say, in the original source
    for s in result.suggestions:
        assert source[s.start:s.end] == s.anchor


def test_unresolved_notes_stay_and_are_reported(demo_db: str, tmp_path: Path, capsys) -> None:
    draft = tmp_path / "d.md"
    draft.write_text("The ferry crowd numbered TK people on Monday.\n", encoding="utf-8")
    out = tmp_path / "o.md"
    assert run(["apply", str(draft), "--db", demo_db, "--out", str(out)]) == 0
    assert "TK people" in out.read_text(encoding="utf-8")
    assert "unresolved other note" in capsys.readouterr().err


@pytest.mark.parametrize("source,fmt,expected", [
    ("Ends here. (Image suggestion: dock.) Next sentence.", "markdown", "Ends here. Next sentence."),
    ("End of para. (Image suggestion: dock.)\n\nNext.", "markdown", "End of para.\n\nNext."),
    ('Para one.\n\n(Internal Link Suggestion: Link "x" to your story.)\n\nPara two.\n', "markdown",
     "Para one.\n\nPara two.\n"),
    ("Para one. *(Image suggestion: a dock.)* More.\n", "markdown", "Para one. More.\n"),
    ("Intro.\n\n**Focus keyword:** ferries\n\nBody.", "markdown", "Intro.\n\nBody."),
    ('<p>One.</p>\n<p>(Internal Link Suggestion: Link "x" to your story.)</p>\n<p>Two.</p>', "html",
     "<p>One.</p>\n<p>Two.</p>"),
    ("<p>One. <!-- link: the budget story --> Two.</p>", "html", "<p>One. Two.</p>"),
])
def test_removing_a_note_leaves_nothing_of_it(source: str, fmt: str, expected: str) -> None:
    notes = find_notes(parse(source, fmt))
    assert len(notes) == 1
    assert apply_suggestions(source, fmt, [], remove=notes) == expected


# ---------------------------------------------------------------------------- lint

LINT_CASES = [
    ("See [click here](https://harborledger.example/2022/02/ferry-fare-freeze/) for more.", "vague-anchor", "warning"),
    ("See [](https://www.reuters.com/x/) for more.", "empty-anchor", "error"),
    ("# Fares [frozen](https://harborledger.example/2022/02/ferry-fare-freeze/)\n\nText.", "link-in-heading", "warning"),
    ("[Fares](https://harborledger.example/2022/02/ferry-fare-freeze/) and "
     "[fares again](https://harborledger.example/2022/02/ferry-fare-freeze/).", "duplicate-link", "warning"),
    ("[Fares](https://harborledger.example/2022/02/ferry-fare-freeze/) "
     "[ridership](https://harborledger.example/2025/06/ferry-ridership-record/) rose.", "adjacent-links", "warning"),
    ("See [the old page](https://harborledger.example/2019/01/no-such-article/).", "internal-link-not-found", "warning"),
    ("As [reported](https://www.infowars.com/posts/x) last week.", "blocked-domain", "error"),
    ("As [reported](https://www.dailymail.co.uk/news/x) last week.", "low-trust-source", "warning"),
    ("As [reported](https://www.cgtn.com/news/x) last week.", "state-affiliated-source", "info"),
    ("According to officials, the ferry was late twice last week.", "unsourced-attribution", "warning"),
    ("The mayor allegedly steered the contract, [Reuters reported](https://www.reuters.com/x/).",
     "single-source-contested", "warning"),
    ("Word " * 60 + " ".join(f"[l{i}](https://www.reuters.com/{i}/)" for i in range(9)), "over-linking", "warning"),
    ("See [the report](htps://www.reuters.com/x/).", "malformed-link", "error"),
    ("See [the report](https:/www.reuters.com/x/).", "malformed-link", "error"),
    ("See [the report](www.reuters.com/x/).", "malformed-link", "error"),
    ('<p>See <a href=https://www.reuters.com/x/">the report</a>.</p>', "malformed-link", "error"),
    ("Register at [vote.gov](vote.gov).", "malformed-link", "error"),
    ("Write to [the desk](desk@harborledger.example).", "malformed-link", "error"),
    ("See the [registry]((https:/registry.example/apps)).", "malformed-link", "error"),
    ("See the [implementation guide]() first.", "empty-address", "error"),
    ("[![](https://harborledger.example/img/pier.jpg)](https://www.reuters.com/x/)", "empty-anchor", "error"),
    ('<a href="https://www.reuters.com/x/"><img src="pier.jpg" alt=" "></a>', "empty-anchor", "error"),
]


@pytest.mark.parametrize("text,rule,severity", LINT_CASES)
def test_lint_rules(suggester: Suggester, text: str, rule: str, severity: str) -> None:
    doc = parse(text, "markdown")
    findings = lint(doc, load_config(), suggester.outlets, find_notes(doc),
                    archive_urls=suggester.index.url_index, site_hosts=suggester.index.site_hosts)
    hits = [f for f in findings if f.rule == rule]
    assert hits and hits[0].severity == severity
    if hits[0].start is not None:
        assert 0 <= hits[0].start < hits[0].end <= len(text)


@pytest.mark.parametrize("text", [
    "[![The new pier at dusk](https://harborledger.example/img/pier.jpg)](https://www.reuters.com/x/)",
    '<a href="https://www.reuters.com/x/"><img src="pier.jpg" alt="The new pier"></a>',
    "[<img alt=pier src=pier.jpg>](https://www.reuters.com/x/)",
])
def test_a_linked_image_is_named_by_its_alt_text(suggester: Suggester, text: str) -> None:
    findings = lint(parse(text, "markdown"), load_config(), suggester.outlets)
    assert [f.rule for f in findings if f.rule == "empty-anchor"] == []


def test_addresses_that_work_are_not_malformed(suggester: Suggester) -> None:
    hrefs = ["https://www.reuters.com/x/", "HTTPS://WWW.REUTERS.COM/X", "/2022/02/ferry-fare-freeze/", "#results",
             "mailto:desk@harborledger.example", "tel:+15550100", "https://en.wikipedia.org/wiki/Hero's_journey",
             "https://www.reuters.com/a%20b?q=1&r=2#frag", "hxxp://malware.example/", "ftp://files.example/a.csv",
             # relative pages of the site, however they look
             "report.html", "v1.2/notes", "../data.json", "files/usa.gov.pdf", "/out?to=https://www.reuters.com/x/",
             "/web/2020/https://harborledger.example/"]
    doc = parse(" ".join(f"[link {i} text]({href})" for i, href in enumerate(hrefs)), "markdown")
    assert len(doc.links) == len(hrefs)
    findings = lint(doc, load_config(), suggester.outlets, site_hosts=suggester.index.site_hosts)
    assert [f.message for f in findings if f.rule == "malformed-link"] == []


def test_only_links_inside_headings_are_flagged_as_in_a_heading(suggester: Suggester) -> None:
    # sections alternate: a heading with or without a link, then a paragraph with one
    parts = []
    for i in range(12):
        heading = f"## Part {i} [h{i}](https://www.reuters.com/h{i}/)" if i % 3 == 0 else f"## Part {i}"
        parts.append(f"{heading}\n\nBody {i} cites [b{i}](https://www.reuters.com/b{i}/) today.")
    doc = parse("\n\n".join(parts), "markdown")
    findings = lint(doc, load_config(), suggester.outlets, site_hosts=suggester.index.site_hosts)
    flagged = sorted(f.message.split('"')[1] for f in findings if f.rule == "link-in-heading")
    assert flagged == sorted(f"h{i}" for i in range(0, 12, 3))


def test_clean_draft_lints_clean(suggester: Suggester) -> None:
    text = ("The [ferry fares](https://harborledger.example/2022/02/ferry-fare-freeze/) stay frozen this year, "
            "the board said on Monday.")
    doc = parse(text, "markdown")
    assert lint(doc, load_config(), suggester.outlets, find_notes(doc), archive_urls=suggester.index.url_index,
                site_hosts=suggester.index.site_hosts) == []


def test_in_page_links_and_images_are_not_archive_links(suggester: Suggester) -> None:
    text = ("The [ferry fares](https://harborledger.example/2022/02/ferry-fare-freeze/) stay frozen this year, "
            "the board said on Monday. " + "Word " * 50
            + ", ".join(f"[section {k}](#s{k})" for k in range(10))
            + ". See [the fare chart](fares-2025.svg) and [the desk](mailto:desk@harborledger.example).")
    doc = parse(text, "markdown")
    assert lint(doc, load_config(), suggester.outlets, find_notes(doc), archive_urls=suggester.index.url_index,
                site_hosts=suggester.index.site_hosts) == []


def test_cli_lint_exit_status_and_json(demo_db: str, tmp_path: Path, capsys) -> None:
    _, draft_path = demo_paths()
    assert run(["lint", draft_path, "--db", demo_db]) == 1
    out = capsys.readouterr().out
    assert out.count("[leftover-note]") == 2 and "13:" in out
    warn_only = tmp_path / "w.md"
    warn_only.write_text("See [click here](https://harborledger.example/2022/02/ferry-fare-freeze/).\n", encoding="utf-8")
    assert run(["lint", str(warn_only), "--db", demo_db]) == 0
    assert run(["lint", str(warn_only), "--db", demo_db, "--fail-on", "warning", "--json"]) == 1
    data = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert [f["rule"] for f in data["findings"] if f["severity"] != "info"] == ["vague-anchor"]
    # without an archive: the draft-only checks still run
    assert run(["lint", draft_path, "--db", str(tmp_path / "missing.db")]) == 2
    capsys.readouterr()


def test_unseen_desk_notes_resolve_to_the_right_article_and_a_reputable_outlet(tmp_path: Path) -> None:
    """A desk archive and catalog the demo knows nothing about, a draft with an undated body and
    both kinds of note: the anchor with its own parentheses, and an external note naming a wire
    service and a state-affiliated outlet that both covered the story."""
    from linkdesk.ingest import ingest
    from linkdesk.sources.catalog import add_sources
    from linkdesk.suggest.pipeline import index_archive

    articles = [
        ("https://valley.example/2024/02/lsp-explained/", "The Lakeside Solar Park (LSP), explained",
         "The Lakeside Solar Park, or LSP, is the valley's largest solar project: 400 megawatts on former farmland."),
        ("https://valley.example/2024/05/grid-upgrade/", "Grid upgrade approved for the northern valley",
         "Regulators approved new transmission lines for the northern valley."),
        ("https://valley.example/2024/06/school-budget/", "School board passes budget", "The board passed its budget."),
        ("https://valley.example/2024/07/river-cleanup/", "Volunteers clear the river banks", "Hundreds joined the cleanup."),
    ]
    archive = tmp_path / "archive.jsonl"
    archive.write_text("".join(json.dumps({"url": u, "title": t, "body": b, "format": "text",
                                           "published": f"2024-0{k + 2}-01"}) + "\n"
                               for k, (u, t, b) in enumerate(articles)), encoding="utf-8")
    catalog = tmp_path / "catalog.jsonl"
    catalog.write_text("".join(json.dumps(r) + "\n" for r in [
        {"url": "https://www.cgtn.com/news/2025-03-02/valley-solar-panel-exports", "published": "2025-03-02",
         "title": "Solar panel exports to the valley rise as the park expands"},
        {"url": "https://www.reuters.com/business/energy/valley-solar-park-expansion-2025-03-01/",
         "published": "2025-03-01", "title": "Valley solar park expansion wins approval as panel imports rise"},
        {"url": "https://apnews.com/article/school-budget-vote", "published": "2025-03-01",
         "title": "School budgets squeezed across the region"},
    ]), encoding="utf-8")
    store = open_store(str(tmp_path / "desk.db"))
    assert ingest(store, [str(archive)]).ok
    index_archive(store, load_config())
    assert add_sources(store, [str(catalog)]).ok
    suggester = Suggester(store, load_config())
    store.close()
    text = ("The county said on Monday that the second phase of the Lakeside Solar Park (LSP) will add 200 megawatts. "
            '(Internal link suggestion: link "Lakeside Solar Park (LSP)" to your earlier or planned explainer on '
            "the LSP.)\n\nPanel imports for the expansion have risen sharply. (External link suggestion: link to a "
            "reputable news source such as CGTN or Reuters that covered the solar park expansion.)\n")
    draft = draft_from_text(text, "markdown", "valley.md")
    result = suggester.run(draft)
    internal, external = result.placeholders
    assert internal.resolved is not None and internal.anchor == "Lakeside Solar Park (LSP)"
    assert internal.resolved.target_url == "https://valley.example/2024/02/lsp-explained/"
    assert text[internal.resolved.start:internal.resolved.end] == "Lakeside Solar Park (LSP)"
    assert external.outlets == ["CGTN", "Reuters"]
    assert external.resolved is not None and external.resolved.outlet == "Reuters"
    applied = apply_suggestions(text, "markdown", result.suggestions,
                                remove=[p for p in result.placeholders if p.resolved])
    assert find_notes(parse(applied, "markdown")) == []
    assert "[Lakeside Solar Park (LSP)](https://valley.example/2024/02/lsp-explained/)" in applied
    assert "reuters.com" in applied


@pytest.mark.parametrize("url, slug", [
    ("https://harborledger.example/2022/02/ferry-fare-freeze/", "ferry-fare-freeze"),
    ("https://harborledger.example/news/Ferry-Fare-Freeze.html?utm=x", "ferry-fare-freeze"),
    ("https://harborledger.example/archive/2022/12345/", ""),
    ("https://harborledger.example/index.php", ""),
    ("https://harborledger.example/", ""),
    ("https://harborledger.example/topics/transportation", "transportation"),
])
def test_the_slug_of_an_address(url: str, slug: str) -> None:
    assert address_slug(url) == slug


def test_a_link_to_a_moved_article_names_where_it_is_now(suggester: Suggester) -> None:
    doc = parse("Fares were [frozen](https://harborledger.example/2021/02/ferry-fare-freeze/) again, and "
                "[the pier](https://harborledger.example/2021/02/no-such-story/) reopened.", "markdown")
    found = [f.message for f in suggester.lint(doc) if f.rule == "internal-link-not-found"]
    assert found == [
        "https://harborledger.example/2021/02/ferry-fare-freeze/ points at the site but matches no article in the "
        "archive; the archive has one at the same slug: https://harborledger.example/2022/02/ferry-fare-freeze/",
        "https://harborledger.example/2021/02/no-such-story/ points at the site but matches no article in the archive",
    ]


@pytest.mark.parametrize("engine", ["sqlite", "postgres"])
def test_cli_lint_finds_the_archive_named_by_the_environment(engine: str, request: pytest.FixtureRequest,
                                                             tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys) -> None:
    # $LINKDESK_DB may name a PostgreSQL server, which is no file: the lint still checks against it
    archive = request.getfixturevalue("demo_db" if engine == "sqlite" else "pg_demo_db")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LINKDESK_DB", archive)
    draft = tmp_path / "d.md"
    draft.write_text("See [the fare story](https://harborledger.example/2022/02/no-such-story/).\n", encoding="utf-8")
    assert run(["lint", str(draft), "--json"]) == 0
    rules = [f["rule"] for f in json.loads(capsys.readouterr().out)["findings"]]
    assert "internal-link-not-found" in rules and "no-archive" not in rules
    monkeypatch.delenv("LINKDESK_DB")
    assert run(["lint", str(draft), "--json"]) == 0
    assert "no-archive" in [f["rule"] for f in json.loads(capsys.readouterr().out)["findings"]]
