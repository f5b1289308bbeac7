"""External-source suggestions on the shared sources-2025 backtest, and speed on a 100,000-item catalog.

Usage: python bench/sources.py [--check] [--skip-100k]

The whole catalog is loaded through `linkdesk sources add` (no date window is given); each draft
goes through the same external-suggestion path as `linkdesk suggest`, with its own `published`
date. Figures:
- top-1 precision: drafts whose top external suggestion is a gold source, over all drafts
  (a draft with no suggestion counts as a miss);
- recall@3: drafts with a gold source among the top three (the suggestion and its alternatives),
  and the share of all gold sources found in the top three;
- p50 / p95 milliseconds per draft against the 100,000-item catalog (the real one plus synthetic
  headlines drawn from its own word distribution, spread over the same year).
--check compares with bench/floors.json ("sources") and exits 1 when a figure is below its floor.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta

from common import ROOT, SHARED, arguments, floors_verdict, peak_rss_mb, record

from linkdesk.config import load_config
from linkdesk.drafts import read_drafts
from linkdesk.model import Rejection
from linkdesk.sources.catalog import add_sources
from linkdesk.sources.external import ExternalSuggester
from linkdesk.sources.outlets import OutletTable
from linkdesk.sources.retrieve import SourceIndex
from linkdesk.store import Store, open_store
from linkdesk.suggest.pipeline import Draft

FLOORS = ROOT / "bench" / "floors.json"
DATA = SHARED / "sources-2025"


def _drafts() -> list[Draft]:
    return [d for d in read_drafts(str(DATA / "drafts.jsonl.gz")) if not isinstance(d, Rejection)]


def _gold() -> dict[str, set[str]]:
    with gzip.open(DATA / "gold.jsonl.gz", "rt", encoding="utf-8") as fh:
        return {r["id"]: {g["target_url"] for g in r["links"]} for r in map(json.loads, fh)}


def _ranked(ext: ExternalSuggester, draft: Draft) -> list[str]:
    found = ext.suggest(draft.doc, draft.title, draft.published)
    if not found:
        return []
    best = max(found, key=lambda s: s.score)
    return [best.target_url] + [a["target_url"] for a in best.alternatives]


def _loaded(store: Store, cfg: dict) -> tuple[ExternalSuggester, float, float]:
    """The external suggester as every process that suggests loads it (the catalog's search read back,
    as `sources add` saved it), the seconds that took, and the seconds building the search took (what
    `sources add` spends on it, and the first load after a change it did not make)."""
    t = time.perf_counter()
    SourceIndex.build(store.iter_sources(), OutletTable.from_config(cfg))
    t_build = time.perf_counter() - t
    t = time.perf_counter()
    ext = ExternalSuggester(store, cfg)
    return ext, t_build, time.perf_counter() - t


def quality(db: str) -> dict[str, float]:
    cfg = load_config()
    store = open_store(db)
    t = time.perf_counter()
    report = add_sources(store, [str(DATA / "sources.jsonl.gz")], cfg)
    t_add = time.perf_counter() - t
    ext, t_build, t_load = _loaded(store, cfg)
    store.close()
    gold = _gold()
    drafts = _drafts()
    top1 = any3 = none = 0
    share3 = 0.0
    times = []
    for draft in drafts:
        t = time.perf_counter()
        ranked = _ranked(ext, draft)
        times.append((time.perf_counter() - t) * 1000)
        g = gold.get(str(draft.id), set())
        if not ranked:
            none += 1
            continue
        top1 += ranked[0] in g
        any3 += bool(g & set(ranked[:3]))
        share3 += len(g & set(ranked[:3])) / len(g) if g else 0
    n = len(drafts)
    out = {"drafts": n, "catalog": report.added, "rejected": len(report.rejected), "top1_precision": top1 / n,
           "recall_at_3": any3 / n, "gold_share_at_3": share3 / n, "no_suggestion": none,
           "add_seconds": t_add, "build_seconds": t_build, "load_seconds": t_load, "p50_ms": statistics.median(times)}
    print(f"sources-2025: {n} drafts, catalog {report.added} items (added in {t_add:.1f} s, search built in "
          f"{t_build:.2f} s, read back in {t_load:.2f} s)")
    print(f"  top-1 precision {out['top1_precision']:.3f}  recall@3 {out['recall_at_3']:.3f}  "
          f"gold share in top 3 {out['gold_share_at_3']:.3f}  drafts without a suggestion {none}")
    return out


def _synthetic(path: str, n: int, seed: int = 11) -> None:
    """Real catalog lines plus synthetic ones with headlines sampled from the real headlines' words."""
    with gzip.open(DATA / "sources.jsonl.gz", "rt", encoding="utf-8") as fh:
        real = [json.loads(line) for line in fh]
    rng = random.Random(seed)
    words = [w for r in real for w in r["title"].split()]
    outlets = [(r["outlet"], r["url"].split("/")[2]) for r in real]
    start = date(2025, 1, 1)
    with open(path, "w", encoding="utf-8") as out:
        for r in real:
            out.write(json.dumps(r) + "\n")
        for i in range(n - len(real)):
            name, host = rng.choice(outlets)
            title = " ".join(rng.choices(words, k=rng.randint(6, 14)))
            day = start + timedelta(days=rng.randrange(365))
            out.write(json.dumps({"url": f"https://{host}/synthetic/{i}/{'-'.join(title.split()[:8])}",
                                  "outlet": name, "published": day.isoformat(), "title": title}) + "\n")


