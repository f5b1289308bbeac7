"""linkdesk: a link desk for newsroom web desks.

The public API: open an archive, ingest sources into it, index it, build the source catalog,
run drafts through the suggester (notes, internal and external suggestions, lint), and look after
the archive (orphans, inbound links, relinking, the archive-wide check, export, withdrawals, links
editors declined, a job of one's own over every article); everything the CLI and the HTTP API do
goes through these calls.
"""

from .archive import (
    archive_stats,
    decline_links,
    declined_link,
    describe_article,
    export_archive,
    export_records,
    forget_declined,
    orphans,
    restore_article,
    withdraw_article,
)
from .batch import ArticleJob, related_for_article, related_in_archive, relink_archive, run_over_archive
from .check import Checked, CheckSummary, check_archive, summarize
from .config import load_config
from .drafts import draft_from_text, read_drafts
from .errors import LinkdeskError
from .evaluate import backtest_dir, backtest_store, score_predictions
from .ingest import ingest, ingest_records
from .lint import lint
from .model import (
    Article,
    DeclinedLink,
    Document,
    Finding,
    IngestReport,
    Placeholder,
    Rejection,
    RemovedSource,
    SourceItem,
    Suggestion,
    Withdrawal,
    Zone,
)
from .placeholders import find_notes
from .render import apply_suggestions
from .reviewed import reviewed_records, reviewed_result
from .sources.catalog import add_sources, remove_sources
from .sources.outlets import Outlet, OutletTable
from .store import open_store
from .suggest.inbound import Inbound, InboundLink, inbound_links, orphans_inbound
from .suggest.pipeline import Draft, DraftResult, Suggester, apply_result, index_archive, lint_draft
from .text.parse import parse

__version__ = "0.1.0"

__all__ = [
    "Article",
    "ArticleJob",
    "CheckSummary",
    "Checked",
    "DeclinedLink",
    "Document",
    "Draft",
    "DraftResult",
    "Finding",
    "Inbound",
    "InboundLink",
    "IngestReport",
    "LinkdeskError",
    "Outlet",
    "OutletTable",
    "Placeholder",
    "Rejection",
    "RemovedSource",
    "SourceItem",
    "Suggester",
    "Suggestion",
    "Withdrawal",
    "Zone",
    "__version__",
    "add_sources",
    "apply_result",
    "apply_suggestions",
    "archive_stats",
    "backtest_dir",
    "backtest_store",
    "check_archive",
    "decline_links",
    "declined_link",
    "describe_article",
    "draft_from_text",
    "export_archive",
    "export_records",
    "find_notes",
    "forget_declined",
    "inbound_links",
    "index_archive",
    "ingest",
    "ingest_records",
    "lint",
    "lint_draft",
    "load_config",
    "open_store",
    "orphans",
    "orphans_inbound",
    "parse",
    "read_drafts",
    "related_for_article",
    "related_in_archive",
    "relink_archive",
    "remove_sources",
    "restore_article",
    "reviewed_records",
    "reviewed_result",
    "run_over_archive",
    "score_predictions",
    "summarize",
    "withdraw_article",
]
