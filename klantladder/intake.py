"""Read a client folder into canonical, validated, pseudonymised frames.

``read_client`` is the only way data enters scoring. For each source it reads the file
(:mod:`klantladder.readers`), applies a survey-tool preset and the column mapping from
``client.yaml``, converts every column to its canonical type, pseudonymises identifiers, masks
contact details in free text, and validates with the pandera schemas of :mod:`klantladder.schema`.
Unusable rows are set aside with their reason; the input files are only ever read.
The rules and their levels are listed in ``docs/validation-rules.md``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow
import pyarrow.compute as pc

from . import kpis, presets, privacy, readers
from .config import SOURCES, ClientConfig, SourceConfig, expected_names, load_client_config, present_files
from .errors import Finding, InputError, ModelError
from .i18n import export_column_names, fmt_number
from .model import Model, load_model
from .schema import REQUIRED, TIME_ORDER, UNIQUE_IDS, ColumnSpec, build_schema, source_columns
from .waves import SURVEYS, current_wave, survey_waves, wave_sort_key

__all__ = ["ClientData", "read_client", "read_source", "input_hash", "client_reference_date", "ERROR_SHARE",
           "FUTURE_DAYS", "STALE_REFERENCE_DAYS"]

# Above this share of bad cells in one column, a per-cell warning becomes an error for the client:
# the column is more likely mapped or scaled wrongly than occasionally mistyped.
ERROR_SHARE = 0.5
PLAUSIBLE_HOURS = 365 * 24  # longer is flagged (long_duration) but counts
IMPLAUSIBLE_HOURS = 5 * 365 * 24  # longer is a wrong date: set aside (implausible_duration)
# A customer date more than this many days after the reference date is flagged (future_date): a
# planned contract end or a wrong year.
FUTURE_DAYS = 365
# A reference_date in client.yaml more than this many days after the latest event in the data is
# flagged (reference_after_data): retention and churn would be measured over months without data.
STALE_REFERENCE_DAYS = 90
TRUE = {"true", "1", "ja", "j", "yes", "y", "waar", "x", "wahr", "1.0", "t"}
FALSE = {"false", "0", "nee", "n", "no", "onwaar", "0.0", "f"}
# Words that only mean yes/no in one column ("opgelost" is no answer to "reopened?").
BOOL_WORDS = {"reopened": ({"heropend", "reopened", "opnieuw geopend"}, {"niet heropend", "not reopened"}),
              "first_contact_resolution": ({"opgelost", "resolved", "direct opgelost"},
                                           {"niet opgelost", "not resolved"})}


#: The rows set aside (``ClientData.rejects``): where, which rule, and why in both languages (never a
#: cell's value); ``rejects.csv`` carries the reason in the report's language.
REJECT_COLUMNS = ("source", "row", "rule", "column", "reason_nl", "reason_en")


@dataclass
class ClientData:
    """A client's sources as canonical frames, with what was found and set aside on the way."""

    config: ClientConfig
    model: Model
    frames: dict[str, pd.DataFrame]
    findings: list[Finding] = field(default_factory=list)
    rejects: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(REJECT_COLUMNS)))
    rows_read: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "warning"]

    def frame(self, source: str) -> pd.DataFrame | None:
        return self.frames.get(source)


class _Collector:
    """Gathers findings and rejected rows for one source; ``language`` is the one free text is
    masked in (the report's, :data:`klantladder.privacy.MASKS`)."""

    def __init__(self, source: str, file: str, rows: pd.Series, language: str = "nl"):
        self.source, self.file, self.rows, self.language = source, file, rows, language
        self.findings: list[Finding] = []
        self.rejected: list[pd.DataFrame] = []
        self.raw_ids: list[pd.Series] = []  # the identifier columns as read, never to be quoted
        self.id_hashes: dict[str, IdHashes] = {}  # keyed hashes of the identifier columns
        self._stripped: list[pd.Series] | None = None

    def is_raw_id(self, values: pd.Series) -> pd.Series:
        """Which of ``values`` (a few texts) are identifiers of this file, as read."""
        if self._stripped is None:
            self._stripped = [s.astype("str").str.strip() for s in self.raw_ids]
        hit = pd.Series(False, index=values.index)
        for ids in self._stripped:
            hit |= values.isin(ids)
        return hit

    def add(self, rule: str, level: str, nl: str, en: str, column: str | None = None,
            mask: pd.Series | None = None, reject: bool = False, reason: tuple[str, str] | None = None) -> None:
        """Record a finding; with ``reject`` the rows in ``mask`` are set aside with ``reason``
        (Dutch, English; default: the message; pass one without quoted cell values)."""
        rows: tuple[int, ...] = ()
        count = 0
        if mask is not None:
            idx = np.flatnonzero(mask.to_numpy(dtype=bool, na_value=False))
            count = len(idx)
            if count == 0:
                return
            # by label: earlier rules may have set rows aside, so positions no longer match the file
            lines = self.rows.loc[mask.index[idx]].to_numpy()
            rows = tuple(int(r) for r in lines[:5])
            if reject:
                why_nl, why_en = reason or (nl, en)
                self.rejected.append(pd.DataFrame({
                    "source": self.source, "row": lines, "rule": rule,
                    "column": column or "", "reason_nl": why_nl, "reason_en": why_en}))
        self.findings.append(Finding(rule, level, self.file, {"nl": nl, "en": en}, column, rows, count))


def _level(bad: pd.Series, present: pd.Series) -> str:
    n = int(present.sum())
    return "error" if n and bad.sum() / n > ERROR_SHARE else "warning"


def _what_happens(level: str, nl: str = "Deze cellen tellen als ontbrekend.",
                  en: str = "These cells count as missing.") -> tuple[str, str]:
    """The consequence a message states, by its level (:func:`_level`): for a warning what becomes
    of the cells (``nl``, ``en``); for an error, that the client is not scored as it is, since more
    than half of the filled cells are affected."""
    if level != "error":
        return nl, en
    return ("Dat is meer dan de helft van de ingevulde cellen: zo wordt de klant niet gescoord. Herstel de export "
            "of de koppeling in client.yaml.",
            "That is more than half of the filled cells: the client is not scored like this. Fix the export or the "
            "mapping in client.yaml.")


def _examples(values: pd.Series, mask: pd.Series, col: _Collector | None = None) -> str:
    """Up to three distinct bad cell values to quote in a message: personal data masked, and a
    value that is one of the file's raw identifiers (columns shifted in an export) never shown."""
    hit = mask.to_numpy(dtype=bool, na_value=False)
    if not hit.any():
        return ""
    ex = pd.Series(values[hit]).astype(str).str.strip().drop_duplicates().head(3)
    if ex.empty:
        return ""
    is_id = col.is_raw_id(ex) if col is not None else pd.Series(False, index=ex.index)
    return ", ".join("'[id]'" if hidden else repr(privacy.mask_text(v)[:30]) for v, hidden in zip(ex, is_id))


def _numbers(s: pd.Series, spec: ColumnSpec, decimal: str, col: _Collector) -> pd.Series:
    if pd.api.types.is_bool_dtype(s):
        s = s.astype("float64")
    if pd.api.types.is_numeric_dtype(s):
        return s.astype("float64")
    values, bad = readers.to_number(s, decimal=decimal)  # strips the text itself
    if not bad.any():
        return values
    text = s.astype("string").str.strip()
    present = text.notna() & (text != "")
    if spec.kind == "likert":
        mapped, unmapped = presets.likert_to_number(text.where(bad), scale_max=int(spec.high or 5))
        values = values.where(~bad, mapped)
        bad = bad & unmapped
    if bad.any():
        level = _level(bad, present)
        then = _what_happens(level)
        col.add("not_a_number", level,
                f"tekst waar een getal hoort ({_examples(text, bad, col)}). Verwacht een getal van "
                f"{spec.low:g} t/m {spec.high:g}; koppel tekstantwoorden in client.yaml of corrigeer de cellen. "
                f"{then[0]}",
                f"text where a number belongs ({_examples(text, bad, col)}). Expected a number from "
                f"{spec.low:g} to {spec.high:g}; map text answers in client.yaml or correct the cells. "
                f"{then[1]}", spec.name, bad)
    return values.where(~bad)


_FORM_NAMES = {"format": ("volgens date_format", "in the date_format"),
               "iso_offset": ("ISO 8601 met tijdzone", "ISO 8601 with time zone"),
               "iso_local": ("ISO 8601 zonder tijdzone", "ISO 8601 without time zone"),
               "day_month": ("dag-maand-jaar", "day-month-year"),
               "excel_serial": ("Excel-datumgetal", "Excel date number")}


def _first_row(mask: pd.Series, col: _Collector) -> int:
    """The file row (as a spreadsheet numbers it) of the first True cell of ``mask``."""
    return int(col.rows.loc[mask.index[mask.to_numpy(dtype=bool)][0]])


