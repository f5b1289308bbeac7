"""The HTTP API (FastAPI) and the editors' page at ``/``. Each route reads its input, calls the same
library function as the CLI, and returns its JSON; every :class:`~linkdesk.errors.LinkdeskError`
becomes one error shape, ``{"error": {"code", "message"}}``, with a status that says whose fault
it was.

The suggester (index, ranker, source catalog) is loaded when the app starts, and again when
``linkdesk index`` has saved a newer index since (a request checks, at most every few seconds; the
others go on with the one before while it loads); articles withdrawn, links declined and source
catalog items added meanwhile, by this app or any other process, are taken in at the same look. Routes that read the
archive itself open the store per request, as SQLite connections belong to one thread.
"""

from __future__ import annotations

import hmac
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from importlib import resources
from typing import Annotated, Any

from ..archive import (
    archive_stats,
    decline_links,
    declined_link,
    describe_article,
    forget_declined,
    orphans,
    restore_article,
    withdraw_article,
)
from ..batch import related_for_article
from ..config import load_config
from ..drafts import draft_from_record
from ..errors import (
    IndexMissingError,
    InputError,
    LinkdeskError,
    NotFoundError,
    OptionalDependencyError,
    StoreError,
)
from ..index.linkindex import index_saved
from ..ingest import ingest_records
from ..model import DeclinedLink, IngestReport, RemovedSource, Withdrawal
from ..reviewed import reviewed_result, unlinkable_by
from ..sources.catalog import forget_removed_source, remove_sources
from ..store import Store, with_archive
from ..suggest.inbound import inbound_links
from ..suggest.pipeline import Draft, Suggester, apply_result, lint_draft
from .schema import (
    ERROR_RESPONSES,
    AddressIn,
    ApplyOut,
    ArticleOut,
    DeclinedOut,
    DeclineIn,
    DraftIn,
    HealthOut,
    InboundOut,
    IngestOut,
    LinkPairIn,
    LintOut,
    OrphanOut,
    RelatedForOut,
    RemovedSourceOut,
    RemoveSourceIn,
    ReviewIn,
    SourceAddressIn,
    StatsOut,
    SuggestOut,
    WithdrawalOut,
    WithdrawIn,
)

try:
    from fastapi import Body, FastAPI, Query, Request, Response
    from fastapi.exceptions import RequestValidationError
    from fastapi.middleware.cors import CORSMiddleware
    from fastapi.responses import HTMLResponse, JSONResponse
    from fastapi.staticfiles import StaticFiles
    from starlette.exceptions import HTTPException as StarletteHTTPException
    from starlette.types import ASGIApp, Message, Receive, Scope, Send
except ImportError as exc:  # the web extra is optional
    raise OptionalDependencyError("the HTTP API needs the web extra: pip install 'linkdesk[web]'") from exc

__all__ = ["app_from_environment", "create_app"]

log = logging.getLogger(__name__)

# whose fault an error is, as an HTTP status
_STATUS: list[tuple[type[LinkdeskError], int]] = [
    (NotFoundError, 404), (InputError, 400), (IndexMissingError, 409), (StoreError, 503),
]


_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}

# what a browser needs before it can send a token: the page, its files, and whether the service is up
_OPEN_PATHS = ("/", "/health", "/docs", "/openapi.json")


DraftRecord = Annotated[DraftIn, Body(description="the draft, as a standard record")]
Threshold = Annotated[float | None, Query(ge=0, le=1, description="minimum score (default: the archive's own)")]
MaxLinks = Annotated[int | None, Query(ge=0, description="at most this many links (0: no fixed cap)")]
# a CMS sends what it publishes as it goes; a whole archive goes through `linkdesk ingest`
MAX_ARTICLES_PER_REQUEST = 500
ARTICLE_RECORDS = ("the articles, as standard archive records (DESIGN.md): `url` (http or https) and `title` "
                   "required; `body` in its `format` (markdown, html or text; default markdown), `id`, "
                   "`published`, `section`, `tags`, `authors`, `aliases` (its earlier addresses). A record "
                   "that cannot be used is named in `rejected` and the others go in")
