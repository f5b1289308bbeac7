"""Configuration: the packaged ``defaults.toml`` merged with the user's TOML file.

Lookup order for the user file: the explicit path, ``$LINKDESK_CONFIG``, ``./linkdesk.toml``.
Per-call overrides (CLI flags, API parameters) are merged last by the caller.
"""

from __future__ import annotations

import copy
import os
import tomllib
from importlib import resources
from typing import Any

from .errors import ConfigError

__all__ = ["MAX_DEFAULT_PROCESSES", "defaults", "load_config", "merge", "processes"]


def defaults() -> dict[str, Any]:
    text = resources.files("linkdesk").joinpath("data/defaults.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def merge(base: dict[str, Any], override: dict[str, Any], where: str = "config") -> dict[str, Any]:
    """Deep-merge ``override`` into a copy of ``base``; unknown keys are an error, so typos are caught."""
    out = copy.deepcopy(base)
    if not base:
        # an empty table in the defaults is free-form (per-domain entries, for instance)
        return {**out, **copy.deepcopy(override)}
    for key, value in override.items():
        if key not in out:
            raise ConfigError(f"{where}: unknown setting {key!r} (known: {', '.join(sorted(out))})")
        if isinstance(out[key], dict):
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: {key!r} must be a table")
            out[key] = merge(out[key], value, f"{where}.{key}")
        else:
            expected = type(out[key])
            if key == "threshold":
                # the one setting that is a word or a number
                if value != "auto" and (isinstance(value, bool) or not isinstance(value, (int, float))
                                        or not 0.0 <= value <= 1.0):
                    raise ConfigError(f"{where}.{key}: expected \"auto\" or a score from 0 to 1, got {value!r}")
                out[key] = value if value == "auto" else float(value)
                continue
            if expected is float and isinstance(value, int):
                value = float(value)
            if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
                raise ConfigError(f"{where}.{key}: expected {expected.__name__}, got {type(value).__name__}")
            # counts, limits and scores in the settings are never negative (nor nan)
            if expected in (int, float) and not value >= 0:
                raise ConfigError(f"{where}.{key}: {value} must not be negative")
            out[key] = value
    return out


def load_config(path: str | None = None, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    cfg = defaults()
    path = path or os.environ.get("LINKDESK_CONFIG") or ("linkdesk.toml" if os.path.exists("linkdesk.toml") else None)
    if path:
        try:
            with open(path, "rb") as fh:
                user = tomllib.load(fh)
        except FileNotFoundError as exc:
            raise ConfigError(f"{path}: config file not found") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
        cfg = merge(cfg, user, path)
    if overrides:
        cfg = merge(cfg, overrides, "options")
    return cfg


# beyond this many, a job's share of the work is small and each process holds its own copy of what
# it reads
MAX_DEFAULT_PROCESSES = 4


def processes(setting: int) -> int:
    """How many processes a job with this ``jobs`` setting runs: the setting, or for 0 one per CPU
    core this process may use (a container's share, not the host's), at most MAX_DEFAULT_PROCESSES."""
    if setting > 0:
        return int(setting)
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        cores = os.cpu_count() or 1
    return max(1, min(MAX_DEFAULT_PROCESSES, cores))
