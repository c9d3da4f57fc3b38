"""A client folder's settings: ``client.yaml`` read, checked and completed with defaults."""

from __future__ import annotations

import codecs
import datetime as dt
import difflib
import re
import unicodedata
import zoneinfo
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Mapping, Sequence

import yaml

from . import yamlfile
from .errors import Finding, InputError, UsageError
from .i18n import fmt_list

__all__ = ["SOURCES", "EXTENSIONS", "SourceConfig", "ClientConfig", "load_client_config", "customers_timezone",
           "sector_terms", "sectors", "safe_name", "source_of", "has_source_files", "is_client_folder",
           "client_subfolders", "present_files", "expected_names"]

SOURCES = ("customer_survey", "employee_survey", "tickets", "customers")
#: The extensions (compared in lower case) of a source's file. ``.xls`` is among them although no
#: reader takes an old Excel workbook: ``customer_survey.xls`` then stops the client with rule
#: ``file_format`` and how to convert it, instead of being left out without a word.
EXTENSIONS = (".csv", ".xlsx", ".parquet", ".sav", ".tsv", ".txt", ".xlsm", ".xls", ".pq", ".zsav")
LANGUAGES = ("nl", "en")
#: The time zone of a source whose own (``sources.<source>.timezone``) is not given.
DEFAULT_TIMEZONE = "Europe/Amsterdam"


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
    timezone: str = DEFAULT_TIMEZONE


@dataclass(frozen=True)
class ClientConfig:
    """Everything ``client.yaml`` says, with defaults filled in."""

    folder: Path
    client_id: str
    name: str
    sector: str
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
    findings: tuple[Finding, ...] = ()
    """Warnings about client.yaml itself (rule ``unknown_setting``)."""
    customer_terms: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    """The client's own customer word (singular, plural) per language it gave one for."""

    def term_in(self, language: str) -> tuple[str, str]:
        """The customer word in ``language``: the client's own where it gave one, else the sector's."""
        return self.customer_terms.get(language) or sector_terms(self.sector, language)

    @property
    def customer_term(self) -> tuple[str, str]:
        """The customer word (singular, plural) in the report's language."""
        return self.term_in(self.language)


def safe_name(text: str) -> str:
    """A file-system-safe folder name (letters, digits, ``-``, ``_``, ``.``); never empty.
    Accented letters keep their letter (``Café Ünal`` gives ``Cafe-Unal``)."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", plain).strip("-.")
    return cleaned[:80] or "client"


@lru_cache(maxsize=1)
def sectors() -> dict[str, Any]:
    """Every sector klantladder knows (``texts/sectors.yaml``): its label and customer word per language."""
    return yamlfile.safe_load((resources.files("klantladder") / "texts" / "sectors.yaml").read_text("utf-8"))


def sector_terms(sector: str, language: str) -> tuple[str, str]:
    """The sector's word for its customer (singular, plural) in ``language``."""
    entry = sectors().get(sector, sectors()["overig"])
    return tuple(entry["term"].get(language, entry["term"]["nl"]))  # type: ignore[return-value]


def _customer_terms(raw: Mapping[str, Any], language: str, file: str) -> dict[str, tuple[str, str]]:
    """``customer_term`` (and ``customer_term_plural``) from client.yaml: one word in the client's
    language, or one per language (``{nl: cliënt, en: client}``)."""
    term, plural = raw.get("customer_term"), raw.get("customer_term_plural")
    if not term:
        return {}
    for key, value in (("customer_term", term), ("customer_term_plural", plural)):
        if isinstance(value, list) or (isinstance(value, dict) and any(isinstance(v, (list, dict))
                                                                        for v in value.values())):
            raise _bad(file, key, "verwacht één woord (klant), of één per taal (nl: klant, en: customer); het "
                       "meervoud hoort bij customer_term_plural.",
                       "expected one word (customer), or one per language (nl: klant, en: customer); the plural "
                       "belongs in customer_term_plural.")
    words = term if isinstance(term, dict) else {language: term}
    plurals = plural if isinstance(plural, dict) else ({language: plural} if plural else {})
    unknown = sorted(str(k) for k in [*words, *plurals] if k not in LANGUAGES)
    if unknown:
        raise _bad(file, "customer_term", f"onbekende taal {unknown}; geef het woord per taal als nl: … en en: ….",
                   f"unknown language {unknown}; give the word per language as nl: … and en: ….")
    out: dict[str, tuple[str, str]] = {}
    for lang, word in words.items():
        if not word:
            continue
        word = str(word)
        default = f"{word}en" if lang == "nl" else f"{word}s"
        out[str(lang)] = (word, str(plurals.get(lang) or default))
    return out


