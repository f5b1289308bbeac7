"""Candidate sources: time references, written-out addresses, slug variants, and title matching."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from linkdesk.drafts import draft_from_text
from linkdesk.index.linkindex import _slug_variant, build_index, day_number, draft_day
from linkdesk.index.vectors import TextVectors
from linkdesk.ingest.records import prepare
from linkdesk.model import Article
from linkdesk.store import open_store
from linkdesk.suggest import candidates
from linkdesk.suggest.candidates import AnchorView, Context, generate, may_name
from linkdesk.suggest.pipeline import Suggester, rank_draft
from linkdesk.suggest.spot import analyze
from linkdesk.suggest.timeref import find_time_refs
from linkdesk.text.normalize import match_tokens

FERRY_RECORD = "https://harborledger.example/2025/06/ferry-ridership-record/"


@pytest.mark.parametrize("text,published,expected", [
    ("as we reported last year, fares", "2025-11-20", [("last year", "2024-01-01", "2025-01-01")]),
    ("following last year's election.", "2025-08-20", [("last year's election", "2024-01-01", "2025-01-01")]),
    ("since our last update, the council", "2025-06-11", [("our last update", None, "2025-06-11")]),
    ("As announced in March, Josh joined", "2025-06-11", [("March", "2025-03-01", "2025-04-01")]),
    # a month later in the year than the draft is last year's
    ("the plan from October was shelved", "2025-06-11", [("October", "2024-10-01", "2024-11-01")]),
    ("Since our development update in February 2025, we", "2025-07-11",
     [("February 2025", "2025-02-01", "2025-03-01")]),
    ("It was phased out in 2019 for NLL", "2026-08-04", [("in 2019", "2019-01-01", "2020-01-01")]),
    ("last month the board met", "2025-03-10", [("last month", "2025-02-01", "2025-03-01")]),
    # the verb "may", references to the future and to the draft's own day are not references to coverage
    ("You may remember the vote.", "2025-06-11", []),
    ("The deck opens in 2030.", "2025-06-11", []),
])
def test_time_references(text: str, published: str, expected: list[tuple[str, str | None, str]]) -> None:
    refs = find_time_refs(text, day_number(published))
    got = [(text[r.start:r.end], r.lo, r.hi) for r in refs]
    want = [(span, -np.inf if lo is None else day_number(lo), day_number(hi)) for span, lo, hi in expected]
    assert got == want


def test_time_reference_finds_the_period_article_closest_to_the_sentence(suggester: Suggester) -> None:
    text = ("Ferry ridership hit a record in June, the Port Authority said, as the electric ferry "
            "drew new riders on the Eastbank route.")
    draft = draft_from_text(text, "text", "d.txt", published="2025-11-20")
    ranked = rank_draft(draft, suggester.index, suggester.ranker, suggester.view)
    timed = [c for c in ranked.cands if c.from_time]
    assert timed and all(text[c.start:c.end] == "June" for c in timed)
    best = min(timed, key=lambda c: c.time_rank)
    assert suggester.index.urls[best.target] == FERRY_RECORD
    # every article offered for "June" ran in June 2025
    assert all(suggester.index.published(c.target).startswith("2025-06") for c in timed)


def test_time_references_in_many_sentences_match_one_at_a_time(suggester: Suggester,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import linkdesk.suggest.candidates as candidates_module

    # sentences naming one period are compared with its articles together, in chunks; each must get
    # what it gets when compared alone
    text = " ".join(f"In 2022, {topic}." for topic in (
        "the harbor ferry fares were frozen", "volunteers hauled trash off Gull Island",
        "the Northgate Shipyard laid off workers", "voters approved the housing bond")) * 3
    draft = draft_from_text(text, "text", "d.txt", published="2025-11-20")

    def timed() -> list[tuple[int, int, int, int]]:
        ranked = rank_draft(draft, suggester.index, suggester.ranker, suggester.view)
        return sorted((c.start, c.end, c.target, c.time_rank) for c in ranked.cands if c.from_time)

    together = timed()
    monkeypatch.setattr(candidates_module, "_TIME_PAIRS", 1)  # one sentence per product
    alone = timed()
    assert together == alone
    assert len({start for start, *_ in together}) == 12
    assert len({target for _, _, target, rank in together if rank == 0}) > 1


def test_written_out_archive_address_is_linked(suggester: Suggester) -> None:
    text = ("Background on the numbers is in our earlier story: "
            "https://harborledger.example/2025/06/ferry-ridership-record. Riders kept coming.")
    result = suggester.run(draft_from_text(text, "text", "d.txt", published="2025-11-20"))
    (named,) = [s for s in result.suggestions if s.anchor.startswith("https://")]
    assert named.anchor == "https://harborledger.example/2025/06/ferry-ridership-record"  # no trailing period
    assert named.target_url == FERRY_RECORD and named.score >= 0.99
    assert "the draft spells out this article's address" in named.reasons


@pytest.mark.parametrize("to_this,to_other,docs,expected", [
    (12, 0, 15, "the desk has linked these words 12 times (every time to this article); 15 archive articles contain them"),
    (3, 1, 400, "the desk has linked these words 4 times (3 of them to this article); 400 archive articles contain them"),
    (1, 0, 1, "the desk has linked these words 1 time (every time to this article); 1 archive article contains them"),
    (2, 5, 0, "the desk has linked these words 7 times (2 of them to this article)"),
])
def test_a_phrase_linked_before_says_how_often_in_counts(suggester: Suggester, to_this: int, to_other: int,
                                                          docs: int, expected: str) -> None:
    from collections import Counter

    from linkdesk.suggest.features import reasons_for

    index = suggester.index
    key = "tidewater bridge"
    (target,) = suggester.view.anchors[key]
    other = next(t for t in range(index.size) if t != target)
    view = AnchorView({key: Counter({target: to_this, other: to_other})}, {key: docs} if docs else {})
    draft = draft_from_text("Crews closed the Tidewater Bridge overnight.", "text", "d.txt", published="2025-11-20")
    ranked = rank_draft(draft, index, suggester.ranker, view)
    (i,) = [i for i, c in enumerate(ranked.cands) if c.from_anchor and c.target == target]
    assert [r for r in reasons_for(ranked.X[i], ranked.cands[i], index) if r.startswith("the desk")] == [expected]


@pytest.mark.parametrize("url,title,expected", [
    # the slug says nothing the title does not: no second variant
    ("https://x.example/2024/harbor-ferry-fares/", ("harbor", "ferry", "fare"), None),
    # a slug that dropped the edition's year gets it back from the title
    ("https://x.example/rust-survey-results-wrapup/", ("2022", "annual", "rust", "survey", "result"),
     ("rust", "survey", "result", "wrapup", "2022")),
    # a slug with its own words is kept as it is, bare numbers aside
    ("https://x.example/inside/2019/12/ide-future-42/", ("2019-11-18", "ide", "team", "meeting"),
     ("ide", "future", "2019-11-18")),
    # a page picked by its parameters: the path is the script every article shares
    ("https://x.example/news/story.php?id=7", ("bridge", "deck", "replaced"), None),
])
def test_slug_variant(url: str, title: tuple[str, ...], expected: tuple[str, ...] | None) -> None:
    assert _slug_variant(url, title) == expected


def test_similarity_equals_pairwise_cosine() -> None:
    vectors = TextVectors.fit(["ferry fares frozen", "bridge deck replaced", "ferry ridership record", "jazz festival"])
    queries = vectors.transform(["ferry record", "bridge deck", "nothing shared zzz"])
    rows, targets = [0, 0, 1, 1, 2, 0], [0, 2, 1, 3, 1, 2]
    pairwise = np.asarray(queries[rows].multiply(vectors.matrix[targets]).sum(axis=1)).ravel()
    assert np.allclose(vectors.similarity(queries, rows, targets), pairwise)
    assert vectors.similarity(queries, [0], [2])[0] > vectors.similarity(queries, [0], [1])[0]


@pytest.mark.parametrize("text,expected", [
    ("open-source tools", [("open", "open"), ("source", "source"), ("tools", "tool")]),
    ("This Development-cycle in Cargo", [("This", "this"), ("Development", "development"), ("cycle", "cycle"),
                                         ("in", "in"), ("Cargo", "cargo")]),
    ("don't stop at 1.82.0", [("don't", "don't"), ("stop", "stop"), ("at", "at"), ("1.82.0", "1.82")]),
])
def test_match_tokens_split_hyphenated_compounds(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(text[a:b], t) for a, b, t in match_tokens(text)] == expected


def test_title_mention_keeps_its_closing_bracket(suggester: Suggester) -> None:
    text = "Riders cheered the first electric ferry service (Eastbank route) today."
    draft = draft_from_text(text, "text", "d.txt", published="2025-11-20")
    ranked = rank_draft(draft, suggester.index, suggester.ranker, suggester.view)
    spans = {text[c.start:c.end] for c in ranked.cands if c.from_title}
    assert all(s.count("(") == s.count(")") for s in spans)
    assert any("(Eastbank route)" in s for s in spans)


@pytest.mark.parametrize("texts", [
    ["Ferry fares were frozen for 2025, the council said.", "", "a I x"],
    ["Straße, naïve ÉCOLE, İstanbul and ǅ: words whose case changes their length", "東京の天気 and ﬁre"],
    ["don't, can't, it's: stopwords as the tokenizer splits them", "under_score 12 345 6789 x1 1x"],
    # every length of a word's last block of bytes, and words met twice in one text
    [" ".join("w" * n for n in range(2, 13)) + " ww www", "é" * 5 + " " + "ü" * 6],
])
def test_words_hash_to_the_columns_of_scikit_learns_hasher(texts: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Vectors saved by earlier versions were made with scikit-learn's HashingVectorizer."""
    from sklearn.feature_extraction.text import HashingVectorizer

    import linkdesk.index.vectors as vectors_module

    theirs = HashingVectorizer(n_features=vectors_module._N_FEATURES, alternate_sign=False, norm=None,
                               stop_words=sorted(vectors_module._STOP), token_pattern=vectors_module._TOKEN.pattern,
                               dtype=np.float32).transform(texts)
    theirs.sort_indices()
    monkeypatch.setattr(vectors_module, "_columns", {})
    monkeypatch.setattr(vectors_module, "_COLUMN_CACHE", 3)  # the cache fills and starts again
    # words hashed, then words remembered; the texts in one block of counts, then in blocks of 4 words
    for block in (vectors_module._WORDS_COUNTED_AT_ONCE, 4):
        monkeypatch.setattr(vectors_module, "_WORDS_COUNTED_AT_ONCE", block)
        ours = vectors_module._counts(texts)
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
        for name in ("indptr", "indices", "data"):
            assert np.array_equal(getattr(ours, name), getattr(theirs, name)), name
    assert len(vectors_module._columns) <= 3


