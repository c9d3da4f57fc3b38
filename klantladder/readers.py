"""Read a client's input file, whatever its format, into a DataFrame.

Formats are a registry (:data:`READERS`): a name maps to a reader function, extensions and magic
bytes map to a name, and :func:`register_reader` adds a format. :func:`read_table` detects the
format from the extension *and* the content and refuses a file whose content contradicts its
extension (a workbook saved as ``.csv``), so the user hears what the file really is.

What comes back, per format (``df.attrs`` says how the file was read):

* ``csv`` (``.csv``, ``.txt``, ``.tsv``): every column as text (pandas ``str`` dtype), exactly as
  in the file, with empty cells missing. Encoding, separator and decimal mark are detected.
* ``xlsx`` (``.xlsx``, ``.xlsm``): every column as text too, so one validation path serves CSV and
  Excel. Numbers are written with a decimal point (``3.5``, integral values without ``.0``), Excel
  dates as ISO 8601 (``2024-03-12`` for date-only columns, ``2024-03-12 10:30:00`` otherwise),
  times as ``10:30:00``, booleans as ``TRUE``/``FALSE``. ``attrs["date_columns"]`` lists the
  columns that held Excel date cells.
* ``parquet``: the file's own types (numbers, timestamps, text); dates become ``datetime64``
  (midnight), empty strings missing.
* ``sav`` (``.sav``, ``.zsav``): numeric codes stay numbers (float); a column whose every value
  carries a value label that is a category name (segment 1 = "Particulier", yes/no) gets its
  labels; scale anchors ("Helemaal mee eens") stay numbers. ``attrs["value_labels"]`` holds every
  value label, ``attrs["column_labels"]`` the question texts.

``df.attrs`` always has ``format``, ``file`` and ``decimal``; CSV adds ``encoding`` and ``sep``,
Excel ``sheet``; ``extra_header`` holds the rows dropped by ``header_rows`` (as lists of text),
``findings`` a list of warning :class:`~klantladder.errors.Finding` (e.g. duplicate column names).
Input files are only ever opened for reading.

:func:`to_number` and :func:`to_datetime` turn text cells into numbers and UTC timestamps and say,
per cell, what could not be read (and, for dates, in which form each cell was written).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .errors import Finding, InputError, KlantladderError

__all__ = [
    "ReadOptions",
    "ReaderFunc",
    "READERS",
    "separator_hint",
    "UNNAMED",
    "EXTENSIONS",
    "MAGIC",
    "MISSING_MARKERS",
    "register_reader",
    "detect_format",
    "read_table",
    "to_number",
    "to_datetime",
    "text_array",
    "text_chunks",
    "text_offsets",
    "DateParse",
    "DATE_FORMS",
]


@dataclass(frozen=True)
class ReadOptions:
    """Overrides passed to a reader; ``None`` means "detect it"."""

    sheet: str | int | None = None
    encoding: str | None = None
    sep: str | None = None
    decimal: str | None = None


ReaderFunc = Callable[[Path, ReadOptions], pd.DataFrame]

READERS: dict[str, ReaderFunc] = {}
"""Format name -> reader. A reader returns the table with the file's first row as header."""
EXTENSIONS: dict[str, str] = {}
"""Lower-case extension with dot (``".csv"``) -> format name."""
MAGIC: dict[str, tuple[bytes, ...]] = {}
"""Format name -> the byte prefixes its files start with (none for text formats)."""

LABELS = {
    "csv": ("een CSV-tekstbestand", "a CSV text file"),
    "xlsx": ("een Excel-werkmap (.xlsx)", "an Excel workbook (.xlsx)"),
    "parquet": ("een Parquet-bestand", "a Parquet file"),
    "sav": ("een SPSS-databestand (.sav)", "an SPSS data file (.sav)"),
}
_FOREIGN = {  # content we recognise but cannot read: (nl, en) what it is, (nl, en) what to do
    "xls": (("een oud Excel 97-2003-bestand (.xls) of een met wachtwoord beveiligd Excel-bestand",
             "an old Excel 97-2003 file (.xls) or a password-protected Excel file"),
            ("open het in Excel en sla het op als 'Excel-werkmap (.xlsx)' zonder wachtwoord",
             "open it in Excel and save it as 'Excel Workbook (.xlsx)' without a password")),
    "ods": (("een OpenDocument-spreadsheet (.ods)", "an OpenDocument spreadsheet (.ods)"),
            ("sla het op als .xlsx of .csv", "save it as .xlsx or .csv")),
    "docx": (("een Word-document", "a Word document"),
             ("exporteer de gegevens uit het bronsysteem als CSV of Excel",
              "export the data from the source system as CSV or Excel")),
    "zip": (("een zip-archief", "a zip archive"),
            ("pak het archief uit en gebruik het bestand dat erin zit",
             "unzip it and use the file inside")),
    "gzip": (("een gzip-archief", "a gzip archive"),
             ("pak het archief uit en gebruik het bestand dat erin zit",
              "unzip it and use the file inside")),
    "pdf": (("een PDF-document", "a PDF document"),
            ("exporteer de gegevens uit het bronsysteem als CSV of Excel",
             "export the data from the source system as CSV or Excel")),
    "html": (("een webpagina (HTML/XML), die sommige systemen als .xls opslaan",
              "a web page (HTML/XML), which some systems save as .xls"),
             ("open het in Excel en sla het op als .xlsx, of exporteer als CSV",
              "open it in Excel and save it as .xlsx, or export it as CSV")),
    "binary": (("binaire gegevens, geen tekst", "binary data, not text"),
               ("controleer of dit het goede bestand is en exporteer het opnieuw als CSV of Excel",
                "check that this is the right file and export it again as CSV or Excel")),
}

MISSING_MARKERS = frozenset({"NA", "N/A", "NAN", "NULL", "#N/A", "#NULL!", "NONE"})
"""Technical missing-value markers (compared upper-case) that :func:`to_number` treats as empty."""

_HEAD_BYTES = 1 << 20
_SEPARATORS = (",", ";", "\t", "|")


def _finding(rule: str, path: Path, nl: str, en: str, level: str = "error", column: str | None = None,
             rows: tuple[int, ...] = (), count: int | None = None) -> Finding:
    """A finding about the file ``path``; ``rows``: the first rows it names, ``count``: how many
    rows in all (default: as many as ``rows``)."""
    return Finding(rule=rule, level=level, file=path.name, message={"nl": nl, "en": en},  # type: ignore[arg-type]
                   column=column, rows=rows, count=len(rows) if count is None else count)


def _fail(rule: str, path: Path, nl: str, en: str, rows: tuple[int, ...] = ()) -> InputError:
    return InputError({"nl": f"{path.name} kan niet gelezen worden.", "en": f"{path.name} cannot be read."},
                      [_finding(rule, path, nl, en, rows=rows)])


def register_reader(name: str, func: ReaderFunc, extensions: Iterable[str],
                    magic: Iterable[bytes] = (), label: tuple[str, str] | None = None) -> None:
    """Add (or replace) a format: ``func(path, options) -> DataFrame``.

    ``extensions`` are file suffixes (``".csv"`` or ``"csv"``); ``magic`` the byte prefixes that
    identify the content (leave empty for text formats); ``label`` the (nl, en) description used in
    messages.
    """
    READERS[name] = func
    for ext in extensions:
        EXTENSIONS["." + ext.lower().lstrip(".")] = name
    MAGIC[name] = tuple(magic)
    if label:
        LABELS[name] = label


def _label(fmt: str) -> tuple[str, str]:
    if fmt in LABELS:
        return LABELS[fmt]
    if fmt in _FOREIGN:
        return _FOREIGN[fmt][0]
    return (f"een {fmt}-bestand", f"a {fmt} file")


