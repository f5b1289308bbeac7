"""The ``linkdesk`` command: parse arguments, open the store, call one library function, print.

Library errors (:class:`~linkdesk.errors.LinkdeskError`) become one-line messages and exit
status 2; a command that completed but rejected input exits 1.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

from . import __version__
from .archive import (
    archive_stats,
    carry_withdrawal,
    decline_links,
    declined_link,
    describe_article,
    export_archive,
    export_records,
    forget_declined,
    orphans,
    read_declined,
    read_withdrawals,
    restore_article,
    withdraw_article,
    write_records,
)
from .batch import RelatedFor, related_for_article, related_in_archive, relink_archive, relink_ids
from .check import Checked, check_archive, summarize
from .config import load_config
from .drafts import read_drafts
from .errors import DraftError, InputError, LinkdeskError, NotFoundError, OptionalDependencyError
from .evaluate import HOLDOUT_SHARE, OUTCOMES, THRESHOLDS, backtest_dir, backtest_store
from .index.linkindex import INDEX_BLOB, index_saved
from .ingest import KINDS, ingest
from .lint import RULES, SEVERITIES, worst
from .model import DeclinedLink, IngestReport, Rejection, RemovedSource, Withdrawal
from .render import terminal_report
from .reviewed import review_for, reviewed_records, reviewed_result, unlinkable_in
from .sources.catalog import (
    add_sources,
    catalog_stats,
    forget_removed_source,
    list_sources,
    read_removals,
    remove_sources,
)
from .sources.outlets import OutletTable
from .store import Store, default_db_path, open_store, with_archive
from .store.base import minute
from .suggest.inbound import Inbound, inbound_links, orphans_inbound
from .suggest.pipeline import Draft, Suggester, apply_result, index_archive, index_is_current, lint_draft
from .suggest.ranker import TARGET_PRECISION
from .suggest.related import Related

log = logging.getLogger("linkdesk")

EXIT_OK, EXIT_REJECTED, EXIT_ERROR = 0, 1, 2

T = TypeVar("T")
R = TypeVar("R")


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
                        progress=bar.update if bar is not None else None,
                        jobs=args.jobs)
        indexed = store.blob_created(INDEX_BLOB) is not None
    finally:
        if bar is not None:
            bar.close()
        store.close()
    status = _report(report, args)
    if report.added + report.updated + report.moved and not args.quiet and not args.json:
        print("suggested from the next `linkdesk index`" + (" (`linkdesk index --no-train` keeps the ranker: "
                                                             "seconds)" if indexed else ""), file=sys.stderr)
    return status


def _report(report: IngestReport, args: argparse.Namespace) -> int:
    if args.json:
        _print_json(report.to_json())
    else:
        skipped = ", ".join(f"{n} {why}" for why, n in report.skipped.items())
        moved = f", {report.moved} moved to a new address" if report.moved else ""
        print(f"{report.added} added, {report.updated} updated{moved}, {report.unchanged} unchanged"
              + (f"; skipped {skipped}" if skipped else "") + f"; {len(report.rejected)} rejected")
    for warning in report.warnings:
        if not args.quiet:
            print(f"warning: {warning}", file=sys.stderr)
    for rejection in report.rejected:
        print(f"rejected: {rejection}", file=sys.stderr)
    return EXIT_REJECTED if report.rejected else EXIT_OK


def cmd_stats(args: argparse.Namespace) -> int:
    stats = with_archive(args.db, archive_stats)
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
    if stats["withdrawn"]:
        print(f"withdrawn articles: {stats['withdrawn']} (`linkdesk withdraw --list`)")
    if stats["declined"]:
        print(f"declined links: {stats['declined']} (`linkdesk decline --list`)")
    if stats["most_linked"]:
        print("most linked:")
        for item in stats["most_linked"]:
            print(f"  {item['inbound']:5d}  {item['title']}  <{item['url']}>")
    _print_index_summary(stats["index"])
    return EXIT_OK


def _print_index_summary(summary: dict[str, Any] | None) -> None:
    if summary is None:
        print("index: none yet (`linkdesk index`)")
        return
    parts = [f"saved {minute(summary['saved'])}"]
    # an index an earlier linkdesk saved says no more than when
    if summary["articles"] is not None:
        parts.append(f"{summary['articles']} articles")
    if summary["ranker"] is not None:
        ranker = "trained ranker" if summary["ranker"] == "trained" else "unsupervised scorer"
        if summary["trained_at"] and summary["trained_at"] != summary["read_at"]:
            ranker += (f" kept from the archive as of {minute(summary['trained_at'])} "
                       f"({summary['trained_links']} internal links then, {summary['internal_links']} now)")
        parts.append(f"{ranker}, default threshold {summary['threshold']:.3f}")
    print("index: " + "; ".join(parts))
    if not summary["usable"]:
        print("  built by another version of linkdesk, which this one cannot load: run `linkdesk index` "
              "before suggesting")
    elif summary["changed_since"]:
        print(f"  {summary['changed_since']} article(s) added or changed since, not suggested yet: run "
              "`linkdesk index` (or `linkdesk index --no-train`, seconds)")
        for article in summary["newest_changed"]:
            print(f"    {minute(article['updated_at'])}  {article['title']}  <{article['url']}>")


def cmd_show(args: argparse.Namespace) -> int:
    info = with_archive(args.db, lambda store: describe_article(store, args.url))
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


def cmd_orphans(args: argparse.Namespace) -> int:
    found = with_archive(args.db, lambda store: orphans(store, args.section, args.limit))
    if args.json:
        for item in found:
            _print_json(item)
        return EXIT_OK
    for item in found:
        print(f"{item['published'] or '(undated)':10s}  {item['section'] or '-':12s}  {item['title']}  <{item['url']}>")
    print(f"{len(found)} orphan(s)" + (f" in {args.section}" if args.section else ""))
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    if args.out is None:
        def each(store: Store) -> int:
            written = 0
            for record in export_records(store, args.section, args.since):
                _print_json(record)
                written += 1
            return written

        written = with_archive(args.db, each)
        print(f"{written} article(s) written", file=sys.stderr)
        return EXIT_OK
    written = with_archive(args.db, lambda store: export_archive(store, args.out, args.section, args.since))
    print(f"{written} article(s) written to {args.out}")
    return EXIT_OK


def cmd_inbound(args: argparse.Namespace) -> int:
    cfg = load_config(args.config)
    if args.orphans:
        return _orphans_inbound(args, cfg)
    if args.url is None:
        raise InputError("give the article's address, or --orphans")
    found = with_archive(args.db, lambda store: inbound_links(store, Suggester(store, cfg, sources=False), args.url,
                                                               args.limit, args.threshold))
    if args.json:
        _print_json(found.to_json())
        return EXIT_OK
    _print_inbound(found)
    return EXIT_OK


def _print_inbound(found: Inbound) -> None:
    print(f"== {found.title} <{found.url}>")
    for link in found.links:
        s = link.suggestion
        print(f"  {s.score:.2f}  {link.source_title}  <{link.source_url}>")
        print(f"        link \"{s.anchor}\" at {s.start}-{s.end}: {s.reasons[0] if s.reasons else ''}")
    print(f"{len(found.links)} article(s) at or above {found.threshold:.2f} of {found.searched} that use its words")
    if found.below:
        print(f"{found.below} more scored under it (best {found.best_below:.2f}); --threshold lists them")


def cmd_related(args: argparse.Namespace) -> int:
    cfg = load_config(args.config)
    if args.urls and (args.section or args.since or args.limit):
        raise InputError("--section, --since and --limit choose from the whole archive: give addresses or those")
    if args.urls:
        suggester = with_archive(args.db, lambda store: Suggester(store, cfg, sources=False))
        found, missing = _each_found(args.db, args.urls,
                                     lambda store, url: related_for_article(store, suggester, url, args.count))
        for item in found:
            _print_related(item, args.json)
        return _left_over(missing)
    db = args.db or default_db_path()
    ids = with_archive(db, lambda store: relink_ids(store, args.section, args.since, args.limit))
    bar = _TotalBar(" articles")
    failed = 0
    try:
        for item in related_in_archive(db, cfg, ids, args.count, args.jobs, progress=bar, ray_address=args.ray):
            if item.error is not None:
                failed += 1
                print(f"failed: {item.url}: {item.error}", file=sys.stderr)
            else:
                _print_related(item, args.json)
    finally:
        bar.close()
    print(f"{len(ids)} article(s) read" + (f"; {failed} failed" if failed else ""),
          file=sys.stderr if args.json else sys.stdout)
    return EXIT_REJECTED if failed else EXIT_OK


def _print_related(item: RelatedFor, as_json: bool) -> None:
    if as_json:
        _print_json(item.to_json())
        return
    print(f"== {item.title} <{item.url}>")
    _print_related_list(item.related, "  ")


def _print_related_list(related: Sequence[Related], indent: str) -> None:
    for r in related:
        print(f"{indent}{r.score:.2f}  {r.title}  <{r.url}>  ({'; '.join(r.reasons)})")
    if not related:
        print(f"{indent}no archive article is related closely enough")


def _orphans_inbound(args: argparse.Namespace, cfg: dict[str, Any]) -> int:
    if args.url is not None:
        raise InputError("give an article's address or --orphans, not both")
    bar = _TotalBar(" articles")
    try:
        report = orphans_inbound(args.db or default_db_path(), cfg, args.section, args.newest, args.limit,
                                 args.threshold, args.jobs, progress=bar, ray_address=args.ray)
    finally:
        bar.close()
    for item in report.orphans:
        if item.inbound is None:
            print(f"failed: {item.url}: {item.error}", file=sys.stderr)
        elif args.json:
            _print_json(item.to_json())
        elif item.inbound.links:
            _print_inbound(item.inbound)
    for source in report.unreadable:
        print(f"failed: {source.url}: {source.error}", file=sys.stderr)
    placed = [item.inbound for item in report.orphans if item.inbound is not None and item.inbound.links]
    failed = len(report.unreadable) + sum(item.inbound is None for item in report.orphans)
    print(f"{len(report.orphans)} orphan(s) asked about, {len(placed)} with places for "
          f"{sum(len(found.links) for found in placed)} link(s) in {report.articles_read} article(s) read"
          + (f"; {failed} failed" if failed else ""), file=sys.stderr if args.json else sys.stdout)
    return EXIT_REJECTED if failed else EXIT_OK


def cmd_relink(args: argparse.Namespace) -> int:
    cfg = load_config(args.config)
    db = args.db or default_db_path()
    if args.reviewed is not None:
        return _relink_reviewed(args, db)
    ids = with_archive(db, lambda store: relink_ids(store, args.section, args.since, args.limit))
    bar = _TotalBar(" articles")
    articles = with_links = links = failed = 0

    def relinked() -> Iterator[dict[str, Any]]:
        """Each result printed as it comes; the records of those with new links, for --out."""
        nonlocal articles, with_links, links, failed
        for item in relink_archive(db, cfg, ids, args.threshold, args.jobs, progress=bar, ray_address=args.ray,
                                   records=args.out is not None):
            articles += 1
            if item.error is not None:
                failed += 1
                print(f"failed: {item.url}: {item.error}", file=sys.stderr)
                continue
            if not item.suggestions:
                continue
            with_links += 1
            links += len(item.suggestions)
            if args.json:
                _print_json(item.to_json())
            else:
                print(f"{item.title}  <{item.url}>")
                for s in item.suggestions:
                    print(f"  {s.score:.2f}  \"{s.anchor}\" at {s.start}-{s.end} → {s.target_title}  <{s.target_url}>")
            if item.record is not None:
                yield item.record

    try:
        if args.out is not None:
            write_records(args.out, relinked())
        else:
            for _ in relinked():
                pass
    finally:
        bar.close()
    summary = sys.stderr if args.json else sys.stdout
    print(f"{articles} article(s) read, {with_links} could carry {links} more link(s)"
          + (f"; {failed} failed" if failed else ""), file=summary)
    if args.out is not None:
        print(f"wrote {with_links} article record(s) with the links inserted to {args.out} "
              f"(`linkdesk ingest {args.out}` takes them into the archive)", file=summary)
    return EXIT_REJECTED if failed else EXIT_OK


def _relink_reviewed(args: argparse.Namespace, db: str) -> int:
    """``relink --reviewed``: the records of a review's articles with the links kept in it."""
    if args.out is None:
        raise InputError("--reviewed writes the reviewed articles' records: give --out FILE")
    given = [name for name, value in (("--section", args.section), ("--since", args.since), ("--limit", args.limit),
                                      ("--threshold", args.threshold is not None), ("--json", args.json),
                                      ("--jobs", args.jobs != 1), ("--ray", args.ray)) if value]
    if given:
        raise InputError(f"--reviewed inserts the reviewed links as they are: {', '.join(given)} cannot go with it")
    rejected = 0

    def records(store: Store) -> Iterator[dict[str, Any]]:
        nonlocal rejected
        for item in reviewed_records(store, args.reviewed):
            if isinstance(item, Rejection):
                rejected += 1
                print(f"rejected: {item}", file=sys.stderr)
            else:
                yield item

    written = with_archive(db, lambda store: write_records(args.out, records(store)))
    print(f"wrote {written} article record(s) with the reviewed links inserted to {args.out} "
          f"(`linkdesk ingest {args.out}` takes them into the archive)"
          + (f"; {rejected} review line(s) rejected" if rejected else ""))
    return EXIT_REJECTED if rejected else EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    cfg = load_config(args.config)
    bar = _TotalBar(" articles")

    def show(item: Checked) -> None:
        if item.error is not None:
            print(f"failed: {item.url}: {item.error}", file=sys.stderr)
        elif item.findings and args.json:
            _print_json(item.to_json())
        elif item.findings:
            print(f"{item.title}  <{item.url}>")
            for f in item.findings:
                where = f" at {f.start}-{f.end}" if f.start is not None else ""
                print(f"  {f.severity}{where}: {f.message} [{f.rule}]")

    try:
        summary = summarize(check_archive(args.db or default_db_path(), cfg, args.section, args.since, args.rule,
                                          args.min_severity, args.jobs, progress=bar, ray_address=args.ray), show)
    finally:
        bar.close()
    out = sys.stderr if args.json else sys.stdout
    print(f"{summary.articles} article(s) checked, {summary.with_findings} with findings"
          + (f", {summary.unreadable} unreadable" if summary.unreadable else ""), file=out)
    for rule, counts in summary.to_json()["by_rule"].items():
        print(f"  {rule}: {counts['findings']} in {counts['articles']} article(s)", file=out)
    failed = summary.worst is not None and SEVERITIES.index(summary.worst) >= SEVERITIES.index(args.fail_on)
    return EXIT_REJECTED if failed or summary.unreadable else EXIT_OK


