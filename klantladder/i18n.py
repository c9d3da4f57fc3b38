"""Texts and number formats for the two report languages (Dutch first, English second).

All words a client reads live in ``texts/report.yaml``; this module looks them up and formats
numbers and dates the way each language writes them (Dutch: decimal comma, Dutch month names).
"""

from __future__ import annotations

import datetime as dt
import math
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

__all__ = ["t", "fmt_number", "fmt_percent", "fmt_interval", "fmt_date", "texts"]

MONTHS = {
    "nl": ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
           "november", "december"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"],
}


@lru_cache(maxsize=1)
def texts() -> dict[str, Any]:
    """All report texts, keyed by text id, then language."""
    return yaml.safe_load((resources.files("klantladder") / "texts" / "report.yaml").read_text("utf-8"))


def t(key: str, language: str, **values: Any) -> str:
    """The text ``key`` in ``language`` (falling back to Dutch) with ``{placeholders}`` filled in."""
    entry = texts()[key]
    text = entry.get(language) or entry["nl"]
    return text.format(**values) if values else text


def fmt_number(x: float | None, language: str, digits: int = 0) -> str:
    """``1234.5`` → ``1.234,5`` (nl) or ``1,234.5`` (en); None → an en dash."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    text = f"{x:,.{digits}f}"
    if language == "nl":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    if text.startswith("-"):
        text = "−" + text[1:]
    return text


def fmt_percent(x: float | None, language: str, digits: int = 0) -> str:
    """A percentage (input already 0–100)."""
    return "–" if x is None else f"{fmt_number(x, language, digits)}%"


def fmt_interval(low: float | None, high: float | None, language: str, digits: int = 0) -> str:
    """A 95% interval: ``[61–68]`` (shown in brackets after a value)."""
    if low is None or high is None:
        return ""
    return f"[{fmt_number(low, language, digits)} – {fmt_number(high, language, digits)}]"


def fmt_date(d: dt.date | None, language: str) -> str:
    """``31 oktober 2026`` (nl) or ``31 October 2026`` (en)."""
    if d is None:
        return "–"
    return f"{d.day} {MONTHS[language][d.month - 1]} {d.year}"
