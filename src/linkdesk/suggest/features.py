"""Features per candidate pair; the same code serves training and suggesting."""

from __future__ import annotations

import math
from collections.abc import Container, Sequence

import numpy as np
from scipy import sparse

from ..index.linkindex import LinkIndex
from ..text.normalize import NORMALIZATION_VERSION
from .candidates import AnchorView, Candidate, Context
from .spot import Analysis, text_queries

__all__ = ["FEATURES", "LAYOUT", "NEIGHBORS", "WHOLE_TITLE", "featurize", "neighbor_votes", "reasons_for",
           "target_history"]

FEATURES = [
    "link_prob", "commonness", "anchor_count", "phrase_docs", "from_anchor", "from_title",
    "coverage", "span_precision", "exact_title", "title_len", "span_tokens", "matched", "matched_idf",
    "sent_coverage", "doc_coverage", "doc_sim", "sent_sim", "inbound", "age_days", "undated",
    "same_section", "rank_in_sentence", "cands_in_sentence", "targets_for_span", "position", "capitalized",
    "span_sim", "target_offered", "target_link_rate", "target_mentions", "target_best_coverage",
    "best_for_target", "first_for_target", "doc_sim_rank", "span_margin", "target_named", "target_named_link_rate",
    "sentence_share", "from_time", "time_rank", "names_url", "anchor_match", "neighbor_vote", "neighbor_links",
    "title_words", "title_written_out",
]
F = {name: i for i, name in enumerate(FEATURES)}
# What a stored index and ranker were built with (term and URL normalization, features); an index
# from a linkdesk that made them otherwise must be rebuilt.
LAYOUT = f"normalization:{NORMALIZATION_VERSION};features:" + ",".join(FEATURES)
# coverage x span precision at which a mention's words are the whole of its article's title: where
# the fixed title rule applies, and so the only place it needs to know whether the title is written out
WHOLE_TITLE = 0.9
# the most recent phrases of a target compared with a mention
MAX_PHRASES = 40
# how many of the archive's articles closest to the draft vote for the articles they link to
NEIGHBORS = 20