def _sniff_content(path: Path, head: bytes) -> str:
    """What the bytes look like: a format name, a key of ``_FOREIGN``, or ``"text"``."""
    for name, prefixes in MAGIC.items():
        if prefixes and any(head.startswith(p) for p in prefixes) and name != "xlsx":
            return name
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as zf:
                names = set(zf.namelist())
        except (zipfile.BadZipFile, OSError):
            return "xlsx" if "xlsx" in MAGIC else "zip"  # damaged: the xlsx reader explains
        if "xl/workbook.xml" in names or any(n.startswith("xl/") for n in names):
            return "xlsx"
        if "content.xml" in names:
            return "ods"
        if "word/document.xml" in names:
            return "docx"
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "text"
    stripped = head.lstrip(codecs.BOM_UTF8).lstrip()[:100].lower()
    if stripped.startswith((b"<html", b"<!doctype", b"<?xml", b"<table")):
        return "html"
    sample = head[:65536]
    if b"\x00" in sample:
        return "binary"
    controls = sum(sample.count(bytes([c])) for c in range(32) if c not in (9, 10, 12, 13))
    if sample and controls / len(sample) > 0.05:
        return "binary"
    return "text"


def detect_format(path: Path) -> str:
    """The format to read ``path`` with, from its extension and its first bytes.

    Raises :class:`InputError` (rule ``file_format``) when the content contradicts the extension
    or is something no reader handles.
    """
    path = Path(path)
    with open(path, "rb") as fh:
        head = fh.read(_HEAD_BYTES)
    by_ext = EXTENSIONS.get(path.suffix.lower())
    content = _sniff_content(path, head)
    text_format = by_ext if by_ext is not None and not MAGIC.get(by_ext) else "csv"
    by_content = text_format if content == "text" else content
    if by_ext is not None and by_ext == by_content:
        return by_ext
    if by_ext is None and by_content in READERS:
        return by_content
    if content == "binary" and (by_ext is None or not MAGIC.get(by_ext)):
        what, fix = _FOREIGN["binary"]
        raise _fail("unreadable_file", path, f"Het bestand bevat {what[0]}; {fix[0]}.",
                    f"The file contains {what[1]}; {fix[1]}.")
    is_nl, is_en = _label(by_content)
    if by_content in READERS:
        ext = next((e for e, f in EXTENSIONS.items() if f == by_content), "")
        fix_nl = (f"Hernoem het naar {path.stem}{ext}, of zet 'format: {by_content}' bij dit bestand "
                  f"in client.yaml.")
        fix_en = f"Rename it to {path.stem}{ext}, or set 'format: {by_content}' for this file in client.yaml."
    else:
        fix_nl, fix_en = (f[0].upper() + f[1:] + "." for f in _FOREIGN.get(by_content, _FOREIGN["binary"])[1])
    known = ", ".join(sorted(EXTENSIONS))
    if by_ext is None:
        raise _fail("file_format", path,
                    f"De extensie '{path.suffix}' is onbekend en de inhoud is {is_nl}. "
                    f"Verwacht: een van {known}. {fix_nl}",
                    f"The extension '{path.suffix}' is unknown and the content is {is_en}. "
                    f"Expected one of {known}. {fix_en}")
    ext_nl, ext_en = _label(by_ext)
    raise _fail("file_format", path,
                f"De extensie '{path.suffix}' belooft {ext_nl}, maar de inhoud is {is_nl}. {fix_nl}",
                f"The extension '{path.suffix}' promises {ext_en}, but the content is {is_en}. {fix_en}")


def read_table(path: Path, *, fmt: str | None = None, sheet: str | int | None = None,
               encoding: str | None = None, sep: str | None = None, decimal: str | None = None,
               header_rows: int = 0) -> pd.DataFrame:
    """Read one input file into a DataFrame (see the module docstring for types per format).

    Parameters
    ----------
    path : the file; it is only opened for reading.
    fmt : format name (a key of :data:`READERS`); detected from extension and content if None.
    sheet : Excel sheet name or 0-based index; the first sheet if None.
    encoding, sep, decimal : CSV text encoding, separator and decimal mark; detected if None.
    header_rows : extra rows after the header to drop (Qualtrics exports have 2); they are kept
        in ``df.attrs["extra_header"]``.

    Raises
    ------
    InputError
        rules ``file_not_found``, ``file_format``, ``empty_file``, ``missing_sheet``,
        ``unreadable_file``.
    """
    path = Path(path)
    if header_rows < 0:
        raise ValueError(f"header_rows must be 0 or more, not {header_rows}")
    if not path.is_file():
        raise _fail("file_not_found", path, f"Het bestand {path} bestaat niet. Controleer de naam en de map.",
                    f"The file {path} does not exist. Check its name and folder.")
    try:
        with open(path, "rb"):
            pass
    except PermissionError:
        raise _fail("unreadable_file", path,
                    "klantladder mag het bestand niet lezen (geen leesrechten). Geef uw account leesrechten op het "
                    "bestand, of werk met een kopie die u zelf maakt (een kopie is van u).",
                    "klantladder may not read the file (no read permission). Give your account read permission "
                    "on it, or work with a copy you make yourself (a copy is yours).") from None
    if path.stat().st_size == 0:
        raise _fail("empty_file", path, "Het bestand is leeg (0 bytes). Exporteer de gegevens opnieuw.",
                    "The file is empty (0 bytes). Export the data again.")
    given_fmt = fmt is not None
    if fmt is None:
        fmt = detect_format(path)
    elif fmt not in READERS:
        known = ", ".join(sorted(READERS))
        raise _fail("file_format", path, f"Onbekend formaat '{fmt}'. Kies een van: {known}.",
                    f"Unknown format '{fmt}'. Choose one of: {known}.")
    options = ReadOptions(sheet=sheet, encoding=encoding, sep=sep, decimal=decimal)
    try:
        df = READERS[fmt](path, options)
    except KlantladderError:
        raise
    except MemoryError:
        raise
    except Exception as exc:  # any library error becomes a plain-words finding
        nl, en = _plain_reason(exc, fmt)
        setting = _wrong_setting(path, exc, fmt if given_fmt else None, encoding)
        if setting is not None:
            raise _fail("unreadable_file", path, *setting) from exc
        line = re.search(r"in line (\d+),", str(exc))
        rows = (int(line.group(1)),) if line else ()
        raise _fail("unreadable_file", path, nl, en, rows) from exc
    attrs = dict(df.attrs)
    if header_rows:
        extra = df.iloc[:header_rows]
        attrs["extra_header"] = [["" if pd.isna(v) else str(v) for v in row] for row in extra.itertuples(index=False)]
        df = df.iloc[header_rows:]
        df.index = df.index - header_rows  # rows keep their place below the header rows
    if len(df.columns) == 0 or len(df) == 0:
        hint = sheet_hint(attrs, "'sheet'") if sheet is None else ("", "")
        raise _fail("empty_file", path,
                    "Het bestand heeft geen gegevensrijen, alleen een kop. Exporteer het opnieuw, met de antwoorden."
                    + hint[0],
                    "The file has no data rows, only a header. Export it again, with the responses." + hint[1])
    if decimal is not None:
        attrs["decimal"] = decimal
    attrs.setdefault("decimal", ".")
    attrs.setdefault("findings", [])
    attrs.update(format=fmt, file=path.name)
    df.attrs = attrs
    return df


def separator_hint(columns: Sequence[object], sep: str | None) -> tuple[str, str]:
    """A sentence (nl, en) for a CSV whose header was read as one column holding another
    separator (a wrong ``sep`` in client.yaml), or empty strings."""
    if sep is None or len(columns) != 1:
        return "", ""
    found = [s for s in _SEPARATORS if s != sep and s in str(columns[0])]
    if not found:
        return "", ""
    name = {"\t": "\\t"}.get(found[0], found[0])
    was = {"\t": "\\t"}.get(sep, sep)
    return (f" De kop is als één kolom gelezen: het scheidingsteken is waarschijnlijk '{name}', niet '{was}'. "
            f"Zet sep: \"{name}\" in client.yaml, of haal 'sep' weg (het wordt dan herkend).",
            f" The header was read as one column: the separator is probably '{name}', not '{was}'. "
            f"Set sep: \"{name}\" in client.yaml, or remove 'sep' (it is then recognised).")


