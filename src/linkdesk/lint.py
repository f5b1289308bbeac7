"""Pre-publish checks on a draft: findings with a severity and offsets into the source.

Rules (``Finding.rule``):

=========================  ========  ===========================================================
rule                       severity  what
=========================  ========  ===========================================================
leftover-note              error     an editorial note still in the text (resolved or not)
blocked-domain             error     a link to an outlet the policy blocks
empty-anchor               error     a link with no text (a linked image: with no alt text)
empty-address              error     a link with no address ("[text]()")
malformed-link             error     an address that cannot work as written: a misspelt scheme
                                     ("htps://", "https//"), "www.", another site's name or a
                                     mail address with no scheme (read as a page of this site), a
                                     web address starting inside it, a space, double quote or
                                     angle bracket in it
low-trust-source           warning   a link to a low-trust outlet
removed-source             warning   a link to an outside address removed from the source catalog
                                     (a retracted story), with when and why
withdrawn-link             error     a link to an article withdrawn from the archive (retracted,
                                     unpublished), with when and why
internal-link-not-found    warning   a link to the site that matches no archive article (and the
                                     article at the same slug elsewhere, when one is)
duplicate-link             warning   a second link to the same page
over-linking               warning   more links per 100 words than the policy allows
link-in-heading            warning   a link inside a heading
vague-anchor               warning   "click here", "here", "read more" and the like
adjacent-links             warning   two links with nothing but a few spaces between them
unsourced-attribution      warning   second-hand reporting ("according to", "reportedly") with no
                                     outside link in the draft
single-source-contested    warning   a contested claim, and the draft cites at most one outlet
state-affiliated-source    info      a link to state-affiliated media, with its label
=========================  ========  ===========================================================
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Container, Mapping, Sequence
from typing import Any
from urllib.parse import urljoin

from .model import Document, Finding, Placeholder, RemovedSource, Suggestion, Withdrawal
from .sources.attribution import find_claims, sentences
from .sources.outlets import OutletTable
from .suggest.policy import Policy, Spans, side_by_side
from .text.normalize import host_key, link_scope, malformed_url, url_host, url_key

__all__ = ["RULES", "SEVERITIES", "lint", "worst"]

SEVERITIES = ("info", "warning", "error")
# every rule a finding of :func:`lint` can carry
RULES = ("leftover-note", "empty-address", "malformed-link", "empty-anchor", "vague-anchor", "link-in-heading",
         "duplicate-link", "withdrawn-link", "internal-link-not-found", "blocked-domain", "low-trust-source",
         "removed-source",
         "state-affiliated-source", "adjacent-links", "over-linking", "unsourced-attribution",
         "single-source-contested")
_VAGUE = re.compile(r"^(?:click\s+here|here|this|this\s+link|link|read\s+more|more|learn\s+more|this\s+article|"
                    r"this\s+story|go|see\s+here|source)$", re.IGNORECASE)
# an image in Markdown or HTML, and its alt text
_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\(")
_HTML_IMAGE = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_HTML_ALT = re.compile(r"""\balt\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))""", re.IGNORECASE)
_SECOND_HAND = re.compile(r"\b(?:according\s+to|reportedly|reports?\s+(?:say|said|surfaced|suggest)|"
                          r"(?:was|were|has\s+been|have\s+been)\s+reported|citing|sources?\s+(?:say|said|close|"
                          r"familiar)|data\s+(?:show|from)|a\s+(?:new\s+)?(?:study|survey|poll|report)\s+"
                          r"(?:by|from|published|found|shows?))\b", re.IGNORECASE)


def worst(findings: Sequence[Finding]) -> str | None:
    """The most severe level among ``findings``, or None."""
    levels = [SEVERITIES.index(f.severity) for f in findings]
    return SEVERITIES[max(levels)] if levels else None


def _image_in(markup: str) -> str | None:
    """The alt text of the images in a link's ``markup`` ("" when none has any), or None when it holds
    no image."""
    alts = [m.group(1) for m in _MD_IMAGE.finditer(markup)]
    for tag in _HTML_IMAGE.finditer(markup):
        alt = _HTML_ALT.search(tag.group(0))
        alts.append(next((g for g in alt.groups() if g is not None), "") if alt else "")
    if not alts:
        return None
    return " ".join(" ".join(alts).split())


def lint(doc: Document, config: dict[str, Any], outlets: OutletTable | None = None,
         notes: Sequence[Placeholder] = (), suggestions: Sequence[Suggestion] = (),
         archive_urls: Container[str] | None = None, site_hosts: Sequence[str] = (),
         moved_to: Callable[[str], str | None] | None = None,
         withdrawn: Mapping[str, Withdrawal] | None = None,
         removed_sources: Mapping[str, RemovedSource] | None = None) -> list[Finding]:
    """Every finding for ``doc``, in document order. ``archive_urls`` (the archive's url keys) and
    ``site_hosts`` enable the archive checks, ``moved_to`` (an address the archive does not hold →
    the archive's address it likely moved to, or None) names the likely fix, ``withdrawn`` (url key →
    withdrawal) the articles no text should link to, ``removed_sources`` (url key → removal) the
    outside addresses taken out of the source catalog; ``notes`` and ``suggestions`` come from the
    pipeline."""
    table = outlets or OutletTable.from_config(config)
    policy = Policy.from_config(config)
    low_trust = float(config["sources"]["low_trust_tier"])
    out: list[Finding] = []

    for note in notes:
        if note.resolved is not None:
            msg = (f"leftover {note.kind} note; resolved to {note.resolved.target_url} — `linkdesk apply` inserts "
                   "the link and removes the note")
        elif note.gap is not None:
            msg = (f"leftover {note.kind} note; the archive has no such article yet (content gap: "
                   f"\"{note.gap['working_title']}\")")
        else:
            msg = f"leftover note ({note.pattern.replace('_', ' ')}) would be published as is"
        out.append(Finding("leftover-note", "error", msg, note.start, note.end))

    hosts = {host_key(h) for h in site_hosts}
    base = f"https://{sorted(hosts)[0]}/" if hosts else None
    seen: dict[str, int] = {}
    headings = Spans([(z.start, z.end) for z in doc.zones if z.kind == "heading"])
    scopes = [link_scope(link.href, hosts) for link in doc.links]
    for link, scope in zip(doc.links, scopes, strict=True):
        href = link.href.strip()
        absolute = urljoin(base, href) if base and not re.match(r"^[a-z][a-z0-9+.\-]*:", href, re.IGNORECASE) else href
        host = url_host(absolute)
        where = (link.src_start, link.src_end)
        anchor = " ".join(link.anchor.split())
        if not href:
            # "[text]()": the link leads back to the page itself
            out.append(Finding("empty-address", "error", f'link "{anchor}" has no address' if anchor
                               else "a link with no text and no address", *where))
            continue
        problem = malformed_url(href)
        if problem:
            out.append(Finding("malformed-link", "error", f"{href} cannot work as written: {problem}", *where))
        if not anchor:
            image = _image_in(doc.source[link.src_start:link.src_end])
            # a linked image is named by its alt text, as a screen reader reads it
            if image is None:
                out.append(Finding("empty-anchor", "error", f"a link to {href} has no text", *where))
            elif not image:
                out.append(Finding("empty-anchor", "error",
                                   f"a link to {href} holds only an image with no alt text", *where))
        elif _VAGUE.match(anchor.strip(" .:!")):
            out.append(Finding("vague-anchor", "warning",
                               f'anchor "{anchor}" says nothing about where it goes; name the target instead', *where))
        if not headings.clear(link.text_start, link.text_end):
            out.append(Finding("link-in-heading", "warning", f'link "{anchor}" sits in a heading', *where))
        if scope not in ("site", "outside") or problem:
            # a place on this page, an image or a mail address: neither coverage nor a source; and
            # where an address cannot work, where it would lead says nothing more
            continue
        key = url_key(absolute)
        if key in seen:
            out.append(Finding("duplicate-link", "warning", f"{href} is already linked earlier in the text", *where))
        seen.setdefault(key, link.src_start)
        if scope == "site":
            gone = withdrawn.get(key) if withdrawn else None
            if gone is not None:
                out.append(Finding("withdrawn-link", "error", f"{href} leads to {gone.named()}, "
                                   f"{gone.when_and_why()}; remove or replace the link", *where))
            elif archive_urls is not None and hosts and key not in archive_urls:
                moved = moved_to(absolute) if moved_to is not None else None
                out.append(Finding("internal-link-not-found", "warning",
                                   f"{href} points at the site but matches no article in the archive"
                                   + (f"; the archive has one at the same slug: {moved}" if moved else ""), *where))
            continue
        removed = removed_sources.get(key) if removed_sources else None
        if removed is not None:
            out.append(Finding("removed-source", "warning", f"{href} was {removed.when_and_why()}; check that the "
                               "draft should still cite it", *where))
        outlet = table.lookup(absolute)
        if outlet.blocked:
            out.append(Finding("blocked-domain", "error",
                               f"{host} ({outlet.name}) is blocked by the outlet policy"
                               + (f": {outlet.note}" if outlet.note else ""), *where))
        elif outlet.tier >= low_trust:
            out.append(Finding("low-trust-source", "warning",
                               f"{host} ({outlet.name}) is rated low trust"
                               + (f": {outlet.note}" if outlet.note else ""), *where))
        if outlet.kind == "state-affiliated":
            out.append(Finding("state-affiliated-source", "info", f"{outlet.name} is {outlet.label}", *where))

    links = sorted(doc.links, key=lambda link: link.text_start)
    for a, b in itertools.pairwise(links):
        if side_by_side(doc.text, a.text_end, b.text_start):
            out.append(Finding("adjacent-links", "warning",
                               f'links "{a.anchor}" and "{b.anchor}" sit side by side', a.src_start, b.src_end))

    note_spans = [(n.text_start, n.text_end) for n in notes]
    # the policy's cap for links to the archive plus the budget for outside sources
    allowed = policy.cap(doc, note_spans) + int(config["sources"]["max_links"])
    # in-page anchors, images and mail addresses are not what over-linking is about
    counted = [scope for scope in scopes if scope in ("site", "outside")]
    if len(doc.text.split()) >= 50 and len(counted) > allowed:
        out.append(Finding("over-linking", "warning",
                           f"{len(counted)} links in {len(doc.text.split())} words; the policy allows {allowed:g} "
                           f"({policy.max_links_per_100_words:g} per 100 words to the archive, "
                           f"{config['sources']['max_links']} to outside sources)"))

    external_hosts = {url_host(link.href) for link, scope in zip(doc.links, scopes, strict=True) if scope == "outside"}
    external_outlets = {table.lookup_domain(h).name for h in external_hosts}
    # a sentence that is itself a note is not the story; one with a "TK" inside it still is
    spans = [s for s in sentences(doc.text) if not any(a <= s[0] and s[1] <= b for a, b in note_spans)]
    claims = find_claims(doc.text, spans)
    suggested_external = any(s.kind == "external" for s in suggestions)
    if not external_hosts:
        for claim in claims:
            m = _SECOND_HAND.search(doc.text, claim.start, claim.end)
            if m:
                start, end = doc.source_span(claim.start, claim.end)
                out.append(Finding("unsourced-attribution", "warning",
                                   f'"{m.group(0)}" reports second-hand, but the draft links no outside source'
                                   + ("; see the external suggestions" if suggested_external else ""), start, end))
    contested = [c for c in claims if c.contested]
    if contested and len(external_outlets) <= 1:
        start, end = doc.source_span(contested[0].start, contested[0].end)
        cited = f"only {next(iter(external_outlets))}" if external_outlets else "no outlet"
        out.append(Finding("single-source-contested", "warning",
                           f"a contested claim, and the draft cites {cited}: add an independent second source",
                           start, end))
    out.sort(key=lambda f: (f.start if f.start is not None else -1, f.rule))
    return out
