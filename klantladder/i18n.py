"""Texts and number formats for the two report languages (Dutch first, English second).

All words a client reads live in ``texts/report.yaml`` (and the advice in
``texts/recommendations.yaml``); this module looks them up and formats numbers and dates the way
each language writes them (Dutch: decimal comma, thousands point, Dutch month names).

Texts may contain a little markup (``<strong>``, ``<em>``); values filled into them are the
caller's responsibility to escape when they come from a client's files.
"""

from __future__ import annotations

import datetime as dt
import math
from functools import lru_cache
from importlib import resources
from typing import Any, Sequence

from . import yamlfile

__all__ = ["LANGUAGES", "t", "texts", "recommendation_texts", "portfolio_texts", "workshop_texts", "fmt_number", "fmt_signed", "fmt_percent",
           "fmt_interval", "fmt_date", "fmt_hours", "fmt_list", "axis_formatter", "MONTHS"]

LANGUAGES = ("nl", "en")

MONTHS = {
    "nl": ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
           "november", "december"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"],
}


def _load(name: str) -> dict[str, Any]:
    return yamlfile.safe_load((resources.files("klantladder") / "texts" / name).read_text("utf-8"))


@lru_cache(maxsize=1)
def texts() -> dict[str, Any]:
    """All report texts, keyed by text id, then language."""
    return _load("report.yaml")


@lru_cache(maxsize=1)
def recommendation_texts() -> dict[str, Any]:
    """The rule-based advice per dimension and score band (``texts/recommendations.yaml``)."""
    return _load("recommendations.yaml")


@lru_cache(maxsize=1)
def portfolio_texts() -> dict[str, Any]:
    """The portfolio overview's texts (``texts/portfolio.yaml``), keyed by text id, then language."""
    return _load("portfolio.yaml")


@lru_cache(maxsize=1)
def export_column_names() -> dict[str, list[str]]:
    """Canonical column -> names it often has in Dutch and English exports
    (``texts/column_names.yaml``), for the mapping suggestions of the input checks."""
    return _load("column_names.yaml")


@lru_cache(maxsize=1)
def workshop_texts() -> dict[str, Any]:
    """The workshop's content (``texts/workshop.yaml``): texts, word lists, statements, scenarios."""
    return _load("workshop.yaml")


def t(key: str, language: str, **values: Any) -> str:
    """The text ``key`` in ``language`` (falling back to Dutch) with ``{placeholders}`` filled in."""
    entry = texts()[key]
    text = entry.get(language) or entry["nl"]
    return text.format(**values) if values else text


def _finite(x: Any) -> bool:
    try:
        return x is not None and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def fmt_number(x: float | None, language: str, digits: int = 0) -> str:
    """``1234.5`` → ``1.234,5`` (nl) or ``1,234.5`` (en); None/NaN → an en dash. Minus is U+2212.

    >>> fmt_number(1234.5, "nl", 1), fmt_number(-0.04, "en", 1)
    ('1.234,5', '0.0')
    """
    if not _finite(x):
        return "–"
    value = round(float(x), digits)  # type: ignore[arg-type]
    if value == 0:
        value = 0.0  # no "−0"
    text = f"{value:,.{digits}f}"
    if language == "nl":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    if text.startswith("-"):
        text = "−" + text[1:]
    return text


def fmt_signed(x: float | None, language: str, digits: int = 0) -> str:
    """A change or gap with its sign: ``+3``, ``−2,5``, ``0``."""
    text = fmt_number(x, language, digits)
    if _finite(x) and round(float(x), digits) > 0:  # type: ignore[arg-type]
        text = "+" + text
    return text


def fmt_percent(x: float | None, language: str, digits: int = 0) -> str:
    """A percentage (input already 0–100): ``82%``."""
    return "–" if not _finite(x) else f"{fmt_number(x, language, digits)}%"


def fmt_interval(low: float | None, high: float | None, language: str, digits: int = 0) -> str:
    """A 95% interval: ``[61 – 68]`` (shown in brackets after a value); empty when unknown."""
    if not (_finite(low) and _finite(high)):
        return ""
    return f"[{fmt_number(low, language, digits)} – {fmt_number(high, language, digits)}]"


def fmt_date(d: dt.date | None, language: str) -> str:
    """``31 oktober 2026`` (nl) or ``31 October 2026`` (en)."""
    if d is None:
        return "–"
    return f"{d.day} {MONTHS[language][d.month - 1]} {d.year}"


def fmt_hours(x: float | None, language: str) -> str:
    """A duration in hours, one decimal below 10 hours (none when whole): ``2,5 uur``, ``8 uur``,
    ``30 uur`` (nl); ``2.5 h`` (en)."""
    if not _finite(x):
        return "–"
    v = float(x)  # type: ignore[arg-type]
    digits = 1 if abs(v) < 10 and round(v, 1) != round(v) else 0
    return f"{fmt_number(v, language, digits)} {t('hours', language)}"


def fmt_list(items: Sequence[str], language: str) -> str:
    """``a, b en c`` (nl) / ``a, b and c`` (en)."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {t('and', language)} {items[-1]}"


def axis_formatter(language: str, digits: int = 0, suffix: str = ""):
    """A matplotlib tick formatter writing numbers the way ``language`` does."""
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda x, _pos: f"{fmt_number(x, language, digits)}{suffix}")
