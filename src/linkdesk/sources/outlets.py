"""The outlet policy: which outside outlets a desk cites, what kind they are and how far to trust them.

The packaged table (``data/outlets.toml``) maps domains to outlets; a newsroom's config adjusts it
(``[sources] prefer / block / allow`` and ``[sources.relabel."domain"]`` with name, kind, tier,
note, country). A domain's subdomains
share its entry: ``edition.cnn.com`` is looked up as ``edition.cnn.com``, then ``cnn.com``.
"""

from __future__ import annotations

import functools
import hashlib
import re
import tomllib
from dataclasses import dataclass, replace
from importlib import resources
from typing import Any

from ..errors import ConfigError
from ..text.normalize import url_host

__all__ = ["KINDS", "UNRATED_TIER", "Outlet", "OutletTable"]

KINDS = ("wire", "national", "regional", "specialist", "state-affiliated", "blocked")
# Unknown outlets rank between reputable (2) and low trust (3).
UNRATED_TIER = 2.5


@dataclass(frozen=True)
class Outlet:
    domain: str
    name: str
    kind: str | None = None
    tier: float = UNRATED_TIER
    note: str | None = None
    country: str | None = None
    known: bool = False

    @property
    def blocked(self) -> bool:
        return self.kind == "blocked"

    @property
    def label(self) -> str | None:
        """What a suggestion shows next to the outlet's name: state affiliation always, low trust too."""
        if self.kind == "state-affiliated":
            return f"state-affiliated media ({self.country})" if self.country else "state-affiliated media"
        if self.kind == "blocked":
            return "blocked"
        if self.tier >= 3:
            return "low trust"
        return None

    def to_json(self) -> dict[str, Any]:
        return {"domain": self.domain, "name": self.name, "kind": self.kind, "tier": self.tier,
                "label": self.label, "note": self.note, "country": self.country}


def _registrable_candidates(host: str) -> list[str]:
    host = host.lower().removeprefix("www.")
    parts = host.split(".")
    return [".".join(parts[i:]) for i in range(len(parts) - 1)] or [host]


class OutletTable:
    """Domain → :class:`Outlet`, the packaged table with the newsroom's overrides applied."""

    def __init__(self, entries: dict[str, Outlet]) -> None:
        self.entries = entries

    @classmethod
    def packaged(cls) -> OutletTable:
        # a copy: the newsroom's overrides change the table, never the packaged one
        return cls(dict(_packaged_entries()))

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> OutletTable:
        table = cls.packaged()
        src = config.get("sources", {})
        for domain, fields in src.get("relabel", {}).items():
            if not isinstance(fields, dict):
                raise ConfigError(f"sources.relabel.{domain}: expected a table of name/kind/tier/note")
            base = table.entries.get(domain.lower(), Outlet(domain.lower(), domain.lower()))
            table.entries[domain.lower()] = _outlet(domain.lower(), {**_fields(base), **fields},
                                                    f"sources.relabel.{domain}")
        for domain in src.get("prefer", []):
            base = table.lookup_domain(domain)
            table.entries[domain.lower()] = replace(base, domain=domain.lower(), tier=1, known=True)
        for domain in src.get("block", []):
            base = table.lookup_domain(domain)
            table.entries[domain.lower()] = replace(base, domain=domain.lower(), kind="blocked", known=True)
        for domain in src.get("allow", []):
            base = table.lookup_domain(domain)
            kind = None if base.kind == "blocked" else base.kind
            table.entries[domain.lower()] = replace(base, domain=domain.lower(), kind=kind,
                                                    tier=min(base.tier, UNRATED_TIER), known=True)
        return table

    def fingerprint(self) -> str:
        """A digest of every entry: equal for two tables exactly when they say the same of every domain."""
        return hashlib.sha256(repr(sorted(self.entries.items())).encode("utf-8")).hexdigest()

    def lookup_domain(self, host: str) -> Outlet:
        for candidate in _registrable_candidates(host):
            entry = self.entries.get(candidate)
            if entry is not None:
                return entry
        bare = host.lower().removeprefix("www.")
        return Outlet(bare, bare)

    def lookup(self, url: str) -> Outlet:
        return self.lookup_domain(url_host(url))

    def by_name(self) -> dict[str, Outlet]:
        """Outlets by lower-cased name and short forms, so a note naming "Reuters" finds reuters.com."""
        out: dict[str, Outlet] = {}
        for outlet in self.entries.values():
            out.setdefault(outlet.name.lower(), outlet)
            out.setdefault(outlet.name.lower().removeprefix("the "), outlet)
            label = _brand_label(outlet.domain)
            if label:
                out.setdefault(label, outlet)
        return out


    def acronyms(self) -> dict[str, Outlet]:
        """Capitalised initials of multi-word names ("AP", "AFP", "NYT"), for notes that use them."""
        out: dict[str, Outlet] = {}
        for outlet in self.entries.values():
            words = [w for w in re.split(r"[\s\-]+", outlet.name) if w and w.lower() != "the"]
            if len(words) >= 2:
                out.setdefault("".join(w[0] for w in words).upper(), outlet)
            if outlet.name.isupper() and len(outlet.name) >= 2:
                out.setdefault(outlet.name, outlet)
        return out


# Labels that are part of a domain's suffix or a generic subdomain, never an outlet's brand.
_GENERIC_LABELS = frozenset((
    "com co org net gov edu ac int news www uk au nz in ca de fr it jp kr cn ru ir tr sa ae sy ng kp cu "
    "by ie za br mx es nl be ch at se no dk fi pl pt gr il eg ma ke tv go info biz io"
).split())


def _brand_label(domain: str) -> str | None:
    """The label of a domain that names the outlet: "sky" for news.sky.com, "bbc" for bbc.co.uk."""
    labels = [label for label in domain.split(".") if label not in _GENERIC_LABELS]
    return labels[-1] if labels else None


@functools.cache
def _packaged_entries() -> dict[str, Outlet]:
    text = resources.files("linkdesk").joinpath("data/outlets.toml").read_text(encoding="utf-8")
    return _entries(tomllib.loads(text), "outlets.toml")


def _fields(o: Outlet) -> dict[str, Any]:
    return {"name": o.name, "kind": o.kind, "tier": o.tier, "note": o.note, "country": o.country}


def _outlet(domain: str, fields: dict[str, Any], where: str) -> Outlet:
    unknown = set(fields) - {"name", "kind", "tier", "note", "country", "domains"}
    if unknown:
        raise ConfigError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    kind = fields.get("kind")
    if kind is not None and kind not in KINDS:
        raise ConfigError(f"{where}: kind {kind!r} is not one of {', '.join(KINDS)}")
    tier = fields.get("tier", UNRATED_TIER)
    if not isinstance(tier, (int, float)) or isinstance(tier, bool) or not 1 <= tier <= 3:
        raise ConfigError(f"{where}: tier must be a number from 1 (most trusted) to 3")
    name = fields.get("name") or domain
    if not isinstance(name, str):
        raise ConfigError(f"{where}: name must be a string")
    return Outlet(domain, name, kind, float(tier), fields.get("note"), fields.get("country"), known=True)


def _entries(data: dict[str, Any], where: str) -> dict[str, Outlet]:
    out: dict[str, Outlet] = {}
    for i, fields in enumerate(data.get("outlet", []), 1):
        domains = fields.get("domains") or []
        if not domains:
            raise ConfigError(f"{where}: outlet {i} has no domains")
        for domain in domains:
            out[domain.lower()] = _outlet(domain.lower(), fields, f"{where}: outlet {i}")
    return out
