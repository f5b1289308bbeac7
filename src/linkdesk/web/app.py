"""The HTTP API (FastAPI) and the editors' page at ``/``. Each route reads its input, calls the same
library function as the CLI, and returns its JSON; every :class:`~linkdesk.errors.LinkdeskError`
becomes one error shape, ``{"error": {"code", "message"}}``, with a status that says whose fault
it was.

The suggester (index, ranker, source catalog) is loaded when the app starts, and again when
``linkdesk index`` has saved a newer index since (a request checks, at most every few seconds; the
others go on with the one before while it loads). Routes that read the archive itself open the store
per request, as SQLite connections belong to one thread.
"""

from __future__ import annotations

import hmac
import logging
import os
import threading
import time
from collections.abc import Sequence
from importlib import resources
from typing import Annotated, Any

from ..archive import describe_article, orphans
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
from ..store import Store, with_archive
from ..suggest.inbound import inbound_links
from ..suggest.pipeline import Draft, Suggester, apply_result, lint_draft

try:
    from fastapi import Body, FastAPI, Query, Request, Response
    from fastapi.exceptions import RequestValidationError
    from fastapi.middleware.cors import CORSMiddleware
    from fastapi.responses import HTMLResponse, JSONResponse
    from fastapi.staticfiles import StaticFiles
except ImportError as exc:  # the web extra is optional
    raise OptionalDependencyError("the HTTP API needs the web extra: pip install 'linkdesk[web]'") from exc

__all__ = ["app_from_environment", "create_app"]

log = logging.getLogger(__name__)

# whose fault an error is, as an HTTP status
_STATUS: list[tuple[type[LinkdeskError], int]] = [
    (NotFoundError, 404), (InputError, 400), (IndexMissingError, 409), (StoreError, 503),
]


# what a browser needs before it can send a token: the page, its files, and whether the service is up
_OPEN_PATHS = ("/", "/health", "/docs", "/openapi.json")


DraftRecord = Annotated[dict[str, Any], Body(description="a standard draft record: body (required), format, id, "
                                                           "url, title, published, section")]
Threshold = Annotated[float | None, Query(ge=0, le=1, description="minimum score (default: the archive's own)")]
MaxLinks = Annotated[int | None, Query(ge=0, description="at most this many links (0: no fixed cap)")]


def _numbers(text: str, name: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise InputError(f"{name}: expected comma-separated whole numbers, got {text!r}") from None


def _status(exc: LinkdeskError) -> int:
    return next((status for kind, status in _STATUS if isinstance(exc, kind)), 500)


def _error(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, **extra}}, status_code=status)


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

    def get(self) -> Suggester:
        now = time.monotonic()
        # one request looks, and loads; the others meanwhile go on with the suggester they have
        if now - self.checked >= self.check_seconds and self.reloading.acquire(blocking=False):
            try:
                self.checked = now
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

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = [".".join(str(p) for p in e.get("loc", ())) for e in exc.errors()]
        detail = "; ".join(f"{f}: {e.get('msg')}" for f, e in zip(fields, exc.errors(), strict=False))
        return _error(422, "bad_request", detail or "the request could not be read", fields=fields)

    def draft_of(record: dict[str, Any]) -> Draft:
        draft = draft_from_record(record, "request body")
        if record.get("id", record.get("url")) is None:
            # the result's id is the caller's, or none: not the name errors use for the request
            draft.id = None
        return draft

    static = resources.files("linkdesk") / "web" / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page() -> str:
        return (static / "index.html").read_text(encoding="utf-8")

    @app.get("/health")
    def health() -> dict[str, Any]:
        suggester = newest.get()
        return {"status": "ok", "articles": suggester.index.size, "ranker": suggester.ranker.kind,
                "threshold": suggester.threshold(), "index_saved": newest.saved,
                "notices": [f.to_json() for f in suggester.notices()]}

    @app.post("/suggest")
    def suggest(record: DraftRecord, threshold: Threshold = None, max_links: MaxLinks = None) -> dict[str, Any]:
        draft = draft_of(record)
        suggester = newest.get()
        with lock:
            return suggester.run(draft, threshold, max_links).to_json()

    @app.post("/apply")
    def apply(record: DraftRecord, threshold: Threshold = None, max_links: MaxLinks = None,
              keep: Annotated[str | None, Query(description="comma-separated numbers of the suggestions to "
                                                            "insert, as /suggest lists them (default: all; "
                                                            "empty: none)")] = None) -> dict[str, Any]:
        draft = draft_of(record)
        suggester = newest.get()
        with lock:
            result = suggester.run(draft, threshold, max_links)
        if keep is not None:
            result = result.keeping(_numbers(keep, "keep"))
        return {"body": apply_result(draft, result), **result.to_json()}

    @app.post("/lint")
    def lint(record: DraftRecord) -> dict[str, Any]:
        draft = draft_of(record)
        suggester = newest.get()
        with lock:
            result = lint_draft(draft, cfg, suggester)
        return {"id": result.id, "findings": [f.to_json() for f in result.findings],
                "placeholders": [p.to_json() for p in result.placeholders]}

    @app.get("/stats")
    def stats() -> dict[str, Any]:
        return with_archive(db, lambda s: s.stats())

    @app.get("/article")
    def article(url: Annotated[str, Query(min_length=1)]) -> dict[str, Any]:
        return with_archive(db, lambda s: describe_article(s, url))

    @app.get("/orphans")
    def orphan_list(section: str | None = None, limit: Annotated[int, Query(ge=0)] = 0) -> list[dict[str, Any]]:
        return with_archive(db, lambda s: orphans(s, section, limit))

    @app.get("/inbound")
    def inbound(url: Annotated[str, Query(min_length=1)], limit: Annotated[int, Query(ge=0)] = 20,
                threshold: Threshold = None) -> dict[str, Any]:
        suggester = newest.get()
        with lock:
            return with_archive(db, lambda s: inbound_links(s, suggester, url, limit, threshold)).to_json()

    return app


def app_from_environment() -> FastAPI:
    """The app over ``$LINKDESK_DB`` with ``$LINKDESK_CONFIG``, ``$LINKDESK_API_TOKEN`` and
    ``$LINKDESK_CORS_ORIGINS`` (space-separated): what each of ``linkdesk serve --workers N``'s worker
    processes builds for itself."""
    return create_app(os.environ["LINKDESK_DB"], load_config(os.environ.get("LINKDESK_CONFIG")),
                      token=os.environ.get("LINKDESK_API_TOKEN") or None,
                      cors_origins=os.environ.get("LINKDESK_CORS_ORIGINS", "").split())