def _parse_dates(df: pd.DataFrame, specs: dict[str, ColumnSpec], cfg: SourceConfig,
                 col: _Collector) -> dict[str, readers.DateParse]:
    """Parse every date column of a source, deciding day/month order for the source as a whole."""
    names = [c for c in df.columns if specs[c].kind in ("datetime", "date")]
    parsed = {c: readers.to_datetime(df[c], date_format=cfg.date_format, timezone=cfg.timezone) for c in names}
    with_dm = [c for c in names if parsed[c].order is not None]
    if not with_dm:
        return parsed
    day_first = [c for c in with_dm if parsed[c].day_first.any()]
    month_first = [c for c in with_dm if parsed[c].month_first.any()]
    fmt = f"sources.{cfg.name}.date_format"
    if day_first and month_first:
        first_d, first_m = day_first[0], month_first[0]
        row_d = _first_row(parsed[first_d].day_first, col)
        row_m = _first_row(parsed[first_m].month_first, col)
        for c in with_dm:
            col.add("ambiguous_date", "error",
                    f"de datums zijn deels dag-maand-jaar (kolom {first_d}, rij {row_d}) en deels maand-dag-jaar "
                    f"(kolom {first_m}, rij {row_m}); zo is geen enkele datum betrouwbaar. Exporteer opnieuw in één "
                    f"formaat, bij voorkeur ISO 8601 (2026-05-03 14:05).",
                    f"the dates are partly day-month-year (column {first_d}, row {row_d}) and partly month-day-year "
                    f"(column {first_m}, row {row_m}), so no date can be trusted. Export again in one format, "
                    f"preferably ISO 8601 (2026-05-03 14:05).", c, parsed[c].forms["day_month"])
        return parsed
    order = "dmy" if day_first else "mdy" if month_first else None
    if order is None and all(parsed[c].order == "dmy" for c in with_dm):
        order = "dmy"  # only - and . separators: the Dutch day-month-year
    for c in with_dm:
        if order is not None and parsed[c].order != order:
            parsed[c] = readers.to_datetime(df[c], timezone=cfg.timezone, order=order)
        p = parsed[c]
        if order == "mdy":
            row = _first_row(parsed[month_first[0]].month_first, col)
            col.add("date_order", "warning",
                    f"datums gelezen als maand-dag-jaar (Amerikaans), omdat rij {row} van kolom {month_first[0]} "
                    f"alleen zo kan. Bevestig dit met {fmt}: \"%m/%d/%Y %H:%M\" (of het juiste patroon).",
                    f"dates read as month-day-year (US), because row {row} of column {month_first[0]} can only be "
                    f"read that way. Confirm with {fmt}: \"%m/%d/%Y %H:%M\" (or the right pattern).",
                    c, p.forms["day_month"])
        elif order is None:
            ex = _examples(df[c], p.unread, col)
            col.add("ambiguous_date", _level(p.unread, df[c].notna()),
                    f"datums als {ex} kunnen dag/maand of maand/dag zijn en niets in het bestand beslist het. Zet "
                    f"{fmt} in client.yaml: \"%d/%m/%Y\" (3 mei) of \"%m/%d/%Y\" (5 maart), met de tijd erbij als "
                    f"die er staat (\"%d/%m/%Y %H:%M\"). Deze cellen zijn niet gelezen.",
                    f"dates such as {ex} can be day/month or month/day and nothing in the file decides it. Set "
                    f"{fmt} in client.yaml: \"%d/%m/%Y\" (3 May) or \"%m/%d/%Y\" (March 5), with the time if "
                    f"there is one (\"%m/%d/%Y %H:%M\"). These cells were not read.",
                    c, p.unread, reject=c == "created_at",
                    reason=("volgorde dag/maand van de datum is dubbelzinnig; zet date_format in client.yaml",
                            "day/month order of the date is ambiguous; set date_format in client.yaml"))
    return parsed


def _date_column(name: str, s: pd.Series, p: readers.DateParse, cfg: SourceConfig,
                 col: _Collector) -> tuple[pd.Series, pd.Series | None]:
    """Findings for one parsed date column; returns (values, rows to set aside or None)."""
    critical = name == "created_at"
    present = s.notna()
    bad = p.bad
    if cfg.date_format:
        hint_nl = f"verwacht het formaat {cfg.date_format} uit client.yaml (of ISO 8601)"
        hint_en = f"expected the format {cfg.date_format} from client.yaml (or ISO 8601)"
    else:
        hint_nl = "gebruik ISO 8601 (2026-05-03 14:05) of dd-mm-jjjj uu:mm, of zet date_format in client.yaml"
        hint_en = "use ISO 8601 (2026-05-03 14:05) or dd-mm-yyyy hh:mm, or set date_format in client.yaml"
    level = _level(bad, present) if critical else "warning"
    then = _what_happens(level, *(("Deze rijen zijn apart gezet.", "These rows were set aside.") if critical else
                                  ("Deze cellen tellen als ontbrekend.", "These cells count as missing.")))
    col.add("bad_date", level,
            f"datum/tijd niet te lezen ({_examples(s, bad, col)}); {hint_nl}. {then[0]}",
            f"date/time cannot be read ({_examples(s, bad, col)}); {hint_en}. {then[1]}",
            name, bad, reject=critical,
            reason=(f"datum/tijd niet te lezen; {hint_nl}", f"date/time cannot be read; {hint_en}"))
    used = {f: m for f, m in p.forms.items() if m.any()}
    if len(used) > 1:
        counts = {f: int(m.sum()) for f, m in used.items()}
        main = max(counts, key=counts.get)
        minority = pd.Series(False, index=s.index)
        for f, m in used.items():
            if f != main:
                minority |= m
        listed_nl = ", ".join(f"{_FORM_NAMES[f][0]}: {n}" for f, n in counts.items())
        listed_en = ", ".join(f"{_FORM_NAMES[f][1]}: {n}" for f, n in counts.items())
        zone_nl = f" Tijden zonder tijdzone zijn gelezen als {cfg.timezone}." if "iso_local" in used else ""
        zone_en = f" Times without a time zone were read as {cfg.timezone}." if "iso_local" in used else ""
        col.add("mixed_date_formats", "warning",
                f"de kolom mengt datumnotaties ({listed_nl}); elke cel is eenduidig gelezen.{zone_nl} Controleer of "
                f"de kolom uit één systeem komt; de genoemde rijen wijken af van de rest.",
                f"the column mixes date forms ({listed_en}); each cell was read unambiguously.{zone_en} Check that "
                f"the column comes from one system; the rows listed differ from the rest.", name, minority)
    col.add("excel_serial_date", "warning",
            "getallen gelezen als Excel-datums (46145 = 3 mei 2026). Controleer een paar rijen; zet de kolom in "
            "Excel op een datumnotatie vóór het exporteren.",
            "numbers read as Excel dates (46145 = 3 May 2026). Check a few rows; give the column a date format in "
            "Excel before exporting.", name, p.forms["excel_serial"])
    col.add("dst_local_time", "warning",
            f"lokale tijden in de zomer-/wintertijdwissel van {cfg.timezone}: een tijd die twee keer voorkomt is "
            f"gelezen als de eerste, een tijd die niet bestaat is een uur opgeschoven (hooguit een uur verschil). "
            f"Exporteer met tijdzone (2026-10-25T02:30+02:00) om dit te voorkomen.",
            f"local times in the daylight-saving change of {cfg.timezone}: a time that occurs twice was read as "
            f"the first, a time that does not exist was moved an hour on (at most an hour off). Export with a "
            f"time zone (2026-10-25T02:30+02:00) to avoid this.", name, p.dst)
    if name in ("created_at", "first_response_at", "resolved_at") and _dates_only(p.values, cfg.timezone):
        col.add("date_without_time", "warning",
                "de kolom heeft alleen datums, geen tijden: reactie- en oplostijden tellen zo in hele dagen (0, 24, "
                "48 uur) en de mediaan kan 0 uur zijn. Exporteer de kolom met tijden (2026-05-03 14:05).",
                "the column holds dates only, no times: response and resolution times then count in whole days "
                "(0, 24, 48 hours) and the median can be 0 hours. Export the column with times (2026-05-03 14:05).",
                name)
    open_end = name == "end_date"
    far = _examples(s, p.out_of_range, col)
    col.add("date_out_of_range", "warning",
            f"datums vóór {readers.EARLIEST_YEAR} of na {readers.LATEST_YEAR} ({far}) " +
            ("tellen als 'geen einddatum' (zo schrijven sommige systemen een open einde)." if open_end else
             "zijn geen echte datums" + ("; deze rijen zijn apart gezet." if critical else
                                         "; deze cellen tellen als ontbrekend.")),
            f"dates before {readers.EARLIEST_YEAR} or after {readers.LATEST_YEAR} ({far}) " +
            ("count as 'no end date' (some systems write an open end that way)." if open_end else
             "are not real dates" + ("; these rows were set aside." if critical else
                                     "; these cells count as missing.")),
            name, p.out_of_range, reject=critical,
            reason=("datum vóór 1900 of na 2199", "date before 1900 or after 2199"))
    reject = (bad | p.out_of_range | p.unread) if critical else None
    return p.values, reject


_DATES_ONLY_MIN, _DATES_ONLY_SAMPLE = 10, 2000


def _dates_only(values: pd.Series, timezone: str) -> bool:
    """Whether a time column holds dates without times: at least :data:`_DATES_ONLY_MIN` values,
    all at midnight where they were written (judged on up to :data:`_DATES_ONLY_SAMPLE` values
    spread over the column, so millions of tickets cost nothing)."""
    present = values.notna().to_numpy()
    if np.count_nonzero(present) < _DATES_ONLY_MIN:
        return False
    v = values
    if len(values) > _DATES_ONLY_SAMPLE:  # a sample taken before dropping the blanks: no copy of millions
        v = values.iloc[np.linspace(0, len(values) - 1, _DATES_ONLY_SAMPLE).astype(int)].dropna()
        if len(v) < _DATES_ONLY_MIN:  # a sparse column: sample its filled cells instead
            filled = np.flatnonzero(present)
            v = values.iloc[filled[np.linspace(0, len(filled) - 1, min(len(filled), _DATES_ONLY_SAMPLE)).astype(int)]]
    v = pd.to_datetime(v.dropna())
    if v.dt.tz is not None:
        v = v.dt.tz_convert(timezone)
    return bool((v == v.dt.normalize()).all())


def _bools(s: pd.Series, spec: ColumnSpec, col: _Collector) -> pd.Series:
    if pd.api.types.is_bool_dtype(s):
        return s.astype("boolean")
    if pd.api.types.is_numeric_dtype(s):
        s = s.astype("float64").map(lambda v: None if v != v else f"{v:g}")
    text = s.astype("string").str.strip().str.lower()
    text = text.mask(_blank(text) | text.isin(["-", "--", "?"]))
    out = pd.Series(pd.NA, index=s.index, dtype="boolean")
    yes, no = BOOL_WORDS.get(spec.name, (set(), set()))
    out[text.isin(TRUE | yes).fillna(False).astype(bool)] = True
    out[text.isin(FALSE | no).fillna(False).astype(bool)] = False
    if spec.name == "reopened":  # a count of reopenings (Zendesk 'Reopens': 2) means reopened
        count, _ = readers.to_number(text.where(out.isna()))
        out[(count >= 1) & (count % 1 == 0)] = True
    present = text.notna() & (text != "")
    bad = present & out.isna()
    level = _level(bad, present)
    then = _what_happens(level)
    col.add("not_a_boolean", level,
            f"verwacht ja/nee (of true/false, 1/0) ({_examples(text, bad, col)}). {then[0]}",
            f"expected yes/no (or true/false, 1/0) ({_examples(text, bad, col)}). {then[1]}",
            spec.name, bad)
    return out


#: Identifier columns whose values repeat (a customer has many tickets), per source: kept as a
#: categorical of the distinct pseudonyms, so that grouping tickets by customer costs little on
#: millions of rows.
REPEATED_IDS: dict[str, tuple[str, ...]] = {"tickets": ("customer_id",)}


