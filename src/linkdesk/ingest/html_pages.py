"""Saved HTML article pages: metadata from the usual meta tags, the article body without
navigation. Also used for pages fetched by the crawler."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser

from ..errors import BadRecordError
from ..model import Article, IngestReport, Rejection
from .records import normalize_date

__all__ = ["extract_page", "read"]

_BODY_SELECTORS = ("[itemprop=articleBody]", "article", "main", ".entry-content", ".post-content",
                   ".article-body", "#content")
_NOISE = ("nav", "header", "footer", "aside", "script", "style", "form", "noscript", "iframe",
          ".share", ".social", ".related", ".newsletter", ".comments", ".breadcrumbs", "[role=navigation]")


def _meta(tree: LexborHTMLParser, *selectors: str) -> str | None:
    for sel in selectors:
        node = tree.css_first(sel)
        if node is not None:
            value = node.attributes.get("content") or node.attributes.get("href") or \
                node.attributes.get("datetime") or node.text(strip=True)
            if value and value.strip():
                return value.strip()
    return None


def _json_ld_date(tree: LexborHTMLParser) -> str | None:
    for node in tree.css('script[type="application/ld+json"]'):
        try:
            data = json.loads(node.text())
        except ValueError:
            continue
        for item in data if isinstance(data, list) else [data]:
            if isinstance(item, dict) and item.get("datePublished"):
                return str(item["datePublished"])
    return None


def extract_page(html: str, where: str, fallback_url: str | None = None) -> Article:
    tree = LexborHTMLParser(html)
    url = _meta(tree, 'link[rel="canonical"]', 'meta[property="og:url"]') or fallback_url
    if not url or "://" not in url:
        raise BadRecordError(where, "no canonical URL (<link rel=canonical> or og:url) in the page")
    title = _meta(tree, 'meta[property="og:title"]', "h1", "title")
    if not title:
        raise BadRecordError(where, "no title (og:title, <h1> or <title>) in the page")
    raw_date = _meta(tree, 'meta[property="article:published_time"]', 'meta[name="date"]',
                     'meta[name="pubdate"]', 'meta[name="dc.date"]', 'meta[name="DC.date.issued"]',
                     "time[datetime]") or _json_ld_date(tree)
    try:
        published = normalize_date(raw_date)
    except ValueError:
        published = None
    section = _meta(tree, 'meta[property="article:section"]')
    tags = [(n.attributes.get("content") or "").strip() for n in tree.css('meta[property="article:tag"]')]
    keywords = _meta(tree, 'meta[name="keywords"]')
    if keywords:
        tags += [k.strip() for k in keywords.split(",")]
    author = _meta(tree, 'meta[name="author"]', 'meta[property="article:author"]')
    body_node = None
    for sel in _BODY_SELECTORS:
        body_node = tree.css_first(sel)
        if body_node is not None:
            break
    if body_node is not None:
        for sel in _NOISE:
            for node in body_node.css(sel):
                node.decompose()
        for heading in body_node.css("h1"):
            if heading.text(strip=True) == title:
                heading.decompose()
        body = body_node.html or ""
    else:
        import trafilatura  # imported here: it is slow to import and only needed for pages without markup hints

        body = trafilatura.extract(html, output_format="html", include_links=True) or ""
    return Article(url=url, title=title, body=body, format="html", published=published, section=section,
                   tags=[t for t in dict.fromkeys(tags) if t], authors=[author] if author else [])


def read(folder: str, report: IngestReport) -> Iterator[Article | Rejection]:
    root = Path(folder)
    files = [root] if root.is_file() else sorted(
        p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in (".html", ".htm")
    )
    for path in files:
        where = str(path)
        raw = path.read_bytes()
        try:
            html = raw.decode("utf-8")
        except UnicodeDecodeError:
            # saved pages often carry a legacy charset; selectolax would guess the same way
            html = raw.decode("cp1252", errors="replace")
            report.warnings.append(f"{where}: not UTF-8; read as Windows-1252")
        try:
            yield extract_page(html, where)
        except BadRecordError as exc:
            yield Rejection(exc.where, exc.reason)
