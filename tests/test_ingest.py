"""Each ingest kind on realistic fixtures, and bad input of every sort."""

from __future__ import annotations

import gzip
import importlib
import json
import shutil
from pathlib import Path

import pytest

from linkdesk.cli import run
from linkdesk.ingest import detect_kind, ingest, reread_stale
from linkdesk.ingest.jsonl import read_objects
from linkdesk.model import Rejection
from linkdesk.suggest.pipeline import index_archive
from linkdesk.text.parse import PARSER_VERSION


def _record(i: int, **kw) -> dict:
    rec = {"id": f"a{i}", "url": f"https://courier.example/2024/01/{i:02d}/story-{i}/", "title": f"Story {i}",
           "published": f"2024-01-{i:02d}", "section": "news", "tags": ["t"], "authors": ["A"],
           "format": "markdown", "body": f"Body {i} with [a link](https://courier.example/2024/01/01/story-1/)."}
    rec.update(kw)
    return rec


def write_jsonl_with_bad_lines(path: Path) -> int:
    lines = [json.dumps(_record(i)).encode() for i in range(1, 11)]
    lines.insert(3, b'{"url": "https://courier.example/x", "title": "trunc')  # truncated JSON (line 4)
    lines.insert(6, json.dumps({"title": "No URL", "body": "x"}).encode())  # no url (line 7)
    lines.insert(9, b'{"url": "https://courier.example/bad", "title": "Caf\xe9"}')  # undecodable (line 10)
    path.write_bytes(b"\n".join(lines) + b"\n")
    return 10


def test_cli_ingest_keeps_good_records_and_names_bad_lines(tmp_path: Path, capsys) -> None:
    src = tmp_path / "archive.jsonl"
    good = write_jsonl_with_bad_lines(src)
    db = str(tmp_path / "a.db")
    assert run(["ingest", str(src), "--db", db, "--quiet"]) == 1
    err = capsys.readouterr().err
    assert f"{src}:4: malformed JSON" in err
    assert f"{src}:7: missing required field 'url'" in err
    assert f"{src}:10: not valid UTF-8" in err
    assert run(["stats", "--json", "--db", db]) == 0
    assert json.loads(capsys.readouterr().out)["articles"] == good


def test_one_json_document_over_many_lines_is_read_too(tmp_path: Path, store, config, capsys) -> None:
    # an export written as one indented array, and a record pretty-printed to be edited by hand
    array = tmp_path / "export.json.gz"
    with gzip.open(array, "wt") as fh:
        json.dump([_record(1), _record(2), {"title": "No URL", "body": "x"}], fh, indent=2)
    single = tmp_path / "one.json"
    single.write_text(json.dumps(_record(3), indent=2))
    assert [w for w, _ in (x for x in read_objects(str(array)) if not isinstance(x, Rejection))] == [
        f"{array}: item 1", f"{array}: item 2", f"{array}: item 3"]
    report = ingest(store, [str(array), str(single)], config=config)
    assert report.added == 3
    assert [str(r) for r in report.rejected] == [f"{array}: item 3: missing required field 'url'"]
    # lines that are neither JSON lines nor one document are each reported, as before
    broken = tmp_path / "broken.json"
    broken.write_text('{"url": "https://courier.example/x",\n "title": "half"\n' + json.dumps(_record(4)) + "\n")
    assert [x.where if isinstance(x, Rejection) else x[0] for x in read_objects(str(broken))] == [
        f"{broken}:1", f"{broken}:2", f"{broken}:3"]
    assert not isinstance(list(read_objects(str(broken)))[2], Rejection)


def test_reingest_is_idempotent(tmp_path: Path, store, config) -> None:
    src = tmp_path / "a.jsonl.gz"
    with gzip.open(src, "wt") as fh:
        for i in range(1, 6):
            fh.write(json.dumps(_record(i)) + "\n")
    first = ingest(store, [str(src)], config=config)
    again = ingest(store, [str(src)], config=config)
    assert (first.added, again.added, again.unchanged) == (5, 0, 5)
    assert store.stats()["links"]["internal_resolved_share"] == 1.0


