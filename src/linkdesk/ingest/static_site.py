"""Folders of Markdown files with YAML (``---``) or TOML (``+++``) front matter, as Hugo,
Jekyll and Eleventy keep them. URLs come from the front matter's ``url``/``permalink``
when given, else from a permalink pattern (``site.permalink``) under ``site.base_url``."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError
from ..model import Article, IngestReport, Rejection
from .records import normalize_date

__all__ = ["front_matter", "looks_like_static_site", "permalink_for", "read"]

_FM_RE = re.compile(r"\A(---|\+\+\+)[ \t]*\r?\n(.*?)\r?\n\1[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_JEKYLL_NAME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-(.+)$")
_MD_SUFFIXES = (".md", ".markdown", ".mdown")


def looks_like_static_site(path: Path) -> bool:
    return any(p.suffix.lower() in _MD_SUFFIXES for p in path.rglob("*") if p.is_file())


def _slugify(text: str) -> str:
    return re.sub(r"[^\w]+", "-", text.lower()).strip("-")


def permalink_for(pattern: str, *, published: str | None, slug: str, section: str, filename: str) -> str:
    y = m = d = ""
    if published:
        y, m, d = published[:4], published[5:7], published[8:10]
    path = (pattern.replace(":year", y).replace(":month", m).replace(":day", d)
            .replace(":slug", slug).replace(":section", section).replace(":filename", filename))
    path = re.sub(r"/{2,}", "/", path)
    return path if path.startswith("/") else "/" + path


def front_matter(text: str, where: str) -> tuple[dict[str, Any], str]:
    m = _FM_RE.match(text)
    if not m:
        return {}, text
    raw = m.group(2)
    try:
        data = yaml.safe_load(raw) if m.group(1) == "---" else tomllib.loads(raw)
    except (yaml.YAMLError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"front matter is not valid {'YAML' if m.group(1) == '---' else 'TOML'}: "
                         f"{str(exc).splitlines()[0]}") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValueError("front matter must be a mapping of keys to values")
    return data, text[m.end():]


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",")] if "," in value else [value.strip()]
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [str(value)]


def read(folder: str, report: IngestReport, base_url: str = "", permalink: str = "/:year/:month/:day/:slug/"
         ) -> Iterator[Article | Rejection]:
    root = Path(folder)
    if (root / "content").is_dir():  # a Hugo site: sections are the folders under content/
        root = root / "content"
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in _MD_SUFFIXES)
    if files and not base_url:
        raise InputError(f"{folder}: give --base-url (or site.base_url in the config) so article URLs can be built")
    base = base_url.rstrip("/")
    for path in files:
        rel = path.relative_to(root)
        where = str(path)
        if (path.stem in ("_index", "index") and path.parent == root) or path.stem == "_index":
            report.skip("section index pages")
            continue
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            yield Rejection(where, f"not valid UTF-8 (byte offset {exc.start})")
            continue
        try:
            meta, body = front_matter(text, where)
        except ValueError as exc:
            yield Rejection.from_error(where, exc)
            continue
        if meta.get("draft") is True or meta.get("published") is False:
            report.skip("drafts (draft: true)")
            continue
        jekyll = _JEKYLL_NAME.match(path.stem)
        stem = jekyll.group(4) if jekyll else (path.parent.name if path.stem == "index" else path.stem)
        raw_date = meta.get("date") or meta.get("publishDate") or meta.get("published_at")
        if raw_date is None and jekyll:
            raw_date = f"{jekyll.group(1)}-{jekyll.group(2)}-{jekyll.group(3)}"
        try:
            published = normalize_date(raw_date.isoformat() if isinstance(raw_date, (date, datetime)) else raw_date,
                                       "date")
        except ValueError as exc:
            yield Rejection(where, f"front matter {exc}")
            continue
        title = meta.get("title")
        if not title:
            heading = re.search(r"^#\s+(.+)$", body, re.MULTILINE)
            title = heading.group(1).strip() if heading else None
        if not title:
            yield Rejection(where, "no title in front matter or first heading")
            continue
        parts = rel.parts
        section = str(meta.get("section") or (parts[0] if len(parts) > 1 else "")).strip("_") or None
        if section == "posts" and jekyll:
            section = None
        explicit = meta.get("url") or meta.get("permalink")
        if isinstance(explicit, str) and "{{" not in explicit and "{%" not in explicit:
            url_path = explicit if explicit.startswith("/") else "/" + explicit
        else:
            slug = str(meta.get("slug") or stem)
            url_path = permalink_for(permalink, published=published, slug=_slugify(slug),
                                     section=section or "", filename=_slugify(stem))
        aliases = _as_list(meta.get("aliases")) + _as_list(meta.get("redirect_from"))
        tags = _as_list(meta.get("tags")) + _as_list(meta.get("categories"))
        authors = _as_list(meta.get("authors") or meta.get("author"))
        yield Article(url=base + url_path, title=str(title).strip(), body=body, format="markdown",
                      published=published, section=section, tags=tags, authors=authors,
                      id=str(rel).replace(os.sep, "/"), aliases=aliases)
