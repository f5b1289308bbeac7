"""The HTTP API's contract, as the OpenAPI document at ``/openapi.json`` publishes it: what each route
reads and answers, and the one error shape. A CMS generates its client from this; the tests check that
every answer the app gives conforms to it (tests/test_api_contract.py).

The routes return the library's own JSON (``DraftResult.to_json`` and the like), so these models
describe it rather than rebuild it; the draft record is the one model a request is read into.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

__all__ = [
    "ERROR_RESPONSES",
    "AddressIn",
    "ApplyOut",
    "ArticleOut",
    "DeclineIn",
    "DeclinedOut",
    "DraftIn",
    "HealthOut",
    "InboundOut",
    "IndexOut",
    "IngestOut",
    "LinkPairIn",
    "LintOut",
    "OrphanOut",
    "RelatedForOut",
    "RelatedOut",
    "RemoveSourceIn",
    "RemovedSourceOut",
    "ReviewIn",
    "SourceAddressIn",
    "StatsOut",
    "SuggestOut",
    "WithdrawIn",
    "WithdrawalOut",
]


class DraftIn(BaseModel):
    """A draft as a standard record. Fields of the archive record a draft has no use for (tags,
    authors) may be sent and are ignored."""

    # read as sent: an id of `false` is not the number 0
    model_config = ConfigDict(extra="ignore", strict=True)

    body: str = Field(description="the draft's text, in its own markup; offsets in the answer index into it")
    format: Literal["markdown", "html", "text"] | None = Field(None, description="default markdown")
    id: str | int | None = Field(None, description="echoed as the result's id (default: url)")
    url: str | None = Field(None, description="the draft's own address: it is never suggested to itself")
    title: str | None = None
    published: str | None = Field(None, description="a date or datetime (ISO 8601 and the usual feed formats); "
                                                    "articles published after it are not suggested")
    section: str | None = None


class IngestOut(BaseModel):
    added: int
    updated: int
    moved: int
    unchanged: int
    skipped: dict[str, int]
    rejected: list[str] = Field(description="each record left out, named `request record N` and why")
    warnings: list[str]


class AddressIn(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    url: str = Field(min_length=1, description="the article's address, or one of its aliases")


class WithdrawIn(AddressIn):
    reason: str = Field("", description="why (retracted, unpublished, legal), as messages will say it")
    keep_out: bool = Field(False, description="an address the archive does not hold is kept out of later "
                                              "ingests all the same (else: 404)")


class LinkPairIn(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    source: str = Field(min_length=1, description="the article's address (an alias will do), or the draft's id as "
                                                  "sent with the draft, that the link was offered in")
    target_url: str = Field(min_length=1, description="the address it should not link to (an archive article or an "
                                                      "outside source)")


class DeclineIn(LinkPairIn):
    anchor: str = Field("", description="the words the link was offered at, for the record")
    reason: str = Field("", description="why the editor declined it")


class ErrorDetail(BaseModel):
    code: str = Field(description="what went wrong, for a program: bad_request, bad_record, bad_input, unauthorized, "
                                  "not_found, method_not_allowed, index_missing, store_error")
    message: str = Field(description="what went wrong, for a person, naming the field or record at fault")
    fields: list[str] | None = Field(None, description="with bad_request: the request fields at fault")


class ErrorOut(BaseModel):
    error: ErrorDetail


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "the body is not JSON text, or a field of it is unusable (a date that "
                                            "is not one, a draft over the size limit, suggestion numbers out of "
                                            "range)"},
    401: {"model": ErrorOut, "description": "the service has an access token and the request did not send it"},
    404: {"model": ErrorOut, "description": "the article asked about is not in the archive"},
    409: {"model": ErrorOut, "description": "the archive has no link index yet, or not for this article: run "
                                            "`linkdesk index`"},
    413: {"model": ErrorOut, "description": "the request's body is larger than the service takes "
                                            "(`serve.max_request_bytes`)"},
    422: {"model": ErrorOut, "description": "the request does not match this schema"},
    503: {"model": ErrorOut, "description": "the archive's database could not be read"},
}


class AlternativeOut(BaseModel):
    target_url: str
    target_title: str
    outlet: str | None
    outlet_label: str | None
    score: float


class SuggestionOut(BaseModel):
    """A link to insert: ``start``/``end`` are offsets into the draft's body as sent."""

    kind: Literal["internal", "external"]
    anchor: str
    start: int
    end: int
    target_url: str
    target_title: str
    score: float
    reasons: list[str]
    outlet: str | None = Field(None, description="external suggestions only")
    outlet_label: str | None = Field(None, description="external suggestions only")
    alternatives: list[AlternativeOut] = Field([], description="external suggestions only: the next best sources")


class GapOut(BaseModel):
    working_title: str
    phrases: list[str]


class PlaceholderOut(BaseModel):
    """A leftover editorial note; ``resolved`` is the link that replaces it, ``gap`` the article it asks
    for when the archive has none."""

    start: int
    end: int
    text: str
    kind: Literal["internal", "external", "other"]
    anchor: str | None
    resolved: SuggestionOut | None
    gap: GapOut | None


class FindingOut(BaseModel):
    rule: str
    severity: Literal["error", "warning", "info"]
    message: str
    start: int | None
    end: int | None


class RelatedOut(BaseModel):
    url: str
    title: str
    published: str | None
    score: float
    reasons: list[str]


