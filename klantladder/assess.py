"""One client's assessment: every number the report, ``scores.json`` and the workbook show.

:func:`assess` turns :class:`~klantladder.intake.ClientData` into an :class:`Assessment` — computed
once, rendered three times (never three computations of the same number).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from . import __version__
from .drivers import DriverResult, derived_importance, importance_performance, importance_weights
from .intake import ClientData, read_client
from .intervals import Estimate, mean_estimate
from .kpis import compute_kpis, reference_date
from .model import Model, apply_scale
from .reliability import AlphaResult, cronbach_alpha
from .resampling import draw_kpis, draw_means
from .scoring import (DimensionScore, RungResult, blocking_conditions, combine_views, kpi_view, respondent_scores,
                      rung_level, rung_levels)

__all__ = ["Assessment", "assess", "assess_folder", "DRAWS", "SCORES_KPIS"]

DRAWS = 2000
SCORES_KPIS = ("nps", "csat", "ces", "first_response_hours_median", "resolution_hours_median", "fcr_rate",
               "reopen_rate", "repeat_contact_rate", "sla_rate", "retention_12m")
ALPHA_FLAG = 0.7


@dataclass
class Assessment:
    """The scored client. ``to_dict`` gives ``scores.json``."""

    data: ClientData
    model: Model
    kpis: dict[str, Estimate | None]
    dimensions: dict[str, DimensionScore]
    overall: Estimate
    rung: RungResult
    reliability: dict[str, dict[str, AlphaResult]]
    weights: dict[str, float]
    drivers: DriverResult | None
    importance: pd.DataFrame | None
    mirror_gaps: pd.DataFrame
    respondents: dict[str, pd.DataFrame]
    reference_date: dt.date | None
    draws: int
    notes: list[dict[str, str]] = field(default_factory=list)

    @property
    def config(self):
        return self.data.config

    @property
    def language(self) -> str:
        return self.config.language

    def in_language(self, language: str | None) -> "Assessment":
        """This assessment reported in ``language`` (the customer word follows the sector)."""
        from dataclasses import replace

        from .config import sector_terms

        cfg = self.data.config
        if not language or language == cfg.language:
            return self
        data = replace(self.data, config=replace(cfg, language=language,
                                                 customer_term=sector_terms(cfg.sector, language)))
        return replace(self, data=data)

    def to_dict(self) -> dict[str, Any]:
        """The ``scores.json`` document (SPEC 4.4), free of raw identifiers."""
        cfg = self.config
        rows_rejected = int(len(self.data.rejects))
        return {
            "client_id": cfg.client_id,
            "name": cfg.name,
            "sector": cfg.sector,
            "wave": cfg.wave,
            "model_version": self.model.version,
            "package_version": __version__,
            "language": cfg.language,
            "reference_date": self.reference_date.isoformat() if self.reference_date else None,
            "rung": self.rung.to_dict(cfg.language),
            "overall": {"score": _r(self.overall.value), "ci_low": _r(self.overall.ci_low),
                        "ci_high": _r(self.overall.ci_high)},
            "dimensions": {k: d.to_dict() for k, d in self.dimensions.items()},
            "weights": {k: round(v, 4) for k, v in self.weights.items()},
            "kpis": {k: (v.to_dict() if v is not None and v.value is not None else None) for k, v in self.kpis.items()},
            "reliability": {s: {k: {**a.to_dict(), "flag": _flag(a)} for k, a in dims.items()}
                            for s, dims in self.reliability.items()},
            "drivers": _drivers_dict(self.drivers, self.importance),
            "data_quality": {
                "rows_read": int(sum(self.data.rows_read.values())),
                "rows_rejected": rows_rejected,
                "rows_read_by_source": dict(self.data.rows_read),
                "rows_rejected_by_source": {str(k): int(v) for k, v in
                                            self.data.rejects.groupby("source").size().items()},
                "warnings": [f.to_dict() for f in self.data.warnings],
            },
            "uncertainty": {"draws": self.draws, "method": "joint resampling (see docs/methodology.md)"},
        }


def _r(x: float | None, digits: int = 2) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), digits)


def _flag(a: AlphaResult) -> bool:
    return bool(np.isfinite(a.alpha) and a.alpha < ALPHA_FLAG)


def _drivers_dict(drivers: DriverResult | None, importance: pd.DataFrame | None) -> dict | None:
    if drivers is None:
        return None
    table = drivers.table.replace({np.nan: None}).to_dict(orient="records")
    return {"outcome": drivers.outcome, "r2": _r(drivers.r2, 4), "n": drivers.n, "reason": drivers.reason,
            "collinearity_warning": list(drivers.collinearity_warning), "table": table,
            "quadrants": None if importance is None else importance.replace({np.nan: None}).to_dict(orient="records")}


def _seed(cfg) -> int:
    return int.from_bytes(hashlib.sha256(f"{cfg.client_id}|{cfg.wave}".encode()).digest()[:8], "little")


def _reliability(frame: pd.DataFrame | None, model: Model, survey: str) -> dict[str, AlphaResult]:
    out: dict[str, AlphaResult] = {}
    if frame is None:
        return out
    for dim in model.dimensions:
        cols = [i.column for i in getattr(dim, f"{survey}_items") if i.column in frame.columns]
        if len(cols) >= 2:
            out[dim.key] = cronbach_alpha(frame[cols].astype("float64"), missing="pairwise")
    return out


def _kpi_view_draws(model: Model, dimension: str, kpi_draws: Mapping[str, np.ndarray]) -> np.ndarray | None:
    """The KPI view of a dimension per draw (the same mean of scaled KPIs as :func:`kpi_view`)."""
    vals = [apply_scale(kpi_draws[k], model.kpis[k].scale) for k in model.dimension(dimension).kpis
            if k in kpi_draws and model.kpis[k].scale is not None]
    return np.mean(vals, axis=0) if vals else None


def _percentiles(x: np.ndarray) -> tuple[float | None, float | None]:
    x = x[~np.isnan(x)]
    if x.size == 0:
        return None, None
    lo, hi = np.percentile(x, [2.5, 97.5])
    return float(lo), float(hi)


def _view_estimate(point: float, n: int, draws: np.ndarray) -> Estimate:
    lo, hi = _percentiles(draws)
    return Estimate(point, lo, hi, n, float(np.nanstd(draws)) if draws.size else None)


def mirror_gap_table(employee: pd.DataFrame | None, customer: pd.DataFrame | None, model: Model) -> pd.DataFrame:
    """Item-by-item gap (0–100) between employees' expectation (mirror items) and customers' answers.

    Interval: difference of two independent means with a normal (Welch) standard error.
    """
    cols = ["dimension", "item", "expected", "actual", "gap", "ci_low", "ci_high", "n_employee", "n_customer"]
    rows = []
    if employee is None or customer is None:
        return pd.DataFrame(columns=cols)
    span = model.likert_max - model.likert_min
    for item in model.items("customer"):
        m = f"mirror_{item.column}"
        if m not in employee or item.column not in customer:
            continue
        e = (employee[m].dropna().astype(float) - model.likert_min) / span * 100
        c = (customer[item.column].dropna().astype(float) - model.likert_min) / span * 100
        if len(e) < 2 or len(c) < 2:
            continue
        gap = e.mean() - c.mean()
        se = np.sqrt(e.var(ddof=1) / len(e) + c.var(ddof=1) / len(c))
        rows.append([item.dimension, item.column, e.mean(), c.mean(), gap, gap - 1.96 * se, gap + 1.96 * se,
                     len(e), len(c)])
    return pd.DataFrame(rows, columns=cols)


def assess(data: ClientData, draws: int = DRAWS, seed: int | None = None) -> Assessment:
    """Score a client: KPIs, dimension views and scores with intervals, overall score, rung with
    probabilities and blocking conditions, reliability, derived importance and mirror gaps."""
    cfg, model = data.config, data.model
    frames = data.frames
    rng = np.random.default_rng(_seed(cfg) if seed is None else seed)
    sla = {**model.sla, **cfg.sla}
    ref = reference_date(frames, cfg.reference_date)
    kpis = compute_kpis(frames, sla, ref, cfg.customer_survey_invited)
    keys = model.dimension_keys
    internal = respondent_scores(frames.get("employee_survey"), model, "employee").reindex(columns=keys)
    customer = respondent_scores(frames.get("customer_survey"), model, "customer").reindex(columns=keys)

    # Derived importance (customer view of each dimension against NPS, else CSAT).
    drivers, importance = None, None
    survey = frames.get("customer_survey")
    if survey is not None:
        outcome = next((c for c in ("nps", "csat") if c in survey and survey[c].notna().sum() > 0), None)
        preds = [k for k in keys if customer[k].notna().any()]
        if outcome and len(preds) >= 2:
            table = customer[preds].assign(**{outcome: survey[outcome].astype(float)})
            drivers = derived_importance(table, outcome, preds)
            if not drivers.table.empty:
                imp = drivers.table.set_index("predictor")["lmg_share"]
                perf = customer[imp.index].mean()
                importance = importance_performance(imp, perf).reset_index(drop=False)

    weights = {d.key: d.weight for d in model.dimensions}
    if cfg.use_derived_weights and drivers is not None and not drivers.table.empty:
        shares = drivers.table.set_index("predictor")["lmg_share"]
        block = sum(weights[k] for k in shares.index)
        for k, w in importance_weights(shares).items():
            weights[k] = float(w) * block

    # Point estimates.
    kpi_point = {k: (v.value if v is not None else None) for k, v in kpis.items()}
    int_mean = internal.mean()
    cus_mean = customer.mean()
    # Joint draws.
    int_draws = draw_means(internal.to_numpy(dtype=float), draws, rng)
    cus_draws = draw_means(customer.to_numpy(dtype=float), draws, rng)
    kpi_draws = draw_kpis(kpis, draws, rng)
    sw = dict(model.source_weights)

    dims: dict[str, DimensionScore] = {}
    score_draws: dict[str, np.ndarray] = {}
    gap_draws: dict[str, np.ndarray] = {}
    point_scores: dict[str, float | None] = {}
    point_gaps: dict[str, float | None] = {}
    for j, key in enumerate(keys):
        n_int, n_cus = int(internal[key].notna().sum()), int(customer[key].notna().sum())
        views = {"internal": float(int_mean[key]) if n_int else None,
                 "customer": float(cus_mean[key]) if n_cus else None,
                 "kpi": kpi_view(model, key, kpi_point)}
        score = combine_views(views, sw)
        used = tuple(s for s, v in views.items() if v is not None)
        # Draws of this dimension from the same draws of its views.
        num = np.zeros(draws)
        den = 0.0
        if views["internal"] is not None:
            num += sw["internal"] * int_draws[:, j]
            den += sw["internal"]
        if views["customer"] is not None:
            num += sw["customer"] * cus_draws[:, j]
            den += sw["customer"]
        kd = _kpi_view_draws(model, key, kpi_draws) if views["kpi"] is not None else None
        if kd is not None:
            num += sw["kpi"] * kd
            den += sw["kpi"]
        d_draws = num / den if den > 0 else np.full(draws, np.nan)
        score_draws[key] = d_draws
        point_scores[key] = score
        lo, hi = _percentiles(d_draws) if score is not None else (None, None)
        gap_est = None
        if n_int and n_cus:
            g = int_draws[:, j] - cus_draws[:, j]
            gap_draws[key] = g
            point_gaps[key] = views["internal"] - views["customer"]  # type: ignore[operator]
            gap_est = _view_estimate(point_gaps[key], min(n_int, n_cus), g)
        dims[key] = DimensionScore(
            key, score, lo, hi,
            _view_estimate(views["internal"], n_int, int_draws[:, j]) if n_int else None,
            _view_estimate(views["customer"], n_cus, cus_draws[:, j]) if n_cus else None,
            views["kpi"], gap_est, used)

    scored = {k: v for k, v in point_scores.items() if v is not None}
    wsum = sum(weights[k] for k in scored)
    overall_point = sum(weights[k] * v for k, v in scored.items()) / wsum if wsum else None
    if scored:
        overall_draws = sum(weights[k] * score_draws[k] for k in scored) / wsum
        lo, hi = _percentiles(overall_draws)
        overall = Estimate(overall_point, lo, hi, len(scored), float(np.nanstd(overall_draws)))
    else:
        overall = Estimate.empty()
    level = rung_level(model, point_scores, point_gaps)
    levels = rung_levels(model, score_draws, gap_draws)
    probs = {r.level: float(np.mean(levels == r.level)) for r in model.rungs}
    rung = RungResult(level, model.rung(level).name, probs, blocking_conditions(model, level, point_scores, point_gaps))
    reliability = {"employee": _reliability(frames.get("employee_survey"), model, "employee"),
                   "customer": _reliability(frames.get("customer_survey"), model, "customer")}
    notes = []
    for source, label in (("employee_survey", "internal"), ("customer_survey", "customer"), ("tickets", "kpi")):
        if source not in frames:
            notes.append({"source": source, "view": label})
    return Assessment(data, model, kpis, dims, overall, rung, reliability, weights, drivers, importance,
                      mirror_gap_table(frames.get("employee_survey"), frames.get("customer_survey"), model),
                      {"employee": internal, "customer": customer}, ref, draws, notes)


def assess_folder(folder: str | Path, draws: int = DRAWS, key: bytes | None = None) -> Assessment:
    """Read, validate and score a client folder (raises InputError on bad input)."""
    return assess(read_client(folder, key=key), draws=draws)
