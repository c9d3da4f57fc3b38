"""Change between waves: is a client's score really different from last time?

Two waves of the same client are treated as independent samples (different respondents), so
the variance of the change is the sum of the two variances.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

import pandas as pd

from klantladder.intervals import Z95, Estimate

__all__ = ["WAVE_COLUMNS", "COMPARE_COLUMNS", "WaveChange", "WaveSnapshot", "estimate_se", "wave_change",
           "wave_table", "wave_sort_key", "chronological", "compare_snapshots", "SURVEYS", "survey_waves",
           "current_wave", "WEIGHT_TOLERANCE", "weight_shares", "same_weights", "same_sources", "comparable"]

WAVE_COLUMNS: tuple[str, ...] = ("measure", "from_wave", "to_wave", "change", "ci_low", "ci_high", "significant")


@dataclass(frozen=True)
class WaveChange:
    """The change ``current - previous`` with its 95% interval.

    ``significant`` is True when the interval excludes 0; all fields are ``None``/False when
    either wave has no value or no uncertainty.
    """

    change: float | None
    ci_low: float | None
    ci_high: float | None
    significant: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, floats rounded to 4 decimals."""
        r = lambda x: None if x is None else round(float(x), 4)  # noqa: E731
        return {"change": r(self.change), "ci_low": r(self.ci_low), "ci_high": r(self.ci_high),
                "significant": bool(self.significant)}


def _finite(x: float | None) -> bool:
    return x is not None and math.isfinite(float(x))


def estimate_se(est: Estimate) -> float | None:
    """The SE of an estimate: its ``se`` or else its interval width / 3.92 (``2 * 1.96``).

    Parameters
    ----------
    est : Estimate
        An estimate with ``se`` or a 95% interval.

    Returns
    -------
    float or None
        ``None`` when neither is available.

    Notes
    -----
    For a symmetric normal 95% interval :math:`SE = (hi - lo) / (2 \\cdot 1.96)`; for asymmetric
    or clipped intervals this is an approximation, which is why estimates carry ``se`` directly
    where they can.
    """
    if _finite(est.se):
        return float(est.se)  # type: ignore[arg-type]
    if _finite(est.ci_low) and _finite(est.ci_high):
        return (float(est.ci_high) - float(est.ci_low)) / (2 * Z95)  # type: ignore[arg-type]
    return None


def wave_change(previous: Estimate, current: Estimate) -> WaveChange:
    """Change between two independent waves with a normal 95% interval.

    Parameters
    ----------
    previous, current : Estimate
        The same measure in the earlier and the later wave.

    Returns
    -------
    WaveChange
        ``change = current - previous``, its interval and whether it excludes 0.

    Notes
    -----
    .. math:: \\Delta = \\hat\\theta_2 - \\hat\\theta_1, \\qquad
              SE_\\Delta = \\sqrt{SE_1^2 + SE_2^2}, \\qquad \\Delta \\pm 1.96\\, SE_\\Delta

    for independent samples. This is a two-sided test at the 5% level; with many measures some
    "significant" changes are expected by chance (about 1 in 20 when nothing changed).

    References
    ----------
    Altman, D. G., & Bland, J. M. (2003). Interaction revisited: the difference between two
    estimates. *BMJ*, 326(7382), 219.
    """
    if not (_finite(previous.value) and _finite(current.value)):
        return WaveChange(change=None, ci_low=None, ci_high=None, significant=False)
    change = float(current.value) - float(previous.value)  # type: ignore[arg-type]
    se1, se2 = estimate_se(previous), estimate_se(current)
    if se1 is None or se2 is None:
        return WaveChange(change=change, ci_low=None, ci_high=None, significant=False)
    se = math.sqrt(se1 * se1 + se2 * se2)
    lo, hi = change - Z95 * se, change + Z95 * se
    return WaveChange(change=change, ci_low=lo, ci_high=hi, significant=bool(lo > 0 or hi < 0))


