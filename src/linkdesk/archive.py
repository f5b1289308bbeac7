"""Archive-level questions answered from a store: one article in full, the articles nothing links to,
the archive written out as standard records, articles withdrawn from it, and links editors declined."""

from __future__ import annotations

import gzip
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from .errors import BadRecordError, InputError, NotFoundError
from .index.linkindex import index_summary
from .ingest.jsonl import listed_fields, now_stamp, read_address_list, read_records
from .ingest.records import normalize_date
from .model import DeclinedLink, Rejection, Withdrawal
from .store.base import Store, StoredArticle
from .suggest.features import LAYOUT
from .text.normalize import is_web_address, url_key

__all__ = ["archive_stats", "article_selection", "carry_withdrawal", "decline_links", "declined_link",
           "describe_article", "export_archive", "export_records", "find_article", "forget_declined", "orphans",
           "read_declined", "read_withdrawals", "restore_article", "select_articles", "withdraw_article",
           "withdrawn_by_address", "write_records"]


def archive_stats(store: Store) -> dict[str, Any]:
    """The archive in figures (articles by section and year, links, the most linked, orphans, ...)
    and its saved index (``index``: None before the first `linkdesk index`), with what was ingested
    since it was built and whether this linkdesk can use it (``usable``: an index an older or newer
    one built must be built again)."""
    summary = index_summary(store)
    return {**store.stats(),
            "index": {**summary.to_json(), "usable": summary.usable(LAYOUT)} if summary is not None else None}


def find_article(store: Store, url: str) -> StoredArticle:
    """The archive's article at ``url`` (or one of its aliases); NotFoundError saying so, or when and
    why it was withdrawn."""
    article = store.get_article(url)
    if article is None:
        raise _not_there(store, url)
    return article


def describe_article(store: Store, url: str) -> dict[str, Any]:
    """Everything the archive knows about one article: metadata, out-links, inbound count."""
    article = find_article(store, url)
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


def article_selection(section: str | None, since: str | None) -> Callable[[StoredArticle], bool]:
    """Whether an article is of ``section`` and published on or after ``since`` (a date)."""
    try:
        start = normalize_date(since, "since") if since else None
    except ValueError as exc:
        raise InputError(str(exc)) from None
    return lambda a: (section is None or a.section == section) and (start is None or (a.published or "") >= start)


def select_articles(store: Store, section: str | None = None, since: str | None = None) -> list[StoredArticle]:
    """The articles (without bodies) of ``section``, published on or after ``since`` (a date), in the
    order they were stored."""
    chosen = article_selection(section, since)
    return [a for a in store.iter_articles() if chosen(a)]


def export_records(store: Store, section: str | None = None, since: str | None = None) -> Iterator[dict[str, Any]]:
    """The archive's articles as standard records (DESIGN.md, with their aliases), in the order they
    were stored: what ``linkdesk ingest`` reads back, into this store or another (a SQLite file moving
    to a PostgreSQL server, a backup)."""
    chosen = article_selection(section, since)
    # one pass over the stored articles, bodies included, as the store streams them
    for article in store.iter_articles(with_body=True):
        if chosen(article):
            yield article.to_article().to_record()


def export_archive(store: Store, path: str, section: str | None = None, since: str | None = None) -> int:
    """:func:`export_records` written to ``path`` as :func:`write_records` does. Returns how many
    records were written."""
    return write_records(path, export_records(store, section, since))


def write_records(path: str, records: Iterable[dict[str, Any]]) -> int:
    """``records`` written to ``path`` as JSONL (gzipped when it ends in ``.gz``); the file appears
    whole or not at all, also when reading ``records`` fails. Returns how many were written."""
    try:
        fd, partial = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), prefix=".linkdesk-records-")
    except OSError as exc:
        raise InputError(f"{path}: cannot write there ({exc.strerror})") from exc
    os.close(fd)
    written = 0
    try:
        with gzip.open(partial, "wb") if path.endswith(".gz") else open(partial, "wb") as out:
            for record in records:
                out.write(json.dumps(record, ensure_ascii=False).encode("utf-8") + b"\n")
                written += 1
        # as any file the user writes (mkstemp makes it private)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(partial, 0o666 & ~umask)
        os.replace(partial, path)
    except BaseException:
        os.unlink(partial)
        raise
    return written


def withdraw_article(store: Store, url: str, reason: str = "", keep_out: bool = False) -> Withdrawal:
    """Take the article at ``url`` out of the archive (retracted, unpublished, removed on legal advice):
    its text and links go, it is never suggested again (at once, before the next ``linkdesk index``),
    an export that still holds it does not bring it back, and links to it are errors in the lint.
    The result names the archive articles that still link to it. Withdrawing an article twice gives
    the first withdrawal back (a CMS may send the same request again). An address the archive does
    not hold is not found, unless ``keep_out``: then it is kept out of later ingests all the same (a
    takedown list for the whole site, of stories the archive has not taken in yet)."""
    done = store.withdraw(url, reason)
    if done is not None:
        return done
    earlier = store.withdrawal(url)
    if earlier is not None:
        return earlier
    if keep_out:
        return store.keep_out(Withdrawal(url.strip(), "", reason, now_stamp()))
    raise NotFoundError(f"{url}: not in the archive")


def withdrawn_by_address(store: Store) -> dict[str, Withdrawal]:
    """The withdrawn articles by each of their addresses (URL keys): what no text should link to."""
    return {key: w for w in store.withdrawn() for key in w.addresses}


