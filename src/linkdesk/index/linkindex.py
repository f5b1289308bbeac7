"""The :class:`LinkIndex`: what the suggester knows about the archive, built in one pass."""

from __future__ import annotations

import logging
import math
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from importlib import metadata
from typing import Any, Protocol
from urllib.parse import urljoin

import numpy as np
from scipy import sparse

from ..errors import IndexMissingError
from ..store.arrays import UnreadableBlob, pack_arrays, unpack_arrays
from ..store.base import ChangedArticle, Store, newest_first, stamp
from ..text.normalize import address_slug, match_terms, match_tokens, url_key, written_words
from .phrases import PhraseMatcher, case_fold_same_length, phrase_key, usable_phrase
from .vectors import TextVectors, titled

__all__ = ["INDEX_BLOB", "GoldLink", "IndexSummary", "LinkIndex", "StoredRanker", "build_index", "date_of",
           "day_number", "day_of", "draft_day", "index_saved", "index_summary", "load_index", "load_ranker",
           "save_index"]

log = logging.getLogger(__name__)
INDEX_BLOB = "link_index.v1"


_EPOCH = date(1970, 1, 1).toordinal()


def day_of(d: date) -> float:
    """Days since 1970-01-01: how the index counts time."""
    return float(d.toordinal() - _EPOCH)


def date_of(day: float) -> date:
    """The calendar date of a day number (see :func:`day_of`)."""
    return date.fromordinal(int(day) + _EPOCH)


def day_number(published: str | None) -> float:
    """The day number of an ISO date/datetime; NaN when unknown."""
    if not published:
        return math.nan
    try:
        return day_of(date.fromisoformat(published[:10]))
    except ValueError:
        return math.nan


def draft_day(published: str | None) -> float:
    """The day a draft is written as of: its ``published`` date, today when it has none."""
    return day_number(published) if published else day_of(date.today())


def _slug_variant(url: str, title_terms: tuple[str, ...]) -> tuple[str, ...] | None:
    """The URL slug as a second way to name the article, when it says something the title does not."""
    key = url_key(url)
    if "?" in key:
        # its parameters pick the page: the path names the script that shows every article ("story.php")
        return None
    path = key.split("/", 1)[-1]
    last = path.rstrip("/").rsplit("/", 1)[-1]
    slug = match_terms(last.replace("-", " ").replace("_", " "))
    if not any(any(ch.isdigit() for ch in t) for t in slug):
        # slugs often drop the year or release number ("rust-survey-results"): without it, every
        # edition of a series would be named in full by the same words
        slug += [t for t in title_terms if any(ch.isdigit() for ch in t)]
    variant = tuple(dict.fromkeys(slug))
    return variant if variant and not set(variant) <= set(title_terms) else None


@dataclass
class GoldLink:
    """An internal link already in the archive, in plain-text offsets of its source article."""

    start: int
    end: int
    target: int
    anchor: str