def wave_table(scores_by_wave: dict[str, dict[str, Estimate]]) -> pd.DataFrame:
    """Changes between consecutive waves for every measure present in both.

    Parameters
    ----------
    scores_by_wave : dict
        ``{wave: {measure: Estimate}}`` with the waves in chronological order (dict order).

    Returns
    -------
    pandas.DataFrame
        Tidy, one row per (measure, consecutive pair of waves): ``measure``, ``from_wave``,
        ``to_wave``, ``change``, ``ci_low``, ``ci_high``, ``significant``. Rows follow the wave
        order, measures in the order of the later wave.

    Notes
    -----
    Each row is :func:`wave_change` of the two waves' estimates.
    """
    waves = list(scores_by_wave)
    rows = []
    for w1, w2 in zip(waves, waves[1:]):
        before, after = scores_by_wave[w1], scores_by_wave[w2]
        for measure, est in after.items():
            if measure not in before:
                continue
            ch = wave_change(before[measure], est)
            rows.append({"measure": measure, "from_wave": w1, "to_wave": w2, "change": ch.change,
                         "ci_low": ch.ci_low, "ci_high": ch.ci_high, "significant": ch.significant})
    out = pd.DataFrame(rows, columns=list(WAVE_COLUMNS))
    for c in ("measure", "from_wave", "to_wave"):
        out[c] = out[c].astype(object)
    for c in ("change", "ci_low", "ci_high"):
        out[c] = pd.to_numeric(out[c]).astype(float)
    out["significant"] = out["significant"].astype(bool)
    return out


# ------------------------------------------------------------------------------ several waves

#: Order of season and period words within a year (Dutch and English).
_PERIODS: dict[str, float] = {
    "winter": 0.5, "q1": 1, "k1": 1, "h1": 1.5, "voorjaar": 2, "lente": 2, "spring": 2, "q2": 2, "k2": 2,
    "zomer": 3, "summer": 3, "q3": 3, "k3": 3, "h2": 3.5, "najaar": 4, "herfst": 4, "autumn": 4, "fall": 4,
    "q4": 4, "k4": 4,
}
_MONTHS = ("jan", "feb", "mar|maa|mrt", "apr", "mei|may", "jun", "jul", "aug", "sep", "o[ck]t", "nov", "dec")


def wave_sort_key(wave: str, reference_date: dt.date | None = None) -> tuple:
    """A key that puts waves in chronological order.

    The reference date decides when it is known; otherwise the wave's name is read: a year
    (``2025``) and a period within it — a season (``voorjaar`` < ``zomer`` < ``najaar``; English
    too), a quarter (``Q1``, ``K2``), a half (``H1``), a month name or a trailing number
    (``2025-2``). ``2026-najaar`` therefore comes after ``2026-voorjaar``, which plain text
    order gets wrong. Names without a year sort after dated ones, by name.
    """
    name = str(wave).lower()
    year_match = re.search(r"(?<!\d)(19|20)\d{2}(?!\d)", name)
    year = int(year_match.group(0)) if year_match else 9999
    rest = name.replace(year_match.group(0), " ") if year_match else name
    period = 0.0
    for word, rank in _PERIODS.items():
        if re.search(rf"(?<![a-z]){word}(?![a-z])", rest):
            period = rank
            break
    else:
        for i, pat in enumerate(_MONTHS):
            if re.search(rf"(?<![a-z])({pat})", rest):
                period = (i + 1) / 3.0
                break
        else:
            num = re.search(r"(?<!\d)(\d{1,2})(?!\d)", rest)
            period = float(num.group(1)) if num else 0.0
    date_key = reference_date.toordinal() if reference_date is not None else dt.date.max.toordinal()
    return (date_key, year, period, name)


#: The sources that may carry a ``wave`` column (the tickets and the customer base carry none).
SURVEYS: tuple[str, ...] = ("customer_survey", "employee_survey")


def survey_waves(frames: Mapping[str, pd.DataFrame]) -> set[str]:
    """The values of the ``wave`` column of the surveys (missing values left out)."""
    names: set[str] = set()
    for src in SURVEYS:
        f = frames.get(src)
        if f is not None and "wave" in f:
            names |= set(f["wave"].dropna().astype(str))
    return names


