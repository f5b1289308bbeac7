"""Markdown, HTML and plain text into an offset-exact :class:`~linkdesk.model.Document`.

The plain text is built piece by piece, and each piece records the source span it came
from, so any plain-text span maps back to the exact source substring. Markdown goes
through markdown-it-py (CommonMark) for structure; its tokens carry line maps but not
character offsets, so each inline piece is located in the source by a forward-only
cursor. HTML goes through the standard library's tokenizer, which reports positions.
"""

from __future__ import annotations

import re
from array import array
from html import unescape
from html.parser import HTMLParser
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

from ..errors import DraftError
from ..model import Document, Element, Format, OutLink, Zone, ZoneKind

__all__ = ["PARSER_VERSION", "detect_format", "link_content", "parse", "parse_html", "parse_markdown",
           "parse_text"]

# The archive keeps each article's plain text, link offsets and zones as parsed at ingest, with this
# version. Bump it when the parser reads the same body differently, or the archive keeps more of what
# it reads (4: the zones; 5: Markdown emphasis delimiters are placed in the source, so a link whose
# text ends in "**" spans its whole source): `linkdesk index` then re-reads the stored bodies, and
# ingesting an unchanged export rewrites them
PARSER_VERSION = 5

_BYLINE_RE = re.compile(r"^\W{0,3}(by|written by|reporting by|words by)\s+\w", re.IGNORECASE)
_FRONT_MATTER_RE = re.compile(r"\A(---|\+\+\+)[ \t]*\r?\n.*?\r?\n\1[ \t]*(\r?\n|\Z)", re.DOTALL)
_LINE_BREAK_RE = re.compile(r"\r\n|\r|\n")
# a line break inside an inline span and what begins the next line of its block, which the block
# parser has taken out: indentation, and within a blockquote its markers (outside one, a ">" there
# is the span's own text). Keyed by whether the span is in a blockquote
_SPAN_BREAK = {in_quote: re.compile(rf"(?:{_LINE_BREAK_RE.pattern})[ \t{'>' if in_quote else ''}]*")
               for in_quote in (False, True)}
_SPACE_RUN = {in_quote: re.compile(rf"(?=\s)(?>[ \t]*(?:{brk.pattern})*)") for in_quote, brk in _SPAN_BREAK.items()}


