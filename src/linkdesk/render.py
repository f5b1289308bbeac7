"""Applying suggestions to the draft's own markup, and readable reports of them."""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Sequence

from .errors import DraftError
from .model import Document, Placeholder, Suggestion
from .text.parse import parse

__all__ = ["apply_suggestions", "link_markup", "terminal_report"]


def link_markup(fmt: str, url: str, title: str | None = None) -> tuple[str, str]:
    """The text to put before and after an anchor to make it a link in ``fmt``."""
    if fmt == "html":
        return f'<a href="{html.escape(url, quote=True)}">', "</a>"
    dest = f"<{url}>" if re.search(r"[\s()<>]", url) else url
    return "[", f"]({dest})"


def apply_suggestions(source: str, fmt: str, suggestions: Sequence[Suggestion],
                      remove: Sequence[Placeholder] = (), doc: Document | None = None) -> str:
    """Insert each suggestion as a link in the draft's own markup and cut the given notes
    (with the space they leave); nothing else in the source changes. Plain text comes out
    as Markdown. In Markdown, a link inside raw HTML, or where "[...](...)" would not read as
    one, is written as HTML, which Markdown keeps. ``doc`` is the parsed source, if at hand."""
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement), applied right to left
    raw_html = _raw_html(doc or parse(source, "markdown")) if fmt == "markdown" and suggestions else []
    for s in suggestions:
        if not 0 <= s.start < s.end <= len(source):
            raise DraftError(f"suggestion {s.anchor!r} has offsets {s.start}-{s.end} outside the draft")
        as_html = fmt == "markdown" and (any(a <= s.start < b for a, b in raw_html)
                                         or not _reads_as_markdown_link(source, s.start, s.end))
        before, after = link_markup("html" if as_html else fmt, s.target_url)
        edits.append((s.end, s.end, after))
        edits.append((s.start, s.start, before))
    for p in remove:
        edits.append((*_removal_span(source, fmt, p.start, p.end), ""))
    spans = sorted((a, b) for a, b, _ in edits if b > a)
    for (_a1, b1), (a2, _b2) in itertools.pairwise(spans):
        if a2 < b1:
            raise DraftError(f"edits overlap at offsets {a2}-{b1}")
    out = source
    for start, end, text in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        out = out[:start] + text + out[end:]
    return out


def _raw_html(doc: Document) -> list[tuple[int, int]]:
    """The source spans of a Markdown document's raw HTML blocks, where Markdown syntax is not read."""
    return [doc.source_span(z.start, z.end) for z in doc.zones if z.kind == "html"]


def _reads_as_markdown_link(source: str, start: int, end: int) -> bool:
    """Whether "[...](url)" around ``source[start:end]`` is read as a link holding just that text:
    not after a "!" (an image), not with a bracket of its own or a closing backslash inside."""
    inner = source[start:end]
    return not (source[start - 1:start] == "!" or "[" in inner or "]" in inner or inner.endswith("\\"))


_EMPHASIS = ("***", "**", "*", "___", "__", "_")
_HTML_BLOCK = re.compile(r"<(p|li|div|span|em|i|strong|b)(?:\s[^>]*)?>\s*$", re.IGNORECASE)


def _removal_span(source: str, fmt: str, start: int, end: int) -> tuple[int, int]:
    """What to cut for a note at ``[start, end)`` so that nothing of it is left: the emphasis or
    HTML element wrapped around it alone, its line when it stands on a line of its own (and one
    blank line with it), else one neighbouring space."""
    for mark in _EMPHASIS:
        if source.startswith(mark, end) and source[:start].endswith(mark):
            start, end = start - len(mark), end + len(mark)
            break
    if fmt == "html":
        m = _HTML_BLOCK.search(source, max(0, start - 200), start)
        if m and m.end() == start:
            close = re.compile(rf"\s*</{m.group(1)}\s*>", re.IGNORECASE).match(source, end)
            if close:
                start, end = m.start(), close.end()
    line_start = source.rfind("\n", 0, start) + 1
    line_end = source.find("\n", end)
    line_end = len(source) if line_end < 0 else line_end
    if not source[line_start:start].strip() and not source[end:line_end].strip():
        start, end = line_start, min(len(source), line_end + 1)
        # the blank line that separated the note from the next paragraph goes too
        if source.startswith("\n", end) and (start == 0 or source[start - 2:start] == "\n\n"):
            end += 1
        return start, end
    # take one neighbouring space with the note, so no double space is left behind
    if end < len(source) and source[end] == " " and (start == 0 or source[start - 1] in " \n"):
        end += 1
    elif start > 0 and source[start - 1] == " ":
        start -= 1
    return start, end


def terminal_report(doc: Document, suggestions: Sequence[Suggestion], color: bool = False, context: int = 60) -> str:
    """Each suggestion in its sentence, highlighted, with target, score and reasons. The sentence is
    the draft's text as a reader sees it (no markup, comments or scripts around the anchor)."""
    if not suggestions:
        return "  (no suggestions)"
    text = doc.text
    lines = []
    on, off = ("\033[1;4m", "\033[0m") if color else ("[[", "]]")
    for n, s in enumerate(suggestions, 1):
        start, end = doc.text_span(s.start, s.end)
        a, b = max(0, start - context), min(len(text), end + context)
        snippet = (("…" if a else "") + text[a:start] + on + text[start:end] + off + text[end:b]
                   + ("…" if b < len(text) else ""))
        snippet = re.sub(r"\s+", " ", snippet)
        label = f"{s.kind}" + (f", {s.outlet}" if s.outlet else "") + (f" [{s.outlet_label}]" if s.outlet_label else "")
        lines.append(f"{n:2d}. {snippet}")
        lines.append(f"    → {s.target_title} <{s.target_url}>  ({label}, score {s.score:.2f})")
        for reason in s.reasons:
            lines.append(f"      · {reason}")
    return "\n".join(lines)
