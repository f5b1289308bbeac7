"""Leftover editorial notes in drafts: find them, read what they ask for, resolve the link notes.

The pattern set (:data:`PATTERNS`) covers the notes desks and writing tools leave behind:

==================  =========================================================================
name                example
==================  =========================================================================
link_note           (Internal Link Suggestion: Link "harbor tunnel" to your earlier article…)
                    [External link: a reputable source such as Reuters that covered …]
                    any wording of internal/external/outbound link (suggestion/note/idea…),
                    parenthesised or bracketed, quoted anchor optional, straight or curly quotes
link_request        [link to the council budget story]   [add link for the 2023 audit]
insert_link         [INSERT LINK]   [link here]   [add external link]
html_link_comment   <!-- link: the ferry fare story -->
citation_needed     [citation needed]   (it asks for an outside source for the sentence before)
image_note          (Image suggestion: a ferry at the Eastbank dock)   [Photo: …]
seo_line            Meta description: …   Focus keyword: …   SEO title: …   (a whole line)
todo                [TODO: check figure]   (FACT CHECK)   [TBD]
tk                  TK / TKTK (the newsroom mark for "to come")
==================  =========================================================================

A newsroom adds its own in its config (``[placeholders] extra``: a list of tables with ``name``,
``regex`` and optionally ``kind`` = "internal" | "external" | "other" and ``whole_line``).

Every note is found in the draft's plain text (HTML comments in the source) and reported with
offsets into the source exactly as given. Link notes are then resolved: an internal note's
quoted anchor is located in the draft (case-, quote- and whitespace-insensitive, the occurrence
nearest the note) and its description plus the anchor become a query against the archive; an
external note resolves through the source catalog, honouring the outlets it names and the
outlet policy. When nothing fits, an internal note becomes a content gap: a working title for
the article the desk does not have yet, and the phrases that would link to it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from .errors import ConfigError
from .index.linkindex import LinkIndex
from .model import Document, Placeholder, Suggestion
from .sources.attribution import sentences
from .sources.external import ExternalSuggester, shared_words_span, widen
from .sources.outlets import Outlet, OutletTable
from .suggest.policy import Spans, first_linkable
from .text.normalize import STOPWORDS, content_terms, search_terms, term, tokens

__all__ = ["PATTERNS", "NotePattern", "NoteResolver", "find_notes", "patterns_from_config"]

log = logging.getLogger(__name__)

NoteKind = Literal["internal", "external", "other"]
# How much closeness in time counts when resolving an external note (see SourceIndex.search).
NOTE_TIME_WEIGHT = 0.3
# A note longer than this is not a note: the closing bracket was missing and the match ran away.
MAX_NOTE_CHARS = 800


@dataclass(frozen=True)
class NotePattern:
    """One kind of leftover note. ``kind`` is what it asks for ("link" notes say which side in
    their wording); ``balanced``: the regex matches the opening and the note runs to the bracket
    that closes it; ``whole_line``: the note is the whole line and goes with its line break;
    ``source``: matched in the source markup (HTML comments) rather than the plain text."""

    name: str
    regex: re.Pattern[str]
    kind: Literal["link", "internal", "external", "other"] = "other"
    balanced: bool = False
    whole_line: bool = False
    source: bool = False


_I = re.IGNORECASE
PATTERNS: list[NotePattern] = [
    NotePattern("link_note", re.compile(
        r"[(\[]\s*(?:suggested\s+|add\s+(?:an?\s+)?)?(?:(?P<side>internal|external|outbound|inbound|outside|"
        r"related)\s+)?(?:hyper)?link(?:s|ing)?(?:\s+(?:suggestions?|notes?|ideas?|opportunit(?:y|ies)|needed|"
        r"requests?|here))?\s*[:\-–—]", _I), kind="link", balanced=True),
    NotePattern("link_request", re.compile(
        r"\[\s*(?:add\s+(?:an?\s+)?)?(?P<side>internal\s+|external\s+)?link\s+(?:to|for)\s+[^\]\n]{2,300}\]", _I),
        kind="link"),
    NotePattern("insert_link", re.compile(
        r"\[\s*(?:(?:insert|add|needs?)\s+(?:an?\s+)?)?(?P<side>internal\s+|external\s+)?link(?:\s+(?:here|needed))?"
        r"\s*\]", _I), kind="link"),
    NotePattern("html_link_comment", re.compile(
        r"<!--\s*(?P<side>internal\s+|external\s+)?link(?:\s+(?:suggestion|note))?\s*[:\-–]?.*?-->", _I | re.DOTALL),
        kind="link", source=True),
    NotePattern("citation_needed", re.compile(r"\[\s*citation\s+needed\s*\]", _I), kind="external"),
    NotePattern("image_note", re.compile(
        r"[(\[]\s*(?:suggested\s+)?(?:image|photo|picture|graphic|video|chart)(?:\s+(?:suggestion|idea|note|needed|"
        r"placeholder|here))?\s*[:\-–—]", _I), balanced=True),
    NotePattern("seo_line", re.compile(
        r"^[ \t>*_#-]*(?:meta\s+description|focus\s+key(?:word|phrase)s?|seo\s+(?:title|description|keywords?)|"
        r"suggested\s+(?:headline|slug|url))[*_ \t]*:.*$", _I | re.MULTILINE), whole_line=True),
    NotePattern("todo", re.compile(
        r"[\[(]\s*(?:TODO|FIXME|TBD|TKTK|FACT[ -]?CHECK|CHECK\s+THIS|VERIFY|NEEDS?\s+(?:A\s+)?SOURCE)\b[^\])\n]{0,200}"
        r"[\])]")),
    # "TK" only as a standalone capitalised mark, and not a brand like "TK Maxx"
    NotePattern("tk", re.compile(r"(?<![\w\-])(?:TK)+(?![\w\-])(?!\s+[A-Z][a-z])")),
]

_QUOTED = re.compile(r"[\"“”„](?P<a>[^\"“”„]{1,200})[\"“”]|‘(?P<b>[^‘’]{1,200})’|(?<!\w)'(?P<c>[^']{1,200})'(?!\w)")
_LEAD = re.compile(r"^\s*(?:please\s+)?(?:link|connect|point|add\s+(?:an?\s+)?link)\b\s*(?:(?:the\s+)?(?:phrase|words?|"
                   r"term|text)\s*)?(?:[\"“”„‘'][^\"“”„’']*[\"“”’']\s*)?(?:(?:to|with|for)\b\s*)?", _I)
_EXTERNAL_HINT = re.compile(r"\b(?:reputable|news\s+(?:source|outlet|agenc(?:y|ies)|organi[sz]ation)s?|"
                            r"outside\s+source|external|outlets?|wire\s+service|such\s+as|newspapers?|"
                            r"broadcasters?)\b", _I)
_INTERNAL_HINT = re.compile(r"\b(?:your|our)\s+(?:own\s+)?(?:\w+\s+){0,3}(?:articles?|stor(?:y|ies)|coverage|pieces?|"
                            r"posts?|explainers?|reports?|archive)\b|\b(?:internal|previous(?:ly)?\s+published|"
                            r"earlier\s+(?:article|story|piece|report))\b", _I)
# Words in a note's description that say what to do, not what the article is about.
_BOILERPLATE = frozenset(
    (
        "link links linking your our previous previously planned earlier past related article articles story "
        "stories coverage piece post explaining explains explainer explain about covering covers covered "
        "detailing details reputable news source sources outlet outlets such reporting report reports that "
        "which on of or and the a an to internal external suggestion suggestions existing upcoming future "
        "forthcoming relevant"
    ).split()
)


def patterns_from_config(config: dict[str, Any] | None) -> list[NotePattern]:
    """The packaged patterns plus the newsroom's ``[placeholders] extra`` ones."""
    extra = ((config or {}).get("placeholders") or {}).get("extra") or []
    out = list(PATTERNS)
    for i, spec in enumerate(extra, 1):
        where = f"placeholders.extra[{i}]"
        if not isinstance(spec, dict) or not isinstance(spec.get("regex"), str):
            raise ConfigError(f"{where}: expected a table with a 'regex' string")
        kind = spec.get("kind", "other")
        if kind not in ("internal", "external", "other", "link"):
            raise ConfigError(f"{where}: kind must be internal, external, other or link")
        try:
            regex = re.compile(spec["regex"], re.MULTILINE)
        except re.error as exc:
            raise ConfigError(f"{where}: bad regex: {exc}") from exc
        out.append(NotePattern(str(spec.get("name") or f"extra{i}"), regex, kind,
                               whole_line=bool(spec.get("whole_line", False))))
    return out


