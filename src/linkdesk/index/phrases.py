"""The anchor phrase dictionary: which phrases the desk has linked, to what, and how often
each phrase appears at all (its link probability's denominator)."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator

import ahocorasick

from ..text.normalize import STOPWORDS, terms

__all__ = ["PhraseMatcher", "anchor_counts", "case_fold_same_length", "phrase_key", "usable_phrase"]

_WS = re.compile(r"\s+")
_WORDCHAR = re.compile(r"\w")


def phrase_key(text: str) -> str:
    """The form a phrase is matched in: case-folded, straight apostrophes, single spaces."""
    return _WS.sub(" ", case_fold_same_length(text)).strip()


def usable_phrase(text: str) -> bool:
    """A phrase worth matching: 1-10 words, at least one that is not a stopword, not a bare URL or number."""
    key = phrase_key(text)
    if not key or len(key) > 120 or "://" in key or key.startswith("www."):
        return False
    words = terms(key)
    if not 1 <= len(words) <= 10:
        return False
    return any(w not in STOPWORDS and not w.isdigit() and len(w) > 1 for w in words)


class PhraseMatcher:
    """Aho-Corasick over phrase keys, reporting whole-word matches only (the automaton itself
    matches inside words)."""

    def __init__(self, keys: Iterable[str]) -> None:
        self.automaton = ahocorasick.Automaton()
        n = 0
        for key in keys:
            self.automaton.add_word(key, (len(key), key))
            n += 1
        self.size = n
        if n:
            self.automaton.make_automaton()

    def find(self, text_key: str) -> Iterator[tuple[int, int, str]]:
        """Whole-word matches ``(start, end, key)`` in ``text_key`` (a text already run through
        :func:`case_fold_same_length`)."""
        if not self.size:
            return
        n = len(text_key)
        for end_idx, (length, key) in self.automaton.iter(text_key):
            start = end_idx - length + 1
            end = end_idx + 1
            if start > 0 and _WORDCHAR.match(text_key[start - 1]):
                continue
            if end < n and _WORDCHAR.match(text_key[end]):
                continue
            yield start, end, key

    def occurrences(self, text_key: str) -> Counter[str]:
        return Counter(key for _, _, key in self.find(text_key))


def case_fold_same_length(text: str) -> str:
    """Lower-case ``text`` keeping every offset (str.casefold may change lengths, e.g. 'ß');
    whitespace runs stay as they are, so multi-space text matches single-space keys only
    where it has single spaces."""
    out = text.lower()
    if len(out) != len(text):
        out = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    return out.replace("’", "'").replace("\n", " ").replace("\t", " ").replace("\xa0", " ")


def anchor_counts(links: Iterable[tuple[str, int]]) -> dict[str, Counter[int]]:
    """phrase key → Counter(target index) from (anchor text, target index) pairs."""
    table: dict[str, Counter[int]] = defaultdict(Counter)
    for anchor, target in links:
        if usable_phrase(anchor):
            table[phrase_key(anchor)][target] += 1
    return dict(table)