def sector_label(sector: str, language: str) -> str:
    entry = sectors().get(sector)
    return entry["label"].get(language, sector) if entry else sector


#: The heading of every ``client_yaml`` error.
_NOT_RIGHT = {"nl": "client.yaml klopt niet.", "en": "client.yaml is not right."}


def _wrong(file: str, key: str, nl: str, en: str) -> Finding:
    """A ``client_yaml`` error finding about the setting ``key``."""
    return Finding("client_yaml", "error", file, {"nl": nl, "en": en}, column=key)


def _bad(file: str, key: str, nl: str, en: str) -> InputError:
    return InputError(dict(_NOT_RIGHT), [_wrong(file, key, nl, en)])


def _duplicate_keys(file: str, duplicates: Sequence[yamlfile.DuplicateKey]) -> InputError:
    """Rule ``client_yaml``: a key written more than once in one place of client.yaml (``sla:``
    twice), one finding per key with the lines it is on; never the last one silently kept."""
    findings = []
    for d in duplicates:
        last = d.key.rsplit(".", 1)[-1]
        times_nl, times_en = f"{len(d.lines)} keer", ("twice" if len(d.lines) == 2 else f"{len(d.lines)} times")
        findings.append(_wrong(
            file, d.key,
            f"staat {times_nl} in het bestand (regels {fmt_list([str(n) for n in d.lines], 'nl')}); alleen de "
            f"laatste zou gelden. Voeg ze samen tot één '{last}:' of haal de overbodige weg.",
            f"is written {times_en} (lines {fmt_list([str(n) for n in d.lines], 'en')}); only the last would "
            f"count. Merge them into one '{last}:' or remove the ones that do not belong."))
    return InputError(dict(_NOT_RIGHT), findings)


def _date(value: Any, key: str, file: str) -> dt.date | None:
    """A date setting: a YAML date, or text such as ``2026-10-31``; a date-time gives its date.
    A date in the right form that does not exist (``2026-02-30``) is named as such."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()  # the date where the time was written (its own offset)
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise _bad(file, key, f"de datum '{text}' bestaat niet. Schrijf een bestaande datum als JJJJ-MM-DD, "
                   "bijvoorbeeld 2026-10-31.",
                   f"the date '{text}' does not exist. Write an existing date as YYYY-MM-DD, for example 2026-10-31.")
    raise _bad(file, key, f"verwacht een bestaande datum als JJJJ-MM-DD (bijvoorbeeld 2026-10-31), niet '{value}'.",
               f"expected an existing date as YYYY-MM-DD (for example 2026-10-31), not '{value}'.")


def _whole(value: Any, key: str, file: str) -> int:
    """A whole-number setting (``1500``, not ``1.500`` or ``5.9``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        number = None
    else:
        try:
            number = float(str(value).strip()) if isinstance(value, str) else float(value)
        except ValueError:
            number = None
    if number is None or not number == number or number != int(number):
        raise _bad(file, key, f"verwacht een heel getal zonder punt of komma (bijvoorbeeld 1500), niet '{value}'.",
                   f"expected a whole number without point or comma (for example 1500), not '{value}'.")
    return int(number)


def _sla(value: Any, file: str) -> dict[str, float]:
    """``sla``: service targets in hours, each a positive number (the names are checked against
    the model's when it is loaded). Every wrong target is named, one finding each."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _bad(file, "sla", "verwacht doelen in uren, zoals 'first_response_hours: 24' en "
                   "'resolution_hours: 120' op eigen regels eronder.",
                   "expected targets in hours, such as 'first_response_hours: 24' and 'resolution_hours: 120' "
                   "on lines of their own below it.")
    out: dict[str, float] = {}
    wrong: list[Finding] = []
    for k, v in value.items():
        try:
            hours = float(v) if not isinstance(v, bool) else float("nan")
        except (TypeError, ValueError):
            hours = float("nan")
        if not hours > 0 or hours == float("inf"):
            wrong.append(_wrong(file, f"sla.{k}", f"verwacht een aantal uren groter dan 0, niet '{v}'.",
                                f"expected a number of hours above 0, not '{v}'."))
        out[str(k)] = hours
    if wrong:
        raise InputError(dict(_NOT_RIGHT), wrong)
    return out


_YES = {"true", "ja", "yes", "waar", "1", "on"}
_NO = {"false", "nee", "no", "onwaar", "0", "off", ""}


def _flag(value: Any, key: str, file: str) -> bool:
    """A yes/no setting: true/false (ja/nee, yes/no)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, (str, int)) else None
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise _bad(file, key, f"verwacht true of false (ja of nee), niet '{value}'.",
               f"expected true or false (yes or no), not '{value}'.")


