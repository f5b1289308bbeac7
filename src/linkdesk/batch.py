"""Archive-wide jobs over local processes or a Ray cluster: relinking every article, listing every
article's related coverage, checking every article (:mod:`.check`), finding places for every orphan
(:mod:`.suggest.inbound`), or a job of one's own (:class:`ArticleJob`).

A job runs the archive's own articles through the suggester one at a time. The work is split over
worker processes, each loading the index once, here or (the ``ray`` extra) as actors on a Ray
cluster, each opening the archive itself: on a cluster of several machines that is a PostgreSQL
archive, which every node reaches. An article that cannot be read is reported with its error and
the rest go on.

``relink_archive`` runs the archive's own articles through the suggester as drafts written today:
the links each could now carry to the rest of the archive, newer coverage included, around the
links it already has (they count against the policy's cap, and their targets are not offered
again).
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, Generic, Protocol, TypeVar

from .archive import find_article, select_articles
from .config import load_config
from .errors import OptionalDependencyError
from .model import ArticleOutcome, Suggestion
from .store import open_store, with_archive
from .store.base import Store, StoredArticle
from .suggest.pipeline import Draft, DraftResult, Suggester, apply_result, article_draft
from .suggest.related import Related

__all__ = ["ArticleJob", "RelatedFor", "RelatedJob", "RelinkJob", "Relinked", "related_for_article",
           "related_in_archive", "relink_archive", "relink_ids", "run_over_archive"]

log = logging.getLogger(__name__)

# articles handed to a worker at a time: enough to make the hand-over cheap, few enough to keep
# both processes busy to the end
CHUNK = 25

Outcome = TypeVar("Outcome", bound=ArticleOutcome, covariant=True)


class ArticleJob(Protocol, Generic[Outcome]):
    """What a job does with one archive article, in a worker that holds the archive (``store``, open
    for reading) and its suggester. It travels to worker processes and Ray actors, so it is a small
    picklable object. A job whose ``run`` resolves no notes and suggests no outside sources says so
    with a class attribute ``uses_sources = False``: its workers then do not load the source catalog."""

    def run(self, store: Store, suggester: Suggester, article: StoredArticle) -> Outcome: ...

    def failed(self, article: StoredArticle, error: str) -> Outcome:
        """The article's outcome when ``run`` raised ``error``."""
        ...


@dataclass
class Relinked(ArticleOutcome):
    """One archive article's new links (offsets into its stored body), or why it could not be read."""

    suggestions: list[Suggestion] = field(default_factory=list)
    #: with ``RelinkJob(records=True)``, when there are suggestions: the article's standard record (as
    #: ``linkdesk export`` writes it) with the links inserted in its body
    record: dict[str, Any] | None = None

    def payload(self) -> dict[str, Any]:
        return {"suggestions": [s.to_json() for s in self.suggestions]}


@dataclass(frozen=True)
class RelinkJob:
    """The links an article could carry now, at ``threshold`` (None: the archive's own); with
    ``records``, its record with them inserted, for the CMS and a later ingest."""

    threshold: float | None = None
    records: bool = False
    uses_sources = False

    def run(self, store: Store, suggester: Suggester, article: StoredArticle) -> Relinked:
        draft = article_draft(article)
        out = Relinked(article.url, article.title, article.published,
                       suggestions=suggester.internal(draft, self.threshold))
        if self.records and out.suggestions:
            out.record = linked_record(article, draft, DraftResult(draft.id, out.suggestions))
        return out

    def failed(self, article: StoredArticle, error: str) -> Relinked:
        return Relinked(article.url, article.title, article.published, error=error)


@dataclass
class RelatedFor(ArticleOutcome):
    """One archive article's related coverage (best first), or why it could not be read."""

    related: list[Related] = field(default_factory=list)

    def payload(self) -> dict[str, Any]:
        return {"related": [r.to_json() for r in self.related]}


@dataclass(frozen=True)
class RelatedJob:
    """The ``count`` archive articles most related to an article, older or newer (a see-also box on its
    page), other than those it links already."""

    count: int
    uses_sources = False

    def run(self, store: Store, suggester: Suggester, article: StoredArticle) -> RelatedFor:
        return RelatedFor(article.url, article.title, article.published,
                          related=suggester.related(article_draft(article), self.count))

    def failed(self, article: StoredArticle, error: str) -> RelatedFor:
        return RelatedFor(article.url, article.title, article.published, error=error)


def related_for_article(store: Store, suggester: Suggester, url: str, count: int = 5) -> RelatedFor:
    """The ``count`` archive articles most related to the one at ``url`` (NotFoundError when the archive
    does not hold it)."""
    return RelatedJob(count).run(store, suggester, find_article(store, url))


def related_in_archive(db: str, config: dict[str, Any] | None = None, ids: Sequence[int] | None = None,
                       count: int = 5, jobs: int = 1, progress: Callable[[int, int], None] | None = None,
                       ray_address: str | None = None) -> Iterator[RelatedFor]:
    """Every article in ``ids`` (all when None, newest first) of the archive at ``db``, in that order,
    with its ``count`` most related archive articles; the rest as :func:`run_over_archive`."""
    if ids is None:
        ids = with_archive(db, relink_ids)
    return run_over_archive(db, config, ids, RelatedJob(count), jobs, progress, ray_address)


def linked_record(article: StoredArticle, draft: Draft, result: DraftResult) -> dict[str, Any]:
    """The article's standard record (as ``linkdesk export`` writes it) with ``result``'s links
    inserted in its body (``draft`` is the article read as one) and nothing else changed."""
    return replace(article.to_article(), body=apply_result(draft, result)).to_record()


