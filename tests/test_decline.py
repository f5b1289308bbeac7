"""Links editors declined: an article (or a draft, by its id) that should not link to an address is
not offered that link again, by any command or the HTTP API, until the decline is forgotten."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linkdesk.archive import decline_links, declined_link, forget_declined, read_declined
from linkdesk.batch import relink_archive
from linkdesk.cli import EXIT_ERROR, EXIT_OK, EXIT_REJECTED, run
from linkdesk.config import load_config
from linkdesk.demo import demo_paths
from linkdesk.drafts import draft_from_record
from linkdesk.errors import InputError, NotFoundError
from linkdesk.model import Rejection
from linkdesk.store import Store, open_store
from linkdesk.suggest.inbound import inbound_links
from linkdesk.suggest.pipeline import Draft, Suggester
from linkdesk.web import create_app

from .conftest import asgi_call as _call
from .conftest import build_demo_archive, old_postgres_archive, old_sqlite_archive

FARES = "https://harborledger.example/2022/02/ferry-fare-freeze/"
LAUNCH = "https://harborledger.example/2025/04/electric-ferry-launch/"
NPR = "https://www.npr.org/2025/11/14/electric-ferry-delays-norway-washington"
# relinking the demo archive offers the layoffs story a link to the contract story
LAYOFFS = "https://harborledger.example/2022/10/shipyard-layoffs/"
CONTRACT = "https://harborledger.example/2023/05/shipyard-contract-won/"


def _demo_draft(**fields: str) -> Draft:
    record = {"id": "draft.md", "body": Path(demo_paths()[1]).read_text(encoding="utf-8"), **fields}
    return draft_from_record(record, "draft")


def _targets(store: Store, draft: Draft) -> list[str]:
    return [s.target_url for s in Suggester(store, load_config()).run(draft).suggestions]


def test_a_declined_link_is_not_offered_in_that_draft_again_until_forgotten(demo_store: Store) -> None:
    draft = _demo_draft()
    before = _targets(demo_store, draft)
    assert FARES in before and NPR in before
    stored = decline_links(demo_store, [declined_link("draft.md", FARES, "frozen fares", "an old story"),
                                        declined_link("draft.md", NPR)])
    assert [(d.source, d.target_url, d.anchor, d.reason) for d in stored] == [
        ("draft.md", FARES, "frozen fares", "an old story"), ("draft.md", NPR, "", "")]
    after = _targets(demo_store, draft)
    # neither the archive article nor the outside source, at any words; the rest stay
    assert FARES not in after and NPR not in after
    assert set(before) - {FARES, NPR} <= set(after)
    # another draft is not concerned
    assert FARES in _targets(demo_store, _demo_draft(id="another.md"))

    assert forget_declined(demo_store, "draft.md", FARES).anchor == "frozen fares"
    assert FARES in _targets(demo_store, draft)
    with pytest.raises(NotFoundError, match=r"draft\.md: no declined link to"):
        forget_declined(demo_store, "draft.md", FARES)


def test_a_note_does_not_resolve_to_a_declined_article(demo_store: Store) -> None:
    draft = _demo_draft(url="https://harborledger.example/2025/11/ferry-delays/")
    suggester = Suggester(demo_store, load_config())
    assert LAUNCH in {n.resolved.target_url for n in suggester.notes(draft) if n.resolved}
    # declined by the draft's address, spelled otherwise
    decline_links(demo_store, [declined_link("http://www.harborledger.example/2025/11/ferry-delays?utm_source=cms",
                                             LAUNCH)])
    result = Suggester(demo_store, load_config()).run(draft)
    assert LAUNCH not in {n.resolved.target_url for n in result.placeholders if n.resolved}
    assert LAUNCH not in {s.target_url for s in result.suggestions}


def test_relink_and_inbound_leave_out_what_an_article_declined(demo_store: Store) -> None:
    def offered() -> set[tuple[str, str]]:
        return {(r.url, s.target_url) for r in relink_archive(demo_store.path, load_config()) for s in r.suggestions}

    assert (LAYOFFS, CONTRACT) in offered()
    suggester = Suggester(demo_store, load_config())
    places = {link.source_url for link in inbound_links(demo_store, suggester, CONTRACT, threshold=0.0).links}
    assert LAYOFFS in places

    decline_links(demo_store, [declined_link(LAYOFFS, CONTRACT, "Northgate Shipyard")])
    assert (LAYOFFS, CONTRACT) not in offered() and offered()
    suggester = Suggester(demo_store, load_config())
    assert LAYOFFS not in {link.source_url for link in inbound_links(demo_store, suggester, CONTRACT,
                                                                     threshold=0.0).links}
    assert demo_store.stats()["declined"] == 1


def test_addresses_of_archive_articles_are_kept_as_their_own(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "a.db"))
    path = tmp_path / "a.jsonl"
    records = [{"url": "https://n.example/2024/05/story/", "title": "Story", "body": "Text.",
                "aliases": ["/old/story.html"]},
               {"url": "https://n.example/2024/06/other/", "title": "Other", "body": "More text."}]
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    from linkdesk.ingest import ingest

    assert ingest(store, [str(path)], config=load_config()).added == 2
    [d] = decline_links(store, [declined_link("https://n.example/old/story.html", "https://n.example/2024/06/other")])
    assert (d.source, d.target_url) == ("https://n.example/2024/05/story/", "https://n.example/2024/06/other/")
    # a second decline of the same link, at other words, gives the first back
    [again] = decline_links(store, [declined_link("https://n.example/2024/05/story/", "https://n.example/2024/06/other/",
                                                  "other words")])
    assert again == d and len(store.declined()) == 1
    assert store.declined("https://n.example/2024/05/story") == [d] and store.declined("elsewhere") == []
    store.close()


@pytest.mark.parametrize(("source", "target", "message"), [
    ("", FARES, "source: give the address"),
    ("   ", FARES, "source: give the address"),
    ("draft.md", "", "target_url: '' is not an http"),
    ("draft.md", "/2022/02/ferry-fare-freeze/", "target_url: '/2022/02/ferry-fare-freeze/' is not an http"),
    ("draft.md", "mailto:desk@harborledger.example", "is not an http"),
])
def test_a_decline_needs_a_source_and_an_address(source: str, target: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        declined_link(source, target)


def test_a_file_of_declines_reports_its_bad_lines_and_takes_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "declined.jsonl"
    path.write_text("\n".join([
        json.dumps({"source": "draft.md", "target_url": FARES, "anchor": "frozen fares"}),
        json.dumps({"source_url": LAYOFFS, "target_url": CONTRACT, "reason": "wrong yard"}),
        json.dumps({"source": "draft.md"}),
        "{not json",
        json.dumps({"source": 7, "target_url": FARES}),
        json.dumps(["draft.md", FARES]),
        json.dumps({"source": "draft.md", "target_url": "ferry-fare-freeze"}),
        # what a review of `suggest --json` or `relink --json` leaves: the suggestions the editor rejected
        json.dumps({"id": "other.md", "suggestions": [{"kind": "internal", "anchor": "frozen fares", "start": 4,
                                                       "end": 16, "target_url": FARES, "score": 0.9, "reasons": []},
                                                      {"anchor": "NPR", "target_url": NPR}]}),
        json.dumps({"url": LAYOFFS, "suggestions": "all of them"}),
    ]) + "\n", encoding="utf-8")
    items = list(read_declined(str(path), reason="desk review"))
    good = [(i.source, i.target_url, i.anchor, i.reason) for i in items if not isinstance(i, Rejection)]
    assert good == [("draft.md", FARES, "frozen fares", "desk review"), (LAYOFFS, CONTRACT, "", "wrong yard"),
                    ("other.md", FARES, "frozen fares", "desk review"), ("other.md", NPR, "NPR", "desk review")]
    bad = [str(i) for i in items if isinstance(i, Rejection)]
    assert bad == [f"{path}:3: target_url: missing", f"{path}:4: malformed JSON: Expecting property name enclosed "
                   "in double quotes at column 2", f"{path}:5: source: not a string", f"{path}:6: not a JSON object",
                   f"{path}:7: target_url: 'ferry-fare-freeze' is not an http(s) address",
                   f"{path}:9: suggestions: not a list of suggestions"]


def test_cli_decline_list_and_forget(demo_store: Store, archive_path: str, tmp_path: Path, capsys) -> None:
    assert run(["decline", "draft.md", FARES, NPR, "--anchor", "frozen fares", "--reason", "old",
                "--db", archive_path]) == EXIT_OK
    out = capsys.readouterr().out
    assert f'declined: draft.md -> {FARES} at "frozen fares"' in out and "(old)" in out
    path = tmp_path / "more.jsonl"
    path.write_text(json.dumps({"source": LAYOFFS, "target_url": CONTRACT}) + "\n{}\n", encoding="utf-8")
    assert run(["decline", "--from", str(path), "--json", "--db", archive_path]) == EXIT_REJECTED
    out, err = capsys.readouterr()
    assert [json.loads(line)["target_url"] for line in out.splitlines()] == [CONTRACT]
    assert f"{path}:2: source: missing" in err

    assert run(["decline", "--list", "--json", "--db", archive_path]) == EXIT_OK
    listed = {(d["source"], d["target_url"]) for d in map(json.loads, capsys.readouterr().out.splitlines())}
    assert listed == {("draft.md", FARES), ("draft.md", NPR), (LAYOFFS, CONTRACT)}
    assert run(["decline", "--list", "draft.md", "--json", "--db", archive_path]) == EXIT_OK
    assert len(capsys.readouterr().out.splitlines()) == 2
    assert run(["stats", "--db", archive_path]) == EXIT_OK
    assert "declined links: 3" in capsys.readouterr().out

    # the CLI's suggest names a file's draft by its file name, and leaves out what was declined for it
    draft = tmp_path / "draft.md"
    draft.write_text(Path(demo_paths()[1]).read_text(encoding="utf-8"), encoding="utf-8")
    assert run(["suggest", str(draft), "--json", "--db", archive_path]) == EXIT_OK
    result = json.loads(capsys.readouterr().out)
    assert result["id"] == "draft.md" and result["suggestions"]
    assert not {FARES, NPR} & {s["target_url"] for s in result["suggestions"]}

    assert run(["decline", "--forget", "draft.md", FARES, "https://harborledger.example/none/",
                "--db", archive_path]) == EXIT_REJECTED
    out, err = capsys.readouterr()
    assert f"may be suggested again: draft.md -> {FARES}" in out and "no declined link to" in err
    assert run(["decline", "--db", archive_path]) == EXIT_ERROR
    assert "give the article" in capsys.readouterr().err
    assert run(["decline", "draft.md", "--db", archive_path]) == EXIT_ERROR
    assert "give the addresses it should not link to" in capsys.readouterr().err
    assert run(["decline", "draft.md", "ferry-fare-freeze", "--db", archive_path]) == EXIT_ERROR
    assert "is not an http(s) address" in capsys.readouterr().err


def test_http_decline_takes_effect_at_once_here_and_soon_in_other_processes(tmp_path: Path) -> None:
    db = str(tmp_path / "demo.db")
    build_demo_archive(db)
    record = {"id": "cms-4411", "body": Path(demo_paths()[1]).read_text(encoding="utf-8")}
    here = create_app(db, load_config(), index_check_seconds=3600)
    # another instance of the service over the same archive, which looks for changes on every request
    there = create_app(db, load_config(), index_check_seconds=0)

    def suggested(app: object) -> set[str]:
        return {s["target_url"] for s in _call(app, "POST", "/suggest", json=record).json()["suggestions"]}

    assert FARES in suggested(here) and FARES in suggested(there)
    r = _call(here, "POST", "/decline", json={"source": "cms-4411", "target_url": FARES, "anchor": "frozen fares",
                                               "reason": "the freeze ended"})
    assert r.status_code == 200 and r.json()["reason"] == "the freeze ended"
    assert FARES not in suggested(here) and FARES not in suggested(there)
    assert [d["target_url"] for d in _call(there, "GET", "/declined", params={"source": "cms-4411"}).json()] == [FARES]
    assert _call(here, "GET", "/stats").json()["declined"] == 1

    r = _call(here, "POST", "/decline", json={"source": "cms-4411", "target_url": "frozen-fares"})
    assert r.status_code == 400 and "target_url" in r.json()["error"]["message"]
    assert _call(here, "POST", "/decline", json={"target_url": FARES}).status_code == 422
    r = _call(here, "POST", "/decline/forget", json={"source": "cms-4411", "target_url": NPR})
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"

    assert _call(here, "POST", "/decline/forget", json={"source": "cms-4411", "target_url": FARES}).status_code == 200
    assert FARES in suggested(there) and _call(here, "GET", "/declined").json() == []


def test_an_archive_from_before_declines_gains_them(tmp_path: Path) -> None:
    path = str(tmp_path / "old.db")
    old_sqlite_archive(path, 6).close()
    store = open_store(path, create=False)
    assert (store.declined(), store.changed("declines"), store.stats()["declined"]) == ([], None, 0)
    store.close()


def test_a_postgres_archive_from_before_declines_gains_them(pg_archive: str) -> None:
    old_postgres_archive(pg_archive, 2)
    store = open_store(pg_archive, create=False)
    assert (store.declined(), store.changed("declines"), store.stats()["declined"]) == ([], None, 0)
    store.close()
