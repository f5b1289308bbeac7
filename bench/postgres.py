"""The digitalgov backtest on a PostgreSQL archive beside the same archive in a SQLite file: time for
each step, and whether the answers agree.

Usage: python bench/postgres.py [--targets N]
A throwaway PostgreSQL cluster is started for the run (tests/pgcluster.py; needs Debian's postgresql),
unless LINKDESK_TEST_PG names a server. Steps: ingest, index + train, `linkdesk suggest` over all
drafts in one process (the outputs must be identical: the index is built from the same rows), stats
and orphans, and `linkdesk inbound` for N archive articles (full-text search differs between the
engines: FTS5's bm25 with the Porter stemmer against PostgreSQL's ts_rank_cd with Snowball's, so
the places found are compared, not required to match).
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from typing import Any

from common import ROOT, SHARED, arguments, record

from linkdesk.archive import orphans
from linkdesk.config import load_config
from linkdesk.ingest import ingest
from linkdesk.store import open_store
from linkdesk.suggest.inbound import inbound_links
from linkdesk.suggest.pipeline import Suggester, index_archive

sys.path.insert(0, str(ROOT))
from tests.pgcluster import in_schema, postgres_server


def _timed(step: Callable[[], Any]) -> tuple[float, Any]:
    t = time.perf_counter()
    out = step()
    return time.perf_counter() - t, out


def _run_engine(db: str, drafts: str, targets: list[str], cfg: dict) -> dict[str, Any]:
    store = open_store(db)
    figures: dict[str, Any] = {}
    figures["ingest"], _ = _timed(lambda: ingest(store, [str(SHARED / "digitalgov" / "archive.jsonl.gz")],
                                                 config=cfg))
    figures["index"], _ = _timed(lambda: index_archive(store, cfg))
    figures["stats"], _ = _timed(store.stats)
    figures["orphans"], found = _timed(lambda: orphans(store))
    figures["orphan_count"] = len(found)
    linkdesk = shutil.which("linkdesk", path=os.path.dirname(sys.executable)) or "linkdesk"
    figures["suggest"], out = _timed(lambda: subprocess.run(
        [linkdesk, "suggest", drafts, "--db", db, "--json"], check=True, capture_output=True, text=True).stdout)
    figures["suggestions"] = out
    suggester = Suggester(store, cfg)
    places: list[set[tuple[str, int, int]]] = []

    def ask() -> None:
        for url in targets:
            links = inbound_links(store, suggester, url).links
            places.append({(link.source_url, link.suggestion.start, link.suggestion.end) for link in links})

    figures["inbound"], _ = _timed(ask)
    figures["places"] = places
    store.close()
    return figures


def main() -> None:
    ap = arguments(__doc__)
    ap.add_argument("--targets", type=int, default=10, help="archive articles asked about by inbound")
    args = ap.parse_args()
    cfg = load_config()
    with gzip.open(SHARED / "digitalgov" / "gold.jsonl.gz", "rt", encoding="utf-8") as fh:
        linked = sorted({g["target_url"] for line in fh for g in json.loads(line).get("links", [])})
    # spread over the articles the drafts link to, by a hash of the address (no hand-picking)
    targets = sorted(linked, key=lambda u: zlib.crc32(u.encode()))[: args.targets]
    with tempfile.TemporaryDirectory() as tmp, postgres_server() as server:
        if server is None:
            sys.exit("no PostgreSQL server: install Debian's postgresql or set LINKDESK_TEST_PG")
        import psycopg

        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute("DROP SCHEMA IF EXISTS linkdesk_bench CASCADE")
            conn.execute("CREATE SCHEMA linkdesk_bench")
        pg = in_schema(server, "linkdesk_bench")
        drafts = os.path.join(tmp, "drafts.jsonl")
        with gzip.open(SHARED / "digitalgov" / "drafts.jsonl.gz", "rb") as src, open(drafts, "wb") as dst:
            raw = src.read()
            dst.write(raw)
        n_drafts = raw.count(b"\n")
        runs = {}
        for name, db in (("SQLite file", os.path.join(tmp, "digitalgov.db")), ("PostgreSQL", pg)):
            runs[name] = _run_engine(db, drafts, targets, cfg)
            r = runs[name]
            print(f"{name}: ingest {r['ingest']:.1f} s, index {r['index']:.1f} s, suggest {r['suggest']:.1f} s, "
                  f"inbound {r['inbound']:.1f} s")
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute("DROP SCHEMA linkdesk_bench CASCADE")
    lite, post = runs["SQLite file"], runs["PostgreSQL"]
    same_suggestions = lite["suggestions"] == post["suggestions"]
    lite_places = sum(len(p) for p in lite["places"])
    post_places = sum(len(p) for p in post["places"])
    shared_places = sum(len(a & b) for a, b in zip(lite["places"], post["places"], strict=True))
    rows = [
        ("ingest (2,518 articles)", "ingest", "s"),
        ("index + train", "index", "s"),
        (f"`linkdesk suggest` over {n_drafts} drafts, one process", "suggest", "s"),
        ("stats", "stats", "ms"),
        ("orphans", "orphans", "ms"),
        (f"inbound for {len(targets)} articles", "inbound", "s"),
    ]

    def shown(value: float, unit: str) -> str:
        return f"{value * 1000:.0f} ms" if unit == "ms" else f"{value:.1f} s"

    table = "| digitalgov | SQLite file | PostgreSQL |\n|---|---|---|\n" + "".join(
        f"| {label} | {shown(lite[key], unit)} | {shown(post[key], unit)} |\n" for label, key, unit in rows)
    table += (f"| suggest output identical | | {'yes' if same_suggestions else 'NO'} |\n"
              f"| orphans | {lite['orphan_count']} | {post['orphan_count']} |\n"
              f"| inbound places found | {lite_places} | {post_places} ({shared_places} the same) |\n")
    record("PostgreSQL archive (bench/postgres.py)", table, args)
    if not same_suggestions:
        sys.exit("the two engines' suggestions differ")


if __name__ == "__main__":
    main()
