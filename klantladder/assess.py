"""One client's assessment: every number the report, ``scores.json`` and the workbook show.

:func:`assess` turns :class:`~klantladder.intake.ClientData` into an :class:`Assessment` — computed
once, rendered three times (never three computations of the same number). The statistics are
described in ``docs/methodology.md``; the joint resampling behind every interval is in
:mod:`klantladder.resampling`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from contextlib import nullcontext
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from . import __version__, intake, privacy
from .drivers import DriverResult, derived_importance, importance_performance, importance_weights
from .config import ClientConfig, client_subfolders, customers_timezone, is_client_folder
from .intake import ClientData, read_client
from .errors import Finding, InputError, KlantladderError, UsageError
from .intervals import Estimate
from .kpis import (TICKET_QUANTILES, TicketColumns, TicketEvidence, customer_columns, kpi_evidence,
                   survey_columns, survey_kpis, ticket_evidence)
from .model import Model, apply_scale
from .reliability import AlphaResult, PairwiseMoments, cronbach_alpha, item_rest_correlations, pairwise_moments
from .resampling import Units, UnitDraws, draw_normal, draw_ratios, quantile_draws_many
from .scoring import (DimensionScore, RungResult, blocking_conditions, combine_views, kpi_view, kpis_used,
                      respondent_scores, rung_level, rung_probabilities)
from .segments import (SMALL_GROUPS, Difference, collapse_small_groups, measure_bounds, segment_table,
                       table_records, value_columns)
from .waves import (SURVEYS, WaveSnapshot, chronological, compare_snapshots, current_wave, survey_waves,
                    wave_sort_key)

__all__ = ["Assessment", "assess", "assess_folder", "assess_current_wave", "assess_client_waves",
           "assess_with_history", "compare_waves", "find_wave_folders", "split_waves", "mirror_gap_table",
           "segment_tables", "DRAWS", "SCORES_KPIS", "ALPHA_FLAG"]

DRAWS = 2000
SCORES_KPIS = ("nps", "csat", "ces", "first_response_hours_median", "resolution_hours_median", "fcr_rate",
               "reopen_rate", "repeat_contact_rate", "sla_rate", "retention_12m")
#: Cronbach's alpha below this is flagged.
ALPHA_FLAG = 0.7
_VIEW = (0.0, 100.0)
_SURVEY_KPI_BOUNDS = {"nps": (-100.0, 100.0), "csat": (0.0, 100.0), "ces": (1.0, 7.0)}


@dataclass
class Assessment:
    """The scored client. ``to_dict`` gives ``scores.json``.

    Besides the scores: ``item_statistics`` holds, per survey and dimension, each item's
    item-rest correlation and alpha-if-dropped; ``segments`` the breakdowns by customer segment,
    channel and department (suppressed where small); ``history`` the earlier waves of the client
    (oldest first), so :meth:`wave_changes` gives the trend; ``regimes`` which resampling regime
    each source used.
    """

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
    item_statistics: dict[str, dict[str, pd.DataFrame]] = field(default_factory=dict)
    segments: dict[str, pd.DataFrame] = field(default_factory=dict)
    history: list[WaveSnapshot] = field(default_factory=list)
    regimes: dict[str, str] = field(default_factory=dict)
    #: What the report derives from this assessment (:mod:`klantladder.reportdata`), each computed
    #: once; pickled with it, so the report's kernel does not compute again what the workbook did.
    report_cache: dict[str, Any] = field(default_factory=dict, init=False, compare=False, repr=False)

    @property
    def config(self):
        return self.data.config

    @property
    def language(self) -> str:
        return self.config.language

    @property
    def wave(self) -> str:
        return self.config.wave

    def in_language(self, language: str | None) -> "Assessment":
        """This assessment reported in ``language`` (the customer word is the client's own in that
        language where client.yaml gives one, else the sector's; masked free text and group
        labels carry that language's placeholders, ``[phone]`` for ``[telefoon]``)."""
        cfg = self.data.config
        if not language or language == cfg.language:
            return self
        frames = {k: privacy.localise_mask_frame(f, language) for k, f in self.data.frames.items()}
        data = replace(self.data, config=replace(cfg, language=language), frames=frames)
        segments = {k: privacy.localise_mask_frame(t, language) for k, t in self.segments.items()}
        return replace(self, data=data, segments=segments)

    def snapshot(self) -> WaveSnapshot:
        """This wave's estimates, for comparing waves (:func:`compare_waves`)."""
        est: dict[str, Estimate] = {"overall": self.overall}
        for k, d in self.dimensions.items():
            if d.score is not None:
                est[f"dimension.{k}"] = d.estimate()
            for view in ("internal", "customer"):
                v = getattr(d, view)
                if v is not None and v.value is not None:
                    est[f"{view}.{k}"] = v
        for k, v in self.kpis.items():
            if v is not None and v.value is not None:
                est[f"kpi.{k}"] = v
        return WaveSnapshot(self.wave, self.reference_date, self.model.version, est,
                            {k: d.sources for k, d in self.dimensions.items()}, dict(self.weights),
                            {k: d.kpis_used for k, d in self.dimensions.items()})

    def wave_changes(self) -> pd.DataFrame:
        """Changes between consecutive waves, the earlier ones (``history``) and this one."""
        return compare_snapshots([*self.history, self.snapshot()])

    @property
    def waves(self) -> pd.DataFrame | None:
        """The change since the previous wave, as the report reads it; None without history.

        Columns ``measure`` (``overall``, a dimension key or a KPI key), ``previous``,
        ``current``, ``change``, ``ci_low``, ``ci_high``, ``significant``, ``from_wave``,
        ``to_wave``, ``kind`` and ``comparable``; ``attrs["series"]`` holds every wave's
        ``{measure: (value, ci_low, ci_high)}`` for a trend figure. The full comparison, views
        included, is :meth:`wave_changes`.
        """
        if not self.history:
            return None
        table = self.wave_changes()
        table = table[table["kind"].isin(["overall", "dimension", "kpi"])]
        if table.empty:
            return None
        last = table[table["to_wave"] == table["to_wave"].iloc[-1]]
        out = pd.DataFrame({"measure": last["key"], "previous": last["from_value"], "current": last["to_value"],
                            "change": last["change"], "ci_low": last["ci_low"], "ci_high": last["ci_high"],
                            "significant": last["significant"], "from_wave": last["from_wave"],
                            "to_wave": last["to_wave"], "kind": last["kind"],
                            "comparable": last["comparable"]}).reset_index(drop=True)
        out.attrs["series"] = {
            s.wave: {m.partition(".")[2] or m: (e.value, e.ci_low, e.ci_high) for m, e in s.estimates.items()
                     if m == "overall" or m.startswith(("dimension.", "kpi."))}
            for s in [*self.history, self.snapshot()]}
        return out

    def trend(self) -> pd.DataFrame:
        """Every wave's value per measure (oldest first): wave, reference_date, measure, value,
        ci_low, ci_high — what a trend chart draws."""
        rows = []
        for snap in [*self.history, self.snapshot()]:
            for measure, e in snap.estimates.items():
                rows.append({"wave": snap.wave, "reference_date": snap.reference_date, "measure": measure,
                             "value": e.value, "ci_low": e.ci_low, "ci_high": e.ci_high})
        return pd.DataFrame(rows, columns=["wave", "reference_date", "measure", "value", "ci_low", "ci_high"])

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
            "item_statistics": {s: {k: _records(t) for k, t in dims.items()} for s, dims in self.item_statistics.items()},
            "drivers": _drivers_dict(self.drivers, self.importance),
            "mirror_gaps": _records(self.mirror_gaps),
            "segments": {k: _segment_dict(t, self.model.group_minimum(cfg.min_group_size))
                         for k, t in self.segments.items()},
            "service_channels": _channels_dict(self),
            "waves": _waves_dict(self) if self.history else None,
            "data_quality": {
                "rows_read": int(sum(self.data.rows_read.values())),
                "rows_rejected": rows_rejected,
                "rows_read_by_source": dict(self.data.rows_read),
                "rows_rejected_by_source": {str(k): int(v) for k, v in
                                            self.data.rejects.groupby("source").size().items()},
                "warnings": [f.to_dict() for f in self.data.warnings],
            },
            "uncertainty": {"draws": self.draws, "method": "joint resampling (see docs/methodology.md)",
                            "regimes": dict(self.regimes)},
        }


