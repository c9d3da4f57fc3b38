"""Survey-tool export presets and Likert text -> number mapping.

Survey tools name and lay out their exports their own way. A :class:`Preset` says how many extra
header rows a tool writes, which columns hold personal data or tool metadata to drop *before*
anything else sees them (e-mail, names, IP address, location), and how to rename columns (the
tool's respondent id becomes ``respondent_id``). :data:`PRESETS` is the registry;
:func:`register_preset` adds a tool.

Typical use::

    df = read_table(path, **preset_read_options("qualtrics"))
    df = apply_preset(df, "qualtrics")

:func:`likert_to_number` turns answers given as text ("Helemaal mee eens", "Very satisfied",
"10 - Zeer waarschijnlijk") into numbers; "Weet niet", "N/A" and the like become missing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np
import pandas as pd

from .errors import Finding, InputError

__all__ = [
    "Preset",
    "PRESETS",
    "MISSING_TEXTS",
    "register_preset",
    "apply_preset",
    "preset_read_options",
    "normalise_text",
    "is_missing_text",
    "likert_to_number",
]

# ------------------------------------------------------------------------------------------ Likert


def normalise_text(text: str) -> str:
    """Lower case, accents and punctuation removed, runs of spaces collapsed: the matching key."""
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


MISSING_TEXTS = frozenset(normalise_text(t) for t in (
    "weet niet", "weet ik niet", "geen mening", "geen idee", "n.v.t.", "nvt", "niet van toepassing",
    "zeg ik liever niet", "wil ik niet zeggen", "geen antwoord", "onbekend",
    "don't know", "dont know", "do not know", "not sure", "no opinion", "n/a", "na", "nan",
    "not applicable", "prefer not to say", "rather not say", "no answer", "unknown", "null", "none",
))
"""Normalised answers that mean "no answer": missing, never an error."""

# Seven levels from most negative to most positive; a scale maps each level to a number.
_LEVELS = ("strong_neg", "neg", "weak_neg", "neutral", "weak_pos", "pos", "strong_pos")
_ANCHORS: dict[str, tuple[str, ...]] = {
    "strong_neg": (
        "helemaal mee oneens", "volledig mee oneens", "zeer mee oneens", "totaal mee oneens",
        "helemaal oneens", "volledig oneens", "strongly disagree", "completely disagree", "totally disagree",
        "zeer ontevreden", "heel ontevreden", "erg ontevreden", "helemaal ontevreden", "extreem ontevreden",
        "very dissatisfied", "extremely dissatisfied", "very unsatisfied", "completely dissatisfied",
        "zeer moeilijk", "heel moeilijk", "erg moeilijk", "zeer lastig", "very difficult", "extremely difficult",
        "zeer slecht", "heel slecht", "erg slecht", "very poor", "very bad",
    ),
    "neg": (
        "mee oneens", "oneens", "niet mee eens", "disagree",
        "ontevreden", "dissatisfied", "unsatisfied", "moderately dissatisfied",
        "moeilijk", "lastig", "difficult", "slecht", "poor", "bad",
    ),
    "weak_neg": (
        "enigszins mee oneens", "een beetje mee oneens", "beetje mee oneens", "deels mee oneens",
        "gedeeltelijk mee oneens", "eerder mee oneens", "somewhat disagree", "slightly disagree",
        "partly disagree", "tend to disagree", "enigszins ontevreden", "een beetje ontevreden",
        "beetje ontevreden", "somewhat dissatisfied", "slightly dissatisfied", "enigszins moeilijk",
        "een beetje moeilijk", "somewhat difficult", "slightly difficult",
    ),
    "neutral": (
        "neutraal", "niet mee eens, niet mee oneens", "niet mee eens en niet mee oneens",
        "niet eens, niet oneens", "noch mee eens, noch mee oneens", "neither agree nor disagree",
        "neutral", "niet tevreden, niet ontevreden", "niet tevreden en niet ontevreden",
        "noch tevreden, noch ontevreden", "neither satisfied nor dissatisfied",
        "niet makkelijk, niet moeilijk", "noch makkelijk, noch moeilijk", "neither easy nor difficult",
        "matig", "gemiddeld", "average",
    ),
    "weak_pos": (
        "enigszins mee eens", "een beetje mee eens", "beetje mee eens", "deels mee eens",
        "gedeeltelijk mee eens", "eerder mee eens", "somewhat agree", "slightly agree", "partly agree",
        "tend to agree", "enigszins tevreden", "een beetje tevreden", "beetje tevreden",
        "somewhat satisfied", "slightly satisfied", "enigszins makkelijk", "somewhat easy", "slightly easy",
    ),
    "pos": (
        "mee eens", "eens", "agree", "tevreden", "satisfied", "moderately satisfied",
        "makkelijk", "gemakkelijk", "eenvoudig", "easy", "goed", "good",
    ),
    "strong_pos": (
        "helemaal mee eens", "volledig mee eens", "zeer mee eens", "totaal mee eens", "helemaal eens",
        "strongly agree", "completely agree", "totally agree",
        "zeer tevreden", "heel tevreden", "erg tevreden", "helemaal tevreden", "extreem tevreden",
        "very satisfied", "extremely satisfied", "completely satisfied",
        "zeer makkelijk", "zeer gemakkelijk", "heel makkelijk", "erg makkelijk", "zeer eenvoudig",
        "very easy", "extremely easy", "zeer goed", "heel goed", "erg goed", "uitstekend",
        "very good", "excellent",
    ),
}
_SCALES: dict[int, dict[str, int]] = {
    3: {"strong_neg": 1, "neg": 1, "weak_neg": 1, "neutral": 2, "weak_pos": 3, "pos": 3, "strong_pos": 3},
    4: {"strong_neg": 1, "neg": 2, "weak_neg": 2, "weak_pos": 3, "pos": 3, "strong_pos": 4},
    5: {"strong_neg": 1, "neg": 2, "weak_neg": 2, "neutral": 3, "weak_pos": 4, "pos": 4, "strong_pos": 5},
    7: dict(zip(_LEVELS, range(1, 8))),
}
_LEVEL_OF = {normalise_text(t): level for level, texts in _ANCHORS.items() for t in texts}
_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")
_PREFIXED = re.compile(r"(\d{1,2})\s*(?:[-=:.)(\u2013\u2014]\s*|\s+)\S.*", re.DOTALL)


def is_missing_text(text: object) -> bool:
    """True for "no answer" texts ("Weet niet", "N/A", "n.v.t.", "-"); False for missing values."""
    if text is None or (isinstance(text, float) and text != text):
        return False
    key = normalise_text(str(text))
    return key == "" or key in MISSING_TEXTS


def _likert_value(text: str, scale: Mapping[str, int]) -> float | None:
    """Number for one answer text; NaN for a "no answer" text; None when it cannot be mapped."""
    raw = text.strip()
    if not raw:
        return np.nan
    if _NUMBER.fullmatch(raw):
        return float(raw.replace(",", "."))
    m = _PREFIXED.fullmatch(raw)
    if m:
        return float(m.group(1))
    key = normalise_text(raw)
    if key == "" or key in MISSING_TEXTS:
        return np.nan
    level = _LEVEL_OF.get(key)
    if level is not None and level in scale:
        return float(scale[level])
    return None


def likert_to_number(series: pd.Series, scale_max: int = 5) -> tuple[pd.Series, pd.Series]:
    """Map Likert answers given as text to numbers on a 1..``scale_max`` scale.

    Returns ``(values, unmapped)``: float64 values and a boolean mask of non-empty texts that could
    not be mapped. Matching ignores case, accents, punctuation and extra spaces. Understood:

    * Dutch and English agreement ("Helemaal mee oneens" ... "Helemaal mee eens", "Strongly
      disagree" ... "Strongly agree"), satisfaction ("Zeer ontevreden" ... "Zeer tevreden"), effort
      ("Zeer moeilijk" ... "Zeer makkelijk") and quality ("Zeer slecht" ... "Zeer goed") anchors,
      for 3-, 4-, 5- and 7-point scales ("Somewhat agree" is 4 on 5 points, 5 on 7 points);
    * numeric strings ("4", "3,5") and numbered answers ("10 - Zeer waarschijnlijk",
      "0 = Not at all likely", "5 (helemaal mee eens)") -> the number; ranges are not checked here;
    * "Weet niet", "Don't know", "n.v.t.", "N/A", "Geen mening" and bare punctuation -> missing.

    Numeric input passes through unchanged. Works on the unique values, so large columns are fast.
    """
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        return series.astype("float64"), pd.Series(False, index=series.index, name=series.name)
    scale = _SCALES.get(scale_max, {})
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    mapped = [_likert_value(str(u), scale) for u in uniques]
    u_vals = np.array([np.nan if v is None else v for v in mapped], dtype="float64")
    u_bad = np.array([v is None for v in mapped], dtype=bool)
    valid = codes >= 0
    values = np.full(len(series), np.nan)
    bad = np.zeros(len(series), dtype=bool)
    values[valid] = u_vals[codes[valid]]
    bad[valid] = u_bad[codes[valid]]
    return (pd.Series(values, index=series.index, name=series.name),
            pd.Series(bad, index=series.index, name=series.name))


# ----------------------------------------------------------------------------------------- presets

Rename = Callable[[str], str] | Mapping[str, str]


@dataclass(frozen=True)
class Preset:
    """How one survey tool exports.

    ``drop_columns`` are matched ignoring case and spaces; an entry ending in ``*`` is a prefix
    ("Custom Data*"). ``rename`` is a mapping of exact names or a function name -> new name.
    ``prepare`` runs first (e.g. flattening SurveyMonkey's two-row header).
    """

    name: str
    header_rows: int
    drop_columns: list[str]
    rename: Rename
    id_column: str = ""
    description: str = ""
    prepare: Callable[[pd.DataFrame], pd.DataFrame] | None = field(default=None, compare=False)


PRESETS: dict[str, Preset] = {}


def register_preset(preset: Preset) -> None:
    """Add (or replace) a survey-tool preset."""
    PRESETS[preset.name] = preset


def _key(name: str) -> str:
    return re.sub(r"\s+", "", str(name)).lower()


def _unknown(name: str) -> InputError:
    known = ", ".join(sorted(PRESETS))
    return InputError(
        {"nl": f"Onbekende preset '{name}'.", "en": f"Unknown preset '{name}'."},
        [Finding(rule="unknown_preset", level="error", file="client.yaml",
                 message={"nl": f"Preset '{name}' bestaat niet. Kies een van: {known}.",
                          "en": f"Preset '{name}' does not exist. Choose one of: {known}."})])


def preset_read_options(name: str) -> dict[str, int]:
    """Keyword arguments for :func:`klantladder.readers.read_table` for this tool's exports."""
    if name not in PRESETS:
        raise _unknown(name)
    return {"header_rows": PRESETS[name].header_rows}


def apply_preset(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """A new frame with the tool's personal-data and metadata columns dropped and columns renamed.

    ``attrs["preset"]`` names the preset, ``attrs["dropped_columns"]`` lists what was dropped; a
    warning finding is added to ``attrs["findings"]`` when the tool's respondent id is missing.
    Raises :class:`InputError` (rule ``unknown_preset``) for an unknown name.
    """
    if name not in PRESETS:
        raise _unknown(name)
    preset = PRESETS[name]
    out = df.copy()
    out.attrs = {**df.attrs, "findings": list(df.attrs.get("findings", []))}
    if preset.prepare is not None:
        out = preset.prepare(out)
    exact = {_key(c) for c in preset.drop_columns if not c.endswith("*")}
    prefixes = tuple(_key(c[:-1]) for c in preset.drop_columns if c.endswith("*"))
    dropped = [c for c in out.columns if _key(c) in exact or (prefixes and _key(c).startswith(prefixes))]
    out = out.drop(columns=dropped)
    if preset.id_column and not any(_key(c) == _key(preset.id_column) for c in out.columns):
        file = str(df.attrs.get("file", "?"))
        out.attrs["findings"].append(Finding(
            rule="missing_respondent_id", level="warning", file=file, column=preset.id_column,
            message={"nl": f"De {preset.name}-export heeft geen kolom '{preset.id_column}'; dubbele "
                           f"respondenten kunnen niet herkend worden. Exporteer opnieuw met die kolom.",
                     "en": f"The {preset.name} export has no column '{preset.id_column}'; duplicate "
                           f"respondents cannot be recognised. Export again with that column."}))
    rename = preset.rename
    if isinstance(rename, Mapping):
        lookup = {_key(k): v for k, v in rename.items()}
        out = out.rename(columns=lambda c: lookup.get(_key(c), c))
    else:
        out = out.rename(columns=rename)
    out.attrs.update(preset=name, dropped_columns=[str(c) for c in dropped])
    return out


_PII = ["Email", "E-mail", "Email Address", "E-mailadres", "Name", "Naam", "IP Address", "IPAddress"]
_QUALTRICS_DROP = _PII + [
    "RecipientLastName", "RecipientFirstName", "RecipientEmail", "ExternalReference", "ExternalDataReference",
    "LocationLatitude", "LocationLongitude", "EmailAddress",
]


def _qualtrics_rename(col: str) -> str:
    return "respondent_id" if _key(col) == "responseid" else col


_SUB_PLAIN = {"", "response", "open-endedresponse", "antwoord", "openantwoord", "reactie"}


def _surveymonkey_flatten(df: pd.DataFrame) -> pd.DataFrame:
    """Combine SurveyMonkey's question row and answer-option row into one column name each."""
    extra = df.attrs.get("extra_header")
    if extra:
        sub = extra[0]
    else:
        id_cols = [c for c in df.columns if _key(c) == "respondentid"]
        first = df.iloc[0] if len(df) else None
        looks_sub = (first is not None and id_cols and pd.isna(first[id_cols[0]])
                     and any(_key(v) in ("response", "open-endedresponse") for v in first.dropna().astype(str)))
        if not looks_sub:
            return df
        sub = ["" if pd.isna(v) else str(v) for v in first]
        df = df.iloc[1:].reset_index(drop=True)
    names, top, carried = [], "", False
    for i, col in enumerate(df.columns):
        col = str(col)
        if col.startswith("Unnamed: ") or not col.strip():
            carried = True
        else:
            top, carried = col, False
        part = (sub[i] if i < len(sub) else "").strip()
        names.append(top if _key(part) in _SUB_PLAIN and not carried else f"{top} - {part}" if part else top)
    seen: dict[str, int] = {}
    unique = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        unique.append(n if seen[n] == 1 else f"{n}.{seen[n] - 1}")
    df = df.copy()
    df.columns = unique
    return df


def _limesurvey_rename(col: str) -> str:
    if _key(col) == "id":
        return "respondent_id"
    return re.sub(r"\[([^\]]*)\]", r"_\1", col) if isinstance(col, str) else col


register_preset(Preset(
    name="qualtrics", header_rows=2, drop_columns=_QUALTRICS_DROP, rename=_qualtrics_rename,
    id_column="ResponseId",
    description="Qualtrics CSV/Excel export: row 1 short names (Q1, Q2_1), rows 2-3 question text and "
                "ImportId (dropped); ResponseId is the respondent."))
register_preset(Preset(
    name="surveymonkey", header_rows=1,
    drop_columns=_PII + ["First Name", "Last Name", "Custom Data*"],
    rename={"Respondent ID": "respondent_id"}, id_column="Respondent ID", prepare=_surveymonkey_flatten,
    description="SurveyMonkey 'expanded' export: the second header row holds answer options; columns "
                "become 'Question - Option' (single answers keep the question)."))
register_preset(Preset(
    name="limesurvey", header_rows=0,
    drop_columns=_PII + ["ipaddr", "refurl", "token", "firstname", "lastname", "email", "seed", "attribute_*"],
    rename=_limesurvey_rename, id_column="id",
    description="LimeSurvey export with question codes: Q1[SQ001] becomes Q1_SQ001; id is the respondent."))
register_preset(Preset(
    name="msforms", header_rows=0, drop_columns=_PII,
    rename={"ID": "respondent_id"}, id_column="ID",
    description="Microsoft Forms Excel export (English or Dutch): ID, Start time, Completion time; "
                "Email and Name are dropped."))
