"""Read a client folder into canonical, validated, pseudonymised frames.

``read_client`` is the only way data enters scoring. For each source it reads the file
(:mod:`klantladder.readers`), applies a survey-tool preset and the column mapping from
``client.yaml``, converts every column to its canonical type, pseudonymises identifiers, masks
contact details in free text, and validates with the pandera schemas of :mod:`klantladder.schema`.
Unusable rows are set aside with their reason; the input files are only ever read.
The rules and their levels are listed in ``docs/validation-rules.md``.
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from . import presets, privacy, readers
from .config import SOURCES, ClientConfig, SourceConfig, load_client_config
from .errors import Finding, InputError
from .model import Model, load_model
from .schema import REQUIRED, ColumnSpec, build_schema, source_columns

__all__ = ["ClientData", "read_client", "read_source", "input_hash", "ERROR_SHARE"]

# Above this share of bad cells in one column, a per-cell warning becomes an error for the client:
# the column is more likely mapped or scaled wrongly than occasionally mistyped.
ERROR_SHARE = 0.5
PLAUSIBLE_HOURS = 365 * 24
TRUE = {"true", "1", "ja", "j", "yes", "y", "waar", "x", "wahr", "1.0"}
FALSE = {"false", "0", "nee", "n", "no", "onwaar", "0.0"}


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

    def add(self, rule: str, level: str, nl: str, en: str, column: str | None = None,
            mask: pd.Series | None = None, reject: bool = False) -> None:
        rows: tuple[int, ...] = ()
        count = 0
        if mask is not None:
            idx = np.flatnonzero(mask.to_numpy(dtype=bool, na_value=False))
            count = len(idx)
            if count == 0:
                return
            rows = tuple(int(r) for r in self.rows.to_numpy()[idx[:5]])
            if reject:
                self.rejected.append(pd.DataFrame({
                    "source": self.source, "row": self.rows.to_numpy()[idx], "rule": rule,
                    "column": column or "", "reason": en}))
        self.findings.append(Finding(rule, level, self.file, {"nl": nl, "en": en}, column, rows, count))


def _level(bad: pd.Series, present: pd.Series) -> str:
    n = int(present.sum())
    return "error" if n and bad.sum() / n > ERROR_SHARE else "warning"


def _examples(values: pd.Series, mask: pd.Series) -> str:
    ex = pd.Series(values[mask.to_numpy(dtype=bool)]).astype(str).drop_duplicates().head(3)
    return ", ".join(repr(privacy.mask_text(v)[:30]) for v in ex)


def _numbers(s: pd.Series, spec: ColumnSpec, decimal: str, col: _Collector) -> pd.Series:
    if pd.api.types.is_bool_dtype(s):
        s = s.astype("float64")
    if pd.api.types.is_numeric_dtype(s):
        return s.astype("float64")
    text = s.astype("string").str.strip()
    present = text.notna() & (text != "")
    values, bad = readers.to_number(text, decimal=decimal)
    values = values.astype("float64")
    if spec.kind == "likert" and bad.any():
        mapped, unmapped = presets.likert_to_number(text.where(bad), scale_max=int(spec.high or 5))
        values = values.where(~bad, mapped)
        bad = bad & unmapped
    if bad.any():
        col.add("not_a_number", _level(bad, present),
                f"tekst waar een getal hoort ({_examples(text, bad)}). Verwacht een getal van "
                f"{spec.low:g} t/m {spec.high:g}; koppel tekstantwoorden in client.yaml of corrigeer de cellen. "
                "Deze cellen tellen als ontbrekend.",
                f"text where a number belongs ({_examples(text, bad)}). Expected a number from "
                f"{spec.low:g} to {spec.high:g}; map text answers in client.yaml or correct the cells. "
                "These cells count as missing.", spec.name, bad)
    return values.where(~bad)


_DAYFIRST = ("%d-%m-%Y %H:%M:%S", "%d-%m-%Y %H:%M", "%d-%m-%Y", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M",
             "%d/%m/%Y")


def parse_datetimes(s: pd.Series, date_format: str | None, timezone: str) -> tuple[pd.Series, pd.Series]:
    """Parse timestamps to UTC. Returns (values, mask of non-empty cells that did not parse).

    With ``date_format`` only that format is accepted. Without it, ISO 8601 is tried first,
    then the Dutch day-first forms (``31-12-2026 14:05``). Timestamps without a zone are read
    in ``timezone`` (daylight saving handled; ambiguous or missing local times become errors).
    """
    if pd.api.types.is_datetime64_any_dtype(s):
        out = s
        bad = pd.Series(False, index=s.index)
    else:
        text = s.astype("string").str.strip()
        text = text.where(text != "")
        present = text.notna()
        if date_format:
            out = pd.to_datetime(text, format=date_format, errors="coerce", utc=False)
        else:
            out = _parse_mixed(text)
        bad = present & out.isna()
        return _to_utc(out, timezone), bad
    return _to_utc(out, timezone), bad


def _parse_mixed(text: pd.Series) -> pd.Series:
    iso = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)
    todo = text.notna() & iso.isna()
    if not todo.any():
        return iso
    naive_iso = pd.to_datetime(text.where(todo), format="ISO8601", errors="coerce")
    out = iso.astype(object)
    rest = todo.copy()
    for fmt in ("ISO",) + _DAYFIRST:
        if not rest.any():
            break
        if fmt == "ISO":
            got = naive_iso
        else:
            got = pd.to_datetime(text.where(rest), format=fmt, errors="coerce")
        hit = rest & got.notna()
        out[hit] = got[hit]
        rest &= ~hit
    out[rest] = pd.NaT
    return out


def _to_utc(values: pd.Series, timezone: str) -> pd.Series:
    if values.dtype == object:
        naive = values.map(lambda v: v if isinstance(v, pd.Timestamp) and v.tzinfo is None else pd.NaT)
        aware = values.map(lambda v: v if isinstance(v, pd.Timestamp) and v.tzinfo is not None else pd.NaT)
        a = pd.to_datetime(aware, utc=True, errors="coerce")
        n = pd.to_datetime(naive, errors="coerce")
        n = n.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="NaT").dt.tz_convert("UTC")
        return a.where(a.notna(), n).astype("datetime64[ns, UTC]")
    values = pd.to_datetime(values)
    if values.dt.tz is None:
        values = values.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="NaT")
    return values.dt.tz_convert("UTC").astype("datetime64[ns, UTC]")


def _bools(s: pd.Series, spec: ColumnSpec, col: _Collector) -> pd.Series:
    if pd.api.types.is_bool_dtype(s):
        return s.astype("boolean")
    text = s.astype("string").str.strip().str.lower()
    out = pd.Series(pd.NA, index=s.index, dtype="boolean")
    out[text.isin(TRUE).fillna(False).astype(bool)] = True
    out[text.isin(FALSE).fillna(False).astype(bool)] = False
    bad = text.notna() & (text != "") & out.isna()
    col.add("not_a_boolean", "warning", "verwacht ja/nee (of true/false, 1/0); deze cellen tellen als ontbrekend.",
            "expected yes/no (or true/false, 1/0); these cells count as missing.", spec.name, bad)
    return out


def _convert(df: pd.DataFrame, specs: dict[str, ColumnSpec], cfg: SourceConfig, key: bytes,
             col: _Collector) -> pd.DataFrame:
    out = {}
    decimal = cfg.decimal or df.attrs.get("decimal", ".")
    for name in df.columns:
        spec = specs[name]
        s = df[name]
        if spec.kind == "id":
            text = s.astype("string").str.strip()
            out[name] = privacy.pseudonymise(text.where(text != ""), key)
        elif spec.kind in ("number", "likert"):
            out[name] = _numbers(s, spec, decimal, col)
        elif spec.kind in ("datetime", "date"):
            values, bad = parse_datetimes(s, cfg.date_format, cfg.timezone)
            critical = name in ("created_at",)
            hint_nl = f"gebruik het formaat {cfg.date_format}" if cfg.date_format else \
                "gebruik ISO 8601 (2026-05-03 14:05) of dd-mm-jjjj uu:mm, of zet date_format in client.yaml"
            hint_en = f"use the format {cfg.date_format}" if cfg.date_format else \
                "use ISO 8601 (2026-05-03 14:05) or dd-mm-yyyy hh:mm, or set date_format in client.yaml"
            col.add("bad_date", _level(bad, s.notna()) if critical else "warning",
                    f"datum/tijd niet te lezen ({_examples(s, bad)}); {hint_nl}." +
                    (" Deze rijen zijn apart gezet." if critical else " Deze cellen tellen als ontbrekend."),
                    f"date/time cannot be read ({_examples(s, bad)}); {hint_en}." +
                    (" These rows were set aside." if critical else " These cells count as missing."),
                    name, bad, reject=critical)
            out[name] = values
            if critical:
                out["_reject_" + name] = bad
        elif spec.kind == "bool":
            out[name] = _bools(s, spec, col)
        elif spec.kind == "freetext":
            text = s.astype("string")
            out[name] = privacy.mask_series(text.where(text.str.strip() != ""))
        else:
            text = s.astype("string").str.strip()
            out[name] = text.where(text != "")
    return pd.DataFrame(out, index=df.index)


def _map_columns(df: pd.DataFrame, cfg: SourceConfig, specs: dict[str, ColumnSpec], col: _Collector) -> pd.DataFrame:
    missing = [c for c in cfg.columns if c not in df.columns]
    if missing:
        col.add("missing_mapped_column", "error",
                f"client.yaml koppelt kolom(men) {missing} maar die staan niet in het bestand. "
                f"Aanwezig: {list(df.columns)[:15]}.",
                f"client.yaml maps column(s) {missing} but the file does not have them. "
                f"Present: {list(df.columns)[:15]}.", ", ".join(missing))
    df = df.rename(columns={k: v for k, v in cfg.columns.items() if k in df.columns})
    unknown = [c for c in df.columns if c not in specs]
    for c in unknown:
        close = difflib.get_close_matches(str(c), list(specs), n=1, cutoff=0.8)
        hint_nl = f" Bedoelt u '{close[0]}'? Hernoem de kolom of koppel hem onder columns: in client.yaml." if close \
            else " Koppel hem onder columns: in client.yaml als hij meetelt."
        hint_en = f" Did you mean '{close[0]}'? Rename the column or map it under columns: in client.yaml." if close \
            else " Map it under columns: in client.yaml if it should count."
        col.add("unknown_column", "warning", "onbekende kolom, wordt niet gebruikt." + hint_nl,
                "unknown column, not used." + hint_en, str(c))
    dup = df.columns[df.columns.duplicated()].tolist()
    if dup:
        col.add("duplicate_column", "error", "deze kolom komt meer dan eens voor (na koppeling).",
                "this column occurs more than once (after mapping).", ", ".join(map(str, dup)))
        df = df.loc[:, ~df.columns.duplicated()]
    return df[[c for c in df.columns if c in specs]]


def _schema_findings(df: pd.DataFrame, source: str, model: Model, col: _Collector) -> pd.DataFrame:
    """Run the pandera schema; blank cells off the scale, set aside duplicate and disordered rows."""
    schema = build_schema(source, list(df.columns), model)
    try:
        schema.validate(df, lazy=True)
        return df
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    specs = source_columns(source, model)
    reject = pd.Series(False, index=df.index)
    for (column, check), group in cases.groupby(["column", "check"], dropna=False, sort=False):
        index = pd.Index(group["index"].dropna().astype(int).unique())
        mask = pd.Series(df.index.isin(index), index=df.index)
        check = str(check)
        if check == "field_uniqueness":
            col.add("duplicate_id", "warning",
                    "dubbele identificatie; de eerste rij telt, de herhalingen zijn apart gezet. "
                    "Controleer of het bestand twee keer is geëxporteerd.",
                    "duplicated identifier; the first row counts, repeats were set aside. "
                    "Check whether the file was exported twice.", str(column), mask, reject=True)
            reject |= mask
        elif check.startswith("time_order"):
            later = check.split(":", 1)[1] if ":" in check else "resolved_at"
            mask = df[later].notna() & df["created_at"].notna() & (df[later] < df["created_at"])
            col.add("time_order", "warning",
                    f"{later} ligt vóór created_at; deze rijen zijn apart gezet. Controleer tijdzones en "
                    "de volgorde van de kolommen.",
                    f"{later} is before created_at; these rows were set aside. Check time zones and the "
                    "order of the columns.", later, mask, reject=True)
            reject |= mask
        elif column in specs:
            spec = specs[str(column)]
            present = df[column].notna()
            if "not_whole" in check:
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
    return df[~reject]


def _ticket_rules(df: pd.DataFrame, col: _Collector) -> pd.DataFrame:
    if "resolved_at" in df:
        hours = (df["resolved_at"] - df["created_at"]).dt.total_seconds() / 3600
        long = hours > PLAUSIBLE_HOURS
        col.add("implausible_duration", "warning",
                "oplostijd van meer dan een jaar; deze rijen zijn apart gezet. Controleer de datums.",
                "resolution time of more than a year; these rows were set aside. Check the dates.",
                "resolved_at", long, reject=True)
        df = df[~long.to_numpy()]
        open_ = df["resolved_at"].isna()
        col.add("unresolved_ticket", "warning",
                "nog niet afgesloten; telt mee als niet opgelost en niet in de oplostijd.",
                "not closed yet; counts as unresolved and not in the resolution time.", "resolved_at", open_)
    return df


def read_source(cfg: SourceConfig, model: Model, key: bytes) -> tuple[pd.DataFrame | None, _Collector, int]:
    """Read, map, convert and validate one source. Returns (frame or None, findings, rows read)."""
    file = f"{cfg.path.parent.name}/{cfg.path.name}"
    header_rows = cfg.header_rows
    if cfg.preset:
        header_rows = max(header_rows, presets.preset_read_options(cfg.preset).get("header_rows", 0))
    raw = readers.read_table(cfg.path, fmt=cfg.format, sheet=cfg.sheet, encoding=cfg.encoding, sep=cfg.sep,
                             decimal=cfg.decimal, header_rows=header_rows)
    attrs = dict(raw.attrs)
    reader_findings = list(attrs.pop("findings", []) or [])
    if cfg.preset:
        raw = presets.apply_preset(raw, cfg.preset)
    raw = raw.reset_index(drop=True)
    rows = pd.Series(np.arange(len(raw)) + 2 + header_rows, index=raw.index)
    col = _Collector(cfg.name, file, rows)
    col.findings.extend(reader_findings)
    specs = source_columns(cfg.name, model)
    df = _map_columns(raw, cfg, specs, col)
    df.attrs.update(attrs)
    missing = [c for c in REQUIRED[cfg.name] if c not in df.columns]
    if missing:
        col.add("missing_column", "error",
                f"verplichte kolom ontbreekt: {missing}. Voeg hem toe of koppel de eigen kolomnaam onder "
                f"sources.{cfg.name}.columns in client.yaml.",
                f"required column missing: {missing}. Add it or map your own column name under "
                f"sources.{cfg.name}.columns in client.yaml.", ", ".join(missing))
    if cfg.name.endswith("survey"):
        usable = [c for c in df.columns if specs[c].kind == "likert"]
        if not usable:
            col.add("no_answer_columns", "error",
                    "geen enkele antwoordkolom gevonden (zoals nps, csat of service_1). Koppel de kolommen "
                    "in client.yaml.",
                    "no answer column found (such as nps, csat or service_1). Map the columns in client.yaml.")
    if any(f.level == "error" for f in col.findings):
        return None, col, len(raw)
    key_ = key
    df = _convert(df, specs, cfg, key_, col)
    reject_cols = [c for c in df.columns if c.startswith("_reject_")]
    if reject_cols:
        bad = df[reject_cols].any(axis=1)
        df = df.loc[~bad, [c for c in df.columns if c not in reject_cols]]
    for c in df.columns:
        if df[c].isna().all():
            col.add("empty_column", "warning", "kolom is helemaal leeg en telt niet mee.",
                    "column is completely empty and does not count.", c)
    if cfg.name == "tickets" and "ticket_id" in df:
        no_id = df["ticket_id"].isna()
        col.add("missing_id", "warning", "rij zonder ticket_id; apart gezet.", "row without ticket_id; set aside.",
                "ticket_id", no_id, reject=True)
        df = df[~no_id]
    df = _schema_findings(df, cfg.name, model, col)
    if cfg.name == "tickets" and "resolved_at" in df and "created_at" in df:
        df = _ticket_rules(df, col)
    df = df.copy()
    df.insert(0, "_row", rows.loc[df.index].to_numpy())
    return df.reset_index(drop=True), col, len(raw)


def read_client(folder: str | Path, model: Model | None = None, key: bytes | None = None) -> ClientData:
    """Read and validate every source of a client folder.

    Returns :class:`ClientData` with warnings attached; raises :class:`InputError` carrying every
    finding when any rule at level ``error`` fired or no source exists at all.
    """
    config = load_client_config(folder)
    if model is None:
        model = load_model(config.model)
    model = model.with_kpi_scales(config.kpi_scales)
    key = key if key is not None else privacy.load_or_create_key()
    frames: dict[str, pd.DataFrame] = {}
    findings: list[Finding] = []
    rejects: list[pd.DataFrame] = []
    rows_read: dict[str, int] = {}
    for name in SOURCES:
        cfg = config.sources[name]
        if cfg.path is None:
            continue
        try:
            frame, col, n = read_source(cfg, model, key)
        except InputError as exc:
            findings.extend(exc.findings or [Finding("unreadable_file", "error", str(cfg.path), exc.messages)])
            continue
        findings.extend(col.findings)
        rejects.extend(col.rejected)
        rows_read[name] = n
        if frame is not None:
            frames[name] = frame
    if not rows_read and not findings:
        findings.append(Finding("no_sources", "error", str(config.folder), {
            "nl": "geen invoerbestanden gevonden. Verwacht customer_survey, employee_survey, tickets en/of "
                  "customers (.csv, .xlsx, .parquet of .sav). Maak een sjabloon met 'klantladder init'.",
            "en": "no input files found. Expected customer_survey, employee_survey, tickets and/or customers "
                  "(.csv, .xlsx, .parquet or .sav). Make a template with 'klantladder init'."}))
    errors = [f for f in findings if f.level == "error"]
    if errors:
        raise InputError({"nl": f"De invoer van {config.folder.name} kan niet worden gescoord.",
                          "en": f"The input of {config.folder.name} cannot be scored."}, findings)
    reject_frame = (pd.concat(rejects, ignore_index=True) if rejects
                    else pd.DataFrame(columns=["source", "row", "rule", "column", "reason"]))
    return ClientData(config, model, frames, findings, reject_frame, rows_read)


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