# ------------------------------------------------------------------------------ serialisation


def _r(x: float | None, digits: int = 2) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), digits)


def _flag(a: AlphaResult) -> bool:
    return bool(np.isfinite(a.alpha) and a.alpha < ALPHA_FLAG)


def _json_value(v: Any) -> Any:
    if v is None or v is pd.NA:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return None if not np.isfinite(v) else round(float(v), 4)
    if isinstance(v, (tuple, list)):
        return [_json_value(x) for x in v]
    return v


def _records(table: pd.DataFrame | None) -> list[dict[str, Any]]:
    if table is None:
        return []
    return [{k: _json_value(v) for k, v in row.items()} for row in table_records(table)]


def _difference_dict(d: Difference) -> dict[str, Any]:
    def sig(p: float) -> float:  # three significant digits: a p-value of 1e-9 stays above 0
        return float(f"{p:.3g}")

    return {"diff": _r(d.diff), "p": sig(d.p), "p_adjusted": sig(d.p_adjusted), "beyond_noise": d.beyond_noise}


def _segment_dict(table: pd.DataFrame, min_n: int) -> dict[str, Any]:
    """A breakdown for ``scores.json``: hidden groups and cells have no values (null), and each
    row lists the value columns hidden within a shown group (``suppressed_values``) and, per
    shown cell, its comparison with the rest (``differences``: :class:`~klantladder.segments.Difference`)
    and the 95% confidence interval of its mean (``intervals``: ``[low, high]``)."""
    values = value_columns(table)
    marks = table.attrs.get("suppressed_values") or [()] * len(table)
    differences = table.attrs.get("differences") or [{}] * len(table)
    intervals = table.attrs.get("intervals") or [{}] * len(table)
    rows = collapse_small_groups([{**r, "suppressed_values": list(m),
                                   "differences": {c: _difference_dict(x) for c, x in d.items()},
                                   "intervals": {c: [_r(lo, 4), _r(hi, 4)] for c, (lo, hi) in ci.items()}}
                                  for r, m, d, ci in zip(_records(table), marks, differences, intervals)])
    # Many groups too small to show are one row without a label: {"group": null, "small_groups": k}.
    rows = [{**r, "group": None, "suppressed_values": [], "differences": {}, "intervals": {}}
            if r["group"] == SMALL_GROUPS else r for r in rows]
    return {"values": values, "min_group_size": int(min_n), "rows": rows}


def _channels_dict(a: Assessment) -> dict[str, Any] | None:
    """The service table per channel for ``scores.json`` (:func:`klantladder.reportdata.service_by_channel`,
    as the report and the workbook show it): hidden channels have no values (null), and per shown
    rate its comparison with the other channels' tickets (``differences``) and per shown value its
    95% interval (``intervals``: ``[low, high]``). None without tickets."""
    from .reportdata import min_group_size, service_by_channel

    table = service_by_channel(a)
    if table.empty:
        return None
    rows = [{**r, "n": None if r["suppressed"] else r["n"],
             "differences": {c: _difference_dict(x) for c, x in d.items()},
             "intervals": {c: [_r(lo, 4), _r(hi, 4)] for c, (lo, hi) in ci.items()}}
            for r, d, ci in zip(_records(table.drop(columns=["differences", "intervals"])), table["differences"],
                                table["intervals"])]
    return {"min_group_size": int(min_group_size(a)), "rows": rows}


def _waves_dict(a: Assessment) -> dict[str, Any]:
    history = [{"wave": s.wave, "reference_date": s.reference_date.isoformat() if s.reference_date else None,
                "model_version": s.model_version,
                "overall": s.estimates["overall"].to_dict() if "overall" in s.estimates else None,
                "dimensions": {k.split(".", 1)[1]: v.to_dict() for k, v in s.estimates.items()
                               if k.startswith("dimension.")}}
               for s in a.history]
    return {"history": history, "changes": _records(a.wave_changes())}


