"""Sentences that report, attribute or quote, and so need an outside source.

A sentence needs one when it attributes second-hand ("according to", "reports surfaced",
"announced"), quotes, or states figures; it is *contested* when it carries a claim someone
disputes ("allegedly", "denied", "accused"). A plain speech verb ("said", "told") alone makes a
*weak* claim: the desk may have done the interview itself. Sentences already carrying an outside
link are sourced.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["Claim", "find_claims", "sentences"]

_ATTRIBUTION = re.compile(
    r"\b(?:according\s+to|report(?:s|ed|edly|ing)?|announc(?:ed|es|ing)|confirm(?:ed|s)|claim(?:ed|s)?|"
    r"alleg(?:ed|es|edly)|estimat(?:ed|es)|reveal(?:ed|s)|accus(?:ed|es)|den(?:ied|ies)|cit(?:ed|ing)|"
    r"in\s+a\s+statement|sources?\s+(?:close|familiar|say|said)|data\s+(?:show|from)|figures?\s+show)\b",
    re.IGNORECASE,
)
# A study, survey or poll is someone else's finding when the sentence points at one ("a new study", "the
# 2024 survey") or says what it found or who made it ("polls show", "a survey of 1,000 adults"); as a plain
# noun ("case studies, tips and templates", "poll workers") or a verb ("students study") it attributes nothing.
_STUDY = re.compile(
    r"\b(?:(?:a|an|the|one|this|that|new|recent|latest|\d{4})\s+(?:[\w-]+\s+)?(?:survey|poll|study)\b"
    r"|(?:surveys?|polls?|stud(?:y|ies))\s+(?:by|from|of|on|found|finds?|show(?:s|ed|n)?|suggest(?:s|ed)?|"
    r"reveal(?:s|ed)?|published|released|conducted|commissioned)\b)",
    re.IGNORECASE,
)
# Plain speech verbs: a reporter's own interview needs no outside source, so these alone make a weak claim.
_SPEECH = re.compile(r"\b(?:said|says|say|told|tells|warned|warns|spokes(?:wo)?man|spokesperson)\b", re.IGNORECASE)
_CONTESTED = re.compile(
    r"\b(?:alleg(?:ed|es|edly)|claim(?:ed|s)?|den(?:ied|ies)|disputed?|accus(?:ed|es|ations?)|unconfirmed|"
    r"unverified|rumou?r(?:s|ed)?|contested|refuted?|controvers(?:y|ial))\b",
    re.IGNORECASE,
)
_FIGURE = re.compile(
    r"(?:\b\d[\d,.]*\s*%|\b\d[\d,.]*\s*(?:per\s?cent|percent|million|billion|trillion|thousand)\b|[$€£¥]\s?\d|"
    r"\b(?:at\s+least|more\s+than|nearly|about|some|over)\s+\d[\d,]*\b)",
    re.IGNORECASE,
)
_QUOTE = re.compile(r"[\"“][^\"”]{12,}[\"”]")
_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+['\"”’)]*|$)")


def sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence spans in ``text[start:end]``, trimmed of surrounding space. Abbreviation-naive on
    purpose: a split inside "U.S." only makes two short sentences, never loses one."""
    stop = len(text) if end is None else end
    out = []
    for m in _SENTENCE.finditer(text, start, stop):
        s, e = m.start(), m.end()
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e - s >= 3:
            out.append((s, e))
    return out


@dataclass
class Claim:
    """A sentence that needs a source: where, why, and the words that show it (the attribution cue)."""

    start: int
    end: int
    reasons: list[str] = field(default_factory=list)
    cue: tuple[int, int] | None = None
    contested: bool = False
    # only a speech verb ("said"): someone the desk may have interviewed itself
    weak: bool = False


def find_claims(text: str, spans: list[tuple[int, int]]) -> list[Claim]:
    """Which of the sentence ``spans`` of ``text`` attribute, quote, state figures or carry a contested claim."""
    out = []
    for s, e in spans:
        sentence = text[s:e]
        reasons = []
        cue = None
        m = _ATTRIBUTION.search(sentence) or _STUDY.search(sentence)
        if m:
            reasons.append(f'attributes ("{m.group(0)}")')
            cue = (s + m.start(), s + m.end())
        if _QUOTE.search(sentence):
            reasons.append("quotes someone")
        f = _FIGURE.search(sentence)
        if f:
            reasons.append(f'states a figure ("{f.group(0).strip()}")')
        contested = bool(_CONTESTED.search(sentence))
        if contested:
            reasons.append("carries a contested claim")
        speech = _SPEECH.search(sentence)
        if reasons:
            out.append(Claim(s, e, reasons, cue, contested))
        elif speech:
            out.append(Claim(s, e, [f'reports speech ("{speech.group(0)}")'], (s + speech.start(), s + speech.end()),
                             weak=True))
    return out