def _balanced_end(text: str, start: int) -> int | None:
    """End of the bracketed note opening at ``start``: the bracket that closes it, nesting counted."""
    depth = 0
    limit = min(len(text), start + MAX_NOTE_CHARS)
    i = start
    while i < limit:
        ch = text[i]
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
            if depth == 0:
                return i + 1
        elif ch == "\n" and text.startswith("\n", i + 1):
            return None  # a paragraph break: the note never closed
        i += 1
    return None


def _outlets_named(body: str, outlets: OutletTable) -> list[Outlet]:
    found: dict[str, tuple[int, Outlet]] = {}
    low = body.casefold()
    for name, outlet in outlets.by_name().items():
        if len(name) < 3:
            continue
        for m in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", low):
            found.setdefault(outlet.domain, (m.start(), outlet))
    # acronyms ("AP", "AFP", "BBC") only in capitals, as notes write them
    for acronym, outlet in outlets.acronyms().items():
        for m in re.finditer(rf"(?<!\w){re.escape(acronym)}(?!\w)", body):
            found.setdefault(outlet.domain, (m.start(), outlet))
    return [o for _, o in sorted(found.values(), key=lambda x: x[0])]


def _anchor_of(body: str) -> str | None:
    m = _QUOTED.search(body)
    if not m:
        return None
    anchor = (m.group("a") or m.group("b") or m.group("c") or "").strip()
    return anchor or None