def _drivers_dict(drivers: DriverResult | None, importance: pd.DataFrame | None) -> dict | None:
    if drivers is None:
        return None
    table = drivers.table.replace({np.nan: None}).to_dict(orient="records")
    return {"outcome": drivers.outcome, "r2": _r(drivers.r2, 4), "n": drivers.n, "reason": drivers.reason,
            "collinearity_warning": list(drivers.collinearity_warning), "table": table,
            "quadrants": None if importance is None else importance.replace({np.nan: None}).to_dict(orient="records")}


def _seed(cfg) -> int:
    return int.from_bytes(hashlib.sha256(f"{cfg.client_id}|{cfg.wave}".encode()).digest()[:8], "little")


# -------------------------------------------------------------------------------- reliability


def _item_columns(frame: pd.DataFrame, model: Model, survey: str, key: str) -> list[str]:
    return [i.column for i in getattr(model.dimension(key), f"{survey}_items") if i.column in frame.columns]


def _survey_moments(frame: pd.DataFrame | None, model: Model, survey: str) -> dict[str, PairwiseMoments]:
    """The pairwise moments of the items of each dimension with at least two items present,
    computed once for both the alphas and the item statistics."""
    if frame is None:
        return {}
    out: dict[str, PairwiseMoments] = {}
    for key in model.dimension_keys:
        cols = _item_columns(frame, model, survey, key)
        if len(cols) >= 2:
            out[key] = pairwise_moments(frame[cols])
    return out


def _per_dimension(frame: pd.DataFrame | None, model: Model, survey: str,
                   moments: Mapping[str, PairwiseMoments] | None, statistic) -> dict[str, Any]:
    """``statistic(items, missing="pairwise", moments=...)`` for each dimension with at least two
    items present in ``frame``."""
    out: dict[str, Any] = {}
    if frame is None:
        return out
    for key in model.dimension_keys:
        cols = _item_columns(frame, model, survey, key)
        if len(cols) >= 2:
            given = (moments or {}).get(key)
            items = frame[cols] if given is not None else frame[cols].astype("float64")
            out[key] = statistic(items, missing="pairwise", moments=given)
    return out


def _reliability(frame: pd.DataFrame | None, model: Model, survey: str,
                 moments: Mapping[str, PairwiseMoments] | None = None) -> dict[str, AlphaResult]:
    """Cronbach's alpha per dimension with at least two items present (pairwise missing)."""
    return _per_dimension(frame, model, survey, moments, cronbach_alpha)


def _item_statistics(frame: pd.DataFrame | None, model: Model, survey: str,
                     moments: Mapping[str, PairwiseMoments] | None = None) -> dict[str, pd.DataFrame]:
    """Item-rest correlation and alpha-if-dropped of each item, per dimension (pairwise)."""
    return _per_dimension(frame, model, survey, moments, item_rest_correlations)


# -------------------------------------------------------------------------------- mirror items


def mirror_gap_table(employee: pd.DataFrame | None, customer: pd.DataFrame | None, model: Model,
                     min_n: int = 5) -> pd.DataFrame:
    """Item-by-item gap (0–100) between employees' expectation (mirror items) and customers' answers.

    Parameters
    ----------
    employee : DataFrame or None
        The employee survey with ``mirror_<item>`` columns: the customer items answered as
        employees expect customers to answer them.
    customer : DataFrame or None
        The customer survey.
    model : Model
    min_n : int
        Fewest answers on each side for an item to be shown (:meth:`Model.group_minimum`, never
        below 5): an item's mean of a handful of employees is as good as their answers.

    Returns
    -------
    pandas.DataFrame
        One row per customer item with a mirror item: ``dimension``, ``item``, ``expected``
        (employees, 0–100), ``actual`` (customers), ``gap`` = expected − actual, ``ci_low``,
        ``ci_high``, ``p_value``, ``significant`` (interval excludes 0), ``n_employee``,
        ``n_customer``.

    Notes
    -----
    The two groups are independent samples with unequal variances, so the interval is Welch's:
    :math:`\\Delta \\pm t_{0.975,\\nu}\\sqrt{s_e^2/n_e + s_c^2/n_c}` with the
    Welch–Satterthwaite degrees of freedom
    :math:`\\nu = (s_e^2/n_e + s_c^2/n_c)^2 / [(s_e^2/n_e)^2/(n_e-1) + (s_c^2/n_c)^2/(n_c-1)]`.
    With some 20 items, about one "significant" gap is expected by chance when there is none.

    References
    ----------
    Welch, B. L. (1947). The generalization of "Student's" problem when several different
    population variances are involved. *Biometrika*, 34(1-2), 28-35.
    """
    cols = ["dimension", "item", "expected", "actual", "gap", "ci_low", "ci_high", "p_value", "significant",
            "n_employee", "n_customer"]
    rows = []
    if employee is None or customer is None:
        return pd.DataFrame(columns=cols)
    need = max(5, min_n)
    span = model.likert_max - model.likert_min
    for item in model.items("customer"):
        m = f"mirror_{item.column}"
        if m not in employee or item.column not in customer:
            continue
        e = (employee[m].dropna().astype(float) - model.likert_min) / span * 100
        c = (customer[item.column].dropna().astype(float) - model.likert_min) / span * 100
        if len(e) < need or len(c) < need:
            continue
        rows.append([item.dimension, item.column, e.mean(), c.mean(), *_welch(e.to_numpy(), c.to_numpy()),
                     len(e), len(c)])
    out = pd.DataFrame(rows, columns=cols)
    out["significant"] = out["significant"].astype(bool)
    return out


def _welch(e: np.ndarray, c: np.ndarray) -> tuple[float, float, float, float, bool]:
    """Difference of means, Welch 95% interval, two-sided p-value and significance."""
    ve, vc = e.var(ddof=1) / e.size, c.var(ddof=1) / c.size
    gap = float(e.mean() - c.mean())
    se = float(np.sqrt(ve + vc))
    if se == 0:
        return gap, gap, gap, (1.0 if gap == 0 else 0.0), gap != 0
    df = (ve + vc) ** 2 / (ve ** 2 / (e.size - 1) + vc ** 2 / (c.size - 1))
    half = float(stats.t.ppf(0.975, df)) * se
    p = float(2 * stats.t.sf(abs(gap) / se, df))
    return gap, gap - half, gap + half, p, bool(gap - half > 0 or gap + half < 0)