def _text(value: Any, key: str, file: str) -> str:
    """A text setting (a number is taken as its text); empty when not given."""
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        raise _bad(file, key, "verwacht één tekst op de regel zelf.", "expected one text on the line itself.")
    return str(value).strip()


TOP_KEYS = ("name", "sector", "customer_term", "customer_term_plural", "language", "wave", "reference_date",
            "customer_survey_invited", "sla", "min_group_size", "model", "kpi_scales", "use_derived_weights",
            "sources")
SOURCE_KEYS = ("file", "format", "sheet", "encoding", "sep", "decimal", "preset", "header_rows", "columns",
               "date_format", "timezone")
SEPARATORS = {",": ",", ";": ";", "\t": "\t", "tab": "\t", "|": "|"}


def _did_you_mean(value: str, known: Sequence[str]) -> tuple[str, str]:
    """(Dutch, English) hint for a value not in ``known``: the closest one whatever the case of its
    letters (``SLA`` or ``Reference_Date`` gives ``sla``, ``reference_date``), else all of them."""
    folded = {k.casefold(): k for k in known}
    close = difflib.get_close_matches(value.casefold(), list(folded), n=1, cutoff=0.6)
    if close:
        meant = folded[close[0]]
        return f" Bedoelt u '{meant}'?", f" Did you mean '{meant}'?"
    return f" Bekend zijn: {', '.join(known)}.", f" Known: {', '.join(known)}."


def _unknown_keys(keys: Any, known: tuple[str, ...], where: str, file: str) -> list[Finding]:
    out = []
    for key in keys:
        if str(key) in known:
            continue
        hint_nl, hint_en = _did_you_mean(str(key), known)
        out.append(Finding("unknown_setting", "warning", file, {
            "nl": f"onbekende instelling '{key}' wordt genegeerd.{hint_nl}",
            "en": f"unknown setting '{key}' is ignored.{hint_en}"}, column=f"{where}{key}"))
    return out


