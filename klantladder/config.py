"""A client folder's settings: ``client.yaml`` read, checked and completed with defaults."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

import yaml

from .errors import Finding, InputError

__all__ = ["SOURCES", "SourceConfig", "ClientConfig", "load_client_config", "sector_terms", "safe_name"]

SOURCES = ("customer_survey", "employee_survey", "tickets", "customers")
EXTENSIONS = (".csv", ".xlsx", ".parquet", ".sav", ".tsv", ".txt")
LANGUAGES = ("nl", "en")


@dataclass(frozen=True)
class SourceConfig:
    """How to read one source: file, format options, preset, column mapping, date handling."""

    name: str
    path: Path | None
    format: str | None = None
    sheet: str | int | None = None
    encoding: str | None = None
    sep: str | None = None
    decimal: str | None = None
    preset: str | None = None
    header_rows: int = 0
    columns: Mapping[str, str] = field(default_factory=dict)
    date_format: str | None = None
    timezone: str = "Europe/Amsterdam"


@dataclass(frozen=True)
class ClientConfig:
    """Everything ``client.yaml`` says, with defaults filled in."""

    folder: Path
    client_id: str
    name: str
    sector: str
    customer_term: tuple[str, str]
    language: str
    wave: str
    reference_date: dt.date | None
    customer_survey_invited: int | None
    sla: Mapping[str, float]
    min_group_size: int
    model: Path | None
    kpi_scales: Mapping[str, Any]
    use_derived_weights: bool
    sources: Mapping[str, SourceConfig]


def safe_name(text: str) -> str:
    """A file-system-safe folder name (letters, digits, ``-``, ``_``, ``.``); never empty."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.")
    return cleaned[:80] or "client"


@lru_cache(maxsize=1)
def _sectors() -> dict[str, Any]:
    return yaml.safe_load((resources.files("klantladder") / "texts" / "sectors.yaml").read_text("utf-8"))


def sector_terms(sector: str, language: str) -> tuple[str, str]:
    """The sector's word for its customer (singular, plural) in ``language``."""
    entry = _sectors().get(sector, _sectors()["overig"])
    return tuple(entry["term"].get(language, entry["term"]["nl"]))  # type: ignore[return-value]


def sector_label(sector: str, language: str) -> str:
    entry = _sectors().get(sector)
    return entry["label"].get(language, sector) if entry else sector


def _bad(file: str, key: str, nl: str, en: str) -> InputError:
    f = Finding("client_yaml", "error", file, {"nl": nl, "en": en}, column=key)
    return InputError({"nl": "client.yaml klopt niet.", "en": "client.yaml is not right."}, [f])


def _find_source(folder: Path, name: str) -> Path | None:
    for ext in EXTENSIONS:
        p = folder / f"{name}{ext}"
        if p.is_file():
            return p
    return None


def load_client_config(folder: str | Path) -> ClientConfig:
    """Read ``<folder>/client.yaml`` (optional: defaults apply) and locate the source files.

    Raises :class:`InputError` when the folder does not exist, the YAML is malformed or a value
    has the wrong type.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError({"nl": f"Map niet gevonden: {folder}", "en": f"Folder not found: {folder}"})
    cfg_path = folder / "client.yaml"
    raw: dict[str, Any] = {}
    if cfg_path.is_file():
        try:
            raw = yaml.safe_load(cfg_path.read_text(encoding="utf-8")) or {}
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" (regel {mark.line + 1})" if mark else ""
            raise _bad(str(cfg_path), "", f"geen geldige YAML{where}. Controleer inspringing en dubbele punten.",
                       f"not valid YAML{where.replace('regel', 'line')}. Check indentation and colons.") from None
        if not isinstance(raw, dict):
            raise _bad(str(cfg_path), "", "verwacht sleutels zoals 'name:' en 'sector:'.",
                       "expected keys such as 'name:' and 'sector:'.")
    file = str(cfg_path)
    language = str(raw.get("language", "nl")).lower()
    if language not in LANGUAGES:
        raise _bad(file, "language", f"taal '{language}' wordt niet ondersteund; kies nl of en.",
                   f"language '{language}' is not supported; choose nl or en.")
    sector = str(raw.get("sector", "overig")).lower()
    term = raw.get("customer_term")
    if term:
        term_pair = (str(term), str(raw.get("customer_term_plural", f"{term}en" if language == "nl" else f"{term}s")))
    else:
        term_pair = sector_terms(sector, language)
    ref = raw.get("reference_date")
    if ref is not None and not isinstance(ref, dt.date):
        try:
            ref = dt.date.fromisoformat(str(ref))
        except ValueError:
            raise _bad(file, "reference_date", "verwacht een datum als 2026-10-31.",
                       "expected a date such as 2026-10-31.") from None
    try:
        min_n = int(raw.get("min_group_size", 5))
        invited = raw.get("customer_survey_invited")
        invited = int(invited) if invited is not None else None
        sla = {str(k): float(v) for k, v in (raw.get("sla") or {}).items()}
    except (TypeError, ValueError):
        raise _bad(file, "min_group_size/customer_survey_invited/sla", "verwacht getallen.",
                   "expected numbers.") from None
    if min_n < 5:
        raise _bad(file, "min_group_size", "de minimale groepsgrootte is ten minste 5 (privacy).",
                   "the minimum group size is at least 5 (privacy).")
    sources: dict[str, SourceConfig] = {}
    raw_sources = raw.get("sources") or {}
    for name in SOURCES:
        spec = raw_sources.get(name) or {}
        if not isinstance(spec, dict):
            raise _bad(file, f"sources.{name}", "verwacht instellingen als 'file:' en 'columns:'.",
                       "expected settings such as 'file:' and 'columns:'.")
        path = folder / spec["file"] if spec.get("file") else _find_source(folder, name)
        if spec.get("file") and not path.is_file():
            raise _bad(file, f"sources.{name}.file", f"bestand '{spec['file']}' bestaat niet in {folder}.",
                       f"file '{spec['file']}' does not exist in {folder}.")
        columns = {str(k): str(v) for k, v in (spec.get("columns") or {}).items()}
        sources[name] = SourceConfig(
            name=name, path=path, format=spec.get("format"), sheet=spec.get("sheet"),
            encoding=spec.get("encoding"), sep=spec.get("sep"), decimal=spec.get("decimal"),
            preset=spec.get("preset"), header_rows=int(spec.get("header_rows", 0)), columns=columns,
            date_format=spec.get("date_format"), timezone=str(spec.get("timezone", "Europe/Amsterdam")),
        )
    model = raw.get("model")
    return ClientConfig(
        folder=folder, client_id=safe_name(folder.resolve().name), name=str(raw.get("name", folder.name)),
        sector=sector, customer_term=term_pair, language=language, wave=str(raw.get("wave", "")),
        reference_date=ref, customer_survey_invited=invited, sla=sla, min_group_size=min_n,
        model=(folder / model) if model else None, kpi_scales=raw.get("kpi_scales") or {},
        use_derived_weights=bool(raw.get("use_derived_weights", False)), sources=sources,
    )
