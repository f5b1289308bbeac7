"""Exceptions raised by linkdesk.

Every error the library raises on purpose derives from :class:`LinkdeskError`, so a caller
(the CLI, the web app, a batch job) can catch one type and show its message as it is.

LinkdeskError
├── InputError          the caller's input cannot be used (file, draft, record, option)
│   ├── BadRecordError  one record of a larger input is invalid; carries where it came from
│   └── DraftError      a draft cannot be parsed or is unusable
├── ConfigError         a configuration file or value is invalid
├── StoreError          the archive store cannot be opened, migrated or written
│   └── NotFoundError   a requested article (or other stored object) does not exist
├── IndexMissingError   an operation needs ``linkdesk index`` to have been run first
├── FetchError          an HTTP fetch failed after its retries (timeouts, redirect loops, 4xx/5xx)
└── OptionalDependencyError  an optional extra (NLP model, PostgreSQL driver, Ray) is not installed
"""

from __future__ import annotations

__all__ = [
    "BadRecordError",
    "ConfigError",
    "DraftError",
    "FetchError",
    "IndexMissingError",
    "InputError",
    "LinkdeskError",
    "NotFoundError",
    "OptionalDependencyError",
    "StoreError",
]


class LinkdeskError(Exception):
    """Base class of every error linkdesk raises on purpose."""

    #: short machine-readable code, used by the HTTP API's error shape
    code = "linkdesk_error"


class InputError(LinkdeskError):
    code = "bad_input"


class BadRecordError(InputError):
    """One record is invalid. ``where`` names the file and line (or record) it came from."""

    code = "bad_record"

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


class DraftError(InputError):
    code = "bad_draft"


class ConfigError(LinkdeskError):
    code = "bad_config"


class StoreError(LinkdeskError):
    code = "store_error"


class NotFoundError(StoreError):
    code = "not_found"


class IndexMissingError(LinkdeskError):
    code = "index_missing"


class FetchError(LinkdeskError):
    code = "fetch_failed"


class OptionalDependencyError(LinkdeskError):
    code = "missing_extra"
