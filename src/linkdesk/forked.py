"""Pools of forked worker processes for the steps that keep one core busy for long (parsing an
ingest's records, reading the archive while training). Forked, so that a worker has what the parent
holds without it being copied or loaded again."""

from __future__ import annotations

import multiprocessing
from multiprocessing.pool import Pool

__all__ = ["can_fork", "forked_pool"]


def can_fork() -> bool:
    """Whether this process may start forked workers: the platform forks (not Windows), and this is
    not itself a daemonic worker (a multiprocessing pool's or a task queue's), which may have no
    children."""
    return "fork" in multiprocessing.get_all_start_methods() and not multiprocessing.current_process().daemon


def forked_pool(jobs: int) -> Pool | None:
    """A pool of ``jobs`` forked workers, or None when one process must do (``jobs`` 1, or
    :func:`can_fork` says no): the caller then does the work itself."""
    if jobs <= 1 or not can_fork():
        return None
    return multiprocessing.get_context("fork").Pool(jobs)
