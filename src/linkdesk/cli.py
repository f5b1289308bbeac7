"""The ``linkdesk`` command: parse arguments, open the store, call one library function, print.

Library errors (:class:`~linkdesk.errors.LinkdeskError`) become one-line messages and exit
status 2; a command that completed but rejected input exits 1.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from typing import Any

from . import __version__
from .archive import describe_article
from .config import load_config
from .errors import LinkdeskError
from .ingest import KINDS, ingest
from .store import default_db_path, open_store

log = logging.getLogger("linkdesk")

EXIT_OK, EXIT_REJECTED, EXIT_ERROR = 0, 1, 2


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")


def cmd_ingest(args: argparse.Namespace) -> int:
    overrides: dict[str, Any] = {}
    if args.base_url or args.permalink:
        overrides["site"] = {k: v for k, v in (("base_url", args.base_url), ("permalink", args.permalink)) if v}
    if args.delay is not None:
        overrides["crawl"] = {"delay_seconds": args.delay}
    cfg = load_config(args.config, overrides)
    store = open_store(args.db)
    bar = None
    if not args.quiet:
        from tqdm import tqdm

        bar = tqdm(unit=" records", file=sys.stderr, disable=None, leave=False)
    try:
        report = ingest(store, args.sources, kind=args.kind, site_hosts=args.site_host, config=cfg,
                        progress=bar.update if bar else None)
    finally:
        if bar:
            bar.close()
        store.close()
    if args.json:
        _print_json(report.to_json())
    else:
        skipped = ", ".join(f"{n} {why}" for why, n in report.skipped.items())
        print(f"{report.added} added, {report.updated} updated, {report.unchanged} unchanged"
              + (f"; skipped {skipped}" if skipped else "") + f"; {len(report.rejected)} rejected")
    for warning in report.warnings:
        if not args.quiet:
            print(f"warning: {warning}", file=sys.stderr)
    for rejection in report.rejected:
        print(f"rejected: {rejection}", file=sys.stderr)
    return EXIT_REJECTED if report.rejected else EXIT_OK


def cmd_stats(args: argparse.Namespace) -> int:
    store = open_store(args.db, create=False)
    try:
        stats = store.stats()
    finally:
        store.close()
    if args.json:
        _print_json(stats)
        return EXIT_OK
    links = stats["links"]
    print(f"articles: {stats['articles']}   site hosts: {', '.join(stats['site_hosts']) or '(none)'}")
    print("by section: " + ", ".join(f"{k} {v}" for k, v in stats["by_section"].items()))
    print("by year:    " + ", ".join(f"{k} {v}" for k, v in stats["by_year"].items()))
    share = links["internal_resolved_share"]
    print(f"links: {links['total']} ({links['internal']} internal, {links['external']} external); "
          f"internal links resolving to an archive article: "
          f"{'n/a' if share is None else f'{share:.1%}'}")
    print(f"orphans (no inbound links): {stats['orphans']}")
    if stats["most_linked"]:
        print("most linked:")
        for item in stats["most_linked"]:
            print(f"  {item['inbound']:5d}  {item['title']}  <{item['url']}>")
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    store = open_store(args.db, create=False)
    try:
        info = describe_article(store, args.url)
    finally:
        store.close()
    if args.json:
        _print_json(info)
        return EXIT_OK
    print(info["title"])
    print(f"  {info['url']}")
    print(f"  published {info['published'] or '(undated)'} · section {info['section'] or '-'} · "
          f"{info['words']} words · {info['inbound']} inbound")
    if info["tags"]:
        print(f"  tags: {', '.join(info['tags'])}")
    if info["aliases"]:
        print(f"  aliases: {', '.join(info['aliases'])}")
    for link in info["links"]:
        where = "internal" if link["internal"] else "external"
        target = f" → {link['target_title']}" if link["target_title"] else ""
        print(f"  [{where}] {link['anchor'] or '(no text)'} <{link['href']}>{target}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="linkdesk", description="Link desk for newsroom web desks.")
    parser.add_argument("--version", action="version", version=f"linkdesk {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what the library does")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--db", default=None, help=f"archive database (default $LINKDESK_DB or {default_db_path()})")
        p.add_argument("--config", default=None, help="TOML config file (default $LINKDESK_CONFIG or ./linkdesk.toml)")

    p = sub.add_parser("ingest", help="read exports, feeds, folders or URLs into the archive")
    common(p)
    p.add_argument("sources", nargs="+", metavar="SOURCE")
    p.add_argument("--kind", choices=KINDS, help="source kind (default: detected)")
    p.add_argument("--site-host", action="append", help="a host whose links are internal (repeatable)")
    p.add_argument("--base-url", help="site base URL, for folders of Markdown files")
    p.add_argument("--permalink", help="permalink pattern for Markdown folders, e.g. /:year/:month/:slug/")
    p.add_argument("--delay", type=float, help="seconds between requests to one host when fetching")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or warnings")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("stats", help="archive statistics")
    common(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("show", help="one article: metadata, links, inbound count")
    common(p)
    p.add_argument("url")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_show)
    return parser


def run(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args))
    except LinkdeskError as exc:
        print(f"linkdesk: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("linkdesk: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK


def main() -> None:
    sys.exit(run())
