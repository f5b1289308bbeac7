"""The Store protocol: everything the rest of linkdesk asks of an archive.

The SQLite store and the PostgreSQL store implement it (both through :class:`.sql.SQLStore`), so
callers never know which one they hold.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, cast, runtime_checkable

from ..model import Article, DeclinedLink, Format, OutLink, RemovedSource, SourceItem, Withdrawal, Zone

__all__ = ["ChangedArticle", "PreparedArticle", "Store", "StoredArticle", "StoredLink", "minute", "newest_first",
           "stamp"]


def stamp() -> str:
    """The time (UTC) to the microsecond: what a process compares to tell what changed since it looked."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def minute(moment: str) -> str:
    """A :func:`stamp` as a reader wants it: to the minute, UTC said once."""
    return moment[:16].replace("T", " ") + " UTC"


@dataclass
class PreparedArticle:
    """An article ready to write: the record, its extracted text, its out-links (hrefs already
    absolute) and zones, and the hash that decides whether anything changed."""

    article: Article
    text: str
    links: list[OutLink]
    content_hash: str
    origin: str = ""
    # the version of the parser that made ``text``, the links' offsets and the zones (0: unknown)
    parser: int = 0
    zones: list[Zone] = field(default_factory=list)


@dataclass
class StoredArticle:
    id: int
    url: str
    title: str
    published: str | None
    section: str | None
    tags: list[str]
    authors: list[str]
    format: str
    body: str
    text: str
    aliases: list[str] = field(default_factory=list)
    ext_id: str | None = None
    origin: str = ""

    def to_article(self) -> Article:
        """The record as it was ingested, to be prepared again (by a newer parser, into another store)."""
        return Article(url=self.url, title=self.title, body=self.body, format=cast(Format, self.format),
                       published=self.published, section=self.section, tags=self.tags, authors=self.authors,
                       id=self.ext_id, aliases=self.aliases)


@dataclass(frozen=True)
class ChangedArticle:
    """An article added or changed at ``updated_at`` (after the index was built, say)."""

    url: str
    title: str
    updated_at: str


def newest_first(by_address: Mapping[str, ChangedArticle]) -> list[ChangedArticle]:
    """The articles of ``by_address`` (:meth:`Store.changed_since`), each once though it has several
    addresses, newest first."""
    return sorted(set(by_address.values()), key=lambda a: (a.updated_at, a.url), reverse=True)


@dataclass
class StoredLink:
    source_id: int
    anchor: str
    href: str
    text_start: int
    text_end: int
    internal: bool
    target_id: int | None
    # the whole link in the article's body, markup included
    src_start: int
    src_end: int