@dataclass
class LinkIndex:
    ids: list[int]
    urls: list[str]
    titles: list[str]
    sections: list[str | None]
    pub_day: np.ndarray
    inbound: np.ndarray
    variants: list[list[tuple[str, ...]]]
    variant_weight: list[list[float]]
    title_postings: dict[str, list[int]]
    title_idf: dict[str, float]
    anchors: dict[str, Counter[int]]
    phrase_docs: dict[str, int]
    vectors: TextVectors
    url_index: dict[str, int]
    site_hosts: list[str]
    n_links: int
    # per article: the archive articles it links to
    outlinks: dict[int, tuple[int, ...]] = field(default_factory=dict)
    #: when the archive was read for this index (UTC, to the microsecond): what was written after is not in it
    read_at: str | None = None
    matcher: PhraseMatcher = field(init=False, repr=False)
    unseen_idf: float = field(init=False, repr=False)
    # dated articles in publication order, and their days: what time references look up
    by_day: np.ndarray = field(init=False, repr=False)
    days_sorted: np.ndarray = field(init=False, repr=False)
    # every title variant as a row of its terms' share of its weight: see TitleMatrix
    title_matrix: TitleMatrix = field(init=False, repr=False)
    # Only while building and training: per-article phrase occurrences, texts and gold links.
    article_phrases: list[set[str]] | None = None
    texts: list[str] | None = None
    gold: dict[int, list[GoldLink]] | None = None

    def __post_init__(self) -> None:
        self._derive()

    def _derive(self) -> None:
        """Structures rebuilt from the stored fields on load rather than stored."""
        self.matcher = PhraseMatcher(self.anchors.keys())
        self.unseen_idf = math.log(self.size + 1) + 1.0
        dated = np.flatnonzero(~np.isnan(self.pub_day))
        self.by_day = dated[np.argsort(self.pub_day[dated], kind="stable")]
        self.days_sorted = self.pub_day[self.by_day]
        self.title_matrix = TitleMatrix(self)
        self._title_words: dict[int, int] = {}
        self._title_terms: dict[int, tuple[str, ...]] = {}

    @property
    def size(self) -> int:
        return len(self.ids)

    @cached_property
    def slugs(self) -> dict[str, int]:
        """An address's last path segment → the one article whose address ends in it (-1: several do).
        Made when first asked for, by the lint of a link the archive does not hold, rather than at
        each load (0.4 s of a suggester's load at 100,000 articles)."""
        slugs: dict[str, int] = {}
        for a, url in enumerate(self.urls):
            slug = address_slug(url)
            if slug:
                slugs[slug] = a if slug not in slugs else -1
        return slugs

    def idf(self, term: str) -> float:
        # called millions of times while training: the unseen-term value is computed once
        return self.title_idf.get(term, self.unseen_idf)

    def title_words(self, a: int) -> int:
        """How many words article ``a``'s title has as written (:func:`written_words`)."""
        count = self._title_words.get(a)
        if count is None:
            count = self._title_words[a] = written_words(self.titles[a])
        return count

    def title_terms(self, a: int) -> tuple[str, ...]:
        """Article ``a``'s title as the terms of every word of it, function words included, in order
        (:func:`match_tokens`): what a text that writes the title out word for word holds."""
        found = self._title_terms.get(a)
        if found is None:
            found = self._title_terms[a] = tuple(t for _, _, t in match_tokens(self.titles[a]))
        return found

    def variant_total(self, a: int, v: int) -> float:
        return self.variant_weight[a][v]

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """What is kept of the index (not its training data, nor what :meth:`_derive` rebuilds): plain
        data for JSON, and arrays. :meth:`from_state` makes the same index of them."""
        doc = {"urls": self.urls, "titles": self.titles, "sections": self.sections, "variants": self.variants,
               "variant_weight": self.variant_weight, "title_postings": self.title_postings,
               "title_idf": self.title_idf,
               "anchors": {key: list(counts.items()) for key, counts in self.anchors.items()},
               "phrase_docs": self.phrase_docs, "url_index": self.url_index, "site_hosts": self.site_hosts,
               "n_links": self.n_links, "outlinks": list(self.outlinks.items()), "read_at": self.read_at}
        arrays = {"ids": np.array(self.ids, dtype=np.int64), "pub_day": self.pub_day, "inbound": self.inbound,
                  **{f"vectors.{name}": a for name, a in self.vectors.state().items()}}
        return doc, arrays

    @classmethod
    def from_state(cls, doc: dict[str, Any], arrays: dict[str, np.ndarray]) -> LinkIndex:
        return cls(
            ids=arrays["ids"].tolist(), urls=doc["urls"], titles=doc["titles"], sections=doc["sections"],
            pub_day=arrays["pub_day"], inbound=arrays["inbound"],
            variants=[[tuple(v) for v in own] for own in doc["variants"]], variant_weight=doc["variant_weight"],
            title_postings=doc["title_postings"], title_idf=doc["title_idf"],
            anchors={key: Counter(dict(pairs)) for key, pairs in doc["anchors"].items()},
            phrase_docs=doc["phrase_docs"],
            vectors=TextVectors.from_state({name.removeprefix("vectors."): a for name, a in arrays.items()
                                            if name.startswith("vectors.")}),
            url_index=doc["url_index"], site_hosts=doc["site_hosts"], n_links=doc["n_links"],
            outlinks={source: tuple(targets) for source, targets in doc["outlinks"]},
            read_at=doc.get("read_at"),
        )

    def published(self, a: int) -> str:
        """The article's publication date as ISO text ("undated" when unknown)."""
        day = self.pub_day[a]
        return "undated" if math.isnan(day) else date_of(day).isoformat()

    def lookup_url(self, url: str) -> int | None:
        return self.url_index.get(url_key(url))

    def moved_to(self, url: str) -> str | None:
        """The archive's address for ``url``, which the archive does not hold, when exactly one of its
        articles ends in the same slug: where a site migration or a re-dated story most likely put it."""
        slug = address_slug(url)
        a = self.slugs.get(slug, -1) if slug else -1
        return self.urls[a] if a >= 0 and self.lookup_url(url) is None else None


