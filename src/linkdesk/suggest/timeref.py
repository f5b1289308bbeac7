"""Time references: phrases that point at earlier coverage by when it ran rather than by what it
was called ("last year's election", "announced in March", "since our last update", "in May 2024").

Each reference becomes a period before the draft's day; the archive's articles from that period
that are closest to the sentence are its candidates. Whether such a phrase is worth a link is
left to the ranker, which sees how often the desk linked phrases like it.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from ..index.linkindex import LinkIndex, date_of, day_of

__all__ = ["TimeRef", "find_time_refs", "period_articles"]

_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december"]
# how far back "our last update" or "previously" may reach, in articles before the draft
_RECENT_REACH = 400
# how many of a busy period's articles are compared with the sentence (its latest), which bounds
# the cost of "in 2019" on an archive that ran thousands of articles that year
_PERIOD_REACH = 2000

# Relative references, any case: "last year('s X)", "our last update", "previously".
_RELATIVE = re.compile(
    r"\b(?:(?:last|past|previous)\s+(?P<unit>year|month|week)(?:['’]s\s+[A-Za-z][\w-]*)?"
    r"|(?:our|the|my|its|their)\s+(?:last|latest|previous|most\s+recent|earlier)\s+[A-Za-z][\w-]*"
    r"|(?P<prev>previously|earlier\s+this\s+year))\b",
    re.IGNORECASE,
)
# Calendar references: month names are capitalized in English, which keeps "may" the verb out.
_CALENDAR = re.compile(
    r"\b(?:(?P<month>January|February|March|April|May|June|July|August|September|October|November|December)"
    r"(?:\s+\d{1,2},?)?(?:\s+(?P<month_year>(?:19|20)\d\d))?"
    r"|(?:[Ii]n|[Ss]ince|[Dd]uring|[Tt]hroughout)\s+(?P<year>(?:19|20)\d\d))\b"
)


@dataclass(frozen=True)
class TimeRef:
    start: int
    end: int
    lo: float  # first day of the period (days since 1970-01-01), -inf for "any time before"
    hi: float  # the day after the period


def _month_bounds(year: int, month: int) -> tuple[float, float]:
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return day_of(date(year, month, 1)), day_of(nxt)


def find_time_refs(text: str, draft_day: float) -> list[TimeRef]:
    """Time references in ``text`` with the period each points to, as of ``draft_day``;
    references to the draft's own day or later are left out."""
    if np.isnan(draft_day):
        return []
    today = date_of(draft_day)
    out: list[TimeRef] = []
    for m in _RELATIVE.finditer(text):
        if m.group("unit"):
            unit = m.group("unit").lower()
            if unit == "year":
                lo, hi = day_of(date(today.year - 1, 1, 1)), day_of(date(today.year, 1, 1))
            elif unit == "month":
                first = today.replace(day=1)
                prev = first - timedelta(days=1)
                lo, hi = _month_bounds(prev.year, prev.month)
            else:
                lo, hi = draft_day - 14, draft_day
        elif m.group("prev") and m.group("prev").lower().startswith("earlier"):
            lo, hi = day_of(date(today.year, 1, 1)), draft_day
        else:
            lo, hi = -np.inf, draft_day
        out.append(TimeRef(m.start(), m.end(), lo, min(hi, draft_day)))
    for m in _CALENDAR.finditer(text):
        if m.group("year"):
            year = int(m.group("year"))
            lo, hi = day_of(date(year, 1, 1)), day_of(date(year + 1, 1, 1))
        else:
            month = _MONTHS.index(m.group("month").lower()) + 1
            if m.group("month_year"):
                year = int(m.group("month_year"))
            else:
                # a month without a year is its latest occurrence up to the draft
                year = today.year if month <= today.month else today.year - 1
            lo, hi = _month_bounds(year, month)
        if lo < draft_day:
            out.append(TimeRef(m.start(), m.end(), lo, min(hi, draft_day)))
    return sorted(out, key=lambda r: r.start)


def period_articles(index: LinkIndex, ref: TimeRef) -> np.ndarray:
    """Indices of the dated articles published within the reference's period: its latest
    ``_PERIOD_REACH``, or ``_RECENT_REACH`` for open-ended references."""
    days = index.days_sorted
    b = bisect_left(days, ref.hi)
    if ref.lo == -np.inf:
        return index.by_day[max(0, b - _RECENT_REACH):b]
    return index.by_day[max(bisect_left(days, ref.lo), b - _PERIOD_REACH):b]