def _describe(body: str) -> str:
    return _LEAD.sub("", body, count=1).strip().rstrip(".").strip()


def _kind_of(pattern: NotePattern, side: str | None, body: str, named: list[Outlet], anchor: str | None) -> NoteKind:
    if pattern.kind in ("internal", "external", "other"):
        return pattern.kind
    side = (side or "").strip().lower()
    if side in ("internal", "inbound", "related"):
        return "internal"
    if side in ("external", "outbound", "outside"):
        return "external"
    if named or _EXTERNAL_HINT.search(body):
        return "external"
    if _INTERNAL_HINT.search(body) or anchor or body.strip():
        return "internal"
    return "other"


def find_notes(doc: Document, outlets: OutletTable | None = None,
               patterns: Sequence[NotePattern] | None = None) -> list[Placeholder]:
    """Every leftover note in ``doc``, in document order, offsets into the source as given."""
    table = outlets or OutletTable.packaged()
    found: list[Placeholder] = []
    # code is quoted literally ("#[link]" in Rust), never a note; a note may quote code ("about `rust-lld`")
    code = Spans([(z.start, z.end) for z in doc.zones if z.kind == "code"])
    taken = Spans()
    for pattern in patterns or PATTERNS:
        haystack = doc.source if pattern.source else doc.text
        for m in pattern.regex.finditer(haystack):
            start, end = m.start(), m.end()
            if pattern.balanced:
                closed = _balanced_end(haystack, start)
                if closed is None:
                    continue
                end = closed
            text_start, text_end = doc.text_span(start, end) if pattern.source else (start, end)
            if (not taken.clear(text_start, text_end) or not code.clear(text_start, text_start + 1)
                    or not code.clear(text_end - 1, text_end)):
                continue
            src_start, src_end = (start, end) if pattern.source else doc.source_span(start, end)
            if pattern.whole_line:
                src_start = doc.source.rfind("\n", 0, src_start) + 1
                line_end = doc.source.find("\n", src_end)
                src_end = len(doc.source) if line_end < 0 else line_end + 1
            taken.add(text_start, text_end)
            note = haystack[start:end]
            # what the note says beyond its label: the description to resolve it with
            body = note[m.end() - start:].rstrip(")]").strip() if pattern.balanced else ""
            if pattern.name in ("link_request", "html_link_comment"):
                body = re.sub(r"^(?:\[|<!--)\s*(?:add\s+(?:an?\s+)?)?(?:internal\s+|external\s+)?link\b"
                              r"(?:\s+(?:suggestion|note))?\s*(?:to|for|[:\-–])?\s*", "", note, flags=_I)
                body = re.sub(r"(?:\]|-->)$", "", body).strip()
            named = _outlets_named(body, table) if pattern.kind == "link" else []
            anchor = _anchor_of(body) if pattern.kind == "link" else None
            side = m.groupdict().get("side")
            kind = _kind_of(pattern, side, body, named, anchor)
            found.append(Placeholder(
                start=src_start, end=src_end, text=doc.source[src_start:src_end], kind=kind, anchor=anchor,
                description=_describe(body) if pattern.kind == "link" else None,
                outlets=[o.name for o in named], pattern=pattern.name, text_start=text_start, text_end=text_end,
            ))
    found.sort(key=lambda p: p.start)
    return found