def relink_ids(store: Store, section: str | None = None, since: str | None = None, limit: int = 0) -> list[int]:
    """The stored ids of the articles a relink reads: ``section``'s, published on or after ``since``,
    newest first (undated last), at most ``limit`` (0: all)."""
    chosen = select_articles(store, section, since)
    chosen.sort(key=lambda a: a.published or "", reverse=True)
    ids = [a.id for a in chosen]
    return ids[:limit] if limit > 0 else ids


def relink_archive(db: str, config: dict[str, Any] | None = None, ids: Sequence[int] | None = None,
                   threshold: float | None = None, jobs: int = 1,
                   progress: Callable[[int, int], None] | None = None,
                   ray_address: str | None = None, records: bool = False) -> Iterator[Relinked]:
    """Every article in ``ids`` (all when None, newest first) of the archive at ``db``, in that order,
    with the links the suggester would add to it (and, with ``records``, its record with them
    inserted); the rest as :func:`run_over_archive`."""
    if ids is None:
        ids = with_archive(db, relink_ids)
    return run_over_archive(db, config, ids, RelinkJob(threshold, records), jobs, progress, ray_address)


def run_over_archive(db: str, config: dict[str, Any] | None, ids: Sequence[int], job: ArticleJob[Outcome],
                     jobs: int = 1, progress: Callable[[int, int], None] | None = None,
                     ray_address: str | None = None) -> Iterator[Outcome]:
    """``job`` over every article in ``ids`` of the archive at ``db``, the outcomes in that order.
    ``jobs`` worker processes (1: this one), or with ``ray_address`` that many Ray actors on the
    cluster there ("local": a Ray started here for the job); ``progress(n, total)`` after each ``n``
    articles."""
    cfg = config or load_config()
    chunks = [list(ids[k:k + CHUNK]) for k in range(0, len(ids), CHUNK)]
    if ray_address is not None:
        yield from _counted(_on_ray(ray_address, jobs, chunks, (db, cfg, job)), len(ids), progress)
        return
    if jobs <= 1:
        _start_worker(db, cfg, job)
        try:
            yield from _counted(map(_run_chunk, chunks), len(ids), progress)
        finally:
            _stop_worker()
        return
    # spawned, not forked: the parent's SQLite connection and OpenMP threads must not be copied
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=_start_worker,
                             initargs=(db, cfg, job, 1)) as pool:
        yield from _counted(pool.map(_run_chunk, chunks), len(ids), progress)


def _on_ray(address: str, actors: int, chunks: list[list[int]],
            worker_args: tuple[str, dict[str, Any], ArticleJob[Outcome]]) -> Iterator[list[Outcome]]:
    try:
        import ray
        from ray.util import ActorPool
    except ImportError as exc:
        raise OptionalDependencyError("a job on Ray needs the ray extra: pip install 'linkdesk[ray]'") from exc
    started_here = not ray.is_initialized()
    if started_here:
        ray.init(address=None if address == "local" else address, include_dashboard=False, log_to_driver=False,
                 logging_level=logging.WARNING)
    actor: Any = ray.remote(num_cpus=1)(_RayWorker)
    workers = [actor.remote(*worker_args) for _ in range(max(1, actors))]
    try:
        # results come back in the order the chunks were given
        yield from ActorPool(workers).map(lambda worker, chunk: worker.run.remote(chunk), chunks)
    finally:
        for worker in workers:
            ray.kill(worker)
        if started_here:
            ray.shutdown()


class _RayWorker:
    """One Ray actor: a worker process that loads the index once and runs the job on the chunks it is given."""

    def __init__(self, db: str, config: dict[str, Any], job: ArticleJob[Outcome]) -> None:
        _start_worker(db, config, job, 1)

    def run(self, ids: list[int]) -> list[ArticleOutcome]:
        return _run_chunk(ids)


def _counted(results: Iterator[list[Outcome]], total: int,
             progress: Callable[[int, int], None] | None) -> Iterator[Outcome]:
    for chunk in results:
        yield from chunk
        if progress is not None:
            progress(len(chunk), total)


# what each worker process loads once
_worker: dict[str, Any] = {}


def _start_worker(db: str, config: dict[str, Any], job: ArticleJob[Outcome], threads: int | None = None) -> None:
    if threads is not None:
        # each worker's trees would otherwise start an OpenMP thread per core, and workers' threads
        # spinning for each other's cores made two workers eight times slower than one process
        from threadpoolctl import threadpool_limits

        threadpool_limits(threads)
    store = open_store(db, create=False)
    suggester = Suggester(store, config, sources=getattr(job, "uses_sources", True))
    _worker.update(store=store, suggester=suggester, job=job)


def _stop_worker() -> None:
    _worker.pop("store").close()
    _worker.clear()


def _run_chunk(ids: list[int]) -> list[Any]:
    store: Store = _worker["store"]
    suggester: Suggester = _worker["suggester"]
    job: ArticleJob[ArticleOutcome] = _worker["job"]
    order = {article_id: k for k, article_id in enumerate(ids)}
    out = []
    for article in sorted(store.get_articles(ids), key=lambda a: order[a.id]):
        try:
            out.append(job.run(store, suggester, article))
        except Exception as exc:
            # one article the pipeline cannot handle must not end a job over the whole archive: it is
            # reported with the others' results
            log.info("%s failed on %s", type(job).__name__, article.url, exc_info=True)
            out.append(job.failed(article, f"{type(exc).__name__}: {exc}"))
    return out
