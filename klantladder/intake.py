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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow
import pyarrow.compute as pc

from . import presets, privacy, readers
from .config import SOURCES, ClientConfig, SourceConfig, load_client_config
from .errors import Finding, InputError
from .model import Model, load_model
from .schema import REQUIRED, UNIQUE_IDS, ColumnSpec, build_schema, source_columns
from .waves import SURVEYS, current_wave, survey_waves, wave_sort_key

__all__ = ["ClientData", "read_client", "read_source", "input_hash", "ERROR_SHARE"]

# Above this share of bad cells in one column, a per-cell warning becomes an error for the client:
# the column is more likely mapped or scaled wrongly than occasionally mistyped.
ERROR_SHARE = 0.5
PLAUSIBLE_HOURS = 365 * 24  # longer is flagged (long_duration) but counts
IMPLAUSIBLE_HOURS = 5 * 365 * 24  # longer is a wrong date: set aside (implausible_duration)
TRUE = {"true", "1", "ja", "j", "yes", "y", "waar", "x", "wahr", "1.0", "t"}
FALSE = {"false", "0", "nee", "n", "no", "onwaar", "0.0", "f"}
# Words that only mean yes/no in one column ("opgelost" is no answer to "reopened?").
BOOL_WORDS = {"reopened": ({"heropend", "reopened", "opnieuw geopend"}, {"niet heropend", "not reopened"}),
              "first_contact_resolution": ({"opgelost", "resolved", "direct opgelost"},
                                           {"niet opgelost", "not resolved"})}


@dataclass
class ClientData:
    """A client's sources as canonical frames, with what was found and set aside on the way."""

    config: ClientConfig
    model: Model
    frames: dict[str, pd.DataFrame]
    findings: list[Finding] = field(default_factory=list)
    rejects: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["source", "row", "rule", "reason"]))
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
    """Gathers findings and rejected rows for one source."""

    def __init__(self, source: str, file: str, rows: pd.Series):
        self.source, self.file, self.rows = source, file, rows
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
            mask: pd.Series | None = None, reject: bool = False, reason: str | None = None) -> None:
        """Record a finding; with ``reject`` the rows in ``mask`` are set aside with ``reason``
        (default: the English message; pass one without quoted cell values)."""
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
                self.rejected.append(pd.DataFrame({
                    "source": self.source, "row": lines, "rule": rule,
                    "column": column or "", "reason": reason or en}))
        self.findings.append(Finding(rule, level, self.file, {"nl": nl, "en": en}, column, rows, count))