def test_murmur_hash_is_scikit_learns() -> None:
    from sklearn.utils import murmurhash3_32

    from linkdesk.index.vectors import _murmur3_32

    rng = random.Random(5)
    words = ["".join(rng.choice("abz09éü日") for _ in range(rng.randint(0, 14))) for _ in range(3000)]
    assert [_murmur3_32(w.encode("utf-8")) for w in words] == [murmurhash3_32(w, positive=False) for w in words]


def test_similarity_in_slices_equals_one_block(monkeypatch: pytest.MonkeyPatch) -> None:
    import linkdesk.index.vectors as vectors_module

    vectors = TextVectors.fit(["ferry fares frozen", "bridge deck replaced", "ferry ridership record", "jazz festival"])
    queries = vectors.transform(["ferry record", "bridge deck", "jazz ferry", "fares"])
    rows, targets = [0, 1, 2, 3, 3, 0, 2], [2, 1, 3, 0, 2, 0, 1]
    whole = vectors.similarity(queries, rows, targets)
    monkeypatch.setattr(vectors_module, "_DENSE_LIMIT", 1)  # one query row at a time
    assert np.allclose(vectors.similarity(queries, rows, targets), whole)


def test_title_matching_finds_what_checking_every_title_sharing_a_rare_word_finds(store, monkeypatch) -> None:
    # the sparse product only narrows which titles the exact check reads: with it, every candidate is
    # the one reading each title that shares a rare word with the sentence would give. Some words are
    # in more titles than the postings cap, titles run from two to six words, slugs differ from titles
    rng = random.Random(11)
    vocabulary = ["".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou") for _ in range(3)) for _ in range(80)]

    def words(n: int) -> list[str]:
        # a few words are in very many titles, most in few
        return [vocabulary[min(int(rng.paretovariate(0.7)) - 1, len(vocabulary) - 1)] for _ in range(n)]

    items = []
    for i in range(300):
        title = words(rng.randint(2, 6))
        slug = "-".join(words(3) if i % 4 == 0 else title)
        items.append(prepare(Article(url=f"https://n.example/2024/{i}/{slug}/", title=" ".join(title).title(),
                                     body=" ".join(words(40)) + "."), 10_000_000, str(i)))
    store.write_batch(items)
    index = build_index(store)
    assert max(len(p) for p in index.title_postings.values()) > candidates._postings_cap(index.size)
    texts = [" ".join(" ".join(words(rng.randint(4, 14))).capitalize() + "." for _ in range(30)) for _ in range(25)]

    def every_title_sharing_a_rare_word(sentence_positions, index):
        cap = candidates._postings_cap(index.size)
        return [sorted({a for t in positions for a in index.title_postings.get(t, ())
                        if len(index.title_postings[t]) <= cap}) for positions in sentence_positions]

    read = {"narrowed": 0, "every": 0}

    def counted(matches, name):
        def run(sentence_positions, index):
            found = matches(sentence_positions, index)
            read[name] += sum(map(len, found))
            return found
        return run

    def candidates_of(text: str) -> list:
        return generate(analyze(text), index, AnchorView({}, {}), Context(math.nan))

    monkeypatch.setattr(candidates, "_title_matches", counted(candidates._title_matches, "narrowed"))
    narrowed = [candidates_of(t) for t in texts]
    monkeypatch.setattr(candidates, "_title_matches", counted(every_title_sharing_a_rare_word, "every"))
    assert [candidates_of(t) for t in texts] == narrowed
    assert sum(c.from_title for found in narrowed for c in found) > 100
    assert read["narrowed"] < read["every"]


@pytest.mark.parametrize("day", ["2025-11-20", None])
def test_may_name_says_no_only_where_generate_finds_no_candidate(suggester: Suggester, demo_db: str,
                                                                 day: str | None) -> None:
    # inbound skips the articles it says no for: a no where generate finds one would lose a place. The
    # demo archive's articles, and texts whose candidates come from one source each: a written-out
    # address, a phrase the desk has linked, a period ("in June")
    store = open_store(demo_db, create=False)
    texts = [(a.text, a.title) for a in store.iter_articles()]
    store.close()
    texts += [("More at https://harborledger.example/2025/06/ferry-ridership-record. Riders kept coming.", None),
              ("As we reported in June, the numbers were strong. Last month too.", None),
              ("The Tidewater Bridge and the electric ferry both made the news.", "Harbor transport")]
    index, view = suggester.index, suggester.view
    today = day_number(day) if day else draft_day(None)
    said_no = found_total = 0
    for text, title in texts:
        an = analyze(text, title)
        found = {c.target for c in generate(an, index, view, Context(today))}
        found_total += len(found)
        for target in range(index.size):
            if not may_name(an, index, view, Context(today), target):
                said_no += 1
                assert target not in found, (text[:60], index.urls[target])
    assert found_total > 2 * len(texts)
    # and it is of use: most articles cannot name most others
    assert said_no > 0.6 * len(texts) * index.size


def test_may_name_an_article_by_its_written_out_address_alone(sqlite_store) -> None:
    # addresses that share no word with their titles: only the address can name the article
    sqlite_store.write_batch([prepare(Article(url=f"https://n.example/story.php?id={i}", title=title,
                                              body=f"{title} and more."), 10_000_000, str(i))
                              for i, title in enumerate(["Bridge deck replaced", "Jazz festival returns",
                                                         "Ferry fares frozen"])])
    index = build_index(sqlite_store)
    view, today = AnchorView({}, {}), draft_day(None)
    an = analyze("The details are at https://n.example/story.php?id=1.")
    (cand,) = generate(an, index, view, Context(today))
    assert cand.names_url and index.urls[cand.target] == "https://n.example/story.php?id=1"
    assert [may_name(an, index, view, Context(today), t) for t in range(index.size)] == [
        index.urls[t] == "https://n.example/story.php?id=1" for t in range(index.size)]


def test_may_name_ranks_a_period_s_articles_as_generate_does(suggester: Suggester) -> None:
    # "last year" holds every article of 2024; generate offers those closest to the sentence, among
    # the ones the text may link: shut the closest out (declined, say) and the next move up
    index, view = suggester.index, suggester.view
    day = day_number("2025-11-20")
    text = "As we reported last year, the council heard from residents about the harbor."
    period = {int(a) for ref in find_time_refs(text, day) for a in candidates.period_articles(index, ref)}
    closest = {c.target for c in generate(analyze(text), index, view, Context(day)) if c.from_time}
    assert len(period) > 6 and len(closest) == candidates.PER_TIME_REF
    shut = Context(day, exclude=closest)
    after = {c.target for c in generate(analyze(text), index, view, shut) if c.from_time}
    assert after and not after & closest
    for ctx, offered in ((Context(day), closest), (shut, after)):
        assert {t for t in period if may_name(analyze(text), index, view, ctx, t)} == offered