# ---------------------------------------------------------------------------- resolution

# Curly quotes compare as straight ones when a note's anchor is looked for in the draft.
_STRAIGHT_QUOTES = str.maketrans("’‘“”„", "''\"\"\"")


def _fold(s: str) -> str:
    return re.sub(r"\s+", " ", s.translate(_STRAIGHT_QUOTES)).casefold()


def locate_anchor(doc: Document, anchor: str, note: tuple[int, int]) -> tuple[int, int] | None:
    """The occurrence of ``anchor`` in the plain text nearest the note (outside it), matched
    case-, quote- and whitespace-insensitively. Plain-text offsets."""
    words = [re.escape(w) for w in _fold(anchor).split()]
    if not words:
        return None
    pattern = re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)")
    straight = doc.text.translate(_STRAIGHT_QUOTES)
    folded = straight.casefold()
    if len(folded) != len(doc.text):  # casefold changed lengths (ß → ss): fall back to lower()
        folded = straight.lower()
    best: tuple[int, int] | None = None
    best_distance = None
    for m in pattern.finditer(folded):
        if note[0] <= m.start() < note[1]:
            continue
        distance = note[0] - m.end() if m.end() <= note[0] else m.start() - note[1]
        # an occurrence before the note is what the note is about; one after it is a fallback
        distance = distance if m.end() <= note[0] else distance + 10_000
        if best_distance is None or distance < best_distance:
            best, best_distance = (m.start(), m.end()), distance
    return best


def _query_terms(text: str) -> list[str]:
    return [t for t in search_terms(text) if t not in _BOILERPLATE]


def working_title(anchor: str | None, description: str | None) -> str:
    """A working title for the article a note asks for and the archive does not have."""
    desc = (description or "").strip()
    desc = re.sub(r"^(?:your|our)\s+(?:own\s+)?(?:previous|earlier|past|planned|upcoming|future|existing)?"
                  r"(?:\s+or\s+\w+)?\s*(?:article|story|piece|post|coverage|explainer|report)s?\s*"
                  r"(?:explaining|about|on|covering|detailing|that\s+explains|describing|of)?\s*", "", desc, flags=_I)
    desc = desc.strip(" .")
    if anchor and desc and _fold(anchor) not in _fold(desc):
        title = f"{anchor}: {desc}"
    else:
        title = desc or anchor or "Untitled"
    return title[:1].upper() + title[1:]