class TitleMatrix:
    """The archive's title variants (titles and URL slugs) as sparse rows over title terms, so that
    how much of every title each sentence of a text covers is one sparse product per text. On a large
    archive a sentence shares a rare word with hundreds of titles, and checking each in turn was most
    of the time a draft took.

    Each entry of ``weights`` is ``COUNT_UNIT`` plus the term's share of its variant's weight (IDF):
    a product with a sentence's term presence holds, in one number, how many of the variant's terms
    the sentence has (the whole multiples of ``COUNT_UNIT``) and how much of its weight they carry
    (the rest, at most 1)."""

    COUNT_UNIT = 4.0

    def __init__(self, index: LinkIndex) -> None:
        self.column = {t: k for k, t in enumerate(index.title_idf)}
        rows: list[int] = []
        cols: list[int] = []
        values: list[float] = []
        article: list[int] = []
        length: list[int] = []
        first_row = [0]
        for a, own in enumerate(index.variants):
            for v, variant in enumerate(own):
                total = index.variant_weight[a][v]
                for t in variant:
                    rows.append(len(article))
                    cols.append(self.column[t])
                    values.append(self.COUNT_UNIT + (index.idf(t) / total if total > 0 else 0.0))
                article.append(a)
                length.append(len(variant))
            first_row.append(len(article))
        shape = (len(article), len(self.column))
        self.weights = sparse.csr_matrix((values, (rows, cols)), shape=shape, dtype=np.float64)
        # by term: which variants hold it (the postings of title matching, by row)
        self.holders = self.weights.tocsc()
        self.article = np.array(article, dtype=np.int64)
        self.length = np.array(length, dtype=np.int64)
        self.first_row = np.array(first_row, dtype=np.int64)
        self.postings = np.array([len(index.title_postings[t]) for t in self.column], dtype=np.int64)


def build_index(store: Store, keep_training_data: bool = True) -> LinkIndex:
    """Read the whole archive once and build every structure the suggester needs."""
    # taken before reading: an article written while the index is built counts as not in it
    read_at = stamp()
    ids: list[int] = []
    urls: list[str] = []
    titles: list[str] = []
    sections: list[str | None] = []
    days: list[float] = []
    texts: list[str] = []
    variants: list[list[tuple[str, ...]]] = []
    url_index: dict[str, int] = {}
    for art in store.iter_articles():
        idx = len(ids)
        ids.append(art.id)
        urls.append(art.url)
        titles.append(art.title)
        sections.append(art.section)
        days.append(day_number(art.published))
        texts.append(art.text)
        title_terms = tuple(dict.fromkeys(match_terms(art.title)))
        own = [title_terms] if title_terms else []
        slug = _slug_variant(art.url, title_terms)
        if slug:
            own.append(slug)
        variants.append(own)
        url_index[url_key(art.url)] = idx
        for alias in art.aliases:
            url_index.setdefault(url_key(urljoin(art.url, alias)), idx)
    n = len(ids)
    id_to_idx = {i: k for k, i in enumerate(ids)}
    log.info("indexing %d articles", n)

    # How discriminating each term is among titles (and slugs), which is what title matching compares.
    df: Counter[str] = Counter()
    for own in variants:
        df.update({t for v in own for t in v})
    title_idf = {t: math.log((n + 1) / (c + 0.5)) + 1.0 for t, c in df.items()}
    postings: dict[str, list[int]] = defaultdict(list)
    for idx, own in enumerate(variants):
        for t in {t for v in own for t in v}:
            postings[t].append(idx)
    max_idf = math.log(n + 1) + 1.0
    variant_weight = [[sum(title_idf.get(t, max_idf) for t in v) for v in own] for own in variants]

    # Internal links resolved to archive articles are both the training signal and the anchor dictionary.
    gold: dict[int, list[GoldLink]] = defaultdict(list)
    inbound_sources: dict[int, set[int]] = defaultdict(set)
    anchor_table: dict[str, Counter[int]] = defaultdict(Counter)
    n_links = 0
    for link in store.iter_links(internal_only=True):
        if link.target_id is None or link.target_id == link.source_id:
            continue
        src, tgt = id_to_idx.get(link.source_id), id_to_idx.get(link.target_id)
        if src is None or tgt is None:
            continue
        n_links += 1
        gold[src].append(GoldLink(link.text_start, link.text_end, tgt, link.anchor))
        inbound_sources[tgt].add(src)
        if usable_phrase(link.anchor):
            anchor_table[phrase_key(link.anchor)][tgt] += 1
    inbound = np.zeros(n, dtype=np.int32)
    for tgt, sources in inbound_sources.items():
        inbound[tgt] = len(sources)

    # How many articles contain each anchor phrase at all: the denominator of link probability.
    matcher = PhraseMatcher(anchor_table.keys())
    article_phrases = [set(matcher.occurrences(case_fold_same_length(t)).keys()) for t in texts]
    for idx, links in gold.items():  # an anchor counts as an occurrence even where the text differs
        article_phrases[idx].update(phrase_key(g.anchor) for g in links if usable_phrase(g.anchor))
    phrase_docs: Counter[str] = Counter()
    for found in article_phrases:
        phrase_docs.update(found)

    vectors = TextVectors.fit([titled(titles[i], texts[i]) for i in range(n)])
    index = LinkIndex(
        ids=ids, urls=urls, titles=titles, sections=sections, pub_day=np.array(days, dtype=np.float64),
        inbound=inbound, variants=variants, variant_weight=variant_weight, title_postings=dict(postings),
        title_idf=title_idf, anchors=dict(anchor_table), phrase_docs=dict(phrase_docs), vectors=vectors,
        url_index=url_index, site_hosts=store.site_hosts(), n_links=n_links,
        outlinks={src: tuple(dict.fromkeys(g.target for g in links)) for src, links in gold.items()},
        read_at=read_at,
    )
    if keep_training_data:
        index.article_phrases = article_phrases
        index.texts = texts
        index.gold = dict(gold)
    return index


