"""Suggest at scale: a 100,000-article synthetic archive, 1,000-word drafts.

Usage: python bench/scale.py [--articles N] [--drafts K] [--workdir DIR] [--postgres]
Ingests and indexes the synthetic archive (bench/synth.py) in fresh processes, then runs the
suggester over K 1,000-word drafts made from the archive's newest articles (links stripped, the
article itself excluded) in one process and reports per-draft p50/p95, how many suggestions they
got, and that process's peak resident memory.
Targets (issue 3): p50 <= 250 ms per 1,000-word draft, resident memory <= 2 GB.
With --workdir an existing archive there is reused, so the suggest figures can be re-measured alone.
After a full index, and alone with --no-train on an archive kept in --workdir, it also times
`linkdesk index --no-train` (the index rebuilt, the ranker kept), as after a day's articles.
With --postgres the archive goes into a PostgreSQL server instead of a SQLite file (a throwaway
cluster, tests/pgcluster.py, or LINKDESK_TEST_PG), recorded in a section of its own.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

from common import ROOT, arguments, record
from synth import write

sys.path.insert(0, str(ROOT))
from tests.pgcluster import in_schema, postgres_server

SUGGEST = r"""
import json, resource, statistics, sys, time
from linkdesk.config import load_config
from linkdesk.drafts import draft_from_text
from linkdesk.store import open_store
from linkdesk.suggest.pipeline import Suggester
t = time.perf_counter()
store = open_store(sys.argv[1], create=False)
suggester = Suggester(store, load_config())
store.close()
load = time.perf_counter() - t
times, found = [], 0
for line in open(sys.argv[2], encoding="utf-8"):
    rec = json.loads(line)
    draft = draft_from_text(rec["body"], "markdown", "d.md", url=rec["url"], published=rec["published"])
    t = time.perf_counter()
    found += len(suggester.run(draft).suggestions)
    times.append((time.perf_counter() - t) * 1000)