def featurize(an: Analysis, cands: list[Candidate], index: LinkIndex, view: AnchorView, ctx: Context,
              targets: Container[int] | None = None) -> np.ndarray:
    """One row of FEATURES per candidate, in the text's context, as for :func:`generate`. With
    ``targets``, only the rows of those articles' candidates are wanted: they come out as they would
    without it, the other rows unfinished (an article asked about is named in a few places of a text
    holding hundreds of candidates)."""
    X = np.zeros((len(cands), len(FEATURES)), dtype=np.float32)
    if not cands:
        return X
    wanted = range(len(cands)) if targets is None else [i for i, c in enumerate(cands) if c.target in targets]
    spans = sorted({(c.start, c.end) for c in cands})
    span_row = {span: 1 + len(an.sentences) + k for k, span in enumerate(spans)}
    queries = sparse.vstack([text_queries(an, index.vectors),
                             index.vectors.transform([an.text[s:e] for s, e in spans])]).tocsr()
    # the draft, each candidate's sentence and its span, against its target
    doc_sim, sent_sim, span_sim = index.vectors.similarities(
        queries, ([0] * len(cands), [c.sent + 1 for c in cands], [span_row[(c.start, c.end)] for c in cands]),
        [c.target for c in cands])
    draft_terms = {t for t, ok in zip(an.terms, an.content, strict=False) if ok}
    votes, voters = neighbor_votes(index, ctx.only_allowed(index.vectors.similarity_to_all(queries[0])))
    by_sentence: dict[int, list[int]] = {}
    by_span: dict[tuple[int, int], set[int]] = {}
    for i, c in enumerate(cands):
        by_sentence.setdefault(c.sent, []).append(i)
        by_span.setdefault((c.start, c.end), set()).add(c.target)
    rank = np.zeros(len(cands))
    for members in by_sentence.values():
        order = sorted(members, key=lambda i: -(cands[i].coverage + 0.5 * sent_sim[i]))
        for r, i in enumerate(order):
            rank[i] = r
    n_text = max(1, len(an.text))
    content_in_sentence = [sum(an.content[a:b]) for a, b in an.sent_tokens]
    # a wanted row reads the strength of the other targets' candidates at its words (span_margin)
    rows = wanted if targets is None else sorted({*wanted, *(j for i in wanted
                                                             for j in _rivals(i, cands, by_sentence))})
    for i in rows:
        c = cands[i]
        row = X[i]
        if c.phrase is not None:
            counts = view.anchors.get(c.phrase)
            total = sum(counts.values()) if counts else 0
            docs = view.phrase_docs.get(c.phrase, 0)
            row[F["link_prob"]] = min(1.0, total / docs) if docs else 0.0
            row[F["commonness"]] = counts[c.target] / total if counts and total else 0.0
            row[F["anchor_count"]] = math.log1p(counts[c.target]) if counts else 0.0
            row[F["phrase_docs"]] = math.log1p(docs)
        row[F["from_anchor"]] = c.from_anchor
        row[F["from_title"]] = c.from_title
        row[F["from_time"]] = c.from_time
        row[F["time_rank"]] = c.time_rank if c.from_time else math.nan
        row[F["names_url"]] = c.names_url
        variants = index.variants[c.target]
        # dict.fromkeys, not set: sums must not depend on string hash order, or training is not repeatable
        span_terms = list(dict.fromkeys(an.terms[k] for k in range(c.tok_a, c.tok_b) if an.content[k]))
        best_cov, best_prec, exact, title_len = 0.0, 0.0, 0.0, 0
        for vi, v in enumerate(variants):
            total_w = index.variant_total(c.target, vi)
            vset = set(v)
            inside = sum(index.idf(t) for t in span_terms if t in vset)
            span_w = sum(index.idf(t) for t in span_terms)
            cov = inside / total_w if total_w else 0.0
            if cov >= best_cov:
                best_cov, title_len = cov, len(v)
                best_prec = inside / span_w if span_w else 0.0
            if set(span_terms) == vset:
                exact = 1.0
        row[F["coverage"]] = best_cov
        # how closely the words match a phrase the desk once used for this article, if not word for word
        row[F["anchor_match"]] = _best_overlap(span_terms, view.phrases_of(c.target), index)
        row[F["span_precision"]] = best_prec
        row[F["exact_title"]] = exact
        row[F["title_len"]] = title_len
        row[F["title_words"]] = index.title_words(c.target)
        row[F["title_written_out"]] = best_cov * best_prec >= WHOLE_TITLE and _writes_out_title(an, c, index)
        row[F["span_tokens"]] = c.tok_b - c.tok_a
        row[F["matched"]] = c.matched
        row[F["matched_idf"]] = c.matched_idf
        row[F["sent_coverage"]] = c.sent_coverage
        if variants:
            v0 = variants[0]
            row[F["doc_coverage"]] = sum(1 for t in v0 if t in draft_terms) / len(v0)
        row[F["doc_sim"]] = doc_sim[i]
        row[F["sent_sim"]] = sent_sim[i]
        row[F["inbound"]] = math.log1p(view.inbound.get(c.target, 0))
        tday = index.pub_day[c.target]
        if math.isnan(tday) or math.isnan(ctx.day):
            row[F["undated"]] = 1.0
            row[F["age_days"]] = -1.0
        else:
            row[F["age_days"]] = math.log1p(max(0.0, ctx.day - tday))
        # many drafts come without a section: missing, not "different", so the model can tell
        row[F["same_section"]] = (float(index.sections[c.target] == ctx.section) if ctx.section
                                  else math.nan)
        row[F["rank_in_sentence"]] = rank[i]
        row[F["cands_in_sentence"]] = len(by_sentence[c.sent])
        row[F["targets_for_span"]] = len(by_span[(c.start, c.end)])
        row[F["position"]] = c.start / n_text
        words = an.text[c.start:c.end].split()
        row[F["capitalized"]] = sum(1 for w in words if w[:1].isupper()) / max(1, len(words))
        row[F["span_sim"]] = span_sim[i]
        row[F["neighbor_vote"]] = votes.get(c.target, 0.0)
        row[F["neighbor_links"]] = voters.get(c.target, 0)
        # a mention that is its whole sentence or list item ("Related: ...") is written to be a link
        in_sentence = content_in_sentence[c.sent]
        row[F["sentence_share"]] = sum(an.content[c.tok_a:c.tok_b]) / in_sentence if in_sentence else 0.0
    # how the draft as a whole names each target: an article named often and well is what the draft
    # is about; among its mentions, the one that names it best is where the link goes
    by_target: dict[int, list[int]] = {}
    for i, c in enumerate(cands):
        by_target.setdefault(c.target, []).append(i)
    strength = X[:, F["coverage"]] + X[:, F["span_sim"]] + X[:, F["link_prob"]] * X[:, F["commonness"]]
    for members in by_target.values():
        mentions = {(cands[i].start, cands[i].end) for i in members}
        best = max(members, key=lambda i: (strength[i], -cands[i].start))
        top_cov = max(X[i, F["coverage"]] for i in members)
        first = min(c.start for c in (cands[i] for i in members))
        for i in members:
            X[i, F["target_mentions"]] = len(mentions)
            X[i, F["target_best_coverage"]] = top_cov
            X[i, F["best_for_target"]] = float(i == best)
            X[i, F["first_for_target"]] = float(cands[i].start == first)
    # which of the draft's candidate articles it is closest to, as a share of them (0 = closest)
    target_sim = {c.target: doc_sim[i] for i, c in enumerate(cands)}
    order = sorted(target_sim, key=lambda t: -target_sim[t])
    place = {t: k / max(1, len(order) - 1) for k, t in enumerate(order)}
    # how much better this target fits its words than the best other target for the same words
    for i in wanted:
        X[i, F["doc_sim_rank"]] = place[cands[i].target]
        rivals = [strength[j] for j in _rivals(i, cands, by_sentence)]
        X[i, F["span_margin"]] = strength[i] - max(rivals) if rivals else 1.0
    target_history(X, cands, view)
    return X


