"""The ranker: a gradient-boosted model trained on the archive's own links.

Training replays the archive in publication order. For each article that links to older
coverage, it generates candidates exactly as for a draft, but only among articles an editor
could have seen then, with link statistics as they stood then; the links the editor made
are the positives, every other candidate a negative, except where the editorial policy allows no
link (a heading, a quote, code, an outside link's text), which the suggester never offers and the
model need not learn to rank. An archive whose linking articles mostly
have no date is replayed in the order it was stored instead.

The default threshold is chosen on the archive itself, on articles the model has not seen:
fitted on the oldest 60% of those articles and scored on the next 20%, fitted on the oldest
80% and scored on the newest 20%; over both, the threshold that gives the best F1 while keeping
precision at or above ``TARGET_PRECISION`` is kept (if none reaches it, the threshold that still
finds ``MIN_RECALL`` of the links whose precision is surely highest: the lower bound of its
confidence interval); thresholds finding less are never chosen.
With too few links to learn from, a fixed unsupervised scorer takes over and says so; its scores
are calibrated on the archive's own links when the replay gives enough to fit.

The model only knows articles the desk has linked or passed over. A mention that spells out the
whole title (four words or more) of an article the desk has no record of declining to link is
scored as the unsupervised scorer would, so an article is found the day after it is published.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from scipy.special import expit

from ..forked import forked_pool, usable_jobs
from ..index.linkindex import LinkIndex
from ..index.phrases import phrase_key, usable_phrase
from .candidates import STRONG_COVERAGE, AnchorView, Candidate, Context, generate
from .features import FEATURES, WHOLE_TITLE, F, featurize, target_history
from .policy import Spans
from .spot import analyze

__all__ = ["TARGET_PRECISION", "Ranker", "fit_model", "train", "training_rows"]

log = logging.getLogger(__name__)

TARGET_PRECISION = 0.6
HOLDOUT_FOLDS = ((0.6, 0.8), (0.8, 1.0))
MIN_RECALL = 0.05
# one-sided 95%: how sure a held-out precision must be when the target is out of reach
CONFIDENCE_Z = 1.645
# How many picks the model's own scores count as when a threshold's held-out precision is read. A
# small archive gives a high threshold a few dozen held-out picks, where one pick more or less right
# moves precision across the target and the default with it; what the model expected of the same
# picks steadies the reading, and counts for less as the picks grow (hundreds on a large archive)
PRIOR_PICKS = 20
# how much higher the unsupervised scorer's held-out F1 must be for it to replace a trained ranker:
# pooled held-out sets of small archives are a few dozen articles, where F1 moves by this much by chance
CLEARLY_BETTER_F1 = 0.05
FALLBACK_THRESHOLD = 0.5
NAMED_URL_SCORE = 0.99
# the add-a-link candidate rule: a phrase linked in fewer of the articles holding it is no link
DICTIONARY_MIN_LINK_PROB = 0.065
# titles this long name one article; shorter ones ("Plain language") are topics the desk may or
# may not link. The trained ranker asks for four words, as it has the phrase statistics besides
FALLBACK_TITLE_MIN_WORDS = 3
TRAINED_TITLE_MIN_WORDS = 4
# or a title of this many words as written (two of them content words) that the text writes out word
# for word: "How to build an analytics strategy" names one article, where "Robotic process automation"
# names a subject
TRAINED_TITLE_MIN_WRITTEN = 5
# features the fixed rules read that the model is not given: learned from, the title's length as
# written moved the model's threshold on both backtests and found no more links
RULES_ONLY = ("title_words", "title_written_out")
# an article named at least this often and linked in under this share of those is one the desk
# chooses not to link
DECLINED_MIN_NAMED = 5
DECLINED_MAX_LINK_RATE = 0.1
# a Platt fit needs this many right and this many wrong suggestions to stand on
CALIBRATION_MIN_PICKS = 10
# what a model needs to learn from: linked articles replayed, and the editors' links among their candidates
MIN_EXAMPLES = 20
MIN_POSITIVES = 30


# what a stored ranker counts per target (index position → count)
_TARGET_COUNTS = ("target_offered", "target_linked", "target_named", "target_named_linked")


@dataclass
class Ranker:
    kind: str  # "trained" or "fallback"
    model: Any = None
    threshold: float = FALLBACK_THRESHOLD
    target_offered: dict[int, int] = field(default_factory=dict)
    target_linked: dict[int, int] = field(default_factory=dict)
    target_named: dict[int, int] = field(default_factory=dict)
    target_named_linked: dict[int, int] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    # the unsupervised scorer's scores mapped to the share of its suggestions that were right on the
    # archive's own links (see _fit_calibration); None: as they are
    calibration: tuple[float, float] | None = None

    def score(self, X: np.ndarray) -> np.ndarray:
        if not len(X):
            return np.zeros(0)
        if self.kind == "trained" and self.model is not None:
            return _with_rules(X, self.model.predict_proba(X)[:, 1])
        return _named_url(X, _calibrated(_fallback(X), self.calibration))

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """The ranker as plain data and arrays (each model's trees), for
        :func:`~linkdesk.index.linkindex.save_index`; :meth:`from_state` reads it back."""
        trees = [m if isinstance(m, _Trees) else _Trees.of(m) for m in self.model.models] if self.model else []
        doc = {"kind": self.kind, "threshold": self.threshold, "info": self.info,
               "calibration": list(self.calibration) if self.calibration is not None else None,
               "baselines": [t.baseline for t in trees],
               **{name: list(getattr(self, name).items()) for name in _TARGET_COUNTS}}
        arrays: dict[str, np.ndarray] = {}
        for k, t in enumerate(trees):
            arrays[f"model{k}.nodes"] = np.concatenate(t.nodes)
            arrays[f"model{k}.sizes"] = np.array([len(n) for n in t.nodes], dtype=np.int64)
        return doc, arrays

    @classmethod
    def from_state(cls, doc: dict[str, Any], arrays: dict[str, np.ndarray]) -> Ranker:
        models = [_Trees(baseline, np.split(arrays[f"model{k}.nodes"], np.cumsum(arrays[f"model{k}.sizes"])[:-1]))
                  for k, baseline in enumerate(doc["baselines"])]
        calibration = doc["calibration"]
        return cls(doc["kind"], _Averaged(models) if models else None, doc["threshold"],
                   info=doc["info"], calibration=(calibration[0], calibration[1]) if calibration else None,
                   **{name: {int(t): int(n) for t, n in doc[name]} for name in _TARGET_COUNTS})

    def carried_over(self, old_urls: Sequence[str], new: LinkIndex) -> Ranker:
        """This ranker, trained with an index of the articles at ``old_urls`` (by position), for ``new``,
        an index of the same archive built since (:func:`~linkdesk.suggest.pipeline.index_archive`
        without training): what it counted of each target goes with the article, wherever ``new`` puts
        it. Articles new since start with no record, as one published after the training would have."""
        position = {a: p for a, url in enumerate(old_urls) if (p := new.lookup_url(url)) is not None}

        def moved(counts: dict[int, int]) -> dict[int, int]:
            return {position[t]: n for t, n in counts.items() if t in position}

        return replace(self, target_offered=moved(self.target_offered), target_linked=moved(self.target_linked),
                       target_named=moved(self.target_named), target_named_linked=moved(self.target_named_linked))

    def view(self, index: LinkIndex) -> AnchorView:
        inbound = {int(t): int(n) for t, n in enumerate(index.inbound) if n}
        return AnchorView(index.anchors, index.phrase_docs, self.target_offered, self.target_linked, inbound,
                          self.target_named, self.target_named_linked)


def _with_rules(X: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """The trained model's probabilities ``probs`` for ``X`` with the fixed rules on top. The model
    knows only articles the desk has linked or passed over; one it has no record of (new yesterday,
    or never named) is still found by its full title."""
    titled = np.where(_declined(X), 0.0, _title_score(X, TRAINED_TITLE_MIN_WORDS, TRAINED_TITLE_MIN_WRITTEN))
    return _named_url(X, np.maximum(np.asarray(probs), titled))


def _named_url(X: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """A draft that spells out an archive article's address means that article; archives link their
    addresses, so the model never sees one written out to learn it from."""
    return np.where(X[:, F["names_url"]] == 1.0, np.maximum(scores, NAMED_URL_SCORE), scores)


def _fallback(X: np.ndarray) -> np.ndarray:
    """Fixed scorer for archives with too few links to learn from. Two kinds of mention score 0.5 or
    more (before calibration; everything else scores 0): a phrase the desk has linked in at least
    ``DICTIONARY_MIN_LINK_PROB`` of the articles that contain it, scored up by how often it was
    linked and to this article; and the exact words of a title three or more words long
    (:func:`_title_score`). Looser title matches are left out: without links to learn from, about
    one in eight was right on the shared backtests (about one in three of these)."""
    link_prob = X[:, F["link_prob"]]
    dictionary = np.where(link_prob >= DICTIONARY_MIN_LINK_PROB, 0.5 + 0.5 * link_prob * X[:, F["commonness"]], 0.0)
    return np.maximum(dictionary, _title_score(X, FALLBACK_TITLE_MIN_WORDS))


def _title_score(X: np.ndarray, min_words: int, min_written: int | None = None) -> np.ndarray:
    """0.5 to 0.8 for a mention that spells out an article's whole title of ``min_words`` or more
    content words (or, with ``min_written``, writes out word for word a title of that many words as
    written and two content words) where the draft names that article best, scored up by title length
    and how close the sentence is to the article; 0 for any other candidate."""
    long_enough = X[:, F["title_len"]] >= min_words
    if min_written is not None:
        long_enough |= ((X[:, F["title_written_out"]] == 1.0) & (X[:, F["title_words"]] >= min_written)
                        & (X[:, F["title_len"]] >= 2))
    names_title = ((X[:, F["coverage"]] * X[:, F["span_precision"]] >= WHOLE_TITLE) & long_enough
                   & (X[:, F["best_for_target"]] == 1.0))
    return np.where(names_title, 0.5 + 0.1 * np.clip(X[:, F["title_len"]] - 3, 0, 3) / 3
                    + 0.2 * np.clip(X[:, F["sent_sim"]], 0.0, 1.0), 0.0)


def _declined(X: np.ndarray) -> np.ndarray:
    """Candidates whose article the desk has named often and seldom linked: its own practice."""
    named = np.expm1(X[:, F["target_named"]])
    return (named >= DECLINED_MIN_NAMED - 1e-9) & (X[:, F["target_named_link_rate"]] < DECLINED_MAX_LINK_RATE)


@dataclass
class _Example:
    """One replayed article: its candidates' features and labels, and how many links it had."""

    X: np.ndarray
    y: np.ndarray
    cands: list[Candidate]
    gold_links: int


def _replay_order(index: LinkIndex) -> str:
    """How the archive is replayed: by publication date ("published"), or, when most of its linking
    articles have no date (a crawl that found none, an export without them), in the order they were
    stored ("stored"), with every article visible to every other."""
    assert index.gold is not None
    linking = [i for i, links in index.gold.items() if links]
    undated = sum(1 for i in linking if math.isnan(index.pub_day[i]))
    return "stored" if undated > len(linking) - undated else "published"


def training_rows(index: LinkIndex, max_articles: int = 4000,
                  blocked: Callable[[int], Sequence[tuple[int, int]]] | None = None, jobs: int = 1
                  ) -> tuple[list[_Example], AnchorView]:
    """Replay the archive in time order and label the candidates of every linked article.
    ``blocked(i)``: the spans of article ``i``'s text where the editorial policy allows no link
    (headings, quotes, code, links to elsewhere); candidates there are features to the others, as in
    a draft, but no examples, as the suggester never offers them. The link statistics count them.
    ``jobs`` processes share the reading of the articles; the rows are the same for any number."""
    assert index.gold is not None
    replay = _Replay.of(index, max_articles)
    read = iter(replay.read(jobs))
    pending = next(read, None)
    view = _empty_view()
    examples: list[_Example] = []
    for i in replay.order:
        if pending is not None and pending.article == i:
            X, cands, y = pending.X, pending.cands, pending.y
            target_history(X, cands, view)
            example = _offered(_Example(X, y, cands, pending.gold_links), blocked(i) if blocked else ())
            if example.cands:
                examples.append(example)
            for t in {c.target for c in cands}:
                view.offered[t] = view.offered.get(t, 0) + 1
            for t in {c.target for c, hit in zip(cands, y, strict=False) if hit}:
                view.linked[t] = view.linked.get(t, 0) + 1
            named = {c.target for c in cands if c.coverage >= STRONG_COVERAGE}
            for t in named:
                view.named[t] = view.named.get(t, 0) + 1
            for t in {c.target for c, hit in zip(cands, y, strict=False) if hit and c.target in named}:
                view.named_linked[t] = view.named_linked.get(t, 0) + 1
            pending = next(read, None)
        _take_in(view, index, i)
    return examples, view


def _empty_view() -> AnchorView:
    return AnchorView({}, {}, {}, {}, {}, {}, {})


def _take_in(view: AnchorView, index: LinkIndex, i: int) -> None:
    """Article ``i``'s links and phrases become part of the past, once it has been replayed."""
    assert index.gold is not None and index.article_phrases is not None
    for t in {g.target for g in index.gold.get(i, [])}:
        view.inbound[t] = view.inbound.get(t, 0) + 1
    for g in index.gold.get(i, []):
        if usable_phrase(g.anchor):
            view.add_anchor(phrase_key(g.anchor), g.target)
    for key in index.article_phrases[i]:
        view.phrase_docs[key] = view.phrase_docs.get(key, 0) + 1


@dataclass
class _Read:
    """One replayed article's candidates, labelled, with every feature but the target history."""

    article: int
    X: np.ndarray
    y: np.ndarray
    cands: list[Candidate]
    gold_links: int


# the replay a pool of forked workers reads from: set before they are forked, so that each has the
# index without it being copied to them
_SHARED: _Replay | None = None


@dataclass
class _Replay:
    """Which articles are replayed, in which order, and what each could see.

    Reading an article (its candidates and features) needs only the phrases and links of the articles
    before it, which any process can count for itself; what the desk did with the candidates it was
    offered (the target history) is counted in order by the caller. So a stretch of the order can be
    read apart from the rest, and ``read(jobs)`` splits the order into stretches for worker processes."""

    index: LinkIndex
    order: list[int]
    replayed: set[int]
    undated: np.ndarray

    @classmethod
    def of(cls, index: LinkIndex, max_articles: int) -> _Replay:
        assert index.gold is not None
        by_date = _replay_order(index) == "published"
        order = list(range(index.size))
        if by_date:
            order.sort(key=lambda i: (not math.isnan(index.pub_day[i]),
                                      0.0 if math.isnan(index.pub_day[i]) else index.pub_day[i], i))
        # Undated pages (topics, about pages) are visible to every dated article and are not replayed
        # themselves: their links are as crawled, not as first written. Replayed in stored order, the
        # link statistics still hold only what came before each article
        undated = np.isnan(index.pub_day) if by_date else np.ones(index.size, dtype=bool)
        linked = [i for i in order if index.gold.get(i)]
        replayed = {i for i in linked[-max_articles:] if not by_date or not math.isnan(index.pub_day[i])}
        return cls(index, order, replayed, undated)

    def read(self, jobs: int) -> list[_Read]:
        # one process where this one cannot fork: a spawned worker would have to load the whole index
        # again (Windows), and a daemonic one may have no children
        jobs = usable_jobs(jobs)
        stretches = self._stretches(STRETCHES_PER_JOB * jobs if jobs > 1 else 1)
        if jobs <= 1 or len(stretches) <= 1:
            return [r for lo, hi in stretches for r in self.read_stretch(lo, hi)]
        global _SHARED
        _SHARED = self
        try:
            with forked_pool(jobs) as pool:
                parts = pool.starmap(_read_shared, stretches)
        finally:
            _SHARED = None
        return [r for part in parts for r in part]

    def _stretches(self, n: int) -> list[tuple[int, int]]:
        """Up to ``n`` stretches of the order, ``(lo, hi)``, of about as much text to read each."""
        assert self.index.texts is not None
        weight = np.array([len(self.index.texts[i]) if i in self.replayed else 0 for i in self.order], dtype=float)
        cuts = np.searchsorted(np.cumsum(weight), weight.sum() * np.arange(1, n) / n, side="left") + 1
        bounds = sorted({0, len(self.order), *(int(c) for c in cuts if 0 < c < len(self.order))})
        return list(itertools.pairwise(bounds))

    def read_stretch(self, lo: int, hi: int) -> list[_Read]:
        """The replayed articles among ``order[lo:hi]``, read as the replay reaches them."""
        index = self.index
        assert index.texts is not None and index.gold is not None
        view = _empty_view()
        for i in self.order[:lo]:
            _take_in(view, index, i)
        positions = np.arange(index.size)
        out: list[_Read] = []
        for i in self.order[lo:hi]:
            if i in self.replayed:
                day = index.pub_day[i]
                visible = self.undated | (index.pub_day < day) | ((index.pub_day == day) & (positions < i))
                gold = [g for g in index.gold[i] if visible[g.target]]
                if gold:
                    an = analyze(index.texts[i], index.titles[i])
                    # half the articles are shown without their section, as many drafts arrive
                    ctx = Context(day, index.sections[i] if i % 2 == 0 else None, visible, {i})
                    cands = generate(an, index, view, ctx)
                    if cands:
                        # the target history is left to the caller, who counts it in order
                        X = featurize(an, cands, index, view, ctx)
                        y = np.array([any(g.target == c.target and c.start < g.end and g.start < c.end
                                          for g in gold) for c in cands], dtype=np.int8)
                        out.append(_Read(i, X, y, cands, len(gold)))
            _take_in(view, index, i)
        return out


# more stretches than workers, so that one slow stretch does not keep the others waiting
STRETCHES_PER_JOB = 4


def _read_shared(lo: int, hi: int) -> list[_Read]:
    assert _SHARED is not None
    return _SHARED.read_stretch(lo, hi)


def _offered(ex: _Example, blocked: Sequence[tuple[int, int]]) -> _Example:
    """``ex`` without the candidates that overlap a ``blocked`` span."""
    if not blocked:
        return ex
    spans = Spans(blocked)
    keep = np.array([spans.clear(c.start, c.end) for c in ex.cands], dtype=bool)
    return _Example(ex.X[keep], ex.y[keep], [c for c, k in zip(ex.cands, keep, strict=True) if k], ex.gold_links)


# Each model sets aside a random tenth of its rows to know when to stop adding trees. Alone, which
# tenth it drew moved span F1 on the backtest drafts by up to 0.08 (rust); the average of two models,
# each with its own tenth, does not rest on one draw. Two of 200 trees cost about what one of 400
# would, and did as well as two of 300
BAGGED_MODELS = 2
MAX_TREES = 200
# the most leaves a tree may have to be scored without scikit-learn (see _Trees); _model grows 15
MAX_LEAVES = 64
ROWS_SCORED_AT_ONCE = 1024


def _model(seed: int) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    # many small steps of small trees: with 40+ features and a few hundred positives on a small
    # archive, this held up better on unseen articles than fewer, larger trees
    return HistGradientBoostingClassifier(max_iter=MAX_TREES, learning_rate=0.05, max_leaf_nodes=15,
                                          min_samples_leaf=40, l2_regularization=1.0, random_state=seed)


class _Trees:
    """A fitted binary HistGradientBoostingClassifier kept as its trees' node arrays, which the archive
    stores without pickle (see :func:`~linkdesk.index.linkindex.save_index`), and scored here with
    numpy alone: importing scikit-learn takes over a second, which every `suggest` would pay at
    start-up for a model it only reads. The scores are scikit-learn's to the last bit (the same
    comparisons, the trees' values added in the same order). The arrays are those of the
    scikit-learn version that fitted them, which is why an index another version saved is not loaded.

    All the trees' splits are tested at once, and each tree's leaf is read from bit masks (the
    QuickScorer idea): the leaves of a tree numbered left to right, a split that sends a row right
    rules out the leaves on its left, and the row lands on the leftmost leaf nothing ruled out. The
    trees bin their features, so many splits share a test (feature, threshold, where a missing value
    goes); each distinct test is made once."""

    def __init__(self, baseline: float, nodes: list[np.ndarray]) -> None:
        self.baseline = baseline
        self.nodes = nodes
        n_trees = len(nodes)
        splits = max((int((n["is_leaf"] == 0).sum()) for n in nodes), default=0)
        leaves = max((int(n["is_leaf"].sum()) for n in nodes), default=1)
        if leaves > MAX_LEAVES:
            raise ValueError(f"a tree of {leaves} leaves: at most {MAX_LEAVES} are scored")
        mask_type = np.uint16 if leaves <= 16 else np.uint32 if leaves <= 32 else np.uint64
        # the k-th split of tree t at [k, t]: a tree with fewer splits is padded with a test that
        # rules nothing out
        tests = np.zeros((splits, n_trees, 3))
        ruled_out = np.zeros((splits, n_trees), dtype=mask_type)
        self._leaf_values = np.zeros((n_trees, leaves))
        for t, tree in enumerate(nodes):
            first_leaf, last_leaf = _leaf_ranges(tree)
            is_leaf = tree["is_leaf"].astype(bool)
            self._leaf_values[t, first_leaf[is_leaf]] = tree["value"][is_leaf]
            for k, node in enumerate(np.flatnonzero(~is_leaf)):
                left = tree["left"][node]
                ruled_out[k, t] = (1 << int(last_leaf[left])) - (1 << int(first_leaf[left]))
                tests[k, t] = (tree["feature_idx"][node], tree["num_threshold"][node],
                               not tree["missing_go_to_left"][node])
        distinct, test_of_split = np.unique(tests.reshape(-1, 3), axis=0, return_inverse=True)
        self._test_of_split = test_of_split.ravel()
        self._test_feature = distinct[:, 0].astype(np.intp)
        self._test_threshold = distinct[:, 1:2]
        self._test_missing_right = distinct[:, 2:3].astype(bool)
        self._ruled_out = ruled_out.reshape(-1, 1)
        self._shape = (splits, n_trees)

    @classmethod
    def of(cls, model: Any) -> _Trees:
        if model.n_trees_per_iteration_ != 1 or model.is_categorical_ is not None:
            raise ValueError("only a binary model without categorical features is kept as its trees")
        return cls(float(model._baseline_prediction.ravel()[0]), [p.nodes for (p,) in model._predictors])

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        # a block of rows at a time: the tests of every split for every row take about 20 KB a row
        # (a 5 MB draft has hundreds of thousands of candidates)
        raw = np.concatenate([self._raw(X[lo:lo + ROWS_SCORED_AT_ONCE])
                              for lo in range(0, len(X), ROWS_SCORED_AT_ONCE)]) if len(X) else np.zeros(0)
        p = expit(raw)
        return np.column_stack([1.0 - p, p])

    def _raw(self, X: np.ndarray) -> np.ndarray:
        # as HistGradientBoostingClassifier: on float64, a value at or below a split's threshold goes
        # left, a missing one where the split learned to send it
        values = np.asarray(X, dtype=np.float64).T[self._test_feature]
        goes_right = (values > self._test_threshold) | (np.isnan(values) & self._test_missing_right)
        ruled_out = np.multiply(self._ruled_out, goes_right[self._test_of_split], dtype=self._ruled_out.dtype)
        remaining = ~np.bitwise_or.reduce(ruled_out.reshape(*self._shape, len(X)), axis=0)
        leftmost = remaining & (~remaining + remaining.dtype.type(1))
        leaf = np.log2(leftmost).astype(np.intp)
        per_tree = np.take_along_axis(self._leaf_values, leaf, axis=1)
        # the baseline, then each tree's value in turn: a sum in another order differs in the last bits
        raw = np.full(len(X), self.baseline)
        for values_of_tree in per_tree:
            raw += values_of_tree
        return raw


def _leaf_ranges(tree: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per node of ``tree``, the range of its leaves' numbers ``[first, last)``, leaves numbered
    left to right."""
    first = np.zeros(len(tree), dtype=np.int64)
    last = np.zeros(len(tree), dtype=np.int64)
    leaves = 0
    # depth first, left before right; a node is finished once both its children are
    stack: list[tuple[int, bool]] = [(0, False)]
    while stack:
        node, children_done = stack.pop()
        if tree["is_leaf"][node]:
            first[node], last[node] = leaves, leaves + 1
            leaves += 1
        elif children_done:
            first[node], last[node] = first[tree["left"][node]], last[tree["right"][node]]
        else:
            stack += [(node, True), (int(tree["right"][node]), False), (int(tree["left"][node]), False)]
    return first, last


@dataclass
class _Averaged:
    """Models whose probabilities are averaged."""

    models: list[Any]

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return np.mean([m.predict_proba(X) for m in self.models], axis=0)


def fit_model(X: np.ndarray, y: np.ndarray) -> Any:
    """The ranker's model fitted on ``X``. A feature missing everywhere (no sections in the archive,
    no time references in its text) would stop the trees from binning it, so it is filled with a
    constant, which they then ignore; so are the columns only the fixed rules read."""
    unused = np.isnan(X).all(axis=0)
    unused[[F[name] for name in RULES_ONLY]] = True
    X = X.copy()
    X[:, unused] = -1.0
    return _Averaged([_model(seed).fit(X, y) for seed in range(BAGGED_MODELS)])


def _stack(examples: list[_Example]) -> tuple[np.ndarray, np.ndarray]:
    return np.vstack([e.X for e in examples]), np.concatenate([e.y for e in examples])


def _picks(ex: _Example, scores: np.ndarray, threshold: float) -> list[int]:
    """The candidates an article keeps, as the editorial policy would: its best one per target at or
    above ``threshold`` (and above 0), no two overlapping."""
    out: list[int] = []
    taken = Spans()
    targets: set[int] = set()
    for k in np.argsort(-scores, kind="stable"):
        if scores[k] < threshold or scores[k] <= 0:
            break
        c = ex.cands[k]
        if c.target in targets or not taken.clear(c.start, c.end):
            continue
        targets.add(c.target)
        taken.add(c.start, c.end)
        out.append(int(k))
    return out


def simulate(examples: list[_Example], scores: list[np.ndarray], threshold: float) -> tuple[int, int, int]:
    """(true positives, predicted, gold) over articles picking as :func:`_picks`."""
    tp, predicted, gold, _ = _tally(examples, scores, threshold)
    return tp, predicted, gold


def _tally(examples: list[_Example], scores: list[np.ndarray], threshold: float) -> tuple[int, int, int, float]:
    """As :func:`simulate`, and how many of the picks the scores expected to be right (their sum)."""
    tp = predicted = gold = 0
    expected = 0.0
    for ex, sc in zip(examples, scores, strict=False):
        gold += ex.gold_links
        picks = _picks(ex, sc, threshold)
        predicted += len(picks)
        tp += int(ex.y[picks].sum())
        expected += float(sc[picks].sum())
    return tp, predicted, gold, expected


def _log_odds(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, 1e-6, 1 - 1e-6)
    return np.asarray(np.log(q / (1 - q)))


def _calibrated(scores: np.ndarray, calibration: tuple[float, float] | None) -> np.ndarray:
    """``scores`` (0 meaning "no suggestion") through the Platt map ``calibration``."""
    if calibration is None:
        return scores
    slope, intercept = calibration
    mapped = 1.0 / (1.0 + np.exp(-(slope * _log_odds(scores) + intercept)))
    return np.asarray(np.where(scores > 0, mapped, 0.0))


def _fit_calibration(examples: list[_Example], scores: list[np.ndarray],
                     threshold: float) -> tuple[tuple[float, float] | None, dict[str, Any]]:
    """Platt scaling of what the scorer would have suggested on the archive's own linked articles
    (as :func:`_picks` at ``threshold``) against whether the editor made that link; None when
    the picks are too few either way to fit, or the fit would flatten or reverse the ranking."""
    picked = [(float(sc[k]), int(ex.y[k])) for ex, sc in zip(examples, scores, strict=False)
              for k in _picks(ex, sc, threshold)]
    right = sum(hit for _, hit in picked)
    stats: dict[str, Any] = {"picks": len(picked), "right": right}
    if min(right, len(picked) - right) < CALIBRATION_MIN_PICKS:
        return None, stats
    from sklearn.linear_model import LogisticRegression

    fit = LogisticRegression(C=1e4).fit(_log_odds(np.array([sc for sc, _ in picked]))[:, None],
                                        np.array([hit for _, hit in picked]))
    slope, intercept = float(fit.coef_[0, 0]), float(fit.intercept_[0])
    return ((slope, intercept) if slope > 0 else None), stats


def _replay_threshold(examples: list[_Example], scores: list[np.ndarray]) -> tuple[float, dict[str, float]]:
    """The unsupervised scorer's cut: where what it would have suggested in the archive best matches
    the links the editors made (F1). Its suggestions seldom reach the trained ranker's target
    precision at any useful recall, so F1 alone decides; 0.5, where its routes start, while the
    archive gives too few right picks to tell."""
    best: tuple[float, float, dict[str, float]] | None = None
    for t in np.round(np.arange(FALLBACK_THRESHOLD, 0.96, 0.025), 3):
        counts = simulate(examples, scores, float(t))
        if counts[0] < CALIBRATION_MIN_PICKS:
            break
        p, r, f1 = _rates(*counts)
        if r >= MIN_RECALL and (best is None or f1 > best[1]):
            best = (float(t), f1, _figures(float(t), p, r, f1))
    return (best[0], best[2]) if best else (FALLBACK_THRESHOLD, {})


def _unsupervised(examples: list[_Example], view: AnchorView, info: dict[str, Any]) -> Ranker:
    """The fixed scorer, its scores calibrated on the archive's own links when there are enough,
    its default threshold where it would have done best on them."""
    scores = [_fallback(e.X) for e in examples]
    calibration, stats = _fit_calibration(examples, scores, FALLBACK_THRESHOLD)
    cut, replay = _replay_threshold(examples, scores)
    threshold = float(_calibrated(np.array([cut]), calibration)[0])
    if replay:
        replay = {**replay, "threshold": round(threshold, 4)}
    return Ranker("fallback", None, threshold, view.offered, view.linked, view.named, view.named_linked,
                  {**info, "calibration": {**stats, "fitted": calibration is not None}, "replay": replay},
                  calibration)


def _rates(tp: int, npred: int, ngold: int) -> tuple[float, float, float]:
    """Precision, recall and F1 from the counts :func:`simulate` gives."""
    p = tp / npred if npred else 0.0
    r = tp / ngold if ngold else 0.0
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def _precision_recall_f1(examples: list[_Example], scores: list[np.ndarray],
                         threshold: float) -> tuple[float, float, float]:
    return _rates(*simulate(examples, scores, threshold))


def _figures(threshold: float, p: float, r: float, f1: float) -> dict[str, float]:
    return {"threshold": round(threshold, 4), "precision": round(p, 4), "recall": round(r, 4), "f1": round(f1, 4)}


def _held_out_figures(examples: list[_Example], scores: list[np.ndarray], threshold: float) -> dict[str, float]:
    return _figures(threshold, *_precision_recall_f1(examples, scores, threshold))


def _surely_at_least(hits: int, n: int) -> float:
    """The precision ``hits`` right of ``n`` picks is, with 95% confidence, at least (Wilson's
    lower bound): 9 of 16 counts for less than 23 of 44."""
    if n == 0:
        return 0.0
    z = CONFIDENCE_Z
    p = hits / n
    margin = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (p + z * z / (2 * n) - margin) / (1 + z * z / n)


def choose_threshold(examples: list[_Example], scores: list[np.ndarray]) -> tuple[float, dict[str, float]]:
    """The default threshold from held-out articles and the model's probabilities for them: the best F1
    among thresholds whose precision reaches the target, precision being read from the picks together
    with what the probabilities expected of them (worth :data:`PRIOR_PICKS` picks); else the most
    surely precise. Both only among thresholds that find at least :data:`MIN_RECALL` of the links."""
    best: tuple[float, float, dict[str, float]] | None = None
    fallback: tuple[float, float, dict[str, float]] | None = None
    for t in np.round(np.arange(0.05, 0.96, 0.025), 3):
        tp, predicted, gold, expected = _tally(examples, scores, float(t))
        p, r, f1 = _rates(tp, predicted, gold)
        stats = _figures(float(t), p, r, f1)
        # a threshold that finds almost none of the links is no default, however precise (and its
        # precision rests on a handful of picks); when none reaching the target precision finds enough,
        # the one that is most surely precise, as an editor would rather see few good links than many
        # poor ones: on a small archive's few held-out picks the plain precision of a high threshold
        # is mostly chance, and the choice swung with it
        if r < MIN_RECALL:
            continue
        sure = _surely_at_least(tp, predicted)
        if fallback is None or sure > fallback[1]:
            fallback = (float(t), sure, stats)
        likely = (tp + PRIOR_PICKS * expected / predicted) / (predicted + PRIOR_PICKS)
        likely_f1 = 2 * likely * r / (likely + r)
        if likely >= TARGET_PRECISION and (best is None or likely_f1 > best[1]):
            best = (float(t), likely_f1, stats)
    chosen = best or fallback
    if chosen is None:
        return FALLBACK_THRESHOLD, {}
    return chosen[0], chosen[2]


def train(index: LinkIndex, min_links: int = 50, max_articles: int = 4000,
          blocked: Callable[[int], Sequence[tuple[int, int]]] | None = None, jobs: int = 1) -> Ranker:
    """The ranker for ``index``'s archive; ``blocked`` and ``jobs`` as for :func:`training_rows`."""
    # the archive is replayed even when too small to learn from: the unsupervised scorer's scores
    # are calibrated on the same replay
    examples, view = training_rows(index, max_articles, blocked, jobs)
    X, y = _stack(examples) if examples else (np.zeros((0, len(FEATURES))), np.zeros(0))
    info: dict[str, Any] = {"links": index.n_links, "articles": len(examples), "candidates": len(y),
                            "positives": int(y.sum()), "order": _replay_order(index), "trained_at": index.read_at}
    if index.n_links < min_links:
        log.warning("only %d internal links in the archive (fewer than %d): using the unsupervised scorer",
                    index.n_links, min_links)
        return _unsupervised(examples, view, {**info, "reason": f"{index.n_links} internal links, fewer than "
                                                                 f"{min_links}"})
    if y.sum() < MIN_POSITIVES or len(examples) < MIN_EXAMPLES:
        reason = (f"{int(y.sum())} of its links found among the candidates of {len(examples)} replayed articles, "
                  f"fewer than {MIN_POSITIVES} links or {MIN_EXAMPLES} articles")
        log.warning("too few usable training examples (%s): using the unsupervised scorer", reason)
        return _unsupervised(examples, view, {**info, "reason": reason})
    # the threshold is chosen on what the model has not seen: two temporal folds (fit on the oldest
    # 60%, score the next 20%; fit on the oldest 80%, score the newest 20%), pooled, so one
    # unusual stretch of the archive does not decide it
    threshold = FALLBACK_THRESHOLD
    held_out: dict[str, float] = {}
    pooled: list[_Example] = []
    pooled_probs: list[np.ndarray] = []
    pooled_scores: list[np.ndarray] = []
    for lo, hi in HOLDOUT_FOLDS:
        a, b = int(len(examples) * lo), int(len(examples) * hi)
        Xo, yo = _stack(examples[:a]) if a else (np.zeros((0, len(FEATURES))), np.zeros(0))
        if not 0 < yo.sum() < len(yo) or b <= a:
            continue
        probe = fit_model(Xo, yo)
        scored = examples[a:b]
        # one call for the fold: the model's own overhead per call is most of the time on one article
        fold_probs = probe.predict_proba(_stack(scored)[0])[:, 1]
        bounds = np.cumsum([0, *(len(e.y) for e in scored)])
        for e, lo_row, hi_row in zip(scored, bounds[:-1], bounds[1:], strict=True):
            probs = fold_probs[lo_row:hi_row]
            pooled.append(e)
            pooled_probs.append(probs)
            pooled_scores.append(_with_rules(e.X, probs))
    if pooled:
        # the threshold cuts the model's probabilities; the fixed rules (an address or a whole title
        # written out) score on their own scale, from 0.5 up. What is reported is what the suggester
        # would have done on those articles, rules included
        threshold, _ = choose_threshold(pooled, pooled_probs)
        held_out = _held_out_figures(pooled, pooled_scores, threshold)
        # A small archive may teach the model less than the fixed scorer knows. On the same held-out
        # articles, the fixed scorer (as it would run: calibrated, at its own threshold) must do
        # clearly better, beyond what a few dozen articles show by chance, to be used instead
        fixed = _unsupervised(examples, view, info)
        rival = _held_out_figures(pooled, [fixed.score(e.X) for e in pooled], fixed.threshold)
        info["held_out_unsupervised"] = rival
        if rival["f1"] > held_out["f1"] + CLEARLY_BETTER_F1:
            reason = (f"on the archive's newest linked articles it did better than a ranker trained on its "
                      f"{index.n_links} links (F1 {rival['f1']:.2f} against {held_out['f1']:.2f})")
            log.warning("unsupervised scorer used: %s", reason)
            fixed.info.update(reason=reason, held_out=held_out, held_out_unsupervised=rival)
            return fixed
    model = fit_model(X, y)
    info["held_out"] = held_out
    log.info("trained ranker on %d candidates (%d positives) from %d articles; threshold %.3f",
             len(y), int(y.sum()), len(examples), threshold)
    return Ranker("trained", model, threshold, view.offered, view.linked, view.named, view.named_linked, info)