def _source_options(file: str, name: str, spec: Mapping[str, Any]) -> dict[str, Any]:
    """Check and normalise the reading options of ``sources.<name>``; raise ``client_yaml`` errors."""
    key = f"sources.{name}"
    opts: dict[str, Any] = {}
    fmt = spec.get("format")
    if fmt is not None:
        from .readers import READERS

        fmt = str(fmt).lower().lstrip(".")
        fmt = {"xls": "xlsx", "excel": "xlsx", "spss": "sav", "pq": "parquet", "tsv": "csv", "txt": "csv"}.get(fmt, fmt)
        if fmt not in READERS:
            known = ", ".join(sorted(READERS))
            raise _bad(file, f"{key}.format", f"onbekend formaat '{spec['format']}'; kies {known}.",
                       f"unknown format '{spec['format']}'; choose {known}.")
    opts["format"] = fmt
    sheet = spec.get("sheet")
    if sheet is not None and not isinstance(sheet, (str, int)) or isinstance(sheet, bool):
        raise _bad(file, f"{key}.sheet", "verwacht de naam van een werkblad, of het nummer (0 = het eerste).",
                   "expected a sheet name, or its number (0 = the first).")
    opts["sheet"] = sheet
    encoding = spec.get("encoding")
    if encoding is not None:
        try:
            codecs.lookup(str(encoding))
        except LookupError:
            raise _bad(file, f"{key}.encoding",
                       f"onbekende tekenset '{encoding}'; gebruik bijvoorbeeld utf-8 of cp1252.",
                       f"unknown encoding '{encoding}'; use for example utf-8 or cp1252.") from None
        encoding = str(encoding)
    opts["encoding"] = encoding
    sep = spec.get("sep")
    if sep is not None:
        if str(sep) not in SEPARATORS:
            raise _bad(file, f"{key}.sep", "verwacht ',', ';', '|' of tab als scheidingsteken.",
                       "expected ',', ';', '|' or tab as separator.")
        sep = SEPARATORS[str(sep)]
    opts["sep"] = sep
    decimal = spec.get("decimal")
    if decimal is not None and str(decimal) not in (",", "."):
        raise _bad(file, f"{key}.decimal", "verwacht ',' of '.' als decimaalteken.",
                   "expected ',' or '.' as decimal mark.")
    opts["decimal"] = None if decimal is None else str(decimal)
    try:
        header_rows = int(spec.get("header_rows", 0) or 0)
        if header_rows < 0:
            raise ValueError
    except (TypeError, ValueError):
        raise _bad(file, f"{key}.header_rows", "verwacht een heel getal van 0 of meer.",
                   "expected a whole number of 0 or more.") from None
    opts["header_rows"] = header_rows
    columns = spec.get("columns") or {}
    if not isinstance(columns, Mapping) or any(isinstance(v, (list, dict)) or v is None for v in columns.values()):
        raise _bad(file, f"{key}.columns", "verwacht regels als \"Naam in het bestand\": canonieke_naam.",
                   "expected lines such as \"Name in the file\": canonical_name.")
    opts["columns"] = {str(k): str(v).strip() for k, v in columns.items()}
    date_format = spec.get("date_format")
    if date_format is not None and "%" not in str(date_format):
        raise _bad(file, f"{key}.date_format",
                   f"'{date_format}' is geen datumpatroon; schrijf het met %-codes, zoals \"%d-%m-%Y %H:%M\".",
                   f"'{date_format}' is not a date pattern; write it with % codes, such as \"%m/%d/%Y %I:%M %p\".")
    opts["date_format"] = None if date_format is None else str(date_format)
    timezone = str(spec.get("timezone", DEFAULT_TIMEZONE))
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise _bad(file, f"{key}.timezone", f"onbekende tijdzone '{timezone}'; gebruik een naam als Europe/Amsterdam.",
                   f"unknown time zone '{timezone}'; use a name such as Europe/Amsterdam.") from None
    opts["timezone"] = timezone
    opts["preset"] = None if spec.get("preset") is None else str(spec["preset"]).strip().lower()
    return opts


def source_of(filename: str) -> str | None:
    """The source a file name stands for, whatever the case of its name and extension
    (``Customer_Survey.CSV`` -> ``customer_survey``); None for any other name."""
    path = Path(filename)
    stem, suffix = path.stem.casefold(), path.suffix.casefold()
    return stem if stem in SOURCES and suffix in EXTENSIONS else None


def present_files(folder: Path) -> list[Path]:
    """The files of a client folder a user put there, sorted by name: ``client.yaml``, hidden files
    and Office lock files (``~$tickets.xlsx``) left out."""
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    return sorted((p for p in entries if p.name != "client.yaml" and not p.name.startswith((".", "~$"))
                   and p.is_file()), key=lambda p: p.name)


def has_source_files(folder: Path) -> bool:
    """Whether ``folder`` holds a file of one of the :data:`SOURCES` (in any case)."""
    return any(source_of(p.name) for p in present_files(folder))


def is_client_folder(folder: Path) -> bool:
    """Whether ``folder`` is one client's (or one wave's) folder: it has a ``client.yaml`` or a
    source file."""
    return (folder / "client.yaml").is_file() or has_source_files(folder)


def client_subfolders(folder: Path) -> list[Path]:
    """The client (or wave) folders directly inside ``folder``, sorted; hidden ones left out."""
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".") and is_client_folder(p))


def expected_names() -> tuple[str, str]:
    """The file names klantladder looks for, as (nl, en) text for messages."""
    names = ", ".join(SOURCES)
    return (f"{names} (met .csv, .xlsx, .parquet of .sav; hoofdletters maken niet uit)",
            f"{names} (with .csv, .xlsx, .parquet or .sav; capitals do not matter)")


