"""linkdesk: a link desk for newsroom web desks.

The public API: open an archive, ingest sources into it, index it, and run drafts through
the suggester; everything the CLI does goes through these calls.
"""

from .config import load_config
from .drafts import draft_from_text, read_drafts
from .errors import LinkdeskError
from .evaluate import backtest_dir, backtest_store, score_predictions
from .ingest import ingest
from .model import Article, Document, Finding, IngestReport, Placeholder, Rejection, Suggestion, Zone
from .render import apply_suggestions
from .store import open_store
from .suggest.pipeline import Draft, DraftResult, Suggester, index_archive
from .text.parse import parse

__version__ = "0.1.0"

__all__ = [
    "Article",
    "Document",
    "Draft",
    "DraftResult",
    "Finding",
    "IngestReport",
    "LinkdeskError",
    "Placeholder",
    "Rejection",
    "Suggester",
    "Suggestion",
    "Zone",
    "__version__",
    "apply_suggestions",
    "backtest_dir",
    "backtest_store",
    "draft_from_text",
    "index_archive",
    "ingest",
    "load_config",
    "open_store",
    "parse",
    "read_drafts",
    "score_predictions",
]