def gap_phrases(doc: Document, anchor: str | None, description: str | None, limit: int = 5,
                skip: Sequence[tuple[int, int]] = ()) -> list[str]:
    """Phrases in the draft (outside ``skip``, the notes) that would link to the missing article:
    the anchor, then runs of the description's content words that the draft also uses."""
    out: list[str] = [anchor] if anchor else []
    text = doc.text
    for s, e in skip:
        text = text[:s] + " " * (e - s) + text[e:]
    folded = _fold(text)
    words = [w for _, _, w in tokens(description or "")]
    run: list[str] = []
    for w in [*words, ""]:
        if w and term(w) not in _BOILERPLATE and term(w) not in STOPWORDS and len(w) > 1:
            run.append(w)
            continue
        # the longest stretch of the run the draft contains
        for size in range(len(run), 0, -1):
            hit = next((" ".join(run[i:i + size]) for i in range(len(run) - size + 1)
                        if re.search(rf"(?<!\w){re.escape(_fold(' '.join(run[i:i + size])))}(?!\w)", folded)), None)
            if hit:
                if all(_fold(hit) != _fold(p) for p in out):
                    out.append(hit)
                break
        run = []
    return out[:limit]


class NoteResolver:
    """Resolves link notes against the archive's index and, for external notes, the source catalog."""

    def __init__(self, index: LinkIndex, sources: ExternalSuggester | None, outlets: OutletTable,
                 min_score: float) -> None:
        self.index = index
        self.sources = sources
        self.outlets = outlets
        self.min_score = min_score

    def internal(self, doc: Document, note: Placeholder, exclude: set[int]) -> None:
        terms = _query_terms(f"{note.anchor or ''} {note.description or ''}")
        best = self._retrieve(terms, exclude) if terms else None
        if best is not None:
            target, score, why = best
            located = locate_anchor(doc, note.anchor, (note.text_start, note.text_end)) if note.anchor else None

            def places() -> Iterator[tuple[int, int] | None]:
                yield located
                yield self._anchor_for(doc, note, target)

            placed = first_linkable(doc, places())
            if placed is not None:
                span, (start, end) = placed
                reasons = [f'resolves the note "{_short(note.text)}"', *why]
                # not where the note said: its words are not in the draft, or cut across its markup
                if span != located:
                    reasons.append("the note names no anchor a link can take in the draft: placed on the "
                                   "words the target's title shares")
                note.resolved = Suggestion(
                    kind="internal", anchor=doc.text[span[0]:span[1]], start=start, end=end,
                    target_url=self.index.urls[target], target_title=self.index.titles[target],
                    score=round(score, 4), reasons=reasons)
                return
        note.gap = {"working_title": working_title(note.anchor, note.description),
                    "phrases": gap_phrases(doc, note.anchor, note.description, skip=[(note.text_start, note.text_end)])}

    def _retrieve(self, terms: list[str], exclude: set[int]) -> tuple[int, float, list[str]] | None:
        """The archive article the note describes: cosine of the note with the article's text
        (TF-IDF) and the share of the article's title the note's words cover."""
        if self.index.size == 0:
            return None
        vectors = self.index.vectors
        q = vectors.transform([" ".join(terms)])
        cosine = np.asarray((vectors.matrix @ q.T).todense()).ravel()
        qset = set(terms)
        candidates = set(np.argsort(-cosine)[:50].tolist())
        for t in qset:
            candidates.update(self.index.title_postings.get(t, []))
        best: tuple[int, float, list[str]] | None = None
        for a in candidates - exclude:
            # sorted: summed in a set's order, which follows string hashes, a tie could go either way between runs
            title_terms = sorted(set(search_terms(self.index.titles[a])))
            mass = sum(self.index.idf(t) for t in title_terms) or 1.0
            cover = sum(self.index.idf(t) for t in title_terms if t in qset) / mass
            score = 0.5 * float(cosine[a]) + 0.5 * cover
            if best is None or score > best[1]:
                shared = sorted((t for t in title_terms if t in qset), key=lambda t: -self.index.idf(t))
                best = (a, score, [f"the note's description matches the article (text similarity {cosine[a]:.2f}, "
                                   f"title words {', '.join(shared[:5]) or 'none'})"])
        if best is None or best[1] < self.min_score:
            return None
        return best

    def _anchor_for(self, doc: Document, note: Placeholder, target: int) -> tuple[int, int] | None:
        """Without a usable quoted anchor: the run of words in the sentence before the note that the
        target's title shares."""
        title = {t: self.index.idf(t) for t in content_terms(self.index.titles[target])}
        return _shared_run(doc, note, title)

    def external(self, doc: Document, note: Placeholder, published: str | None, title: str | None,
                 used: set[str]) -> None:
        if self.sources is None:
            return
        sentence = _sentence_before(doc, note)
        terms = _query_terms(note.description or "")
        query = " ".join([doc.text[sentence[0]:sentence[1]] if sentence else "", " ".join(terms), title or ""])
        # the note asks for coverage "previously" published, at any time: time only breaks ties
        hits = [h for h in self.sources.index.search(query, published, k=20, exclude=tuple(used),
                                                     time_weight=NOTE_TIME_WEIGHT)
                if h.score >= self.sources.min_score]
        by_name, acronyms = self.outlets.by_name(), self.outlets.acronyms()
        named = [by_name.get(n.casefold()) or acronyms.get(n) for n in note.outlets]
        named_domains = {o.domain for o in named if o is not None}
        chosen = None
        why = ""
        if named_domains:
            # among the outlets the note names, trusted ones first; a low-trust one only when it alone covered it
            ranked = sorted((h for h in hits if h.outlet.domain in named_domains),
                            key=lambda h: (h.outlet.tier >= 3, -h.score))
            chosen = ranked[0] if ranked else None
            if chosen is not None:
                why = f"from {chosen.outlet.name}, an outlet the note names"
            else:
                why = f"none of the outlets the note names ({', '.join(note.outlets)}) covered it in the catalog"
        if chosen is None:
            chosen = hits[0] if hits else None
        if chosen is None:
            return
        catalog, item = self.sources.index, chosen.item

        def places() -> Iterator[tuple[int, int] | None]:
            yield locate_anchor(doc, note.anchor, (note.text_start, note.text_end)) if note.anchor else None
            yield _shared_run(doc, note, catalog.term_weights(item.title))
            yield sentence

        placed = first_linkable(doc, places())
        if placed is None:
            return
        span, (start, end) = placed
        note.resolved = Suggestion(
            kind="external", anchor=doc.text[span[0]:span[1]], start=start, end=end, target_url=chosen.item.url,
            target_title=chosen.item.title, score=round(chosen.score, 4),
            reasons=[f'resolves the note "{_short(note.text)}"'] + ([why] if why else []) + chosen.reasons(),
            outlet=chosen.outlet.name, outlet_label=chosen.outlet.label)


def _short(text: str, n: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _sentence_before(doc: Document, note: Placeholder) -> tuple[int, int] | None:
    """The sentence the note follows (or sits in): what it is about."""
    spans = [s for s in sentences(doc.text, 0, note.text_start) if s[1] <= note.text_start]
    spans = [s for s in spans if doc.text[s[0]:s[1]].strip(" ()[]")]
    return spans[-1] if spans else None


def _shared_run(doc: Document, note: Placeholder, title_terms: dict[str, float]) -> tuple[int, int] | None:
    sentence = _sentence_before(doc, note)
    if sentence is None:
        return None
    span = shared_words_span(doc.text, sentence[0], sentence[1], title_terms)
    return widen(doc.text, span, sentence[0], sentence[1]) if span else None
