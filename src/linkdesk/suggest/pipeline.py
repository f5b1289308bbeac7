"""The suggestion pipeline, top to bottom: parse → spot → candidates → features → rank → policy."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..index.linkindex import LinkIndex, day_number
from ..model import Document, Finding, Placeholder, Suggestion
from ..text.normalize import url_key
from .candidates import generate
from .features import featurize, reasons_for
from .policy import Policy, Scored, select
from .ranker import Ranker
from .spot import analyze

__all__ = ["Draft", "DraftResult", "suggest_internal"]

log = logging.getLogger(__name__)


@dataclass
class Draft:
    """A draft to work on: its parsed document and what is known about it."""

    doc: Document
    id: str | None = None
    url: str | None = None
    title: str | None = None
    published: str | None = None
    section: str | None = None


@dataclass
class DraftResult:
    id: str | None
    suggestions: list[Suggestion] = field(default_factory=list)
    placeholders: list[Placeholder] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "suggestions": [s.to_json() for s in self.suggestions],
            "placeholders": [p.to_json() for p in self.placeholders],
            "findings": [f.to_json() for f in self.findings],
        }


def suggest_internal(draft: Draft, index: LinkIndex, ranker: Ranker, policy: Policy, threshold: float | None,
                     blocked: list[tuple[int, int]] | None = None) -> list[Suggestion]:
    """Internal link suggestions for one draft, in document order, offsets into the source."""
    doc = draft.doc
    an = analyze(doc.text)
    exclude: set[int] = set()
    if draft.url:
        own = index.lookup_url(draft.url)
        if own is not None:
            exclude.add(own)
    view = ranker.view(index)
    cands = generate(an, index, view, None, exclude)
    if not cands:
        return []
    day = day_number(draft.published) if draft.published else float(date.today().toordinal() - 719163)
    X = featurize(an, cands, index, view, day, draft.section)
    scores = ranker.score(X)
    existing = {url_key(link.href) for link in doc.links}
    items = [Scored(c.start, c.end, url_key(index.urls[c.target]), doc.text[c.start:c.end], float(s))
             for c, s in zip(cands, scores)]
    picked = select(doc, items, policy, ranker.threshold if threshold is None else threshold, existing, blocked)
    out = []
    for i in picked:
        c = cands[i]
        start, end = doc.source_span(c.start, c.end)
        out.append(Suggestion(
            kind="internal", anchor=doc.text[c.start:c.end], start=start, end=end,
            target_url=index.urls[c.target], target_title=index.titles[c.target],
            score=round(float(scores[i]), 4), reasons=reasons_for(X[i], c, index),
        ))
    return out