def _writes_out_title(an: Analysis, c: Candidate, index: LinkIndex) -> bool:
    """Whether the text holds the whole title of ``c``'s article word for word (function words too, in
    order) where ``c`` stands: "how to present like a pro", not just "present like a pro"."""
    title = index.title_terms(c.target)
    n = len(title)
    if not n:
        return False
    for p in range(max(0, c.tok_a - n + 1), min(c.tok_b, len(an.terms) - n + 1)):
        if tuple(an.terms[p:p + n]) == title:
            return True
    return False


def _rivals(i: int, cands: Sequence[Candidate], by_sentence: dict[int, list[int]]) -> list[int]:
    """The candidates of other articles for words overlapping candidate ``i``'s."""
    c = cands[i]
    return [j for j in by_sentence[c.sent]
            if cands[j].target != c.target and cands[j].start < c.end and c.start < cands[j].end]


def target_history(X: np.ndarray, cands: Sequence[Candidate], view: AnchorView) -> None:
    """Fill the columns of ``X`` that tell how the desk has treated each candidate's target so far:
    how often it was offered and named, and linked when it was. No other feature reads them, so the
    replay of the archive can work out the rest of a row before these counts are known."""
    for row, c in zip(X, cands, strict=True):
        offered = view.offered.get(c.target, 0)
        row[F["target_offered"]] = math.log1p(offered)
        row[F["target_link_rate"]] = (view.linked.get(c.target, 0) + 0.1) / (offered + 1.0)
        named = view.named.get(c.target, 0)
        row[F["target_named"]] = math.log1p(named)
        row[F["target_named_link_rate"]] = (view.named_linked.get(c.target, 0) + 0.1) / (named + 1.0)


def neighbor_votes(index: LinkIndex, sims: np.ndarray) -> tuple[dict[int, float], dict[int, int]]:
    """What the archive's articles most like the draft (``sims``, 0 for those it cannot see) link
    to: per target, the share of their similarity that links to it, and how many of them do."""
    k = min(NEIGHBORS, len(sims))
    if not k:
        return {}, {}
    top = np.argpartition(-sims, k - 1)[:k]
    total = float(sims[top].sum())
    votes: dict[int, float] = {}
    voters: dict[int, int] = {}
    for n in top:
        if sims[n] <= 0:
            continue
        for t in index.outlinks.get(int(n), ()):
            votes[t] = votes.get(t, 0.0) + float(sims[n]) / total
            voters[t] = voters.get(t, 0) + 1
    return votes, voters


def _best_overlap(words: list[str], phrases: Sequence[frozenset[str]], index: LinkIndex) -> float:
    """The best IDF-weighted F1 between ``words`` and any of ``phrases``."""
    if not words or not phrases:
        return 0.0
    own = sum(index.idf(t) for t in words)
    best = 0.0
    for phrase in phrases[-MAX_PHRASES:]:
        shared = sum(index.idf(t) for t in words if t in phrase)
        if shared:
            # the phrase's terms in order: a set's order follows string hashes, which differ between runs
            precision, recall = shared / own, shared / sum(index.idf(t) for t in sorted(phrase))
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


def _precedent(row: np.ndarray) -> str:
    """How often the desk has linked these words, in counts an editor can weigh: twelve links among
    fifteen articles that contain the words is a strong precedent, twelve among a thousand a weak one."""
    to_this = round(math.expm1(float(row[F["anchor_count"]])))
    share = float(row[F["commonness"]])
    total = round(to_this / share) if share else to_this
    docs = round(math.expm1(float(row[F["phrase_docs"]])))
    where = "every time" if to_this == total else f"{to_this} of them"
    said = f"the desk has linked these words {total} time{'' if total == 1 else 's'} ({where} to this article)"
    held = f"{docs} archive article contains them" if docs == 1 else f"{docs} archive articles contain them"
    return said + (f"; {held}" if docs else "")


def reasons_for(row: np.ndarray, c: Candidate, index: LinkIndex) -> list[str]:
    """Plain-language reasons an editor can check, from the features that drove the score."""
    out = []
    if c.names_url:
        out.append("the draft spells out this article's address")
    if c.from_time:
        out.append(f"refers to earlier coverage by date; this article ran then (published {index.published(c.target)})"
                   + (" and is the closest to the sentence" if c.time_rank == 0 else ""))
    if c.from_anchor:
        out.append(_precedent(row))
    if row[F["exact_title"]]:
        out.append("names the article's title")
    elif row[F["coverage"]] >= 0.5:
        out.append(f"covers {row[F['coverage']]:.0%} of the article's title by weight")
    if row[F["sent_sim"]] >= 0.15:
        out.append(f"sentence is about the same thing (similarity {row[F['sent_sim']]:.2f})")
    if row[F["doc_sim"]] >= 0.15:
        out.append(f"draft is on the same subject (similarity {row[F['doc_sim']]:.2f})")
    inbound = int(index.inbound[c.target])
    if inbound >= 5:
        out.append(f"a well-linked article ({inbound} inbound links)")
    if row[F["same_section"]] == 1.0:
        out.append("same section")
    if not out:
        out.append("matches the article's title words")
    return out