def test_an_unchanged_export_is_read_again_by_a_newer_parser(tmp_path: Path, store, config,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # the archive keeps the text and link offsets its parser made: a parser that reads bodies
    # differently must not leave them as they were
    src = tmp_path / "a.jsonl"
    src.write_text("".join(json.dumps(_record(i)) + "\n" for i in range(1, 4)))
    ingest(store, [str(src)], config=config)
    monkeypatch.setattr(importlib.import_module("linkdesk.ingest.records"), "PARSER_VERSION", 10**6)
    again = ingest(store, [str(src)], config=config)
    assert (again.updated, again.unchanged) == (3, 0)


def test_articles_an_older_parser_made_are_read_again_from_their_bodies(tmp_path: Path, store, config) -> None:
    src = tmp_path / "a.jsonl"
    src.write_text("".join(json.dumps(_record(i)) + "\n" for i in range(1, 4)))
    ingest(store, [str(src)], config=config)
    texts = {a.url: a.text for a in store.iter_articles()}
    links = sorted((k.source_id, k.text_start, k.text_end, k.href, k.target_id) for k in store.iter_links())
    zones = {a.id: store.article_zones(a.id) for a in store.iter_articles()}
    assert all(zones.values())
    # as an older linkdesk left them: other text and link offsets, no zones
    store.conn.execute("UPDATE articles SET parser = 1, text = 'as parsed then', zones = '{}'")
    store.conn.execute("UPDATE links SET text_start = 0, text_end = 0")
    reports: list[tuple[int, int]] = []

    def report(done: int, total: int) -> None:
        reports.append((done, total))

    assert index_archive(store, config, progress=report)["reread"] == 3
    assert reports == [(3, 3)]
    assert {a.url: a.text for a in store.iter_articles()} == texts
    assert sorted((k.source_id, k.text_start, k.text_end, k.href, k.target_id) for k in store.iter_links()) == links
    assert {a.id: store.article_zones(a.id) for a in store.iter_articles()} == zones
    assert store.stale_article_ids(PARSER_VERSION) == [] and reread_stale(store, progress=report) == 0
    assert reports == [(3, 3)]  # nothing to re-read, nothing reported
    # the records are as ingested: the same export is still unchanged
    assert ingest(store, [str(src)], config=config).unchanged == 3


@pytest.mark.parametrize("jobs", [2, 3])
def test_records_parsed_in_processes_are_stored_as_in_one(tmp_path: Path, config, jobs: int) -> None:
    from linkdesk.config import merge
    from linkdesk.store import open_store

    # several batches, each large enough to be shared out, with bad records and a repeated address
    recs = [_record(i % 28 + 1, url=f"https://courier.example/2024/{i:03d}/",
                    body=f"## Part {i}\n\nBody {i} with [a link](https://courier.example/2024/{i // 2:03d}/) "
                         f"and > a quote.\n\n```\ncode {i}\n```\n") for i in range(150)]
    recs[17]["url"] = "ftp://courier.example/nope"
    recs[61]["published"] = "the day after"
    recs[99]["body"] = "x" * 5000
    recs[120] = {**recs[30], "title": "Thirty again"}
    src = _write(tmp_path / "a.jsonl", *recs)
    cfg = merge(config, {"ingest": {"batch_size": 60, "max_body_bytes": 4000}})
    stored, reports = [], []
    for n in (1, jobs):
        store = open_store(str(tmp_path / f"{n}.db"))
        try:
            report = ingest(store, [src], config=cfg, jobs=n)
            reports.append((report.added, report.updated, [str(r) for r in report.rejected], report.warnings))
            stored.append([(a.url, a.title, a.text, store.article_links(a.id), store.article_zones(a.id))
                           for a in store.iter_articles(with_body=True)])
        finally:
            store.close()
    assert reports[0] == reports[1]
    assert reports[0][0] == 146 and len(reports[0][2]) == 3 and len(reports[0][3]) == 1
    # the two the reader refuses, then the one refused as it is parsed (its body too large)
    assert ":18: field 'url'" in reports[0][2][0] and ":62: field published" in reports[0][2][1]
    assert "record 100" in reports[0][2][2] and "body" in reports[0][2][2]
    assert stored[0] == stored[1] and len(stored[0]) == 146


def test_pages_told_apart_by_query_are_kept_and_a_repeated_address_is_named(tmp_path: Path, store, config) -> None:
    src = tmp_path / "a.jsonl"
    recs = [_record(1, url="https://courier.example/story.php?id=1"),
            _record(2, url="https://courier.example/story.php?id=2&utm_source=feed"),
            _record(3, url="https://courier.example/story.php?utm_medium=x&id=2")]  # record 2 again, other tracking
    src.write_text("".join(json.dumps(r) + "\n" for r in recs))
    report = ingest(store, [str(src)], config=config)
    assert store.count_articles() == 2
    assert store.get_article("https://courier.example/story.php?id=1").title == "Story 1"
    assert store.get_article("https://courier.example/story.php?id=2").title == "Story 3"
    assert report.warnings == [f"{src} record 3 (https://courier.example/story.php?utm_medium=x&id=2): same address "
                               f"as {src} record 2 (https://courier.example/story.php?id=2&utm_source=feed); "
                               "the later record replaces the earlier"]


def _write(path: Path, *records: dict) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return str(path)


def test_an_article_moved_to_a_new_address_stays_one_article(tmp_path: Path, store, config, capsys) -> None:
    old, new = "https://courier.example/2024/01/02/story-2/", "https://courier.example/2024/01/02/budget-passes/"
    first = _write(tmp_path / "first.jsonl", _record(1, body=f"See [story two]({old})."), _record(2))
    assert ingest(store, [first], config=config).added == 2
    # the CMS rewrote the slug and keeps the old address as an alias (a redirect)
    moved = _write(tmp_path / "moved.jsonl", _record(2, url=new, title="Budget passes", aliases=["/2024/01/02/story-2/"]))
    report = ingest(store, [moved], config=config)
    assert (report.added, report.updated, report.moved) == (0, 0, 1)
    assert store.count_articles() == 2
    assert store.get_article(old).url == new and store.get_article(new).title == "Budget passes"
    # the link made to the old address leads to the article at its new one
    one = store.get_article(_record(1)["url"])
    assert [link["target_url"] for link in store.article_links(one.id)] == [new]
    assert store.inbound_count(store.get_article(new).id) == 1
    assert ingest(store, [moved], config=config).unchanged == 1

    # a copy from before the move (an old export) does not bring the old address back as a second article
    report = ingest(store, [first], config=config)
    assert report.skipped == {"an older address of an archive article": 1} and store.count_articles() == 2
    assert report.warnings == [f"{old}: the article there moved to {new}, which the archive keeps; the record "
                               "under the old address is left out"]
    assert store.get_article(new).title == "Budget passes"
    assert [a.url for a in store.iter_articles()] == [_record(1)["url"], new]


def test_cli_ingest_says_how_many_moved(tmp_path: Path, capsys) -> None:
    db = str(tmp_path / "a.db")
    assert run(["ingest", _write(tmp_path / "a.jsonl", _record(1)), "--db", db, "-q"]) == 0
    moved = _record(1, url="https://courier.example/2024/01/01/new-slug/", aliases=[_record(1)["url"]])
    assert run(["ingest", _write(tmp_path / "b.jsonl", moved), "--db", db]) == 0
    assert "0 added, 0 updated, 1 moved to a new address, 0 unchanged" in capsys.readouterr().out


def test_escaped_titles_are_decoded(tmp_path: Path, store, config) -> None:
    src = tmp_path / "a.jsonl"
    src.write_text(json.dumps(_record(1, title="U&#46;S&#46; Web Design System&#58; the Agency&#8217;s Call &amp; Q&A"))
                   + "\n")
    assert ingest(store, [str(src)], config=config).ok
    assert store.get_article(_record(1)["url"]).title == "U.S. Web Design System: the Agency’s Call & Q&A"


@pytest.mark.parametrize("rec,message", [
    ({"url": "https://c.example/1"}, "missing required field 'title'"),
    ({"url": "not a url", "title": "x"}, "not an absolute URL"),
    ({"url": "ftp://c.example/1", "title": "x"}, "not a web address (http or https)"),
    ({"url": "https://c.example/1", "title": "x", "published": "last tuesday"}, "published"),
    ({"url": "https://c.example/1", "title": "x", "published": "2024-02-30"},
     "published '2024-02-30' is not a date (day is out of range for month)"),
    ({"url": "https://c.example/1", "title": "x", "format": "docx"}, "format"),
    ({"url": "https://c.example/1", "title": "x", "tags": "a", "authors": 3}, "authors"),
    (["not", "an", "object"], "expected a JSON object"),
])
def test_invalid_records_are_named(tmp_path: Path, store, config, rec, message) -> None:
    src = tmp_path / "one.jsonl"
    src.write_text(json.dumps(_record(1)) + "\n" + json.dumps(rec) + "\n")
    report = ingest(store, [str(src)], config=config)
    assert report.added == 1
    (rej,) = report.rejected
    assert rej.where == f"{src}:2" and message in rej.reason


@pytest.mark.parametrize("fields,message", [
    ({"title": "x \ud800"}, "field 'title' holds an unpaired surrogate \\ud800 at character 2"),
    ({"body": "ok \udc00"}, "field 'body' holds an unpaired surrogate \\udc00 at character 3"),
    ({"tags": ["ok", "\udc00"]}, "field 'tags' holds an unpaired surrogate"),
])
def test_text_no_store_can_write_is_refused_and_the_batch_kept(tmp_path: Path, store, config, fields,
                                                               message) -> None:
    # JSON can spell a lone surrogate; UTF-8 cannot: it once failed the whole batch with a traceback
    src = tmp_path / "one.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in (_record(1), _record(2, **fields), _record(3))))
    report = ingest(store, [str(src)], config=config)
    assert report.added == 2 and store.get_article(_record(3)["url"]) is not None
    (rej,) = report.rejected
    assert rej.where.startswith(f"{src} record 2 ") and message in rej.reason


def test_nul_characters_are_kept_as_replacement_characters_at_the_same_offsets(tmp_path: Path, store,
                                                                               config) -> None:
    src = tmp_path / "nul.jsonl"
    src.write_text(json.dumps(_record(1, title="A\x00B", body="before\x00 [a link](https://courier.example/x/)")) + "\n")
    assert ingest(store, [str(src)], config=config).ok
    stored = store.get_article(_record(1)["url"])
    assert (stored.title, stored.body) == ("A\ufffdB", "before\ufffd [a link](https://courier.example/x/)")
    (link,) = store.article_links(stored.id)
    assert link["anchor"] == "a link"


def test_asked_about_with_a_nul_the_store_finds_what_it_stored_with_one(tmp_path: Path, store, config) -> None:
    # (a query string from the HTTP API may carry one; PostgreSQL refused such a query, a 500)
    url = "https://courier.example/2024/01/01/nul\x00story/"
    src = tmp_path / "nul.jsonl"
    src.write_text(json.dumps(_record(1, url=url, section="op\x00ed")) + "\n")
    assert ingest(store, [str(src)], config=config).ok
    assert store.get_article(url).url == url.replace("\x00", "\ufffd")
    assert [a.url for a in store.orphans(section="op\x00ed")] == [url.replace("\x00", "\ufffd")]


def test_huge_body_rejected_rest_kept(tmp_path: Path, store, config) -> None:
    src = tmp_path / "big.jsonl"
    with open(src, "w") as fh:
        fh.write(json.dumps(_record(1)) + "\n")
        fh.write(json.dumps(_record(2, body="x" * 50_000_000)) + "\n")
        fh.write(json.dumps(_record(3)) + "\n")
    report = ingest(store, [str(src)], config=config)
    assert report.added == 2
    assert "over the 10,000,000-byte limit" in report.rejected[0].reason


def test_binary_garbage_is_one_clear_rejection(tmp_path: Path, store, config) -> None:
    src = tmp_path / "garbage.jsonl"
    src.write_bytes(bytes(range(256)) * 100)
    report = ingest(store, [str(src)], config=config)
    assert store.count_articles() == 0
    assert len(report.rejected) == 1 and "binary file" in report.rejected[0].reason


def test_wordpress_export(fixtures: Path, store, config) -> None:
    report = ingest(store, [str(fixtures / "wordpress.xml")], config=config)
    assert (report.added, report.rejected) == (3, [])
    assert report.skipped == {"WordPress draft posts": 1, "WordPress trash posts": 1,
                              "WordPress attachment items": 1}
    art = store.get_article("https://valleycourier.example/2023/03/14/water-plant-opens/")
    assert art.section == "County" and art.tags == ["water", "infrastructure"] and art.authors == ["jlee"]
    assert art.published.startswith("2023-03-14")
    assert "county’s new water treatment plant" in art.text
    links = {l["anchor"]: l for l in store.article_links(art.id)}
    assert links["the bond vote"]["target_title"] == "Voters back water plant bond"
    assert not links["federal report"]["internal"]


def test_broken_wordpress_export_keeps_items_before_the_break(fixtures: Path, tmp_path: Path, store, config) -> None:
    text = (fixtures / "wordpress.xml").read_text()
    cut = text.index("<title>About the Courier</title>") + 40
    broken = tmp_path / "broken.xml"
    broken.write_text(text[:cut])
    report = ingest(store, [str(broken)], config=config)
    assert report.added == 2
    (rej,) = report.rejected
    assert rej.where.startswith(f"{broken}:") and "broken XML" in rej.reason


def test_rss_and_atom(fixtures: Path, store, config) -> None:
    report = ingest(store, [str(fixtures / "feed.rss"), str(fixtures / "feed.atom")], config=config)
    assert report.added == 3
    (rej,) = report.rejected
    assert rej.where == f"{fixtures / 'feed.rss'} entry 3" and "no title" in rej.reason
    art = store.get_article("https://valleycourier.example/2024/03/02/regional-title/")
    assert art.authors == ["Ben Carter"] and art.tags == ["basketball"] and art.published.startswith("2024-03-02")
    assert "first regional title" in art.text


def test_truncated_feed_is_reported(tmp_path: Path, fixtures: Path, store, config) -> None:
    text = (fixtures / "feed.rss").read_text()
    bad = tmp_path / "trunc.rss"
    bad.write_text(text[: text.index("<title>Snowplow")])
    report = ingest(store, [str(bad)], config=config)
    assert report.added == 1  # the entry before the cut
    assert any("not well-formed" in w for w in report.warnings)


def test_hugo_site(fixtures: Path, store, config) -> None:
    config["site"]["base_url"] = "https://millcreek.example"
    config["site"]["permalink"] = "/:section/:slug/"
    report = ingest(store, [str(fixtures / "hugo")], config=config)
    assert report.added == 3
    assert report.skipped == {"drafts (draft: true)": 1, "section index pages": 1}
    (rej,) = report.rejected
    assert rej.where.endswith("broken.md") and "front matter is not valid YAML" in rej.reason
    reopen = store.get_article("https://millcreek.example/news/bridge-reopens/")
    assert reopen.tags == ["bridges", "mill creek", "transport"] and reopen.authors == ["Rae Kim"]
    # a link to the old permalink (an alias) resolves to the article
    plan = store.get_article("https://millcreek.example/features/river-walk-plan/")
    (link,) = store.article_links(plan.id)
    assert link["target_title"] == "Mill Creek bridge reopens after repairs"
    assert store.get_article("https://millcreek.example/old/mill-creek-bridge-reopens/").id == reopen.id


def test_jekyll_posts_take_date_and_slug_from_filename(fixtures: Path, store, config) -> None:
    config["site"]["base_url"] = "https://market.example/"
    report = ingest(store, [str(fixtures / "jekyll")], config=config)
    assert report.added == 1
    art = store.get_article("https://market.example/2022/09/14/farmers-market-moves/")
    assert art.published == "2022-09-14" and art.tags == ["community"]


def test_static_site_needs_base_url(fixtures: Path, store, config) -> None:
    report = ingest(store, [str(fixtures / "jekyll")], config=config)
    assert "--base-url" in report.rejected[0].reason


def test_saved_html_pages(fixtures: Path, store, config) -> None:
    report = ingest(store, [str(fixtures / "pages")], config=config)
    assert report.added == 1
    (rej,) = report.rejected
    assert "no canonical URL" in rej.reason
    art = store.get_article("https://valleycourier.example/2024/04/10/council-bus-vote/")
    assert art.title == "Council votes to expand bus service"
    assert art.section == "County" and art.tags == ["buses", "transit"]
    assert "Home" not in art.text and "Privacy" not in art.text and "Related" not in art.text
    assert "Service starts in June & runs" in art.text
    assert [l["anchor"] for l in store.article_links(art.id)] == ["transit survey"]


def test_detect_kind(fixtures: Path, tmp_path: Path) -> None:
    assert detect_kind(str(fixtures / "wordpress.xml")) == "wxr"
    assert detect_kind(str(fixtures / "feed.atom")) == "feed"
    assert detect_kind(str(fixtures / "hugo")) == "static_site"
    assert detect_kind(str(fixtures / "pages")) == "html_pages"
    other = tmp_path / "x.csv"
    other.write_text("a,b\n")
    with pytest.raises(Exception, match="cannot tell"):
        detect_kind(str(other))


def test_show_command(fixtures: Path, tmp_path: Path, capsys) -> None:
    db = str(tmp_path / "w.db")
    shutil.copy(fixtures / "wordpress.xml", tmp_path / "wp.xml")
    assert run(["ingest", str(tmp_path / "wp.xml"), "--db", db, "-q"]) == 0
    capsys.readouterr()
    assert run(["show", "https://valleycourier.example/2022/11/02/water-plant-vote/", "--db", db, "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["inbound"] == 1 and info["section"] == "Elections"
    assert run(["show", "https://valleycourier.example/nope/", "--db", db]) == 2
    assert "not in the archive" in capsys.readouterr().err