@dataclass
class IdHashes:
    """An identifier column as read: its canonical text and keyed hashes (:mod:`klantladder.privacy`).

    Uniqueness is checked on the 64-bit ``hashes`` (integers: fast on millions of rows); the
    ``text`` only confirms the few rows whose hashes repeat, so a hash collision can never set a
    row aside. Kept during intake only, never in a frame or a message.
    """

    text: pyarrow.Array | pyarrow.ChunkedArray
    hashes: np.ndarray
    missing: np.ndarray
    repeats: np.ndarray | None = None  # for a unique id: the repeated rows among all rows, as read


def _categorical_pseudonyms(hashes: np.ndarray, missing: np.ndarray) -> pd.Categorical:
    """The pseudonyms of repeating ids as a categorical: codes plus the distinct pseudonyms."""
    if missing.any():
        codes = np.full(hashes.size, -1, dtype=np.int64)
        codes[~missing], uniques = privacy.factorize_hashes(hashes[~missing])
    else:
        codes, uniques = privacy.factorize_hashes(hashes)
    categories = pd.Index(pd.array(privacy.pseudonym_text(np.asarray(uniques, dtype=np.uint64)), dtype="str"))
    # the codes are in range and the pseudonyms of distinct hashes distinct: nothing to validate
    fastpath = getattr(pd.CategoricalDtype, "_from_fastpath", None)
    dtype = fastpath(categories, False) if fastpath is not None else pd.CategoricalDtype(categories)
    return pd.Categorical.from_codes(codes, dtype=dtype, validate=False)


def _pseudonym_column(name: str, s: pd.Series, key: bytes, source: str) -> tuple[pd.Series, IdHashes]:
    """An identifier column pseudonymised as it is read (:func:`privacy.pseudonymise`'s values),
    and its keyed hashes.

    Repeating ids (:data:`REPEATED_IDS`) become a categorical, the others (nearly all distinct)
    text. The same id gives the same pseudonym in every source and every run with the project key.
    For an id that must be unique (:data:`UNIQUE_IDS`) the repeated rows are found right away.
    """
    text = privacy.id_text(s)
    hashes, missing = privacy.pseudonym_hashes(text, key)
    ids = IdHashes(text, hashes, missing)
    if name in UNIQUE_IDS.get(source, ()):
        ids.repeats = _repeated_ids(ids, None)
    if name in REPEATED_IDS.get(source, ()):
        return pd.Series(_categorical_pseudonyms(hashes, missing), index=s.index, name=s.name), ids
    text_ids = pd.array(privacy.pseudonym_text(hashes, missing), dtype="str")
    return pd.Series(text_ids, index=s.index, name=s.name), ids


def _convert(df: pd.DataFrame, specs: dict[str, ColumnSpec], cfg: SourceConfig, key: bytes,
             col: _Collector) -> pd.DataFrame:
    """Every column converted to its canonical type, with the findings of the conversion.

    The identifier columns are pseudonymised in threads of their own meanwhile (hashing and
    sorting run outside the interpreter lock, and they record no findings, so the order of the
    findings stays that of the columns).
    """
    id_names = [c for c in df.columns if specs[c].kind == "id"]
    col.raw_ids.extend(df[c] for c in id_names)
    with ThreadPoolExecutor(max_workers=max(1, len(id_names))) as pool:
        ids = {c: pool.submit(_pseudonym_column, c, df[c], key, cfg.name) for c in id_names}
        out = _convert_other(df, specs, cfg, col)
        for name, future in ids.items():
            out[name], col.id_hashes[name] = future.result()
    order = [c for name in df.columns for c in (name, "_reject_" + name) if c in out]
    return pd.DataFrame({c: out[c] for c in order}, index=df.index, copy=False)  # fresh columns: no copy


def _convert_other(df: pd.DataFrame, specs: dict[str, ColumnSpec], cfg: SourceConfig,
                   col: _Collector) -> dict[str, pd.Series]:
    """The columns other than identifiers in their canonical types (see :func:`_convert`)."""
    out: dict[str, pd.Series] = {}
    decimal = cfg.decimal or df.attrs.get("decimal", ".")
    dates = _parse_dates(df, specs, cfg, col)
    for name in df.columns:
        spec = specs[name]
        s = df[name]
        if spec.kind == "id":
            continue
        if spec.kind in ("number", "likert"):
            out[name] = _numbers(s, spec, decimal, col)
        elif spec.kind in ("datetime", "date"):
            values, reject = _date_column(name, s, dates[name], cfg, col)
            out[name] = values
            if reject is not None:
                out["_reject_" + name] = reject
        elif spec.kind == "bool":
            out[name] = _bools(s, spec, col)
        elif spec.kind == "freetext":
            text = s.astype("string")
            out[name] = privacy.mask_series(text.where(text.str.strip() != ""), col.language)
        else:
            out[name] = _category(s, col)
    return out


def _category(s: pd.Series, col: _Collector) -> pd.Series:
    """A category column as stripped text, blank cells missing and personal data masked.

    Worked out on the distinct values (fast on millions of rows); the column is rebuilt from them
    only when that changed one, else its text stays as read (no copy). A value that runs over
    several lines is no category but lines of the file run together (a stray quote in a CSV): an
    error on those rows (rule ``unreadable_file``), so that none of it reaches a report.
    """
    text = readers.text_chunks(s)
    encoded = pc.dictionary_encode(text).unify_dictionaries()
    if encoded.num_chunks and len(encoded.chunk(0).dictionary):
        dictionary = encoded.chunk(0).dictionary
        if pc.any(pc.match_substring_regex(dictionary, r"[\r\n]")).as_py():
            col.add("unreadable_file", "error",
                    "cel loopt over meerdere regels: in een CSV-bestand is dat bijna altijd een los aanhalingsteken "
                    "(\") dat de volgende regels in deze cel samenvoegt. Zoek het aanhalingsteken in of vlak boven "
                    "die regel en haal het weg, of zet de hele cel tussen aanhalingstekens.",
                    "cell runs over several lines: in a CSV file that is almost always a stray quote (\") that "
                    "merges the next lines into this cell. Find the quote in or just above that line and remove it, "
                    "or quote the whole cell.", str(s.name), s.astype("string").str.contains(r"[\r\n]", na=False))
        clean = readers.text_array(pd.Series(dictionary, dtype="str"))
        masked = pyarrow.array(privacy.mask_series(pd.Series(clean, dtype="str"), col.language),
                               type=dictionary.type, from_pandas=True)
        if not masked.equals(dictionary):
            text = pyarrow.chunked_array([masked.take(chunk.indices) for chunk in encoded.chunks],
                                         type=dictionary.type)
    return pd.Series(pd.array(text, dtype="string"), index=s.index, name=s.name)


def column_key(name: object) -> str:
    """The form in which a header is matched to a canonical column: outer white space gone, lower
    case, runs of spaces, hyphens and underscores as one underscore (``" Ticket ID"`` and
    ``"Ticket-Id"`` are ``ticket_id``, ``"NPS"`` is ``nps``)."""
    return re.sub(r"[\s\-_]+", "_", str(name).strip()).casefold()


def mapping_suggestions(columns: list[str], present: set[str], specs: dict[str, ColumnSpec]) -> dict[str, str]:
    """Header -> canonical column for headers named as exports often name a column the file lacks
    (``Klantnummer`` for ``customer_id``; :func:`klantladder.i18n.export_column_names`), the first
    such header per column. Only suggested, never mapped: the user confirms it in client.yaml."""
    known = {column_key(name): canonical for canonical, names in export_column_names().items() for name in names}
    out: dict[str, str] = {}
    for c in columns:
        canonical = known.get(column_key(c))
        if canonical in specs and canonical not in present and canonical not in out.values():
            out[c] = canonical
    return out


def _mapping_hint(source: str, suggestions: dict[str, str]) -> tuple[str, str]:
    """The suggestions as the ``columns:`` line to put in client.yaml (empty without any)."""
    if not suggestions:
        return "", ""
    line = "{" + ", ".join(f'"{c}": {canonical}' for c, canonical in suggestions.items()) + "}"
    return (f" Herkende kolomnamen: zet onder sources.{source} in client.yaml de regel columns: {line}",
            f" Recognised column names: put the line columns: {line} under sources.{source} in client.yaml")


def _canonical_names(columns: list[str], mapping: dict[str, str], specs: dict[str, ColumnSpec]
                     ) -> dict[str, str]:
    """Header -> canonical column for every header that stands for one: mapped in client.yaml
    (``mapping``, already checked) or named like a canonical column, whatever its case and spacing."""
    out = {}
    for c in columns:
        if c in mapping:
            out[c] = mapping[c]
        elif c in specs:
            out[c] = c
        elif column_key(c) in specs:
            out[c] = column_key(c)
    return out


