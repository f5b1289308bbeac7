"""Inbound links: which articles already in the archive should link to a given one, or to each of its
orphans (:func:`orphans_inbound`, a job over the archive as relinking is).

The reverse of suggesting for a draft. When the desk publishes a piece (or finds an orphan), the
articles that mention what it is about are found with the archive's full-text index, each is run
through the same pipeline as a draft would be, and the mention the ranker scores best for the
given article, where the editorial policy allows a link, is its suggestion.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..batch import run_over_archive
from ..errors import IndexMissingError, NotFoundError
from ..model import ArticleOutcome, Suggestion
from ..store import with_archive
from ..store.base import Store, StoredArticle
from ..text.normalize import STOPWORDS, WORD_RE, term
from .pipeline import Ranked, Suggester, article_draft, choose, rank_spotted, spot_draft
from .policy import Policy

__all__ = ["Inbound", "InboundFor", "InboundJob", "InboundLink", "inbound_links", "orphans_inbound"]

log = logging.getLogger(__name__)

# how many articles using the target's words are read closely, best full-text matches first
SOURCES = 200
# how many of the rarest words of the target's title and anchors make up the wider full-text query:
# a long OR query of common words matches most of the archive and is slow
QUERY_WORDS = 16


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
        raise IndexMissingError(f"{url}: not in the link index yet; run `linkdesk index`")
    policy = Policy.from_config(suggester.config, max_links_per_100_words=0, max_links=0)
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
        draft = article_draft(article)
        spotted = spot_draft(draft, index, suggester.view, suggester.withdrawn.targets)
        # only the target's candidates are wanted, but their features read the others
        if not any(c.target == target for c in spotted.cands):
            continue
        ranked = rank_spotted(spotted, index, suggester.ranker, suggester.view)
        keep = [k for k, c in enumerate(ranked.cands) if c.target == target]
        only = Ranked(draft, [ranked.cands[k] for k in keep], ranked.X[keep], ranked.scores[keep],
                      [ranked.items[k] for k in keep])
        # every article's best place, whatever its score, so that the result can say what was left out
        found.extend(InboundLink(article.url, article.title, article.published, suggestion)
                     for suggestion in choose(only, index, policy, 0.0))
    found.sort(key=lambda link: (-link.suggestion.score, link.source_url))
    cut = suggester.threshold(threshold)
    above = [link for link in found if link.suggestion.score >= cut]
    below = found[len(above):]
    log.info("inbound for %s: %d articles searched, %d places, %d at or above %.3f", url, searched,
             len(found), len(above), cut)
    return Inbound(index.urls[target], index.titles[target], cut, searched,
                   above[:limit] if limit > 0 else above, len(below),
                   below[0].suggestion.score if below else None)


@dataclass
class InboundFor(ArticleOutcome):
    """One archive article (an orphan) with the places other articles could link to it, or why it
    could not be asked about (``error``: not in the index yet, say)."""

    inbound: Inbound | None = None

    def payload(self) -> dict[str, Any]:
        found = self.inbound.to_json() if self.inbound is not None else {}
        return {key: value for key, value in found.items() if key not in ("url", "title")}


@dataclass(frozen=True)
class InboundJob:
    """:func:`inbound_links` for each article, as a job over the archive."""

    limit: int = 20
    threshold: float | None = None

    def run(self, store: Store, suggester: Suggester, article: StoredArticle) -> InboundFor:
        return InboundFor(article.url, article.title, article.published,
                          inbound=inbound_links(store, suggester, article.url, self.limit, self.threshold))

    def failed(self, article: StoredArticle, error: str) -> InboundFor:
        return InboundFor(article.url, article.title, article.published, error=error)


def orphans_inbound(db: str, config: dict[str, Any] | None = None, section: str | None = None, newest: int = 0,
                    limit: int = 20, threshold: float | None = None, jobs: int = 1,
                    progress: Callable[[int, int], None] | None = None,
                    ray_address: str | None = None) -> Iterator[InboundFor]:
    """Where the archive could link to each of its orphans (``section``'s; the ``newest`` N, 0: all),
    newest first, as :func:`inbound_links` finds it for one; ``jobs``, ``progress`` and
    ``ray_address`` as for :func:`~linkdesk.batch.run_over_archive`."""
    ids = [a.id for a in with_archive(db, lambda store: store.orphans(section, newest))]
    return run_over_archive(db, config, ids, InboundJob(limit, threshold), jobs, progress, ray_address)


def _rarest_words(phrases: list[str], idf: Callable[[str], float]) -> list[str]:
    """The rarest words of ``phrases``, for a full-text query that is quick to run."""
    words: dict[str, str] = {}
    for text in phrases:
        for word in WORD_RE.findall(text):
            t = term(word)
            if t not in STOPWORDS and len(t) > 1 and not t.isdigit():
                words.setdefault(t, word)
    return [words[t] for t in sorted(words, key=lambda t: (-idf(t), t))[:QUERY_WORDS]]
