"""Editorial policy: which scored candidates become suggestions.

All rules come from the ``[policy]`` config table and can be overridden per call.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import urlsplit

from ..errors import ConfigError
from ..model import Document, Zone

__all__ = ["Policy", "Spans", "apart", "first_linkable", "mention_key", "select", "side_by_side"]

# Links with no more than this many spaces between them read as one link.
_SIDE_BY_SIDE_SPACES = 3
_SPACE = " \t\u00a0"


def side_by_side(text: str, end: int, start: int) -> bool:
    """Whether a link ending at ``end`` and one starting at ``start`` read as one: nothing but a few
    spaces between them (lint's ``adjacent-links``). Punctuation or a line break keeps them apart,
    as in "Cargo [1.81](...), [1.82](...)"."""
    return 0 <= start - end <= _SIDE_BY_SIDE_SPACES and all(ch in _SPACE for ch in text[end:start])


def apart(text: str, start: int, end: int) -> tuple[int, int]:
    """The span widened over the spaces beside it, so that a span overlapping the result either
    overlaps ``(start, end)`` or would sit side by side with it."""
    right = end
    while right < len(text) and right - end < _SIDE_BY_SIDE_SPACES and text[right] in _SPACE:
        right += 1
    left = start
    while left > 0 and start - left < _SIDE_BY_SIDE_SPACES and text[left - 1] in _SPACE:
        left -= 1
    return max(0, left - 1), right + 1


@dataclass
class Policy:
    first_mention_only: bool = True
    one_link_per_target: bool = True
    max_links_per_100_words: float = 3.0
    max_links: int = 0
    forbidden_zones: tuple[str, ...] = ("heading", "quote", "code", "byline", "link", "placeholder")
    min_gap_chars: int = 2
    respect_existing_links: bool = True
    never_suggest: tuple[str, ...] = ()
    never_sections: tuple[str, ...] = ()

    def cap(self, doc: Document, uncounted: Sequence[tuple[int, int]] = ()) -> float:
        """How many links the draft may carry in all: per 100 words (not counting the ``uncounted``
        spans, editorial notes that will go), and the absolute cap."""
        cap = math.inf
        if self.max_links_per_100_words > 0:
            words = len(doc.text.split()) - sum(len(doc.text[s:e].split()) for s, e in uncounted)
            cap = max(1, math.floor(self.max_links_per_100_words * words / 100 + 0.5))
        if self.max_links > 0:
            cap = min(cap, self.max_links)
        return cap

    def off_limits(self, zones: Sequence[Zone]) -> list[Zone]:
        """The ``zones`` (of a draft, of an archive article) where this policy allows no link
        (``forbidden_zones``)."""
        return [z for z in zones if z.kind in self.forbidden_zones]

    def room(self, doc: Document, reserved: int = 0, uncounted: Sequence[tuple[int, int]] = ()) -> float:
        """How many more links may be suggested when ``reserved`` are spoken for already."""
        return max(0.0, self.cap(doc, uncounted) - reserved)

    @classmethod
    def from_config(cls, cfg: dict[str, Any], **overrides: Any) -> Policy:
        values = dict(cfg.get("policy", {}))
        values.update({k: v for k, v in overrides.items() if v is not None})
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ConfigError(f"policy: unknown setting(s) {', '.join(sorted(unknown))}")
        for name in ("forbidden_zones", "never_suggest", "never_sections"):
            if name in values:
                items = values[name]
                if not all(isinstance(item, str) and item.strip() for item in items):
                    raise ConfigError(f"policy.{name}: expected a list of non-empty strings, got {items!r}")
                values[name] = tuple(items)
        return cls(**values)

    def never_offered(self, urls: Sequence[str], sections: Sequence[str | None]) -> frozenset[int]:
        """The positions of the articles (by ``urls`` and ``sections``) this policy never suggests:
        those matching ``never_suggest`` or in ``never_sections``."""
        if not self.never_suggest and not self.never_sections:
            return frozenset()
        on_path = [p for p in self.never_suggest if "://" not in p]
        whole = [p for p in self.never_suggest if "://" in p]
        unwanted = {s.casefold() for s in self.never_sections}
        return frozenset(
            a for a, (url, section) in enumerate(zip(urls, sections, strict=True))
            if (section is not None and section.casefold() in unwanted)
            or any(fnmatchcase(urlsplit(url).path or "/", p) for p in on_path)
            or any(fnmatchcase(url, p) for p in whole))


class Spans:
    """Spans of a text that do not overlap (overlapping ones are merged), in order, so that checking a
    span against all of them is a binary search: a very long draft has thousands of zones and tens of
    thousands of candidates."""

    def __init__(self, spans: Sequence[tuple[int, int]] = ()) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        for start, end in sorted(spans):
            if self.ends and start <= self.ends[-1]:
                self.ends[-1] = max(self.ends[-1], end)
            else:
                self.starts.append(start)
                self.ends.append(end)

    def clear(self, start: int, end: int, gap: int = 0) -> bool:
        """Whether ``[start, end)`` keeps at least ``gap`` characters from every span."""
        # the first span ending too close to, or past, the start is the only one that can reach it
        k = bisect_right(self.ends, start - gap)
        return k == len(self.starts) or end + gap <= self.starts[k]

    def beside(self, text: str, start: int, end: int) -> bool:
        """Whether ``[start, end)``, clear of every span, would read as one link with a span next to it
        (:func:`side_by_side`): only the nearest span on either side can."""
        k = bisect_left(self.starts, start)
        return ((k > 0 and side_by_side(text, self.ends[k - 1], start))
                or (k < len(self.starts) and side_by_side(text, end, self.starts[k])))

    def add(self, start: int, end: int) -> None:
        """Add a span clear of all the others."""
        k = bisect_left(self.starts, start)
        self.starts.insert(k, start)
        self.ends.insert(k, end)


def first_linkable(doc: Document, places: Iterable[tuple[int, int] | None], blocked: Spans | None = None
                   ) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """The first of ``places`` (plain-text spans, in order of preference; None for one not found) clear
    of ``blocked`` that a link can wrap (:meth:`Document.link_span`): that span and the source span the
    link wraps."""
    for place in places:
        if place is None or (blocked is not None and not blocked.clear(*place)):
            continue
        wrapped = doc.link_span(*place)
        if wrapped is not None:
            return place, wrapped
    return None


@dataclass
class Scored:
    """What the policy needs of a candidate: plain-text span, target key, score."""

    start: int
    end: int
    target: str
    anchor: str
    score: float


def select(doc: Document, items: list[Scored], policy: Policy, threshold: float,
           existing_targets: set[str] | None = None, extra_blocked: list[tuple[int, int]] | None = None,
           reserved: int = 0, uncounted: Sequence[tuple[int, int]] = ()) -> list[tuple[int, int]]:
    """The suggestions, in document order, as pairs of indices into ``items``: where the link goes,
    and the mention whose score chose it. They differ with ``first_mention_only``: a phrase chosen
    for a target by its best-scoring mention is linked where it first appears in the draft, even
    if that mention scored lower on its own (a phrase is as :func:`mention_key`). ``reserved`` links
    are already spoken for (the draft's own internal links, resolved notes) and count against the caps."""
    blocked = Spans([(z.start, z.end) for z in policy.off_limits(doc.zones)] + (extra_blocked or []))
    existing = (existing_targets or set()) if policy.respect_existing_links else set()
    linkable = [i for i, it in enumerate(items)
                if it.end > it.start and blocked.clear(it.start, it.end) and it.target not in existing
                and doc.link_span(it.start, it.end) is not None]
    eligible = [i for i in linkable if items[i].score >= threshold]
    place = {i: i for i in eligible}
    if policy.first_mention_only:
        # a phrase is linked once, where the reader first meets it: the best-scoring mention decides
        # whether, the first open one is where
        first: dict[tuple[str, str], int] = {}
        for i in sorted(linkable, key=lambda i: items[i].start):
            first.setdefault(mention_key(items[i]), i)
        best: dict[tuple[str, str], int] = {}
        for i in eligible:
            key = mention_key(items[i])
            if key not in best or items[i].score > items[best[key]].score:
                best[key] = i
        eligible = list(best.values())
        place = {i: first[mention_key(items[i])] for i in eligible}
    cap = policy.room(doc, reserved, uncounted)
    chosen: list[tuple[int, int]] = []
    taken = Spans([(z.start, z.end) for z in doc.zones if z.kind == "link"])
    targets: set[str] = set()
    for i in sorted(eligible, key=lambda i: (-items[i].score, items[place[i]].start)):
        if len(chosen) >= cap:
            break
        it = items[place[i]]
        if policy.one_link_per_target and it.target in targets:
            continue
        if not taken.clear(it.start, it.end, policy.min_gap_chars) or taken.beside(doc.text, it.start, it.end):
            continue
        chosen.append((place[i], i))
        taken.add(it.start, it.end)
        targets.add(it.target)
    return sorted(chosen, key=lambda pick: items[pick[0]].start)


def mention_key(item: Scored) -> tuple[str, str]:
    """What "first mention only" counts as one phrase: the same target by the same words."""
    return item.target, item.anchor.casefold()
