"""From canonical frames to the assessment: dimension scores, overall score, gated rung.

A survey view of a dimension is the mean over respondents of each respondent's mean over the
dimension's items they answered (respondents who answered fewer than half are left out),
normalised to 0–100. The KPI view is the mean of the dimension's KPIs through their scales. A
dimension score is the weighted mean of the views that exist (weights renormalised). The overall
score is the weighted mean of the dimension scores. The rung is gated: the highest rung whose
conditions, and those of every rung below, hold.

Uncertainty comes from one joint resampling (:mod:`klantladder.resampling`) of everything the
scores are built from, so every dimension, the overall score and the rung get intervals and
probabilities that agree with each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from .intervals import Estimate
from .model import Condition, Model, apply_scale

__all__ = [
    "respondent_scores", "kpi_view", "combine_views", "overall_score", "rung_level", "blocking_conditions",
    "condition_value", "rung_levels", "gated_draws", "rung_probabilities", "DimensionScore", "RungResult",
    "excludes_zero",
]


def respondent_scores(frame: pd.DataFrame | None, model: Model, survey: str, prefix: str = "") -> pd.DataFrame:
    """Each respondent's 0–100 score per dimension (NaN when fewer than half the items were answered).

    Parameters
    ----------
    frame : canonical survey frame (or None)
    survey : ``"employee"`` or ``"customer"``: whose items define the dimensions
    prefix : ``"mirror_"`` to score the employee survey's mirror items

    Returns
    -------
    DataFrame with one column per dimension that has at least one item column present.
    """
    out: dict[str, np.ndarray] = {}
    if frame is None:
        return pd.DataFrame()
    span = model.likert_max - model.likert_min
    for dim in model.dimensions:
        items = getattr(dim, f"{survey}_items")
        cols = [prefix + i.column for i in items if prefix + i.column in frame.columns]
        if not cols:
            continue
        x = frame[cols].to_numpy(dtype="float64", na_value=np.nan)
        answered = (~np.isnan(x)).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.nansum(x, axis=1) / answered
        mean[answered * 2 < len(items)] = np.nan
        out[dim.key] = (mean - model.likert_min) / span * 100.0
    return pd.DataFrame(out, index=frame.index)


def kpis_used(model: Model, dimension: str, kpis: Mapping[str, Any]) -> tuple[str, ...]:
    """The dimension's KPIs that are available (in ``kpis`` and not None: a value or its draws)
    and have a scale: those its KPI view averages."""
    return tuple(k for k in model.dimension(dimension).kpis
                 if kpis.get(k) is not None and model.kpis[k].scale is not None)


def kpi_view(model: Model, dimension: str, kpis: Mapping[str, float | None]) -> float | None:
    """Mean of the dimension's KPIs mapped through their scales; None when none is available."""
    vals = [apply_scale(kpis[k], model.kpis[k].scale) for k in kpis_used(model, dimension, kpis)]
    return float(np.mean(vals)) if vals else None


def combine_views(views: Mapping[str, float | None], weights: Mapping[str, float]) -> float | None:
    """Weighted mean of the available views (internal, customer, kpi); weights renormalised."""
    used = {k: v for k, v in views.items() if v is not None and not np.isnan(v) and weights.get(k, 0) > 0}
    if not used:
        return None
    total = sum(weights[k] for k in used)
    return float(sum(weights[k] * v for k, v in used.items()) / total)


def overall_score(scores: Mapping[str, float | None], weights: Mapping[str, float]) -> float | None:
    """Weighted mean of the dimension scores that exist."""
    return combine_views(scores, weights)


def condition_value(cond: Condition, scores: Mapping[str, np.ndarray], gaps: Mapping[str, np.ndarray]) -> np.ndarray:
    """The number a condition looks at, per draw: a dimension score, the lowest dimension score
    (``all``) or the largest absolute perception gap (``gap``). NaN where the evidence is missing
    (the condition then fails: a rung must be shown, not assumed)."""
    if cond.dimension == "all":
        stack = np.vstack([np.asarray(v, dtype=float) for v in scores.values()])
        return np.where(np.isnan(stack).any(axis=0), np.nan, stack.min(axis=0)) if len(stack) else np.array([np.nan])
    if cond.dimension == "gap":
        if not gaps:
            return np.array([np.nan])
        stack = np.abs(np.vstack([np.asarray(v, dtype=float) for v in gaps.values()]))
        with np.errstate(all="ignore"):
            return np.where(np.isnan(stack).all(axis=0), np.nan, np.nanmax(np.where(np.isnan(stack), -np.inf, stack), axis=0))
    return np.asarray(scores.get(cond.dimension, np.nan), dtype=float)


