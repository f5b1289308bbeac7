"""Related coverage: the archive articles a "related stories" box beside a draft should list.

Not links in the text (those are the suggester's), so no phrase has to name them: an article is
related when its text is on the draft's subject (TF-IDF similarity of the whole texts) and when the
articles most like the draft link to it (what the desk pointed readers to from similar stories:
an explainer, a running topic page). The second is what plain text similarity misses: scored as
the articles the editors linked, lists of three by text similarity alone were right 17% of the time
on digitalgov (finding 14% of the linked articles), 28% (22%) with it; on rust 23% (45%) and 24%
(46%). bench/quality.py records the figures of what is built here.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse

from ..index.linkindex import LinkIndex
from .candidates import Context
from .features import NEIGHBORS, neighbor_votes

__all__ = ["Related", "related_articles"]

# how much the share of similar articles linking to one counts beside its own similarity
VOTE_WEIGHT = 0.5


@dataclass
class Related:
    url: str
    title: str
    published: str | None
    score: float
    reasons: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"url": self.url, "title": self.title, "published": self.published, "score": self.score,
                "reasons": self.reasons}


def related_articles(query: sparse.csr_matrix, index: LinkIndex, ctx: Context, count: int, min_score: float,
                     skip: Collection[int] = (), half_life_days: float = 0.0) -> list[Related]:
    """The ``count`` archive articles most related to the text whose vector is ``query`` (one row),
    best first, scoring at least ``min_score``; none that ``ctx`` does not allow (the draft itself,
    withdrawn and declined articles) nor any of ``skip`` (what the draft links or is suggested to).
    With ``half_life_days``, an article's score halves for every so many days between its date and
    the text's (``ctx.day``); undated pages (topic and about pages) are not aged. ``min_score`` is a
    floor on how related an article is, before it is aged: an old article on the subject may be
    listed when nothing newer is, but never an unrelated new one."""
    if count <= 0 or index.size == 0:
        return []
    sims = ctx.only_allowed(index.vectors.similarity_to_all(query))
    shares, voters = neighbor_votes(index, sims)
    scores = sims.copy()
    for target, share in shares.items():
        scores[target] += VOTE_WEIGHT * share
    scores = ctx.only_allowed(scores)
    scores[list(skip)] = 0.0
    scores[scores < min_score] = 0.0
    days_apart = np.abs(ctx.day - index.pub_day) if half_life_days > 0 else None
    if days_apart is not None:
        scores *= np.where(np.isnan(days_apart), 1.0, 0.5 ** (np.nan_to_num(days_apart) / half_life_days))
    out: list[Related] = []
    for a in np.argsort(-scores, kind="stable")[:count]:
        if scores[a] <= 0:
            break
        reasons = [f"on the same subject (text similarity {sims[a]:.2f})"]
        if voters.get(int(a)):
            reasons.append(f"{voters[int(a)]} of the {NEIGHBORS} archive articles most like this text link to it")
        if days_apart is not None and not np.isnan(days_apart[a]):
            reasons.append(f"published {days_apart[a]:.0f} days apart (scores halve every {half_life_days:g} days)")
        published = index.published(int(a))
        out.append(Related(index.urls[a], index.titles[a], None if published == "undated" else published,
                           round(float(scores[a]), 4), reasons))
    return out
