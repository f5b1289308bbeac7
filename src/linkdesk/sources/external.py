"""External suggestions: for each sentence that needs a source, the catalog item that covered it.

A sentence that attributes, quotes or states figures (see :mod:`.attribution`) is a query against
the catalog, with the draft's headline for context and its ``published`` date (today when absent)
for the time prior. A short draft that is one event summary is one query as a whole. The anchor
is the outlet's name when the sentence names it, else the words of the sentence that the item's
headline shares.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..config import load_config
from ..model import Document, Suggestion
from ..store.base import Store
from ..suggest.policy import Spans, first_linkable
from ..text.normalize import STOPWORDS, link_scope, term, tokens
from .attribution import Claim, find_claims, sentences
from .outlets import OutletTable
from .retrieve import Hit, SourceIndex, load_source_index

__all__ = ["ExternalSuggester", "SourceNeed", "needs", "shared_words_span", "widen"]

log = logging.getLogger(__name__)

# A draft this short is read as one event summary needing one source.
SUMMARY_MAX_WORDS = 120
MAX_ANCHOR_WORDS = 8
# sentences in these need no source; a sentence with a link is judged by where the link goes
NO_SOURCE_ZONES = ("heading", "code", "byline", "placeholder")
# Words a widened anchor never takes in, on top of the stopwords: negations and auxiliaries.
_NOT_PHRASE = STOPWORDS | frozenset((
    "cannot can't won't wouldn't didn't doesn't don't isn't aren't wasn't weren't hasn't haven't hadn't "
    "shouldn't couldn't"
).split())


@dataclass
class SourceNeed:
    """A stretch of the draft that needs a source, and the text to look it up with."""

    claim: Claim
    query: str
    # where the anchor may go: the claim's sentence, or the whole summary for a short draft
    region: tuple[int, int]


def needs(doc: Document, title: str | None, skip: list[tuple[int, int]] | None = None,
          own_hosts: Sequence[str] = ()) -> list[SourceNeed]:
    """The sentences of ``doc`` that need an outside source (plain-text offsets), leaving out
    those inside ``skip`` (editorial notes, which are not the story). A link to the desk's own
    site (``own_hosts``) is earlier coverage, not a source."""
    text = doc.text
    quoted = Spans([(z.start, z.end) for z in doc.zones if z.kind in NO_SOURCE_ZONES])
    spans = [(s, e) for s, e in sentences(text)
             if quoted.clear(s, e) and not any(a <= s and e <= b for a, b in skip or [])]
    sourced = Spans([(link.text_start, link.text_end) for link in doc.links
                     if link_scope(link.href, own_hosts) == "outside"])
    open_spans = [(s, e) for s, e in spans if sourced.clear(s, e)]
    claims = find_claims(text, open_spans)
    strong = [c for c in claims if not c.weak]
    headline = title or ""
    if open_spans and len(text.split()) <= SUMMARY_MAX_WORDS:
        # a short draft is one story: the whole of it is the query, the link goes on its first claim
        first = (strong or claims or [Claim(*open_spans[0], reasons=["the draft is one event summary"])])[0]
        return [SourceNeed(first, f"{text} {headline}", (open_spans[0][0], open_spans[-1][1]))]
    return [SourceNeed(c, f"{text[c.start:c.end]} {headline}", (c.start, c.end)) for c in strong]


def _anchor(doc: Document, need: SourceNeed, hit: Hit, blocked: Spans,
            index: SourceIndex) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """Where the link goes: the outlet's name where the draft names it, else the run of words the item's
    headline shares, else the attribution cue, else the opening words of the claim; the first of them
    free of other links that a link can wrap without cutting across the draft's markup (its plain-text
    span and the source span the link wraps)."""
    return first_linkable(doc, _anchor_options(doc, need, hit, blocked, index), blocked)


def _anchor_options(doc: Document, need: SourceNeed, hit: Hit, blocked: Spans,
                    index: SourceIndex) -> Iterator[tuple[int, int]]:
    text = doc.text
    lo, hi = need.region
    for name in dict.fromkeys(n for n in (hit.outlet.name, hit.item.outlet) if n):
        m = re.search(rf"\b{re.escape(name)}\b", text[lo:hi])
        if m:
            yield lo + m.start(), lo + m.end()
    best = shared_words_span(text, lo, hi, index.term_weights(hit.item.title), blocked)
    if best is not None:
        yield widen(text, best, lo, hi, blocked)
    claim = need.claim
    if claim.cue:
        yield claim.cue
    opening = [(claim.start + s, claim.start + e)
               for s, e, _ in tokens(text[claim.start:claim.end])][:MAX_ANCHOR_WORDS // 2]
    if opening:
        yield opening[0][0], opening[-1][1]


def shared_words_span(text: str, lo: int, hi: int, wanted: Mapping[str, float],
                      blocked: Spans | None = None, max_words: int = MAX_ANCHOR_WORDS
                      ) -> tuple[int, int] | None:
    """The tightest run of words in ``text[lo:hi]`` whose terms are in ``wanted`` (term → weight,
    rarer terms weigh more): each shared word counts its weight, each other word inside the run
    costs 0.6 of the average weight, so "marine battery packs" beats a clause that happens to
    start and end on shared words."""
    if not wanted:
        return None
    gap_cost = 0.6 * sum(wanted.values()) / len(wanted)
    words = [(lo + s, lo + e, wanted.get(term(w), 0.0)) for s, e, w in tokens(text[lo:hi])]
    best: tuple[int, int] | None = None
    best_value = 0.0
    for i, (s, _, first_weight) in enumerate(words):
        if not first_weight:
            continue
        value = 0.0
        for j in range(i, min(len(words), i + max_words)):
            weight = words[j][2]
            if not weight:
                value -= gap_cost
                continue
            value += weight
            span = (s, words[j][1])
            if value > best_value and (blocked is None or blocked.clear(*span)):
                best, best_value = span, value
    return best


def widen(text: str, span: tuple[int, int], lo: int, hi: int, blocked: Spans | None = None,
           max_words: int = 3) -> tuple[int, int]:
    """A lone shared word grows into the phrase around it ("Battery" → "Battery makers"): neighbouring
    content words are taken up to ``max_words``, stopping at a stopword or punctuation. A run of
    two or more shared words is a phrase already and stays as it is."""
    words = list(tokens(text[lo:hi]))
    inside = [i for i, (s, e, _) in enumerate(words) if span[0] <= lo + s and lo + e <= span[1]]
    if len(inside) != 1:
        return span
    first, last = inside[0], inside[-1]

    def joinable(i: int, j: int) -> bool:
        gap = text[lo + words[i][1]:lo + words[j][0]]
        return gap.strip() == "" and "\n" not in gap

    def phrase_word(k: int) -> bool:
        w = words[k][2]
        return w.casefold().replace("’", "'") not in _NOT_PHRASE and not w.isdigit()

    while last - first + 1 < max_words:
        grown = False
        if last + 1 < len(words) and joinable(last, last + 1) and phrase_word(last + 1):
            last += 1
            grown = True
        if last - first + 1 < max_words and first > 0 and joinable(first - 1, first) and phrase_word(first - 1):
            first -= 1
            grown = True
        if not grown:
            break
    wide = (lo + words[first][0], lo + words[last][1])
    return wide if blocked is None or blocked.clear(*wide) else span


class ExternalSuggester:
    """The catalog's retrieval index and the outlet policy, loaded once, then called per draft."""

    def __init__(self, store: Store, config: dict[str, Any] | None = None,
                 own_hosts: Sequence[str] | None = None) -> None:
        """``own_hosts``: the desk's own sites, whose links are earlier coverage rather than sources (the
        store's when not given; the archive's index knows them too, without reading every address)."""
        self.config = config or load_config()
        self.outlets = OutletTable.from_config(self.config)
        self.index = load_source_index(store, self.outlets)
        self.own_hosts = store.site_hosts() if own_hosts is None else list(own_hosts)
        log.info("source catalog: %d items usable", len(self.index))

    @property
    def min_score(self) -> float:
        return float(self.config["sources"]["min_score"])

    def suggest(self, doc: Document, title: str | None, published: str | None,
                blocked: list[tuple[int, int]] | None = None,
                max_links: int | None = None, exclude: set[str] | None = None,
                skip: list[tuple[int, int]] | None = None) -> list[Suggestion]:
        cap = self.config["sources"]["max_links"] if max_links is None else max_links
        # never on top of a link the draft already has
        taken = Spans((blocked or []) + [(link.text_start, link.text_end) for link in doc.links])
        used = {link.href for link in doc.links} | (exclude or set())
        out: list[Suggestion] = []
        for need in needs(doc, title, skip, self.own_hosts):
            if cap and len(out) >= cap:
                break
            hits = [h for h in self.index.search(need.query, published, k=4, exclude=tuple(used))
                    if h.score >= self.min_score]
            if not hits:
                continue
            best = hits[0]
            placed = _anchor(doc, need, best, taken, self.index)
            if placed is None:
                continue
            span, (start, end) = placed
            taken.add(*span)
            used.add(best.item.url)
            out.append(Suggestion(
                kind="external", anchor=doc.text[span[0]:span[1]], start=start, end=end,
                target_url=best.item.url, target_title=best.item.title, score=round(best.score, 4),
                reasons=need.claim.reasons + best.reasons(), outlet=best.outlet.name,
                outlet_label=best.outlet.label,
                alternatives=[{"target_url": h.item.url, "target_title": h.item.title, "outlet": h.outlet.name,
                               "outlet_label": h.outlet.label, "score": round(h.score, 4)} for h in hits[1:3]],
            ))
        return out