def _wrong_setting(path: Path, exc: Exception, fmt: str | None, encoding: str | None) -> tuple[str, str] | None:
    """The message for a file that failed because of a ``format`` or ``encoding`` set in
    client.yaml (the file is fine as it is), or None when no setting explains the failure."""
    if fmt is not None:
        try:
            detected = detect_format(path)
        except KlantladderError:
            detected = None
        if detected is not None and detected != fmt:
            (set_nl, set_en), (is_nl, is_en) = _label(fmt), _label(detected)
            return (f"'format: {fmt}' staat in client.yaml, maar het bestand is geen {set_nl.removeprefix('een ')}: "
                    f"het is {is_nl}. Haal 'format' weg (het formaat wordt dan herkend) of zet 'format: {detected}'.",
                    f"'format: {fmt}' is set in client.yaml, but the file is not {set_en}: it is {is_en}. Remove "
                    f"'format' (the format is then recognised) or set 'format: {detected}'.")
    if encoding is not None and isinstance(exc, UnicodeError):
        return (f"Het bestand is niet te lezen in de tekenset '{encoding}' die in client.yaml staat ({exc}). Haal "
                "'encoding' weg (de tekenset wordt dan herkend) of zet de juiste, zoals utf-8 of cp1252.",
                f"The file cannot be read in the encoding '{encoding}' set in client.yaml ({exc}). Remove "
                "'encoding' (the encoding is then recognised) or set the right one, such as utf-8 or cp1252.")
    return None


def _plain_reason(exc: Exception, fmt: str) -> tuple[str, str]:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    text = re.sub(r"^Error tokenizing data\. C error: ", "", text)
    if isinstance(exc, UnicodeDecodeError):
        return (f"De tekst is niet in de tekenset {exc.encoding} geschreven (byte {exc.object[exc.start]:#04x}). "
                f"Zet 'encoding' in client.yaml (bijvoorbeeld utf-8 of cp1252).",
                f"The text is not in the {exc.encoding} encoding (byte {exc.object[exc.start]:#04x}). "
                f"Set 'encoding' in client.yaml (for example utf-8 or cp1252).")
    if isinstance(exc, LookupError) and "encoding" in text:
        return (f"Onbekende tekenset ({text}). Gebruik bijvoorbeeld utf-8, cp1252 of latin-1 bij 'encoding' "
                f"in client.yaml.",
                f"Unknown encoding ({text}). Use for example utf-8, cp1252 or latin-1 under 'encoding' "
                f"in client.yaml.")
    m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
    if m:
        exp, line, saw = m.groups()
        return (f"Regel {line} heeft {saw} velden waar de kop er {exp} heeft. Controleer het scheidingsteken "
                f"en de aanhalingstekens op die regel.",
                f"Line {line} has {saw} fields where the header has {exp}. Check the separator and the quotes "
                f"on that line.")
    m = re.search(r"EOF inside string starting at row (\d+)", text)
    if m:
        return (f"Een aanhalingsteken op rij {m.group(1)} wordt nooit gesloten. Controleer de aanhalingstekens.",
                f"A quote opened on row {m.group(1)} is never closed. Check the quotes.")
    if isinstance(exc, (zipfile.BadZipFile, KeyError)) and fmt == "xlsx":
        return ("Het Excel-bestand is beschadigd of onvolledig. Open het in Excel en sla het opnieuw op.",
                "The Excel file is damaged or incomplete. Open it in Excel and save it again.")
    what_nl, what_en = _label(fmt)
    return (f"Het bestand kon niet gelezen worden als {what_nl}: het is beschadigd of onvolledig ({text[:160]}). "
            f"Exporteer het opnieuw.",
            f"The file could not be read as {what_en}: it is damaged or incomplete ({text[:160]}). "
            f"Export it again.")


# --------------------------------------------------------------------------------------------- CSV

def _detect_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return "cp1252"


def _records(text: str, sep: str, limit: int = 200) -> list[list[str]]:
    out = []
    try:
        for rec in csv.reader(io.StringIO(text, newline=None), delimiter=sep):
            out.append(rec)
            if len(out) >= limit:
                break
    except csv.Error:
        pass
    return out


def _sniff_sep(text: str) -> str:
    best, best_key = ",", (0.0, 0)
    for sep in _SEPARATORS:
        recs = [r for r in _records(text, sep, 50) if r]
        if not recs:
            continue
        # The most common number of fields: a title line above the header does not decide it.
        n = Counter(len(r) for r in recs).most_common(1)[0][0]
        if n < 2:
            continue
        consistency = sum(len(r) == n for r in recs) / len(recs)
        key = (round(consistency, 2), n)
        if key > best_key:
            best, best_key = sep, key
    return best


_COMMA_DEC = re.compile(r"[+-]?\d*,\d+|[+-]?\d{1,3}(\.\d{3})+,\d+")
_DOT_DEC = re.compile(r"[+-]?\d*\.\d+|[+-]?\d{1,3}(,\d{3})+\.\d+")
_AMBIG_3 = re.compile(r"[+-]?\d{1,3}[.,]\d{3}")


def _sniff_decimal(text: str, sep: str) -> str:
    comma = dot = 0
    for rec in _records(text, sep)[1:]:
        for cell in rec:
            cell = cell.strip()
            if _AMBIG_3.fullmatch(cell):
                continue
            if _COMMA_DEC.fullmatch(cell):
                comma += 1
            elif _DOT_DEC.fullmatch(cell):
                dot += 1
    if comma != dot:
        return "," if comma > dot else "."
    return "," if sep == ";" else "."


def _clean_names(names: Iterable[Any]) -> list[str]:
    out: list[str] = []
    seen: Counter[str] = Counter()
    for name in names:
        name = str(name).lstrip("\ufeff").strip()
        if seen[name]:
            new = f"{name}.{seen[name]}"
            while new in seen:
                seen[name] += 1
                new = f"{name}.{seen[name]}"
            seen[new] += 1
            seen[name] += 1
            name = new
        else:
            seen[name] += 1
        out.append(name)
    return out


def _duplicate_warning(path: Path, header: list[str]) -> list[Finding]:
    dup = sorted({h for h, c in Counter(h.strip() for h in header).items() if c > 1 and h.strip()})
    if not dup:
        return []
    names = ", ".join(repr(d) for d in dup)
    renamed = ", ".join(repr(f"{d}.1") for d in dup)
    return [_finding("duplicate_columns", path,
                     f"Kolomnamen komen dubbel voor: {names}. De tweede heet nu {renamed} en telt niet mee, "
                     f"tenzij u hem koppelt in client.yaml. Geef elke kolom een eigen naam.",
                     f"Column names occur twice: {names}. The second is now called {renamed} and does not "
                     f"count unless you map it in client.yaml. Give every column its own name.",
                     level="warning", column=", ".join(dup))]


#: A title block above the header is looked for in this many rows at most.
_TITLE_MAX_ROWS = 20

UNNAMED = re.compile(r"Unnamed: (\d+)")
"""The name a column gets whose header cell is empty: ``Unnamed: 1`` for the second column."""


def _cells(row: Sequence[Any]) -> list[str]:
    """The filled cells of a row, as text."""
    return [str(v).strip() for v in row if v is not None and str(v).strip() != ""]


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "."))
    except ValueError:
        return False
    return True


