"""Candidates: (mention, article) pairs a draft could link, from four sources.

* the anchor dictionary: phrases the desk already linked, to the articles they linked to;
* title matching: windows of a sentence that cover most of an article's title (or URL slug)
  by IDF weight, which finds articles nobody has linked yet, the day after they are published;
* time references ("last year's survey", "in March"): the period's articles closest to the sentence;
* an archive article's address spelled out in the text.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from ..index.linkindex import LinkIndex
from ..text.normalize import match_terms
from .spot import Analysis, phrase_hits, text_queries
from .timeref import find_time_refs, period_articles

__all__ = ["AnchorView", "Candidate", "Context", "generate", "may_name"]

MIN_COVERAGE = 0.34
# A candidate naming at least this share of its target's title (by IDF) names it well.
STRONG_COVERAGE = 0.66
PER_SENTENCE = 8
PER_PHRASE = 4
# per time reference: how many of the period's articles, and how close to the sentence they must be
PER_TIME_REF = 3
TIME_MIN_SIM = 0.05
# sentence-article pairs compared at once for time references: few products, bounded memory
_TIME_PAIRS = 100_000
# sentences matched against the titles in one product: a whole ordinary draft, a slice of a long one
_TITLE_SENTENCES = 500
_URL = re.compile(r"https?://[^\s<>()\[\]\"'`]+")


@dataclass
class AnchorView:
    """Link statistics as of some moment: anchor phrase → target counts, and in how many
    articles each phrase occurs. Training uses views of the past; suggesting uses the whole archive."""

    anchors: dict[str, Counter[int]]
    phrase_docs: dict[str, int]
    # per target: in how many articles it was a candidate, and in how many the editor linked it
    offered: dict[int, int] = field(default_factory=dict)
    linked: dict[int, int] = field(default_factory=dict)
    # per target: how many articles link to it
    inbound: dict[int, int] = field(default_factory=dict)
    # per target: in how many articles the text named it well (see STRONG_COVERAGE), and in how
    # many of those the editor linked it
    named: dict[int, int] = field(default_factory=dict)
    named_linked: dict[int, int] = field(default_factory=dict)
    # per target: the distinct phrases it was linked with, as term sets. Filled link by link while
    # training replays the archive; a view of a whole archive works a target's out when first asked
    # (a draft meets a few hundred targets, the archive may hold a million phrases)
    target_anchors: dict[int, list[frozenset[str]]] = field(default_factory=dict)
    _unread: dict[int, list[str]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.anchors and not self.target_anchors:
            for key, counts in self.anchors.items():
                for target in counts:
                    self._unread.setdefault(target, []).append(key)

    def phrases_of(self, target: int) -> list[frozenset[str]]:
        """The term sets of the phrases the archive has linked ``target`` with."""
        for key in self._unread.pop(target, ()):
            self._remember(key, target)
        return self.target_anchors.get(target, [])

    def add_anchor(self, key: str, target: int) -> None:
        """Count one more link with phrase ``key`` to ``target``."""
        counts = self.anchors.setdefault(key, Counter())
        if not counts[target]:
            self._remember(key, target)
        counts[target] += 1

    def _remember(self, key: str, target: int) -> None:
        words = frozenset(match_terms(key))
        if words:
            self.target_anchors.setdefault(target, []).append(words)


@dataclass
class Context:
    """What a text may know of the archive when it is written: its day and section, the articles it
    can see (all when None, as for a draft; training replays the past) and those it must not link
    (itself)."""

    day: float
    section: str | None = None
    visible: np.ndarray | None = None
    exclude: set[int] = field(default_factory=set)

    def allowed(self, t: int) -> bool:
        return t not in self.exclude and (self.visible is None or bool(self.visible[t]))

    def allowed_among(self, articles: np.ndarray) -> np.ndarray:
        """The ``articles`` the text may link, as :meth:`allowed` for each."""
        if self.visible is not None:
            articles = articles[self.visible[articles]]
        if self.exclude:
            articles = articles[~np.isin(articles, list(self.exclude))]
        return articles

    def only_allowed(self, values: np.ndarray) -> np.ndarray:
        """``values``, one per archive article, with those the text may not link set to 0."""
        out = np.where(self.visible, values, 0.0) if self.visible is not None else values.copy()
        out[list(self.exclude)] = 0.0
        return out


@dataclass
class Candidate:
    start: int
    end: int
    target: int
    sent: int
    tok_a: int
    tok_b: int
    phrase: str | None = None
    from_anchor: bool = False
    from_title: bool = False
    coverage: float = 0.0
    sent_coverage: float = 0.0
    matched: int = 0
    matched_idf: float = 0.0
    variant: int = 0
    from_time: bool = False
    time_rank: int = -1
    names_url: bool = False


def _postings_cap(n: int) -> int:
    # Terms in very many titles ("update", "guide") cannot find an article on their own.
    return max(30, min(1000, int(0.03 * n)))


def generate(an: Analysis, index: LinkIndex, view: AnchorView, ctx: Context) -> list[Candidate]:
    """Every candidate of a text, among the articles its context may link."""
    found: dict[tuple[int, int, int], Candidate] = {}
    allowed = ctx.allowed

    def add(start: int, end: int, target: int) -> Candidate | None:
        a, b = an.token_range(start, end)
        if a >= b:
            return None
        return found.setdefault((start, end, target), Candidate(start, end, target, an.sent_of[a], a, b))

    for m in _URL.finditer(an.text):
        url = m.group().rstrip(".,;:!?")
        target = index.lookup_url(url)
        if target is not None and allowed(target):
            named = add(m.start(), m.start() + len(url), target)
            if named is not None:
                named.names_url = True

    _time_candidates(an, index, ctx, add)

    for start, end, key in phrase_hits(an, index.matcher):
        targets = view.anchors.get(key)
        if not targets:
            continue
        for target, _count in targets.most_common(PER_PHRASE):
            if not allowed(target):
                continue
            c = add(start, end, target)
            if c is None:
                break
            c.from_anchor = True
            c.phrase = key

    # the loop below runs millions of times while training: plain lookups, no method calls
    idf_of, unseen = index.title_idf.get, index.unseen_idf
    variant_weight = index.variant_weight
    sentence_positions: list[dict[str, list[int]]] = []
    for ta, tb in an.sent_tokens:
        positions: dict[str, list[int]] = {}
        for k in range(ta, tb):
            if an.content[k]:
                positions.setdefault(an.terms[k], []).append(k)
        sentence_positions.append(positions)
    for si, gathered in enumerate(_title_matches(sentence_positions, index)):
        positions = sentence_positions[si]
        scored: list[tuple[float, Candidate]] = []
        for art in gathered:
            if not allowed(art):
                continue
            best: Candidate | None = None
            weights = variant_weight[art]
            for vi, variant in enumerate(index.variants[art]):
                total = weights[vi]
                matched = [t for t in variant if t in positions]
                if not matched or total <= 0:
                    continue
                sent_cov = sum([idf_of(t, unseen) for t in matched]) / total
                if sent_cov < MIN_COVERAGE or (len(variant) >= 3 and len(matched) < 2):
                    continue
                window = _window(matched, positions, index, len(variant))
                if window is None:
                    continue
                a, b, used = window
                used_idf = sum([idf_of(t, unseen) for t in used])
                cov = used_idf / total
                if cov < MIN_COVERAGE:
                    continue
                if best is None or cov > best.coverage:
                    start = an.starts[a]
                    best = Candidate(start, _balanced_end(an.text, start, an.ends[b - 1]), art, si, a, b,
                                     from_title=True, coverage=cov, sent_coverage=sent_cov, matched=len(used),
                                     matched_idf=used_idf, variant=vi)
            if best is not None:
                scored.append((best.coverage * best.matched_idf, best))
        scored.sort(key=lambda x: (-x[0], x[1].target))
        for _, cand in scored[:PER_SENTENCE]:
            key3 = (cand.start, cand.end, cand.target)
            if key3 in found:
                existing = found[key3]
                existing.from_title = True
                existing.coverage, existing.sent_coverage = cand.coverage, cand.sent_coverage
                existing.matched, existing.matched_idf, existing.variant = cand.matched, cand.matched_idf, cand.variant
            else:
                found[key3] = cand
    return sorted(found.values(), key=lambda c: (c.start, c.end, c.target))


def may_name(an: Analysis, index: LinkIndex, view: AnchorView, ctx: Context, target: int) -> bool:
    """Whether :func:`generate` could give ``target`` a candidate in this text (in ``ctx``), tested by
    each of its sources with their conditions loosened or, for time references, as generate ranks
    them: a quick no for most of the hundreds of articles an inbound question reads for one target.
    False only where ``generate`` finds none for it."""
    if any(index.lookup_url(m.group().rstrip(".,;:!?")) == target for m in _URL.finditer(an.text)):
        return True
    if any(target in view.anchors.get(key, ()) for _, _, key in phrase_hits(an, index.matcher)):
        return True
    variants = [(set(variant), len(variant), total)
                for variant, total in zip(index.variants[target], index.variant_weight[target], strict=True)
                if total > 0]
    idf_of, unseen = index.title_idf.get, index.unseen_idf
    for ta, tb in an.sent_tokens:
        words = {an.terms[k] for k in range(ta, tb) if an.content[k]}
        for terms, length, total in variants:
            matched = terms & words
            # a little slack, as the narrowing of title matches allows: the same shares, summed otherwise
            if (matched and (length < 3 or len(matched) >= 2)
                    and sum(idf_of(t, unseen) for t in matched) / total >= MIN_COVERAGE - 1e-9):
                return True
    if not any(bool(np.any(period_articles(index, ref) == target)) for ref in find_time_refs(an.text, ctx.day)):
        return False
    # a period holds many articles, and a text read as written today refers to recent ones often ("this
    # year"): only those closest to the referring sentence become candidates, as ranked here (the text's
    # vectors, kept on the analysis, serve generate after)
    named: list[int] = []
    _time_candidates(an, index, ctx, lambda start, end, article: named.append(article))
    return target in named


def _title_matches(sentence_positions: list[dict[str, list[int]]], index: LinkIndex) -> list[list[int]]:
    """Per sentence, the articles worth checking by title: those sharing a rare title word with it
    (one in no more than ``_postings_cap`` titles: terms in very many titles, "update", "guide",
    cannot find an article on their own) and having a title or slug the sentence could cover by
    ``MIN_COVERAGE``, by two words or more when it has three. A superset of what the exact check keeps."""
    # a few hundred sentences at a time: the products grow with articles times sentences, and a
    # 5 MB draft's 40,000 sentences at once took 400 MB more than the rest of its suggesting
    return [matches for at in range(0, len(sentence_positions), _TITLE_SENTENCES)
            for matches in _title_matches_of(sentence_positions[at:at + _TITLE_SENTENCES], index)]


def _title_matches_of(sentence_positions: list[dict[str, list[int]]], index: LinkIndex) -> list[list[int]]:
    tm = index.title_matrix
    out: list[list[int]] = [[] for _ in sentence_positions]
    cap = _postings_cap(index.size)
    entries = [(si, tm.column[t]) for si, positions in enumerate(sentence_positions) for t in positions
               if t in tm.column]
    rare = [(si, col) for si, col in entries if tm.postings[col] <= cap]
    if not rare:
        return out
    sentences = len(sentence_positions)

    def presence(pairs: list[tuple[int, int]]) -> sparse.csr_matrix:
        rows, cols = zip(*pairs, strict=True)
        return sparse.csr_matrix((np.ones(len(pairs)), (rows, cols)), shape=(sentences, len(tm.column)))

    # marks, not np.unique: these sets run to hundreds of thousands on a large archive
    holds_rare = np.zeros(tm.weights.shape[0], dtype=bool)
    holds_rare[tm.holders[:, sorted({col for _, col in rare})].indices] = True
    rare_rows = np.flatnonzero(holds_rare)
    # which sentences each article shares a rare word with, as article * sentences + sentence
    hits = (tm.weights[rare_rows] @ presence(rare).T).tocoo()
    shared = tm.article[rare_rows[hits.row]] * sentences + hits.col
    # every variant of those articles, whichever of them holds the rare word
    gathered = np.zeros(index.size, dtype=bool)
    gathered[tm.article[rare_rows]] = True
    articles = np.flatnonzero(gathered)
    starts, lengths = tm.first_row[articles], tm.first_row[articles + 1] - tm.first_row[articles]
    # the rows of those articles, in order: each article has lengths[i] consecutive rows from starts[i]
    rows = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(int(lengths.sum()))
    cover = (tm.weights[rows] @ presence(entries).T).tocoo()
    counts = np.floor(cover.data / tm.COUNT_UNIT)
    coverage = cover.data - counts * tm.COUNT_UNIT
    variant_rows = rows[cover.row]
    # a little slack: the exact check sums the same shares in another order
    keep = (coverage >= MIN_COVERAGE - 1e-9) & ((tm.length[variant_rows] < 3) | (counts >= 2))
    pairs = np.unique(tm.article[variant_rows[keep]] * sentences + cover.col[keep])
    for key in pairs[np.isin(pairs, shared)]:
        out[int(key % sentences)].append(int(key // sentences))
    return out


def _balanced_end(text: str, start: int, end: int) -> int:
    """``end``, moved past a closing bracket that the span opened ("Robotic Process Automation (RPA)")."""
    if end < len(text):
        for opening, closing in ("()", "[]"):
            if text[end] == closing and text.count(opening, start, end) > text.count(closing, start, end):
                return end + 1
    return end


def _time_candidates(an: Analysis, index: LinkIndex, ctx: Context,
                     add: Callable[[int, int, int], Candidate | None]) -> None:
    refs = find_time_refs(an.text, ctx.day)
    if not refs:
        return
    queries = text_queries(an, index.vectors)
    # the sentences that refer to each period, compared with its articles in one product: a long
    # text says "this year" or "today" in hundreds of sentences
    periods: dict[tuple[float, float], tuple[np.ndarray, dict[int, None]]] = {}
    for ref in refs:
        if (ref.lo, ref.hi) not in periods:
            periods[(ref.lo, ref.hi)] = (ctx.allowed_among(period_articles(index, ref)), {})
        periods[(ref.lo, ref.hi)][1][an.sentence_at(ref.start)] = None
    best: dict[tuple[int, float, float], list[int]] = {}
    for (lo, hi), (articles, sentences) in periods.items():
        if not len(articles):
            continue
        # the sentence says what the earlier piece was about; the draft as a whole, less sharply
        ordered = list(sentences)
        step = max(1, _TIME_PAIRS // len(articles))
        to_draft: np.ndarray | None = None
        for a in range(0, len(ordered), step):
            chunk = ordered[a:a + step]
            rows = [[s + 1] * len(articles) for s in chunk]
            if to_draft is None:
                # the draft's row goes with the first sentences: most texts need one product in all
                sims = index.vectors.similarities(queries, [*rows, [0] * len(articles)], articles)
                to_sentences, to_draft = sims[:-1], sims[-1]
            else:
                to_sentences = index.vectors.similarities(queries, rows, articles)
            for sentence, to_sentence in zip(chunk, to_sentences, strict=True):
                fit = to_sentence + 0.5 * to_draft
                order = np.argsort(-fit, kind="stable")[:PER_TIME_REF]
                best[(sentence, lo, hi)] = [int(articles[k]) for k in order if fit[k] >= TIME_MIN_SIM]
    for ref in refs:
        for rank, target in enumerate(best.get((an.sentence_at(ref.start), ref.lo, ref.hi), ())):
            cand = add(ref.start, ref.end, target)
            if cand is not None:
                cand.from_time, cand.time_rank = True, rank


def _window(matched: list[str], positions: dict[str, list[int]], index: LinkIndex, title_len: int
            ) -> tuple[int, int, list[str]] | None:
    """The tightest run of tokens holding the most title weight: pivot on the rarest matched
    term, then take each other term's nearest occurrence within reach."""
    reach = title_len + 4
    pivot_term = max(matched, key=index.idf)
    best: tuple[float, int, int, int, list[str]] | None = None
    for p in positions[pivot_term]:
        lo = hi = p
        used = [pivot_term]
        weight = index.idf(pivot_term)
        for t in matched:
            if t == pivot_term:
                continue
            q = min(positions[t], key=lambda x: abs(x - p))
            if abs(q - p) <= reach:
                lo, hi = min(lo, q), max(hi, q)
                used.append(t)
                weight += index.idf(t)
        key = (weight, -(hi - lo), -p)
        if best is None or key > (best[0], -(best[2] - best[1]), -best[3]):
            best = (weight, lo, hi, p, used)
    if best is None:
        return None
    return best[1], best[2] + 1, best[4]