times.sort()
print(json.dumps({"load_seconds": load, "p50_ms": statistics.median(times), "p95_ms": times[int(0.95 * len(times))],
                  "suggestions": found, "drafts": len(times),
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

INDEX = r"""
import json, resource, sys, time
from linkdesk.store import open_store
from linkdesk.suggest.pipeline import index_archive
store = open_store(sys.argv[1], create=False)
t = time.perf_counter()
info = index_archive(store, train_ranker=sys.argv[2:] != ["--no-train"])
print(json.dumps({"seconds": time.perf_counter() - t, "ranker": info["ranker"],
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "worker_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


def _index_peak(indexed: dict) -> str:
    """The index process's peak and, when training forked processes to read the archive, the largest
    of theirs (pages they share with the parent are counted in both)."""
    workers = f"; training processes at most {indexed['worker_rss_mb']:.0f} MB each" if indexed["worker_rss_mb"] else ""
    return f"peak {indexed['rss_mb']:.0f} MB{workers}"


def _python(code: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    return json.loads(out.stdout.strip().splitlines()[-1])


def _drafts(archive: str, path: str, k: int, words: int = 1000) -> None:
    """Drafts from the newest articles of the synthetic archive (its vocabulary, topics and titles),
    cut to about ``words`` words, links turned back into plain anchors; each keeps its URL so the
    suggester leaves the article itself out, as it would a republished story."""
    recent: list[dict] = []
    with open(archive, encoding="utf-8") as fh:
        for line in fh:
            recent.append(json.loads(line))
            if len(recent) > 4 * k:
                del recent[: 2 * k]
    with open(path, "w", encoding="utf-8") as out:
        for rec in recent[-2 * k:]:
            body = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", rec["body"])
            text = " ".join(body.split()[:words])
            if len(text.split()) >= words * 0.6:
                out.write(json.dumps({"url": rec["url"], "body": text, "published": rec["published"]}) + "\n")
                k -= 1
            if k == 0:
                break


def main() -> None:
    ap = arguments(__doc__)
    ap.add_argument("--articles", type=int, default=100_000)
    ap.add_argument("--drafts", type=int, default=200)
    ap.add_argument("--workdir")
    ap.add_argument("--reindex", action="store_true", help="rebuild the index of an archive kept in --workdir")
    ap.add_argument("--no-train", action="store_true",
                    help="time only `index --no-train` on the archive kept in --workdir, then suggest")
    ap.add_argument("--postgres", action="store_true", help="the archive on a PostgreSQL server")
    args = ap.parse_args()
    work = args.workdir or tempfile.mkdtemp(prefix="linkdesk-scale-")
    os.makedirs(work, exist_ok=True)
    with _archive(work, args.postgres) as (db, exists):
        _run(args, work, db, exists)


@contextmanager
def _archive(work: str, postgres: bool) -> Iterator[tuple[str, bool]]:
    """Where the archive is, and whether it is there already."""
    if not postgres:
        db = os.path.join(work, "scale.db")
        yield db, os.path.exists(db)
        return
    with postgres_server() as server:
        if server is None:
            sys.exit("no PostgreSQL server: install Debian's postgresql or set LINKDESK_TEST_PG")
        import psycopg

        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute("CREATE SCHEMA IF NOT EXISTS linkdesk_scale")
            exists = conn.execute("SELECT 1 FROM pg_tables WHERE schemaname = 'linkdesk_scale' "
                                  "AND tablename = 'articles'").fetchone() is not None
        yield in_schema(server, "linkdesk_scale"), exists


def _run(args: argparse.Namespace, work: str, db: str, exists: bool) -> None:
    built: tuple[dict | None, dict | None] | None = None
    if not exists:
        src = os.path.join(work, "archive.jsonl")
        write(src, args.articles)
        code = ("import json, sys, time\nfrom linkdesk.ingest import ingest\nfrom linkdesk.store import open_store\n"
                "s = open_store(sys.argv[2]); t = time.perf_counter(); r = ingest(s, [sys.argv[1]])\n"
                "print(json.dumps({'seconds': time.perf_counter() - t, 'articles': s.count_articles()}))\n")
        ingested = _python(code, src, db)
        indexed = _python(INDEX, db)
        built = (ingested, indexed)
        print(f"ingest {ingested['articles']:,} articles in {ingested['seconds']:.0f} s; index + train "
              f"{indexed['seconds']:.0f} s (ranker {indexed['ranker']}, {_index_peak(indexed)})")
    elif args.reindex:
        indexed = _python(INDEX, db)
        built = (None, indexed)
        print(f"index + train {indexed['seconds']:.0f} s (ranker {indexed['ranker']}, {_index_peak(indexed)})")
    elif args.no_train:
        built = (None, None)
    refreshed = None
    if built:
        refreshed = _python(INDEX, db, "--no-train")
        print(f"index --no-train {refreshed['seconds']:.0f} s (peak {refreshed['rss_mb']:.0f} MB)")
    drafts = os.path.join(work, "drafts.jsonl")
    _drafts(os.path.join(work, "archive.jsonl"), drafts, args.drafts)
    t = time.perf_counter()
    res = _python(SUGGEST, db, drafts)
    print(f"suggest: {res['drafts']} drafts of ~1,000 words, load {res['load_seconds']:.1f} s, "
          f"p50 {res['p50_ms']:.0f} ms, p95 {res['p95_ms']:.0f} ms, peak RSS {res['rss_mb']:.0f} MB "
          f"({res['suggestions']} suggestions; wall {time.perf_counter() - t:.0f} s)")
    rows = ""
    if built:
        ingested, indexed = built
        if ingested is not None:
            rows += f"| ingest | {ingested['seconds']:.0f} s | |\n"
        if indexed is not None:
            rows += f"| index + train | {indexed['seconds']:.0f} s, {_index_peak(indexed)} | |\n"
    if refreshed is not None:
        rows += (f"| `index --no-train` (ranker kept), in a fresh process | {refreshed['seconds']:.0f} s, peak "
                 f"{refreshed['rss_mb']:.0f} MB | |\n")
    section = "Scale on PostgreSQL (bench/scale.py --postgres)" if args.postgres else "Scale (bench/scale.py)"
    record(section, f"""
| {args.articles:,}-article synthetic archive | figure | target |
|---|---|---|
{rows}| suggester load (index, ranker, source catalog's search) | {res['load_seconds']:.1f} s | |
| suggest per 1,000-word draft, p50 / p95 ({res['drafts']} drafts) | {res['p50_ms']:.0f} ms / {res['p95_ms']:.0f} ms | p50 <= 250 ms |
| suggestions made | {res['suggestions']} ({res['suggestions'] / max(1, res['drafts']):.1f} per draft) | |
| peak RSS of the suggesting process | {res['rss_mb']:.0f} MB | <= 2,048 MB |
""", args)


if __name__ == "__main__":
    main()