# ----------------------------------------------------------------------------------- segments


def segment_tables(frames: Mapping[str, pd.DataFrame], internal: pd.DataFrame, customer: pd.DataFrame,
                   survey_kpis: pd.DataFrame, min_n: int, total_label: str = "Totaal") -> dict[str, pd.DataFrame]:
    """Breakdowns with minimum-n suppression (primary and secondary, per group and per cell).

    ``customer_segment`` and ``customer_channel``: the customers' dimension scores (0–100,
    columns ``dim_<key>``) and NPS (``nps``) per customer segment and per contact channel;
    ``department``: the employees' dimension scores per department. A table is left out when
    its grouping column is absent or empty. ``min_n`` is :meth:`klantladder.model.Model.group_minimum`,
    never below 5. Each table is :func:`klantladder.segments.segment_table` (cells hidden within a
    shown group are listed in ``attrs["suppressed_values"]``).
    """
    min_n = max(5, int(min_n))
    out: dict[str, pd.DataFrame] = {}
    survey = frames.get("customer_survey")
    if survey is not None:
        table = pd.DataFrame({f"dim_{k}": customer[k] for k in customer.columns if customer[k].notna().any()},
                             index=customer.index)
        if "nps" in survey_kpis:
            table["nps"] = survey_kpis["nps"].to_numpy()
        values = list(table.columns)
        for by, name in (("segment", "customer_segment"), ("channel", "customer_channel")):
            if by in survey and survey[by].notna().any() and values:
                grouped = table.assign(**{by: survey[by].array})  # positional, and no Python object per row
                out[name] = segment_table(grouped, by, values, min_n=min_n, total_label=total_label,
                                          bounds=measure_bounds(values))
    employee = frames.get("employee_survey")
    if employee is not None and "department" in employee and employee["department"].notna().any():
        table = pd.DataFrame({f"dim_{k}": internal[k] for k in internal.columns if internal[k].notna().any()},
                             index=internal.index)
        values = list(table.columns)
        if values:
            grouped = table.assign(department=employee["department"].array)
            out["department"] = segment_table(grouped, "department", values, min_n=min_n, total_label=total_label,
                                              bounds=measure_bounds(values))
    return out


# ---------------------------------------------------------------------------------- the draws


@dataclass
class _Draws:
    """Joint draws of every view and KPI (one row per draw), and the regime per source."""

    internal: dict[str, np.ndarray]
    customer: dict[str, np.ndarray]
    kpis: dict[str, np.ndarray]
    regimes: dict[str, str]


def _view_draws(scores: pd.DataFrame, extra: pd.DataFrame | None, draws: int, rng: np.random.Generator,
                bounds: Mapping[str, tuple[float, float]]) -> UnitDraws | None:
    """Draws of a survey's dimension views (and survey KPIs), resampling respondents."""
    cols = [k for k in scores.columns if scores[k].notna().any()]
    table = scores[cols]
    if extra is not None and len(extra.columns):
        table = pd.concat([table, extra.set_axis(scores.index)], axis=1)
    if table.shape[1] == 0 or len(table) == 0:
        return None
    return draw_ratios(Units.from_rows(table, bounds=bounds), draws, rng)


def _ticket_draws(tc: TicketColumns, units: Units, draws: int, rng: np.random.Generator
                  ) -> tuple[dict[str, np.ndarray], str | None]:
    """Draws of every ticket KPI, resampling customers (cluster bootstrap); quantiles via the
    share at or below them (:func:`klantladder.resampling.quantile_draws`)."""
    if not tc.indicators:
        return {}, None
    d = draw_ratios(units, draws, rng)
    point = dict(zip(units.columns, units.estimate()))
    out: dict[str, np.ndarray] = {key: d.column(key) for key in units.columns}
    by_hours: dict[str, list[str]] = {}
    for key in units.columns:
        if key in TICKET_QUANTILES:
            by_hours.setdefault(TICKET_QUANTILES[key][0], []).append(key)
    for col, keys in by_hours.items():  # one partition per column of times
        specs = [(TICKET_QUANTILES[k][1], d.column(k), point[k]) for k in keys]
        out.update(zip(keys, quantile_draws_many(tc.hours[col], specs)))
    return out, d.regime


@dataclass
class _TicketPart:
    """The tickets' KPIs with the evidence behind them, and their draws."""

    evidence: TicketEvidence | None
    draws: dict[str, np.ndarray]
    regime: str | None


def _ticket_part(tickets: pd.DataFrame | None, sla: Mapping[str, float], ref: dt.date | None, draws: int,
                 rng: np.random.Generator) -> _TicketPart:
    """Everything the tickets contribute. The tickets are a sample of their own with their own
    random stream, so this runs alongside the surveys' share of the work (on millions of tickets
    it is the larger share)."""
    evidence = ticket_evidence(tickets, sla, ref)
    if evidence is None:
        return _TicketPart(None, {}, None)
    ticket_draws, regime = _ticket_draws(evidence.columns, evidence.units, draws, rng)
    return _TicketPart(evidence, ticket_draws, regime)


def _source_draws(internal: pd.DataFrame, customer: pd.DataFrame, survey_values: pd.DataFrame,
                  customer_base: pd.DataFrame, response_rate: Estimate | None, draws: int,
                  rng: np.random.Generator) -> _Draws:
    """One joint draw set per source other than the tickets; sources are independent samples."""
    regimes: dict[str, str] = {}
    view_bounds = {k: _VIEW for k in customer.columns}
    e = _view_draws(internal, None, draws, rng, {k: _VIEW for k in internal.columns})
    c = _view_draws(customer, survey_values, draws, rng, {**view_bounds, **_SURVEY_KPI_BOUNDS})
    int_d = {k: e.column(k) for k in e.columns} if e else {}
    cus_d = {k: c.column(k) for k in c.columns if k in customer.columns} if c else {}
    kpi_d = {k: c.column(k) for k in c.columns if k in survey_values.columns} if c else {}
    if e:
        regimes["employee_survey"] = e.regime
    if c:
        regimes["customer_survey"] = c.regime
    if len(customer_base.columns) and len(customer_base):
        b = draw_ratios(Units.from_rows(customer_base, bounds={k: (0.0, 100.0) for k in customer_base.columns}),
                        draws, rng)
        kpi_d.update({k: b.column(k) for k in b.columns})
        regimes["customers"] = b.regime
    rr = draw_normal(response_rate, draws, rng, (0.0, 100.0))
    if rr is not None:
        kpi_d["survey_response_rate"] = rr
        regimes["survey_response_rate"] = "normal"
    return _Draws(int_d, cus_d, kpi_d, regimes)


