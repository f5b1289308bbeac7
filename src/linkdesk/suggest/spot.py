"""Spotting: a draft's plain text as words and sentences, and the archive phrases it contains."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

from scipy import sparse

from ..index.phrases import PhraseMatcher, case_fold_same_length
from ..index.vectors import TextVectors, titled
from ..text.normalize import is_match_term, match_tokens

__all__ = ["Analysis", "analyze", "phrase_hits", "text_queries"]

# A sentence ends at . ! ? (plus closing quotes/brackets) before whitespace and a capital,
# digit or opening quote; a paragraph or line break always ends one.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’)\]]*\s+(?=[\"“‘(\[]?[A-Z0-9])|\n+")


@dataclass
class Analysis:
    text: str
    folded: str
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)
    content: list[bool] = field(default_factory=list)
    sent_of: list[int] = field(default_factory=list)
    sentences: list[tuple[int, int]] = field(default_factory=list)
    sent_tokens: list[tuple[int, int]] = field(default_factory=list)
    sent_starts: list[int] = field(default_factory=list)
    # the text's vector (row 0) and each sentence's (row k + 1) against one archive: see text_queries
    queries: sparse.csr_matrix | None = field(default=None, repr=False)
    # what the text is called: part of what it is about (see text_queries), never a place for a link
    title: str | None = None

    def token_range(self, start: int, end: int) -> tuple[int, int]:
        """Tokens ``[a, b)`` inside the char span ``[start, end)``."""
        return bisect_right(self.ends, start), bisect_right(self.starts, end - 1)

    def sentence_at(self, pos: int) -> int:
        return max(0, bisect_right(self.sent_starts, pos) - 1)


def analyze(text: str, title: str | None = None) -> Analysis:
    an = Analysis(text, case_fold_same_length(text), title=title)
    start = 0
    for m in _SENTENCE_END.finditer(text):
        if m.start() > start:
            an.sentences.append((start, m.start()))
        start = m.end()
    if start < len(text):
        an.sentences.append((start, len(text)))
    an.sent_starts = sent_starts = [s for s, _ in an.sentences]
    for start, end, t in match_tokens(text):
        an.starts.append(start)
        an.ends.append(end)
        an.terms.append(t)
        an.content.append(is_match_term(t))
        an.sent_of.append(max(0, bisect_right(sent_starts, start) - 1))
    bounds: list[tuple[int, int]] = []
    k = 0
    for si in range(len(an.sentences)):
        a = k
        while k < len(an.terms) and an.sent_of[k] == si:
            k += 1
        bounds.append((a, k))
    an.sent_tokens = bounds
    return an


def phrase_hits(an: Analysis, matcher: PhraseMatcher) -> list[tuple[int, int, str]]:
    """Archive anchor phrases found in the draft, whole words only, within one sentence."""
    out = []
    for start, end, key in matcher.find(an.folded):
        if an.sentence_at(start) == an.sentence_at(end - 1):
            out.append((start, end, key))
    return out


def text_queries(an: Analysis, vectors: TextVectors) -> sparse.csr_matrix:
    """The text's vector (row 0, with its title as the archive's articles have theirs) and each
    sentence's (row k + 1), computed once per analysis: time references and the features both
    compare them with the archive."""
    if an.queries is None:
        an.queries = vectors.transform([titled(an.title, an.text)] + [an.text[s:e] for s, e in an.sentences])
    return an.queries