def _holds(cond: Condition, value: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        ok = value >= cond.min if cond.min is not None else value <= cond.max
    return np.asarray(ok) & ~np.isnan(value)


def rung_levels(model: Model, scores: Mapping[str, np.ndarray], gaps: Mapping[str, np.ndarray]) -> np.ndarray:
    """The gated rung per draw: the highest level whose conditions, and those of every lower
    level, hold. ``scores`` and ``gaps`` map keys to equally long arrays (one value per draw)."""
    size = max([np.size(v) for v in list(scores.values()) + list(gaps.values())] + [1])
    level = np.ones(size, dtype=int)
    still = np.ones(size, dtype=bool)
    for rung in model.rungs[1:]:
        for cond in rung.conditions:
            still &= _holds(cond, condition_value(cond, scores, gaps))
        level[still] = rung.level
    return level


def _defined(x: float | None) -> bool:
    return x is not None and not np.isnan(x)


def _gate_needs(model: Model, keys: Sequence[str]) -> tuple[set[str], bool]:
    """The dimension scores (of ``keys``) the model's gates read, and whether they read the gaps."""
    dims: set[str] = set()
    gaps = False
    for rung in model.rungs[1:]:
        for cond in rung.conditions:
            if cond.dimension == "all":
                dims |= set(keys)
            elif cond.dimension == "gap":
                gaps = True
            else:
                dims.add(cond.dimension)
    return dims, gaps


def gated_draws(model: Model, points: Mapping[str, float | None], gap_points: Mapping[str, float | None],
                scores: Mapping[str, np.ndarray], gaps: Mapping[str, np.ndarray]) -> np.ndarray:
    """Which draws define every quantity the rung gates read (a boolean mask, one per draw).

    A draw is left out when a dimension score or perception gap that some gate reads is NaN in
    it while its point estimate is not: no unit of a sparsely answered source was drawn, so the
    draw says nothing about that gate (the intervals leave such draws out too). A quantity whose
    point estimate is missing (no evidence at all) leaves no draw out: its gate fails in every
    draw, as it does for the point estimate.
    """
    size = max([np.size(v) for v in list(scores.values()) + list(gaps.values())] + [1])
    keep = np.ones(size, dtype=bool)
    dims, use_gaps = _gate_needs(model, list(scores))
    needed = [scores[k] for k in dims if k in scores and _defined(points.get(k))]
    if use_gaps:
        needed += [gaps[k] for k in gaps if _defined(gap_points.get(k))]
    for values in needed:
        keep &= ~np.isnan(np.asarray(values, dtype=float))
    return keep


def rung_probabilities(model: Model, points: Mapping[str, float | None], gap_points: Mapping[str, float | None],
                       scores: Mapping[str, np.ndarray], gaps: Mapping[str, np.ndarray]
                       ) -> tuple[dict[int, float], int]:
    """The probability of each rung: the share of the usable draws (:func:`gated_draws`) whose
    gated rung (:func:`rung_levels`) is that rung, and the number of draws used.

    When no draw is usable (not expected in practice) every draw is used, a NaN gate failing.
    """
    levels = rung_levels(model, scores, gaps)
    keep = gated_draws(model, points, gap_points, scores, gaps)
    if not keep.any():
        keep = np.ones_like(keep)
    used = levels[keep] if keep.size == levels.size else levels
    return {r.level: float(np.mean(used == r.level)) for r in model.rungs}, int(used.size)


def _arrays(values: Mapping[str, float | None]) -> dict[str, np.ndarray]:
    return {k: np.array([np.nan if v is None else float(v)]) for k, v in values.items()}


def rung_level(model: Model, scores: Mapping[str, float | None], gaps: Mapping[str, float | None]) -> int:
    """The gated rung for one set of dimension scores and perception gaps."""
    return int(rung_levels(model, _arrays(scores), _arrays(gaps))[0])


def blocking_conditions(model: Model, level: int, scores: Mapping[str, float | None],
                        gaps: Mapping[str, float | None]) -> list[dict]:
    """The conditions of the next rung that do not hold, with how far off they are."""
    if level >= len(model.rungs):
        return []
    out = []
    arr_scores, arr_gaps = _arrays(scores), _arrays(gaps)
    for cond in model.rung(level + 1).conditions:
        raw = float(condition_value(cond, arr_scores, arr_gaps)[0])
        if _holds(cond, np.array([raw]))[0]:
            continue
        value = None if np.isnan(raw) else raw
        target = cond.min if cond.min is not None else cond.max
        short = None if value is None else round(abs(float(target) - value), 1)  # type: ignore[arg-type]
        worst = None
        if cond.dimension == "all":
            present = {k: v for k, v in scores.items() if v is not None}
            missing = [k for k, v in scores.items() if v is None]
            worst = missing[0] if missing else (min(present, key=present.get) if present else None)  # type: ignore[arg-type]
        elif cond.dimension == "gap":
            present = {k: abs(v) for k, v in gaps.items() if v is not None}
            worst = max(present, key=present.get) if present else None  # type: ignore[arg-type]
        out.append({"rung": level + 1, "dimension": cond.dimension, "min": cond.min, "max": cond.max,
                    "value": None if value is None else round(value, 1), "shortfall": short,
                    "worst_dimension": worst})
    return out


def excludes_zero(est: Estimate | None) -> bool:
    """True when a 95% interval lies wholly above or wholly below 0 (a difference larger than
    the noise, two-sided test at 5%); False without an interval."""
    if est is None or est.ci_low is None or est.ci_high is None:
        return False
    return bool(est.ci_low > 0 or est.ci_high < 0)


@dataclass(frozen=True)
class DimensionScore:
    """A dimension's score with its interval and the views it was built from.

    ``gap`` is the perception gap internal − customer view with its interval (from the joint
    draws of the two independent surveys); ``gap_significant`` says whether that interval
    excludes 0. ``se`` is the standard deviation of the score's draws (used to compare waves).
    """

    key: str
    score: float | None
    ci_low: float | None
    ci_high: float | None
    internal: Estimate | None
    customer: Estimate | None
    kpi: float | None
    gap: Estimate | None
    sources: tuple[str, ...]
    se: float | None = None
    kpi_ci: tuple[float | None, float | None] | None = None
    kpis_used: tuple[str, ...] = ()

    @property
    def gap_significant(self) -> bool:
        """Whether the perception gap exceeds the noise (its 95% interval excludes 0)."""
        return excludes_zero(self.gap)

    def estimate(self) -> Estimate:
        """The score as an :class:`Estimate` (n = number of evidence sources)."""
        return Estimate(self.score, self.ci_low, self.ci_high, len(self.sources), self.se)

    def to_dict(self) -> dict:
        def r(x: float | None) -> float | None:
            return None if x is None or not np.isfinite(x) else round(float(x), 2)

        gap = None if self.gap is None else {**self.gap.to_dict(), "significant": self.gap_significant}
        return {
            "score": r(self.score), "ci_low": r(self.ci_low), "ci_high": r(self.ci_high),
            "internal": r(self.internal.value) if self.internal else None,
            "customer": r(self.customer.value) if self.customer else None,
            "kpi": r(self.kpi),
            "n_internal": self.internal.n if self.internal else 0,
            "n_customer": self.customer.n if self.customer else 0,
            "internal_ci": [r(self.internal.ci_low), r(self.internal.ci_high)] if self.internal else None,
            "customer_ci": [r(self.customer.ci_low), r(self.customer.ci_high)] if self.customer else None,
            "gap": gap,
            "sources": list(self.sources),
            "kpis_used": list(self.kpis_used),
            "kpi_ci": [r(self.kpi_ci[0]), r(self.kpi_ci[1])] if self.kpi_ci else None,
        }


@dataclass(frozen=True)
class RungResult:
    """The rung of the point estimates, the probability of each rung over the draws, the
    conditions blocking the next rung, and how many draws the probabilities rest on
    (``draws_used``: the draws in which every gated quantity is defined, :func:`gated_draws`)."""

    level: int
    name: Mapping[str, str]
    probabilities: Mapping[int, float]
    blocking: Sequence[dict] = field(default_factory=list)
    draws_used: int | None = None

    def to_dict(self, language: str) -> dict:
        """The ``rung`` entry of ``scores.json``."""
        return {"level": self.level, "name": self.name.get(language, self.name["nl"]),
                "probabilities": {str(k): round(float(v), 4) for k, v in self.probabilities.items()},
                "blocking": list(self.blocking), "draws_used": self.draws_used}
