"""The dataclasses every pipeline stage passes along.

Offsets: ``Document.text`` is the plain text of a draft; everything that leaves linkdesk
(suggestions, placeholders, findings) carries offsets into the *source* string as given,
computed through :meth:`Document.source_span`.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_left
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = [
    "Article",
    "ArticleOutcome",
    "DeclinedLink",
    "Document",
    "Element",
    "Finding",
    "IngestReport",
    "OutLink",
    "Placeholder",
    "Rejection",
    "SourceItem",
    "Suggestion",
    "Withdrawal",
    "Zone",
]

_BLANK_LINE = re.compile(r"\n[ \t]*\r?\n")

Format = Literal["markdown", "html", "text"]
ZoneKind = Literal[
    "heading", "paragraph", "quote", "list", "code", "link", "byline", "placeholder", "html", "table"
]


@dataclass
class Article:
    """One archive record, as in the DESIGN.md contract. ``url`` is its identity."""

    url: str
    title: str
    body: str = ""
    format: Format = "markdown"
    published: str | None = None
    section: str | None = None
    tags: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    id: str | None = None
    aliases: list[str] = field(default_factory=list)

    def to_record(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class OutLink:
    """A link found in a body: anchor text, where it is (source and plain-text offsets), where it goes."""

    anchor: str
    href: str
    src_start: int
    src_end: int
    text_start: int
    text_end: int


@dataclass(frozen=True)
class Zone:
    """A region of the plain text with a structural role. ``start``/``end`` are plain-text offsets."""

    kind: ZoneKind
    start: int
    end: int


@dataclass(frozen=True)
class Element:
    """Inline markup around part of the plain text: emphasis, or an HTML element. ``start``/``end``
    are plain-text offsets of what it holds, ``src_start``/``src_end`` its source span with the
    markup. A link may hold an element whole or sit inside it; across its edge the markup breaks."""

    start: int
    end: int
    src_start: int
    src_end: int


@dataclass
class Document:
    """A parsed draft or article body.

    ``src_start[i]``/``src_end[i]`` give the source span that produced plain-text char ``i``
    (an entity like ``&#8217;`` yields one char spanning the whole entity). Characters
    linkdesk adds between blocks map to an empty span at the end of the previous block.
    """

    source: str
    format: Format
    text: str
    src_start: array
    src_end: array
    zones: list[Zone]
    links: list[OutLink]
    elements: list[Element] = field(default_factory=list)
    # each element's plain-text edges in order, built on first use: (offset, index into elements)
    _edges: list[tuple[int, int]] | None = field(default=None, init=False, repr=False, compare=False)

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a plain-text span ``[start, end)`` to the source span that produced it."""
        if end <= start:
            pos = self.src_start[start] if start < len(self.text) else len(self.source)
            return pos, pos
        return self.src_start[start], self.src_end[end - 1]

    def link_span(self, start: int, end: int) -> tuple[int, int] | None:
        """The source span a link around the plain text ``[start, end)`` wraps, or None where a link
        there would reach over a block, a table cell or a blank line, or cut across an element's edge
        ("**Chief Officer** (CIO)" as one anchor needs its "**" inside the link, "The **Web Team"
        cannot be linked)."""
        if any(a == b for a, b in zip(self.src_start[start:end], self.src_end[start:end], strict=True)):
            return None  # it holds a break linkdesk put between blocks or table cells
        src_start, src_end = self.source_span(start, end)
        if self.format == "markdown" and _BLANK_LINE.search(self.source, src_start, src_end):
            return None  # a blank line ends a Markdown paragraph, and a raw HTML block, with the link in it
        if self._edges is None:
            self._edges = sorted((edge, k) for k, el in enumerate(self.elements) for edge in (el.start, el.end))
        # an element with no edge within the span lies outside it or holds it whole
        lo = bisect_left(self._edges, (start, -1))
        hi = bisect_left(self._edges, (end + 1, -1))
        for k in {k for _, k in self._edges[lo:hi]}:
            el = self.elements[k]
            if el.end <= start or end <= el.start or (el.start <= start and end <= el.end):
                continue  # beside the link, or holding it
            if start <= el.start and el.end <= end:
                src_start, src_end = min(src_start, el.src_start), max(src_end, el.src_end)  # held whole
            else:
                return None
        return src_start, src_end

    def text_span(self, start: int, end: int) -> tuple[int, int]:
        """The plain-text span produced by the source span ``[start, end)`` (inverse of :meth:`source_span`)."""
        return bisect_left(self.src_start, start), bisect_left(self.src_end, end) + 1 if end > start else \
            bisect_left(self.src_start, start)


@dataclass
class Suggestion:
    """A proposed link. ``start``/``end`` are offsets into the draft source as given."""

    kind: Literal["internal", "external"]
    anchor: str
    start: int
    end: int
    target_url: str
    target_title: str
    score: float
    reasons: list[str] = field(default_factory=list)
    outlet: str | None = None
    outlet_label: str | None = None
    # external only: the next-best catalog items for the same place, best first
    alternatives: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        if self.kind == "internal":
            for key in ("outlet", "outlet_label", "alternatives"):
                data.pop(key)
        return data


@dataclass
class SourceItem:
    """One piece of outside coverage in the source catalog. ``url`` is its identity.

    ``context`` is text around it that is not its own: for a link the archive already cites, the
    anchor and the sentence it sits in.
    """

    url: str
    title: str
    outlet: str | None = None
    published: str | None = None
    summary: str = ""
    context: str = ""
    origin: str = ""

    def to_record(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Placeholder:
    """A leftover editorial note found in a draft. ``start``/``end`` span the note in the source."""

    start: int
    end: int
    text: str
    kind: Literal["internal", "external", "other"]
    anchor: str | None = None
    description: str | None = None
    outlets: list[str] = field(default_factory=list)
    resolved: Suggestion | None = None
    gap: dict[str, Any] | None = None
    pattern: str = ""
    # the note's span in the plain text, for the pipeline (not part of the JSON contract)
    text_start: int = -1
    text_end: int = -1

    def to_json(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "kind": self.kind,
            "anchor": self.anchor,
            "resolved": self.resolved.to_json() if self.resolved else None,
            "gap": self.gap,
        }


@dataclass
class Finding:
    """A lint finding: a rule, its severity and where in the source it applies."""

    rule: str
    severity: Literal["error", "warning", "info"]
    message: str
    start: int | None = None
    end: int | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ArticleOutcome:
    """What a job over the archive (relink, check) made of one article, or why it could not read it
    (``error``): the job reports it and goes on."""

    url: str
    title: str
    published: str | None
    error: str | None = field(default=None, kw_only=True)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"url": self.url, "title": self.title, "published": self.published}
        if self.error is not None:
            out["error"] = self.error
        else:
            out.update(self.payload())
        return out

    def payload(self) -> dict[str, Any]:
        """The job's own findings for a readable article."""
        return {}


@dataclass
class Withdrawal:
    """An article taken out of the archive (retracted, unpublished, removed for legal reasons): it is
    never suggested, a later export that still holds it does not bring it back, and a link to it is
    an error in the lint. ``addresses`` are its address and aliases as URL keys; ``linked_from`` the
    archive articles whose links still lead to it (url, title), which an editor should change."""

    url: str
    title: str
    reason: str
    withdrawn_at: str
    addresses: list[str] = field(default_factory=list)
    linked_from: list[dict[str, str]] = field(default_factory=list)

    def when_and_why(self) -> str:
        """How messages say it: "withdrawn from the archive on 2026-11-30 (retracted)"."""
        return f"withdrawn from the archive on {self.withdrawn_at[:10]}" + (f" ({self.reason})" if self.reason else "")

    def named(self) -> str:
        """How messages name it: its title, or its address when it was kept out unseen."""
        return f'"{self.title}"' if self.title else self.url

    def to_json(self) -> dict[str, Any]:
        return {"url": self.url, "title": self.title, "reason": self.reason, "withdrawn_at": self.withdrawn_at,
                "addresses": self.addresses, "linked_from": self.linked_from}


@dataclass
class RemovedSource:
    """An outside address taken out of the source catalog (a retracted wire story, a feed item added
    by mistake): never suggested, kept out of later ``sources add`` runs, and a draft citing it is
    told in the lint. ``title`` is the catalog's headline for it, empty when it was not in the catalog."""

    url: str
    title: str
    reason: str
    removed_at: str

    def when_and_why(self) -> str:
        """How messages say it: "removed from the source catalog on 2026-11-30 (retracted)"."""
        return f"removed from the source catalog on {self.removed_at[:10]}" + (f" ({self.reason})" if self.reason
                                                                                else "")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class DeclinedLink:
    """An editor's decision that ``source`` should not link to ``target_url``: whatever words would
    carry it, that link is not suggested there again (by ``suggest``, ``relink``, ``inbound`` or the
    HTTP API). ``source`` is an archive article's address or a draft's ``id`` as the suggestions
    named it; ``anchor`` the words it was offered at, kept for the record."""

    source: str
    target_url: str
    anchor: str
    reason: str
    declined_at: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Rejection:
    """An input record that could not be used, and why. ``where`` is "file:line" or similar."""

    where: str
    reason: str

    @classmethod
    def from_error(cls, where: str, error: Exception) -> Rejection:
        """``error`` as the reason, less the ``where: `` its message may already begin with."""
        return cls(where, str(error).removeprefix(f"{where}: "))

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    # updated from a record at a new address that names the old one among its aliases
    moved: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    rejected: list[Rejection] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def skip(self, reason: str, n: int = 1) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + n

    def count(self, status: str) -> None:
        """Count one write by the status the store gave it: "added", "updated", "moved" or "unchanged"."""
        setattr(self, status, getattr(self, status) + 1)

    @property
    def ok(self) -> bool:
        return not self.rejected

    def to_json(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "updated": self.updated,
            "moved": self.moved,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "rejected": [str(r) for r in self.rejected],
            "warnings": self.warnings,
        }