def _outside(given: str) -> bool:
    """Whether the path ``given`` for a source leads out of the client folder: absolute (``/data/x.csv``,
    ``C:\\data\\x.csv``, ``\\\\server\\x.csv``) or climbing above it with ``..``, written with either slash."""
    if given.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", given):
        return True
    depth = 0
    for part in re.split(r"[\\/]+", given):
        depth += -1 if part == ".." else 0 if part in ("", ".") else 1
        if depth < 0:
            return True
    return False


def _check_inside(folder: Path, file: str, name: str, given: str) -> None:
    """Rule ``client_yaml``: ``sources.<name>.file`` must name a file inside the client folder, so
    that a client's report never reads another client's data."""
    if not _outside(given):
        return
    where, plain = folder.resolve().name, re.split(r"[\\/]", given)[-1] or given
    raise _bad(file, f"sources.{name}.file",
               f"'{given}' ligt buiten de map van de klant ({where}). Een invoerbestand moet in de klantmap zelf "
               f"staan (of in een map daarin), zodat een rapport nooit gegevens van een andere klant leest. Zet het "
               f"bestand in {where} en geef de naam zonder '..' of volledig pad, bijvoorbeeld 'file: {plain}'.",
               f"'{given}' is outside the client's folder ({where}). An input file must be in the client folder "
               f"itself (or in a folder inside it), so that a report never reads another client's data. Put the "
               f"file in {where} and give its name without '..' or a full path, for example 'file: {plain}'.")


def _find_source(folder: Path, name: str, files: list[Path]) -> Path | None:
    """The file ``<name>.<ext>`` of a source among ``files``, whatever the case of its name
    (``Tickets.CSV``); :class:`InputError` when there are several (an old export beside a new one,
    or two names differing only in case): which one counts is the user's choice, never a silent one."""
    found = [p for p in files if source_of(p.name) == name]
    if len(found) > 1:
        names = " en ".join(p.name for p in found), " and ".join(p.name for p in found)
        f = Finding("ambiguous_source", "error", folder.resolve().name, {
            "nl": f"twee bestanden voor {name}: {names[0]}. Verwijder of hernoem het bestand dat niet meetelt, of "
                  f"kies er een met sources.{name}.file in client.yaml.",
            "en": f"two files for {name}: {names[1]}. Remove or rename the one that does not count, or choose one "
                  f"with sources.{name}.file in client.yaml."})  # about the folder: no column of a file
        raise InputError({"nl": "Welk invoerbestand telt, is niet duidelijk.",
                          "en": "Which input file counts is not clear."}, [f])
    return found[0] if found else None


def _unused_files(folder: Path, files: list[Path], chosen: set[Path]) -> list[Finding]:
    """Rule ``unused_file``: a data file in the client folder that is no source (``klanten_export.csv``,
    ``customer_surveys.xlsx``) and not chosen with ``sources.<source>.file``: said, never silently left out."""
    out = []
    where = folder.resolve().name
    expected_nl, expected_en = expected_names()
    for p in files:
        if p.suffix.casefold() not in EXTENSIONS or source_of(p.name) or p.resolve() in chosen:
            continue
        close = difflib.get_close_matches(p.stem.casefold(), SOURCES, n=1, cutoff=0.6)
        if close:
            fix_nl = (f"Is dit {close[0]}? Hernoem het naar {close[0]}{p.suffix.lower()} of kies het met "
                      f"sources.{close[0]}.file: {p.name} in client.yaml")
            fix_en = (f"Is this {close[0]}? Rename it to {close[0]}{p.suffix.lower()} or choose it with "
                      f"sources.{close[0]}.file: {p.name} in client.yaml")
        else:
            fix_nl = (f"Hernoem het naar de bron die het bevat, of kies het met sources.<bron>.file: {p.name} in "
                      f"client.yaml")
            fix_en = (f"Rename it after the source it holds, or choose it with sources.<source>.file: {p.name} in "
                      f"client.yaml")
        out.append(Finding("unused_file", "warning", f"{where}/{p.name}", {
            "nl": f"dit bestand wordt niet gelezen: de naam is geen van de verwachte namen {expected_nl}. "
                  f"{fix_nl}; hoort het niet bij de invoer, haal het dan uit de map.",
            "en": f"this file is not read: its name is none of the expected names {expected_en}. "
                  f"{fix_en}; if it is no input, move it out of the folder."}))
    return out


