"""Tokens, normalized terms and URL identity, shared by indexing and suggestion.

Indexing and matching must normalize the same way, so every stage goes through here.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Iterator
from urllib.parse import urlsplit

__all__ = ["NORMALIZATION_VERSION", "STOPWORDS", "WORD_RE", "address_slug", "content_terms", "host_key",
           "is_match_term", "is_web_address", "link_scope", "malformed_url", "match_terms", "match_tokens",
           "search_terms", "source_key", "term", "terms", "tokens", "url_host", "url_key", "written_words"]

# Words keep inner apostrophes and hyphens joined by letters ("don't", "open-source")
# together with digits and dots inside numbers ("1.87").
WORD_RE = re.compile(r"\w+(?:[’'\-.]\w+)*", re.UNICODE)

STOPWORDS = frozenset(
    (
        "a about above after again against all also am an and any are aren't as at be because been before "
        "being below between both but by can could did do does doing don't down during each even ever every "
        "few for from further get gets got had has have having he her here hers herself him himself his how i "
        "if in into is isn't it it's its itself just let's like made make many may me might more most much "
        "must my myself new no nor not now of off on once one only or other our ours ourselves out over own "
        "per please really said same says see she should since so some such than that that's the their theirs "
        "them themselves then there these they this those through to too under until up upon us use used "
        "using very via was we well were what when where which while who whom whose why will with within "
        "without would yes yet you your yours yourself yourselves read learn more here click post posts blog "
        "article today week year years month day time way part"
    ).split()
)


_VERSION = re.compile(r"\d+(?:\.\d+)+")
_YEAR = re.compile(r"(?:1[89]|20)\d\d")


def tokens(text: str) -> Iterator[tuple[int, int, str]]:
    """Yield ``(start, end, surface)`` for every word in ``text``."""
    for m in WORD_RE.finditer(text):
        yield m.start(), m.end(), m.group()


_HYPHEN_PART = re.compile(r"[^\W_]+(?:['’.][^\W_]+)*")


def match_tokens(text: str) -> Iterator[tuple[int, int, str]]:
    """``(start, end, term)`` for matching phrases against titles: hyphenated compounds count
    as their parts, so "open-source" in a draft meets "Open Source" in a title (and the reverse)."""
    for start, end, word in tokens(text):
        if "-" not in word:
            yield start, end, term(word)
            continue
        for m in _HYPHEN_PART.finditer(word):
            yield start + m.start(), start + m.end(), term(m.group())


# words ending in "s" that are not plurals; "news" must not become "new", a stopword
_NOT_PLURAL = frozenset(
    "news series species means headquarters always perhaps whereas sometimes besides bias alias atlas canvas "
    "chaos lens physics economics politics ethics mathematics athletics diabetes measles mumps rabies herpes".split()
)
# Saved indexes hold terms and URL keys made by this module: bump this when term() or url_key()
# change what they return, and a saved index asks to be rebuilt
NORMALIZATION_VERSION = 2


# Every stage turns words into terms, millions per archive, and a few thousand distinct words make
# up most running text: remembering the recent ones makes tokenizing about three times faster.
@functools.lru_cache(maxsize=1 << 17)
def term(word: str) -> str:
    """Normalize one word: case-folded, possessive dropped, light plural stemming."""
    w = word.casefold().replace("’", "'")
    w = w.removesuffix("'s")
    w = w.rstrip("'.")
    if _VERSION.fullmatch(w):
        # "1.82.0" and "1.82" name the same release
        while w.count(".") > 1 and w.endswith(".0"):
            w = w[:-2]
        return w
    if w in _NOT_PLURAL:
        return w
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


def terms(text: str) -> list[str]:
    return [term(w) for w in WORD_RE.findall(text)]


def written_words(text: str) -> int:
    """How many words ``text`` has as written, function words included ("How to build an analytics
    strategy": six) and numbers left out."""
    return sum(1 for w in WORD_RE.findall(text) if not w.isdigit())


def content_terms(text: str) -> list[str]:
    """Terms that carry meaning: no stopwords, no one-letter tokens."""
    return [t for t in terms(text) if t not in STOPWORDS and len(t) > 1]


def is_match_term(t: str) -> bool:
    """Whether a normalized term can tie a phrase to an article's title: a content word, and not a
    bare number, except a year, which titles use to tell one edition from the next."""
    return t not in STOPWORDS and len(t) > 1 and (not t.isdigit() or bool(_YEAR.fullmatch(t)))


def match_terms(text: str) -> list[str]:
    return [t for _, _, t in match_tokens(text) if is_match_term(t)]


def search_terms(text: str) -> list[str]:
    """Content terms for retrieval: a hyphenated compound also yields its parts, so
    "China–Pakistan" in a draft meets "china pakistan" in a headline read from a URL slug."""
    out = []
    for t in content_terms(text.replace("–", "-").replace("—", "-")):
        out.append(t)
        if "-" in t:
            out.extend(p for p in (term(w) for w in t.split("-")) if p not in STOPWORDS and len(p) > 1)
    return out


# query parameters that say where a reader came from, not which page it is
_TRACKING_PARAM = re.compile(r"^(?:utm_\w+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|yclid|igshid|mc_cid|mc_eid|_ga|_gl"
                             r"|ref|ref_src|ref_url|cmpid|ocid|smid|smtyp|s_cid|xtor|at_medium|at_campaign|guccounter)$")


def url_key(url: str) -> str:
    """The identity of a URL for matching: no scheme, no ``www.``, no fragment, no trailing slash,
    lower case, and of the query only the parameters that pick the page ("?p=123"), sorted; those
    that track the reader ("utm_source") are dropped. Two spellings of one page map to one key."""
    u = (url or "").strip().lower()
    u = re.sub(r"^[a-z][a-z0-9+.\-]*://", "", u)
    u = re.sub(r"^www\.", "", u)
    u, _, query = u.split("#", 1)[0].partition("?")
    params = sorted(p for p in query.split("&") if p and not _TRACKING_PARAM.match(p.split("=", 1)[0]))
    return u.rstrip("/") + ("?" + "&".join(params) if params else "")


def is_web_address(text: str) -> bool:
    """Whether ``text`` is an http(s) address rather than some other name (a draft's id in a CMS)."""
    return re.match(r"\s*https?://", text, re.IGNORECASE) is not None


def source_key(source: str) -> str:
    """The identity of what a link is made from, for the decisions editors take about it: an address
    as :func:`url_key` gives it, anything else (a draft's id in a CMS) as given, less outer spaces."""
    source = source.strip()
    return url_key(source) if is_web_address(source) else source


def host_key(host: str) -> str:
    """A bare host name as :func:`url_host` gives it: lower case, no ``www.``."""
    return host.strip().lower().removeprefix("www.")


def url_host(url: str) -> str:
    return host_key(urlsplit(url).hostname or "")


# links that lead nowhere a reader would call another page
_SKIP_SCHEMES = ("mailto:", "javascript:", "tel:", "data:", "ftp:", "sms:")
# files shown or played inside a page (images, media, styles, scripts, fonts); documents such as
# PDF reports are pages in their own right and can be sources
_ASSET = re.compile(r"\.(?:png|jpe?g|gif|svg|webp|avif|bmp|ico|tiff?|mp[34]|m4a|wav|ogg|webm|mov|avi"
                    r"|css|js|woff2?|ttf|otf)$")


def link_scope(href: str, site_hosts: Collection[str]) -> str:
    """Where a link in a draft leads: ``"page"`` (a place on this page: "#section", or nothing),
    ``"asset"`` (an image, video, style sheet... shown inside a page), ``"other"`` (mail, phone,
    script), ``"site"`` (a page of the desk's own site: a relative link or one of ``site_hosts``)
    or ``"outside"``. Only ``"site"`` links can be earlier coverage, only ``"outside"`` ones sources."""
    href = href.strip()
    if not href or href.startswith("#"):
        return "page"
    if href.lower().startswith(_SKIP_SCHEMES):
        return "other"
    parts = urlsplit(href)
    if _ASSET.search(parts.path.lower()):
        return "asset"
    if parts.scheme and parts.scheme.lower() not in ("http", "https"):
        return "other"
    host = host_key(parts.hostname or "")
    return "site" if not host or host in {host_key(h) for h in site_hosts} else "outside"


_SCHEME = re.compile(r"([a-z][a-z0-9+.\-]*):(/*)", re.IGNORECASE)
# "htp:", "htps:", "htttps:": a web address with its scheme mistyped ("hxxp:" is defanged on purpose)
_WEB_SCHEME_TYPO = re.compile(r"h+t+p+s*|h+t+s+p*|ht+ps?s+", re.IGNORECASE)
_MAIL_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
# "sec.gov", "example.org/report": a host of the usual top-level domains where a relative path
# would be; "report.html" or "v1.2/" are not
_BARE_DOMAIN = re.compile(r"([a-z0-9-]+\.)+(com|org|net|gov|edu|mil|int|info|io|co|us|uk|eu|ca|au|de|fr|in)"
                          r"(/|$|[?#])", re.IGNORECASE)
_INNER_SCHEME = re.compile(r"[^=/]https?:/", re.IGNORECASE)
_PAGE_EXTENSION = re.compile(r"\.(?:html?|php|aspx?|jsp)$")


def address_slug(url: str) -> str:
    """The last segment of an address's path without a page extension (".html"), as ``url_key``
    spells it: what names a story when the folders above it change. "" when it could hardly name
    one page (no path, no letter, or a short single word such as "index")."""
    key = url_key(url).split("?", 1)[0]
    if "/" not in key:
        return ""
    slug = _PAGE_EXTENSION.sub("", key.rsplit("/", 1)[-1])
    if not any(ch.isalpha() for ch in slug) or not ("-" in slug or "_" in slug or len(slug) >= 10):
        return ""
    return slug


def malformed_url(href: str) -> str | None:
    """Why an address cannot work as written, or None: lint reports it, the source catalog leaves it out."""
    if re.search(r"[\s\"<>`\\]", href):
        return "it holds a space, double quote, angle bracket, backtick or backslash"
    if re.match(r"www\.", href, re.IGNORECASE):
        return 'it starts "www." with no scheme, so it is read as a page of this site'
    if re.match(r"https?//", href, re.IGNORECASE):
        return 'its scheme has no ":"'
    scheme = _SCHEME.match(href)
    if scheme:
        name, slashes = scheme.group(1).lower(), len(scheme.group(2))
        if name in ("http", "https") and slashes != 2:
            return f'"{name}:" takes two slashes'
        if name not in ("http", "https") and _WEB_SCHEME_TYPO.fullmatch(name):
            return f'"{name}:" is not a scheme; "https:" was meant'
        return None
    # with no scheme, the address is read as a page of this site
    if _MAIL_ADDRESS.fullmatch(href):
        return 'it is a mail address with no "mailto:", so it is read as a page of this site'
    if _BARE_DOMAIN.match(href):
        return "it names another site with no scheme, so it is read as a page of this site"
    if _INNER_SCHEME.search(href):
        return "a web address starts inside it, after other characters"
    return None