def _map_columns(df: pd.DataFrame, cfg: SourceConfig, specs: dict[str, ColumnSpec], col: _Collector,
                 list_unused: bool = True) -> pd.DataFrame:
    """The canonical columns of a file: mapped (``sources.<source>.columns``) or matched by name
    (:func:`column_key`); rules ``missing_mapped_column``, ``bad_mapping``, ``duplicate_column`` and
    ``unknown_column``. Columns without a name are left to rule ``unnamed_columns``
    (:func:`_unnamed_columns`); with ``list_unused`` False (the header read is a title, not the
    column names) the other unused headers are not listed either."""
    missing = [c for c in cfg.columns if c not in df.columns]
    if missing:
        col.add("missing_mapped_column", "error",
                f"client.yaml koppelt kolom(men) {missing} maar die staan niet in het bestand. "
                f"Aanwezig: {list(df.columns)[:15]}.",
                f"client.yaml maps column(s) {missing} but the file does not have them. "
                f"Present: {list(df.columns)[:15]}.", ", ".join(missing))
    mapping: dict[str, str] = {}
    for source_name, target in cfg.columns.items():
        if column_key(target) in specs:
            mapping[source_name] = column_key(target)
            continue
        close = difflib.get_close_matches(column_key(target), list(specs), n=1, cutoff=0.6)
        hint_nl = f"Bedoelt u '{close[0]}'?" if close else f"Mogelijk: {', '.join(list(specs)[:12])}, ..."
        hint_en = f"Did you mean '{close[0]}'?" if close else f"Possible: {', '.join(list(specs)[:12])}, ..."
        col.add("bad_mapping", "error",
                f"client.yaml koppelt '{source_name}' aan '{target}', maar '{target}' is geen kolom die "
                f"klantladder kent voor {cfg.name}. {hint_nl}",
                f"client.yaml maps '{source_name}' to '{target}', but '{target}' is not a column klantladder "
                f"knows for {cfg.name}. {hint_en}", f"sources.{cfg.name}.columns")
    columns = [str(c) for c in df.columns]
    names = _canonical_names(columns, mapping, specs)
    headers: dict[str, list[str]] = {}
    for c, canonical in names.items():
        headers.setdefault(canonical, []).append(c)
    for canonical, same in headers.items():
        if len(same) < 2:
            continue
        listed = " en ".join(repr(c) for c in same), " and ".join(repr(c) for c in same)
        mapped = [c for c in same if c in mapping]
        how_nl = f" ({', '.join(repr(c) for c in mapped)} via client.yaml)" if mapped else ""
        how_en = f" ({', '.join(repr(c) for c in mapped)} through client.yaml)" if mapped else ""
        col.add("duplicate_column", "error",
                f"de kolommen {listed[0]} staan allebei voor {canonical}{how_nl}; welke telt, is niet duidelijk. "
                f"Geef in de export één kolom deze naam, of koppel onder sources.{cfg.name}.columns in client.yaml "
                f"de andere aan zijn eigen canonieke naam.",
                f"the columns {listed[1]} both stand for {canonical}{how_en}; which one counts is not clear. "
                f"Give one column this name in the export, or map the other one to its own canonical name under "
                f"sources.{cfg.name}.columns in client.yaml.", canonical)
    plain = []
    for c in columns:
        if c in names or c in cfg.columns or readers.UNNAMED.fullmatch(c) or not list_unused:
            continue
        close = difflib.get_close_matches(column_key(c), list(specs), n=1, cutoff=0.8)
        if not close:
            plain.append(c)
            continue
        col.add("unknown_column", "warning",
                f"onbekende kolom, wordt niet gebruikt. Bedoelt u '{close[0]}'? Hernoem de kolom of koppel hem "
                f"onder sources.{cfg.name}.columns in client.yaml.",
                f"unknown column, not used. Did you mean '{close[0]}'? Rename the column or map it under "
                f"sources.{cfg.name}.columns in client.yaml.", privacy.mask_text(str(c)))
    if plain:
        # A header cell can hold anything (a title row read as the header: a name, a phone number): masked.
        shown = ", ".join(repr(privacy.mask_text(str(c))) for c in plain[:12]) \
            + (f" (+{len(plain) - 12})" if len(plain) > 12 else "")
        required_missing = any(c not in names.values() for c in REQUIRED[cfg.name])  # then the error says it
        hint = ("", "") if required_missing else _mapping_hint(cfg.name, mapping_suggestions(plain, set(names.values()),
                                                                                              specs))
        col.add("unknown_column", "warning",
                f"{len(plain)} kolom(men) niet gebruikt: {shown}. Koppel een kolom onder sources.{cfg.name}.columns "
                f"in client.yaml als hij moet meetellen.{hint[0]}",
                f"{len(plain)} column(s) not used: {shown}. Map a column under sources.{cfg.name}.columns in "
                f"client.yaml if it should count.{hint[1]}")
    first = {}
    for position, c in enumerate(columns):
        if c in names and names[c] not in first:
            first[names[c]] = position
    out = df.iloc[:, list(first.values())]
    out.columns = list(first)
    return out


#: The column names are looked for in this many rows below a header with unnamed columns.
HEADER_SEARCH_ROWS = 20


def _header_below(raw: pd.DataFrame, cfg: SourceConfig, specs: dict[str, ColumnSpec]) -> tuple[int, list[str]] | None:
    """Where the column names seem to be when the header read is not theirs: the place (0-based,
    in ``raw``) of the first of the first :data:`HEADER_SEARCH_ROWS` rows holding at least two names
    of canonical or mapped columns, and those names; None when no row does."""
    known = set(specs) | {column_key(c) for c in cfg.columns}
    for place in range(min(len(raw), HEADER_SEARCH_ROWS)):
        names = [v.strip() for v in raw.iloc[place] if isinstance(v, str) and column_key(v) in known]
        if len(names) >= 2:
            return place, names
    return None


def _unnamed_columns(raw: pd.DataFrame, cfg: SourceConfig, specs: dict[str, ColumnSpec], col: _Collector,
                     attrs: dict) -> int | None:
    """Rule ``unnamed_columns``: columns holding data under an empty header cell, named by their
    letter (``column B``), the header row and the sheet. When the column names turn up in a row
    below (a title or cover row above them was read as the header), the message says which row and
    to remove the rows above it; that row (as a spreadsheet numbers it) is returned, else None."""
    unnamed = [int(m.group(1)) for c in raw.columns if (m := readers.UNNAMED.fullmatch(str(c)))]
    if not unnamed:
        return None
    from openpyxl.utils import get_column_letter

    letters = [get_column_letter(i + 1) for i in unnamed]  # pandas counts from 0, a spreadsheet from A = 1
    shown = ", ".join(letters[:8]) + (", ..." if len(letters) > 8 else "")
    header_row = int(attrs.get("header_row", 1))
    sheet = attrs.get("sheet")
    where_nl = f"rij {header_row}" + (f" van werkblad '{sheet}'" if sheet else "")
    where_en = f"row {header_row}" + (f" of sheet '{sheet}'" if sheet else "")
    below = _header_below(raw, cfg, specs)
    if below is None:
        col.add("unnamed_columns", "warning",
                f"kolom(men) {shown} hebben geen naam in de kop ({where_nl}) en worden niet gebruikt. Zet de "
                f"kolomnamen in rij 1 (haal titelrijen erboven weg) of geef deze kolommen een naam, en koppel ze "
                f"onder sources.{cfg.name}.columns in client.yaml als ze moeten meetellen.",
                f"column(s) {shown} have no name in the header ({where_en}) and are not used. Put the column "
                f"names in row 1 (remove any title rows above them) or give these columns a name, and map them "
                f"under sources.{cfg.name}.columns in client.yaml if they should count.")
        return None
    place, names = below
    row = int(col.rows.iloc[place])
    quoted = ", ".join(repr(n) for n in names[:4]) + (", ..." if len(names) > 4 else "")
    col.add("unnamed_columns", "warning",
            f"de kop ({where_nl}) lijkt een titel, geen rij kolomnamen: kolom(men) {shown} hebben daar geen naam. "
            f"De kolomnamen staan in rij {row} ({quoted}). Haal de rij(en) boven de kolomnamen weg, zodat de "
            f"kolomnamen in rij 1 staan, en probeer opnieuw.",
            f"the header ({where_en}) looks like a title, not a row of column names: column(s) {shown} have no "
            f"name there. The column names are in row {row} ({quoted}). Remove the row(s) above the column names, "
            f"so that they are in row 1, and try again.",
            mask=pd.Series(np.arange(len(raw)) == place, index=raw.index))
    return row


def _strictly_increasing(text: pyarrow.Array | pyarrow.ChunkedArray) -> bool:
    """Whether the texts present (nulls left out) are in strictly increasing order."""
    present = text.drop_null() if text.null_count else text
    if len(present) < 2:
        return True
    return bool(pc.all(pc.less(present.slice(0, len(present) - 1), present.slice(1))).as_py())


def _repeated_ids(ids: IdHashes, rows: np.ndarray | None) -> np.ndarray:
    """Positions (into ``rows``) of the rows whose identifier already occurred in an earlier row.

    ``rows`` are the file positions of the rows still in play (None: all). Checked on the keyed
    hashes (a sort of 64-bit integers, fast on millions of rows); where hashes repeat, the ids'
    texts decide, so only equal ids count. Missing ids never count. Ids listed in strictly
    increasing order (as exports often list them) cannot repeat: that is one comparison of
    neighbouring texts, no sort.
    """
    if rows is None:
        if _strictly_increasing(ids.text):
            return np.zeros(0, dtype=np.int64)
        rows = np.arange(ids.hashes.size)
    whole = rows.size == ids.hashes.size  # no row set aside: rows are 0..n-1
    hashes = ids.hashes if whole else ids.hashes[rows]
    missing = ids.missing if whole else ids.missing[rows]
    present = np.flatnonzero(~missing) if missing.any() else None
    ordered = np.sort(hashes if present is None else hashes[present])
    same = ordered[1:] == ordered[:-1]
    if not same.any():
        return np.zeros(0, dtype=np.int64)
    if present is None:
        present = np.arange(hashes.size)
    candidates = present[np.isin(hashes[present], ordered[1:][same])]
    texts = ids.text.take(pyarrow.array(rows[candidates])).to_pandas()
    return candidates[texts.duplicated(keep="first").to_numpy(dtype=bool)]


def _within_waves(ids: IdHashes, wave: pd.Series) -> IdHashes:
    """``ids`` made distinct per wave (``wave``: the rows still in play, indexed by file
    position): the same respondent in two waves of a panel is no repeat, twice in one wave is."""
    n = ids.hashes.size
    codes = np.full(n, -1, dtype=np.int64)
    codes[wave.index.to_numpy()] = pd.factorize(wave, use_na_sentinel=True)[0]
    # Mixing the wave into the hash keeps ids of different waves apart; the texts, which decide
    # among equal hashes, carry the wave too, so the result is exact.
    mixed = ids.hashes ^ ((codes + 1).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15))
    labels = pyarrow.array(codes.astype(str), type=ids.text.type)
    text = pc.binary_join_element_wise(ids.text, labels, pyarrow.scalar("\x1f", type=ids.text.type))
    return IdHashes(text, mixed, ids.missing)


