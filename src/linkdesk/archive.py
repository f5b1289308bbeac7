"""Archive-level questions answered from a store: one article in full, the articles nothing links to."""

from __future__ import annotations

from typing import Any

from .errors import NotFoundError
from .store.base import Store

__all__ = ["describe_article", "orphans"]


def describe_article(store: Store, url: str) -> dict[str, Any]:
    """Everything the archive knows about one article: metadata, out-links, inbound count."""
    article = store.get_article(url)
    if article is None:
        raise NotFoundError(f"{url}: not in the archive")
    links = store.article_links(article.id)
    return {
        "url": article.url,
        "title": article.title,
        "published": article.published,
        "section": article.section,
        "tags": article.tags,
        "authors": article.authors,
        "aliases": article.aliases,
        "format": article.format,
        "words": len(article.text.split()),
        "inbound": store.inbound_count(article.id),
        "links": links,
    }


def orphans(store: Store, section: str | None = None, limit: int = 0) -> list[dict[str, Any]]:
    """Articles no other article links to, newest first: readers reach them only from outside
    (search, social, the front page). ``linkdesk inbound URL`` finds where to link each from."""
    return [{"url": a.url, "title": a.title, "published": a.published, "section": a.section,
             "words": len(a.text.split())}
            for a in store.orphans(section, limit)]
