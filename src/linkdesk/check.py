"""The archive checked as a desk checks a draft before publishing: the same lint rules over every
published article (links that cannot work, internal links to no article, outlets the policy rates
low or blocks, leftover notes that went out with the story, ...), so that a desk can mend what its
archive already shows readers. Notes are resolved against the archive as for a draft.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from .archive import article_selection
from .errors import InputError
from .lint import RULES, SEVERITIES
from .model import ArticleOutcome, Finding, Placeholder
from .store.base import Store
from .suggest.pipeline import Suggester, article_draft

__all__ = ["CheckSummary", "Checked", "check_archive", "summarize"]

log = logging.getLogger(__name__)


@dataclass
class Checked(ArticleOutcome):
    """One archive article's findings (offsets into its stored body), or why it could not be read."""

    findings: list[Finding] = field(default_factory=list)
    placeholders: list[Placeholder] = field(default_factory=list)

    def payload(self) -> dict[str, Any]:
        return {"findings": [f.to_json() for f in self.findings],
                "placeholders": [p.to_json() for p in self.placeholders]}


def check_archive(store: Store, suggester: Suggester, section: str | None = None, since: str | None = None,
                  rules: Sequence[str] = (), min_severity: str = "info",
                  progress: Callable[[int, int], None] | None = None) -> Iterator[Checked]:
    """Every article of ``section`` published on or after ``since``, in stored order, with its findings
    of ``rules`` (all when empty) at ``min_severity`` or above. An article that cannot be read is
    reported (``error``) and the check goes on. ``progress(1, total)`` after each article."""
    if min_severity not in SEVERITIES:
        raise InputError(f"severity must be one of {', '.join(SEVERITIES)}")
    unknown = sorted(set(rules) - set(RULES))
    if unknown:
        raise InputError(f"no such lint rule: {', '.join(unknown)} (the rules: {', '.join(RULES)})")
    floor = SEVERITIES.index(min_severity)
    wanted = set(rules)
    chosen = article_selection(section, since)
    total = sum(1 for a in store.iter_articles() if chosen(a)) if progress is not None else 0
    for article in store.iter_articles(with_body=True):
        if not chosen(article):
            continue
        checked = Checked(article.url, article.title, article.published)
        try:
            draft = article_draft(article)
            notes = suggester.notes(draft)
            findings = suggester.lint(draft.doc, notes)
        except Exception as exc:
            # one article the pipeline cannot read must not end a check of the whole archive
            log.info("check: %s failed", article.url, exc_info=True)
            checked.error = f"{type(exc).__name__}: {exc}"
        else:
            checked.findings = [f for f in findings if SEVERITIES.index(f.severity) >= floor
                                and (not wanted or f.rule in wanted)]
            checked.placeholders = notes if not wanted or "leftover-note" in wanted else []
        if progress is not None:
            progress(1, total)
        yield checked


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