def _duplicate_ids(df: pd.DataFrame, source: str, col: _Collector, reject: pd.Series) -> pd.Series:
    """Rule ``duplicate_id``: repeats of an identifier that must be unique are set aside (the
    first row counts). Returns ``reject`` with them added."""
    for name in UNIQUE_IDS.get(source, ()):
        if name not in df or name not in col.id_hashes:
            continue
        ids, rows = col.id_hashes[name], df.index.to_numpy()
        waves = source in SURVEYS and "wave" in df and df["wave"].nunique() > 1
        if waves:  # a panel answers every wave: an id repeats only within a wave
            ids = _within_waves(ids, df["wave"])
        if not waves and ids.repeats is not None and (ids.repeats.size == 0 or rows.size == ids.hashes.size):
            repeats = ids.repeats  # none among all rows, or no row set aside since
        else:
            repeats = _repeated_ids(ids, rows)
        if repeats.size == 0:
            continue
        mask = pd.Series(False, index=df.index)
        mask.iloc[repeats] = True
        if _level(mask, df[name].notna()) == "error":  # most rows repeat an id: the ids themselves are wrong
            col.add("duplicate_id", "error",
                    "de meeste rijen herhalen een identificatie van een eerdere rij. Waarschijnlijk zijn de "
                    "nummers ingekort (Excel toont lange nummers als 4,71928E+18: exporteer de kolom als tekst) "
                    "of staat er overal dezelfde waarde (zoals 'anoniem': laat de kolom dan weg).",
                    "most rows repeat the identifier of an earlier row. The numbers were probably shortened "
                    "(Excel shows long numbers as 4.71928E+18: export the column as text) or every row holds the "
                    "same value (such as 'anonymous': then leave the column out).", name, mask & ~reject)
            continue
        col.add("duplicate_id", "warning",
                "dubbele identificatie; de eerste rij telt, de herhalingen zijn apart gezet. "
                "Controleer of het bestand twee keer is geëxporteerd.",
                "duplicated identifier; the first row counts, repeats were set aside. "
                "Check whether the file was exported twice.", name, mask & ~reject, reject=True)
        reject = reject | mask
    return reject


def _time_order(df: pd.DataFrame, source: str, earlier: str, later: str, col: _Collector,
                reject: pd.Series) -> pd.Series:
    """Rule ``time_order``: rows whose ``later`` time precedes their ``earlier`` one are set aside
    (an error when they are most of the rows with both: the columns are likely swapped). Returns
    the rows broken."""
    both = df[later].notna() & df[earlier].notna()
    mask = both & (df[later] < df[earlier])
    level = _level(mask, both)
    if source == "customers":
        if level == "error":
            fix_nl = (f"Dat geldt voor de meeste rijen met beide datums: de kolommen {earlier} en {later} zijn "
                      f"vermoedelijk verwisseld. Wissel ze in het bestand of koppel ze juist onder "
                      f"sources.customers.columns in client.yaml.")
            fix_en = (f"Most rows with both dates have it: the columns {earlier} and {later} are probably swapped. "
                      f"Swap them in the file or map them correctly under sources.customers.columns in client.yaml.")
        else:
            fix_nl = (f"Deze klanten zijn apart gezet en tellen niet mee in retentie en churn. Controleer de datums "
                      f"en of {earlier} en {later} niet verwisseld zijn.")
            fix_en = (f"These customers were set aside and do not count in retention and churn. Check the dates "
                      f"and that {earlier} and {later} are not swapped.")
        col.add("time_order", level,
                f"{later} ligt vóór {earlier}: een klant kan niet vertrekken voordat hij klant werd. {fix_nl}",
                f"{later} is before {earlier}: a customer cannot leave before becoming one. {fix_en}",
                later, mask & ~reject, reject=True,
                reason=(f"{later} ligt vóór {earlier}", f"{later} is before {earlier}"))
    else:
        col.add("time_order", level,
                f"{later} ligt vóór {earlier}; deze rijen zijn apart gezet. Controleer tijdzones en of de "
                "kolommen in client.yaml niet verwisseld zijn.",
                f"{later} is before {earlier}; these rows were set aside. Check time zones and that the columns "
                "are not swapped in client.yaml.", later, mask & ~reject, reject=True)
    return mask


def _schema_findings(df: pd.DataFrame, source: str, model: Model, col: _Collector) -> pd.DataFrame:
    """Run the pandera schema and the uniqueness check of the ids; blank cells off the scale, set
    aside duplicate and disordered rows."""
    schema = build_schema(source, list(df.columns), model)
    try:
        schema.validate(df, lazy=True, inplace=True)  # checks only (no coercion): no copy of the frame
        cases = None
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    specs = source_columns(source, model)
    reject = pd.Series(False, index=df.index)
    if cases is not None:
        frame_level = cases["schema_context"].astype(str).eq("DataFrameSchema")
        for check in pd.unique(cases.loc[frame_level, "check"].astype(str)):
            if not check.startswith("time_order"):
                raise RuntimeError(f"unexpected schema check {check}")
            earlier = TIME_ORDER[source][0]
            later = check.split(":", 1)[1] if ":" in check else TIME_ORDER[source][1][-1]
            reject |= _time_order(df, source, earlier, later, col, reject)
        cases = cases[~frame_level]
    reject = _duplicate_ids(df, source, col, reject)
    groups = cases.groupby(["column", "check"], dropna=False, sort=False) if cases is not None else ()
    off_scale: dict[str, float] = {}  # item column -> its largest value off the answer scale
    for (column, check), group in groups:
        if column not in specs:
            continue
        index = pd.Index(group["index"].dropna().astype(int).unique())
        mask = pd.Series(df.index.isin(index), index=df.index)
        spec = specs[str(column)]
        present = df[column].notna()
        if "not_whole" in str(check):
            what_nl, what_en = "geen heel getal op een antwoordschaal", "not a whole number on an answer scale"
            rule = "not_whole"
        else:
            what_nl = f"buiten de schaal {spec.low:g}–{spec.high:g}"
            what_en = f"outside the scale {spec.low:g}–{spec.high:g}"
            rule = "out_of_scale"
        shown = [f"{v:g}" for v in df.loc[mask, column].drop_duplicates().head(3)]
        ex, ex_nl = ", ".join(shown), "; ".join(v.replace(".", ",") for v in shown)  # Dutch: 3,5; 4,5
        if rule == "out_of_scale" and spec.kind == "likert" and str(column) not in _OWN_SCALES:
            off_scale[str(column)] = float(df.loc[mask, column].max())
        level = _level(mask, present)
        then = _what_happens(level)
        col.add(rule, level, f"waarde {what_nl} ({ex_nl}). Gebruikt het bestand een andere schaal? {then[0]}",
                f"value {what_en} ({ex}). Does the file use another scale? {then[1]}", str(column), mask)
        df[column] = df[column].where(~mask)
    _other_scale(df, specs, off_scale, col)
    return df[~reject.to_numpy()] if reject.any() else df


_OWN_SCALES = ("nps", "csat", "ces")  # answer columns with a scale of their own, not the model's items


def _other_scale(df: pd.DataFrame, specs: dict[str, ColumnSpec], off_scale: dict[str, float],
                 col: _Collector) -> None:
    """Rule ``other_scale``: answers off the model's scale in at least half of a survey's item
    columns. Each column alone may be a warning (a few cells), but together they say the survey
    used another scale (1–7, 1–10): scored on 1–5 with the high answers blanked, every dimension
    would come out wrong."""
    items = [c for c in df.columns if c in specs and specs[c].kind == "likert" and c not in _OWN_SCALES]
    if len(items) < 2 or len(off_scale) * 2 < len(items):
        return
    spec = specs[next(iter(off_scale))]
    top = max(off_scale.values())
    col.add("other_scale", "error",
            f"{len(off_scale)} van de {len(items)} antwoordkolommen hebben antwoorden buiten de schaal "
            f"{spec.low:g}–{spec.high:g} (tot {top:g}): de enquête gebruikt vermoedelijk een andere schaal. Zet de "
            f"antwoorden om naar {spec.low:g}–{spec.high:g} vóór het exporteren, of gebruik een model met deze schaal "
            "(model: in client.yaml).",
            f"{len(off_scale)} of the {len(items)} answer columns have answers outside the scale "
            f"{spec.low:g}–{spec.high:g} (up to {top:g}): the survey probably used another scale. Convert the answers "
            f"to {spec.low:g}–{spec.high:g} before exporting, or use a model with this scale (model: in client.yaml).",
            ", ".join(sorted(off_scale)[:5]))


def _ticket_rules(df: pd.DataFrame, col: _Collector, reference: dt.date | None = None) -> pd.DataFrame:
    """Plausibility of ticket times: durations of years, timestamps in the future, open tickets."""
    times = [c for c in ("created_at", "first_response_at", "resolved_at") if c in df]
    limit = (pd.Timestamp(reference, tz="UTC") + pd.Timedelta(days=1, hours=14) if reference is not None
             else pd.Timestamp.now(tz="UTC") + pd.Timedelta(days=1))
    when_nl = f"na de peildatum {reference}" if reference is not None else "in de toekomst"
    when_en = f"after the reference date {reference}" if reference is not None else "in the future"
    for c in times:
        col.add("future_timestamp", "warning",
                f"tijdstip {when_nl}; de rij telt mee. Controleer de datums (jaartal, dag en maand verwisseld?)"
                + (" of de reference_date in client.yaml." if reference is not None else "."),
                f"timestamp {when_en}; the row counts. Check the dates (year, day and month swapped?)"
                + (" or the reference_date in client.yaml." if reference is not None else "."),
                c, df[c] > limit)
    for later in ("first_response_at", "resolved_at"):
        if later not in df:
            continue
        hours = kpis.hours_between(df[later], df["created_at"])
        with np.errstate(invalid="ignore"):
            wrong = hours > IMPLAUSIBLE_HOURS
        col.add("implausible_duration", "warning",
                f"{later} ligt meer dan vijf jaar na created_at: vrijwel zeker een verkeerd jaartal. Deze rijen zijn "
                "apart gezet; controleer de datums.",
                f"{later} is more than five years after created_at: almost certainly a wrong year. These rows were "
                "set aside; check the dates.", later, pd.Series(wrong, index=df.index), reject=True)
        if wrong.any():
            df, hours = df[~wrong], hours[~wrong]
        with np.errstate(invalid="ignore"):
            long = hours > PLAUSIBLE_HOURS
        col.add("long_duration", "warning",
                f"{later} ligt meer dan een jaar na created_at. De rijen tellen mee (lange zaken bestaan); "
                "controleer of de datums kloppen.",
                f"{later} is more than a year after created_at. The rows count (long cases exist); check that the "
                "dates are right.", later, pd.Series(long, index=df.index))
    if "resolved_at" in df:
        open_ = df["resolved_at"].isna()
        col.add("unresolved_ticket", "warning",
                "nog niet afgesloten; telt mee als niet opgelost en niet in de oplostijd.",
                "not closed yet; counts as unresolved and not in the resolution time.", "resolved_at", open_)
    return df


