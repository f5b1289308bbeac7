"""The archive checked as a desk checks a draft before publishing: the same lint rules over every
published article (links that cannot work, internal links to no article, outlets the policy rates
low or blocks, leftover notes that went out with the story, ...), so that a desk can mend what its
archive already shows readers. Notes are resolved against the archive as for a draft. A job over
the archive like relinking (:mod:`.batch`): in this process, several, or on a Ray cluster.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from .archive import select_articles
from .batch import run_over_archive
from .errors import InputError
from .lint import RULES, SEVERITIES
from .model import ArticleOutcome, Finding, Placeholder
from .store import with_archive
from .store.base import Store, StoredArticle
from .suggest.pipeline import Suggester, article_draft

__all__ = ["CheckJob", "CheckSummary", "Checked", "check_archive", "summarize"]


@dataclass
class Checked(ArticleOutcome):
    """One archive article's findings (offsets into its stored body), or why it could not be read."""

    findings: list[Finding] = field(default_factory=list)
    placeholders: list[Placeholder] = field(default_factory=list)

    def payload(self) -> dict[str, Any]:
        return {"findings": [f.to_json() for f in self.findings],
                "placeholders": [p.to_json() for p in self.placeholders]}


@dataclass(frozen=True)
class CheckJob:
    """An article's lint findings of ``rules`` (all when empty) at ``min_severity`` or above."""

    rules: frozenset[str] = frozenset()
    min_severity: str = "info"

    def run(self, store: Store, suggester: Suggester, article: StoredArticle) -> Checked:
        draft = article_draft(article)
        notes = suggester.notes(draft)
        floor = SEVERITIES.index(self.min_severity)
        findings = [f for f in suggester.lint(draft.doc, notes)
                    if SEVERITIES.index(f.severity) >= floor and (not self.rules or f.rule in self.rules)]
        return Checked(article.url, article.title, article.published, findings=findings,
                       placeholders=notes if not self.rules or "leftover-note" in self.rules else [])

    def failed(self, article: StoredArticle, error: str) -> Checked:
        return Checked(article.url, article.title, article.published, error=error)


def check_archive(db: str, config: dict[str, Any] | None = None, section: str | None = None,
                  since: str | None = None, rules: Sequence[str] = (), min_severity: str = "info",
                  jobs: int = 1, progress: Callable[[int, int], None] | None = None,
                  ray_address: str | None = None) -> Iterator[Checked]:
    """Every article of the archive at ``db`` of ``section`` published on or after ``since``, in stored
    order, with its findings of ``rules`` (all when empty) at ``min_severity`` or above. An article
    that cannot be read is reported (``error``) and the check goes on. ``jobs``, ``progress`` and
    ``ray_address`` as for :func:`~linkdesk.batch.run_over_archive`."""
    if min_severity not in SEVERITIES:
        raise InputError(f"severity must be one of {', '.join(SEVERITIES)}")
    unknown = sorted(set(rules) - set(RULES))
    if unknown:
        raise InputError(f"no such lint rule: {', '.join(unknown)} (the rules: {', '.join(RULES)})")
    ids = [a.id for a in with_archive(db, lambda store: select_articles(store, section, since))]
    return run_over_archive(db, config, ids, CheckJob(frozenset(rules), min_severity), jobs, progress, ray_address)


@dataclass
class CheckSummary:
    """What a check found, by rule: how many findings and in how many articles."""

    articles: int = 0
    with_findings: int = 0
    unreadable: int = 0
    findings: Counter[str] = field(default_factory=Counter)
    articles_by_rule: Counter[str] = field(default_factory=Counter)
    worst: str | None = None

    def add(self, checked: Checked) -> None:
        self.articles += 1
        if checked.error is not None:
            self.unreadable += 1
            return
        if checked.findings:
            self.with_findings += 1
        for f in checked.findings:
            self.findings[f.rule] += 1
            if self.worst is None or SEVERITIES.index(f.severity) > SEVERITIES.index(self.worst):
                self.worst = f.severity
        self.articles_by_rule.update({f.rule for f in checked.findings})

    def to_json(self) -> dict[str, Any]:
        return {"articles": self.articles, "with_findings": self.with_findings, "unreadable": self.unreadable,
                "worst": self.worst,
                "by_rule": {rule: {"findings": n, "articles": self.articles_by_rule[rule]}
                            for rule, n in self.findings.most_common()}}


def summarize(results: Iterator[Checked], keep: Callable[[Checked], None] | None = None) -> CheckSummary:
    """The summary of ``results``, each also handed to ``keep`` as it comes (to print or store it)."""
    summary = CheckSummary()
    for checked in results:
        summary.add(checked)
        if keep is not None:
            keep(checked)
    return summary
