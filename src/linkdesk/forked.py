"""Pools of forked worker processes for the steps that keep one core busy for long (parsing an
ingest's records, reading the archive while training). Forked, so that a worker has what the parent
holds without it being copied or loaded again."""

from __future__ import annotations

import multiprocessing
from multiprocessing.pool import Pool

__all__ = ["can_fork", "forked_pool", "usable_jobs"]


def can_fork() -> bool:
    """Whether this process may start forked workers: the platform forks (not Windows), and this is
    not itself a daemonic worker (a multiprocessing pool's or a task queue's), which may have no
    children."""
    return "fork" in multiprocessing.get_all_start_methods() and not multiprocessing.current_process().daemon


def usable_jobs(jobs: int) -> int:
    """``jobs``, or 1 where this process cannot fork (:func:`can_fork`): the caller does the work itself."""
    return jobs if can_fork() else 1


def forked_pool(jobs: int) -> Pool:
    """A pool of ``jobs`` forked workers; ask :func:`usable_jobs` first."""
    return multiprocessing.get_context("fork").Pool(jobs)