def _model_library() -> str:
    # scikit-learn reads back only the models its own version saved
    return "scikit-learn " + metadata.version("scikit-learn")


class StoredRanker(Protocol):
    """What :func:`save_index` needs of a ranker: its state as for :meth:`LinkIndex.state`."""

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]: ...


# How an .npz blob (:mod:`..store.arrays`) starts: an index saved before linkdesk used them was a pickle.
_ZIP_MAGIC = b"PK"


def save_index(store: Store, index: LinkIndex, ranker: StoredRanker, layout: str = "") -> None:
    """Store the index and its trained ranker with the archive (one blob, compressed). ``layout``
    names what the ranker was trained on (its feature list), so a newer linkdesk can tell. What
    :func:`index_summary` reports is stored beside it."""
    index_doc, index_arrays = index.state()
    ranker_doc, ranker_arrays = ranker.state()
    meta = {"layout": layout, "library": _model_library(), "index": index_doc, "ranker": ranker_doc}
    blob = pack_arrays(meta, {**{f"index.{name}": a for name, a in index_arrays.items()},
                              **{f"ranker.{name}": a for name, a in ranker_arrays.items()}}, compress=True)
    info = ranker_doc.get("info", {})
    about = {"layout": layout, "library": _model_library(),
             "read_at": index.read_at, "articles": index.size, "internal_links": index.n_links,
             "ranker": ranker_doc.get("kind"), "threshold": ranker_doc.get("threshold"),
             "trained_at": info.get("trained_at"), "trained_links": info.get("links")}
    store.save_blob(INDEX_BLOB, blob, about)


@dataclass
class IndexSummary:
    """The archive's saved index as ``linkdesk stats`` tells it, without loading it: when it was saved
    and read the archive, what it holds, its ranker (``trained_at``: when the archive it was trained on
    was read, earlier than ``read_at`` after ``linkdesk index --no-train``), and the articles added or
    changed since it read the archive (``changed``, by address), which it does not suggest yet."""

    saved: str
    read_at: str | None
    articles: int | None
    internal_links: int | None
    ranker: str | None
    threshold: float | None
    trained_at: str | None
    trained_links: int | None
    changed: dict[str, ChangedArticle]
    #: what the index was built for (a feature list) and with (scikit-learn's version): None from an
    #: index an earlier linkdesk saved
    layout: str | None = None
    library: str | None = None

    def usable(self, layout: str) -> bool:
        """Whether this linkdesk (of ``layout``) can load it: built for the same features and
        normalization, its model by the same scikit-learn."""
        return self.layout == layout and self.library == _model_library()

    def current(self, layout: str) -> bool:
        """Whether a new index would hold nothing this one lacks: one this linkdesk can use, with no
        article added or changed since it read the archive."""
        return self.usable(layout) and not self.changed

    def to_json(self) -> dict[str, Any]:
        changed = newest_first(self.changed)
        return {"saved": self.saved, "read_at": self.read_at, "articles": self.articles,
                "internal_links": self.internal_links, "ranker": self.ranker, "threshold": self.threshold,
                "trained_at": self.trained_at, "trained_links": self.trained_links,
                "changed_since": len(changed), "newest_changed": [{"url": a.url, "title": a.title,
                                                                   "updated_at": a.updated_at} for a in changed[:5]]}