@runtime_checkable
class Store(Protocol):
    #: where the archive is, as given (a file path or a DSN): what another process opens it with
    path: str
    #: how messages and reports name the archive (a DSN without its password)
    label: str

    def close(self) -> None: ...

    def write_batch(self, items: Sequence[PreparedArticle]) -> list[str]:
        """Write articles in one transaction; returns "added"/"updated"/"unchanged" per item, "moved"
        for an article updated from a record at a new address that names its old one as an alias;
        not written: "withdrawn" for an article withdrawn from the archive, "old-address" for a record
        at an address that is now an alias of another article (a copy from before it moved)."""
        ...

    def withdraw(self, url: str, reason: str = "") -> Withdrawal | None:
        """Take the article at ``url`` (its address or an alias) out of the archive, with its text and
        links, and keep its addresses so it stays out; None when the archive holds no such article."""
        ...

    def keep_out(self, withdrawal: Withdrawal) -> Withdrawal:
        """Keep the addresses of ``withdrawal`` (its URL, and its ``addresses`` as URL keys) out of the
        archive, as for a withdrawn article, with its title, reason and date: an article this archive
        has not seen (a takedown list for a whole site, the withdrawals of another archive). An
        address withdrawn already keeps its first record."""
        ...

    def restore(self, url: str) -> Withdrawal | None:
        """Forget the withdrawal of the article at ``url``, so a later ingest may take it back; None
        when no withdrawn article had that address."""
        ...

    def withdrawn(self) -> list[Withdrawal]:
        """The withdrawn articles, the latest withdrawal first, each with the articles still linking to it."""
        ...

    def withdrawal(self, url: str) -> Withdrawal | None:
        """The withdrawal of the article that had ``url`` as its address or an alias, if any."""
        ...

    def decline(self, links: Sequence[DeclinedLink]) -> list[DeclinedLink]:
        """Remember editors' declined links, in one transaction; a link declined before keeps its first
        record, which is what comes back for it."""
        ...

    def undecline(self, source: str, target_url: str) -> DeclinedLink | None:
        """Forget that ``source`` declined a link to ``target_url``; None when it had not."""
        ...

    def declined(self, source: str | None = None) -> list[DeclinedLink]:
        """The declined links (``source``'s only, when given), the latest first."""
        ...

    def remove_sources(self, removals: Sequence[RemovedSource]) -> list[RemovedSource]:
        """Take these addresses out of the source catalog and keep them out of later writes, in one
        transaction; each removal's title is the catalog's headline. An address removed before keeps
        its first record, which is what comes back for it."""
        ...

    def removed_sources(self) -> list[RemovedSource]:
        """The addresses taken out of the source catalog, the latest first."""
        ...

    def forget_removed_source(self, url: str) -> RemovedSource | None:
        """Let ``url`` into the catalog again (at its next add); None when it was not removed."""
        ...

    def changed(self, what: str) -> str | None:
        """When the archive's ``what`` last changed (an ISO timestamp), or None when never: "withdrawals"
        (an article withdrawn or restored), "declines" (a link declined or its decline forgotten),
        "sources" (catalog items added, updated or removed)."""
        ...

    def resolve_links(self) -> None:
        """Decide which links are internal and which archive article each one points to."""
        ...

    def site_hosts(self) -> list[str]: ...

    def set_site_hosts(self, hosts: Sequence[str]) -> None: ...

    def count_articles(self) -> int: ...

    def get_article(self, url: str) -> StoredArticle | None: ...

    def get_articles(self, ids: Sequence[int]) -> list[StoredArticle]: ...

    def iter_articles(self, with_body: bool = False) -> Iterator[StoredArticle]: ...

    def stale_article_ids(self, parser: int) -> list[int]:
        """Articles whose text and link offsets a parser older than version ``parser`` made."""
        ...

    def article_zones(self, article_id: int) -> list[Zone]:
        """The zones of the article's text (headings, quotes, code, links...) as its parser found them."""
        ...

    def iter_links(self, internal_only: bool = False) -> Iterator[StoredLink]: ...

    def article_links(self, article_id: int) -> list[dict[str, Any]]: ...

    def inbound_count(self, article_id: int) -> int: ...

    def orphans(self, section: str | None = None, limit: int = 0) -> list[StoredArticle]:
        """Articles no other article links to, newest first (undated ones last), without bodies;
        only ``section``'s when given; all when ``limit`` is 0."""
        ...

    def search(self, phrases: Sequence[str], limit: int = 20) -> list[tuple[int, float]]:
        """Articles whose text uses any of ``phrases`` (each one or more words, in that order; stemmed
        as the full-text index stems them), most relevant first: (article id, bm25 score, lower is
        better)."""
        ...

    def stats(self) -> dict[str, Any]: ...

    def changed_since(self, stamp: str | None) -> dict[str, ChangedArticle]:
        """The articles added or changed after ``stamp`` (an ISO time to the microsecond; all when
        None), by each of their addresses (URL keys, aliases included)."""
        ...

    def write_sources(self, items: Sequence[SourceItem]) -> list[str]:
        """Add or update catalog items by URL; one status per item: added, updated, unchanged."""
        ...

    def iter_sources(self) -> Iterator[SourceItem]: ...

    def count_sources(self) -> int: ...

    def source_stats(self) -> dict[str, Any]: ...

    def external_links(self) -> Iterator[tuple[StoredLink, str, str | None]]: ...

    def feed_state(self, url: str) -> dict[str, Any] | None: ...

    def save_feed_state(self, url: str, etag: str | None, last_modified: str | None, status: str) -> None: ...

    def save_blob(self, name: str, data: bytes, about: dict[str, Any] | None = None) -> None:
        """Store ``data`` as the blob ``name``, with ``about`` it (plain JSON data, read back by
        :meth:`blob_about` without loading the blob) in the same transaction."""
        ...

    def blob_about(self, name: str) -> dict[str, Any] | None: ...

    def load_blob(self, name: str) -> bytes | None: ...

    def blob_created(self, name: str) -> str | None:
        """When the blob ``name`` was last saved (an ISO timestamp), or None when there is none."""
        ...