def current_wave(configured: str, names: Iterable[str]) -> str:
    """The wave a client folder measures: ``configured`` (``wave`` in ``client.yaml``) when the
    surveys' ``wave`` column holds it, else the latest of ``names`` (:func:`wave_sort_key`).

    Its survey rows are scored, the tickets and the customer base go with it, and the earlier
    waves' rows are its history; rows of a later wave are set aside at intake.
    """
    names = list(names)
    return configured if configured in names else max(names, key=wave_sort_key)


def chronological(waves: list[tuple[str, dt.date | None]]) -> list[int]:
    """Positions of ``(wave name, reference date)`` pairs in chronological order.

    By reference date when every wave has one, else by name alone (:func:`wave_sort_key`): a
    wave without a date cannot be placed among dated ones by its date.
    """
    dated = all(ref is not None for _, ref in waves)
    return sorted(range(len(waves)), key=lambda i: wave_sort_key(waves[i][0], waves[i][1] if dated else None))


@dataclass(frozen=True)
class WaveSnapshot:
    """What one wave of a client measured, for comparing waves.

    Attributes
    ----------
    wave : str
        The wave's name (``client.yaml``).
    reference_date : datetime.date or None
        The date its data describe.
    model_version : str
        The scoring model used; changes between models are not comparable.
    estimates : dict
        Measure key -> Estimate. Keys are ``"overall"``, ``"dimension.<key>"``,
        ``"internal.<key>"``, ``"customer.<key>"`` and ``"kpi.<key>"``.
    sources : dict
        Dimension key -> the evidence sources its score used (``internal``, ``customer``, ``kpi``).
    weights : dict
        Dimension key -> the weight it had in the overall score (the model's, or derived with
        ``use_derived_weights``); empty when not known.
    kpis_used : dict or None
        Dimension key -> the KPIs its KPI view averaged; None when not known (a ``scores.json``
        written before klantladder recorded them).
    """

    wave: str
    reference_date: dt.date | None
    model_version: str
    estimates: dict[str, Estimate]
    sources: dict[str, tuple[str, ...]]
    weights: dict[str, float] = field(default_factory=dict)
    kpis_used: dict[str, tuple[str, ...]] | None = None

    @property
    def scored(self) -> tuple[str, ...]:
        """The dimensions with a score in this wave (those the overall score averages)."""
        return tuple(k.partition(".")[2] for k in self.estimates if k.startswith("dimension."))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: the wave, its date, model version and estimates."""
        return {"wave": self.wave,
                "reference_date": self.reference_date.isoformat() if self.reference_date else None,
                "model_version": self.model_version,
                "estimates": {k: {**v.to_dict(), "se": None if v.se is None else round(float(v.se), 4)}
                              for k, v in self.estimates.items()},
                "weights": {k: round(float(v), 4) for k, v in self.weights.items()}}


#: Largest difference between two waves' weight shares of a dimension in the overall score that
#: still counts as the same weighting (rounding, as in ``scores.json``, not a re-weighting).
WEIGHT_TOLERANCE = 1e-3


def weight_shares(weights: Mapping[str, float], scored: Iterable[str]) -> dict[str, float]:
    """Each scored dimension's share of the overall score: its weight over the total weight of
    the scored dimensions (the overall score is their weighted mean). Empty when unknown."""
    keys = [k for k in scored if k in weights]
    total = sum(float(weights[k]) for k in keys)
    if not keys or total <= 0:
        return {}
    return {k: float(weights[k]) / total for k in keys}


def same_sources(a: WaveSnapshot, b: WaveSnapshot, keys: Iterable[str] | None = None) -> bool:
    """Whether the dimension scores ``keys`` (by default every dimension of either wave) rest on
    the same evidence sources in both waves, and their KPI views on the same KPIs where both
    waves recorded them. A dimension scored in one wave only differs."""
    keys = set(a.sources) | set(b.sources) if keys is None else keys
    same = all(tuple(a.sources.get(k, ())) == tuple(b.sources.get(k, ())) for k in keys)
    if a.kpis_used is None or b.kpis_used is None:
        return same
    return same and all(tuple(a.kpis_used.get(k, ())) == tuple(b.kpis_used.get(k, ())) for k in keys)


def same_weights(a: WaveSnapshot, b: WaveSnapshot, tolerance: float = WEIGHT_TOLERANCE) -> bool:
    """Whether the overall score weighs the dimensions alike in both waves: every dimension's
    share (:func:`weight_shares`) differs by at most ``tolerance``. True when either wave's
    weights are not known (then the model version stands for them)."""
    if not a.weights or not b.weights:
        return True
    wa, wb = weight_shares(a.weights, a.scored), weight_shares(b.weights, b.scored)
    if set(wa) != set(wb):
        return False
    return all(abs(wa[k] - wb[k]) <= tolerance for k in wa)


def comparable(a: WaveSnapshot, b: WaveSnapshot, kind: str, key: str) -> bool:
    """Whether the change of a measure between waves ``a`` and ``b`` measures the organisation
    rather than a change of method.

    * every measure: the same model version;
    * a dimension score (``kind == "dimension"``): also the same evidence sources for it;
    * the overall score (``kind == "overall"``): also the same evidence sources for every
      dimension, and the same weights (:func:`same_weights`; derived weights re-estimated in
      each wave generally differ, and then the overall change is not comparable).

    Views (``internal``, ``customer``) and KPIs need the model version only.
    """
    if a.model_version != b.model_version:
        return False
    if kind == "dimension":
        return same_sources(a, b, [key])
    if kind == "overall":
        return same_sources(a, b) and same_weights(a, b)
    return True


COMPARE_COLUMNS: tuple[str, ...] = WAVE_COLUMNS + ("kind", "key", "from_value", "to_value", "comparable")


def compare_snapshots(snapshots: list[WaveSnapshot]) -> pd.DataFrame:
    """Change of every measure between consecutive waves, with its interval.

    Parameters
    ----------
    snapshots : list of WaveSnapshot
        The waves of one client; put in chronological order here (:func:`wave_sort_key`).

    Returns
    -------
    pandas.DataFrame
        :data:`COMPARE_COLUMNS`: the columns of :func:`wave_table`, then ``kind`` (``overall``,
        ``dimension``, ``internal``, ``customer`` or ``kpi``), ``key`` (dimension or KPI key),
        the two values, and ``comparable`` (:func:`comparable`): False when the model version
        differs, when a dimension score rests on other evidence sources in the two waves, and
        for the overall score also when any dimension's sources or the dimension weights differ
        (then part of the change is a change of method, not of the organisation).

    Notes
    -----
    Each change is :func:`wave_change` (independent samples, :math:`SE_\\Delta =
    \\sqrt{SE_1^2 + SE_2^2}`). With some 30 measures per comparison, about one or two
    "significant" changes are expected by chance alone when nothing changed.
    """
    ordered = [snapshots[i] for i in chronological([(s.wave, s.reference_date) for s in snapshots])]
    labels = _unique_labels([s.wave for s in ordered])
    table = wave_table({lab: s.estimates for lab, s in zip(labels, ordered)})
    by_label = dict(zip(labels, ordered))
    kinds, keys, before, after, same = [], [], [], [], []
    for row in table.itertuples(index=False):
        kind, _, key = row.measure.partition(".")
        a, b = by_label[row.from_wave], by_label[row.to_wave]
        kinds.append(kind)
        keys.append(key or kind)
        before.append(a.estimates[row.measure].value)
        after.append(b.estimates[row.measure].value)
        same.append(comparable(a, b, kind, key or kind))
    table["kind"] = pd.Series(kinds, dtype=object)
    table["key"] = pd.Series(keys, dtype=object)
    table["from_value"] = pd.to_numeric(pd.Series(before, dtype=object)).astype(float)
    table["to_value"] = pd.to_numeric(pd.Series(after, dtype=object)).astype(float)
    table["comparable"] = pd.Series(same, dtype=bool)
    return table[list(COMPARE_COLUMNS)]


def _unique_labels(names: list[str]) -> list[str]:
    """Wave names made unique (``2026``, ``2026 (2)``) so no wave is silently merged."""
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n} ({seen[n]})")
    return out