def _missing_rows(df: pd.DataFrame, column: str, col: _Collector) -> pd.DataFrame:
    """Set aside rows whose required ``column`` is empty (rule ``missing_id`` / ``missing_created_at``)."""
    if column not in df:
        return df
    empty = df[column].isna()
    rule = "missing_created_at" if column == "created_at" else "missing_id"
    level = _level(empty, pd.Series(True, index=df.index))
    then = _what_happens(level, "Apart gezet. Vul de kolom in of controleer de koppeling in client.yaml.",
                         "Set aside. Fill in the column or check the mapping in client.yaml.")
    col.add(rule, level, f"rij zonder {column}. {then[0]}", f"row without {column}. {then[1]}",
            column, empty, reject=True)
    return df[~empty.to_numpy()] if empty.any() else df


def _survey_rules(df: pd.DataFrame, specs: dict[str, ColumnSpec], col: _Collector,
                  min_respondents: int) -> pd.DataFrame | None:
    """Rows without any answer are set aside; a survey with fewer than ``min_respondents`` is left out."""
    answers = [c for c in df.columns if specs.get(c) is not None and specs[c].kind == "likert"]
    if not answers:
        return df
    empty = pd.Series(np.logical_and.reduce([df[c].isna().to_numpy() for c in answers]), index=df.index)
    col.add("no_answers", "warning",
            "rij zonder een enkel antwoord (een afgebroken of lege respons); apart gezet.",
            "row without a single answer (an abandoned or empty response); set aside.", None, empty, reject=True)
    if empty.any():
        df = df[~empty.to_numpy()]
    if len(df) < min_respondents:
        col.add("too_few_respondents", "warning",
                f"maar {len(df)} respondent(en) met antwoorden; minder dan {min_respondents}. Deze enquête telt niet "
                "mee: de scores zouden de antwoorden van herkenbare personen tonen en zijn statistisch zonder "
                "waarde. Verzamel meer antwoorden.",
                f"only {len(df)} respondent(s) with answers; fewer than {min_respondents}. This survey does not "
                "count: its scores would show the answers of identifiable people and carry no statistical weight. "
                "Collect more responses.", None, pd.Series(True, index=df.index), reject=True)
        if len(df) == 0:  # nothing to list: still say so
            col.findings.append(Finding("too_few_respondents", "warning", col.file, {
                "nl": "geen respondent met antwoorden; deze enquête telt niet mee.",
                "en": "no respondent with answers; this survey does not count."}))
        return None
    return df


def _blank(s: pd.Series) -> pd.Series:
    """Cells that are empty, white space or a technical missing marker (NA, NULL, #N/A)."""
    if not (pd.api.types.is_object_dtype(s.dtype) or pd.api.types.is_string_dtype(s.dtype)):
        return s.isna()
    text = s.astype("string").str.strip()
    return (text.isna() | text.eq("") | text.str.upper().isin(readers.MISSING_MARKERS)).fillna(True).astype(bool)


def _all_blank(s: pd.Series) -> bool:
    """True if no cell of ``s`` has a value (checked on a few filled cells first: fast)."""
    filled = s.dropna()
    if filled.empty:
        return True
    if not _blank(filled.head(100)).all():
        return False
    return bool(_blank(filled).all())


def _missing_labels(raw: pd.DataFrame) -> pd.DataFrame:
    """SPSS value labels that mean 'no answer' (9 = "Weet niet") make those codes missing."""
    labels = raw.attrs.get("value_labels") or {}
    for column, lab in labels.items():
        if column not in raw.columns or not pd.api.types.is_numeric_dtype(raw[column].dtype):
            continue
        codes = [float(k) for k, v in lab.items() if presets.is_missing_text(v)]
        if codes:
            raw[column] = raw[column].where(~raw[column].isin(codes))
    return raw


def _header_rows(cfg: SourceConfig) -> int:
    """Rows after the header to drop: the source's own setting, or its survey tool's."""
    if cfg.preset:
        return max(cfg.header_rows, presets.preset_read_options(cfg.preset).get("header_rows", 0))
    return cfg.header_rows


def _read_file(cfg: SourceConfig) -> pd.DataFrame:
    """A source's file as :func:`klantladder.readers.read_table` gives it."""
    return readers.read_table(cfg.path, fmt=cfg.format, sheet=cfg.sheet, encoding=cfg.encoding, sep=cfg.sep,
                              decimal=cfg.decimal, header_rows=_header_rows(cfg))


def read_source(cfg: SourceConfig, model: Model, key: bytes, *, reference: dt.date | None = None,
                min_respondents: int = 5, raw: pd.DataFrame | None = None, language: str = "nl"
                ) -> tuple[pd.DataFrame | None, _Collector, int]:
    """Read, map, convert and validate one source. Returns (frame or None, findings, rows read).

    ``reference`` is the client's reference date (timestamps after it are flagged);
    a survey with fewer than ``min_respondents`` respondents is left out (frame None).
    ``raw``: the file as already read (:func:`_read_file`). Free text and categories are masked
    with the placeholders of ``language`` (the report's).
    """
    file = f"{cfg.path.parent.name}/{cfg.path.name}"
    header_rows = _header_rows(cfg)
    if raw is None:
        raw = _read_file(cfg)
    if cfg.preset:
        raw = presets.apply_preset(raw, cfg.preset)
    attrs = dict(raw.attrs)
    reader_findings = [replace(f, file=file) for f in list(attrs.pop("findings", []) or [])]
    # The reader's index is each row's place below the header (empty rows left out): its row in a spreadsheet.
    place = raw.index.to_numpy() if pd.api.types.is_integer_dtype(raw.index) else np.arange(len(raw))
    raw = _missing_labels(raw.reset_index(drop=True))
    rows = pd.Series(place + 2 + header_rows, index=raw.index)
    col = _Collector(cfg.name, file, rows, language)
    col.findings.extend(reader_findings)
    specs = source_columns(cfg.name, model)
    names_row = _unnamed_columns(raw, cfg, specs, col, attrs)
    df = _map_columns(raw, cfg, specs, col, list_unused=names_row is None)
    df.attrs.update(attrs)
    sheets = readers.sheet_hint(attrs, f"sources.{cfg.name}.sheet") if cfg.sheet is None else ("", "")
    missing = [c for c in REQUIRED[cfg.name] if c not in df.columns]
    split = readers.separator_hint(list(raw.columns), attrs.get("sep"))
    if names_row is not None:  # the reason is the title read as the header: say so, not "map the columns"
        split = (f" De kolomnamen staan in rij {names_row}: zie hierboven.",
                 f" The column names are in row {names_row}: see above.")
    if missing:
        unused = [str(c) for c in raw.columns if str(c) not in cfg.columns]
        hint = _mapping_hint(cfg.name, mapping_suggestions(unused, set(df.columns), specs))
        col.add("missing_column", "error",
                f"verplichte kolom ontbreekt: {missing}. Voeg hem toe of koppel de eigen kolomnaam onder "
                f"sources.{cfg.name}.columns in client.yaml.{hint[0]}{sheets[0]}{split[0]}",
                f"required column missing: {missing}. Add it or map your own column name under "
                f"sources.{cfg.name}.columns in client.yaml.{hint[1]}{sheets[1]}{split[1]}", ", ".join(missing))
    for c in REQUIRED[cfg.name]:
        if c in df.columns and _all_blank(df[c]):
            col.add("empty_column", "error",
                    "verplichte kolom is helemaal leeg. Controleer de export en de koppeling in client.yaml.",
                    "required column is completely empty. Check the export and the mapping in client.yaml.", c)
    if cfg.name.endswith("survey"):
        usable = [c for c in df.columns if specs[c].kind == "likert"]
        if not usable:
            col.add("no_answer_columns", "error",
                    "geen enkele antwoordkolom gevonden (zoals nps, csat of service_1). Koppel de kolommen "
                    f"in client.yaml.{sheets[0]}{split[0]}",
                    "no answer column found (such as nps, csat or service_1). Map the columns in client.yaml."
                    f"{sheets[1]}{split[1]}")
    if any(f.level == "error" for f in col.findings):
        return None, col, len(raw)
    df = _convert(df, specs, cfg, key, col)
    if any(f.level == "error" for f in col.findings):  # e.g. no created_at could be read: that is the message
        return None, col, len(raw)
    named = {f.column for f in col.findings}  # a column whose cells could not be read is not "empty"
    empty = [c for c in df.columns if not c.startswith("_reject_") and c not in REQUIRED[cfg.name]
             and df[c].isna().all()]
    for c in empty:
        if c not in named and not (cfg.name == "customers" and c == "end_date"):  # that is rule no_end_dates
            col.add("empty_column", "warning", "kolom is helemaal leeg en telt niet mee.",
                    "column is completely empty and does not count.", c)
    reject_cols = [c for c in df.columns if c.startswith("_reject_")]
    if reject_cols:
        bad = df[reject_cols].any(axis=1).to_numpy()
        df = df[[c for c in df.columns if c not in reject_cols]]
        if bad.any():
            df = df[~bad]
    if empty and len(df):
        # It does not count: left out, so that nothing is computed from it (an empty resolved_at would
        # otherwise make every ticket open) and the client scores as if the column were not there.
        df = df.drop(columns=empty)
    if cfg.name == "tickets":
        df = _missing_rows(df, "ticket_id", col)
        df = _missing_rows(df, "created_at", col)
    elif cfg.name == "customers":
        df = _missing_rows(df, "customer_id", col)
        if "start_date" in df and "end_date" not in df:  # nobody can be seen to leave
            col.add("no_end_dates", "warning",
                    "geen einddatums (kolom end_date ontbreekt of is leeg): wie vertrok is niet te zien, dus "
                    "retentie en churn worden niet gerapporteerd (ze zouden 100% en 0% lijken). Exporteer ook de "
                    "einddatum van vertrokken klanten (leeg voor huidige klanten), of koppel die kolom onder "
                    "sources.customers.columns in client.yaml.",
                    "no end dates (column end_date missing or empty): who left cannot be seen, so retention and "
                    "churn are not reported (they would look like 100% and 0%). Export the end date of customers "
                    "who left as well (empty for current customers), or map that column under "
                    "sources.customers.columns in client.yaml.", "end_date")
    df = _schema_findings(df, cfg.name, model, col)
    if cfg.name == "tickets" and "created_at" in df:
        df = _ticket_rules(df, col, reference)
    if cfg.name.endswith("survey"):
        kept = _survey_rules(df, specs, col, min_respondents)
        if kept is None:
            return None, col, len(raw)
        df = kept
    df = df.copy(deep=False)
    df.insert(0, "_row", rows.to_numpy()[df.index.to_numpy()])
    return df.reset_index(drop=True), col, len(raw)