def _print_withdrawal(w: Withdrawal, heading: str) -> None:
    print(f"{heading}: {w.title or '(an article this archive has not seen)'}  <{w.url}>")
    print(f"  {w.when_and_why()}")
    if w.linked_from:
        print(f"  still linked from {len(w.linked_from)} archive article(s) "
              "(`linkdesk check --rule withdrawn-link` shows where):")
        for source in w.linked_from:
            print(f"    {source['title']}  <{source['url']}>")


def _with_listed(given: Sequence[T], from_file: str | None,
                 read: Callable[[str], Iterable[T | Rejection]]) -> tuple[list[T], list[Rejection]]:
    """The items given on the command line, then those ``read`` from ``--from`` FILE, apart from
    the lines of the file it rejected."""
    items: list[T] = list(given)
    rejected: list[Rejection] = []
    for item in read(from_file) if from_file else ():
        if isinstance(item, Rejection):
            rejected.append(item)
        else:
            items.append(item)
    return items, rejected


def _each_found(db: str | None, items: Sequence[T], action: Callable[[Store, T], R]) -> tuple[list[R], list[str]]:
    """``action(store, item)`` for every item, in one opening of the archive; what was not found is
    reported apart (its message) and does not stop the rest."""
    def each(store: Store) -> tuple[list[R], list[str]]:
        done, missing = [], []
        for item in items:
            try:
                done.append(action(store, item))
            except NotFoundError as exc:
                missing.append(str(exc))
        return done, missing

    return with_archive(db, each)


