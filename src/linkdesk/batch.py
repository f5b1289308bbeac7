"""Archive-wide jobs over local processes: relinking every article.

``relink_archive`` runs the archive's own articles through the suggester as drafts written today:
the links each could now carry to the rest of the archive, newer coverage included, around the
links it already has (they count against the policy's cap, and their targets are not offered
again). The work is split over worker processes, each loading the index once; an article that
cannot be read is reported and the rest go on.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from .config import load_config
from .errors import InputError
from .ingest.records import normalize_date
from .model import Suggestion
from .store import open_store, with_archive
from .store.base import Store
from .suggest.pipeline import Suggester, article_draft

__all__ = ["Relinked", "relink_archive", "relink_ids"]

log = logging.getLogger(__name__)

# articles handed to a worker at a time: enough to make the hand-over cheap, few enough to keep
# both processes busy to the end
CHUNK = 25


@dataclass
class Relinked:
    """One archive article's new links (offsets into its stored body), or why it could not be read."""

    url: str
    title: str
    published: str | None
    suggestions: list[Suggestion] = field(default_factory=list)
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"url": self.url, "title": self.title, "published": self.published}
        if self.error is not None:
            out["error"] = self.error
        else:
            out["suggestions"] = [s.to_json() for s in self.suggestions]
        return out


def relink_ids(store: Store, section: str | None = None, since: str | None = None, limit: int = 0) -> list[int]:
    """The stored ids of the articles a relink reads: ``section``'s, published on or after ``since``,
    newest first (undated last), at most ``limit`` (0: all)."""
    try:
        start = normalize_date(since, "since") if since else None
    except ValueError as exc:
        raise InputError(str(exc)) from None
    chosen = [a for a in store.iter_articles()
              if (section is None or a.section == section) and (start is None or (a.published or "") >= start)]
    chosen.sort(key=lambda a: a.published or "", reverse=True)
    ids = [a.id for a in chosen]
    return ids[:limit] if limit > 0 else ids


def relink_archive(db: str, config: dict[str, Any] | None = None, ids: Sequence[int] | None = None,
                   threshold: float | None = None, jobs: int = 1,
                   progress: Callable[[int, int], None] | None = None) -> Iterator[Relinked]:
    """Every article in ``ids`` (all when None) of the archive at ``db``, in that order, with the
    links the suggester would add to it. ``jobs`` worker processes (1: this one); ``progress(n,
    total)`` after each ``n`` articles."""
    cfg = config or load_config()
    if ids is None:
        ids = with_archive(db, relink_ids)
    chunks = [list(ids[k:k + CHUNK]) for k in range(0, len(ids), CHUNK)]
    if jobs <= 1:
        _start_worker(db, cfg, threshold)
        try:
            yield from _counted(map(_relink_chunk, chunks), len(ids), progress)
        finally:
            _stop_worker()
        return
    # spawned, not forked: the parent's SQLite connection and OpenMP threads must not be copied
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=_start_worker,
                             initargs=(db, cfg, threshold, 1)) as pool:
        yield from _counted(pool.map(_relink_chunk, chunks), len(ids), progress)


def _counted(results: Iterator[list[Relinked]], total: int,
             progress: Callable[[int, int], None] | None) -> Iterator[Relinked]:
    for chunk in results:
        yield from chunk
        if progress is not None:
            progress(len(chunk), total)


# what each worker process loads once
_worker: dict[str, Any] = {}


def _start_worker(db: str, config: dict[str, Any], threshold: float | None, threads: int | None = None) -> None:
    if threads is not None:
        # each worker's trees would otherwise start an OpenMP thread per core, and workers' threads
        # spinning for each other's cores made two workers eight times slower than one process
        from threadpoolctl import threadpool_limits

        threadpool_limits(threads)
    store = open_store(db, create=False)
    _worker.update(store=store, suggester=Suggester(store, config), threshold=threshold)


def _stop_worker() -> None:
    _worker.pop("store").close()
    _worker.clear()


def _relink_chunk(ids: list[int]) -> list[Relinked]:
    store: Store = _worker["store"]
    suggester: Suggester = _worker["suggester"]
    order = {article_id: k for k, article_id in enumerate(ids)}
    out = []
    for article in sorted(store.get_articles(ids), key=lambda a: order[a.id]):
        item = Relinked(article.url, article.title, article.published)
        try:
            item.suggestions = suggester.internal(article_draft(article), _worker["threshold"])
        except Exception as exc:
            # one article the pipeline cannot handle must not end a job over the whole archive: it is
            # reported with the others' results
            log.info("relink: %s failed", article.url, exc_info=True)
            item.error = f"{type(exc).__name__}: {exc}"
        out.append(item)
    return out
