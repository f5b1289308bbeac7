"""Applying what an editor reviewed: the suggestions of an earlier ``suggest --json`` line (or
``/suggest`` answer, or ``relink --json`` line) with the rejected ones taken out, inserted as they
are, without asking the model again.

Running the suggester again and keeping suggestions by number is not the same: an index rebuilt,
a source added or a link declined in between changes what the numbers point at. Here each kept
suggestion is checked against the draft instead (its offsets must still hold its anchor), so a draft
edited since the review is reported, never linked at the wrong words.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from .archive import withdrawn_by_address
from .batch import linked_record
from .errors import BadRecordError, InputError
from .ingest.jsonl import read_objects
from .model import Document, Placeholder, Rejection, RemovedSource, Suggestion, Withdrawal
from .sources.catalog import removed_by_address
from .store.base import Store
from .suggest.pipeline import Draft, DraftResult, article_draft
from .text.normalize import is_web_address, url_key

__all__ = ["Unlinkable", "read_reviews", "review_for", "reviewed_records", "reviewed_result", "unlinkable_by",
           "unlinkable_in"]

#: why an address must not be linked any more (withdrawn from the archive, removed from the source
#: catalog), or None: what happened since the review that the review cannot have known
Unlinkable = Callable[[str], str | None]

_KINDS = ("internal", "external")
_NOTE_KINDS = ("internal", "external", "other")


def reviewed_result(draft: Draft, reviewed: object, where: str = "the reviewed suggestions",
                    unlinkable: Unlinkable | None = None) -> DraftResult:
    """The result of a review of ``draft``: ``{"suggestions": [...], "placeholders": [...]}`` as
    ``suggest --json`` writes them, each kept suggestion checked against the draft, and against
    ``unlinkable`` when given (a target withdrawn since). A note is removed only if the suggestion
    that resolves it was kept. Raises :class:`BadRecordError` naming the first suggestion or note
    that does not fit."""
    if not isinstance(reviewed, Mapping):
        raise BadRecordError(where, "not a JSON object")
    doc = draft.doc
    suggestions = [_suggestion(item, f"suggestions[{i}]", where, doc)
                   for i, item in enumerate(_items(reviewed, "suggestions", where))]
    for i, s in enumerate(suggestions):
        why = unlinkable(s.target_url) if unlinkable is not None else None
        if why is not None:
            raise BadRecordError(f"{where}: suggestions[{i}]", f"its target {s.target_url} was {why} after the "
                                                               "review: take it out, or ask for suggestions again")
    ordered = sorted(range(len(suggestions)), key=lambda i: suggestions[i].start)
    for i, j in itertools.pairwise(ordered):
        if suggestions[j].start < suggestions[i].end:
            raise BadRecordError(where, f"suggestions[{i}] and suggestions[{j}] overlap "
                                        f"({suggestions[i].anchor!r}, {suggestions[j].anchor!r}): one link per place")
    notes = [_placeholder(item, f"placeholders[{i}]", where, doc, suggestions)
             for i, item in enumerate(_items(reviewed, "placeholders", where, required=False))]
    for j, note in enumerate(notes):
        for i, s in enumerate(suggestions):
            if note.resolved is not None and s.start < note.end and note.start < s.end:
                raise BadRecordError(where, f"suggestions[{i}] ({s.anchor!r}) lies in placeholders[{j}], the note "
                                            "its resolution removes")
    return DraftResult(draft.id, sorted(suggestions, key=lambda s: s.start), notes)


def read_reviews(path: str) -> Iterator[tuple[str, Mapping[str, Any]] | Rejection]:
    """``(where, review)`` for each line of a JSONL file of reviews (``suggest --json`` or ``relink
    --json`` lines); a line that is not a JSON object with a ``suggestions`` list is a Rejection."""
    for item in read_objects(path):
        if isinstance(item, Rejection):
            yield item
            continue
        where, record = item
        if not isinstance(record, dict):
            yield Rejection(where, "not a JSON object")
        elif not isinstance(record.get("suggestions"), list):
            yield Rejection(where, "suggestions: " + ("missing" if "suggestions" not in record else "not a list"))
        else:
            yield where, record


def reviewed_records(store: Store, path: str) -> Iterator[dict[str, Any] | Rejection]:
    """For each line of a reviewed ``relink --json`` file (``url`` and the kept ``suggestions``), the
    article's standard record with those links inserted, as ``relink --out`` writes them; a line whose
    article is no longer in the archive, or whose links no longer fit its stored text, is a Rejection
    naming it, as is one that keeps a link to an article withdrawn or a source removed since, and the
    others go on. A line with no suggestion left gives no record."""
    unlinkable = unlinkable_in(store)
    for item in read_reviews(path):
        if isinstance(item, Rejection):
            yield item
            continue
        where, review = item
        url = review.get("url")
        if not isinstance(url, str) or not is_web_address(url):
            yield Rejection(where, "url: " + ("missing" if url is None else f"{url!r} is not an archive address"))
            continue
        article = store.get_article(url)
        if article is None:
            withdrawn = store.withdrawal(url)
            yield Rejection(where, f"{url}: " + (withdrawn.when_and_why() if withdrawn else "not in the archive"))
            continue
        draft = article_draft(article)
        try:
            result = reviewed_result(draft, review, where, unlinkable)
        except BadRecordError as exc:
            yield Rejection(exc.where, exc.reason)
            continue
        if result.suggestions:
            yield linked_record(article, draft, result)


def unlinkable_in(store: Store) -> Unlinkable:
    """What the archive in ``store`` says must not be linked now: its withdrawn articles (by any of
    their addresses) and the addresses removed from its source catalog."""
    return unlinkable_by(withdrawn_by_address(store), removed_by_address(store))


def unlinkable_by(withdrawn: Mapping[str, Withdrawal], removed: Mapping[str, RemovedSource]) -> Unlinkable:
    """:data:`Unlinkable` over withdrawals and catalog removals by URL key, as a suggester holds them."""
    def why(url: str) -> str | None:
        key = url_key(url)
        gone: Withdrawal | RemovedSource | None = withdrawn.get(key) or removed.get(key)
        return gone.when_and_why() if gone is not None else None

    return why


def review_for(path: str, draft: Draft) -> tuple[str, Mapping[str, Any]]:
    """The review of ``draft`` in ``path``: the line whose ``id`` is the draft's, or the file's one
    line when it names no draft. Raises :class:`InputError` when there is none or the file is bad."""
    reviews: list[tuple[str, Mapping[str, Any]]] = []
    for item in read_reviews(path):
        if isinstance(item, Rejection):
            raise InputError(f"{item.where}: {item.reason}")
        reviews.append(item)
    found = [(where, r) for where, r in reviews if r.get("id") == draft.id]
    if not found and len(reviews) == 1 and reviews[0][1].get("id") is None:
        found = reviews
    if len(found) == 1:
        return found[0]
    if found:
        raise InputError(f"{path}: {len(found)} reviews of {draft.id!r}; keep one")
    ids = ", ".join(repr(r.get("id")) for _, r in reviews[:5])
    raise InputError(f"{path}: no review of {draft.id!r}" + (f" (it reviews {ids})" if ids else " (the file is empty)"))


def _items(record: Mapping[str, Any], name: str, where: str, required: bool = True) -> list[Any]:
    value = record.get(name)
    if value is None and not required:
        return []
    if not isinstance(value, list):
        raise BadRecordError(where, f"{name}: " + ("missing" if value is None else "not a list"))
    return value


def _field(item: Mapping[str, Any], name: str, kind: type | tuple[type, ...], where: str, default: Any = ...) -> Any:
    value = item.get(name, default)
    if value is ...:
        raise BadRecordError(where, f"{name}: missing")
    # JSON true/false are Python ints too: never an offset or a score
    if value is not default and (not isinstance(value, kind) or isinstance(value, bool)):
        raise BadRecordError(where, f"{name}: not {_KIND_NAMES.get(kind, 'valid')}")
    return value


_KIND_NAMES: dict[Any, str] = {str: "a string", int: "a whole number", (int, float): "a number", list: "a list"}


def _suggestion(item: object, name: str, where: str, doc: Document) -> Suggestion:
    if not isinstance(item, Mapping):
        raise BadRecordError(where, f"{name}: not a JSON object")
    at = f"{where}: {name}"
    kind = _field(item, "kind", str, at)
    if kind not in _KINDS:
        raise BadRecordError(at, f"kind: {kind!r} is neither 'internal' nor 'external'")
    anchor, start, end = _field(item, "anchor", str, at), _field(item, "start", int, at), _field(item, "end", int, at)
    target_url = _field(item, "target_url", str, at)
    if not (is_web_address(target_url) or target_url.startswith("/")):
        raise BadRecordError(at, f"target_url: {target_url!r} is not a web address")
    suggestion = Suggestion(kind, anchor, start, end, target_url,
                            target_title=_field(item, "target_title", str, at, ""),
                            score=float(_field(item, "score", (int, float), at, 0.0)),
                            reasons=[str(r) for r in _field(item, "reasons", list, at, [])],
                            outlet=_field(item, "outlet", str, at, None),
                            outlet_label=_field(item, "outlet_label", str, at, None))
    _check_place(suggestion, at, doc)
    return suggestion


def _check_place(s: Suggestion, at: str, doc: Document) -> None:
    """The draft must still read the anchor at the suggestion's offsets, outside its own links."""
    if not 0 <= s.start < s.end <= len(doc.source):
        raise BadRecordError(at, f"offsets {s.start}-{s.end} are outside the draft ({len(doc.source)} characters)")
    a, b = doc.text_span(s.start, s.end)
    if doc.text[a:b] != s.anchor:
        raise BadRecordError(at, f"the text reads {doc.text[a:b][:80]!r} at {s.start}-{s.end}, not the anchor "
                                 f"{s.anchor!r}: was it edited after the review? Ask for suggestions again")
    for link in doc.links:
        if link.src_start < s.end and s.start < link.src_end:
            raise BadRecordError(at, f"{s.anchor!r} at {s.start}-{s.end} is inside the draft's own link to {link.href}")