def _each_address(args: argparse.Namespace, action: Callable[[Store, str | Withdrawal], Withdrawal],
                  heading: str) -> int:
    """``action(store, item)`` for every address on the command line, then each line of ``--from``
    (an address, or a withdrawal as ``withdraw --list --json`` lists them), each reported; one that
    is not found, or a line that is neither, does not stop the rest."""
    items, rejected = _with_listed(args.urls, args.from_file, read_withdrawals)
    if not items and not rejected:
        raise InputError("give the addresses of the articles (or --from FILE)")
    done, missing = _each_found(args.db, items, action)
    for w in done:
        if args.json:
            _print_json(w.to_json())
        else:
            _print_withdrawal(w, heading)
    return _left_over([*missing, *rejected])


def _left_over(problems: Sequence[object]) -> int:
    """Report what a command over many items could not do (not found, a rejected line), after the
    rest was done: the exit status says whether anything was left over."""
    for problem in problems:
        print(f"linkdesk: {problem}", file=sys.stderr)
    return EXIT_REJECTED if problems else EXIT_OK


def _print_decision(data: dict[str, Any], headline: str, on: str, reason: str, as_json: bool) -> None:
    """One remembered decision (a decline, a removal): its JSON, or its headline and when and why."""
    if as_json:
        _print_json(data)
        return
    print(headline)
    print(f"  on {on[:10]}" + (f" ({reason})" if reason else ""))


def cmd_withdraw(args: argparse.Namespace) -> int:
    if args.list:
        for w in with_archive(args.db, lambda store: store.withdrawn()):
            if args.json:
                _print_json(w.to_json())
            else:
                _print_withdrawal(w, "withdrawn")
        return EXIT_OK

    def withdraw(store: Store, item: str | Withdrawal) -> Withdrawal:
        if isinstance(item, Withdrawal):
            return carry_withdrawal(store, item)
        return withdraw_article(store, item, args.reason, args.keep_out)

    return _each_address(args, withdraw, "withdrawn")


def cmd_restore(args: argparse.Namespace) -> int:
    def restore(store: Store, item: str | Withdrawal) -> Withdrawal:
        return restore_article(store, item.url if isinstance(item, Withdrawal) else item)

    status = _each_address(args, restore, "restored")
    if status == EXIT_OK and not args.json:
        print("ingest the article again to bring it back into the archive")
    return status


def _print_declined(d: DeclinedLink, heading: str, as_json: bool) -> None:
    words = f' at "{d.anchor}"' if d.anchor else ""
    _print_decision(d.to_json(), f"{heading}: {d.source} -> {d.target_url}{words}", d.declined_at, d.reason, as_json)


