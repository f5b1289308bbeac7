"""Inbound links on the shared backtests: asked which articles should link to an archive article,
does linkdesk name the drafts whose editors linked it, at the words they linked?

Usage: python bench/inbound.py [--targets N] [--workdir DIR]
Each backtest's archive is ingested and indexed, then its drafts are ingested (links stripped, not
indexed: new pieces the desk has not re-indexed for). For up to N of the archive articles the drafts
link to (spread over them by a hash of the address), `inbound_links` runs at the archive's default
threshold with no limit. Among the links it puts in drafts, one is right when the draft's editor
linked that article with an anchor overlapping it (the span view of score.py); recall counts each
(draft, article) pair of the gold once, as inbound offers one link per article it reads. Links it
puts in archive articles have no gold and are only counted.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import tempfile
import time
from pathlib import Path

from common import SHARED, arguments, indexed_backtest, record

from linkdesk.config import load_config
from linkdesk.ingest import ingest
from linkdesk.suggest.inbound import inbound_links
from linkdesk.suggest.pipeline import Suggester
from linkdesk.text.normalize import url_key


def _gold(name: str) -> dict[str, list[dict]]:
    """Draft URL (as a key) -> its gold links."""
    urls = {}
    with gzip.open(SHARED / name / "drafts.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            urls[d["id"]] = url_key(d["url"])
    out: dict[str, list[dict]] = {}
    with gzip.open(SHARED / name / "gold.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            g = json.loads(line)
            if g["links"]:
                out[urls[g["id"]]] = g["links"]
    return out


def run(name: str, workdir: Path, targets: int) -> dict:
    cfg = load_config()
    db = str(workdir / f"{name}.db")
    store = indexed_backtest(name, db, cfg)
    ingest(store, [str(SHARED / name / "drafts.jsonl.gz")], config=cfg)
    suggester = Suggester(store, cfg)
    gold = _gold(name)
    pairs = {(draft, url_key(g["target_url"])) for draft, links in gold.items() for g in links}
    every = sorted({t for _, t in pairs}, key=lambda t: hashlib.sha1(t.encode()).hexdigest())
    chosen = [t for t in every if suggester.index.lookup_url(t) is not None][:targets]
    wanted = {(d, t) for d, t in pairs if t in chosen}
    tp = in_drafts = in_archive = 0
    t0 = time.perf_counter()
    for target in chosen:
        result = inbound_links(store, suggester, target, limit=0)
        for link in result.links:
            source = url_key(link.source_url)
            if source not in gold and suggester.index.lookup_url(link.source_url) is not None:
                in_archive += 1
                continue
            in_drafts += 1
            s = link.suggestion
            tp += any(url_key(g["target_url"]) == target and s.start < g["end"] and g["start"] < s.end
                      for g in gold.get(source, ()))
    secs = time.perf_counter() - t0
    store.close()
    p = tp / in_drafts if in_drafts else 0.0
    r = tp / len(wanted) if wanted else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    out = {"backtest": name, "targets": len(chosen), "of": len(every), "pairs": len(wanted), "in_drafts": in_drafts,
           "right": tp, "precision": p, "recall": r, "f1": f1, "in_archive": in_archive,
           "seconds_per_target": secs / max(1, len(chosen)), "threshold": suggester.threshold()}
    print(json.dumps(out))
    return out


def main() -> None:
    ap = arguments(__doc__)
    ap.add_argument("--targets", type=int, default=60, help="archive articles asked about per backtest")
    ap.add_argument("--workdir", help="where the stores go (default: a temporary folder)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(args.workdir or tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        rows = [run(name, workdir, args.targets) for name in ("digitalgov", "rust")
                if (SHARED / name / "archive.jsonl.gz").exists()]
    table = ("| backtest | articles asked about | draft links expected | links put in drafts | right | "
             "precision / recall / F1 | links put in archive articles | seconds per article | threshold |\n"
             "|---|---|---|---|---|---|---|---|---|\n")
    table += "\n".join(
        f"| {r['backtest']} | {r['targets']} of {r['of']} | {r['pairs']} | {r['in_drafts']} | {r['right']} | "
        f"{r['precision']:.3f} / {r['recall']:.3f} / {r['f1']:.3f} | {r['in_archive']} | "
        f"{r['seconds_per_target']:.1f} | {r['threshold']:.3f} |" for r in rows)
    record("Inbound links on the backtests (bench/inbound.py)", table, args)


if __name__ == "__main__":
    main()