def carry_withdrawal(store: Store, withdrawal: Withdrawal) -> Withdrawal:
    """A withdrawal another archive lists (``withdraw --list --json``), taken over by this one: the
    article is withdrawn here if this archive holds it at any of its addresses, and every address
    is kept out of later ingests, with the listed title, reason and date."""
    for address in [withdrawal.url, *(f"https://{key}" for key in withdrawal.addresses)]:
        store.withdraw(address, withdrawal.reason)
    return store.keep_out(withdrawal)


def read_withdrawals(path: str) -> Iterator[str | Withdrawal | Rejection]:
    """The lines of a list of articles to withdraw or restore: an address a line (blank lines and
    ``#`` notes left out), or a JSON object as ``withdraw --list --json`` writes them, a
    :class:`Withdrawal`; a line that is neither is a Rejection naming it."""
    return read_address_list(path, _listed_withdrawal)


def _listed_withdrawal(record: dict[str, Any], where: str) -> Withdrawal:
    fields = listed_fields(record, where, ("url", "title", "reason"), "withdrawn_at")
    if not fields["url"].strip():
        raise BadRecordError(where, "url: missing")
    addresses = record.get("addresses") or []
    if not isinstance(addresses, list) or not all(isinstance(a, str) for a in addresses):
        raise BadRecordError(where, "addresses: not a list of addresses")
    return Withdrawal(fields["url"].strip(), fields["title"], fields["reason"], fields["withdrawn_at"],
                      [url_key(a) for a in addresses])


def restore_article(store: Store, url: str) -> Withdrawal:
    """Undo a withdrawal, so that a later ingest of the article takes it back into the archive (its text
    is not kept while it is withdrawn)."""
    restored = store.restore(url)
    if restored is None:
        raise NotFoundError(f"{url}: no withdrawn article had this address")
    return restored


def declined_link(source: str, target_url: str, anchor: str = "", reason: str = "") -> DeclinedLink:
    """An editor's decision that ``source`` (an article's address, a draft's id) should not link to
    ``target_url``, checked, as of now."""
    source, target_url = source.strip(), target_url.strip()
    if not source:
        raise InputError("source: give the address of the article, or the id of the draft, the link was offered in")
    parts = urlsplit(target_url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise InputError(f"target_url: {target_url!r} is not an http(s) address")
    return DeclinedLink(source, target_url, anchor.strip(), reason.strip(), now_stamp())


def decline_links(store: Store, links: Sequence[DeclinedLink]) -> list[DeclinedLink]:
    """Remember that each link's source should not link to its target: from now on no suggestion
    (``suggest``, ``relink``, ``inbound``, the HTTP API) offers that target there, at any words, until
    the decline is forgotten. An address of an archive article (an alias will do) is kept as the
    article's own, so that the decision follows it. A link declined before gives its first record back."""
    return store.decline([replace(d, source=_current_address(store, d.source),
                                  target_url=_current_address(store, d.target_url)) for d in links])


def forget_declined(store: Store, source: str, target_url: str) -> DeclinedLink:
    """Undo a decline, so that the link may be suggested there again."""
    forgotten = store.undecline(_current_address(store, source), _current_address(store, target_url))
    if forgotten is None:
        raise NotFoundError(f"{source}: no declined link to {target_url}")
    return forgotten


def read_declined(path: str, reason: str = "") -> Iterator[DeclinedLink | Rejection]:
    """Declined links from a JSONL file, one a line: ``{"source", "target_url", "anchor"?, "reason"?}``
    (``source_url`` for ``source`` too, as ``inbound --json`` names it); or a line of ``suggest
    --json`` or ``relink --json`` (``id`` or ``url``, and ``suggestions``), each of its suggestions
    declined: the output of a review with only what the editor rejected left in. ``reason`` for
    lines without one. A line that is none of these is a Rejection naming it."""
    def convert(record: object, where: str) -> list[DeclinedLink]:
        if not isinstance(record, dict):
            raise BadRecordError(where, "not a JSON object")
        if "suggestions" in record:
            suggestions = record["suggestions"]
            if not isinstance(suggestions, list) or not all(isinstance(x, dict) for x in suggestions):
                raise BadRecordError(where, "suggestions: not a list of suggestions")
            source = record.get("url") or record.get("id")
            return [_declined(where, {**x, "source": source}, reason) for x in suggestions]
        return [_declined(where, record, reason)]

    for item in read_records(path, convert):
        if isinstance(item, Rejection):
            yield item
        else:
            yield from item


def _declined(where: str, record: dict[str, Any], reason: str) -> DeclinedLink:
    fields = {"source": record.get("source", record.get("source_url")), "target_url": record.get("target_url"),
              "anchor": record.get("anchor") or "", "reason": record.get("reason") or reason}
    text: dict[str, str] = {}
    for name, value in fields.items():
        if not isinstance(value, str):
            raise BadRecordError(where, f"{name}: " + ("missing" if value is None else "not a string"))
        text[name] = value
    try:
        return declined_link(**text)
    except InputError as exc:
        raise BadRecordError(where, str(exc)) from exc


def _current_address(store: Store, source: str) -> str:
    article = store.get_article(source) if is_web_address(source) else None
    return article.url if article is not None else source


def _not_there(store: Store, url: str) -> NotFoundError:
    withdrawn = store.withdrawal(url)
    if withdrawn is None:
        return NotFoundError(f"{url}: not in the archive")
    return NotFoundError(f"{url}: {withdrawn.when_and_why()}")
