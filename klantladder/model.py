"""The scoring model: rungs, dimensions, survey items, KPI scales and gates, loaded from YAML.

The model is data, not code. :func:`load_model` reads and validates a model file once; a
malformed file is a :class:`~klantladder.errors.ModelError` that names what is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import yaml

from . import yamlfile
from .errors import ModelError

__all__ = [
    "Model", "Rung", "Condition", "Dimension", "Item", "KpiSpec",
    "DEFAULT_MODEL", "load_model", "default_model", "apply_scale",
]

DEFAULT_MODEL = "klantladder-2026.1.yaml"
SOURCES = ("internal", "customer", "kpi")
LANGUAGES = ("nl", "en")


@dataclass(frozen=True)
class Item:
    """One survey statement; ``column`` is its canonical column name (``<dimension>_<n>``)."""

    column: str
    dimension: str
    text: Mapping[str, str]


@dataclass(frozen=True)
class Dimension:
    key: str
    name: Mapping[str, str]
    description: Mapping[str, str]
    weight: float
    kpis: tuple[str, ...]
    employee_items: tuple[Item, ...]
    customer_items: tuple[Item, ...]


@dataclass(frozen=True)
class Condition:
    """A gate: ``dimension`` (a key, ``all`` or ``gap``) must be ``>= min`` or ``<= max``."""

    dimension: str
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class Rung:
    level: int
    key: str
    name: Mapping[str, str]
    description: Mapping[str, str]
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class KpiSpec:
    key: str
    name: Mapping[str, str]
    unit: str
    scale: tuple[tuple[float, float], ...] | None


@dataclass(frozen=True)
class Model:
    """A validated scoring model. ``version`` goes into every score file and report."""

    version: str
    name: Mapping[str, str]
    provenance: Mapping[str, str]
    likert_min: int
    likert_max: int
    source_weights: Mapping[str, float]
    min_group_size: int
    rungs: tuple[Rung, ...]
    dimensions: tuple[Dimension, ...]
    kpis: Mapping[str, KpiSpec]
    sla: Mapping[str, float]
    path: str = ""

    @property
    def dimension_keys(self) -> tuple[str, ...]:
        return tuple(d.key for d in self.dimensions)

    def dimension(self, key: str) -> Dimension:
        for d in self.dimensions:
            if d.key == key:
                return d
        raise KeyError(key)

    def items(self, survey: str) -> tuple[Item, ...]:
        """All items of ``survey`` ("employee" or "customer") in model order."""
        attr = f"{survey}_items"
        return tuple(i for d in self.dimensions for i in getattr(d, attr))

    def rung(self, level: int) -> Rung:
        return self.rungs[level - 1]

    def group_minimum(self, client_minimum: int) -> int:
        """The smallest group that may count or be shown anywhere (a survey, a wave, a breakdown):
        the client's ``min_group_size``, never below the model's nor below 5 (privacy)."""
        return max(int(client_minimum), int(self.min_group_size), 5)

    def with_kpi_scales(self, overrides: Mapping[str, Any]) -> "Model":
        """A copy whose KPI scales are replaced by ``overrides`` (from a client.yaml)."""
        if not overrides:
            return self
        kpis = dict(self.kpis)
        for key, scale in overrides.items():
            if key not in kpis:
                raise ModelError({
                    "nl": f"Onbekende KPI '{key}' in kpi_scales; bekend zijn: {', '.join(kpis)}.",
                    "en": f"Unknown KPI '{key}' in kpi_scales; known: {', '.join(kpis)}.",
                })
            kpis[key] = KpiSpec(key, kpis[key].name, kpis[key].unit, _scale(scale, f"kpi_scales.{key}"))
        return _replace(self, kpis=kpis)


def _replace(model: Model, **changes: Any) -> Model:
    from dataclasses import replace

    return replace(model, **changes)


def _fail(where: str, nl: str, en: str) -> ModelError:
    return ModelError({"nl": f"Modelbestand {where}: {nl}", "en": f"Model file {where}: {en}"})


def _texts(raw: Any, where: str) -> dict[str, str]:
    if isinstance(raw, str):
        return {"nl": raw, "en": raw}
    if not isinstance(raw, Mapping) or "nl" not in raw:
        raise _fail(where, "verwacht een tekst met 'nl' (en 'en').", "expected a text with 'nl' (and 'en').")
    out = {str(k): str(v) for k, v in raw.items()}
    stray = sorted(set(out) - set(LANGUAGES))
    if stray:
        # Usually an unquoted text with a comma: `{nl: Ja, en nee}` parses as extra keys.
        raise _fail(where, f"onbekende taalsleutel(s) {stray}; zet teksten met een komma tussen aanhalingstekens.",
                    f"unknown language key(s) {stray}; quote texts that contain a comma.")
    out.setdefault("en", out["nl"])
    return out


def _scale(raw: Any, where: str) -> tuple[tuple[float, float], ...] | None:
    if raw is None:
        return None
    try:
        points = tuple((float(x), float(y)) for x, y in raw)
    except (TypeError, ValueError):
        raise _fail(where, "een schaal is een lijst van [waarde, score]-paren.",
                    "a scale is a list of [value, score] pairs.") from None
    xs = [p[0] for p in points]
    if len(points) < 2 or len(set(xs)) != len(xs):
        raise _fail(where, "een schaal heeft minstens twee verschillende punten.",
                    "a scale needs at least two distinct points.")
    if any(not 0 <= p[1] <= 100 for p in points):
        raise _fail(where, "scores op een schaal liggen tussen 0 en 100.", "scale scores lie between 0 and 100.")
    return tuple(sorted(points))


def apply_scale(value: float | np.ndarray, scale: tuple[tuple[float, float], ...]) -> float | np.ndarray:
    """Map a raw KPI value to 0–100 through a piecewise-linear scale, clamped at both ends.

    >>> apply_scale(24.5, ((1.0, 100.0), (48.0, 0.0)))
    50.0
    """
    xs = np.array([p[0] for p in scale])
    ys = np.array([p[1] for p in scale])
    out = np.interp(value, xs, ys)
    return float(out) if np.ndim(out) == 0 else out


def _parse(raw: Any, path: str) -> Model:
    if not isinstance(raw, Mapping):
        raise _fail(path, "het bestand is geen YAML-woordenboek.", "the file is not a YAML mapping.")
    for key in ("version", "rungs", "dimensions", "kpis", "likert", "source_weights"):
        if key not in raw:
            raise _fail(path, f"'{key}' ontbreekt.", f"'{key}' is missing.")
    lik = raw["likert"]
    lmin, lmax = int(lik.get("min", 1)), int(lik.get("max", 5))
    if lmax <= lmin:
        raise _fail(path, "likert.max moet groter zijn dan likert.min.", "likert.max must exceed likert.min.")
    weights = {k: float(v) for k, v in raw["source_weights"].items()}
    if set(weights) != set(SOURCES) or any(w < 0 for w in weights.values()) or sum(weights.values()) <= 0:
        raise _fail(path, "source_weights heeft internal, customer en kpi, niet-negatief.",
                    "source_weights needs internal, customer and kpi, non-negative.")
    kpis: dict[str, KpiSpec] = {}
    for key, spec in raw["kpis"].items():
        kpis[key] = KpiSpec(key, _texts(spec.get("name", key), f"kpis.{key}.name"), str(spec.get("unit", "")),
                            _scale(spec.get("scale"), f"kpis.{key}.scale"))
    dims: list[Dimension] = []
    for i, d in enumerate(raw["dimensions"]):
        key = d.get("key")
        where = f"dimensions[{i}]"
        if not key or not str(key).isidentifier():
            raise _fail(where, "elke dimensie heeft een 'key' (letters en _).", "every dimension needs a 'key'.")
        for kpi in d.get("kpis", []) or []:
            if kpi not in kpis or kpis[kpi].scale is None:
                raise _fail(f"{where}.kpis", f"KPI '{kpi}' bestaat niet of heeft geen schaal.",
                            f"KPI '{kpi}' does not exist or has no scale.")
        items = d.get("items", {}) or {}
        survey_items = {}
        for survey in ("employee", "customer"):
            survey_items[survey] = tuple(
                Item(f"{key}_{n}", key, _texts(t, f"{where}.items.{survey}[{n}]"))
                for n, t in enumerate(items.get(survey, []) or [], start=1)
            )
        dims.append(Dimension(key, _texts(d.get("name", key), f"{where}.name"),
                              _texts(d.get("description", ""), f"{where}.description"),
                              float(d.get("weight", 1.0)), tuple(d.get("kpis", []) or []),
                              survey_items["employee"], survey_items["customer"]))
    keys = [d.key for d in dims]
    if len(set(keys)) != len(keys):
        raise _fail("dimensions", "dimensie-sleutels zijn niet uniek.", "dimension keys are not unique.")
    rungs: list[Rung] = []
    for i, r in enumerate(raw["rungs"]):
        level = int(r.get("level", 0))
        if level != i + 1:
            raise _fail(f"rungs[{i}]", "treden zijn genummerd 1, 2, 3, ... op volgorde.",
                        "rungs are numbered 1, 2, 3, ... in order.")
        conds = []
        for c in r.get("conditions", []) or []:
            dim = c.get("dimension")
            if dim not in keys and dim not in ("all", "gap"):
                raise _fail(f"rungs[{i}].conditions", f"onbekende dimensie '{dim}'.", f"unknown dimension '{dim}'.")
            if (c.get("min") is None) == (c.get("max") is None):
                raise _fail(f"rungs[{i}].conditions", "een voorwaarde heeft óf min óf max.",
                            "a condition has either min or max.")
            conds.append(Condition(dim, c.get("min"), c.get("max")))
        rungs.append(Rung(level, str(r.get("key", level)), _texts(r["name"], f"rungs[{i}].name"),
                          _texts(r.get("description", ""), f"rungs[{i}].description"), tuple(conds)))
    if not rungs or rungs[0].conditions:
        raise _fail("rungs", "trede 1 heeft geen voorwaarden (iedere organisatie staat er minstens op).",
                    "rung 1 has no conditions (every organisation stands at least on it).")
    return Model(
        version=str(raw["version"]), name=_texts(raw.get("name", "klantladder"), "name"),
        provenance=_texts(raw.get("provenance", ""), "provenance"), likert_min=lmin, likert_max=lmax,
        source_weights=weights, min_group_size=int(raw.get("min_group_size", 5)), rungs=tuple(rungs),
        dimensions=tuple(dims), kpis=kpis, sla={k: float(v) for k, v in (raw.get("sla") or {}).items()},
        path=path,
    )


@lru_cache(maxsize=16)
def _load_cached(path: str, mtime: float) -> Model:
    try:
        raw = yamlfile.load_settings(Path(path).read_text(encoding="utf-8"))
    except yamlfile.DuplicateKeyError as exc:  # the last would silently count: a weight, a threshold
        listed = "; ".join(f"'{d.key}' (regels {', '.join(map(str, d.lines))})" for d in exc.duplicates)
        listed_en = "; ".join(f"'{d.key}' (lines {', '.join(map(str, d.lines))})" for d in exc.duplicates)
        raise _fail(path, f"een sleutel staat meer dan eens in dezelfde lijst: {listed}. Alleen de laatste zou "
                    "gelden; voeg ze samen of haal de overbodige weg.",
                    f"a key is written more than once in the same mapping: {listed_en}. Only the last would "
                    "count; merge them or remove the ones that do not belong.") from None
    except yaml.YAMLError as exc:
        raise _fail(path, f"geen geldige YAML ({exc}).", f"not valid YAML ({exc}).") from None
    return _parse(raw, path)


def load_model(path: str | Path | None = None) -> Model:
    """Load and validate a model file (the packaged default when ``path`` is None); cached."""
    if path is None:
        path = Path(str(resources.files("klantladder") / "models" / DEFAULT_MODEL))
    path = Path(path)
    if not path.is_file():
        raise ModelError({"nl": f"Modelbestand niet gevonden: {path}", "en": f"Model file not found: {path}"})
    return _load_cached(str(path.resolve()), path.stat().st_mtime)


def default_model() -> Model:
    """The packaged default model."""
    return load_model(None)
