"""Helpers for the benchmark scripts: timing, peak memory, and recording in RESULTS.md."""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "bench" / "data"
RESULTS = ROOT / "bench" / "RESULTS.md"
sys.path.insert(0, str(ROOT / "src"))


def peak_rss_mb() -> float:
    """Peak resident memory of this process and its finished children, in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024


Result = TypeVar("Result")


def same_work_each_way(ways: Sequence[tuple[str, Callable[[], tuple[list[Any], Result]]]]
                       ) -> dict[str, tuple[float, Result]]:
    """Run the same work each of ``ways`` (name, function), timed, in order. Each function returns
    what it produced, as JSON, and what the table needs of it; what they produced must be identical
    (else the benchmark stops). The seconds and what the table needs, by name."""
    runs: dict[str, tuple[float, Result]] = {}
    produced: list[list[Any]] = []
    for name, work in ways:
        t = time.perf_counter()
        output, result = work()
        runs[name] = (time.perf_counter() - t, result)
        produced.append(output)
        print(f"{name}: {len(output):,} in {runs[name][0]:.1f} s")
    assert all(output == produced[0] for output in produced), "the ways disagree"
    return runs


def timing_rows(runs: dict[str, tuple[float, Any]], articles: int | None = None, not_counted: str = "") -> str:
    """The table rows for :func:`same_work_each_way`'s runs, the first being one process: the time of
    each (per article too for the first, when ``articles`` is given) and the peak memory of this
    process and its workers (``not_counted``: other processes left out of it)."""
    (first, (seconds, _)), *others = runs.items()
    per = f" ({1000 * seconds / articles:.1f} ms per article)" if articles else ""
    return (f"| {first}, index load included | {seconds:.1f} s{per} |\n"
            + "".join(f"| {name} (identical output) | {took:.1f} s |\n" for name, (took, _) in others)
            + f"| peak RSS (this process and its worker processes{not_counted}) | {peak_rss_mb():.0f} MB |\n")


def arguments(doc: str | None) -> argparse.ArgumentParser:
    """A benchmark's argument parser: its docstring as ``--help``, and ``--no-record``."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    # A trial run, or an hour in which the machine runs slower than usual, should print its figures
    # without replacing the recorded ones.
    ap.add_argument("--no-record", dest="record", action="store_false",
                    help="print the figures without writing them in bench/RESULTS.md")
    return ap


def record(section: str, body: str, args: argparse.Namespace) -> None:
    """Print the figures, and replace (or add) one ``## section`` of RESULTS.md with them, unless
    ``--no-record``."""
    print(f"\n## {section}\n\n{body.strip()}\n")
    if not args.record:
        print(f"not recorded (--no-record): {section}")
        return
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n\nRecorded by the scripts in bench/.\n"
    block = f"## {section}\n\n_{date.today().isoformat()}, {os.cpu_count()} cores_\n\n{body.strip()}\n"
    pattern = re.compile(rf"^## {re.escape(section)}\n.*?(?=^## |\Z)", re.DOTALL | re.MULTILINE)
    text = pattern.sub(block + "\n", text) if pattern.search(text) else text.rstrip() + "\n\n" + block
    RESULTS.write_text(text)
    print(f"recorded in {RESULTS}")


def floors_verdict(failures: list[str]) -> int:
    """Say which figures fell below their floors in bench/floors.json (or that none did); the exit status."""
    for failure in failures:
        print(f"FLOOR: {failure}", file=sys.stderr)
    if not failures:
        print("floors: every figure at or above its floor in bench/floors.json")
    return 1 if failures else 0


def archive_records(name: str) -> list[dict]:
    """The shared backtest ``name``'s archive records."""
    with gzip.open(SHARED / name / "archive.jsonl.gz", "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def write_backtest(name: str, records: list[dict], out: str) -> None:
    """A backtest folder in ``out``: ``records`` as its archive, beside the shared backtest ``name``'s
    drafts and gold (linked, not copied)."""
    with open(os.path.join(out, "archive.jsonl"), "w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in records)
    for part in ("drafts", "gold"):
        os.symlink(SHARED / name / f"{part}.jsonl.gz", os.path.join(out, f"{part}.jsonl.gz"))


def workdir_option(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--workdir", help="where the store goes (default: a temporary folder)")


@contextmanager
def indexed_digitalgov(workdir: str | None, config: dict) -> Iterator[str]:
    """The path of a new SQLite archive holding the digitalgov backtest's archive, ingested and indexed,
    in ``workdir`` (kept) or a temporary folder (removed afterwards)."""
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(workdir or tmp) / "digitalgov.db")
        indexed_backtest("digitalgov", db, config).close()
        yield db


def indexed_backtest(name: str, db: str, config: dict) -> Any:
    """A new store at ``db`` holding the shared backtest ``name``'s archive, ingested and indexed."""
    # imported here: this module puts src/ on the path for the scripts that import it
    from linkdesk.ingest import ingest
    from linkdesk.store import open_store
    from linkdesk.suggest.pipeline import index_archive

    store = open_store(db)
    ingest(store, [str(SHARED / name / "archive.jsonl.gz")], config=config)
    index_archive(store, config)
    return store
