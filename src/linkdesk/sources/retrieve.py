"""Finding the catalog items that covered what a draft reports.

Relevance is BM25 over each item's headline, summary and citing context, and how much of the
headline the query explains (a headline is short: when most of its rare words are in the draft,
it is about the same thing). Two priors then weigh it: time (coverage published at or just
before the draft's date is what a desk cites; coverage dated after the draft cannot have been
seen), and the outlet's trust tier from the outlet policy. Blocked outlets are never returned.
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Any

import numpy as np

from ..errors import StoreError
from ..index.linkindex import day_number, draft_day
from ..model import SourceItem
from ..store.arrays import UnreadableBlob, pack_arrays, unpack_arrays
from ..store.base import Store
from ..text.normalize import NORMALIZATION_VERSION, search_terms, url_host
from .outlets import Outlet, OutletTable

__all__ = ["SEARCH_BLOB", "Hit", "SourceIndex", "date_prior", "load_source_index", "source_search_status",
           "tier_prior"]

log = logging.getLogger(__name__)

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
    """An in-memory inverted index over the catalog: built from it (:meth:`build`) or read back from
    what was saved with it (:func:`load_source_index`), then queried per draft."""

    def __init__(self, items: list[SourceItem], hosts: list[str], host_outlets: list[Outlet],
                 arrays: dict[str, np.ndarray], vocab: dict[str, int]) -> None:
        self.items = items
        self.vocab = vocab
        self.days, self.tiers, self.idf = arrays["days"], arrays["tiers"], arrays["idf"]
        # the postings grouped by term, each in catalog order: term t's are [post_bounds[t], post_bounds[t + 1])
        self.post_docs, self.post_weights = arrays["post_docs"], arrays["post_weights"]
        self.post_bounds = arrays["post_bounds"]
        # each item's distinct headline terms, sorted: item d's are [title_bounds[d], title_bounds[d + 1])
        self.title_words, self.title_bounds = arrays["title_words"], arrays["title_bounds"]
        # and as lists, which a search reads a few hundred of at a time (slicing the array each time made
        # a draft's search a tenth slower; the lists take a few hundredths of a second to make)
        words, bounds = self.title_words.tolist(), self.title_bounds.tolist()
        self.title_terms: list[list[int]] = [words[a:b] for a, b in pairwise(bounds)]
        self.title_mass = arrays["title_mass"]
        #: where each item sits in the catalog as the store lists it (blocked outlets' items are left out)
        self.positions = arrays["positions"]
        #: the items' hosts, each with its outlet as the policy says (``host_of``: each item's, by number)
        self.hosts, self.host_of = hosts, arrays["host_of"]
        self._host_outlets = host_outlets
        self._outlets: dict[int, Outlet] = {}

    @classmethod
    def build(cls, items: Iterable[SourceItem], outlets: OutletTable) -> SourceIndex:
        kept: list[SourceItem] = []
        positions: list[int] = []
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
        host_number: dict[str, int] = {}
        hosts: list[str] = []
        host_outlets: list[Outlet] = []
        host_of: list[int] = []
        for position, item in enumerate(items):
            host = url_host(item.url)
            h = host_number.get(host)
            if h is None:
                h = host_number[host] = len(hosts)
                hosts.append(host)
                host_outlets.append(outlets.lookup_domain(host))
            if host_outlets[h].blocked:
                continue
            doc = len(kept)
            kept.append(item)
            positions.append(position)
            host_of.append(h)
            tiers.append(tier_prior(host_outlets[h].tier))
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
        n = len(kept)
        docs = np.array(post_doc, dtype=np.int32)
        terms = np.array(post_term, dtype=np.int64)
        freqs = np.array(post_tf, dtype=np.float64)
        df = np.bincount(terms, minlength=len(vocab))
        idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5))
        lengths = np.bincount(docs, weights=freqs, minlength=n)
        norm = K1 * (1 - B + B * lengths / (lengths.mean() if n else 1.0))
        weights = idf[terms] * freqs * (K1 + 1) / (freqs + norm[docs])
        order = np.argsort(terms, kind="stable")
        title_lengths = np.array([len(ts) for ts in title_terms], dtype=np.int64)
        title_words = np.array([t for ts in title_terms for t in ts], dtype=np.int64)
        mass = np.bincount(np.repeat(np.arange(n), title_lengths), weights=idf[title_words], minlength=n)
        arrays = {
            "days": np.array(days, dtype=np.float64), "tiers": np.array(tiers, dtype=np.float64), "idf": idf,
            "post_docs": docs[order], "post_weights": weights[order],
            "post_bounds": np.concatenate([[0], np.cumsum(df)]).astype(np.int64),
            "title_words": title_words, "title_bounds": np.concatenate([[0], np.cumsum(title_lengths)]),
            # an item with no headline words covers nothing of any query (0 / 1, not 0 / 0)
            "title_mass": np.where(mass > 0, mass, 1.0),
            "positions": np.array(positions, dtype=np.int64), "host_of": np.array(host_of, dtype=np.int32),
        }
        return cls(kept, hosts, host_outlets, arrays, vocab)

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """What :meth:`from_state` needs besides the catalog's items and the outlet policy: a JSON part
        (terms, hosts) and arrays."""
        arrays = {name: getattr(self, name) for name in _ARRAYS}
        return {"terms": list(self.vocab), "hosts": self.hosts}, arrays

    @classmethod
    def from_state(cls, doc: dict[str, Any], arrays: dict[str, np.ndarray], catalog: Sequence[SourceItem],
                   outlets: OutletTable) -> SourceIndex:
        """The index :meth:`state` described, over ``catalog``: the items it was built from, as the store
        lists them."""
        items = [catalog[p] for p in arrays["positions"].tolist()]
        vocab = {t: k for k, t in enumerate(doc["terms"])}
        return cls(items, doc["hosts"], [outlets.lookup_domain(h) for h in doc["hosts"]], arrays, vocab)

    def outlet(self, d: int) -> Outlet:
        """Item ``d``'s outlet: its host's, named as the catalog names it when the policy does not know it."""
        found = self._outlets.get(d)
        if found is None:
            found = self._host_outlets[self.host_of[d]]
            name = self.items[d].outlet
            if not found.known and name:
                found = replace(found, name=name)
            self._outlets[d] = found
        return found

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
            hits.append(Hit(item, self.outlet(d), float(combined[j]), float(relevance[j]), float(coverage[j]),
                            None if np.isnan(age[j]) else float(age[j]), list(dict.fromkeys(matched))))
            if len(hits) >= k:
                break
        return hits


# The arrays :meth:`SourceIndex.state` saves.
_ARRAYS = ("days", "tiers", "idf", "post_docs", "post_weights", "post_bounds", "title_words", "title_bounds",
           "title_mass", "positions", "host_of")
SEARCH_BLOB = "source_search.v1"
# What a saved search was built with besides the catalog and the outlet policy: terms as normalized
# and weighed by this linkdesk.
SEARCH_LAYOUT = f"normalization:{NORMALIZATION_VERSION};k1:{K1};b:{B};title:{TITLE_WEIGHT}"


def load_source_index(store: Store, outlets: OutletTable) -> SourceIndex:
    """The catalog's search: read back as saved with the catalog when it was built from the catalog as
    it is and with the same outlet policy (a second on 100,000 items, where building it takes 10-20);
    else built, and saved for the processes that load it next."""
    catalog_stamp = store.changed("sources")
    catalog = list(store.iter_sources())
    about = _built_from(catalog_stamp, outlets, len(catalog))
    # a catalog filled before linkdesk stamped its changes cannot tell whether a saved search is its own
    if catalog_stamp is not None and store.blob_about(SEARCH_BLOB) == about:
        saved = _read_saved(store, catalog, outlets)
        if saved is not None:
            return saved
    t = time.perf_counter()
    index = SourceIndex.build(catalog, outlets)
    log.info("source catalog's search built: %d items in %.1f s", len(index), time.perf_counter() - t)
    if catalog_stamp is not None:
        doc, arrays = index.state()
        # not compressed: that would make it a third of the size (66 MB at 100,000 items), but take 3.5 s to
        # save and more than double the time to read, which is what saving it is for
        blob = pack_arrays(doc, arrays, compress=False)
        try:
            store.save_blob(SEARCH_BLOB, blob, about)
        except StoreError as exc:
            # only the next process's start is slower
            log.warning("the source catalog's search could not be saved with it: %s", exc)
    return index


def source_search_status(store: Store, outlets: OutletTable) -> dict[str, Any]:
    """When the catalog's search was last saved (None: never), and whether it is current: what the next
    process that suggests will read back rather than build."""
    catalog_stamp = store.changed("sources")
    about = store.blob_about(SEARCH_BLOB)
    return {"saved": store.blob_created(SEARCH_BLOB) if about is not None else None,
            "current": catalog_stamp is not None
            and about == _built_from(catalog_stamp, outlets, store.count_sources())}


def _built_from(catalog_stamp: str | None, outlets: OutletTable, items: int) -> dict[str, Any]:
    """What a saved search says it was built from: the catalog as of its change stamp, with so many
    items, under this outlet policy, by this linkdesk's terms and weights."""
    return {"layout": SEARCH_LAYOUT, "catalog": catalog_stamp, "outlets": outlets.fingerprint(), "items": items}


def _read_saved(store: Store, catalog: Sequence[SourceItem], outlets: OutletTable) -> SourceIndex | None:
    blob = store.load_blob(SEARCH_BLOB)
    if blob is None:
        return None
    try:
        doc, arrays = unpack_arrays(blob, lambda name: name in _ARRAYS)
        return SourceIndex.from_state(doc, arrays, catalog, outlets)
    except (UnreadableBlob, KeyError, IndexError) as exc:
        # KeyError, IndexError: a blob of another shape, or items it does not match
        log.warning("the saved source catalog search cannot be read (%s): built again", exc)
        return None