def _title_rows(rows: Sequence[Sequence[Any]]) -> int:
    """How many of the first ``rows`` are a title block above the header (0 when there is none).

    Reports exported from survey and ticket tools often start with a title, a period or a
    filter line ("Klanttevredenheid Q3 2026") and a blank line before the header. The header is
    the first row with at least three filled cells, at least half as many as the fullest of
    these rows, and names rather than numbers in most of them. Above it: at most
    :data:`_TITLE_MAX_ROWS` rows of at most two filled cells each, not only numbers (not data),
    at least one of them a single cell (a title). A table of one or two columns is never taken
    to have a title.
    """
    cells = [_cells(r) for r in rows]
    if not cells:
        return 0
    need = max(3, -(-max(len(c) for c in cells) // 2))
    for k, row in enumerate(cells[:_TITLE_MAX_ROWS + 1]):
        if len(row) >= need:
            above = [c for c in cells[:k] if c]
            names = sum(not _is_number(v) for v in row)
            title = (k > 0 and any(len(c) == 1 for c in above) and names * 2 > len(row)
                     and not any(all(_is_number(v) for v in c) for c in above))
            return k if title else 0
        if len(row) > 2:
            return 0
    return 0


def _title_warning(path: Path, rows: Sequence[Sequence[Any]], k: int) -> Finding:
    from .privacy import mask_text  # a title may name a person: "Rapport voor J. Jansen, 06-12345678"

    title = mask_text(" / ".join(v for r in rows[:k] for v in _cells(r)))
    title = title if len(title) <= 80 else title[:77] + "..."
    return _finding("title_rows", path,
                    f"De kop staat op rij {k + 1}: de {k} rij(en) erboven ({title!r}) zijn als titel overgeslagen. "
                    "Klopt dat niet, haal die rijen dan weg uit de export.",
                    f"The header is on row {k + 1}: the {k} row(s) above it ({title!r}) were skipped as a title. "
                    "If that is wrong, remove those rows from the export.", level="warning")


def _drop_empty_unnamed(df: pd.DataFrame) -> pd.DataFrame:
    drop = [c for c in df.columns if str(c).startswith("Unnamed: ") and df[c].isna().all()]
    return df.drop(columns=drop) if drop else df


def _read_csv(path: Path, opts: ReadOptions) -> pd.DataFrame:
    with open(path, "rb") as fh:
        head = fh.read(_HEAD_BYTES)
        at_end = not fh.read(1)
    encoding = opts.encoding or _detect_encoding(head)
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=at_end)
    text = text.lstrip("\ufeff")
    if not at_end and "\n" in text:
        text = text[: text.rfind("\n") + 1]
    if not text.strip():
        raise _fail("empty_file", path, "Het bestand bevat alleen witruimte. Exporteer de gegevens opnieuw.",
                    "The file contains only white space. Export the data again.")
    sep = opts.sep or _sniff_sep(text)
    head_records = _records(text, sep, 50)
    multiline = any("\n" in v or "\r" in v for r in head_records[:_TITLE_MAX_ROWS + 1] for v in r)
    title = 0 if multiline else _title_rows(head_records)  # each record a line: so many lines to skip
    findings = [_title_warning(path, head_records, title)] if title else []
    for _ in range(title):
        text = text[text.find("\n") + 1:]
    decimal = opts.decimal or _sniff_decimal(text, sep)
    # Blank lines are read as empty rows and dropped below, so each row keeps its place in the file.
    kwargs = dict(sep=sep, dtype=str, keep_default_na=False, na_values=[""], engine="c", skip_blank_lines=False,
                  skiprows=title)
    try:
        df = pd.read_csv(path, encoding=encoding, **kwargs)
    except UnicodeDecodeError:
        if opts.encoding or encoding != "utf-8":
            raise
        encoding = "cp1252"  # valid UTF-8 at the start, not further on: a Windows export
        df = pd.read_csv(path, encoding=encoding, **kwargs)
    except pd.errors.EmptyDataError:
        raise _fail("empty_file", path, "Het bestand heeft geen kop en geen gegevens. Exporteer het opnieuw.",
                    "The file has no header and no data. Export it again.") from None
    header = _records(text, sep, 1)
    findings += _duplicate_warning(path, header[0]) if header else []
    df.columns = _clean_names(df.columns)
    if title:  # each row's place below the header row, counted from the top of the file
        df.index = pd.RangeIndex(title, title + len(df))
    df, repeated = _drop_repeated_headers(_drop_empty_rows(_drop_empty_unnamed(df)), path)
    df.attrs.update(encoding=encoding, sep=sep, decimal=decimal, header_row=title + 1, findings=findings + repeated)
    return df


def _drop_repeated_headers(df: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, list[Finding]]:
    """Rows that repeat the header (two exports pasted one below the other) are no data: dropped,
    with one warning naming them (rule ``repeated_header``) instead of a complaint per column.

    A row repeats the header when at least two of its cells, and four in five of its filled ones,
    hold their column's name (any case). Only rows whose first filled cell names its column are
    looked at closely, so a long file costs one comparison of one column."""
    if len(df.columns) < 2 or len(df) == 0:
        return df, []
    first = df.iloc[:, 0].astype("string").str.strip().str.casefold()
    maybe = np.flatnonzero((first == str(df.columns[0]).casefold()).to_numpy(dtype=bool, na_value=False))
    if maybe.size == 0:
        return df, []
    cand = df.iloc[maybe]
    same = np.zeros(len(cand), dtype=int)
    filled = np.zeros(len(cand), dtype=int)
    for c in df.columns:
        text = cand[c].astype("string").str.strip().str.casefold()
        same += (text == str(c).split(".")[0].casefold()).to_numpy(dtype=bool, na_value=False)
        filled += text.notna().to_numpy(dtype=bool)
    repeat = (same >= 2) & (same * 5 >= filled * 4)
    if not repeat.any():
        return df, []
    drop = cand.index[repeat]
    rows = tuple(int(i) + 2 for i in drop)
    f = _finding("repeated_header", path,
                 "de kopregel staat nog eens tussen de gegevens (twee exports onder elkaar geplakt?); die rijen "
                 "zijn geen gegevens en tellen niet mee.",
                 "the header row occurs again among the data (two exports pasted one below the other?); those "
                 "rows are no data and do not count.", level="warning")
    return df.drop(index=drop), [Finding(**{**f.__dict__, "rows": rows[:5], "count": len(rows)})]


def _drop_empty_rows(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` without its entirely empty rows (blank lines, a row of separators, an empty sheet
    row); the others keep their index: their place below the header, so messages name the row a
    spreadsheet shows."""
    if len(df.columns) == 0:
        return df
    empty = df.isna().all(axis=1).to_numpy()
    return df[~empty] if empty.any() else df


# -------------------------------------------------------------------------------------------- XLSX

def _cell_text(v: Any, date_only: bool) -> str | None:
    if v is None:
        return None
    if isinstance(v, str):
        return v if v != "" else None
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if v != v:
            return None
        return str(int(v)) if v.is_integer() and abs(v) < 1e16 else repr(v)
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if date_only else v.isoformat(sep=" ")
    if isinstance(v, dt.date):  # a date cell; among dates with times it is their midnight
        return v.isoformat() if date_only else f"{v.isoformat()} 00:00:00"
    if isinstance(v, dt.time):
        return v.isoformat()
    if isinstance(v, dt.timedelta):
        secs = int(round(v.total_seconds()))
        return f"{secs // 3600}:{secs % 3600 // 60:02d}:{secs % 60:02d}"
    return str(v)


_ROW_TAG = re.compile(rb"<(?:\w+:)?row\b([^>]*)>")
_HIDDEN = re.compile(rb"""\bhidden=["'](?:1|true)["']""")
_ROW_NUMBER = re.compile(rb"""\br=["'](\d+)["']""")
_UNSAVED_FORMULA = re.compile(rb"(?:</f>|<f\b[^>]*/>)\s*(?:<v\s*/>|<v>\s*</v>)?\s*</c>")
_ERROR_CELL = re.compile(rb"""<(?:\w+:)?c\b(?=[^>]*\bt=["']e["'])[^>]*\br=["'][A-Z]+(\d+)["']""")


@dataclass(frozen=True)
class _SheetFacts:
    """What the cell values do not tell about a sheet (see :func:`_sheet_facts`)."""

    hidden: tuple[int, ...] = ()  # rows hidden by a filter or by hand, as Excel numbers them
    errors: tuple[int, ...] = ()  # rows with an error cell (#DIV/0!, #VALUE!, ...), one entry per cell
    unsaved: bool = False  # formulas whose results were never saved


def _sheet_facts(path: Path, sheet: str) -> _SheetFacts:
    """From the XML of the sheet named ``sheet``: its hidden rows, its error cells (the cell
    reader gives both as ordinary or empty cells) and whether it holds formulas whose results were
    never saved (a file written by a program, not by Excel: such cells read as empty). A sheet
    without any of these costs one pass of decompression.
    """
    hidden: list[int] = []
    errors: list[int] = []
    unsaved = False
    tail = b""
    try:
        with zipfile.ZipFile(path) as z:
            sheet_xml = _sheet_paths(z).get(sheet)
            if not sheet_xml:
                return _SheetFacts()
            xml = z.open(sheet_xml)
            with xml:
                while chunk := xml.read(1 << 22):
                    data = tail + chunk
                    cut = data.rfind(b"<")  # a tag split by the chunk boundary is searched with the next chunk
                    cut = cut if cut > 0 else len(data)
                    if data.find(b"hidden", 0, cut) >= 0:
                        for m in _ROW_TAG.finditer(data, 0, cut):
                            number = _ROW_NUMBER.search(m.group(1))
                            if _HIDDEN.search(m.group(1)) and number:
                                hidden.append(int(number.group(1)))
                    errors.extend(int(m.group(1)) for m in _ERROR_CELL.finditer(data, 0, cut))
                    unsaved = unsaved or _UNSAVED_FORMULA.search(data, 0, cut) is not None
                    tail = data[cut:]
    except (KeyError, OSError, zipfile.BadZipFile):
        return _SheetFacts()
    return _SheetFacts(tuple(hidden), tuple(errors), unsaved)


def _sheet_paths(z: zipfile.ZipFile) -> dict[str, str]:
    """Each sheet's name and the path of its XML inside the workbook ``z`` (from
    ``xl/workbook.xml`` and its relationships); empty when the workbook does not say."""
    import xml.etree.ElementTree as ET

    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    try:
        book = ET.fromstring(z.read("xl/workbook.xml"))
        rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ET.ParseError):
        return {}
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    out = {}
    for sheet in book.iter(f"{main}sheet"):
        target = targets.get(sheet.get(f"{rel}id"), "")
        if target:
            out[sheet.get("name", "")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return out


def sheet_hint(attrs: Mapping[str, Any], setting: str) -> tuple[str, str]:
    """A hint (nl, en) for a workbook read from its first sheet while it has others (``attrs`` of
    :func:`read_table`): exports often open with a sheet of explanations. ``setting`` names the
    client.yaml key that picks a sheet. Empty when the workbook has one sheet."""
    others = attrs.get("other_sheets") or []
    if not others:
        return "", ""
    listed = ", ".join(repr(n) for n in others[:5])
    return (f" Gelezen is het eerste werkblad, {attrs.get('sheet')!r}; de werkmap heeft ook {listed}. Staan de "
            f"gegevens daar, zet dan de naam bij {setting} in client.yaml.",
            f" The first sheet, {attrs.get('sheet')!r}, was read; the workbook also has {listed}. If the data are "
            f"there, put its name under {setting} in client.yaml.")


def _sheet_findings(path: Path, facts: _SheetFacts, header_row: int, last_row: int,
                    empty: list[str]) -> list[Finding]:
    """Rules ``excel_errors``, ``hidden_rows`` and ``formulas_without_values`` for a sheet whose
    header is on ``header_row`` and data end on ``last_row`` (Excel numbers); ``empty``: the named
    columns without a single value."""
    findings: list[Finding] = []
    hidden = [r for r in facts.hidden if header_row < r <= last_row]
    errors = [r for r in facts.errors if header_row < r <= last_row]
    if errors:
        rows_with = sorted(set(errors))
        findings.append(_finding(
            "excel_errors", path,
            f"{len(errors)} cel(len) bevatten een Excel-fout (zoals #DEEL/0!, #WAARDE!, #N/B): ze tellen als "
            "ontbrekend. Herstel de formules in het werkblad als die antwoorden mee moeten tellen.",
            f"{len(errors)} cell(s) hold an Excel error (such as #DIV/0!, #VALUE!, #N/A): they count as "
            "missing. Mend the formulas in the sheet if those answers should count.",
            level="warning", rows=tuple(rows_with[:5]), count=len(rows_with)))
    if hidden:
        findings.append(_finding(
            "hidden_rows", path,
            f"{len(hidden)} rij(en) zijn in Excel verborgen (door een filter of met 'Verbergen'); ze zijn "
            "gelezen en tellen mee zoals de andere. Horen ze er niet bij (testantwoorden, een andere "
            "periode), verwijder ze dan uit het werkblad.",
            f"{len(hidden)} row(s) are hidden in Excel (by a filter or with 'Hide'); they were read and "
            "count like the others. If they do not belong (test responses, another period), delete them "
            "from the sheet.",
            level="warning", rows=tuple(hidden[:5]), count=len(hidden)))
    if facts.unsaved and empty:
        shown = ", ".join(repr(c) for c in empty[:5])
        findings.append(_finding(
            "formulas_without_values", path,
            f"Het werkblad bevat formules waarvan de uitkomst niet in het bestand is opgeslagen (het is door een "
            f"programma gemaakt, niet door Excel bewaard); kolom(men) {shown} zijn daardoor leeg. Open het bestand "
            f"in Excel of LibreOffice, sla het op en probeer opnieuw.",
            f"The sheet holds formulas whose results were never saved in the file (it was made by a program, not "
            f"saved by Excel), so column(s) {shown} read as empty. Open the file in Excel or LibreOffice, save it "
            f"and try again.", level="warning", column=", ".join(empty)))
    return findings


def _sheet_name(path: Path, names: list[str], sheet: str | int | None) -> str:
    """The sheet to read: ``sheet`` (a name, in any capitals, or a 0-based index) or the first."""
    if sheet is None:
        name = names[0] if names else None
    elif isinstance(sheet, int) and not isinstance(sheet, bool):
        name = names[sheet] if 0 <= sheet < len(names) else None
    else:
        match = [n for n in names if n.strip().lower() == str(sheet).strip().lower()]
        name = match[0] if match else None
    if name is None:
        listed = ", ".join(repr(n) for n in names)
        raise InputError({"nl": f"{path.name}: werkblad niet gevonden.", "en": f"{path.name}: sheet not found."},
                         [_finding("missing_sheet", path,
                                   f"Werkblad {sheet!r} bestaat niet. Dit bestand heeft: {listed}. Zet de "
                                   f"juiste naam bij 'sheet' in client.yaml.",
                                   f"Sheet {sheet!r} does not exist. This file has: {listed}. Put the right "
                                   f"name under 'sheet' in client.yaml.")])
    return name


def _read_xlsx(path: Path, opts: ReadOptions) -> pd.DataFrame:
    """An Excel workbook's sheet, read with calamine (compiled: a sheet of 100,000 rows in about
    a second, twenty times faster than a streaming reader in Python), from cell A1 on, so that
    rows keep the numbers Excel shows."""
    from python_calamine import CalamineWorkbook

    with open(path, "rb") as fh:  # a file object: the format is taken from the content, not the name
        wb = CalamineWorkbook.from_filelike(fh)
        names = list(wb.sheet_names)
        name = _sheet_name(path, names, opts.sheet)
        rows = [list(r) for r in wb.get_sheet_by_name(name).to_python(skip_empty_area=False)]
    facts = _sheet_facts(path, name)
    while rows and all(v is None or v == "" for v in rows[-1]):
        rows.pop()
    skipped = 0  # empty rows above the header
    while rows and all(v is None or v == "" for v in rows[0]):
        rows.pop(0)
        skipped += 1
    if not rows:
        raise _fail("empty_file", path, f"Werkblad '{name}' is leeg. Kies het goede werkblad of exporteer opnieuw.",
                    f"Sheet '{name}' is empty. Choose the right sheet or export again.")
    title = _title_rows(rows[:50])
    findings = [_title_warning(path, rows, title)] if title else []
    rows, skipped = rows[title:], skipped + title
    width = max(len(r) for r in rows)
    header, body = rows[0] + [None] * (width - len(rows[0])), rows[1:]
    columns: dict[str, pd.Series] = {}
    names_out = _clean_names(f"Unnamed: {i}" if h is None or str(h).strip() == "" else _cell_text(h, False)
                             for i, h in enumerate(header))
    date_columns = []
    for i, col in enumerate(names_out):
        raw = [r[i] if i < len(r) else None for r in body]
        stamps = [v for v in raw if isinstance(v, dt.date)]  # a date cell (dt.date) or a date and time
        if stamps:
            date_columns.append(col)
        date_only = bool(stamps) and all(not isinstance(v, dt.datetime) or v.time() == dt.time(0) for v in stamps)
        columns[col] = pd.Series([_cell_text(v, date_only) for v in raw], dtype="str")
    empty = [c for c, values in columns.items() if not c.startswith("Unnamed: ") and values.isna().all()]
    findings += _sheet_findings(path, facts, skipped + 1, skipped + len(rows), empty)
    df = pd.DataFrame(columns, index=pd.RangeIndex(len(body)))
    df.index = pd.RangeIndex(skipped, skipped + len(body))  # each row's place below the header row
    df, repeated = _drop_repeated_headers(_drop_empty_rows(_drop_empty_unnamed(df)), path)
    header_text = ["" if h is None else str(h) for h in header]
    df.attrs.update(sheet=name, other_sheets=[n for n in names if n != name], decimal=".", header_row=skipped + 1,
                    date_columns=date_columns, findings=findings + _duplicate_warning(path, header_text) + repeated)
    return df


# -------------------------------------------------------------------------------------- parquet/sav

def _empty_to_na(df: pd.DataFrame) -> pd.DataFrame:
    """Text columns as pandas ``str`` dtype with empty strings missing; other columns untouched."""
    for col in df.columns:
        s = df[col]
        if s.dtype == object:
            if not s.map(lambda v: v is None or isinstance(v, str) or (isinstance(v, float) and v != v)).all():
                continue
            s = s.astype("str")
        if isinstance(s.dtype, pd.StringDtype):
            df[col] = s.mask(s.eq("").fillna(False).astype(bool))
    return df


def _read_parquet(path: Path, opts: ReadOptions) -> pd.DataFrame:
    """A Parquet file with its own types; date columns become ``datetime64`` (not Python objects)."""
    import pyarrow.parquet as pq

    df = pq.read_table(path).to_pandas(date_as_object=False)
    df.columns = _clean_names(df.columns)
    df = _empty_to_na(df)
    df.attrs = {"decimal": "."}
    return df


def _is_category_labels(values: pd.Series, labels: dict[Any, str]) -> bool:
    """True if a column's value labels name categories (apply them), not scale points (keep numbers)."""
    from .presets import is_missing_text, likert_to_number

    texts = pd.Series([str(t) for t in labels.values()], dtype="str")
    real = texts[~texts.map(is_missing_text).astype(bool)]
    if real.empty or not pd.api.types.is_numeric_dtype(values.dtype):
        return False
    nums, bad = likert_to_number(real, scale_max=7)
    if nums.notna().any():  # scale anchors or numbers
        return False
    present = pd.unique(values.dropna())
    keys = {float(k) for k in labels}
    return all(float(v) in keys for v in present)


def _read_sav(path: Path, opts: ReadOptions) -> pd.DataFrame:
    import pyreadstat

    kwargs: dict[str, Any] = {"apply_value_formats": False, "dates_as_pandas_datetime": True}
    if opts.encoding:
        kwargs["encoding"] = opts.encoding
    df, meta = pyreadstat.read_sav(str(path), **kwargs)
    labels = {col: dict(lab) for col, lab in (meta.variable_value_labels or {}).items()}
    df = _empty_to_na(df)
    for col, lab in labels.items():
        if col in df.columns and _is_category_labels(df[col], lab):
            mapping = {float(k): str(v) for k, v in lab.items()}
            df[col] = pd.Series(df[col].map(mapping), dtype="str")
    df.attrs = {"decimal": ".", "value_labels": labels,
                "column_labels": dict(zip(meta.column_names, meta.column_labels or []))}
    return df


register_reader("csv", _read_csv, [".csv", ".txt", ".tsv"])
register_reader("xlsx", _read_xlsx, [".xlsx", ".xlsm"], [b"PK\x03\x04"])
register_reader("parquet", _read_parquet, [".parquet", ".pq"], [b"PAR1"])
register_reader("sav", _read_sav, [".sav", ".zsav"], [b"$FL2", b"$FL3"])


# ------------------------------------------------------------------------------------------ numbers

_NUM = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"
_THOUSANDS = {",": r"^[+-]?[0-9]{1,3}(?:\.[0-9]{3})+(?:,[0-9]+)?$",
              ".": r"^[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?$"}
_OTHER_DEC = r"^[+-]?[0-9]*,[0-9]+$"
_SPACE_GROUPS = "^[+-]?[0-9]{1,3}(?:[ \u00a0\u202f][0-9]{3})+(?:[.,][0-9]+)?$"


def _parse_numbers(arr: pa.Array, decimal: str) -> np.ndarray:
    """Float values of stripped text ``arr`` (NaN where not a number), with pyarrow kernels."""
    spaced = pc.match_substring_regex(arr, _SPACE_GROUPS)
    arr = pc.if_else(spaced, pc.replace_substring_regex(arr, "[ \u00a0\u202f]", ""), arr)
    thousands = pc.match_substring_regex(arr, _THOUSANDS[decimal])
    if decimal == ",":
        plain = pc.replace_substring(pc.replace_substring(arr, ".", ""), ",", ".")
    else:
        plain = pc.replace_substring(arr, ",", "")
    arr = pc.if_else(thousands, plain, arr)
    comma = pc.and_(pc.invert(thousands), pc.match_substring_regex(arr, _OTHER_DEC))
    arr = pc.if_else(comma, pc.replace_substring(arr, ",", "."), arr)
    ok = pc.match_substring_regex(arr, _NUM)
    values = pc.cast(pc.if_else(ok, arr, pa.scalar(None, arr.type)), pa.float64())
    return np.array(values.to_numpy(zero_copy_only=False), dtype=np.float64)  # writable copy


_FEW = 64  # distinct values read one by one when they are all plain digits


def to_number(series: pd.Series, decimal: str = ".") -> tuple[pd.Series, pd.Series]:
    """Convert text cells to floats.

    Returns ``(values, bad)``: float64 values (NaN where empty or not a number) and a boolean mask of
    cells that were non-empty but not numbers. Accepted: ``3``, ``-3.5``, ``1e3``, ``3,5``, thousands
    groups for the given ``decimal`` (``1.234,5`` with ``","``; ``1,234.5`` with ``"."``; ``1 234``).
    ``decimal`` decides only the ambiguous cases (``1.234`` is 1234 when ``decimal=","``); an
    unambiguous ``3,5`` or ``3.5`` parses either way. Empty, white-space and the
    :data:`MISSING_MARKERS` (``NA``, ``#N/A``, ``NULL``...) are missing, not bad; human text such
    as ``n.v.t.`` is bad. Numeric input passes through; works on the unique values, so it is fast
    on large columns.
    """
    if decimal not in (",", "."):
        raise ValueError(f"decimal must be ',' or '.', not {decimal!r}")
    if pd.api.types.is_bool_dtype(series.dtype) or pd.api.types.is_numeric_dtype(series.dtype):
        values = series.astype("float64")
        return values, pd.Series(False, index=series.index, name=series.name)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    u = pd.Series(uniques, dtype="str") if len(uniques) else pd.Series([], dtype="str")
    u = u.str.strip()
    empty = (u.isna() | u.eq("") | u.str.upper().isin(MISSING_MARKERS)).to_numpy(dtype=bool)
    present = u[~empty].tolist() if len(u) <= _FEW else None
    if present is not None and all(v.isascii() and v.isdigit() for v in present):
        # a few distinct whole numbers (answers on a scale): no pattern to match
        vals = np.full(len(u), np.nan)
        vals[~empty] = [float(v) for v in present]
    else:
        vals = _parse_numbers(pa.array(u, type=pa.string()), decimal)
        vals[empty] = np.nan
    bad_u = ~empty & np.isnan(vals)
    valid = codes >= 0
    values = np.full(len(series), np.nan)
    values[valid] = vals[codes[valid]]
    bad = np.zeros(len(series), dtype=bool)
    bad[valid] = bad_u[codes[valid]]
    return (pd.Series(values, index=series.index, name=series.name),
            pd.Series(bad, index=series.index, name=series.name))


# -------------------------------------------------------------------------------------------- dates

DATE_FORMS = ("format", "iso_offset", "iso_local", "day_month", "excel_serial")
"""The forms :func:`to_datetime` recognises in a cell (see :class:`DateParse`)."""
EARLIEST_YEAR, LATEST_YEAR = 1900, 2199
"""Dates outside these years are not dates of a customer's life (``9999-12-31`` means "no end")."""

_ISO_RE = (r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]+)?)?)?"
           r"\s*(?:[zZ]|[+-][0-9]{2}(?::?[0-9]{2})?)?$")
_OFFSET_RE = r"[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]+)?)?\s*(?:[zZ]|[+-][0-9]{2}(?::?[0-9]{2})?)$"
_DM_RE = (r"^(?P<a>[0-9]{1,2})(?P<sep>[-./])(?P<b>[0-9]{1,2})[-./](?P<y>[0-9]{4})"
          r"(?:[ T]+(?P<H>[0-9]{1,2}):(?P<M>[0-9]{2})(?::(?P<S>[0-9]{2}))?\s*(?P<p>[AaPp]\.?[Mm]\.?)?)?$")
_SERIAL_RE = r"^[2-7][0-9]{4}(?:[.,][0-9]+)?$"  # Excel day numbers 20000-79999: 1954-2118
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")


@dataclass
class DateParse:
    """What :func:`to_datetime` made of a column.

    ``values`` are UTC timestamps (``datetime64[ns, UTC]``; a column that already was of a datetime
    type keeps its unit, such as Parquet's milliseconds), NaT where empty or unreadable.
    ``bad``: non-empty cells that are no date in any accepted form. ``forms``: per form in
    :data:`DATE_FORMS`, the cells read in that form. ``dst``: local times that fall in a
    daylight-saving change (an hour that does not exist is moved forward, one that occurs twice is
    read as its first occurrence). ``out_of_range``: dates before 1900 or after 2199 (NaT).
    ``day_first`` / ``month_first``: cells that can only be day/month/year (``25/05/2026``) or
    month/day/year (``05/25/2026``). ``order``: how day-month cells were read: ``"dmy"``,
    ``"mdy"``, ``"ambiguous"`` (slash dates with no evidence either way: left unread, NaT, and
    not in ``bad``) or ``"conflict"`` (evidence both ways: left unread), ``None`` if there were none.
    """

    values: pd.Series
    bad: pd.Series
    forms: dict[str, pd.Series]
    dst: pd.Series
    out_of_range: pd.Series
    day_first: pd.Series
    month_first: pd.Series
    order: str | None

    @property
    def unread(self) -> pd.Series:
        """Day-month cells left unread because their order is ambiguous or conflicting."""
        if self.order in ("ambiguous", "conflict"):
            return self.forms["day_month"]
        return pd.Series(False, index=self.values.index)


def text_array(values: pd.Series) -> pa.Array:
    """A text column as one Arrow ``string`` (or ``large_string``) array, stripped of surrounding
    white space, blank cells null (:func:`clean_text_chunks`, in one piece)."""
    chunks = clean_text_chunks(values)
    return chunks.combine_chunks() if chunks.num_chunks != 1 else chunks.chunk(0)


def clean_text_chunks(values: pd.Series) -> pa.ChunkedArray:
    """A text column as Arrow ``string`` (or ``large_string``) chunks, stripped of surrounding
    white space, blank cells null. Arrow-backed pandas text is read without a copy and cleaned
    chunk by chunk, as it is stored (no concatenation of millions of values); other columns go
    through pandas' ``string`` dtype."""
    chunks = text_chunks(values)
    text_type = chunks.type if pa.types.is_string(chunks.type) or pa.types.is_large_string(chunks.type) \
        else pa.string()
    return pa.chunked_array([_clean_text(chunk) for chunk in chunks.chunks], type=text_type)


def _clean_text(arr: pa.Array) -> pa.Array:
    """One chunk of :func:`clean_text_chunks`."""
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = arr.cast(pa.string())
    if len(arr) == 0:
        return arr
    if _edge_space(arr):
        arr = pc.utf8_trim_whitespace(arr)
    blank = np.diff(text_offsets(arr)) == 0
    if arr.null_count:
        blank &= np.asarray(arr.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    if not blank.any():
        return arr
    return pc.if_else(pa.array(blank), pa.scalar(None, arr.type), arr)


def text_chunks(values: pd.Series) -> pa.ChunkedArray:
    """A text column as Arrow text, chunked as it is stored: Arrow-backed pandas text without a
    copy; other columns through pandas' ``string`` dtype (missing stays missing)."""
    if not isinstance(values.dtype, pd.StringDtype):
        values = values.astype("string")
    array = values.array
    if hasattr(array, "__arrow_array__"):
        arrow = array.__arrow_array__()
    else:
        arrow = pa.array(np.asarray(values, dtype=object), type=pa.string(), from_pandas=True)
    return arrow if isinstance(arrow, pa.ChunkedArray) else pa.chunked_array([arrow])


def text_offsets(arr: pa.Array) -> np.ndarray:
    """The offsets of a ``string``/``binary`` (or ``large_``) array's values in its data buffer."""
    large = pa.types.is_large_string(arr.type) or pa.types.is_large_binary(arr.type)
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64 if large else np.int32)
    return offsets[arr.offset:arr.offset + len(arr) + 1]


def _edge_space(arr: pa.Array) -> bool:
    """Whether any value of a text array may start or end with white space (its first or last
    byte is a space, a control character or part of a non-ASCII character such as a no-break
    space): if not, stripping changes nothing and is skipped."""
    offsets = text_offsets(arr)
    if arr.buffers()[2] is None or offsets[-1] == offsets[0]:
        return False
    data = np.frombuffer(arr.buffers()[2], dtype=np.uint8)
    # An empty value reads a neighbour's byte instead: at worst a needless strip. Any control
    # character counts as space here: again at worst a needless strip.
    first = np.take(data, offsets[:-1], mode="clip")
    last = np.take(data, offsets[1:] - 1, mode="clip")
    return bool(((first <= 32) | (first >= 128)).any() or ((last <= 32) | (last >= 128)).any())


def _mask(index: pd.Index, values: Any = False) -> pd.Series:
    return pd.Series(values, index=index, dtype=bool)


def _arrow_text(text: pd.Series) -> pa.Array:
    arr = pa.array(text.astype("str"), from_pandas=True)
    return arr.cast(pa.string()) if arr.type != pa.string() else arr


def _np(arr: pa.Array) -> np.ndarray:
    return np.asarray(arr.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


#: Above this many rows, local times are converted per distinct value when values repeat a lot.
_DISTINCT_FROM = 100_000


def _localise(naive: pd.Series, timezone: str) -> tuple[pd.Series, pd.Series]:
    """Naive local times -> UTC; returns (values, mask of times in a daylight-saving change).

    A long column with few distinct values (dates, times rounded to the hour) is converted once
    per distinct value: the time-zone rules are the costly part.
    """
    naive = naive.astype("datetime64[ns]")
    if len(naive) > _DISTINCT_FROM:
        codes, uniques = pd.factorize(naive.to_numpy())  # NaT: -1
        if uniques.size * 8 < len(naive):
            values, dst = _localise(pd.Series(uniques), timezone)
            missing = codes < 0
            stamps = np.where(missing, np.iinfo(np.int64).min, values.array.asi8[codes])
            utc = pd.Series(pd.DatetimeIndex(stamps.view("datetime64[ns]")).tz_localize("UTC"), index=naive.index)
            return utc, pd.Series(dst.to_numpy()[codes] & ~missing, index=naive.index)
    local = naive.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="NaT")
    dst = naive.notna() & local.isna()
    if dst.any():
        fix = naive[dst].dt.tz_localize(timezone, ambiguous=np.ones(int(dst.sum()), dtype=bool),
                                        nonexistent=pd.Timedelta(hours=1))
        local = local.copy()
        local[dst] = fix
    return local.dt.tz_convert("UTC"), dst


def _to_utc_part(values: pd.Series, timezone: str) -> tuple[pd.Series, pd.Series]:
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC"), _mask(values.index)
    if values.dtype == object:  # a format with %z can give mixed offsets
        values = pd.to_datetime(values, utc=True, errors="coerce")
        return values, _mask(values.index)
    return _localise(values, timezone)


def _out_of_range(values: pd.Series) -> pd.Series:
    """Dates before :data:`EARLIEST_YEAR` or after :data:`LATEST_YEAR`, compared as the integers
    the timestamps are stored as (in their own unit; a missing one is the smallest integer)."""
    array = values.array
    tz = values.dt.tz
    lo, hi = (pd.Timestamp(year, 1, 1, tz=tz).as_unit(array.unit).asm8.view("i8")
              for year in (EARLIEST_YEAR, LATEST_YEAR + 1))
    stamps = array.asi8
    return pd.Series(((stamps < lo) & (stamps != np.iinfo(np.int64).min)) | (stamps >= hi), index=values.index)


def _day_month(parts: pa.StructArray, order: str, index: pd.Index) -> pd.Series:
    """Naive timestamps from extracted day-month parts, NaT where the parts are no valid time."""
    def num(name: str, default: float) -> np.ndarray:
        col = parts.field(name)
        col = pc.if_else(pc.equal(col, ""), pa.scalar(None, pa.string()), col)
        out = pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False)
        return np.where(np.isnan(out), default, out)

    a, b = num("a", np.nan), num("b", np.nan)
    day, month = (a, b) if order == "dmy" else (b, a)
    hour, minute, second = num("H", 0), num("M", 0), num("S", 0)
    ampm = pc.utf8_lower(pc.replace_substring(parts.field("p"), ".", "")).to_numpy(zero_copy_only=False)
    pm, am = ampm == "pm", ampm == "am"
    bad = ((am | pm) & ((hour < 1) | (hour > 12))) | (hour > 23) | (minute > 59) | (second > 59)
    hour = np.where(pm & (hour < 12), hour + 12, np.where(am & (hour == 12), 0, hour))
    year = np.where(bad, np.nan, num("y", np.nan))  # pandas would carry 25:70 into the next day
    frame = pd.DataFrame({"year": year, "month": month, "day": day, "hour": hour,
                          "minute": minute, "second": second}, index=index)
    return pd.to_datetime(frame, errors="coerce")


def to_datetime(series: pd.Series, *, date_format: str | None = None, timezone: str = "Europe/Amsterdam",
                order: str | None = None) -> DateParse:
    """Parse a column of dates/times to UTC, saying how every cell was read.

    Accepted forms, per cell:

    * ``date_format`` (a ``strftime`` pattern such as ``"%m/%d/%Y %I:%M:%S %p"``) when given;
    * ISO 8601 (``2026-05-03``, ``2026-05-03 14:05``, ``2026-05-03T14:05:00+02:00``) always: it is
      unambiguous, and it is what the Excel reader gives for real date cells;
    * without ``date_format``: day-month-year with ``-``, ``.`` or ``/`` (``03-05-2026 14:05``,
      ``3/5/2026 2:05 PM``) and Excel day numbers (``46145``, ``46145.5``).

    Day-month order: ``order`` ``"dmy"`` or ``"mdy"`` decides it. Without it, a cell that can
    only be one order (``25/05/2026``) decides for the column; with no such cell, dates written
    with ``-`` or ``.`` are read day first (the Dutch convention) and dates written with ``/`` are
    left unread (``order == "ambiguous"``): ``03/05/2026`` is 3 May in Europe and 5 March in the
    US, and guessing would silently shift every time KPI. Cells proving both orders give
    ``"conflict"``.

    Times without an offset are local times in ``timezone`` (daylight saving included); times
    with one are converted. Values already of a datetime type keep their moments.
    """
    idx = series.index
    none = _mask(idx)
    forms = {f: none for f in DATE_FORMS}
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        far = _out_of_range(series)
        values, dst = _to_utc_part(series.where(~far) if far.any() else series, timezone)
        return DateParse(values, none, forms, dst, far, none, none, None)  # in the unit stored
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        num = series.astype("float64")
        text = pd.Series(np.where(num.notna(), num.map(lambda v: f"{v:.10g}"), None), index=idx, dtype="str")
    else:
        text = series.astype("str").str.strip()
    text = text.mask(text.eq("").fillna(False).astype(bool))
    present = text.notna().to_numpy()
    out = np.full(len(idx), np.datetime64("NaT"), dtype="datetime64[ns]")  # UTC
    dst = np.zeros(len(idx), dtype=bool)
    oor = np.zeros(len(idx), dtype=bool)
    todo = present.copy()

    def sub(mask: np.ndarray) -> pd.Series:
        return text if mask.all() else text[mask]

    def put(mask: np.ndarray, values: pd.Series) -> np.ndarray:
        """Store parsed ``values`` (aligned to ``mask``); return the mask of cells that parsed."""
        where = np.flatnonzero(mask)
        if values.dtype == object:  # a date_format with %z and several offsets
            values = pd.to_datetime(values, utc=True, errors="coerce")
        far = _out_of_range(values).to_numpy()
        oor[where[far]] = True
        values = values.where(~far)
        utc, d = _to_utc_part(values, timezone)
        got = utc.notna().to_numpy()
        out[where[got]] = utc[got].dt.tz_convert(None).to_numpy(dtype="datetime64[ns]")
        dst[where[d.to_numpy() & got]] = True
        ok = np.zeros(len(idx), dtype=bool)
        ok[where[got | far]] = True
        return ok

    if date_format:
        with_zone = "%z" in date_format or "%Z" in date_format
        ok = put(todo, pd.to_datetime(sub(todo), format=date_format, errors="coerce", utc=with_zone))
        forms["format"] = _mask(idx, ok)
        todo &= ~ok
    arr = _arrow_text(text) if todo.any() else None
    if todo.any():
        iso = _np(pc.match_substring_regex(arr, _ISO_RE)) & todo
        if iso.any():
            aware = iso & _np(pc.match_substring_regex(arr, _OFFSET_RE))
            local = iso & ~aware
            iso_text = text
            if _np(pc.match_substring(arr, ",")).any():  # ISO 8601 allows a comma before the fraction
                iso_text = pd.Series(pc.replace_substring_regex(arr, r"(:[0-9]{2}),([0-9])", r"\1.\2"), index=idx,
                                     dtype="str")
            if aware.any():
                ok = put(aware, pd.to_datetime(iso_text if aware.all() else iso_text[aware], format="ISO8601",
                                               utc=True, errors="coerce"))
                forms["iso_offset"] = _mask(idx, ok)
                todo &= ~ok
            if local.any():
                ok = put(local, pd.to_datetime(iso_text if local.all() else iso_text[local], format="ISO8601",
                                               errors="coerce"))
                forms["iso_local"] = _mask(idx, ok)
                todo &= ~ok
    day_first = month_first = none
    used_order: str | None = None
    if todo.any() and not date_format:
        parts = pc.extract_regex(arr, _DM_RE)
        dm = _np(parts.is_valid()) & todo
        if dm.any():
            a = pc.cast(pc.if_else(pc.equal(parts.field("a"), ""), pa.scalar(None, pa.string()), parts.field("a")),
                        pa.int64()).to_numpy(zero_copy_only=False)
            b = pc.cast(pc.if_else(pc.equal(parts.field("b"), ""), pa.scalar(None, pa.string()), parts.field("b")),
                        pa.int64()).to_numpy(zero_copy_only=False)
            a, b = np.nan_to_num(a.astype(float)), np.nan_to_num(b.astype(float))
            day_first = _mask(idx, dm & (a > 12) & (b <= 12))
            month_first = _mask(idx, dm & (b > 12) & (a <= 12))
            slash = dm & (parts.field("sep").to_numpy(zero_copy_only=False) == "/")
            used_order = order
            if used_order is None:
                if day_first.any() and month_first.any():
                    used_order = "conflict"
                elif day_first.any():
                    used_order = "dmy"
                elif month_first.any():
                    used_order = "mdy"
                elif slash.any():
                    used_order = "ambiguous"
                else:
                    used_order = "dmy"
            forms["day_month"] = _mask(idx, dm)
            if used_order in ("dmy", "mdy"):
                ok = put(dm, _day_month(parts.filter(pa.array(dm)), used_order, idx[dm]))
                todo &= ~ok
            else:
                todo &= ~dm  # unread, not bad: the caller asks for date_format
        serial = _np(pc.match_substring_regex(arr, _SERIAL_RE)) & todo
        if serial.any():
            days = pd.to_numeric(sub(serial).str.replace(",", ".", regex=False), errors="coerce")
            ok = put(serial, _EXCEL_EPOCH + pd.to_timedelta(days.round(6), unit="D").dt.round("s"))
            forms["excel_serial"] = _mask(idx, ok)
            todo &= ~ok
    values = pd.Series(out, index=idx).dt.tz_localize("UTC")
    return DateParse(values, _mask(idx, todo), forms, _mask(idx, dst), _mask(idx, oor), day_first, month_first,
                     used_order)
