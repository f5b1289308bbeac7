"""The suggestion pipeline, top to bottom: parse → spot → candidates → features → rank → policy.

:func:`index_archive` builds the index and trains the ranker once per archive;
:class:`Suggester` then runs drafts through the stages with what it loaded.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Container, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..archive import withdrawn_by_address
from ..config import load_config, processes
from ..errors import IndexMissingError, InputError
from ..index.linkindex import (
    LinkIndex,
    build_index,
    draft_day,
    index_summary,
    load_index,
    load_ranker,
    save_index,
)
from ..index.vectors import titled
from ..ingest import reread_stale
from ..lint import lint
from ..model import Document, Finding, Placeholder, Suggestion, Withdrawal
from ..placeholders import NoteResolver, find_notes, patterns_from_config
from ..render import apply_suggestions
from ..sources.catalog import add_sources, removed_by_address
from ..sources.external import ExternalSuggester
from ..sources.outlets import OutletTable
from ..store.base import ChangedArticle, Store, StoredArticle, minute, newest_first
from ..text.normalize import link_scope, source_key, url_key
from ..text.parse import parse
from .candidates import AnchorView, Candidate, Context, generate
from .features import LAYOUT, featurize, reasons_for
from .policy import Policy, Scored, Spans, apart, select
from .ranker import Ranker, train
from .related import Related, related_articles
from .spot import Analysis, analyze

__all__ = ["ArticlesSinceIndex", "DeclinedLinks", "Draft", "DraftResult", "Ranked", "Spotted", "Suggester",
           "WithdrawnArticles", "apply_result", "article_draft", "choose", "draft_context",
           "index_archive", "index_is_current", "lint_draft", "rank_draft", "rank_spotted", "spot_draft"]

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


def article_draft(article: StoredArticle) -> Draft:
    """An archive article read as a draft written today, to relink it or find where it could link to
    another: never to itself, with no date, so that the whole archive, newer pieces too, is there."""
    return Draft(parse(article.body, article.format), id=article.url, url=article.url, title=article.title,
                 section=article.section)


@dataclass
class DraftResult:
    id: str | None
    suggestions: list[Suggestion] = field(default_factory=list)
    placeholders: list[Placeholder] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    #: related coverage for a box beside the draft, when asked for (None: not asked)
    related: list[Related] | None = None

    def keeping(self, indices: Sequence[int]) -> DraftResult:
        """The result with only the suggestions at ``indices`` (what an editor accepted): a note
        whose resolution was not kept stays in the draft, unresolved."""
        if any(not 0 <= i < len(self.suggestions) for i in indices):
            raise InputError(f"suggestion numbers must be between 0 and {len(self.suggestions) - 1}")
        chosen = set(indices)
        kept = [s for i, s in enumerate(self.suggestions) if i in chosen]
        notes = [p if p.resolved is None or any(p.resolved is s for s in kept) else replace(p, resolved=None)
                 for p in self.placeholders]
        return DraftResult(self.id, kept, notes, list(self.findings), self.related)

    def to_json(self) -> dict[str, Any]:
        out = {
            "id": self.id,
            "suggestions": [s.to_json() for s in self.suggestions],
            "placeholders": [p.to_json() for p in self.placeholders],
            "findings": [f.to_json() for f in self.findings],
        }
        if self.related is not None:
            out["related"] = [r.to_json() for r in self.related]
        return out


@dataclass
class Ranked:
    """Every scored candidate of one draft, before the editorial policy picks."""

    draft: Draft
    cands: list[Candidate]
    X: np.ndarray
    scores: np.ndarray
    items: list[Scored]


def index_archive(store: Store, config: dict[str, Any] | None = None,
                  progress: Callable[[int, int], None] | None = None, train_ranker: bool = True,
                  jobs: int | None = None) -> dict[str, Any]:
    """Build the link index from the archive, train the ranker on its links, store both.
    ``progress(done, total)`` follows the re-reading of articles an older parser made, if any.
    Without ``train_ranker``, the ranker saved with the last index is kept (seconds instead of a
    minute on a few thousand articles, about a seventh of the time at 100,000): articles published
    since become suggestible at once, and their links count in the phrase and target statistics;
    there must be one this linkdesk can use. ``jobs``: processes for the training (default: the
    config's ``[index] jobs``)."""
    cfg = config or load_config()
    jobs = jobs or processes(cfg["index"]["jobs"])
    t0 = time.perf_counter()
    kept: tuple[list[str], Ranker] | None = None
    retrain: str | None = None
    if not train_ranker:
        try:
            # only the old index's addresses are needed, not two indexes in memory at once
            kept = load_ranker(store, LAYOUT, Ranker.from_state)
        except IndexMissingError as exc:
            raise IndexMissingError(f"no ranker to keep (--no-train): {exc}") from exc
    # text an older parser made would be learned from as it is
    reread = reread_stale(store, progress=progress)
    index = build_index(store, keep_training_data=kept is None)
    t1 = time.perf_counter()
    min_links = int(cfg["suggest"]["min_training_links"])
    if kept is None:
        ranker = train(index, min_links=min_links, blocked=_blocked_in_archive(store, index, Policy.from_config(cfg)),
                       jobs=jobs)
    else:
        ranker = kept[1].carried_over(kept[0], index)
        log.info("kept the ranker trained on the archive as of %s", ranker.info.get("trained_at") or "(unknown)")
        if ranker.kind == "fallback" and index.n_links >= min_links:
            advice = (f"the archive now has {index.n_links} internal links, enough to learn from (at least "
                      f"{min_links}): run `linkdesk index` to train a ranker")
            log.warning("%s", advice)
            retrain = advice
    t2 = time.perf_counter()
    # the archive's own citations keep the source catalog current; before the index is saved, as a
    # running server loads the catalog again when it sees a new index
    cited = add_sources(store, [], cfg, include_archive=True)
    save_index(store, index, ranker, LAYOUT)
    return {
        "sources_from_archive": {"added": cited.added, "updated": cited.updated},
        "reread": reread,
        "articles": index.size,
        "internal_links": index.n_links,
        "anchor_phrases": len(index.anchors),
        "ranker": ranker.kind,
        "ranker_trained": kept is None,
        "retrain": retrain,
        "threshold": ranker.threshold,
        "training": ranker.info,
        "seconds": {"index": round(t1 - t0, 2), "train": round(t2 - t1, 2),
                    "save": round(time.perf_counter() - t2, 2)},
    }


def index_is_current(store: Store, train_ranker: bool = False) -> bool:
    """Whether `linkdesk index` has nothing to do: the saved index is one this linkdesk can use, and no
    article was added or changed since it read the archive (a job run every few minutes asks first);
    with ``train_ranker``, its ranker was also trained on the archive as it read it (not kept from an
    earlier one by `--no-train`)."""
    summary = index_summary(store)
    return (summary is not None and summary.current(LAYOUT)
            and (not train_ranker or summary.trained_at == summary.read_at))


def _blocked_in_archive(store: Store, index: LinkIndex, policy: Policy) -> Callable[[int], list[tuple[int, int]]]:
    """For training: where in archive article ``i`` the policy would allow no link (its headings,
    quotes, code, links to elsewhere, ...), from the zones stored with its text. Its own links to
    the archive stay open: they are what the replay asks for. The stored text and zones must be this
    parser's (:func:`index_archive` re-reads first)."""
    gold = index.gold or {}

    def blocked(i: int) -> list[tuple[int, int]]:
        own = Spans([(g.start, g.end) for g in gold.get(i, ())])
        return [(z.start, z.end) for z in policy.off_limits(store.article_zones(index.ids[i]))
                if z.kind != "link" or own.clear(z.start, z.end)]
    return blocked


@dataclass
class Spotted:
    """A draft's candidates before they are scored: what the features read them in."""

    draft: Draft
    analysis: Analysis
    context: Context
    cands: list[Candidate]


def draft_context(draft: Draft, index: LinkIndex, excluded: Collection[int] = ()) -> Context:
    """What ``draft`` may be offered of the archive: every article but itself and the index's
    ``excluded`` ones (withdrawn, declined for it, never suggested by policy)."""
    exclude: set[int] = set(excluded)
    if draft.url:
        own = index.lookup_url(draft.url)
        if own is not None:
            exclude.add(own)
    return Context(draft_day(draft.published), draft.section, None, exclude)


def spot_draft(draft: Draft, index: LinkIndex, view: AnchorView, excluded: Collection[int] = (),
               analysis: Analysis | None = None) -> Spotted:
    """The draft's candidates: never the draft itself, nor the index's ``excluded`` articles (withdrawn
    ones, those editors declined for it). ``analysis``: of the draft's text, if already made."""
    if analysis is None or analysis.text != draft.doc.text or analysis.title != draft.title:
        analysis = analyze(draft.doc.text, draft.title)
    ctx = draft_context(draft, index, excluded)
    return Spotted(draft, analysis, ctx, generate(analysis, index, view, ctx))


def rank_draft(draft: Draft, index: LinkIndex, ranker: Ranker, view: AnchorView,
               excluded: Collection[int] = ()) -> Ranked:
    return rank_spotted(spot_draft(draft, index, view, excluded), index, ranker, view)


def rank_spotted(spotted: Spotted, index: LinkIndex, ranker: Ranker, view: AnchorView,
                 targets: Container[int] | None = None) -> Ranked:
    """The draft's candidates scored; with ``targets``, only the candidates of those articles (their
    features still read all the others)."""
    draft, doc, cands = spotted.draft, spotted.draft.doc, spotted.cands
    X = featurize(spotted.analysis, cands, index, view, spotted.context, targets)
    if targets is not None:
        keep = [k for k, c in enumerate(cands) if c.target in targets]
        cands, X = [cands[k] for k in keep], X[keep]
    scores = ranker.score(X)
    items = [Scored(c.start, c.end, url_key(index.urls[c.target]), doc.text[c.start:c.end], float(s))
             for c, s in zip(cands, scores, strict=False)]
    return Ranked(draft, cands, X, scores, items)


def choose(ranked: Ranked, index: LinkIndex, policy: Policy, threshold: float,
           blocked: list[tuple[int, int]] | None = None, taken: set[str] | None = None,
           reserved: int = 0, uncounted: Sequence[tuple[int, int]] = ()) -> list[Suggestion]:
    """The editorial policy's picks as suggestions, in document order, offsets into the source.
    ``blocked`` plain-text spans and ``taken`` target URLs (keys) are already spoken for."""
    doc = ranked.draft.doc
    existing = {url_key(link.href) for link in doc.links} | (taken or set())
    if policy.respect_existing_links:
        # the draft's own links to the site count against the cap; its citations of outside sources,
        # in-page anchors ("#results") and images do not
        reserved += sum(1 for link in doc.links if link_scope(link.href, index.site_hosts) == "site")
    out = []
    for i, decided in select(doc, ranked.items, policy, threshold, existing, blocked, reserved, uncounted):
        c = ranked.cands[i]
        span = doc.link_span(c.start, c.end)
        assert span is not None, "select() picks only spans a link can wrap"
        start, end = span
        reasons = reasons_for(ranked.X[i], c, index)
        if decided != i:
            reasons.append(f"the first mention of these words; a later one scored {ranked.scores[decided]:.2f}")
        out.append(Suggestion(
            kind="internal", anchor=doc.text[c.start:c.end], start=start, end=end,
            target_url=index.urls[c.target], target_title=index.titles[c.target],
            score=round(float(ranked.scores[decided]), 4), reasons=reasons,
        ))
    return out


@dataclass(frozen=True)
class WithdrawnArticles:
    """The archive's withdrawn articles as the suggester needs them: by each of their addresses (URL
    key), for the lint of links to them, and as the articles of the index never to suggest, since
    the index may have been built before they were withdrawn."""

    by_address: dict[str, Withdrawal]
    targets: frozenset[int]
    #: the store's stamp of the last withdrawal or restoration these reflect
    changed: str | None

    @classmethod
    def read(cls, store: Store, index: LinkIndex) -> WithdrawnArticles:
        changed = store.changed("withdrawals")
        by_address = withdrawn_by_address(store) if changed else {}
        # an address of a withdrawn article may have become another article's alias since: only an
        # article whose own address was withdrawn is left out
        targets = frozenset(a for key in by_address if (a := index.url_index.get(key)) is not None
                            and url_key(index.urls[a]) in by_address)
        return cls(by_address, targets, changed)

    def find(self, url: str) -> Withdrawal | None:
        return self.by_address.get(url_key(url))


@dataclass(frozen=True)
class ArticlesSinceIndex:
    """The articles added or changed since the index read the archive (``by_address``: by each of
    their addresses). The suggester does not know them until the next ``linkdesk index``, but a
    draft's link to one is a link to an archive article all the same."""

    by_address: dict[str, ChangedArticle]
    #: the store's stamp of the last article write these reflect
    changed: str | None
    #: what every answer says of them (None when there are none), made once, not once a draft
    notice: Finding | None

    @classmethod
    def read(cls, store: Store, index: LinkIndex) -> ArticlesSinceIndex:
        changed = store.changed("articles")
        # no write since the index read the archive: nothing to look for (an archive older than the
        # stamp has none, and is looked through once)
        written_since = changed is None or index.read_at is None or changed > index.read_at
        by_address = store.changed_since(index.read_at) if written_since else {}
        return cls(by_address, changed, _stale_notice(by_address, index.read_at))


def _stale_notice(by_address: dict[str, ChangedArticle], read_at: str | None) -> Finding | None:
    articles = newest_first(by_address)
    if not articles:
        return None
    since = f" (read {minute(read_at)})" if read_at else ""
    return Finding("stale-index", "info",
                   f"{len(articles)} article(s) added or changed since the index was built{since}, the newest "
                   f"'{articles[0].title[:80]}': they are not suggested yet; run `linkdesk index` (or `linkdesk "
                   "index --no-train`, which keeps the ranker and takes seconds)")


@dataclass(frozen=True)
class DeclinedLinks:
    """The links editors declined, as the suggester needs them: by source (an article's address or a
    draft's id, :func:`~linkdesk.text.normalize.source_key`), the targets not to offer there, by URL
    key, each with its address as declined (what an outside source is known by)."""

    by_source: dict[str, dict[str, str]]
    #: the store's stamp of the last decline or forgotten decline these reflect
    changed: str | None

    @classmethod
    def read(cls, store: Store) -> DeclinedLinks:
        changed = store.changed("declines")
        by_source: dict[str, dict[str, str]] = {}
        for d in store.declined() if changed else ():
            by_source.setdefault(source_key(d.source), {})[url_key(d.target_url)] = d.target_url
        return cls(by_source, changed)

    def for_draft(self, draft: Draft) -> dict[str, str]:
        """The targets declined for ``draft``, by its address or its id."""
        out: dict[str, str] = {}
        for name in {source_key(name) for name in (draft.url, draft.id) if name}:
            out.update(self.by_source.get(name, {}))
        return out


class Suggester:
    """Loaded once (index, ranker, config), then called per draft. Without ``sources``, the source
    catalog's search is not built (a second or more on a large catalog): for work that resolves no
    notes and suggests no outside sources, such as relinking or inbound links."""

    def __init__(self, store: Store, config: dict[str, Any] | None = None, *, sources: bool = True) -> None:
        self.config = config or load_config()
        self.with_sources = sources
        self.index, self.ranker = load_index(store, LAYOUT, Ranker.from_state)
        self.view = self.ranker.view(self.index)
        self.withdrawn = WithdrawnArticles.read(store, self.index)
        self.declined = DeclinedLinks.read(store)
        self._read_since_index(store)
        #: the archive articles the editorial policy never suggests (a subscription page, sponsored content)
        self.never = Policy.from_config(self.config).never_offered(self.index.urls, self.index.sections)
        self.outlets = OutletTable.from_config(self.config)
        self.patterns = patterns_from_config(self.config)
        self._load_sources(store)

    def _load_sources(self, store: Store) -> None:
        # the stamp first: a catalog write that lands while this loads is read again at the next look
        self.sources_changed = store.changed("sources")
        self.removed_sources = removed_by_address(store)
        sources = (ExternalSuggester(store, self.config, self.index.site_hosts)
                   if self.with_sources and store.count_sources() else None)
        self.sources, self.resolver = sources, NoteResolver(self.index, sources, self.outlets,
                                                            float(self.config["placeholders"]["min_score"]))

    def _read_since_index(self, store: Store) -> None:
        self.since_index = ArticlesSinceIndex.read(store, self.index)
        #: every address (URL key) of the archive: an article ingested since the index is in it, though
        #: not suggested yet
        self.archive_addresses: Container[str] = (self.index.url_index.keys() | self.since_index.by_address.keys()
                                                  if self.since_index.by_address else self.index.url_index)

    def threshold(self, override: float | None = None) -> float:
        if override is not None:
            return override
        configured = self.config["suggest"]["threshold"]
        return self.ranker.threshold if configured == "auto" else float(configured)

    def notices(self) -> list[Finding]:
        out = []
        if self.ranker.kind == "fallback":
            out.append(Finding("fallback-scorer", "info",
                               f"the archive has too few links to learn from ({self.ranker.info.get('reason')}); "
                               "suggestions come from the unsupervised scorer"))
        if self.sources is None:
            out.append(Finding("no-source-catalog", "info",
                               "the source catalog is empty: no external sources are suggested "
                               "(add some with `linkdesk sources add`)"))
        if self.index.size == 0:
            out.append(Finding("empty-archive", "warning", "the archive is empty: no internal links can be suggested"))
        if self.since_index.notice is not None:
            out.append(self.since_index.notice)
        return out

    def excluded(self, draft: Draft) -> set[int]:
        """The index articles never to offer in ``draft``: withdrawn ones, those the policy never
        suggests, and those editors declined there."""
        declined = self.declined.for_draft(draft)
        return set(self.withdrawn.targets) | self.never | {a for key in declined
                                                          if (a := self.index.url_index.get(key)) is not None}

    def internal(self, draft: Draft, threshold: float | None = None, max_links: int | None = None,
                 blocked: list[tuple[int, int]] | None = None, taken: set[str] | None = None,
                 reserved: int = 0, uncounted: Sequence[tuple[int, int]] = ()) -> list[Suggestion]:
        policy = Policy.from_config(self.config, max_links=max_links)
        ranked = rank_draft(draft, self.index, self.ranker, self.view, self.excluded(draft))
        return choose(ranked, self.index, policy, self.threshold(threshold), blocked, taken, reserved, uncounted)

    def notes(self, draft: Draft) -> list[Placeholder]:
        """The draft's leftover notes, link notes resolved (or turned into content gaps)."""
        if not self.with_sources:
            raise RuntimeError("this suggester was loaded without the source catalog (sources=False), "
                               "so it cannot resolve notes")
        doc = draft.doc
        notes = find_notes(doc, self.outlets, self.patterns)
        own = self.index.lookup_url(draft.url) if draft.url else None
        exclude = self.excluded(draft) | ({own} if own is not None else set())
        used: set[str] = {link.href for link in doc.links} | set(self.declined.for_draft(draft).values())
        for note in notes:
            if note.kind == "internal":
                self.resolver.internal(doc, note, exclude)
            elif note.kind == "external":
                self.resolver.external(doc, note, draft.published, draft.title, used)
            if note.resolved is not None:
                used.add(note.resolved.target_url)
                target = self.index.lookup_url(note.resolved.target_url)
                if target is not None:
                    exclude.add(target)
        return notes

    def run(self, draft: Draft, threshold: float | None = None, max_links: int | None = None,
            related: int | None = None) -> DraftResult:
        """Notes first (what the desk asked for explicitly), then internal and external suggestions
        around them, then the lint of the draft as it stands; and ``related`` articles for a box
        beside it (the configured ``related.count`` when None; none when 0), other than those it
        links or is suggested to."""
        count = int(self.config["related"]["count"]) if related is None else related
        result = DraftResult(draft.id, related=[] if count > 0 else None)
        doc = draft.doc
        if not doc.text.strip():
            result.findings.append(Finding("empty-draft", "warning", "the draft has no text"))
            return result
        notes = self.notes(draft)
        resolved = [n.resolved for n in notes if n.resolved is not None]
        note_spans = [(n.text_start, n.text_end) for n in notes]
        # no suggestion lands on or right beside the link a note asked for, nor an outside link
        # beside an internal one
        blocked = note_spans + [apart(doc.text, *doc.text_span(s.start, s.end)) for s in resolved]
        taken = {url_key(s.target_url) for s in resolved}
        internal = self.internal(draft, threshold, max_links, blocked, taken, len(resolved), note_spans)
        external: list[Suggestion] = []
        if self.sources is not None:
            beside = blocked + [apart(doc.text, *doc.text_span(s.start, s.end)) for s in internal]
            declined = set(self.declined.for_draft(draft).values())
            external = self.sources.suggest(doc, draft.title, draft.published, blocked=beside,
                                            exclude={s.target_url for s in resolved} | declined, skip=note_spans)
        result.placeholders = notes
        result.suggestions = sorted(resolved + internal + external, key=lambda s: s.start)
        result.findings = self.lint(doc, notes, result.suggestions)
        result.findings.extend(self.notices())
        if count > 0:
            result.related = self.related(draft, count, [s.target_url for s in result.suggestions])
        return result

    def related(self, draft: Draft, count: int, linked: Sequence[str] = ()) -> list[Related]:
        """The ``count`` archive articles most related to ``draft``, for a box beside it: none it
        links to already, nor any of ``linked`` (the addresses it is suggested to link)."""
        index = self.index
        skip = {a for url in [*linked, *(link.href for link in draft.doc.links)]
                if (a := index.lookup_url(url)) is not None}
        query = index.vectors.transform([titled(draft.title, draft.doc.text)])
        cfg = self.config["related"]
        return related_articles(query, index, draft_context(draft, index, self.excluded(draft)), count,
                                float(cfg["min_score"]), skip, float(cfg["half_life_days"]))

    def lint(self, doc: Document, notes: Sequence[Placeholder] = (),
             suggestions: Sequence[Suggestion] = ()) -> list[Finding]:
        """The lint of ``doc`` with this archive's checks: its internal links against the archive."""
        return lint(doc, self.config, self.outlets, notes, suggestions, archive_urls=self.archive_addresses,
                    site_hosts=self.index.site_hosts, moved_to=self.index.moved_to,
                    withdrawn=self.withdrawn.by_address, removed_sources=self.removed_sources)

    def refresh(self, store: Store) -> None:
        """Take in what changed in the archive since this suggester was loaded that needs no new index:
        articles withdrawn or restored, links declined or allowed again, items added to the source
        catalog (a wire feed polled through the day), and which articles were ingested since the index
        (known to the lint, announced as not suggested yet). A running server calls it when it looks
        for a new index."""
        if store.changed("withdrawals") != self.withdrawn.changed:
            self.withdrawn = WithdrawnArticles.read(store, self.index)
        if store.changed("declines") != self.declined.changed:
            self.declined = DeclinedLinks.read(store)
        if store.changed("articles") != self.since_index.changed:
            self._read_since_index(store)
        if store.changed("sources") != self.sources_changed:
            self._load_sources(store)


def apply_result(draft: Draft, result: DraftResult) -> str:
    """The draft's source with the result's links inserted and the notes they resolve removed."""
    resolved = [p for p in result.placeholders if p.resolved is not None]
    return apply_suggestions(draft.doc.source, draft.doc.format, result.suggestions, remove=resolved, doc=draft.doc)


def lint_draft(draft: Draft, config: dict[str, Any], suggester: Suggester | None = None) -> DraftResult:
    """The pre-publish check: with an archive (``suggester``), notes are resolved and links checked
    against it; without one, the checks that need only the draft and the outlet policy."""
    if suggester is not None:
        return suggester.run(draft)
    result = DraftResult(draft.id)
    outlets = OutletTable.from_config(config)
    result.placeholders = find_notes(draft.doc, outlets, patterns_from_config(config))
    result.findings = lint(draft.doc, config, outlets, result.placeholders)
    result.findings.append(Finding("no-archive", "info", "no archive given: notes are not resolved and internal "
                                                         "links are not checked against the archive"))
    return result