def _placeholder(item: object, name: str, where: str, doc: Document, kept: list[Suggestion]) -> Placeholder:
    if not isinstance(item, Mapping):
        raise BadRecordError(where, f"{name}: not a JSON object")
    at = f"{where}: {name}"
    start, end, text = _field(item, "start", int, at), _field(item, "end", int, at), _field(item, "text", str, at)
    kind = _field(item, "kind", str, at, "other")
    if kind not in _NOTE_KINDS:
        raise BadRecordError(at, f"kind: {kind!r} is not one of {', '.join(_NOTE_KINDS)}")
    if not (0 <= start < end <= len(doc.source) and doc.source[start:end] == text):
        raise BadRecordError(at, f"the draft does not hold this note at {start}-{end} ({text[:60]!r}): "
                                 "was it edited after the review? Ask for suggestions again")
    resolved = item.get("resolved")
    if resolved is not None and not isinstance(resolved, Mapping):
        raise BadRecordError(at, "resolved: not a JSON object")
    # the note goes only with the link that resolves it; a rejected resolution leaves it in place
    link = next((s for s in kept if resolved is not None and s.start == resolved.get("start")
                 and s.end == resolved.get("end") and s.target_url == resolved.get("target_url")), None)
    return Placeholder(start, end, text, kind, anchor=_field(item, "anchor", str, at, None), resolved=link,
                       gap=item.get("gap") if isinstance(item.get("gap"), dict) else None)