RelatedCount = Annotated[int | None, Query(ge=0, le=50, description="also list this many related archive articles, "
                                                                   "for a box beside the draft (default: the "
                                                                   "configured related.count)")]


def _numbers(text: str, name: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise InputError(f"{name}: expected comma-separated whole numbers, got {text!r}") from None


def _answers(model: Any, *errors: int) -> dict[str, Any]:
    """A route's documented answers: ``model`` on success, the error shape for each status in ``errors``.
    The route returns the library's JSON as it is; the contract test holds it to ``model``."""
    return {"response_model": None,
            "responses": {200: {"model": model}, **{status: ERROR_RESPONSES[status] for status in errors}}}


def _status(exc: LinkdeskError) -> int:
    return next((status for kind, status in _STATUS if isinstance(exc, kind)), 500)


def _error(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, **extra}}, status_code=status)


class _BodyLimit:
    """Refuses a request whose body is over ``limit`` bytes (413, in the API's error shape) before it
    is read into memory: by its Content-Length when it gives one, else as its chunks arrive."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        message = (f"the request's body is larger than this service takes ({self.limit:,} bytes; "
                   "serve.max_request_bytes)")
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            await _error(413, "too_large", message)(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            chunk = await receive()
            if chunk["type"] == "http.request":
                received += len(chunk.get("body", b""))
                if received > self.limit:
                    # answered by the app's own handler, as its other refusals are
                    raise StarletteHTTPException(413, message)
            return chunk

        await self.app(scope, counted, send)


class _Newest:
    """The suggester over the archive's newest index, told apart by the time it was saved."""

    suggester: Suggester

    def __init__(self, db: str, config: dict[str, Any], check_seconds: float) -> None:
        self.db, self.config, self.check_seconds = db, config, check_seconds
        self.saved: str | None = None
        with_archive(db, self._refresh)
        self.checked = time.monotonic()
        self.reloading = threading.Lock()

    def _refresh(self, store: Store) -> None:
        saved = index_saved(store)
        if saved != self.saved:
            self.saved, self.suggester = saved, Suggester(store, self.config)
            log.info("loaded the index saved %s", saved)
        else:
            self.suggester.refresh(store)

    def get(self, now: bool = False) -> Suggester:
        """The suggester, looked at again if ``check_seconds`` have passed (or ``now``: this app has
        just changed the archive)."""
        moment = time.monotonic()
        # one request looks, and loads; the others meanwhile go on with the suggester they have
        if (now or moment - self.checked >= self.check_seconds) and self.reloading.acquire(blocking=now):
            try:
                self.checked = moment
                with_archive(self.db, self._refresh)
            finally:
                self.reloading.release()
        return self.suggester


