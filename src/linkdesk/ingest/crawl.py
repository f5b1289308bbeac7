"""Fetching over HTTP: sitemaps, lists of URLs, and single pages or feeds given as URLs.

Polite by default: one user-agent that says who we are, a minimum delay between two
requests to one host, robots.txt honoured, bounded retries with backoff on timeouts,
429 and 5xx, and a redirect limit so a loop ends with a clear message.
"""

from __future__ import annotations

import gzip
import logging
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from ..errors import BadRecordError, FetchError, InputError
from ..model import Article, IngestReport, Rejection
from .html_pages import extract_page

__all__ = ["Fetched", "Fetcher", "fetch_pages", "looks_like_sitemap", "read_sitemap", "read_url_list"]

log = logging.getLogger(__name__)


@dataclass
class Fetched:
    url: str
    status: int
    content: bytes
    content_type: str
    headers: dict[str, str]


class Fetcher:
    def __init__(self, user_agent: str, delay_seconds: float = 1.0, retries: int = 3,
                 timeout_seconds: float = 20.0, max_redirects: int = 5, respect_robots: bool = True) -> None:
        self.user_agent = user_agent
        self.delay = delay_seconds
        self.retries = retries
        self.respect_robots = respect_robots
        self.client = httpx.Client(
            headers={"User-Agent": user_agent}, timeout=timeout_seconds, follow_redirects=True,
            max_redirects=max_redirects,
        )
        self._last: dict[str, float] = {}
        self._robots: dict[str, RobotFileParser | None] = {}

    @classmethod
    def from_config(cls, cfg: dict[str, Any]) -> Fetcher:
        c = cfg["crawl"]
        return cls(c["user_agent"], c["delay_seconds"], c["retries"], c["timeout_seconds"], c["max_redirects"],
                   c["respect_robots"])

    def close(self) -> None:
        self.client.close()

    def _wait_turn(self, host: str) -> None:
        last = self._last.get(host)
        if last is not None:
            pause = self.delay - (time.monotonic() - last)
            if pause > 0:
                time.sleep(pause)
        self._last[host] = time.monotonic()

    def allowed(self, url: str) -> bool:
        if not self.respect_robots:
            return True
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._robots:
            parser: RobotFileParser | None = RobotFileParser()
            try:
                resp = self._request(origin + "/robots.txt", check_robots=False)
                assert parser is not None
                parser.parse(resp.content.decode("utf-8", "replace").splitlines())
            except FetchError:
                parser = None  # no robots.txt, or unreachable: nothing forbids us
            self._robots[origin] = parser
        robots = self._robots[origin]
        return robots is None or robots.can_fetch(self.user_agent, url)

    def get(self, url: str, headers: dict[str, str] | None = None) -> Fetched:
        if not self.allowed(url):
            raise FetchError(f"{url}: disallowed by robots.txt")
        return self._request(url, headers=headers)

    def _request(self, url: str, check_robots: bool = True, headers: dict[str, str] | None = None) -> Fetched:
        host = urlsplit(url).netloc
        last_error = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(min(8.0, max(self.delay, 0.05) * 2 ** (attempt - 1)))
            self._wait_turn(host)
            try:
                resp = self.client.get(url, headers=headers)
            except httpx.TooManyRedirects as exc:
                raise FetchError(f"{url}: too many redirects (a redirect loop?)") from exc
            except httpx.TimeoutException:
                last_error = "timed out"
                continue
            except httpx.TransportError as exc:
                last_error = f"connection failed ({exc.__class__.__name__})"
                continue
            if resp.status_code == 429 or resp.status_code >= 500:
                last_error = f"HTTP {resp.status_code}"
                continue
            if resp.status_code == 304:
                return Fetched(str(resp.url), 304, b"", "", dict(resp.headers))
            if resp.status_code >= 400:
                raise FetchError(f"{url}: HTTP {resp.status_code}")
            return Fetched(str(resp.url), resp.status_code, resp.content, resp.headers.get("content-type", ""),
                           dict(resp.headers))
        raise FetchError(f"{url}: {last_error} after {self.retries + 1} attempts")


def looks_like_sitemap(head: bytes) -> bool:
    return b"<urlset" in head or b"<sitemapindex" in head


def _ungzip(data: bytes) -> bytes:
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def _sitemap_urls(data: bytes, where: str, fetcher: Fetcher, depth: int = 0) -> Iterator[str | Rejection]:
    try:
        root = ET.fromstring(_ungzip(data))
    except ET.ParseError as exc:
        yield Rejection(where, f"broken sitemap XML: {exc}")
        return
    tag = root.tag.rsplit("}", 1)[-1]
    locs = [(el.text or "").strip() for el in root.iter() if el.tag.rsplit("}", 1)[-1] == "loc"]
    if tag == "sitemapindex":
        if depth >= 3:
            yield Rejection(where, "sitemap index nested too deep")
            return
        for loc in locs:
            try:
                child = fetcher.get(loc)
            except FetchError as exc:
                yield Rejection.from_error(loc, exc)
                continue
            yield from _sitemap_urls(child.content, loc, fetcher, depth + 1)
    else:
        yield from (loc for loc in locs if loc)


def fetch_pages(urls: Iterator[str | Rejection], fetcher: Fetcher) -> Iterator[Article | Rejection]:
    seen: set[str] = set()
    for url in urls:
        if isinstance(url, Rejection):
            yield url
            continue
        if url in seen:
            continue
        seen.add(url)
        try:
            page = fetcher.get(url)
        except FetchError as exc:
            yield Rejection.from_error(url, exc)
            continue
        try:
            html = page.content.decode("utf-8")
        except UnicodeDecodeError:
            html = page.content.decode("cp1252", errors="replace")
        try:
            yield extract_page(html, url, fallback_url=page.url)
        except BadRecordError as exc:
            yield Rejection(exc.where, exc.reason)


def read_sitemap(source: str, fetcher: Fetcher, report: IngestReport) -> Iterator[Article | Rejection]:
    if source.startswith(("http://", "https://")):
        data = fetcher.get(source).content
    else:
        with open(source, "rb") as fh:
            data = fh.read()
    yield from fetch_pages(_sitemap_urls(data, source, fetcher), fetcher)


def read_url_list(path: str, fetcher: Fetcher, report: IngestReport) -> Iterator[Article | Rejection]:
    def urls() -> Iterator[str | Rejection]:
        with open(path, "rb") as fh:
            for lineno, raw in enumerate(fh, 1):
                try:
                    line = raw.decode("utf-8").strip()
                except UnicodeDecodeError:
                    yield Rejection(f"{path}:{lineno}", "not valid UTF-8")
                    continue
                if not line or line.startswith("#"):
                    continue
                if not line.startswith(("http://", "https://")):
                    yield Rejection(f"{path}:{lineno}", f"not an http(s) URL: {line[:200]!r}")
                    continue
                yield line

    if not path:
        raise InputError("no URL list given")
    yield from fetch_pages(urls(), fetcher)