class _Builder:
    """Accumulates plain text and, per char, the source span that produced it."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.starts = array("q")
        self.ends = array("q")
        self.length = 0
        self.zones: list[Zone] = []
        self.links: list[OutLink] = []
        self.elements: list[Element] = []

    def verbatim(self, s: str, pos: int) -> None:
        if not s:
            return
        self.parts.append(s)
        self.starts.extend(range(pos, pos + len(s)))
        self.ends.extend(range(pos + 1, pos + len(s) + 1))
        self.length += len(s)

    def mapped(self, s: str, start: int, end: int) -> None:
        """Chars that stand for a source span as a whole (an entity, an escape, a line break)."""
        self.parts.append(s)
        self.starts.extend([start] * len(s))
        self.ends.extend([end] * len(s))
        self.length += len(s)

    def separator(self, s: str) -> None:
        """Chars linkdesk adds between blocks; they map to an empty span where the last piece ended."""
        if not self.length:
            return
        pos = self.ends[-1]
        self.mapped(s, pos, pos)

    def block_break(self) -> None:
        tail = self.tail(2)
        if self.length and tail != "\n\n":
            self.separator("\n" if tail.endswith("\n") else "\n\n")

    def tail(self, n: int) -> str:
        out = ""
        for part in reversed(self.parts):
            out = part + out
            if len(out) >= n:
                break
        return out[-n:]

    def last_char(self) -> str:
        return self.tail(1)

    def since(self, start: int) -> str:
        """The plain text from ``start`` to here (reading back from the end: a long document
        must not be joined whole for each link in it)."""
        return self.tail(self.length - start) if self.length > start else ""

    def link(self, href: str, src_start: int, src_end: int, plain_start: int) -> None:
        """A link whose text runs from ``plain_start`` to here; one whose text is too long to be an
        anchor (a whole section wrapped in a link) is kept without it."""
        anchor = self.since(plain_start) if self.length - plain_start < 2000 else ""
        self.links.append(OutLink(anchor.strip(), href, src_start, src_end, plain_start, self.length))
        self.zone("link", plain_start)

    def zone(self, kind: ZoneKind, start: int) -> None:
        """Record a zone from ``start`` to here; build() trims its surrounding whitespace."""
        if self.length > start:
            self.zones.append(Zone(kind, start, self.length))

    def element(self, plain_start: int, src_start: int, src_end: int) -> None:
        """Inline markup from source ``src_start`` to ``src_end`` around the text from ``plain_start``
        to here. Kept only where the text it holds lies within it in the source: a delimiter found in
        the wrong place must never widen a link over text it does not hold."""
        if self.length > plain_start and not (src_start <= self.starts[plain_start] and
                                              self.ends[self.length - 1] <= src_end):
            return
        self.elements.append(Element(plain_start, self.length, src_start, src_end))

    def build(self, source: str, fmt: Format) -> Document:
        text = "".join(self.parts)
        zones = []
        for z in self.zones:
            start, end = z.start, z.end
            while start < end and text[start].isspace():
                start += 1
            while end > start and text[end - 1].isspace():
                end -= 1
            if end > start:
                zones.append(Zone(z.kind, start, end))
        zones.sort(key=lambda z: (z.start, -z.end))
        doc = Document(source, fmt, text, self.starts, self.ends, zones, self.links, self.elements)
        _mark_byline(doc)
        return doc


def _mark_byline(doc: Document) -> None:
    """A short first-paragraph "By Jane Doe" line is a byline, never linked."""
    for z in doc.zones[:4]:
        if z.kind == "paragraph" and z.end - z.start < 120 and _BYLINE_RE.match(doc.text[z.start : z.end]):
            doc.zones.append(Zone("byline", z.start, z.end))
            return


# ---------------------------------------------------------------------------- HTML


_HTML_BLOCKS: dict[str, ZoneKind | None] = {
    "p": "paragraph", "div": None, "section": None, "article": None, "main": None,
    "header": None, "footer": None, "nav": None, "aside": None, "figure": None,
    "figcaption": "paragraph", "h1": "heading", "h2": "heading", "h3": "heading",
    "h4": "heading", "h5": "heading", "h6": "heading", "li": "list", "ul": None, "ol": None,
    "dl": None, "dt": "list", "dd": "list", "blockquote": "quote", "pre": "code",
    "table": None, "tr": None, "td": "table", "th": "table", "caption": "paragraph",
    "address": "byline", "hr": None, "body": None, "html": None,
}
_HTML_SKIP = {"script", "style", "noscript", "template", "head", "title", "svg", "iframe", "object"}
_HTML_VOID = {"br", "hr", "img", "input", "meta", "link", "wbr", "source", "area", "col", "embed"}
_CHARREF_RE = re.compile(r"&(#[xX][0-9a-fA-F]+|#[0-9]+|[A-Za-z][A-Za-z0-9]*);?")
_WS_RE = re.compile(r"\s+")
_A_CLOSE_RE = re.compile(r"</a\s*>", re.IGNORECASE)
_END_TAG_RE = re.compile(r"</[A-Za-z][^>]*>")
# A Markdown inline link written inside raw HTML ("<div>Read the [guide](/guides/x/)</div>"). CommonMark
# leaves it as literal text there, but the writer meant a link (renderers that read Markdown inside
# HTML, as kramdown can, make it one): read as its anchor text and a link, so that the archive neither
# loses the link nor learns its address as words
_MD_LINK_IN_HTML_RE = re.compile(r"(?<!\\)(!?)\[([^\[\]\n]{1,500})\]\(\s*<?([^\s()<>]+)>?(?:\s+\"[^\"\n]*\")?\s*\)")


class _HTMLExtractor(HTMLParser):
    def __init__(self, source: str, base: int, builder: _Builder, markdown_links: bool = False) -> None:
        super().__init__(convert_charrefs=False)
        self.markdown_links = markdown_links
        self.source = source
        self.base = base
        self.b = builder
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", source)]
        self.stack: list[tuple[str, int, int]] = []  # (tag, plain start, source start)
        self.skip_depth = 0
        self.pre_depth = 0
        self.link: tuple[int, int, str] | None = None  # (plain start, source start, href)

    def _pos(self) -> int:
        line, col = self.getpos()
        return self.base + self.line_starts[line - 1] + col

    def _tag_end(self, start: int) -> int:
        text = self.get_starttag_text()
        return start + (len(text) if text else 0)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HTML_SKIP:
            self.skip_depth += 1
            return
        if self.skip_depth:
            return
        if tag == "br":
            pos = self._pos()
            self.b.mapped("\n", pos, self._tag_end(pos))
            return
        if tag in _HTML_BLOCKS:
            self.b.block_break()
        if tag == "pre":
            self.pre_depth += 1
        if tag == "a":
            href = dict(attrs).get("href") or ""
            self.link = (self.b.length, self._pos(), href)
        if tag not in _HTML_VOID:
            self.stack.append((tag, self.b.length, self._pos()))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br" and not self.skip_depth:
            pos = self._pos()
            self.b.mapped("\n", pos, self._tag_end(pos))

    def handle_endtag(self, tag: str) -> None:
        if tag in _HTML_SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
            return
        if self.skip_depth:
            return
        if tag == "a" and self.link is not None:
            plain_start, src_start, href = self.link
            end_pos = self._pos() + len(f"</{tag}>")
            m = _A_CLOSE_RE.match(self.source, self._pos() - self.base)
            if m:
                end_pos = self.base + m.end()
            self.b.link(href, src_start, end_pos, plain_start)
            self.link = None
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                for open_tag, start, _ in self.stack[i:][::-1]:
                    self._close(open_tag, start)
                if i == len(self.stack) - 1:
                    # closed where it was opened; one an end tag further out closes has no end of its own
                    close = _END_TAG_RE.match(self.source, self._pos() - self.base)
                    if close:
                        _, plain_start, src_start = self.stack[i]
                        self.b.element(plain_start, src_start, self.base + close.end())
                del self.stack[i:]
                break
        if tag in _HTML_BLOCKS:
            self.b.block_break()

    def _close(self, tag: str, start: int) -> None:
        if tag == "pre":
            self.pre_depth = max(0, self.pre_depth - 1)
        kind = _HTML_BLOCKS.get(tag)
        if tag == "code":
            kind = "code"
        if kind:
            self.b.zone(kind, start)

    def handle_data(self, data: str) -> None:
        if self.skip_depth or not data:
            return
        pos = self._pos()
        if self.pre_depth:
            self.b.verbatim(data, pos)
            return
        if not self.markdown_links or self.link is not None:
            self._text(data, pos)
            return
        cursor = 0
        for m in _MD_LINK_IN_HTML_RE.finditer(data):
            self._text(data[cursor:m.start()], pos + cursor)
            cursor = m.end()
            if m.group(1):
                continue  # an image, as the Markdown around it would show it: no text
            plain_start = self.b.length
            self._text(m.group(2), pos + m.start(2))
            self.b.link(m.group(3), pos + m.start(), pos + m.end(), plain_start)
        self._text(data[cursor:], pos + cursor)

    def _text(self, data: str, pos: int) -> None:
        """``data`` from source position ``pos``, each run of whitespace read as one space."""
        cursor = 0
        for m in _WS_RE.finditer(data):
            self.b.verbatim(data[cursor : m.start()], pos + cursor)
            last = self.b.last_char()
            if self.b.length and last and not last.isspace():
                self.b.mapped(" ", pos + m.start(), pos + m.end())
            cursor = m.end()
        self.b.verbatim(data[cursor:], pos + cursor)

    def _ref(self) -> None:
        if self.skip_depth:
            return
        pos = self._pos()
        m = _CHARREF_RE.match(self.source, pos - self.base)
        if not m:
            return
        decoded = unescape(m.group())
        if decoded.isspace() or decoded == "\xa0":
            decoded = " "
        self.b.mapped(decoded, pos, self.base + m.end())

    def handle_entityref(self, name: str) -> None:
        self._ref()

    def handle_charref(self, name: str) -> None:
        self._ref()

    def finish(self) -> None:
        self.close()
        for tag, start, _ in self.stack[::-1]:
            self._close(tag, start)
        self.stack.clear()


def _extract_html(source: str, base: int, builder: _Builder, markdown_links: bool = False) -> None:
    parser = _HTMLExtractor(source, base, builder, markdown_links)
    parser.feed(source)
    parser.finish()


def parse_html(source: str) -> Document:
    b = _Builder()
    _extract_html(source, 0, b)
    return b.build(source, "html")


# ------------------------------------------------------------------------ Markdown


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark").enable("table").enable("strikethrough")
    # text_join would fold entities and escapes into plain text and lose their source form
    md.disable("text_join")
    return md


_MD = _markdown()


def _skip_link_tail(src: str, pos: int) -> int:
    """Given ``pos`` just after a link's text, return the position after its destination part:
    ``](url "title")``, ``][ref]``, ``][]`` or ``]``."""
    if not src.startswith("]", pos):
        return pos
    pos += 1
    if src.startswith("(", pos):
        depth, i, quote = 0, pos, ""
        while i < len(src):
            ch = src[i]
            if ch == "\\":
                i += 2
                continue
            if quote:
                if ch == quote:
                    quote = ""
            elif ch == "<" and depth == 1 and src[i - 1] == "(":
                close = src.find(">", i)
                i = close if close != -1 else i
            elif ch in "\"'" and depth == 1 and src[i - 1] in " \t\n":
                quote = ch
            elif ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
        return pos
    if src.startswith("[", pos):
        close = src.find("]", pos)
        return close + 1 if close != -1 else pos
    return pos


def _skip_brackets(src: str, pos: int) -> int:
    """From an opening ``[`` at ``pos``, return the index of its matching ``]``."""
    depth, i = 0, pos
    while i < len(src):
        ch = src[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return len(src)


def link_content(source: str, start: int, end: int) -> tuple[int, int]:
    """Where the content of the link at ``source[start:end]`` is: inside the brackets of a Markdown
    link, between the tags of an HTML one, inside the angle brackets of an autolink. A bare address
    is its own content."""
    if source.startswith("[", start):
        close = _skip_brackets(source, start)
        if close < end:
            return start + 1, close
    elif _A_START_RE.match(source, start):
        open_end = _tag_close(source, start, end)
        close_tag = _A_END_RE.search(source, open_end, end)
        # a link the page never closed runs to where the parser closed it
        return open_end, close_tag.start() if close_tag else end
    elif source.startswith("<", start) and source.endswith(">", start, end):
        return start + 1, end - 1
    return start, end


def _tag_close(source: str, start: int, end: int) -> int:
    """Just past the ``>`` that closes the tag opening at ``start``; quoted attribute values may hold one."""
    quote = ""
    for k in range(start, end):
        ch = source[k]
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == ">":
            return k + 1
    return end


_QUOTE_MARK_RE = re.compile(r"[ \t]{0,3}>[ \t]?")
_TAG_NAME_RE = re.compile(r"</?([A-Za-z][A-Za-z0-9]*)")
_A_START_RE = re.compile(r"<a[\s>]", re.IGNORECASE)
# the end tag that closes a whole link, whitespace after it allowed
_A_END_RE = re.compile(rf"{_A_CLOSE_RE.pattern}\s*\Z", re.IGNORECASE)
_A_OPEN_RE = re.compile(r"<a\s[^>]*?href\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+)", re.IGNORECASE | re.DOTALL)


class _MarkdownWalker:
    def __init__(self, source: str) -> None:
        self.src = source
        self.b = _Builder()
        self.line_starts = [0] + [m.end() for m in _LINE_BREAK_RE.finditer(source)]
        self.cursor = 0
        self.in_quote = False
        self.link_stack: list[tuple[int, int, str]] = []

    def line_pos(self, line: int) -> int:
        return self.line_starts[line] if line < len(self.line_starts) else len(self.src)

    def walk(self, tokens: list[Token]) -> Document:
        open_zones: list[tuple[str, int]] = []
        heading = quote = lst = table = 0
        for tok in tokens:
            t = tok.type
            if t == "heading_open":
                heading += 1
                self.b.block_break()
                open_zones.append(("heading", self.b.length))
            elif t == "heading_close":
                heading -= 1
                self._close_zone(open_zones)
            elif t == "blockquote_open":
                quote += 1
                self.b.block_break()
                open_zones.append(("quote", self.b.length))
            elif t == "blockquote_close":
                quote -= 1
                self._close_zone(open_zones)
            elif t in ("bullet_list_open", "ordered_list_open"):
                lst += 1
                self.b.block_break()
                open_zones.append(("list", self.b.length))
            elif t in ("bullet_list_close", "ordered_list_close"):
                lst -= 1
                self._close_zone(open_zones)
            elif t == "table_open":
                table += 1
                self.b.block_break()
                open_zones.append(("table", self.b.length))
            elif t == "table_close":
                table -= 1
                self._close_zone(open_zones)
            elif t in ("th_open", "td_open"):
                self.b.separator(" ")
            elif t == "tr_close":
                self.b.separator("\n")
            elif t == "paragraph_open":
                self.b.block_break()
                if not (heading or lst or table):
                    open_zones.append(("paragraph", self.b.length))
            elif t == "paragraph_close":
                if not (heading or lst or table):
                    self._close_zone(open_zones)
            elif t == "inline":
                if tok.map:
                    self.cursor = max(self.cursor, self.line_pos(tok.map[0]))
                limit = self.line_pos(tok.map[1]) if tok.map else len(self.src)
                self.in_quote = quote > 0
                self._inline(tok.children or [], limit)
            elif t in ("fence", "code_block") and tok.map:
                self.b.block_break()
                first = tok.map[0] + (1 if t == "fence" else 0)
                last = tok.map[1] - (1 if t == "fence" and self._fence_closed(tok, quote) else 0)
                start = self.b.length
                for line in range(first, last):
                    # inside a blockquote every line of the code begins with the quote's markers
                    a = self._after_quote_marks(self.line_pos(line), quote)
                    z = self.line_pos(line + 1)
                    self.b.verbatim(self.src[a:z].rstrip("\r\n") if line == last - 1 else self.src[a:z], a)
                self.b.zone("code", start)
                self.cursor = max(self.cursor, self.line_pos(tok.map[1]))
            elif t == "html_block" and tok.map:
                self.b.block_break()
                a, z = self.line_pos(tok.map[0]), self.line_pos(tok.map[1])
                # in a list item or a quote, the block's first line begins with the marker ("  * <p>")
                first_line = tok.content.lstrip().split("\n", 1)[0].rstrip()
                found = self.src.find(first_line, a, self.line_pos(tok.map[0] + 1)) if first_line else -1
                if found != -1:
                    a = found
                # in a quote, its markers begin every line: blanked, so that offsets stay where they are
                pieces, pos = [], a
                for line in range(tok.map[0] + 1, tok.map[1]) if quote else ():
                    b0 = self.line_pos(line)
                    b1 = self._after_quote_marks(b0, quote)
                    pieces += [self.src[pos:b0], " " * (b1 - b0)]
                    pos = b1
                html = "".join([*pieces, self.src[pos:z]])
                start = self.b.length
                _extract_html(html, a, self.b, markdown_links=True)
                self.b.zone("html", start)
                self.cursor = max(self.cursor, z)
        return self.b.build(self.src, "markdown")

    def _after_quote_marks(self, pos: int, depth: int) -> int:
        """Where a line starting at ``pos`` begins past the markers of ``depth`` blockquotes."""
        for _ in range(depth):
            m = _QUOTE_MARK_RE.match(self.src, pos)
            if not m:
                break
            pos = m.end()
        return pos

    def _fence_closed(self, tok: Token, quote: int) -> bool:
        assert tok.map
        last_line = self.src[self._after_quote_marks(self.line_pos(tok.map[1] - 1), quote):
                             self.line_pos(tok.map[1])].strip()
        return bool(last_line) and last_line.startswith(tok.markup[:3]) and tok.map[1] - tok.map[0] > 1

    def _close_zone(self, open_zones: list[tuple[str, int]]) -> None:
        if open_zones:
            kind, start = open_zones.pop()
            self.b.zone(kind, start)  # type: ignore[arg-type]

    def _find(self, needle: str, limit: int) -> int:
        """Where ``needle`` starts in the source between the cursor and ``limit`` (the end of its
        inline block), or -1. Never beyond: a token not found there is dropped, where jumping to a
        later occurrence would lose every token in between."""
        return self.src.find(needle, self.cursor, max(limit, self.cursor))

    def _code_span(self, content: str, limit: int) -> tuple[int, int] | None:
        """The source span of an inline code span's ``content``, in which CommonMark has turned each
        line break, with the indentation or quote markers that begin the next line, into a space."""
        # each run of spaces takes all the whitespace (and quote markers after line breaks) there is,
        # atomically: choosing how much could backtrack for minutes on a long run over many lines
        pattern = _SPACE_RUN[self.in_quote].pattern.join(re.escape(part) for part in re.split(r" +", content))
        m = re.compile(pattern).search(self.src, self.cursor, max(limit, self.cursor))
        return (m.start(), m.end()) if m else None

    def _inline(self, children: list[Token], limit: int) -> None:
        src = self.src
        autolink_end = -1
        # emphasis and inline HTML elements open here: (closing delimiter or tag name, plain start, source start)
        open_elements: list[tuple[str, int, int]] = []
        for child in children:
            t = child.type
            if t in ("em_open", "strong_open", "s_open"):
                idx = self._find(child.markup, limit)
                if idx != -1:
                    open_elements.append((child.markup, self.b.length, idx))
                    self.cursor = idx + len(child.markup)
            elif t in ("em_close", "strong_close", "s_close"):
                idx = self._find(child.markup, limit)
                if idx != -1:
                    self._close_element(open_elements, child.markup, idx + len(child.markup))
                    self.cursor = idx + len(child.markup)
            elif t == "text":
                idx = self._find(child.content, limit)
                if idx != -1:
                    self.b.verbatim(child.content, idx)
                    self.cursor = idx + len(child.content)
                elif autolink_end > self.cursor:
                    # an autolink shows its address decoded ("%22" as a quote): the text stands for
                    # the address as written
                    self.b.mapped(child.content, self.cursor, autolink_end)
                    self.cursor = autolink_end
            elif t == "text_special":
                idx = self._find(child.markup, limit)
                if idx != -1:
                    self.b.mapped(child.content, idx, idx + len(child.markup))
                    self.cursor = idx + len(child.markup)
            elif t in ("softbreak", "hardbreak"):
                m = _LINE_BREAK_RE.search(src, self.cursor)
                if m:
                    self.b.mapped(" " if t == "softbreak" else "\n", m.start(), m.end())
                    self.cursor = m.end()
            elif t == "code_inline":
                span = self._code_span(child.content, limit)
                if span is not None:
                    start = self.b.length
                    a, z = span
                    for m in _SPAN_BREAK[self.in_quote].finditer(src, a, z):
                        self.b.verbatim(src[a:m.start()], a)
                        self.b.mapped(" ", m.start(), m.end())
                        a = m.end()
                    self.b.verbatim(src[a:z], a)
                    self.b.zone("code", start)
                    self.cursor = z + len(child.markup)
            elif t == "link_open":
                opener = "<" if child.markup == "autolink" else "["
                idx = self._find(opener, limit)
                src_start = idx if idx != -1 else self.cursor
                if idx != -1:
                    self.cursor = idx + 1
                    if child.markup == "autolink":
                        autolink_end = src.find(">", self.cursor, max(limit, self.cursor))
                self.link_stack.append((self.b.length, src_start, str(child.attrs.get("href", ""))))
            elif t == "link_close":
                if child.markup == "autolink":
                    if src.startswith(">", self.cursor):
                        self.cursor += 1
                else:
                    self.cursor = _skip_link_tail(src, self.cursor)
                if self.link_stack:
                    self._end_link(*self.link_stack.pop())
            elif t == "image":
                idx = self._find("![", limit)
                if idx != -1:
                    self.cursor = _skip_link_tail(src, _skip_brackets(src, idx + 1))
            elif t == "html_inline":
                idx = self._find(child.content, limit)
                if idx == -1:
                    continue
                self.cursor = idx + len(child.content)
                opening = _A_OPEN_RE.match(child.content)
                if opening:
                    href = unescape(opening.group(1).strip("\"'"))
                    self.link_stack.append((self.b.length, idx, href))
                elif re.match(r"</a\s*>", child.content, re.IGNORECASE) and self.link_stack:
                    self._end_link(*self.link_stack.pop())
                elif re.match(r"<br\s*/?>", child.content, re.IGNORECASE):
                    self.b.mapped("\n", idx, self.cursor)
                else:
                    # "feedback.<figure><figcaption>We launched": a block element ends the words before it,
                    # as the HTML parser has it
                    tag = _TAG_NAME_RE.match(child.content)
                    if tag and tag.group(1).lower() in _HTML_BLOCKS:
                        self.b.block_break()
                    if tag and tag.group(1).lower() not in _HTML_VOID and not child.content.endswith("/>"):
                        name = tag.group(1).lower()
                        if child.content.startswith("</"):
                            self._close_element(open_elements, name, self.cursor)
                        else:
                            open_elements.append((name, self.b.length, idx))

    def _close_element(self, open_elements: list[tuple[str, int, int]], key: str, src_end: int) -> None:
        """The innermost open element closes at ``src_end`` if ``key`` is what it waits for; one
        closed out of order is dropped with what it held open."""
        if open_elements and open_elements[-1][0] == key:
            _, plain_start, src_start = open_elements.pop()
            self.b.element(plain_start, src_start, src_end)
        else:
            for k in range(len(open_elements) - 1, -1, -1):
                if open_elements[k][0] == key:
                    del open_elements[k:]
                    break

    def _end_link(self, plain_start: int, src_start: int, href: str) -> None:
        self.b.link(href, src_start, self.cursor, plain_start)


def _mask_front_matter(source: str) -> str:
    """Blank out YAML/TOML front matter, keeping every offset where it was."""
    m = _FRONT_MATTER_RE.match(source)
    if not m:
        return source
    blank = re.sub(r"[^\r\n]", " ", m.group())
    return blank + source[m.end() :]


def parse_markdown(source: str) -> Document:
    masked = _mask_front_matter(source)
    walker = _MarkdownWalker(masked)
    doc = walker.walk(_MD.parse(masked))
    doc.source = source
    return doc


# ---------------------------------------------------------------------- plain text

_PARA_RE = re.compile(r"(?:\r\n|\r|\n)[ \t]*(?:\r\n|\r|\n)\s*")


def parse_text(source: str) -> Document:
    n = len(source)
    zones: list[Zone] = []
    start = 0
    for m in _PARA_RE.finditer(source):
        zones.append(Zone("paragraph", start, m.start()))
        start = m.end()
    zones.append(Zone("paragraph", start, n))
    zones = [z for z in zones if source[z.start : z.end].strip()]
    doc = Document(source, "text", source, array("q", range(n)), array("q", range(1, n + 1)), zones, [])
    _mark_byline(doc)
    return doc


# ---------------------------------------------------------------------------------


def detect_format(source: str, filename: str | None = None) -> Format:
    """Guess a draft's format from its file name, else from its content."""
    if filename:
        low = filename.lower()
        if low.endswith((".md", ".markdown", ".mdx")):
            return "markdown"
        if low.endswith((".html", ".htm")):
            return "html"
        if low.endswith(".txt"):
            return "text"
    head = source[:2000].lstrip().lower()
    if head.startswith(("<!doctype", "<html", "<p", "<div", "<article", "<h1", "<h2", "<section")):
        return "html"
    return "markdown"


def parse(source: Any, fmt: str | None = None, filename: str | None = None) -> Document:
    """Parse a draft. ``fmt`` is "markdown", "html" or "text"; guessed when None."""
    if not isinstance(source, str):
        raise DraftError(f"{filename or 'draft'}: the body must be text, got {type(source).__name__}")
    fmt = fmt or detect_format(source, filename)
    if fmt == "markdown":
        return parse_markdown(source)
    if fmt == "html":
        return parse_html(source)
    if fmt == "text":
        return parse_text(source)
    raise DraftError(f"{filename or 'draft'}: unknown format {fmt!r} (expected markdown, html or text)")