def index_summary(store: Store) -> IndexSummary | None:
    """The archive's saved index, summarized (None when there is none)."""
    saved = store.blob_created(INDEX_BLOB)
    if saved is None:
        return None
    about = store.blob_about(INDEX_BLOB) or {}
    # an index saved before linkdesk kept the time it read the archive: it read it before it was saved
    read_at = about.get("read_at") or saved
    return IndexSummary(saved, about.get("read_at"), about.get("articles"), about.get("internal_links"),
                        about.get("ranker"), about.get("threshold"), about.get("trained_at"),
                        about.get("trained_links"), store.changed_since(read_at), about.get("layout"),
                        about.get("library"))


def _no_index(store: Store) -> IndexMissingError:
    return IndexMissingError(f"{store.label}: no index yet; run `linkdesk index` after ingesting")


def index_saved(store: Store) -> str:
    """When the archive's index was saved (it changes with every `linkdesk index`), without loading it."""
    saved = store.blob_created(INDEX_BLOB)
    if saved is None:
        raise _no_index(store)
    return saved


def load_index(store: Store, layout: str, ranker_from_state: Callable[[dict[str, Any], dict[str, np.ndarray]], Any]
               ) -> tuple[LinkIndex, Any]:
    """The archive's index and its ranker, made by ``ranker_from_state(doc, arrays)`` of what
    ``ranker.state()`` gave :func:`save_index`."""
    meta, arrays = _read_index(store, layout, ("index.", "ranker."))
    index = LinkIndex.from_state(meta["index"], _part(arrays, "index."))
    # an index saved before linkdesk kept the time it read the archive: it read it before it was saved
    index.read_at = index.read_at or store.blob_created(INDEX_BLOB)
    return index, ranker_from_state(meta["ranker"], _part(arrays, "ranker."))


def load_ranker(store: Store, layout: str, ranker_from_state: Callable[[dict[str, Any], dict[str, np.ndarray]], Any]
                ) -> tuple[list[str], Any]:
    """The ranker saved with the archive's index, as :func:`load_index` gives it, and the addresses of
    the index's articles, by position (what the ranker's per-article counts refer to), without the
    rest of the index: on a large archive its vectors are most of the memory a load takes."""
    meta, arrays = _read_index(store, layout, ("ranker.",))
    return list(meta["index"]["urls"]), ranker_from_state(meta["ranker"], _part(arrays, "ranker."))


def _part(arrays: dict[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    return {name.removeprefix(prefix): a for name, a in arrays.items() if name.startswith(prefix)}


def _read_index(store: Store, layout: str, prefixes: tuple[str, ...]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The saved index's JSON part and those of its arrays whose names start with one of ``prefixes``,
    once it is known to be one this linkdesk can use."""
    blob = store.load_blob(INDEX_BLOB)
    if blob is None:
        raise _no_index(store)
    if not blob.startswith(_ZIP_MAGIC):
        # an index an older linkdesk saved, as a pickle: never read, as a pickle can run any code
        raise IndexMissingError(f"{store.label}: the index was built by another version of linkdesk; "
                                "run `linkdesk index` again")
    try:
        meta, arrays = unpack_arrays(blob, lambda name: name.startswith(prefixes))
    except UnreadableBlob as exc:
        raise IndexMissingError(f"{store.label}: the stored index cannot be read ({exc}); "
                                "run `linkdesk index` again") from exc
    if meta.get("layout") != layout:
        raise IndexMissingError(f"{store.label}: the index was built by another version of linkdesk; "
                                "run `linkdesk index` again")
    if meta.get("library") != _model_library():
        raise IndexMissingError(f"{store.label}: the index was built with {meta.get('library')} and linkdesk now "
                                f"runs {_model_library()}; run `linkdesk index` again")
    return meta, arrays