#: Sources converted and validated side by side: much of the work (hashing, sorting, Arrow
#: kernels) runs outside the interpreter lock, so two cores take a large client in about the time
#: of its largest file.
READ_THREADS = 2
#: ... from this many rows in all the client's files (and the tickets scored alongside the surveys,
#: :func:`klantladder.assess.assess`). Below it the threads only contend for the interpreter lock:
#: a demo client converted in two threads took 25% longer than in one, a client of 120,000 rows
#: 10% longer; from 600,000 rows two threads win.
THREADS_FROM_ROWS = 400_000


#: Called with the client's configuration, its model and the frames of every source but the
#: tickets, as soon as those are read and while the tickets still are (see :func:`read_client`).
BeforeTickets = Callable[[ClientConfig, Model, dict[str, pd.DataFrame]], None]


def _read_sources(config: ClientConfig, model: Model, key: bytes, before_tickets: BeforeTickets | None = None
                  ) -> dict[str, tuple[pd.DataFrame | None, _Collector, int] | InputError]:
    """:func:`read_source` for every source with a file, in :data:`SOURCES` order (the order of
    the findings); a source that cannot be read gives its :class:`InputError`.

    The files are read first, one after the other (the readers use every core themselves), and
    then converted and validated in up to :data:`READ_THREADS` threads, largest file first, when
    they hold :data:`THREADS_FROM_ROWS` rows or more (else in this thread).
    ``before_tickets`` runs on the calling thread once the other sources are done, if the
    tickets are read in a thread of their own.
    """
    names = [n for n in SOURCES if config.sources[n].path is not None]
    raws: dict[str, pd.DataFrame | InputError] = {}
    for name in names:
        try:
            raws[name] = _read_file(config.sources[name])
        except InputError as exc:
            raws[name] = exc

    def one(name: str) -> tuple[pd.DataFrame | None, _Collector, int] | InputError:
        raw = raws.pop(name)
        if isinstance(raw, InputError):
            return raw
        try:
            return read_source(config.sources[name], model, key, reference=config.reference_date,
                               min_respondents=model.group_minimum(config.min_group_size), raw=raw,
                               language=config.language)
        except InputError as exc:
            return exc

    rows = sum(len(raw) for raw in raws.values() if not isinstance(raw, InputError))
    threads = min(READ_THREADS, len(names), os.cpu_count() or 1) if rows >= THREADS_FROM_ROWS else 1
    if threads <= 1:
        return {name: one(name) for name in names}
    largest_first = sorted(names, key=lambda n: -_file_size(config.sources[n].path))
    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = {name: pool.submit(one, name) for name in largest_first}
        if before_tickets is not None and "tickets" in futures and largest_first[0] == "tickets":
            others = {name: futures[name].result() for name in names if name != "tickets"}
            before_tickets(config, model, {name: r[0] for name, r in others.items()
                                           if not isinstance(r, InputError) and r[0] is not None})
        return {name: futures[name].result() for name in names}


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _no_input_files(folder: Path) -> Finding:
    """Rule ``no_sources`` for a folder without a single input file: what is there and what was expected."""
    present = [p.name for p in present_files(folder)]
    shown = ", ".join(present[:12]) + (f" (+{len(present) - 12})" if len(present) > 12 else "")
    there_nl = f"In de map staan: {shown}." if present else "De map bevat geen bestanden (behalve client.yaml)."
    there_en = f"The folder holds: {shown}." if present else "The folder holds no files (apart from client.yaml)."
    expected_nl, expected_en = expected_names()
    if (folder / "templates").is_dir():  # made by 'klantladder init': its templates are there already
        template_nl = ("of vul een sjabloon uit de map templates/ in en zet het naast client.yaml (een sjabloon in "
                       "templates/ telt zelf niet mee)")
        template_en = ("or fill in a template from the templates/ folder and put it beside client.yaml (a template "
                       "inside templates/ does not count itself)")
    else:
        template_nl, template_en = "of maak een sjabloon met 'klantladder init'", "or make a template with 'klantladder init'"
    return Finding("no_sources", "error", folder.resolve().name, {
        "nl": f"geen invoerbestanden gevonden. Verwacht: {expected_nl}. {there_nl} Hernoem een export naar de "
              f"verwachte naam, kies hem met sources.<bron>.file in client.yaml, {template_nl}.",
        "en": f"no input files found. Expected: {expected_en}. {there_en} Rename an export to the expected name, "
              f"choose it with sources.<source>.file in client.yaml, {template_en}."})


def read_client(folder: str | Path, model: Model | None = None, key: bytes | None = None, *,
                before_tickets: BeforeTickets | None = None) -> ClientData:
    """Read and validate every source of a client folder.

    Returns :class:`ClientData` with warnings attached; raises :class:`InputError` carrying every
    finding when any rule at level ``error`` fired or no source exists at all.
    ``before_tickets`` (:data:`BeforeTickets`) gets the other sources' frames while the tickets,
    the largest file, are still being converted: work on them can start early. It is not called
    when there are no tickets or they are read alongside nothing; its frames are those the
    returned :class:`ClientData` holds, unless the input turns out unusable (then this raises) or
    the surveys' ``wave`` column holds several waves (then rows may still be set aside, see
    :func:`_wave_rules`).
    """
    config = load_client_config(folder)
    if model is None:
        model = load_model(config.model)
    model = _client_model(config, model)
    key = key if key is not None else privacy.load_or_create_key()
    frames: dict[str, pd.DataFrame] = {}
    findings: list[Finding] = list(config.findings)
    rejects: list[pd.DataFrame] = []
    rows_read: dict[str, int] = {}
    folder_name = config.folder.resolve().name
    for name, result in _read_sources(config, model, key, before_tickets).items():
        cfg = config.sources[name]
        if isinstance(result, InputError):
            short = f"{cfg.path.parent.name}/{cfg.path.name}"
            found = result.findings or [Finding("unreadable_file", "error", short, result.messages)]
            findings.extend(replace(f, file={cfg.path.name: short, "client.yaml": f"{folder_name}/client.yaml"}
                                    .get(f.file, f.file)) for f in found)
            continue
        frame, col, n = result
        findings.extend(col.findings)
        rejects.extend(col.rejected)
        rows_read[name] = n
        if frame is not None:
            frames[name] = frame
    _wave_rules(config, frames, findings, rejects, model.group_minimum(config.min_group_size))
    findings.extend(reference_findings(config, frames, folder_name))
    if not rows_read and not any(f.level == "error" for f in findings):
        findings.append(_no_input_files(config.folder))
    elif rows_read and not frames and not any(f.level == "error" for f in findings):
        findings.append(Finding("no_sources", "error", folder_name, {
            "nl": "na de controles is geen enkele bron bruikbaar (zie de waarschuwingen hierboven); er valt niets "
                  "te scoren.",
            "en": "after the checks no source is usable (see the warnings above); there is nothing to score."}))
    findings += _invited_findings(config, frames)
    findings = [_localised_finding(f) for f in findings]
    errors = [f for f in findings if f.level == "error"]
    if errors:
        raise InputError({"nl": f"De invoer van {config.folder.name} kan niet worden gescoord.",
                          "en": f"The input of {config.folder.name} cannot be scored."}, findings)
    reject_frame = (pd.concat(rejects, ignore_index=True).drop_duplicates(["source", "row"], ignore_index=True)
                    if rejects else pd.DataFrame(columns=list(REJECT_COLUMNS)))
    for lang in ("nl", "en"):  # each reason's masked values in its own language, as the findings'
        reason = f"reason_{lang}"
        reject_frame[reason] = privacy.localise_mask_frame(reject_frame[[reason]], lang)[reason]
    return ClientData(config, model, frames, findings, reject_frame, rows_read)


def _localised_finding(finding: Finding) -> Finding:
    """``finding`` with each message's masked values in that message's language (a cell quoted
    with ``[telefoon]`` in Dutch reads ``[phone]`` in English)."""
    message = {lang: privacy.localise_masks(text, lang) for lang, text in finding.message.items()}
    return finding if message == finding.message else replace(finding, message=message)


def _client_model(config: ClientConfig, model: Model) -> Model:
    """``model`` with the client's ``kpi_scales``, after checking the client's ``sla`` names against
    the model's; a wrong setting is a ``client_yaml`` error (not a model-file error)."""
    file = f"{config.folder.resolve().name}/client.yaml"
    unknown = [k for k in config.sla if k not in model.sla]
    if unknown:
        known = ", ".join(model.sla)
        hints = [difflib.get_close_matches(k, list(model.sla), n=1, cutoff=0.5) for k in unknown]
        hint = "".join(f" '{k}' → '{h[0]}'?" for k, h in zip(unknown, hints) if h)
        f = Finding("client_yaml", "error", file, {
            "nl": f"onbekend servicedoel {', '.join(unknown)} onder sla; bekend zijn: {known}.{hint}",
            "en": f"unknown service target {', '.join(unknown)} under sla; known: {known}.{hint}"}, column="sla")
        raise InputError({"nl": "client.yaml klopt niet.", "en": "client.yaml is not right."}, [f])
    try:
        return model.with_kpi_scales(config.kpi_scales)
    except ModelError as exc:
        text = {lang: re.sub(r"^(Modelbestand|Model file) ", "", msg) for lang, msg in exc.messages.items()}
        f = Finding("client_yaml", "error", file, text, column="kpi_scales")
        raise InputError({"nl": "client.yaml klopt niet.", "en": "client.yaml is not right."}, [f]) from None


def _invited_findings(config: ClientConfig, frames: dict[str, pd.DataFrame]) -> list[Finding]:
    """Rule ``invited_below_responses``: fewer customers invited than answered the survey (its
    current wave, as :func:`klantladder.assess.split_waves` takes it, where it holds several)."""
    invited, survey = config.customer_survey_invited, frames.get("customer_survey")
    if survey is None or invited is None:
        return []
    n = len(survey)
    waves = survey_waves(frames)
    if "wave" in survey and len(waves) > 1:  # the current wave's respondents were invited
        own = current_wave(config.wave, waves)
        n = int(survey["wave"].astype("string").fillna(own).eq(own).sum())
    if n <= invited:
        return []
    return [Finding("invited_below_responses", "warning", f"{config.folder.resolve().name}/client.yaml", {
        "nl": f"customer_survey_invited is {fmt_number(invited, 'nl')}, minder dan de {fmt_number(n, 'nl')} "
              "respondenten; de respons wordt niet berekend. Vul het aantal uitgenodigde klanten in.",
        "en": f"customer_survey_invited is {fmt_number(invited, 'en')}, fewer than the {fmt_number(n, 'en')} "
              "respondents; the response rate is not computed. Give the number of customers invited."},
        column="customer_survey_invited")]