def create_app(db: str, config: dict[str, Any] | None = None, index_check_seconds: float = 5.0,
               token: str | None = None, cors_origins: Sequence[str] = ()) -> FastAPI:
    """The API over the archive at ``db`` (which must exist and have been indexed). A newer index,
    saved by ``linkdesk index`` while the app runs, is used from the first request at least
    ``index_check_seconds`` after the last look. With ``token``, every route but the page, its files,
    ``/health`` and the API docs needs ``Authorization: Bearer <token>``; ``cors_origins`` are the web
    origins (a CMS's) whose pages may call the API from an editor's browser."""
    cfg = config or load_config()
    newest = _Newest(db, cfg, index_check_seconds)
    # the suggester caches what it reads of the index as it goes: one draft at a time
    lock = threading.Lock()
    app = FastAPI(title="linkdesk", description="Link suggestions, leftover notes and lint for newsroom drafts.")
    app.add_middleware(_BodyLimit, limit=int(cfg["serve"]["max_request_bytes"]))
    if token:
        expected = f"Bearer {token}".encode()

        @app.middleware("http")
        async def require_token(request: Request, call_next: Any) -> Response:
            path = request.url.path
            if path in _OPEN_PATHS or path.startswith("/static/"):
                response: Response = await call_next(request)
                return response
            # compared in constant time, so that response times do not spell the token out
            if not hmac.compare_digest(request.headers.get("authorization", "").encode(), expected):
                return _error(401, "unauthorized", "this linkdesk needs its access token: "
                                                   "send 'Authorization: Bearer <token>'")
            response = await call_next(request)
            return response
    if cors_origins:
        # added last, so it answers a browser's preflight before the token is asked for
        app.add_middleware(CORSMiddleware, allow_origins=list(cors_origins), allow_methods=["GET", "POST"],
                           allow_headers=["authorization", "content-type"])

    @app.exception_handler(LinkdeskError)
    async def linkdesk_error(request: Request, exc: LinkdeskError) -> JSONResponse:
        return _error(_status(exc), exc.code, str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # the framework's own refusals (a body that is not JSON text, no such route, a wrong
        # method) in the same shape as linkdesk's
        code = _HTTP_CODES.get(exc.status_code, "bad_request" if exc.status_code < 500 else "server_error")
        return _error(exc.status_code, code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = [".".join(str(p) for p in e.get("loc", ())) for e in exc.errors()]
        detail = "; ".join(f"{f}: {e.get('msg')}" for f, e in zip(fields, exc.errors(), strict=False))
        return _error(422, "bad_request", detail or "the request could not be read", fields=fields)

    def draft_of(record: DraftIn) -> Draft:
        draft = draft_from_record(record.model_dump(exclude_none=True), "request body")
        if record.id is None and record.url is None:
            # the result's id is the caller's, or none: not the name errors use for the request
            draft.id = None
        return draft

    def written(write: Callable[[Store], Withdrawal | DeclinedLink | RemovedSource | IngestReport]
                ) -> dict[str, Any]:
        """``write`` on the archive, taken in by this instance at once (the others at their next
        look), and the record (or report) it gives back, as JSON."""
        record = with_archive(db, write)
        newest.get(now=True)
        return record.to_json()

    static = resources.files("linkdesk") / "web" / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page() -> str:
        return (static / "index.html").read_text(encoding="utf-8")

    @app.get("/health", **_answers(HealthOut, 503))
    def health() -> dict[str, Any]:
        """Whether the service is up, the archive's size and the index it suggests from."""
        suggester = newest.get()
        return {"status": "ok", "articles": suggester.index.size, "ranker": suggester.ranker.kind,
                "threshold": suggester.threshold(), "index_saved": newest.saved,
                "notices": [f.to_json() for f in suggester.notices()]}

    @app.post("/suggest", **_answers(SuggestOut, 400, 401, 413, 422))
    def suggest(record: DraftRecord, threshold: Threshold = None, max_links: MaxLinks = None,
                related: RelatedCount = None) -> dict[str, Any]:
        """The draft's link suggestions (internal and external), its leftover notes resolved, its
        lint findings, and related coverage for a box beside it when asked (``related``)."""
        draft = draft_of(record)
        suggester = newest.get()
        with lock:
            return suggester.run(draft, threshold, max_links, related).to_json()

    @app.post("/apply", **_answers(ApplyOut, 400, 401, 413, 422))
    def apply(record: DraftRecord, threshold: Threshold = None, max_links: MaxLinks = None,
              keep: Annotated[str | None, Query(description="comma-separated numbers of the suggestions to "
                                                            "insert, as a new run of /suggest lists them (an index "
                                                            "rebuilt since can renumber them: /apply/reviewed "
                                                            "inserts what was reviewed) (default: all; "
                                                            "empty: none)")] = None) -> dict[str, Any]:
        """The draft with its suggestions (or the ones kept) inserted and the notes they resolve removed."""
        draft = draft_of(record)
        suggester = newest.get()
        with lock:
            result = suggester.run(draft, threshold, max_links)
        if keep is not None:
            result = result.keeping(_numbers(keep, "keep"))
        return {"body": apply_result(draft, result), **result.to_json()}

    @app.post("/apply/reviewed", **_answers(ApplyOut, 400, 401, 413, 422))
    def apply_reviewed(review: Annotated[ReviewIn, Body()]) -> dict[str, Any]:
        """The draft with exactly the suggestions an editor kept of ``/suggest``'s answer inserted (and
        the notes they resolve removed), each checked against the draft; unlike ``/apply?keep=``, an
        index rebuilt in between cannot change what is inserted, and a kept link to an article withdrawn
        (or a source removed) since is refused."""
        draft = draft_of(review.draft)
        suggester = newest.get()
        result = reviewed_result(draft, review.model_dump(exclude={"draft"}), "request body",
                                 unlinkable_by(suggester.withdrawn.by_address, suggester.removed_sources))
        with lock:
            result.findings = suggester.lint(draft.doc, result.placeholders, result.suggestions) + suggester.notices()
        return {"body": apply_result(draft, result), **result.to_json()}

    @app.post("/lint", **_answers(LintOut, 400, 401, 413, 422))
    def lint(record: DraftRecord) -> dict[str, Any]:
        """The pre-publish check: leftover notes, links that break the outlet policy or the archive."""
        draft = draft_of(record)
        suggester = newest.get()
        with lock:
            result = lint_draft(draft, cfg, suggester)
        return {"id": result.id, "findings": [f.to_json() for f in result.findings],
                "placeholders": [p.to_json() for p in result.placeholders]}

    @app.get("/stats", **_answers(StatsOut, 401, 503))
    def stats() -> dict[str, Any]:
        """The archive in figures: articles by section and year, links, the most linked, orphans, and
        its saved index, with the articles ingested since it was built (not suggested yet)."""
        return with_archive(db, archive_stats)

    @app.get("/article", **_answers(ArticleOut, 401, 404, 422, 503))
    def article(url: Annotated[str, Query(min_length=1)]) -> dict[str, Any]:
        """One archive article: its metadata, its links and how many articles link to it."""
        return with_archive(db, lambda s: describe_article(s, url))

    @app.get("/orphans", **_answers(list[OrphanOut], 401, 422, 503))
    def orphan_list(section: str | None = None, limit: Annotated[int, Query(ge=0)] = 0) -> list[dict[str, Any]]:
        """Archive articles no other article links to, newest first (``limit`` 0: all)."""
        return with_archive(db, lambda s: orphans(s, section, limit))

    @app.post("/withdraw", **_answers(WithdrawalOut, 400, 401, 413, 404, 422, 503))
    def withdraw(request: Annotated[WithdrawIn, Body()]) -> dict[str, Any]:
        """Take an article out of the archive (retracted, unpublished): never suggested again, from this
        request on, and a link to it is a lint error. Sending it again gives the first withdrawal back."""
        return written(lambda s: withdraw_article(s, request.url, request.reason, request.keep_out))

    @app.post("/restore", **_answers(WithdrawalOut, 400, 401, 413, 404, 422, 503))
    def restore(request: Annotated[AddressIn, Body()]) -> dict[str, Any]:
        """Undo a withdrawal: the next ingest of the article takes it back into the archive."""
        return written(lambda s: restore_article(s, request.url))

    @app.get("/withdrawn", **_answers(list[WithdrawalOut], 401, 503))
    def withdrawn() -> list[dict[str, Any]]:
        """The withdrawn articles, latest first, each with the archive articles still linking to it."""
        return [w.to_json() for w in with_archive(db, lambda s: s.withdrawn())]

    @app.post("/decline", **_answers(DeclinedOut, 400, 401, 413, 422, 503))
    def decline(request: Annotated[DeclineIn, Body()]) -> dict[str, Any]:
        """Remember that ``source`` (an article, a draft by its id) should not link to ``target_url``: it is
        not suggested there again, from this request on. Sending it again gives the first decline back."""
        link = declined_link(request.source, request.target_url, request.anchor, request.reason)
        return written(lambda s: decline_links(s, [link])[0])

    @app.post("/decline/forget", **_answers(DeclinedOut, 400, 401, 413, 404, 422, 503))
    def forget_decline(request: Annotated[LinkPairIn, Body()]) -> dict[str, Any]:
        """Forget a decline: the link may be suggested there again."""
        return written(lambda s: forget_declined(s, request.source, request.target_url))

    @app.get("/declined", **_answers(list[DeclinedOut], 401, 422, 503))
    def declined(source: str | None = None) -> list[dict[str, Any]]:
        """The declined links (``source``'s only, when given), latest first."""
        return [d.to_json() for d in with_archive(db, lambda s: s.declined(source))]

    @app.post("/sources/remove", **_answers(RemovedSourceOut, 400, 401, 413, 422, 503))
    def remove_source(request: Annotated[RemoveSourceIn, Body()]) -> dict[str, Any]:
        """Take an outside address out of the source catalog (a retracted story, a kill notice): never
        suggested again, from this request on, skipped by later adds, and a draft citing it is warned
        in the lint. Sending it again gives the first removal back."""
        return written(lambda s: remove_sources(s, [request.url], request.reason)[0])

    @app.post("/sources/remove/forget", **_answers(RemovedSourceOut, 400, 401, 413, 404, 422, 503))
    def forget_removed(request: Annotated[SourceAddressIn, Body()]) -> dict[str, Any]:
        """Let a removed address into the catalog again, at its next add."""
        return written(lambda s: forget_removed_source(s, request.url))

    @app.get("/sources/removed", **_answers(list[RemovedSourceOut], 401, 503))
    def removed_sources() -> list[dict[str, Any]]:
        """The addresses taken out of the source catalog, latest first."""
        return [r.to_json() for r in with_archive(db, lambda s: s.removed_sources())]

    @app.get("/inbound", **_answers(InboundOut, 401, 404, 409, 422, 503))
    def inbound(url: Annotated[str, Query(min_length=1)], limit: Annotated[int, Query(ge=0)] = 20,
                threshold: Threshold = None) -> dict[str, Any]:
        """Where other archive articles could link to the article at ``url``, best first."""
        suggester = newest.get()
        with lock:
            return with_archive(db, lambda s: inbound_links(s, suggester, url, limit, threshold)).to_json()

    @app.post("/articles", **_answers(IngestOut, 400, 401, 413, 422, 503))
    def add_articles(articles: Annotated[list[Any], Body(max_length=MAX_ARTICLES_PER_REQUEST,
                                                          description=ARTICLE_RECORDS)]) -> dict[str, Any]:
        """Take published articles into the archive (new ones added, changed ones updated), as
        `linkdesk ingest` does: the lint knows them at once, related coverage is listed for them, and
        they are suggested from the next `linkdesk index` (`--no-train`: seconds). A record that cannot
        be used, whatever is wrong with it, is reported and the rest go in."""
        # each record is checked by the library, as a JSONL line is: one record of the wrong shape
        # refused by the request's schema would keep the other 499 out
        return written(lambda s: ingest_records(s, articles, "request", cfg))

    @app.get("/related", **_answers(RelatedForOut, 401, 404, 422, 503))
    def related(url: Annotated[str, Query(min_length=1)], count: Annotated[int, Query(ge=1, le=50)] = 5
                ) -> dict[str, Any]:
        """The archive articles most related to the one at ``url``, older or newer: a see-also box for
        its page."""
        suggester = newest.get()
        with lock:
            return with_archive(db, lambda s: related_for_article(s, suggester, url, count)).to_json()

    return app


def app_from_environment() -> FastAPI:
    """The app over ``$LINKDESK_DB`` with ``$LINKDESK_CONFIG``, ``$LINKDESK_API_TOKEN`` and
    ``$LINKDESK_CORS_ORIGINS`` (space-separated): what each of ``linkdesk serve --workers N``'s worker
    processes builds for itself."""
    return create_app(os.environ["LINKDESK_DB"], load_config(os.environ.get("LINKDESK_CONFIG")),
                      token=os.environ.get("LINKDESK_API_TOKEN") or None,
                      cors_origins=os.environ.get("LINKDESK_CORS_ORIGINS", "").split())