def _level(bad: pd.Series, present: pd.Series) -> str:
    n = int(present.sum())
    return "error" if n and bad.sum() / n > ERROR_SHARE else "warning"


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
        col.add("not_a_number", _level(bad, present),
                f"tekst waar een getal hoort ({_examples(text, bad, col)}). Verwacht een getal van "
                f"{spec.low:g} t/m {spec.high:g}; koppel tekstantwoorden in client.yaml of corrigeer de cellen. "
                "Deze cellen tellen als ontbrekend.",
                f"text where a number belongs ({_examples(text, bad, col)}). Expected a number from "
                f"{spec.low:g} to {spec.high:g}; map text answers in client.yaml or correct the cells. "
                "These cells count as missing.", spec.name, bad)
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
                    reason="day/month order of the date is ambiguous; set date_format in client.yaml")
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
    col.add("bad_date", _level(bad, present) if critical else "warning",
            f"datum/tijd niet te lezen ({_examples(s, bad, col)}); {hint_nl}." +
            (" Deze rijen zijn apart gezet." if critical else " Deze cellen tellen als ontbrekend."),
            f"date/time cannot be read ({_examples(s, bad, col)}); {hint_en}." +
            (" These rows were set aside." if critical else " These cells count as missing."),
            name, bad, reject=critical, reason=f"date/time cannot be read; {hint_en}")
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
            name, p.out_of_range, reject=critical, reason="date before 1900 or after 2199")
    reject = (bad | p.out_of_range | p.unread) if critical else None
    return p.values, reject


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
    col.add("not_a_boolean", _level(bad, present),
            f"verwacht ja/nee (of true/false, 1/0) ({_examples(text, bad, col)}); deze cellen tellen als ontbrekend.",
            f"expected yes/no (or true/false, 1/0) ({_examples(text, bad, col)}); these cells count as missing.",
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
            out[name] = privacy.mask_series(text.where(text.str.strip() != ""))
        else:
            out[name] = _category(s)
    return out


def _category(s: pd.Series) -> pd.Series:
    """A category column as stripped text, blank cells missing and personal data masked.

    Worked out on the distinct values (fast on millions of rows); the column is rebuilt from them
    only when that changed one, else its text stays as read (no copy).
    """
    text = readers.text_chunks(s)
    encoded = pc.dictionary_encode(text).unify_dictionaries()
    if encoded.num_chunks and len(encoded.chunk(0).dictionary):
        dictionary = encoded.chunk(0).dictionary
        clean = readers.text_array(pd.Series(dictionary, dtype="str"))
        masked = pyarrow.array(privacy.mask_series(pd.Series(clean, dtype="str")), type=dictionary.type,
                               from_pandas=True)
        if not masked.equals(dictionary):
            text = pyarrow.chunked_array([masked.take(chunk.indices) for chunk in encoded.chunks],
                                         type=dictionary.type)
    return pd.Series(pd.array(text, dtype="string"), index=s.index, name=s.name)


def _map_columns(df: pd.DataFrame, cfg: SourceConfig, specs: dict[str, ColumnSpec], col: _Collector) -> pd.DataFrame:
    missing = [c for c in cfg.columns if c not in df.columns]
    if missing:
        col.add("missing_mapped_column", "error",
                f"client.yaml koppelt kolom(men) {missing} maar die staan niet in het bestand. "
                f"Aanwezig: {list(df.columns)[:15]}.",
                f"client.yaml maps column(s) {missing} but the file does not have them. "
                f"Present: {list(df.columns)[:15]}.", ", ".join(missing))
    for source_name, target in cfg.columns.items():
        if target not in specs:
            close = difflib.get_close_matches(target, list(specs), n=1, cutoff=0.6)
            hint_nl = f"Bedoelt u '{close[0]}'?" if close else f"Mogelijk: {', '.join(list(specs)[:12])}, ..."
            hint_en = f"Did you mean '{close[0]}'?" if close else f"Possible: {', '.join(list(specs)[:12])}, ..."
            col.add("bad_mapping", "error",
                    f"client.yaml koppelt '{source_name}' aan '{target}', maar '{target}' is geen kolom die "
                    f"klantladder kent voor {cfg.name}. {hint_nl}",
                    f"client.yaml maps '{source_name}' to '{target}', but '{target}' is not a column klantladder "
                    f"knows for {cfg.name}. {hint_en}", f"sources.{cfg.name}.columns")
    df = df.rename(columns={k: v for k, v in cfg.columns.items() if k in df.columns})
    unknown = [c for c in df.columns if c not in specs and c not in cfg.columns.values()]
    plain = []
    for c in unknown:
        close = difflib.get_close_matches(str(c), list(specs), n=1, cutoff=0.8)
        if not close:
            plain.append(str(c))
            continue
        col.add("unknown_column", "warning",
                f"onbekende kolom, wordt niet gebruikt. Bedoelt u '{close[0]}'? Hernoem de kolom of koppel hem "
                f"onder sources.{cfg.name}.columns in client.yaml.",
                f"unknown column, not used. Did you mean '{close[0]}'? Rename the column or map it under "
                f"sources.{cfg.name}.columns in client.yaml.", str(c))
    if plain:
        shown = ", ".join(repr(c) for c in plain[:12]) + (f" (+{len(plain) - 12})" if len(plain) > 12 else "")
        col.add("unknown_column", "warning",
                f"{len(plain)} kolom(men) niet gebruikt: {shown}. Koppel een kolom onder sources.{cfg.name}.columns "
                f"in client.yaml als hij moet meetellen.",
                f"{len(plain)} column(s) not used: {shown}. Map a column under sources.{cfg.name}.columns in "
                f"client.yaml if it should count.")
    dup = df.columns[df.columns.duplicated()].tolist()
    if dup:
        col.add("duplicate_column", "error", "deze kolom komt meer dan eens voor (na koppeling).",
                "this column occurs more than once (after mapping).", ", ".join(map(str, dup)))
        df = df.loc[:, ~df.columns.duplicated()]
    return df[[c for c in df.columns if c in specs]]


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


def _duplicate_ids(df: pd.DataFrame, source: str, col: _Collector, reject: pd.Series) -> pd.Series:
    """Rule ``duplicate_id``: repeats of an identifier that must be unique are set aside (the
    first row counts). Returns ``reject`` with them added."""
    for name in UNIQUE_IDS.get(source, ()):
        if name not in df or name not in col.id_hashes:
            continue
        ids, rows = col.id_hashes[name], df.index.to_numpy()
        if ids.repeats is not None and (ids.repeats.size == 0 or rows.size == ids.hashes.size):
            repeats = ids.repeats  # none among all rows, or no row set aside since
        else:
            repeats = _repeated_ids(ids, rows)
        if repeats.size == 0:
            continue
        mask = pd.Series(False, index=df.index)
        mask.iloc[repeats] = True
        col.add("duplicate_id", "warning",
                "dubbele identificatie; de eerste rij telt, de herhalingen zijn apart gezet. "
                "Controleer of het bestand twee keer is geëxporteerd.",
                "duplicated identifier; the first row counts, repeats were set aside. "
                "Check whether the file was exported twice.", name, mask & ~reject, reject=True)
        reject = reject | mask
    return reject


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
            later = check.split(":", 1)[1] if ":" in check else "resolved_at"
            both = df[later].notna() & df["created_at"].notna()
            mask = both & (df[later] < df["created_at"])
            col.add("time_order", _level(mask, both),
                    f"{later} ligt vóór created_at; deze rijen zijn apart gezet. Controleer tijdzones en of de "
                    "kolommen in client.yaml niet verwisseld zijn.",
                    f"{later} is before created_at; these rows were set aside. Check time zones and that the columns "
                    "are not swapped in client.yaml.", later, mask & ~reject, reject=True)
            reject |= mask
        cases = cases[~frame_level]
    reject = _duplicate_ids(df, source, col, reject)
    groups = cases.groupby(["column", "check"], dropna=False, sort=False) if cases is not None else ()
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
        ex = ", ".join(f"{v:g}" for v in df.loc[mask, column].drop_duplicates().head(3))
        col.add(rule, _level(mask, present),
                f"waarde {what_nl} ({ex}). Gebruikt het bestand een andere schaal? Deze cellen tellen als ontbrekend.",
                f"value {what_en} ({ex}). Does the file use another scale? These cells count as missing.",
                str(column), mask)
        df[column] = df[column].where(~mask)
    return df[~reject.to_numpy()] if reject.any() else df


_NAT = np.iinfo(np.int64).min  # a missing timestamp's integer


def _nanoseconds(s: pd.Series) -> np.ndarray:
    """Timestamps as their int64 nanoseconds (a view when they are stored in nanoseconds)."""
    values = s.array
    return (values if values.unit == "ns" else values.as_unit("ns")).asi8


def _hours_between(later: pd.Series, earlier: pd.Series) -> np.ndarray:
    """Hours from ``earlier`` to ``later`` per row (NaN where either is missing), computed on the
    timestamps' integer nanoseconds: on millions of tickets far faster than timedelta arithmetic."""
    a, b = _nanoseconds(later), _nanoseconds(earlier)
    hours = (a - b) / 3.6e12
    hours[(a == _NAT) | (b == _NAT)] = np.nan
    return hours


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
        hours = _hours_between(df[later], df["created_at"])
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
    col.add(rule, _level(empty, pd.Series(True, index=df.index)),
            f"rij zonder {column}; apart gezet. Vul de kolom in of controleer de koppeling in client.yaml.",
            f"row without {column}; set aside. Fill in the column or check the mapping in client.yaml.",
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
                min_respondents: int = 5, raw: pd.DataFrame | None = None
                ) -> tuple[pd.DataFrame | None, _Collector, int]:
    """Read, map, convert and validate one source. Returns (frame or None, findings, rows read).

    ``reference`` is the client's reference date (timestamps after it are flagged);
    a survey with fewer than ``min_respondents`` respondents is left out (frame None).
    ``raw``: the file as already read (:func:`_read_file`).
    """
    file = f"{cfg.path.parent.name}/{cfg.path.name}"
    header_rows = _header_rows(cfg)
    if raw is None:
        raw = _read_file(cfg)
    if cfg.preset:
        raw = presets.apply_preset(raw, cfg.preset)
    attrs = dict(raw.attrs)
    reader_findings = [replace(f, file=file) for f in list(attrs.pop("findings", []) or [])]
    raw = _missing_labels(raw.reset_index(drop=True))
    rows = pd.Series(np.arange(len(raw)) + 2 + header_rows, index=raw.index)
    col = _Collector(cfg.name, file, rows)
    col.findings.extend(reader_findings)
    specs = source_columns(cfg.name, model)
    df = _map_columns(raw, cfg, specs, col)
    df.attrs.update(attrs)
    sheets = readers.sheet_hint(attrs, f"sources.{cfg.name}.sheet") if cfg.sheet is None else ("", "")
    missing = [c for c in REQUIRED[cfg.name] if c not in df.columns]
    if missing:
        col.add("missing_column", "error",
                f"verplichte kolom ontbreekt: {missing}. Voeg hem toe of koppel de eigen kolomnaam onder "
                f"sources.{cfg.name}.columns in client.yaml.{sheets[0]}",
                f"required column missing: {missing}. Add it or map your own column name under "
                f"sources.{cfg.name}.columns in client.yaml.{sheets[1]}", ", ".join(missing))
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
                    f"in client.yaml.{sheets[0]}",
                    "no answer column found (such as nps, csat or service_1). Map the columns in client.yaml."
                    f"{sheets[1]}")
    if any(f.level == "error" for f in col.findings):
        return None, col, len(raw)
    df = _convert(df, specs, cfg, key, col)
    reject_cols = [c for c in df.columns if c.startswith("_reject_")]
    if reject_cols:
        bad = df[reject_cols].any(axis=1).to_numpy()
        df = df[[c for c in df.columns if c not in reject_cols]]
        if bad.any():
            df = df[~bad]
    empty = [c for c in df.columns if c not in REQUIRED[cfg.name] and df[c].isna().all()]
    for c in empty:
        col.add("empty_column", "warning", "kolom is helemaal leeg en telt niet mee.",
                "column is completely empty and does not count.", c)
    if empty and len(df):
        # It does not count: left out, so that nothing is computed from it (an empty resolved_at would
        # otherwise make every ticket open) and the client scores as if the column were not there.
        df = df.drop(columns=empty)
    if cfg.name == "tickets":
        df = _missing_rows(df, "ticket_id", col)
        df = _missing_rows(df, "created_at", col)
    elif cfg.name == "customers":
        df = _missing_rows(df, "customer_id", col)
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
                               min_respondents=config.min_group_size, raw=raw)
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
    model = model.with_kpi_scales(config.kpi_scales)
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
    _wave_rules(config, frames, findings, rejects)
    if not rows_read and not findings:
        findings.append(Finding("no_sources", "error", folder_name, {
            "nl": "geen invoerbestanden gevonden. Verwacht customer_survey, employee_survey, tickets en/of "
                  "customers (.csv, .xlsx, .parquet of .sav). Maak een sjabloon met 'klantladder init'.",
            "en": "no input files found. Expected customer_survey, employee_survey, tickets and/or customers "
                  "(.csv, .xlsx, .parquet or .sav). Make a template with 'klantladder init'."}))
    elif rows_read and not frames and not any(f.level == "error" for f in findings):
        findings.append(Finding("no_sources", "error", folder_name, {
            "nl": "na de controles is geen enkele bron bruikbaar (zie de waarschuwingen hierboven); er valt niets "
                  "te scoren.",
            "en": "after the checks no source is usable (see the warnings above); there is nothing to score."}))
    errors = [f for f in findings if f.level == "error"]
    if errors:
        raise InputError({"nl": f"De invoer van {config.folder.name} kan niet worden gescoord.",
                          "en": f"The input of {config.folder.name} cannot be scored."}, findings)
    reject_frame = (pd.concat(rejects, ignore_index=True).drop_duplicates(["source", "row"], ignore_index=True)
                    if rejects else pd.DataFrame(columns=["source", "row", "rule", "column", "reason"]))
    return ClientData(config, model, frames, findings, reject_frame, rows_read)


def _wave_rules(config: ClientConfig, frames: dict[str, pd.DataFrame], findings: list[Finding],
                rejects: list[pd.DataFrame]) -> None:
    """Rules for surveys whose ``wave`` column holds several waves (one folder, several waves).

    The folder measures its current wave (:func:`klantladder.waves.current_wave`: ``wave`` in
    client.yaml, else the latest); survey rows without a wave belong to it. Rows of a wave *after*
    it are set aside (``wave_after_current``): they are no history of this measurement, and
    scoring them as the current one would contradict client.yaml. A wave with fewer respondents in
    a survey than ``min_group_size`` does not count in that survey (``too_few_respondents``), as a
    whole survey would not: its scores would show identifiable answers. Changes ``frames`` in place.
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
                                         "reason": en}))

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
            if n < config.min_group_size:
                mask = (label == w).to_numpy(dtype=bool) & ~drop
                set_aside("too_few_respondents", mask,
                          f"meting '{w}' heeft maar {n} respondent(en), minder dan {config.min_group_size}; die "
                          "rijen tellen niet mee: de scores zouden de antwoorden van herkenbare personen tonen.",
                          f"wave '{w}' has only {n} respondent(s), fewer than {config.min_group_size}; those rows "
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
