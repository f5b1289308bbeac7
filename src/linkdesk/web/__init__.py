"""The HTTP API: the library's calls over JSON, for CMSs and the desk's own tools."""

from .app import create_app

__all__ = ["create_app"]
