"""Inbound links: which articles already in the archive should link to a given one, or to each of its
orphans (:func:`orphans_inbound`, a job over the archive as relinking is).

The reverse of suggesting for a draft. When the desk publishes a piece (or finds an orphan), the
articles that mention what it is about are found with the archive's full-text index, each is run
through the same pipeline as a draft would be, and the mention the ranker scores best for the
given article, where the editorial policy allows a link, is its suggestion.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..batch import run_over_archive
from ..config import load_config
from ..errors import IndexMissingError, InputError, NotFoundError
from ..index.linkindex import LinkIndex
from ..model import ArticleOutcome, Suggestion
from ..store import with_archive
from ..store.base import Store, StoredArticle
from ..text.normalize import STOPWORDS, WORD_RE, term
from ..text.parse import parse
from .candidates import Context, may_name
from .pipeline import Draft, Ranked, Suggester, article_draft, choose, draft_context, rank_spotted, spot_draft
from .policy import Policy
from .spot import analyze

__all__ = ["Inbound", "InboundFor", "InboundLink", "OrphansInbound", "inbound_links", "orphans_inbound"]

log = logging.getLogger(__name__)

# how many articles using the target's words are read closely, best full-text matches first
SOURCES = 200
# how many of the rarest words of the target's title and anchors make up the wider full-text query:
# a long OR query of common words matches most of the archive and is slow
QUERY_WORDS = 16
# an article's stand-in before its body is parsed, for the fields the pipeline's context reads
_NO_BODY = parse("", "text")


@dataclass
class InboundLink:
    """A link to add to an archive article (``source_url``); offsets are into its stored body."""

    source_url: str
    source_title: str
    source_published: str | None
    suggestion: Suggestion

    def to_json(self) -> dict[str, Any]:
        return {"source_url": self.source_url, "source_title": self.source_title,
                "source_published": self.source_published, **self.suggestion.to_json()}


@dataclass
class Inbound:
    """Where the archive could link to one article: ``links`` at or above ``threshold``, best first;
    ``below`` more articles whose best place for it scored under the threshold (best ``best_below``)."""

    url: str
    title: str
    threshold: float
    searched: int
    links: list[InboundLink] = field(default_factory=list)
    below: int = 0
    best_below: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {"url": self.url, "title": self.title, "threshold": self.threshold,
                "articles_searched": self.searched, "links": [link.to_json() for link in self.links],
                "below_threshold": self.below, "best_below_threshold": self.best_below}


def inbound_links(store: Store, suggester: Suggester, url: str, limit: int = 20,
                  threshold: float | None = None, sources: int = SOURCES) -> Inbound:
    """Archive articles that should link to the article at ``url``: at most one link per article,
    none in an article that links there already. Zones, first mention and spacing follow the
    policy; the per-100-words cap does not, as the editor asks for this one link."""
    index = suggester.index
    withdrawn = suggester.withdrawn.find(url)
    if withdrawn is not None:
        raise NotFoundError(f"{url}: {withdrawn.when_and_why()}")
    target = index.lookup_url(url)
    if target is None:
        if store.get_article(url) is None:
            raise NotFoundError(f"{url}: not in the archive")
        raise IndexMissingError(f"{url}: not in the link index yet; run `linkdesk index` (`--no-train`: seconds)")
    if target in suggester.never:
        raise InputError(f"{url}: the editorial policy never suggests it (policy.never_suggest or "
                         "policy.never_sections)")
    policy = _one_link_policy(suggester)
    # the articles using the title or a phrase the desk has linked it with, then those using their
    # rarest words; articles ingested since the last index are read too, as a new piece can link to
    # an older one
    phrases = [index.titles[target], *(key for key, counts in index.anchors.items() if target in counts)]
    hits = dict.fromkeys(h for h, _ in store.search(phrases, limit=sources + 1))
    for h, _ in store.search(_rarest_words(phrases, index.idf), limit=sources + 1):
        hits.setdefault(h)
    found: list[InboundLink] = []
    searched = 0
    for article in store.get_articles(list(hits)[:sources + 1]):
        if index.lookup_url(article.url) == target:
            continue
        searched += 1
        # links as ingest resolved them, so one to an old permalink of the target counts
        if any(link["target_url"] and index.lookup_url(link["target_url"]) == target
               for link in store.article_links(article.id)):
            continue
        # most articles cannot name it at all, which their stored text tells without parsing the body
        # again (the stored text is what this parser made of it: `linkdesk index` re-reads the rest)
        analysis = analyze(article.text, article.title)
        if not may_name(analysis, index, suggester.view, _context_of(article, suggester), target):
            continue
        draft = article_draft(article)
        spotted = spot_draft(draft, index, suggester.view, suggester.excluded(draft), analysis)
        # only the target's candidates are wanted, but their features read the others
        if not any(c.target == target for c in spotted.cands):
            continue
        ranked = rank_spotted(spotted, index, suggester.ranker, suggester.view, {target})
        found.extend(InboundLink(article.url, article.title, article.published, suggestion)
                     for suggestion in _best_place(ranked, target, index, policy))
    inbound = _ranked_places(index.urls[target], index.titles[target], suggester.threshold(threshold), searched,
                             found, limit)
    log.info("inbound for %s: %d articles searched, %d places, %d at or above %.3f", url, searched,
             len(found), len(inbound.links), inbound.threshold)
    return inbound


def _context_of(article: StoredArticle, suggester: Suggester) -> Context:
    # what spot_draft reads article_draft(article) in (its day, section and the articles it must not
    # link), from the stored fields: the body is parsed only for the articles that pass
    unparsed = Draft(_NO_BODY, id=article.url, url=article.url, title=article.title, section=article.section)
    return draft_context(unparsed, suggester.index, suggester.excluded(unparsed))


def _one_link_policy(suggester: Suggester) -> Policy:
    # zones, first mention and spacing as configured; not the density cap, as the editor asks for one link
    return Policy.from_config(suggester.config, max_links_per_100_words=0, max_links=0)


def _best_place(ranked: Ranked, target: int, index: LinkIndex, policy: Policy) -> list[Suggestion]:
    """The policy's one place in ``ranked``'s text for a link to ``target``, whatever its score (so that
    a result can say what scored under the threshold); none when no mention of it may carry one."""
    keep = [k for k, c in enumerate(ranked.cands) if c.target == target]
    only = Ranked(ranked.draft, [ranked.cands[k] for k in keep], ranked.X[keep], ranked.scores[keep],
                  [ranked.items[k] for k in keep])
    return choose(only, index, policy, 0.0)


def _ranked_places(url: str, title: str, cut: float, searched: int, found: list[InboundLink],
                   limit: int) -> Inbound:
    found.sort(key=lambda link: (-link.suggestion.score, link.source_url))
    above = [link for link in found if link.suggestion.score >= cut]
    below = found[len(above):]
    return Inbound(url, title, cut, searched, above[:limit] if limit > 0 else above, len(below),
                   below[0].suggestion.score if below else None)


@dataclass
class InboundFor(ArticleOutcome):
    """One archive article (an orphan) with the places other articles could link to it, or why it
    could not be asked about (``error``: not in the index yet, say)."""

    inbound: Inbound | None = None

    def payload(self) -> dict[str, Any]:
        found = self.inbound.to_json() if self.inbound is not None else {}
        return {key: value for key, value in found.items() if key not in ("url", "title")}


@dataclass
class OrphansInbound:
    """Where the archive could link to each of its orphans (``orphans``, newest first), from one read
    of its ``articles_read`` articles; ``unreadable`` those the pipeline failed on."""

    orphans: list[InboundFor]
    articles_read: int
    unreadable: list[ArticleOutcome] = field(default_factory=list)


@dataclass
class _PlacesIn(ArticleOutcome):
    # one archive article's best place for each orphan it could link to: (orphan, suggestion)
    places: list[tuple[int, Suggestion]] = field(default_factory=list)


@dataclass(frozen=True)
class _OrphanPlacesJob:
    """Each article read once for all orphans (their positions in the index) at the same time: a
    question per orphan would read the same articles again for each."""

    orphans: frozenset[int]
    uses_sources = False

    def run(self, store: Store, suggester: Suggester, article: StoredArticle) -> _PlacesIn:
        out = _PlacesIn(article.url, article.title, article.published)
        index = suggester.index
        draft = article_draft(article)
        spotted = spot_draft(draft, index, suggester.view, suggester.excluded(draft))
        wanted = sorted({c.target for c in spotted.cands} & self.orphans)
        if wanted:
            ranked = rank_spotted(spotted, index, suggester.ranker, suggester.view, set(wanted))
            policy = _one_link_policy(suggester)
            out.places = [(t, s) for t in wanted for s in _best_place(ranked, t, index, policy)]
        return out

    def failed(self, article: StoredArticle, error: str) -> _PlacesIn:
        return _PlacesIn(article.url, article.title, article.published, error=error)


def orphans_inbound(db: str, config: dict[str, Any] | None = None, section: str | None = None, newest: int = 0,
                    limit: int = 20, threshold: float | None = None, jobs: int = 1,
                    progress: Callable[[int, int], None] | None = None,
                    ray_address: str | None = None) -> OrphansInbound:
    """Where the archive could link to each of its orphans (``section``'s; the ``newest`` N, 0: all),
    newest first: for each, as :func:`inbound_links` answers for one, except that every archive
    article is read (once, for all orphans), not the best full-text matches. ``jobs``,
    ``progress(n, total)`` (articles read) and ``ray_address`` as for
    :func:`~linkdesk.batch.run_over_archive`."""
    cfg = config or load_config()

    def plan(store: Store) -> tuple[list[StoredArticle], list[int], dict[int, int], float]:
        suggester = Suggester(store, cfg, sources=False)
        chosen = store.orphans(section, newest)
        positions = {a.id: p for a in chosen if (p := suggester.index.lookup_url(a.url)) is not None}
        return chosen, [a.id for a in store.iter_articles()], positions, suggester.threshold(threshold)

    # the suggester is let go before the workers load theirs: with one job, the worker is this process
    chosen, sources, positions, cut = with_archive(db, plan)
    found: dict[int, list[InboundLink]] = {p: [] for p in positions.values()}
    report = OrphansInbound([], 0)
    for item in run_over_archive(db, cfg, sources, _OrphanPlacesJob(frozenset(found)), jobs, progress,
                                 ray_address):
        report.articles_read += 1
        if item.error is not None:
            report.unreadable.append(ArticleOutcome(item.url, item.title, item.published, error=item.error))
        for target, suggestion in item.places:
            found[target].append(InboundLink(item.url, item.title, item.published, suggestion))
    for article in chosen:
        out = InboundFor(article.url, article.title, article.published)
        if article.id in positions:
            out.inbound = _ranked_places(article.url, article.title, cut, report.articles_read - 1,
                                         found[positions[article.id]], limit)
        else:
            out.error = "not in the link index yet; run `linkdesk index` (`--no-train`: seconds)"
        report.orphans.append(out)
    return report


def _rarest_words(phrases: list[str], idf: Callable[[str], float]) -> list[str]:
    """The rarest words of ``phrases``, for a full-text query that is quick to run."""
    words: dict[str, str] = {}
    for text in phrases:
        for word in WORD_RE.findall(text):
            t = term(word)
            if t not in STOPWORDS and len(t) > 1 and not t.isdigit():
                words.setdefault(t, word)
    return [words[t] for t in sorted(words, key=lambda t: (-idf(t), t))[:QUERY_WORDS]]