def _with_tickets(d: _Draws, tickets: _TicketPart) -> _Draws:
    """The draws of the other sources together with the tickets' (regimes in source order)."""
    if tickets.regime is None:
        return d
    regimes = {k: v for k, v in d.regimes.items() if k in ("employee_survey", "customer_survey")}
    regimes["tickets"] = tickets.regime
    regimes.update({k: v for k, v in d.regimes.items() if k not in regimes})
    return _Draws(d.internal, d.customer, {**d.kpis, **tickets.draws}, regimes)


def _kpi_view_draws(model: Model, dimension: str, kpi_draws: Mapping[str, np.ndarray]) -> np.ndarray | None:
    """The KPI view of a dimension per draw (the same mean of scaled KPIs as :func:`kpi_view`)."""
    vals = [apply_scale(kpi_draws[k], model.kpis[k].scale) for k in kpis_used(model, dimension, kpi_draws)]
    return np.mean(vals, axis=0) if vals else None


def _percentiles(x: np.ndarray) -> tuple[float | None, float | None]:
    x = x[~np.isnan(x)]
    if x.size == 0:
        return None, None
    lo, hi = np.percentile(x, [2.5, 97.5])
    return float(lo), float(hi)


def _sd(x: np.ndarray) -> float | None:
    x = x[~np.isnan(x)]
    return float(x.std(ddof=1)) if x.size > 1 else None


def _view_estimate(point: float, n: int, draws: np.ndarray) -> Estimate:
    lo, hi = _percentiles(draws)
    return Estimate(point, lo, hi, n, _sd(draws))


# --------------------------------------------------------------------------------- dimensions


def _dimension(key: str, model: Model, internal: pd.DataFrame, customer: pd.DataFrame,
               kpi_point: Mapping[str, float | None], d: _Draws, draws: int) -> tuple[DimensionScore, np.ndarray, np.ndarray | None]:
    """A dimension's score, views, perception gap and their intervals, and its draws.

    Score :math:`S = \\sum_v w_v V_v / \\sum_v w_v` over the views :math:`v` that exist
    (internal, customer, KPI), per draw as for the point estimate, so the interval follows.
    """
    sw = dict(model.source_weights)
    n_int = int(internal[key].notna().sum()) if key in internal else 0
    n_cus = int(customer[key].notna().sum()) if key in customer else 0
    views = {"internal": float(internal[key].mean()) if n_int else None,
             "customer": float(customer[key].mean()) if n_cus else None,
             "kpi": kpi_view(model, key, kpi_point)}
    score = combine_views(views, sw)
    kd = _kpi_view_draws(model, key, d.kpis) if views["kpi"] is not None else None
    parts = {"internal": d.internal.get(key) if n_int else None,
             "customer": d.customer.get(key) if n_cus else None, "kpi": kd}
    used = {s: p for s, p in parts.items() if p is not None and views[s] is not None and sw.get(s, 0) > 0}
    den = sum(sw[s] for s in used)
    s_draws = sum(sw[s] * p for s, p in used.items()) / den if den > 0 else np.full(draws, np.nan)
    gap_est, g_draws = None, None
    if n_int and n_cus:
        g_draws = parts["internal"] - parts["customer"]
        gap_est = _view_estimate(views["internal"] - views["customer"], min(n_int, n_cus), g_draws)
    lo, hi = _percentiles(s_draws) if score is not None else (None, None)
    kpi_ci = _percentiles(kd) if kd is not None else None
    dim = DimensionScore(
        key, score, lo, hi,
        _view_estimate(views["internal"], n_int, parts["internal"]) if n_int else None,
        _view_estimate(views["customer"], n_cus, parts["customer"]) if n_cus else None,
        views["kpi"], gap_est, tuple(s for s, v in views.items() if v is not None),
        _sd(s_draws) if score is not None else None, kpi_ci,
        kpis_used(model, key, kpi_point) if views["kpi"] is not None else ())
    return dim, s_draws, g_draws


def _weights(model: Model, use_derived: bool, drivers: DriverResult | None) -> dict[str, float]:
    """Dimension weights: the model's, or — with ``use_derived_weights`` — the LMG shares of the
    dimensions in the importance analysis (floored, :func:`importance_weights`) times the model
    weight those dimensions carry together; dimensions outside the analysis keep theirs."""
    weights = {d.key: d.weight for d in model.dimensions}
    if use_derived and drivers is not None and not drivers.table.empty:
        shares = drivers.table.set_index("predictor")["lmg_share"]
        block = sum(weights[k] for k in shares.index)
        for k, w in importance_weights(shares).items():
            weights[k] = float(w) * block
    return weights


def _overall(weights: Mapping[str, float], points: Mapping[str, float | None],
             score_draws: Mapping[str, np.ndarray]) -> Estimate:
    """Weighted mean of the dimension scores that exist, with the interval of its draws."""
    scored = {k: v for k, v in points.items() if v is not None}
    wsum = sum(weights[k] for k in scored)
    if not scored or wsum <= 0:
        return Estimate.empty()
    point = sum(weights[k] * v for k, v in scored.items()) / wsum
    draws = sum(weights[k] * score_draws[k] for k in scored) / wsum
    lo, hi = _percentiles(draws)
    return Estimate(point, lo, hi, len(scored), _sd(draws))


def _rung(model: Model, dims: Mapping[str, DimensionScore], score_draws: Mapping[str, np.ndarray],
          gap_draws: Mapping[str, np.ndarray]) -> RungResult:
    """The gated rung of the point estimates, its blocking conditions, and the probability of
    each rung: the share of the joint draws that land on it, among the draws in which every
    quantity the gates read is defined (:func:`klantladder.scoring.rung_probabilities`)."""
    points = {k: v.score for k, v in dims.items()}
    gaps = {k: v.gap.value for k, v in dims.items() if v.gap is not None}
    level = rung_level(model, points, gaps)
    probs, used = rung_probabilities(model, points, gaps, score_draws, gap_draws)
    return RungResult(level, model.rung(level).name, probs, blocking_conditions(model, level, points, gaps), used)