def cmd_decline(args: argparse.Namespace) -> int:
    if args.list:
        for d in with_archive(args.db, lambda store: store.declined(args.source)):
            _print_declined(d, "declined", args.json)
        return EXIT_OK
    if args.source is None and not args.from_file:
        raise InputError("give the article (or draft id) and the addresses it should not link to, or --from FILE")
    if args.source is not None and not args.targets:
        raise InputError(f"{args.source}: give the addresses it should not link to")
    if args.forget:
        if args.from_file:
            raise InputError("--forget takes the article and its addresses on the command line, not --from")
        forgotten, missing = _each_found(args.db, args.targets,
                                         lambda store, target: forget_declined(store, args.source, target))
        for d in forgotten:
            _print_declined(d, "may be suggested again", args.json)
        return _left_over(missing)
    links, rejected = _with_listed([declined_link(args.source, target, args.anchor, args.reason)
                                    for target in args.targets], args.from_file,
                                   lambda path: read_declined(path, args.reason))
    for d in with_archive(args.db, lambda store: decline_links(store, links)):
        _print_declined(d, "declined", args.json)
    return _left_over(rejected)


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn
    except ImportError:
        raise OptionalDependencyError("serve needs the web extra: pip install 'linkdesk[web]'") from None
    from .web import create_app

    db, cfg = args.db or default_db_path(), load_config(args.config)
    # the token from the environment only: a command line is visible to every user of the machine
    token = os.environ.get("LINKDESK_API_TOKEN") or None
    where = (f"linkdesk API on http://{args.host}:{args.port}/ (docs at /docs"
             + ("; token required" if token else "") + ")")
    if args.workers == 1:
        app = create_app(db, cfg, token=token, cors_origins=args.cors_origin)
        print(f"{where}; Ctrl-C stops it", file=sys.stderr)
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
        return EXIT_OK
    # each worker process loads its own suggester: the archive is checked here first, so that a
    # missing index is one message rather than one traceback per worker
    with_archive(db, index_saved)
    os.environ["LINKDESK_DB"] = db
    os.environ["LINKDESK_CORS_ORIGINS"] = " ".join(args.cors_origin)
    if args.config:
        os.environ["LINKDESK_CONFIG"] = args.config
    print(f"{where}, {args.workers} worker processes; Ctrl-C stops it", file=sys.stderr)
    uvicorn.run("linkdesk.web.app:app_from_environment", factory=True, workers=args.workers, host=args.host,
                port=args.port, log_level="warning")
    return EXIT_OK