def _zones(config: ClientConfig) -> dict[str, str]:
    """Each source's time zone (``sources.<source>.timezone``), in which its dates were written."""
    return {name: source.timezone for name, source in config.sources.items()}


def client_reference_date(config: ClientConfig, frames: dict[str, pd.DataFrame],
                          today: dt.date | None = None) -> dt.date | None:
    """The client's reference date: ``reference_date`` from client.yaml, else the latest date on
    which something happened in its data (:func:`klantladder.kpis.reference_date`), each source's
    dates read in its own time zone."""
    return kpis.reference_date(frames, config.reference_date, today, _zones(config))


def _reference_hint(config: ClientConfig) -> tuple[str, str]:
    """Where the reference date came from, and how to set it, in Dutch and English."""
    if config.reference_date is not None:
        return ("De peildatum komt uit reference_date in client.yaml.",
                "The reference date comes from reference_date in client.yaml.")
    return ("De peildatum is de laatste datum waarop iets gebeurde (een ticket aangemaakt, een klant gestart); "
            "zet reference_date in client.yaml als de gegevens een andere datum beschrijven.",
            "The reference date is the latest date on which something happened (a ticket created, a customer "
            "started); set reference_date in client.yaml if the data describe another date.")


def _future_customer_dates(config: ClientConfig, frame: pd.DataFrame, ref: dt.date) -> list[Finding]:
    """Rule ``future_date``: customers' start and end dates more than :data:`FUTURE_DAYS` after the
    reference date (a planned contract end, or a wrong year such as 2062)."""
    source = config.sources["customers"]
    file = f"{source.path.parent.name}/{source.path.name}" if source.path is not None else "customers"
    limit = pd.Timestamp(ref) + pd.Timedelta(days=FUTURE_DAYS)
    hint_nl, hint_en = _reference_hint(config)
    texts = {
        "start_date": (
            f"startdatum meer dan een jaar na de peildatum {ref} ({{ex}}): vrijwel zeker een verkeerd jaartal. Deze "
            f"klanten waren op de peildatum nog geen klant en tellen niet mee in retentie en churn; de peildatum "
            f"schuift er niet door op. Corrigeer het jaartal in de export. {hint_nl}",
            f"start date more than a year after the reference date {ref} ({{ex}}): almost certainly a wrong year. "
            f"These customers were not yet customers on the reference date and do not count in retention and "
            f"churn; the reference date does not move to them. Correct the year in the export. {hint_en}"),
        "end_date": (
            f"einddatum meer dan een jaar na de peildatum {ref} ({{ex}}): een gepland contracteinde of een verkeerd "
            f"jaartal. Deze klanten tellen op de peildatum als klant (niet als vertrokken) en de peildatum schuift er "
            f"niet door op. Is het jaartal fout, corrigeer het dan in de export. {hint_nl}",
            f"end date more than a year after the reference date {ref} ({{ex}}): a planned contract end or a wrong "
            f"year. These customers count as customers on the reference date (not as having left), and the "
            f"reference date does not move to these dates. If the year is wrong, correct it in the export. "
            f"{hint_en}"),
    }
    found = []
    for column, (nl, en) in texts.items():
        if column not in frame:
            continue
        dates = kpis.local_dates(frame[column], source.timezone)
        late = (dates > limit).to_numpy(dtype=bool, na_value=False)
        if not late.any():
            continue
        ex = ", ".join(repr(d) for d in dates[late].dt.strftime("%Y-%m-%d").drop_duplicates().head(3))
        rows = frame["_row"].to_numpy()[late] if "_row" in frame else np.flatnonzero(late) + 2
        found.append(Finding("future_date", "warning", file, {"nl": nl.format(ex=ex), "en": en.format(ex=ex)},
                             column, tuple(int(r) for r in rows[:5]), int(late.sum())))
    return found


def _stale_reference(config: ClientConfig, frames: dict[str, pd.DataFrame], folder_name: str,
                     today: dt.date | None = None) -> list[Finding]:
    """Rule ``reference_after_data``: a ``reference_date`` in client.yaml more than
    :data:`STALE_REFERENCE_DAYS` after the latest event in the data."""
    ref = config.reference_date
    if ref is None:
        return []
    latest = kpis.latest_event_date(frames, today, _zones(config))
    if latest is None or (ref - latest).days <= STALE_REFERENCE_DAYS:
        return []
    days = (ref - latest).days
    return [Finding("reference_after_data", "warning", f"{folder_name}/client.yaml", {
        "nl": f"reference_date {ref} ligt {days} dagen na de laatste datum in de gegevens ({latest}: het laatste "
              f"ticket of de laatste nieuwe klant). Klanten zonder einddatum tellen tot de peildatum als klant en "
              f"open tickets worden steeds ouder, terwijl de gegevens over die periode niets zeggen: de retentie valt "
              f"te hoog en de churn te laag uit. Zet reference_date op de datum van de export ({latest} of kort "
              f"daarna), of laat hem weg.",
        "en": f"reference_date {ref} lies {days} days after the latest date in the data ({latest}: the latest "
              f"ticket or new customer). Customers without an end date count as customers up to the reference date "
              f"and open tickets keep ageing, while the data say nothing about that period: retention comes out too "
              f"high and churn too low. Set reference_date to the date of the export ({latest} or shortly after), "
              f"or leave it out."}, "reference_date")]


def reference_findings(config: ClientConfig, frames: dict[str, pd.DataFrame], folder_name: str,
                       today: dt.date | None = None) -> list[Finding]:
    """Warnings about the reference date and the dates around it (rules ``future_date`` and
    ``reference_after_data``)."""
    found = _stale_reference(config, frames, folder_name, today)
    ref = client_reference_date(config, frames, today)
    if ref is not None and frames.get("customers") is not None:
        found += _future_customer_dates(config, frames["customers"], ref)
    return found

def _wave_rules(config: ClientConfig, frames: dict[str, pd.DataFrame], findings: list[Finding],
                rejects: list[pd.DataFrame], min_n: int) -> None:
    """Rules for surveys whose ``wave`` column holds several waves (one folder, several waves).

    The folder measures its current wave (:func:`klantladder.waves.current_wave`: ``wave`` in
    client.yaml, else the latest); survey rows without a wave belong to it. Rows of a wave *after*
    it are set aside (``wave_after_current``): they are no history of this measurement, and
    scoring them as the current one would contradict client.yaml. A wave with fewer respondents in
    a survey than ``min_n`` (:meth:`klantladder.model.Model.group_minimum`) does not count in that
    survey (``too_few_respondents``), as a whole survey would not: its scores would show
    identifiable answers. Changes ``frames`` in place.
    """
    names = survey_waves(frames)
    if len(names) <= 1:
        return
    own = current_wave(config.wave, names)
    folder_name = config.folder.resolve().name
    if config.wave and config.wave != own:
        findings.append(Finding("wave_not_in_data", "warning", f"{folder_name}/client.yaml", {
            "nl": f"wave '{config.wave}' komt niet voor in de kolom wave van de enquêtes "
                  f"({', '.join(sorted(names, key=wave_sort_key))}); de laatste, '{own}', geldt als deze meting "
                  "(de tickets en het klantenbestand horen erbij). Controleer wave in client.yaml.",
            "en": f"wave '{config.wave}' does not occur in the surveys' wave column "
                  f"({', '.join(sorted(names, key=wave_sort_key))}); the latest, '{own}', is taken as this "
                  "measurement (the tickets and customer base go with it). Check wave in client.yaml."}, "wave"))
    later = {w for w in names if wave_sort_key(w) > wave_sort_key(own)}
    for src in SURVEYS:
        f = frames.get(src)
        if f is None or "wave" not in f:
            continue
        path = config.sources[src].path
        file = f"{path.parent.name}/{path.name}" if path is not None else src
        label = f["wave"].astype("string").fillna(own)
        drop = np.zeros(len(f), dtype=bool)

        def set_aside(rule: str, mask: np.ndarray, nl: str, en: str, src: str = src, file: str = file,
                      lines: np.ndarray = f["_row"].to_numpy()) -> None:
            findings.append(Finding(rule, "warning", file, {"nl": nl, "en": en}, "wave",
                                    tuple(int(r) for r in lines[mask][:5]), int(mask.sum())))
            rejects.append(pd.DataFrame({"source": src, "row": lines[mask], "rule": rule, "column": "wave",
                                         "reason_nl": nl, "reason_en": en}))

        if later:
            mask = label.isin(later).to_numpy(dtype=bool)
            if mask.any():
                waves = ", ".join(sorted({str(w) for w in label[mask]}, key=wave_sort_key))
                set_aside("wave_after_current", mask,
                          f"meting {waves} valt na deze meting ('{own}', wave in client.yaml); deze rijen zijn "
                          "apart gezet en tellen niet mee. Zet wave in client.yaml op de laatste meting, of haal "
                          "deze rijen weg.",
                          f"wave {waves} comes after this measurement ('{own}', wave in client.yaml); these rows "
                          "were set aside and do not count. Set wave in client.yaml to the latest wave, or remove "
                          "these rows.")
                drop |= mask
        for w, n in label[~drop].value_counts(sort=False).items():
            if n < min_n:
                mask = (label == w).to_numpy(dtype=bool) & ~drop
                set_aside("too_few_respondents", mask,
                          f"meting '{w}' heeft maar {n} respondent(en), minder dan {min_n}; die "
                          "rijen tellen niet mee: de scores zouden de antwoorden van herkenbare personen tonen.",
                          f"wave '{w}' has only {n} respondent(s), fewer than {min_n}; those rows "
                          "do not count: their scores would show the answers of identifiable people.")
                drop |= mask
        if drop.any():
            kept = f[~drop].reset_index(drop=True)
            if len(kept):
                frames[src] = kept
            else:
                del frames[src]


def input_hash(folder: str | Path, extra: str = "") -> str:
    """SHA-256 over the client's input files (names and bytes) plus ``extra``; for incremental batches."""
    config = load_client_config(folder)
    h = hashlib.sha256(extra.encode())
    files = [Path(folder) / "client.yaml"] + [s.path for s in config.sources.values() if s.path]
    for p in files:
        if p and p.is_file():
            h.update(p.name.encode())
            with open(p, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
    return h.hexdigest()