def customers_timezone(cfg: ClientConfig) -> str:
    """The time zone the customer base's dates are read in (``sources.customers.timezone``)."""
    source = cfg.sources.get("customers")
    return source.timezone if source is not None else DEFAULT_TIMEZONE


def load_client_config(folder: str | Path) -> ClientConfig:
    """Read ``<folder>/client.yaml`` (optional: defaults apply) and locate the source files.

    Raises :class:`UsageError` when ``folder`` is no folder (it does not exist, or is a file: the
    command was given the wrong path), :class:`InputError` when the YAML is malformed or a value
    has the wrong type.
    """
    folder = Path(folder)
    if folder.is_file():
        raise UsageError({"nl": f"{folder} is een bestand; geef de map van de klant (die met client.yaml en de "
                                f"exports): {folder.parent}",
                          "en": f"{folder} is a file; give the client's folder (the one with client.yaml and the "
                                f"exports): {folder.parent}"})
    if not folder.is_dir():
        raise UsageError({"nl": f"Map niet gevonden: {folder}", "en": f"Folder not found: {folder}"})
    folder = folder.absolute()  # messages name a file by its folder's name, also when the folder is given as '.'
    cfg_path = folder / "client.yaml"
    file = short = f"{folder.resolve().name}/client.yaml"  # never an absolute path in a message
    raw: dict[str, Any] = {}
    if cfg_path.is_file():
        text = ""
        try:
            text = cfg_path.read_text(encoding="utf-8")
            raw = yamlfile.load_settings(text) or {}
        except UnicodeDecodeError:
            raise _bad(file, "", "is geen UTF-8-tekst (misschien opgeslagen als ANSI/Windows-1252). Sla het "
                       "bestand op als UTF-8, bijvoorbeeld met Kladblok: Opslaan als > Codering: UTF-8.",
                       "is not UTF-8 text (perhaps saved as ANSI/Windows-1252). Save the file as UTF-8, e.g. "
                       "in Notepad: Save as > Encoding: UTF-8.") from None
        except yamlfile.DuplicateKeyError as exc:
            raise _duplicate_keys(file, exc.duplicates) from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" (regel {mark.line + 1})" if mark else ""
            if "'\\t'" in str(getattr(exc, "problem", "")):  # YAML indents with spaces only
                raise _bad(file, "", f"geen geldige YAML{where}: er staat een tab. YAML springt alleen in met "
                           "spaties; vervang de tab door spaties.",
                           f"not valid YAML{where.replace('regel', 'line')}: it holds a tab. YAML indents with "
                           "spaces only; replace the tab by spaces.") from None
            raise _bad(file, "", f"geen geldige YAML{where}. Controleer inspringing en dubbele punten.",
                       f"not valid YAML{where.replace('regel', 'line')}. Check indentation and colons.") from None
        except (ValueError, KeyError, AttributeError, TypeError):  # a type tag its value does not fit: !!int abc
            tagged = [str(i) for i, line in enumerate(text.splitlines(), 1) if "!!" in line.split("#")[0]]
            where = f" ({'regel' if len(tagged) == 1 else 'regels'} {', '.join(tagged)})" if tagged else ""
            raise _bad(file, "", f"bevat een waarde die niet past bij haar typeaanduiding (zoals !!int){where}. Laat "
                       "de aanduiding met !! weg of verbeter de waarde.",
                       f"holds a value that does not fit its type tag (such as !!int)"
                       f"{where.replace('regels', 'lines').replace('regel', 'line')}. Leave out the !! tag or correct "
                       "the value.") from None
        if not isinstance(raw, dict):
            raise _bad(file, "", "verwacht sleutels zoals 'name:' en 'sector:'.",
                       "expected keys such as 'name:' and 'sector:'.")
    language = str(raw.get("language", "nl")).lower()
    if language not in LANGUAGES:
        raise _bad(file, "language", f"taal '{language}' wordt niet ondersteund; kies nl of en.",
                   f"language '{language}' is not supported; choose nl or en.")
    sector = (_text(raw.get("sector"), "sector", file) or "overig").lower()
    terms = _customer_terms(raw, language, file)
    ref = _date(raw.get("reference_date"), "reference_date", file)
    min_n = _whole(raw.get("min_group_size", 5), "min_group_size", file)
    invited = raw.get("customer_survey_invited")
    invited = _whole(invited, "customer_survey_invited", file) if invited is not None else None
    if invited is not None and invited < 1:
        raise _bad(file, "customer_survey_invited", f"verwacht het aantal uitgenodigde klanten (1 of meer), niet "
                   f"{invited}. Laat de regel weg als het aantal onbekend is.",
                   f"expected the number of customers invited (1 or more), not {invited}. Leave the line out if "
                   "the number is not known.")
    sla = _sla(raw.get("sla"), file)
    kpi_scales = raw.get("kpi_scales") or {}
    if not isinstance(kpi_scales, dict):
        raise _bad(file, "kpi_scales", "verwacht per KPI een schaal, zoals 'nps: [[-100, 0], [100, 100]]'.",
                   "expected a scale per KPI, such as 'nps: [[-100, 0], [100, 100]]'.")
    if min_n < 5:
        raise _bad(file, "min_group_size", "de minimale groepsgrootte is ten minste 5 (privacy).",
                   "the minimum group size is at least 5 (privacy).")
    findings = _unknown_keys(raw, TOP_KEYS, "", short)
    sources: dict[str, SourceConfig] = {}
    raw_sources = raw.get("sources") or {}
    if not isinstance(raw_sources, dict):
        raise _bad(file, "sources", f"verwacht de bronnen {', '.join(SOURCES)} met hun instellingen.",
                   f"expected the sources {', '.join(SOURCES)} with their settings.")
    findings += _unknown_keys(raw_sources, SOURCES, "sources.", short)
    files = present_files(folder)
    chosen: set[Path] = set()
    for name in SOURCES:
        spec = raw_sources.get(name) or {}
        if not isinstance(spec, dict):
            raise _bad(file, f"sources.{name}", "verwacht instellingen als 'file:' en 'columns:'.",
                       "expected settings such as 'file:' and 'columns:'.")
        findings += _unknown_keys(spec, SOURCE_KEYS, f"sources.{name}.", short)
        if spec.get("file"):
            _check_inside(folder, file, name, str(spec["file"]))
        path = folder / str(spec["file"]) if spec.get("file") else _find_source(folder, name, files)
        if spec.get("file"):
            chosen.add((folder / str(spec["file"])).resolve())
        if spec.get("file") and not path.is_file():
            present = [p.name for p in files]
            where = folder.resolve().name
            f = Finding("file_not_found", "error", short, {
                "nl": f"bestand '{spec['file']}' (sources.{name}.file) bestaat niet in de map {where}. "
                      f"Aanwezig: {present[:10]}. Controleer de naam, ook hoofdletters en extensie.",
                "en": f"file '{spec['file']}' (sources.{name}.file) does not exist in the folder {where}. "
                      f"Present: {present[:10]}. Check the name, including capitals and extension."},
                column=f"sources.{name}.file")
            raise InputError({"nl": "Een invoerbestand ontbreekt.", "en": "An input file is missing."}, [f])
        sources[name] = SourceConfig(name=name, path=path, **_source_options(file, name, spec))
    findings += _unused_files(folder, files, chosen)
    if sector not in sectors():
        hint_nl, hint_en = _did_you_mean(sector, [k for k in sectors() if k != "overig"])
        findings.append(Finding("unknown_setting", "warning", file, {
            "nl": f"onbekende sector '{sector}': de klant telt als sector 'overig' (in de vergelijking met de sector "
                  f"en in het woord voor zijn klanten).{hint_nl}",
            "en": f"unknown sector '{sector}': the client counts as sector 'overig' (in the comparison with its "
                  f"sector and in the word for its customers).{hint_en}"}, column="sector"))
    model = raw.get("model")
    return ClientConfig(
        folder=folder, client_id=safe_name(folder.resolve().name), name=_text(raw.get("name"), "name", file) or
        folder.resolve().name,
        sector=sector, customer_terms=terms, language=language, wave=_text(raw.get("wave"), "wave", file),
        reference_date=ref, customer_survey_invited=invited, sla=sla, min_group_size=min_n,
        model=(folder / model) if model else None, kpi_scales=kpi_scales,
        use_derived_weights=_flag(raw.get("use_derived_weights", False), "use_derived_weights", file), sources=sources,
        findings=tuple(findings),
    )