class _TotalBar:
    """A progress bar made on the first report, when the total is known; nothing when none comes."""

    def __init__(self, unit: str) -> None:
        self.unit = unit
        self.bar: Any = None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit=self.unit, file=sys.stderr, disable=None, leave=False)
        self.bar.update(done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def cmd_index(args: argparse.Namespace) -> int:
    cfg = load_config(args.config)
    if args.if_changed and with_archive(args.db, lambda store: index_is_current(store, not args.no_train)):
        if args.json:
            _print_json({"current": True})
        else:
            print("the index is current: no article added or changed since it read the archive")
        return EXIT_OK
    # after an upgrade, articles an older parser made are re-read first: minutes on a large archive
    bar = _TotalBar(" articles re-read")
    try:
        info = with_archive(args.db, lambda store: index_archive(store, cfg, progress=bar,
                                                                 train_ranker=not args.no_train, jobs=args.jobs))
    finally:
        bar.close()
    if args.json:
        _print_json(info)
        return EXIT_OK
    if info["reread"]:
        print(f"re-read {info['reread']} articles that an older linkdesk had parsed")
    print(f"indexed {info['articles']} articles, {info['internal_links']} internal links, "
          f"{info['anchor_phrases']} anchor phrases")
    if not info["ranker_trained"]:
        trained_at = info["training"].get("trained_at")
        print(f"ranker kept ({'trained' if info['ranker'] == 'trained' else 'unsupervised fallback'}, on the "
              f"archive as of {minute(trained_at) if trained_at else 'an earlier index'}, "
              f"{info['training'].get('links', 0)} internal links then); default threshold {info['threshold']:.3f}")
        if info["retrain"]:
            print(info["retrain"])
        print(f"took {info['seconds']['index']:.1f}s to index")
        return EXIT_OK
    if info["ranker"] == "trained":
        held = info["training"].get("held_out") or {}
        print(f"ranker trained on {info['training']['candidates']} candidates from {info['training']['articles']} "
              f"linked articles; default threshold {info['threshold']:.3f}"
              + (f" (held-out newest articles: precision {held['precision']:.2f}, recall {held['recall']:.2f})"
                 if held else ""))
        rival = info["training"].get("held_out_unsupervised") or {}
        if held and rival:
            print(f"  on the same articles: F1 {held['f1']:.2f}, the unsupervised scorer {rival['f1']:.2f}")
    else:
        cal = info["training"].get("calibration") or {}
        print(f"ranker: unsupervised fallback ({info['training'].get('reason')}); default threshold "
              f"{info['threshold']:.3f}; " + (
                  f"scores calibrated on the {cal['picks']} links it would have suggested in the archive "
                  f"({cal['right']} made by the editors)" if cal.get("fitted") else
                  f"scores not calibrated (it would have suggested {cal.get('picks', 0)} links in the archive, "
                  f"{cal.get('right', 0)} made by the editors: too few to fit)"))
        replay = info["training"].get("replay") or {}
        if replay:
            print(f"  threshold chosen on the archive's own links: precision {replay['precision']:.2f}, "
                  f"recall {replay['recall']:.2f}")
    if info["training"].get("order") == "stored":
        print("  most linking articles have no publication date: the archive was replayed in the order "
              "it was stored")
    secs = info["seconds"]
    print(f"took {secs['index']:.1f}s to index, {secs['train']:.1f}s to train")
    return EXIT_OK


def _score(text: str) -> float:
    """A score threshold from the command line: a number from 0 to 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= value <= 1.0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"{text} is not a score from 0 to 1")
    return value


def _share(text: str) -> float:
    """A share of the archive from the command line: a number strictly between 0 and 1."""
    value = _score(text)
    if value in (0.0, 1.0):
        raise argparse.ArgumentTypeError(f"{text} leaves nothing on one side; give a share between 0 and 1")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is negative")
    return value


def _positive(text: str) -> int:
    value = _count(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


THRESHOLD_HELP = "minimum score (default: the archive's trained threshold)"
DRAFTS_HELP = "Markdown, HTML or text file, JSONL of records, or a folder of them"


def _drafts(paths: Sequence[str]) -> Iterator[Draft | Rejection]:
    for path in paths:
        try:
            yield from read_drafts(path)
        except LinkdeskError as exc:
            yield Rejection.from_error(path, exc)


def _suggester(args: argparse.Namespace) -> Suggester:
    """The archive's index and ranker, loaded once; the store is not needed after that."""
    cfg = load_config(args.config)
    return with_archive(args.db, lambda store: Suggester(store, cfg))


def cmd_suggest(args: argparse.Namespace) -> int:
    suggester = _suggester(args)
    rejected = 0
    color = sys.stdout.isatty()
    for item in _drafts(args.drafts):
        if isinstance(item, Rejection):
            rejected += 1
            print(f"rejected: {item}", file=sys.stderr)
            continue
        result = suggester.run(item, args.threshold, args.max_links, args.related)
        if args.json:
            _print_json(result.to_json())
            continue
        print(f"== {item.id}: {len(result.suggestions)} suggestion(s), {len(result.placeholders)} leftover note(s)")
        print(terminal_report(item.doc, result.suggestions, color=color))
        for note in result.placeholders:
            print(f"  note at {_line_col(item.doc.source, note.start)}: {' '.join(note.text.split())[:90]}")
            if note.resolved is not None:
                print(f"    resolved → {note.resolved.target_title} <{note.resolved.target_url}>"
                      f" on \"{note.resolved.anchor}\"")
            elif note.gap is not None:
                print(f"    content gap: \"{note.gap['working_title']}\" (phrases: {', '.join(note.gap['phrases'])})")
            else:
                print("    unresolved")
        for finding in result.findings:
            print(f"  {finding.severity}: {finding.message}")
        if result.related is not None:
            print("  related coverage (for a box beside the draft):")
            _print_related_list(result.related, "    ")
    return EXIT_REJECTED if rejected else EXIT_OK


def cmd_apply(args: argparse.Namespace) -> int:
    drafts = list(read_drafts(args.draft))
    if len(drafts) != 1 or isinstance(drafts[0], Rejection):
        raise DraftError(f"{args.draft}: apply takes one Markdown, HTML or text draft")
    draft = drafts[0]
    if args.reviewed is not None:
        if args.threshold is not None or args.max_links is not None:
            raise InputError("--reviewed inserts the reviewed links as they are: --threshold and --max-links "
                             "do not apply")
        where, review = review_for(args.reviewed, draft)
        # with an archive at hand, a link kept to what it withdrew (or removed) since is refused
        unlinkable = with_archive(args.db, unlinkable_in) if _archive_at_hand(args) else None
        result = reviewed_result(draft, review, where, unlinkable)
    else:
        result = _suggester(args).run(draft, args.threshold, args.max_links)
    with open(args.out, "w", encoding="utf-8", newline="") as fh:
        fh.write(apply_result(draft, result))
    resolved = sum(1 for p in result.placeholders if p.resolved is not None)
    print(f"wrote {args.out}: {len(result.suggestions)} link(s) inserted, {resolved} resolved note(s) removed")
    for note in result.placeholders:
        if note.resolved is None:
            gap = f"; content gap: \"{note.gap['working_title']}\"" if note.gap else ""
            print(f"unresolved {note.kind} note left in place at {note.start}-{note.end}: {note.text[:80]!r}{gap}",
                  file=sys.stderr)
    return EXIT_OK


def cmd_lint(args: argparse.Namespace) -> int:
    suggester = _suggester(args) if _archive_at_hand(args) else None
    cfg = suggester.config if suggester is not None else load_config(args.config)
    failed = rejected = 0
    bar = SEVERITIES.index(args.fail_on)
    for item in _drafts(args.drafts):
        if isinstance(item, Rejection):
            rejected += 1
            print(f"rejected: {item}", file=sys.stderr)
            continue
        result = lint_draft(item, cfg, suggester)
        level = worst(result.findings)
        failed += level is not None and SEVERITIES.index(level) >= bar
        if args.json:
            _print_json({"id": result.id, "findings": [f.to_json() for f in result.findings],
                         "placeholders": [p.to_json() for p in result.placeholders]})
            continue
        print(f"== {item.id}: {len(result.findings)} finding(s)")
        for f in result.findings:
            where = f"{_line_col(item.doc.source, f.start)} " if f.start is not None else ""
            print(f"  {where}{f.severity}: {f.message} [{f.rule}]")
    return EXIT_REJECTED if failed or rejected else EXIT_OK


def _archive_at_hand(args: argparse.Namespace) -> bool:
    """Whether a command that can work without an archive has one: named by --db or $LINKDESK_DB (a
    PostgreSQL address too), or ./linkdesk.db here."""
    return bool(args.db or os.environ.get("LINKDESK_DB") or os.path.exists(default_db_path()))


def _line_col(source: str, offset: int) -> str:
    line = source.count("\n", 0, offset) + 1
    col = offset - (source.rfind("\n", 0, offset) + 1) + 1
    return f"{line}:{col}"


def cmd_sources_add(args: argparse.Namespace) -> int:
    if not args.sources and not args.from_archive:
        raise InputError("give feeds or JSONL files to add, or --from-archive")
    cfg = load_config(args.config, {"crawl": {"delay_seconds": args.delay}} if args.delay is not None else None)
    store = open_store(args.db)
    try:
        report = add_sources(store, args.sources, cfg, include_archive=args.from_archive)
    finally:
        store.close()
    return _report(report, args)


def cmd_sources_list(args: argparse.Namespace) -> int:
    items = with_archive(args.db, lambda store: list_sources(store, args.limit, outlet=args.outlet, since=args.since))
    for item in items:
        if args.json:
            _print_json(item)
        else:
            print(f"{item['published'] or '(undated)':10.10s}  {item['outlet'] or '-':24.24s}  {item['title']}\n"
                  f"{'':12s}{item['url']}")
    return EXIT_OK


def cmd_sources_stats(args: argparse.Namespace) -> int:
    cfg = load_config(args.config)
    stats = with_archive(args.db, lambda store: catalog_stats(store, cfg))
    if args.json:
        _print_json(stats)
        return EXIT_OK
    print(f"{stats['items']} catalog items, published {stats['first_published'] or '-'} to "
          f"{stats['last_published'] or '-'} ({stats['undated']} undated)"
          + (f"; {stats['removed']} address(es) removed (`sources remove --list`)" if stats["removed"] else ""))
    search = stats["search"]
    rebuilt = "the next process that suggests builds it and saves it"
    if search["current"]:
        print(f"  search: saved {minute(search['saved'])}, current (each process that suggests reads it back)")
    elif stats["items"] and search["saved"]:
        print(f"  search: saved {minute(search['saved'])}, out of date (the catalog or the outlet policy changed "
              f"since): {rebuilt}")
    elif stats["items"]:
        print(f"  search: not saved: {rebuilt}")
    print("  from: " + ", ".join(f"{k} {v}" for k, v in stats["by_origin"].items()))
    for row in stats["top_domains"][:10]:
        print(f"  {row['items']:6d}  {row['domain']}")
    for feed in stats["feeds"]:
        print(f"  feed {feed['url']}: polled {feed['polled_at']}, {feed['status']}")
    return EXIT_OK


def cmd_sources_outlet(args: argparse.Namespace) -> int:
    table = OutletTable.from_config(load_config(args.config))
    bad = [d for d in args.domains if not d.strip() or any(ch.isspace() for ch in d.strip())]
    if bad:
        raise InputError(f"not a domain or URL: {', '.join(repr(d) for d in bad)}")
    for domain in args.domains:
        outlet = table.lookup(domain) if "://" in domain else table.lookup_domain(domain)
        if args.json:
            _print_json(outlet.to_json())
        else:
            print(f"{domain}: {outlet.name} · {outlet.kind or 'unrated'} · tier {outlet.tier:g}"
                  + (f" · {outlet.label}" if outlet.label else "") + (f" ({outlet.note})" if outlet.note else ""))
    return EXIT_OK


def cmd_sources_remove(args: argparse.Namespace) -> int:
    if args.list:
        for removed in with_archive(args.db, lambda store: store.removed_sources()):
            _print_removed(removed, "removed", args.json)
        return EXIT_OK
    if not args.urls and not args.from_file:
        raise InputError("give the addresses to take out of the catalog, or --from FILE")
    if args.forget:
        if args.from_file:
            raise InputError("--forget takes the addresses on the command line, not --from")
        forgotten, missing = _each_found(args.db, args.urls, forget_removed_source)
        for removed in forgotten:
            _print_removed(removed, "may be added again", args.json)
        return _left_over(missing)
    items, rejected = _with_listed(args.urls, args.from_file, read_removals)
    for removed in with_archive(args.db, lambda store: remove_sources(store, items, args.reason)):
        _print_removed(removed, "removed", args.json)
    return _left_over(rejected)


def _print_removed(removed: RemovedSource, heading: str, as_json: bool) -> None:
    named = f' ("{removed.title}")' if removed.title else " (not in the catalog; kept out)"
    _print_decision(removed.to_json(), f"{heading}: {removed.url}{named}", removed.removed_at, removed.reason,
                    as_json)


def cmd_eval(args: argparse.Namespace) -> int:
    if args.backtest and args.holdout is not None:
        raise InputError("--holdout splits an archive (--db); a prepared backtest brings its own drafts")
    cfg = load_config(args.config)
    os.makedirs(args.out, exist_ok=True)  # before the backtest, not after it, if it cannot be made
    if args.backtest:
        report = backtest_dir(args.backtest, cfg, args.threshold)
    else:
        share = HOLDOUT_SHARE if args.holdout is None else args.holdout
        report = with_archive(args.db, lambda store: backtest_store(store, cfg, args.threshold, share))
    paths = report.write(args.out)
    for item in report.rejected:
        print(f"rejected: {item}", file=sys.stderr)
    status = EXIT_REJECTED if report.rejected else EXIT_OK
    if args.json:
        _print_json(report.to_json())
        return status
    print(f"backtest {report.source}: {report.drafts} drafts, threshold {report.threshold:.3f}")
    for scope in ("linked", "all"):
        for view in ("span", "target"):
            m = report.metrics[scope][view]
            print(f"  {scope:6s} {view:6s} P={m['precision']:.3f} R={m['recall']:.3f} F1={m['f1']:.3f} "
                  f"(tp={m['tp']} predicted={m['predicted']} gold={m['gold']})")
    print("  threshold   span P / R / F1        target P / R / F1   (linked drafts)")
    for row in report.sweep:
        sp, tg = row["span"], row["target"]
        print(f"  {row['threshold']:9.2f}   {sp['precision']:.3f} / {sp['recall']:.3f} / {sp['f1']:.3f}"
              f"   {tg['precision']:.3f} / {tg['recall']:.3f} / {tg['f1']:.3f}")
    best = report.best()
    if not report.metrics["linked"]["span"]["gold"]:
        print("  the drafts link to no older article: there is nothing here to choose a threshold by")
    else:
        for label, pick in (("best span F1", best["any"]),
                            (f"best span F1 at precision >= {TARGET_PRECISION:.2f}", best["precise"])):
            print(f"  {label}: " + (f"{pick['f1']:.3f} at threshold {pick['threshold']:.2f} "
                                    f"(P={pick['precision']:.3f} R={pick['recall']:.3f})"
                                    if pick else "no threshold gets there"))
        print("  (a desk sets its own with `threshold = ...` under [suggest] in its linkdesk.toml)")
        _print_gold_outcomes(report.gold_outcomes)
        rel = report.related["linked"]
        print(f"  related coverage, {report.related['count']} per draft (`suggest --related`), as articles the "
              f"editors linked: P={rel['precision']:.3f} R={rel['recall']:.3f} F1={rel['f1']:.3f} (linked drafts)")
    cal = report.calibration
    if cal.get("bands"):
        print(f"  score band   suggestions   mean score   right   (linked drafts, every suggestion down to "
              f"{THRESHOLDS[0]:.2f}; expected calibration error {cal['ece']:.3f})")
        for band in cal["bands"]:
            print(f"  {band['low']:.1f} - {band['high']:.1f}   {band['suggestions']:11d}   {band['mean_score']:10.3f}"
                  f"   {band['right']:.3f}")
    print(f"wrote {', '.join(paths.values())}")
    return status


def _print_gold_outcomes(outcomes: dict[str, Any], sections: int = 12) -> None:
    print(f"  what became of the {outcomes['gold']} gold links at threshold {outcomes['threshold']:.3f}: "
          + ", ".join(f"{n} {name}" for name, n in outcomes["outcomes"].items()))
    print(f"  {'linked article section':24s}   gold   found  policy   below  no cand.")
    rows = list(outcomes["by_section"].items())
    for section, row in rows[:sections]:
        print(f"  {section[:24]:24s}  {sum(row.values()):5d}  " + "  ".join(f"{row[name]:6d}" for name in OUTCOMES))
    if len(rows) > sections:
        print(f"  ... {len(rows) - sections} more sections in eval.json (gold_outcomes)")


def _job_options(p: argparse.ArgumentParser) -> None:
    """How a job over the whole archive is spread out."""
    p.add_argument("--jobs", type=_positive, default=1, help="worker processes, or Ray actors with --ray (default 1)")
    p.add_argument("--ray", metavar="ADDRESS", help="run the workers on the Ray cluster at ADDRESS ('auto': the one "
                                                    "this machine belongs to; 'local': one started for the job); "
                                                    "needs the ray extra")


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
    p.add_argument("--jobs", type=_positive, default=None,
                   help="processes parsing the records (default: [ingest] jobs, one per CPU core up to 4)")
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

    p = sub.add_parser("orphans", help="articles no other article links to, newest first")
    common(p)
    p.add_argument("--section", help="only this section's")
    p.add_argument("--limit", type=_count, default=0, help="at most this many (default: all)")
    p.add_argument("--json", action="store_true", help="one JSON line per article")
    p.set_defaults(func=cmd_orphans)

    p = sub.add_parser("export", help="the archive's articles as standard JSONL records, as ingest reads them")
    common(p)
    p.add_argument("--out", metavar="FILE", help="write to FILE (gzipped when it ends in .gz; default: stdout)")
    p.add_argument("--section", help="only this section's articles")
    p.add_argument("--since", help="only articles published on or after this date (YYYY-MM-DD)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("inbound", help="archive articles that should link to an article (or to each orphan), "
                                       "with the words to link")
    common(p)
    p.add_argument("url", nargs="?")
    p.add_argument("--orphans", action="store_true", help="every orphan in turn, newest first, as a batch job")
    p.add_argument("--section", help="with --orphans: only this section's")
    p.add_argument("--newest", type=_count, default=0, help="with --orphans: only the newest N (default: all)")
    p.add_argument("--limit", type=_count, default=20, help="at most this many links an article (default 20; 0: all "
                                                            "found)")
    p.add_argument("--threshold", type=_score, help=THRESHOLD_HELP)
    _job_options(p)
    p.add_argument("--json", action="store_true", help="the result as one JSON object (--orphans: one a line)")
    p.set_defaults(func=cmd_inbound)

    p = sub.add_parser("relink", help="the links the archive's own articles could carry now, as a batch job")
    common(p)
    p.add_argument("--section", help="only this section's articles")
    p.add_argument("--since", help="only articles published on or after this date (YYYY-MM-DD)")
    p.add_argument("--limit", type=_count, default=0, help="at most this many articles, newest first (default: all)")
    _job_options(p)
    p.add_argument("--threshold", type=_score, help=THRESHOLD_HELP)
    p.add_argument("--json", action="store_true", help="one JSON line per article that could carry more links")
    p.add_argument("--out", metavar="FILE", help="also write those articles' standard records with the links "
                                                 "inserted, as JSONL (gzipped for .gz): for the CMS, and for "
                                                 "`linkdesk ingest`")
    p.add_argument("--reviewed", metavar="FILE",
                   help="write to --out the records of the articles in this review (lines of `relink --json` with "
                        "the rejected suggestions taken out) with exactly the links kept in it, each checked "
                        "against the article's stored text, instead of running the suggester")
    p.set_defaults(func=cmd_relink)

    p = sub.add_parser("related", help="related coverage for archive articles (a see-also box on each page), "
                                       "for some or, as a batch job, for all")
    common(p)
    p.add_argument("urls", nargs="*", metavar="URL", help="archive articles (default: the whole archive, newest first)")
    p.add_argument("--count", type=_positive, default=5, help="related articles per article (default 5)")
    p.add_argument("--section", help="only this section's articles")
    p.add_argument("--since", help="only articles published on or after this date (YYYY-MM-DD)")
    p.add_argument("--limit", type=_count, default=0, help="at most this many articles, newest first (default: all)")
    _job_options(p)
    p.add_argument("--json", action="store_true", help="one JSON line per article")
    p.set_defaults(func=cmd_related)

    p = sub.add_parser("check", help="the pre-publish lint over every archive article: links that cannot work, "
                                     "internal links to no article, leftover notes, ...")
    common(p)
    p.add_argument("--section", help="only this section's articles")
    p.add_argument("--since", help="only articles published on or after this date (YYYY-MM-DD)")
    p.add_argument("--rule", action="append", default=[], choices=RULES, metavar="RULE",
                   help=f"only this rule's findings; repeatable ({', '.join(RULES)})")
    p.add_argument("--min-severity", choices=SEVERITIES, default="warning",
                   help="leave out findings less severe than this (default: warning)")
    p.add_argument("--fail-on", choices=("error", "warning"), default="error",
                   help="exit 1 when a finding is at least this severe (default: error)")
    _job_options(p)
    p.add_argument("--json", action="store_true", help="one JSON line per article with findings")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("withdraw", help="take retracted or unpublished articles out of the archive for good",
                       description="Take articles out of the archive (retracted, unpublished, removed on legal "
                                   "advice): they are never suggested again, a later ingest of an export that "
                                   "still holds them leaves them out, and links to them are lint errors. "
                                   "Lists the archive articles that still link to each.")
    common(p)
    p.add_argument("urls", nargs="*", metavar="URL", help="the article's address (or one of its aliases)")
    p.add_argument("--from", dest="from_file", metavar="FILE",
                   help="also the addresses in FILE, one a line, or the JSON lines of another archive's "
                        "`withdraw --list --json` (each withdrawn here as it was there, and kept out)")
    p.add_argument("--reason", default="", help="why, as messages will say it (e.g. 'retracted')")
    p.add_argument("--keep-out", action="store_true",
                   help="keep addresses the archive does not hold out of later ingests all the same")
    p.add_argument("--list", action="store_true", help="list the withdrawn articles instead")
    p.add_argument("--json", action="store_true", help="one JSON line per article")
    p.set_defaults(func=cmd_withdraw)

    p = sub.add_parser("restore", help="undo a withdrawal, so that the next ingest takes the article back")
    common(p)
    p.add_argument("urls", nargs="*", metavar="URL")
    p.add_argument("--from", dest="from_file", metavar="FILE", help="also the addresses in FILE, one a line")
    p.add_argument("--json", action="store_true", help="one JSON line per article")
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("decline", help="remember that an article (or draft) should not link to an address",
                       description="Remember an editor's decision that an article, or a draft by its id, should "
                                   "not link to an address (an archive article or an outside source): it is not "
                                   "suggested there again, at any words, by suggest, relink, inbound or the HTTP "
                                   "API, until the decline is forgotten (--forget).")
    common(p)
    p.add_argument("source", nargs="?", metavar="SOURCE",
                   help="the article's address (an alias will do) or the draft's id as the suggestions named it")
    p.add_argument("targets", nargs="*", metavar="TARGET", help="an address SOURCE should not link to")
    p.add_argument("--from", dest="from_file", metavar="FILE",
                   help='also the declines in FILE, JSONL: {"source", "target_url", "anchor", "reason"} a line')
    p.add_argument("--anchor", default="", help="the words the link was offered at, for the record")
    p.add_argument("--reason", default="", help="why (e.g. 'not the same bridge')")
    p.add_argument("--forget", action="store_true", help="forget these declines: the links may be suggested again")
    p.add_argument("--list", action="store_true", help="list the declined links (SOURCE's only, when given)")
    p.add_argument("--json", action="store_true", help="one JSON line per declined link")
    p.set_defaults(func=cmd_decline)

    p = sub.add_parser("serve", help="the HTTP API over the archive (needs the web extra)",
                       description="The HTTP API and the editors' page over the archive (needs the web extra). "
                                   "With $LINKDESK_API_TOKEN set, every API call must send "
                                   "'Authorization: Bearer <token>' (the page asks for it once).")
    common(p)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--cors-origin", action="append", default=[], metavar="ORIGIN",
                   help="a web origin (https://cms.example) whose pages may call the API from a browser; "
                        "repeatable")
    p.add_argument("--workers", type=_positive, default=1,
                   help="worker processes, each with its own copy of the index, answering drafts side by side "
                        "(default 1)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("index", help="build the link index and train the ranker on the archive's links")
    common(p)
    p.add_argument("--no-train", action="store_true",
                   help="keep the ranker trained last time: seconds instead of minutes, so that articles "
                        "ingested since are suggested at once (retrain now and then, e.g. nightly)")
    p.add_argument("--if-changed", action="store_true",
                   help="do nothing when no article was added or changed since the index read the archive (and "
                        "it is one this linkdesk can use, its ranker trained then unless --no-train): for a job "
                        "run every few minutes")
    p.add_argument("--jobs", type=_positive, default=None,
                   help="processes for training the ranker (default: [index] jobs, one per CPU core up to 4); "
                        "the ranker is the same for any number")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("suggest", help="suggest links for drafts")
    common(p)
    p.add_argument("drafts", nargs="+", metavar="DRAFT", help=DRAFTS_HELP)
    p.add_argument("--json", action="store_true", help="one JSON line per draft")
    p.add_argument("--threshold", type=_score, help=THRESHOLD_HELP)
    p.add_argument("--max-links", type=_count, help="at most this many links per draft (0: no fixed cap)")
    p.add_argument("--related", type=_count, metavar="N",
                   help="also list the N archive articles most related to each draft, for a box beside it "
                        "(default: related.count in the configuration, 0)")
    p.set_defaults(func=cmd_suggest)

    p = sub.add_parser("apply", help="write the draft with the suggested links inserted")
    common(p)
    p.add_argument("draft", metavar="DRAFT")
    p.add_argument("--out", required=True, help="output file")
    p.add_argument("--threshold", type=_score, help=THRESHOLD_HELP)
    p.add_argument("--max-links", type=_count, help="at most this many links per draft (0: no fixed cap)")
    p.add_argument("--reviewed", metavar="FILE",
                   help="insert exactly the suggestions of this review (the draft's `suggest --json` line with "
                        "the rejected ones taken out), checked against the draft, instead of asking the archive "
                        "again; no archive needed")
    p.set_defaults(func=cmd_apply)

    p = sub.add_parser("lint", help="pre-publish checks: leftover notes, bad links, unsourced claims")
    common(p)
    p.add_argument("drafts", nargs="+", metavar="DRAFT", help=DRAFTS_HELP)
    p.add_argument("--json", action="store_true", help="one JSON line per draft")
    p.add_argument("--fail-on", choices=("error", "warning"), default="error",
                   help="exit 1 when a finding is at least this severe (default: error)")
    p.set_defaults(func=cmd_lint)

    p = sub.add_parser("eval", help="backtest: precision/recall of suggestions against real links")
    common(p)
    p.add_argument("backtest", nargs="?", metavar="BACKTEST_DIR",
                   help="directory with archive/drafts/gold JSONL; without it, a temporal split of --db")
    p.add_argument("--threshold", type=_score, help="score the predictions at this threshold instead")
    p.add_argument("--holdout", type=_share, metavar="SHARE",
                   help=f"share of the dated articles, newest first, held out as drafts (default {HOLDOUT_SHARE})")
    p.add_argument("--out", default="linkdesk-eval",
                   help="directory for eval.json, pr.png, predictions.jsonl (with --db also drafts.jsonl, gold.jsonl)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("sources", help="the catalog of outside coverage for external suggestions")
    ssub = p.add_subparsers(dest="sources_command", required=True)
    q = ssub.add_parser("add", help="add feeds (files or URLs), JSONL records, or the archive's own citations")
    common(q)
    q.add_argument("sources", nargs="*", metavar="SOURCE")
    q.add_argument("--from-archive", action="store_true", help="add the external links the archive already cites")
    q.add_argument("--delay", type=float, help="seconds between requests to one host")
    q.add_argument("--json", action="store_true")
    q.add_argument("-q", "--quiet", action="store_true")
    q.set_defaults(func=cmd_sources_add)
    q = ssub.add_parser("list", help="catalog items, newest first")
    common(q)
    q.add_argument("--limit", type=int, default=50)
    q.add_argument("--outlet", help="only this outlet (name or domain)")
    q.add_argument("--since", help="only items published on or after this date (YYYY-MM-DD)")
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=cmd_sources_list)
    q = ssub.add_parser("stats", help="catalog statistics and feed polling state")
    common(q)
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=cmd_sources_stats)
    q = ssub.add_parser("outlet", help="what the outlet policy says about domains or URLs")
    common(q)
    q.add_argument("domains", nargs="+", metavar="DOMAIN")
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=cmd_sources_outlet)
    q = ssub.add_parser("remove", help="take outside addresses out of the catalog for good (a retracted story)",
                        description="Take outside addresses out of the source catalog: they are not suggested "
                                    "again, later adds (feeds, JSONL, --from-archive) skip them, and a draft "
                                    "citing one gets a removed-source warning in the lint, until --forget.")
    common(q)
    q.add_argument("urls", nargs="*", metavar="URL")
    q.add_argument("--from", dest="from_file", metavar="FILE",
                   help="also the addresses in FILE: one a line, or the JSON lines of `sources remove --list --json`")
    q.add_argument("--reason", default="", help="why (e.g. 'retracted by the outlet')")
    q.add_argument("--forget", action="store_true", help="let these addresses into the catalog again, at its next add")
    q.add_argument("--list", action="store_true", help="list the removed addresses, the latest first")
    q.add_argument("--json", action="store_true", help="one JSON line per removed address")
    q.set_defaults(func=cmd_sources_remove)
    return parser


def run(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.ERROR,
                        format="%(levelname)s %(name)s: %(message)s")
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
    except OSError as exc:
        # a file the user named cannot be written or read (--out into a missing folder, a full disk)
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"linkdesk: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_ERROR


def main() -> None:
    sys.exit(run())