def _drivers(survey: pd.DataFrame | None, customer: pd.DataFrame, keys: Sequence[str]
             ) -> tuple[DriverResult | None, pd.DataFrame | None]:
    """Derived importance of the customer view of each dimension for NPS, else CSAT."""
    if survey is None:
        return None, None
    outcome = next((c for c in ("nps", "csat") if c in survey and survey[c].notna().sum() > 0), None)
    preds = [k for k in keys if k in customer and customer[k].notna().any()]
    if not outcome or len(preds) < 2:
        return None, None
    table = customer[preds].assign(**{outcome: survey[outcome].to_numpy(dtype="float64", na_value=np.nan)})
    drivers = derived_importance(table, outcome, preds)
    importance = None
    if not drivers.table.empty:
        imp = drivers.table.set_index("predictor")["lmg_share"]
        importance = importance_performance(imp, customer[imp.index].mean()).reset_index(drop=False)
    return drivers, importance


# ------------------------------------------------------------------------------------- assess


def assess(data: ClientData, draws: int = DRAWS, seed: int | None = None,
           previous: Sequence["Assessment | WaveSnapshot"] = ()) -> Assessment:
    """Score a client: KPIs, dimension views and scores with intervals, overall score, rung with
    probabilities and blocking conditions, reliability, derived importance, mirror gaps and
    segment breakdowns.

    Parameters
    ----------
    data : ClientData
        The client's validated frames (:func:`klantladder.intake.read_client`).
    draws : int
        Number of joint resampling draws behind every interval and rung probability.
    seed : int, optional
        Seed of the draws; by default derived from the client id and wave, so a re-run gives
        the same numbers.
    previous : sequence of Assessment or WaveSnapshot
        Earlier waves of the same client; they become ``history`` (for the trend and
        :meth:`Assessment.wave_changes`).
    """
    return _assess(data, draws, seed, previous, None)


@dataclass
class _SurveyPart:
    """Everything the surveys and the customer base contribute (see :func:`_survey_part`)."""

    internal: pd.DataFrame
    customer: pd.DataFrame
    draws: _Draws
    drivers: DriverResult | None
    importance: pd.DataFrame | None
    reliability: dict[str, dict[str, AlphaResult]]
    items: dict[str, pd.DataFrame]
    segments: dict[str, pd.DataFrame]
    mirror: pd.DataFrame
    customer_base: pd.DataFrame  # the customer base's indicator columns (kpis.customer_columns)


def _survey_reliability(employee: pd.DataFrame | None, survey: pd.DataFrame | None, model: Model
                        ) -> tuple[dict[str, dict[str, AlphaResult]], dict[str, dict[str, pd.DataFrame]]]:
    """Reliability and item statistics of both surveys, from one pass of moments per dimension."""
    moments = {"employee": _survey_moments(employee, model, "employee"),
               "customer": _survey_moments(survey, model, "customer")}
    reliability = {"employee": _reliability(employee, model, "employee", moments["employee"]),
                   "customer": _reliability(survey, model, "customer", moments["customer"])}
    items = {"employee": _item_statistics(employee, model, "employee", moments["employee"]),
             "customer": _item_statistics(survey, model, "customer", moments["customer"])}
    return reliability, items


def _survey_part(frames: Mapping[str, pd.DataFrame], cfg: ClientConfig, model: Model, ref: dt.date | None,
                 draws: int, seed: int, alongside: bool = False) -> _SurveyPart:
    """Respondent scores, their draws, drivers, reliability, item statistics, segments and mirror
    gaps: all from the surveys and the customer base, none from the tickets (whose part runs
    alongside, :func:`_ticket_part`).

    With ``alongside`` (a large client) the reliability and item statistics are computed in a
    thread of their own beside the rest: the surveys' part is the last to finish, and would
    otherwise end on one core while the other has nothing left to do.
    """
    keys = model.dimension_keys
    employee, survey = frames.get("employee_survey"), frames.get("customer_survey")
    with ThreadPoolExecutor(max_workers=1) if alongside else nullcontext() as pool:
        reliable = pool.submit(_survey_reliability, employee, survey, model) if pool is not None else None
        internal = respondent_scores(employee, model, "employee").reindex(columns=keys)
        customer = respondent_scores(survey, model, "customer").reindex(columns=keys)
        survey_cols = survey_columns(survey)
        base = customer_columns(frames.get("customers"), ref, customers_timezone(cfg))
        d = _source_draws(internal, customer, survey_cols, base,
                          survey_kpis(survey, cfg.customer_survey_invited)["survey_response_rate"], draws,
                          np.random.default_rng(seed))
        drivers, importance = _drivers(survey, customer, keys)
        segments = segment_tables(frames, internal, customer, survey_cols, model.group_minimum(cfg.min_group_size),
                                  "Totaal" if cfg.language == "nl" else "Total")
        mirror = mirror_gap_table(employee, survey, model, model.group_minimum(cfg.min_group_size))
        reliability, items = (reliable.result() if reliable is not None
                              else _survey_reliability(employee, survey, model))
    return _SurveyPart(internal, customer, d, drivers, importance, reliability, items, segments, mirror, base)