def speed_100k(tmp: str, n: int = 100_000, sample: int = 500) -> dict[str, float]:
    path = os.path.join(tmp, "catalog-100k.jsonl")
    _synthetic(path, n)
    cfg = load_config()
    store = open_store(os.path.join(tmp, "big.db"))
    t = time.perf_counter()
    report = add_sources(store, [path], cfg)
    t_add = time.perf_counter() - t
    ext, t_build, t_load = _loaded(store, cfg)
    store.close()
    drafts = random.Random(3).sample(_drafts(), sample)
    times = []
    for draft in drafts:
        t = time.perf_counter()
        _ranked(ext, draft)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    out = {"items": report.added + report.unchanged, "add_seconds": t_add, "build_seconds": t_build,
           "load_seconds": t_load,
           "p50_ms": statistics.median(times), "p95_ms": times[int(0.95 * len(times))], "rss_mb": peak_rss_mb()}
    print(f"100k catalog: {out['items']} items added in {t_add:.1f} s, search built in {t_build:.1f} s and read "
          f"back in {t_load:.1f} s; "
          f"per draft p50 {out['p50_ms']:.1f} ms, p95 {out['p95_ms']:.1f} ms (target p50 <= 100 ms); "
          f"peak RSS {out['rss_mb']:.0f} MB")
    return out


def main() -> None:
    ap = arguments(__doc__)
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--skip-100k", action="store_true")
    args = ap.parse_args()
    if not DATA.exists():
        sys.exit(f"{DATA} not found")
    with tempfile.TemporaryDirectory() as tmp:
        q = quality(os.path.join(tmp, "sources.db"))
        big = None if args.skip_100k else speed_100k(tmp)
    body = f"""
| sources-2025 ({q['drafts']} drafts, {q['catalog']} catalog items, no date window) | figure | target / reference |
|---|---|---|
| top-1 precision | {q['top1_precision']:.3f} | >= 0.85; BM25 headlines 0.541, with a 2-day window 0.816 |
| recall@3 (a gold source in the top 3) | {q['recall_at_3']:.3f} | >= 0.85 |
| share of all gold sources in the top 3 | {q['gold_share_at_3']:.3f} | |
| drafts with no suggestion | {q['no_suggestion']} | |
| catalog add (search saved included) / search built / search read back (each load) | {q['add_seconds']:.1f} s / {q['build_seconds']:.2f} s / {q['load_seconds']:.2f} s | |
| per draft, p50 | {q['p50_ms']:.2f} ms | |
"""
    if big:
        body += f"""
| 100,000-item catalog | figure | target |
|---|---|---|
| `sources add` (search saved included) | {big['add_seconds']:.1f} s | |
| search built (within `sources add`, or the first load after another change) | {big['build_seconds']:.1f} s | |
| search read back (each process that suggests) | {big['load_seconds']:.1f} s | |
| per draft p50 / p95 | {big['p50_ms']:.1f} ms / {big['p95_ms']:.1f} ms | p50 <= 100 ms |
| peak RSS of the benchmark process | {big['rss_mb']:.0f} MB | |
"""
    record("External sources (bench/sources.py)", body, args)
    if args.check:
        floors = json.loads(FLOORS.read_text())["sources"]["sources-2025"]
        failures = [f"sources-2025 {k} = {q[k]:.4f}, below the floor {v:.4f}" for k, v in floors.items() if q[k] < v]
        sys.exit(floors_verdict(failures))


if __name__ == "__main__":
    main()
