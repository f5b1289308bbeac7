"""Finding the catalog items that covered what a draft reports.

Relevance is BM25 over each item's headline, summary and citing context, and how much of the
headline the query explains (a headline is short: when most of its rare words are in the draft,
it is about the same thing). Two priors then weigh it: time (coverage published at or just
before the draft's date is what a desk cites; coverage dated after the draft cannot have been
seen), and the outlet's trust tier from the outlet policy. Blocked outlets are never returned.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from ..index.linkindex import day_number, draft_day
from ..model import SourceItem
from ..text.normalize import search_terms, url_host
from .outlets import Outlet, OutletTable

__all__ = ["Hit", "SourceIndex", "date_prior", "tier_prior"]

K1, B = 1.2, 0.75
# The headline says what an item is about; summaries and citing sentences add words around it.
TITLE_WEIGHT = 2
# How many days of drift before the draft's date count as "the same news cycle".
RECENCY_DAYS = 2.0
# Items dated after the draft beyond this slack (time zones, late-evening filing) are unlikely sources.
FUTURE_SLACK_DAYS = 1.0
UNDATED_PRIOR = 0.3
# Relevance always counts for part of the score, so a strong match from last month still beats noise from today.
PRIOR_FLOOR = 0.1
POOL = 200


def date_prior(age_days: np.ndarray) -> np.ndarray:
    """Weight by how long before the draft an item was published (negative: after it)."""
    near = 1.0 / (1.0 + np.abs(age_days) / RECENCY_DAYS)
    return np.where(np.isnan(age_days), UNDATED_PRIOR, np.where(age_days < -FUTURE_SLACK_DAYS, 0.05 * near, near))


def tier_prior(tier: float) -> float:
    """1.0 for the most trusted tier down to 0.7 for low trust: trust breaks ties, relevance decides."""
    return 1.0 - 0.15 * (min(max(tier, 1.0), 3.0) - 1.0)


@dataclass
class Hit:
    item: SourceItem
    outlet: Outlet
    score: float
    relevance: float
    coverage: float
    age_days: float | None
    matched: list[str]

    def reasons(self) -> list[str]:
        out = [f"covers the same story: {', '.join(self.matched[:6])}" if self.matched else "related coverage"]
        if self.age_days is not None:
            if abs(self.age_days) < 1:
                out.append("published the same day as the draft")
            elif self.age_days > 0:
                out.append(f"published {self.age_days:.0f} day(s) before the draft")
            else:
                out.append(f"published {-self.age_days:.0f} day(s) after the draft date")
        else:
            out.append("undated item")
        out.append(f"{self.outlet.name}: {self.outlet.kind or 'unrated outlet'}, trust tier "
                   f"{self.outlet.tier:g}" + (f" ({self.outlet.label})" if self.outlet.label else ""))
        return out


class SourceIndex:
    """An in-memory inverted index over the catalog; built once per process, queried per draft."""

    def __init__(self, items: Iterable[SourceItem], outlets: OutletTable) -> None:
        self.items: list[SourceItem] = []
        self.outlets: list[Outlet] = []
        vocab: dict[str, int] = {}
        title_terms: list[list[int]] = []
        days: list[float] = []
        tiers: list[float] = []
        # one row per (item, term): the postings are built from these flat columns with numpy,
        # as a catalog of 100k items has millions of them
        post_doc: list[int] = []
        post_term: list[int] = []
        post_tf: list[int] = []
        # a catalog holds many items of each outlet
        by_host: dict[str, Outlet] = {}
        for item in items:
            host = url_host(item.url)
            outlet = by_host.get(host)
            if outlet is None:
                outlet = by_host[host] = outlets.lookup_domain(host)
            if outlet.blocked:
                continue
            if not outlet.known and item.outlet:
                outlet = replace(outlet, name=item.outlet)
            doc = len(self.items)
            self.items.append(item)
            self.outlets.append(outlet)
            tiers.append(tier_prior(outlet.tier))
            days.append(day_number(item.published) if item.published else math.nan)
            title = [vocab.setdefault(t, len(vocab)) for t in search_terms(item.title)]
            # counted as words first, each distinct one then numbered in the order it first appears
            tf = {vocab.setdefault(t, len(vocab)): n
                  for t, n in Counter(search_terms(f"{item.summary} {item.context}")).items()}
            for t in title:
                tf[t] = tf.get(t, 0) + TITLE_WEIGHT
            post_doc.extend([doc] * len(tf))
            post_term.extend(tf.keys())
            post_tf.extend(tf.values())
            title_terms.append(sorted(set(title)))
        n = len(self.items)
        self.vocab = vocab
        self.days = np.array(days, dtype=np.float64)
        self.tiers = np.array(tiers, dtype=np.float64)
        docs = np.array(post_doc, dtype=np.int32)
        terms = np.array(post_term, dtype=np.int64)
        freqs = np.array(post_tf, dtype=np.float64)
        df = np.bincount(terms, minlength=len(vocab))
        self.idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5))
        lengths = np.bincount(docs, weights=freqs, minlength=n)
        norm = K1 * (1 - B + B * lengths / (lengths.mean() if n else 1.0))
        weights = self.idf[terms] * freqs * (K1 + 1) / (freqs + norm[docs])
        # postings grouped by term, each in catalog order
        order = np.argsort(terms, kind="stable")
        self.post_docs, self.post_weights = docs[order], weights[order]
        self.post_bounds = np.concatenate([[0], np.cumsum(df)])
        self.title_terms = title_terms
        title_docs = np.repeat(np.arange(n), [len(ts) for ts in title_terms])
        title_words = np.array([t for ts in title_terms for t in ts], dtype=np.int64)
        mass = np.bincount(title_docs, weights=self.idf[title_words], minlength=n)
        # an item with no headline words covers nothing of any query (0 / 1, not 0 / 0)
        self.title_mass = np.where(mass > 0, mass, 1.0)

    def term_weights(self, text: str) -> dict[str, float]:
        """The content terms of ``text`` with their IDF in the catalog (rarer weighs more)."""
        top = float(self.idf.max()) if len(self.idf) else 1.0
        return {t: float(self.idf[self.vocab[t]]) if t in self.vocab else top for t in search_terms(text)}

    def __len__(self) -> int:
        return len(self.items)

    def search(self, query: str, published: str | None = None, k: int = 3,
               exclude: Sequence[str] = (), time_weight: float = 1 - PRIOR_FLOOR) -> list[Hit]:
        """The ``k`` best items for ``query`` as of ``published`` (today when absent). ``time_weight``
        is how much closeness in time counts against relevance (0: not at all, 1: entirely)."""
        if not self.items:
            return []
        counts = Counter(self.vocab[t] for t in search_terms(query) if t in self.vocab)
        if not counts:
            return []
        scores = np.zeros(len(self.items), dtype=np.float64)
        for t, qf in counts.items():
            # a term repeated in the draft matters more, but not linearly
            a, b = self.post_bounds[t], self.post_bounds[t + 1]
            np.add.at(scores, self.post_docs[a:b], self.post_weights[a:b] * (1.0 + math.log(qf)))
        pool = np.flatnonzero(scores)
        if len(pool) > POOL:
            pool = pool[np.argpartition(-scores[pool], POOL)[:POOL]]
        qset = set(counts)
        coverage = np.array([sum(self.idf[t] for t in self.title_terms[d] if t in qset) for d in pool]) \
            / self.title_mass[pool]
        relevance = scores[pool] / scores[pool].max()
        age = draft_day(published) - self.days[pool]
        prior = date_prior(age)
        combined = np.sqrt(relevance * coverage) * ((1 - time_weight) + time_weight * prior) * self.tiers[pool]
        skip = set(exclude)
        hits: list[Hit] = []
        for j in np.argsort(-combined, kind="stable"):
            d = int(pool[j])
            item = self.items[d]
            if item.url in skip:
                continue
            matched = [t for t in search_terms(item.title) if t in self.vocab and self.vocab[t] in qset]
            hits.append(Hit(item, self.outlets[d], float(combined[j]), float(relevance[j]), float(coverage[j]),
                            None if np.isnan(age[j]) else float(age[j]), list(dict.fromkeys(matched))))
            if len(hits) >= k:
                break
        return hits