def _assess(data: ClientData, draws: int, seed: int | None, previous: Sequence["Assessment | WaveSnapshot"],
            surveys: Future | None) -> Assessment:
    """:func:`assess`, with the surveys' part already under way (``surveys``, the future of a
    :class:`_SurveyPart`) or not (None)."""
    cfg, model, frames = data.config, data.model, data.frames
    seed = _seed(cfg) if seed is None else seed
    ticket_rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])  # an independent stream
    ref = intake.client_reference_date(cfg, frames)
    sla = {**model.sla, **cfg.sla}
    keys = model.dimension_keys
    if sum(len(f) for f in frames.values()) >= intake.THREADS_FROM_ROWS:
        with ThreadPoolExecutor(max_workers=1) as pool:  # the tickets alongside the rest (see _ticket_part)
            ticket_future = pool.submit(_ticket_part, frames.get("tickets"), sla, ref, draws, ticket_rng)
            surveys = (_survey_part(frames, cfg, model, ref, draws, seed, alongside=True) if surveys is None
                       else surveys.result())
            tickets = ticket_future.result()
    else:  # a small client: one after the other is faster (no contention for the interpreter lock)
        tickets = _ticket_part(frames.get("tickets"), sla, ref, draws, ticket_rng)
        surveys = _survey_part(frames, cfg, model, ref, draws, seed) if surveys is None else surveys.result()
    internal, customer, drivers = surveys.internal, surveys.customer, surveys.drivers
    ev = kpi_evidence(frames, sla, ref, cfg.customer_survey_invited, tickets=tickets.evidence,
                      customers=surveys.customer_base)
    d = _with_tickets(surveys.draws, tickets)
    weights = _weights(model, cfg.use_derived_weights, drivers)
    kpi_point = {k: (v.value if v is not None else None) for k, v in ev.estimates.items()}
    dims: dict[str, DimensionScore] = {}
    score_draws: dict[str, np.ndarray] = {}
    gap_draws: dict[str, np.ndarray] = {}
    for key in keys:
        dims[key], score_draws[key], g = _dimension(key, model, internal, customer, kpi_point, d, draws)
        if g is not None:
            gap_draws[key] = g
    points = {k: v.score for k, v in dims.items()}
    rung = _rung(model, dims, score_draws, gap_draws)
    notes = [{"source": s, "view": v} for s, v in (("employee_survey", "internal"), ("customer_survey", "customer"),
                                                   ("tickets", "kpi")) if s not in frames]
    snaps = [p.snapshot() if isinstance(p, Assessment) else p for p in previous]
    history = [snaps[i] for i in chronological([(s.wave, s.reference_date) for s in snaps])]
    return Assessment(data, model, ev.estimates, dims, _overall(weights, points, score_draws), rung,
                      surveys.reliability, weights, drivers, surveys.importance, surveys.mirror,
                      {"employee": internal, "customer": customer}, ref, draws, notes, surveys.items,
                      surveys.segments, history, d.regimes)


def assess_folder(folder: str | Path, draws: int = DRAWS, key: bytes | None = None) -> Assessment:
    """Read, validate and score a client folder (raises InputError on bad input).

    A folder whose surveys carry a ``wave`` column with several waves is scored as its current
    wave (``wave`` in client.yaml, else the latest), with the earlier waves as ``history``
    (:func:`assess_current_wave`): every command (score, report, batch) gives the same scores.

    The surveys are scored in a thread of their own as soon as they and the customer base are
    read, while the tickets (on a large client the bulk of the rows) are still being converted
    and then scored; with the reference date taken from the data, which the tickets help decide,
    they are scored afterwards.
    """
    early: list[Future] = []
    with ThreadPoolExecutor(max_workers=1) as pool:
        def score_surveys(config: ClientConfig, model: Model, frames: dict[str, pd.DataFrame]) -> None:
            if config.reference_date is not None and len(survey_waves(frames)) <= 1:
                early.append(pool.submit(_survey_part, frames, config, model, config.reference_date, draws,
                                         _seed(config), alongside=True))

        data = read_client(folder, key=key, before_tickets=score_surveys)
        if early:  # one wave: the surveys' part is under way
            return _assess(data, draws, None, (), early[0])
        return assess_current_wave(data, draws=draws)


# -------------------------------------------------------------------------------------- waves


def compare_waves(assessments: Sequence["Assessment | WaveSnapshot"]) -> pd.DataFrame:
    """Change per dimension, view, KPI and the overall score between consecutive waves.

    Parameters
    ----------
    assessments : sequence of Assessment (or WaveSnapshot)
        Waves of one client, in any order: they are put in chronological order by reference
        date, else by wave name (:func:`klantladder.waves.wave_sort_key`).

    Returns
    -------
    pandas.DataFrame
        :data:`klantladder.waves.COMPARE_COLUMNS`: measure, from_wave, to_wave, change, ci_low,
        ci_high, significant, kind, key, from_value, to_value, comparable.

    Notes
    -----
    Waves are independent samples, so :math:`SE_\\Delta = \\sqrt{SE_1^2 + SE_2^2}` and the
    change is significant when :math:`\\Delta \\pm 1.96\\,SE_\\Delta` excludes 0
    (:func:`klantladder.waves.wave_change`). The SE of a dimension score, view or the overall
    score is the standard deviation of its resampling draws; of a KPI its closed-form SE.
    ``comparable`` follows :func:`klantladder.waves.comparable`.
    """
    return compare_snapshots([a.snapshot() if isinstance(a, Assessment) else a for a in assessments])


def find_wave_folders(folder: str | Path) -> list[Path]:
    """The wave folders of the client that ``folder`` belongs to (unordered).

    * ``folder`` is not a client folder itself but holds client folders
      (``clientA/2025-voorjaar``, ``clientA/2026-najaar``, the batch layout): those subfolders;
    * ``folder`` is one wave: it and the sibling folders whose ``client.yaml`` names the same
      client (``name``) with another ``wave``;
    * otherwise: ``[folder]``.

    Raises
    ------
    UsageError
        When ``folder`` holds folders whose ``client.yaml`` names different clients (a batch
        root, not one client), whatever their waves are called.
    """
    from .config import load_client_config

    folder = Path(folder)
    if not folder.is_dir():  # not there, or a file: the scoring says so
        return [folder]
    subs = client_subfolders(folder)
    if subs and not is_client_folder(folder):
        names = sorted({load_client_config(p).name for p in subs})
        if len(names) > 1:  # never one client's trend from another client's scores
            shown = ", ".join(f"'{n}'" for n in names[:6]) + (f" (+{len(names) - 6})" if len(names) > 6 else "")
            raise UsageError({
                "nl": f"{folder} bevat de mappen van verschillende klanten ({shown}), niet de metingen van één "
                      f"klant. Geef één klantmap, of maak alle rapporten met 'klantladder batch {folder} --out MAP'. "
                      "Zijn het toch metingen van één klant, geef ze dan dezelfde name in client.yaml.",
                "en": f"{folder} holds the folders of several clients ({shown}), not the waves of one client. Give "
                      f"one client's folder, or make all the reports with 'klantladder batch {folder} --out DIR'. "
                      "If they are the waves of one client after all, give them the same name in client.yaml."})
        return subs
    cfg = load_client_config(folder)
    if not cfg.wave or is_client_folder(folder.parent):
        return [folder]
    out = [folder]
    for sib in client_subfolders(folder.parent):
        if sib == folder:
            continue
        try:
            other = load_client_config(sib)
        except KlantladderError:
            continue  # a neighbour that cannot be read is not this client's wave; it has its own report
        if other.name == cfg.name and other.wave and other.wave != cfg.wave:
            out.append(sib)
    return out