class SuggestOut(BaseModel):
    id: str | int | None
    suggestions: list[SuggestionOut]
    placeholders: list[PlaceholderOut]
    findings: list[FindingOut]
    related: list[RelatedOut] | None = Field(None, description="related coverage for a box beside the draft, "
                                                               "best first: only when asked for (`related`)")


class ReviewedSuggestionIn(BaseModel):
    """A suggestion an editor kept, as ``/suggest`` gave it; ``start``/``end`` must still hold ``anchor``."""

    model_config = ConfigDict(extra="ignore")

    kind: Literal["internal", "external"]
    anchor: StrictStr
    start: StrictInt
    end: StrictInt
    target_url: StrictStr
    target_title: StrictStr = ""
    score: float = 0.0
    reasons: list[StrictStr] = []
    outlet: StrictStr | None = None
    outlet_label: StrictStr | None = None


class ReviewedNoteIn(BaseModel):
    """A note ``/suggest`` found; it is removed only when the suggestion in ``resolved`` is kept."""

    model_config = ConfigDict(extra="ignore")

    start: StrictInt
    end: StrictInt
    text: StrictStr
    kind: Literal["internal", "external", "other"] = "other"
    anchor: StrictStr | None = None
    resolved: ReviewedSuggestionIn | None = None
    gap: GapOut | None = None


class ReviewIn(BaseModel):
    """What an editor kept of ``/suggest``'s answer for a draft, to insert as it is."""

    draft: DraftIn
    suggestions: list[ReviewedSuggestionIn] = Field(description="the suggestions kept, as /suggest gave them")
    placeholders: list[ReviewedNoteIn] = Field([], description="the draft's notes, as /suggest gave them")


class ApplyOut(SuggestOut):
    body: str = Field(description="the draft with the links inserted in its own markup and the resolved notes removed")


class LintOut(BaseModel):
    id: str | int | None
    findings: list[FindingOut]
    placeholders: list[PlaceholderOut]


class HealthOut(BaseModel):
    status: Literal["ok"]
    articles: int
    ranker: Literal["trained", "fallback"]
    threshold: float
    index_saved: str | None
    notices: list[FindingOut]


class LinkCountsOut(BaseModel):
    total: int
    internal: int
    external: int
    internal_resolved: int
    internal_resolved_share: float | None


class LinkedArticleOut(BaseModel):
    url: str
    title: str
    inbound: int


class ChangedArticleOut(BaseModel):
    url: str
    title: str
    updated_at: str


class IndexOut(BaseModel):
    saved: str = Field(description="when the index was saved (`linkdesk index`)")
    read_at: str | None = Field(description="when it read the archive; what was ingested after is not in it")
    articles: int | None
    internal_links: int | None
    ranker: Literal["trained", "fallback"] | None
    threshold: float | None
    trained_at: str | None = Field(description="when the archive the ranker learned from was read (earlier than "
                                               "read_at after `linkdesk index --no-train`)")
    trained_links: int | None
    changed_since: int = Field(description="articles added or changed since the index read the archive: not "
                                           "suggested until the next `linkdesk index`")
    newest_changed: list[ChangedArticleOut]
    usable: bool = Field(description="whether this linkdesk can load it: false for an index another version "
                                     "built, which `linkdesk index` must build again before suggesting")


class StatsOut(BaseModel):
    articles: int
    by_section: dict[str, int]
    by_year: dict[str, int]
    links: LinkCountsOut
    most_linked: list[LinkedArticleOut]
    orphans: int
    withdrawn: int
    declined: int = Field(description="links editors declined (`POST /decline`)")
    site_hosts: list[str]
    index: IndexOut | None


class OutLinkOut(BaseModel):
    anchor: str
    href: str
    internal: bool
    target_url: str | None
    target_title: str | None


class ArticleOut(BaseModel):
    url: str
    title: str
    published: str | None
    section: str | None
    tags: list[str]
    authors: list[str]
    aliases: list[str]
    format: Literal["markdown", "html", "text"]
    words: int
    inbound: int
    links: list[OutLinkOut]


class ArticleRefOut(BaseModel):
    url: str
    title: str


class WithdrawalOut(BaseModel):
    url: str
    title: str
    reason: str
    withdrawn_at: str
    addresses: list[str] = Field(description="its address and aliases, as URL keys (no scheme, www. or trailing "
                                             "slash): what is kept out")
    linked_from: list[ArticleRefOut] = Field(description="archive articles whose links still lead to it")


class DeclinedOut(BaseModel):
    source: str
    target_url: str
    anchor: str
    reason: str
    declined_at: str


class SourceAddressIn(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    url: str = Field(min_length=1, description="an outside address, as the source catalog holds it (or will)")


class RemoveSourceIn(SourceAddressIn):
    """An outside address to take out of the source catalog."""

    reason: str = Field("", description="why (retracted by its outlet, a kill notice), as messages will say it")


class RemovedSourceOut(BaseModel):
    url: str
    title: str = Field(description="the catalog's headline for it; empty when the catalog did not hold it")
    reason: str
    removed_at: str


class OrphanOut(BaseModel):
    url: str
    title: str
    published: str | None
    section: str | None
    words: int


class InboundLinkOut(SuggestionOut):
    """A link to add to another archive article (``source_url``); offsets index into its stored body."""

    source_url: str
    source_title: str
    source_published: str | None


class RelatedForOut(BaseModel):
    url: str
    title: str
    published: str | None
    related: list[RelatedOut] = Field(description="best first; none it links already")


class InboundOut(BaseModel):
    url: str
    title: str
    threshold: float
    articles_searched: int
    links: list[InboundLinkOut]
    below_threshold: int
    best_below_threshold: float | None