def split_waves(data: ClientData) -> list[ClientData]:
    """One ClientData per value of a ``wave`` column in the surveys (unordered).

    Survey rows go to the wave they name (rows without a wave to the folder's ``wave``); the
    tickets and the customer base, which carry no wave, go with the folder's own ``wave`` (from
    ``client.yaml``), or with the latest wave by name when that is not among the survey's. The
    earlier waves are then scored from their surveys alone, and :func:`compare_waves` marks
    dimension changes whose evidence differs, and then the overall change, as not comparable
    (:func:`klantladder.waves.comparable`). Without a ``wave`` column, or
    with one value, ``[data]``.
    """
    names = survey_waves(data.frames)
    if len(names) <= 1:
        return [data]
    own = current_wave(data.config.wave, names)
    out = []
    for w in sorted(names, key=wave_sort_key):
        frames = {}
        for src, f in data.frames.items():
            if src in SURVEYS:
                if "wave" in f:
                    lab = f["wave"].astype("string").fillna(own)
                    f = f[(lab == w).to_numpy()].reset_index(drop=True)
                frames[src] = f
            elif w == own:
                frames[src] = f
        cfg = replace(data.config, wave=w, reference_date=data.config.reference_date if w == own else None)
        out.append(replace(data, config=cfg, frames={k: v for k, v in frames.items() if len(v)}))
    return out


def assess_current_wave(data: ClientData, draws: int = DRAWS) -> Assessment:
    """The assessment of one folder's own measurement, with the earlier waves of a ``wave``
    column in its surveys as ``history``.

    Without such a column (or with one wave) this is :func:`assess`. Otherwise the survey rows
    are split by wave (:func:`split_waves`): the current wave
    (:func:`klantladder.waves.current_wave`) is scored with the tickets and the customer base,
    and each earlier wave, scored from its surveys alone, becomes a snapshot in ``history``. Rows
    of a later wave are set aside at intake already; here they would be left out.
    """
    parts = split_waves(data)
    if len(parts) == 1:
        return assess(parts[0], draws=draws)
    own = current_wave(data.config.wave, survey_waves(data.frames))
    ordered = [parts[i] for i in chronological([(p.config.wave, p.config.reference_date) for p in parts])]
    at = next(i for i, p in enumerate(ordered) if p.config.wave == own)
    history = [assess(p, draws=draws).snapshot() for p in ordered[:at]]
    return assess(ordered[at], draws=draws, previous=history)


def assess_client_waves(folder: str | Path, draws: int = DRAWS, key: bytes | None = None) -> list[Assessment]:
    """Every wave of the client behind ``folder``, oldest first, each with the earlier ones as
    its ``history`` (so the last one carries the whole trend).

    Waves are wave folders (:func:`find_wave_folders`) or, within one folder, the values of a
    ``wave`` column in the surveys (:func:`split_waves`). Order: reference date, else the wave
    name (:func:`klantladder.waves.wave_sort_key`).
    """
    return _assess_waves(find_wave_folders(folder), Path(folder).resolve(), draws, key)


def _assess_waves(folders: Sequence[Path], target: Path, draws: int, key: bytes | None) -> list[Assessment]:
    """:func:`assess_client_waves` of the wave folders found (``target``: the one asked for)."""
    datasets: list[ClientData] = []
    unreadable: list[tuple[Path, InputError]] = []
    for f in folders:
        try:
            data = read_client(f, key=key)
        except InputError as exc:
            if Path(f).resolve() == target:
                raise  # the wave asked for: its own errors stop it
            unreadable.append((Path(f), exc))  # another wave: the trend leaves it out, and says so
            continue
        if not data.config.wave:
            data = replace(data, config=replace(data.config, wave=Path(f).name))
        datasets.extend(split_waves(data))
    if not datasets:
        raise unreadable[0][1]
    if unreadable:
        notes = [_unreadable_wave(f, exc) for f, exc in unreadable]
        datasets = [replace(d, findings=[*d.findings, *notes]) for d in datasets]
    scored = [assess(d, draws=draws) for d in datasets]
    scored = [scored[i] for i in chronological([(a.wave, a.reference_date) for a in scored])]
    out: list[Assessment] = []
    for a in scored:
        a.history = [b.snapshot() for b in out]
        out.append(a)
    return out


def _unreadable_wave(folder: Path, exc: InputError) -> Finding:
    """Rule ``wave_unreadable``: another wave of the client cannot be read; the trend leaves it out."""
    first = next((f.rule for f in exc.findings if f.level == "error"), "")
    why_nl = f" (regel {first})" if first else ""
    why_en = f" (rule {first})" if first else ""
    return Finding("wave_unreadable", "warning", folder.name, {
        "nl": f"de meting in map {folder.name} kan niet worden gelezen{why_nl}; de ontwikkeling laat haar weg. "
              f"Controleer die map met 'klantladder validate {folder.name}'.",
        "en": f"the wave in folder {folder.name} cannot be read{why_en}; the trend leaves it out. Check that "
              f"folder with 'klantladder validate {folder.name}'."})


def assess_with_history(folder: str | Path, draws: int = DRAWS, key: bytes | None = None) -> Assessment:
    """The assessment of ``folder`` with the client's earlier waves as history (for the report).

    With one wave this is :func:`assess_folder`. When ``folder`` is one of several wave folders,
    only the waves before it are history.
    """
    waves = find_wave_folders(folder)
    if len(waves) <= 1:
        return assess_folder(folder, draws=draws, key=key)  # a wave column: its earlier waves are the history
    target = Path(folder).resolve()
    result = _assess_waves(waves, target, draws, key)
    for a in result:
        if Path(a.config.folder).resolve() == target:
            return a
    return result[-1]
