"""The tables the report shows beside the Assessment's own numbers, as small tidy functions.

Each function takes an :class:`~klantladder.assess.Assessment` (and, for trend and benchmark,
what the notebook was given) and returns a plain table or value; :mod:`klantladder.sections` and
:mod:`klantladder.plots` only render them. Where the Assessment itself carries a table (segments,
wave comparison, benchmark — added there by the scoring side), that table wins.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from .config import customers_timezone
from .i18n import recommendation_texts, t
from .intervals import Estimate
from .kpis import TICKET_QUANTILES, customer_codes, customer_columns, repeat_contacts, ticket_hours
from .retention import RetentionCurve, retention_curve
from .segments import (LISTED_SMALL_GROUPS, SMALL_GROUPS, UNKNOWN_GROUP, ClusteredGroups, Difference,
                       collapse_small_groups, directions, group_codes, holm_differences, segment_table,
                       measure_bounds, table_records, value_columns)

if TYPE_CHECKING:
    from .waves import WaveSnapshot

__all__ = [
    "KPI_ORDER", "dimension_name", "kpi_name", "ReportContext", "min_group_size", "strongest_weakest",
    "blind_spots", "nps_counts", "service_by_channel",
    "ChannelTickets", "channel_tickets", "channel_hours", "LISTED_SMALL_GROUPS", "SMALL_GROUPS", "displayed_rows", "group_label",
    "ticket_period", "SegmentTable", "segment_tables", "retention", "client_measures", "scores_doc_measures",
    "trend_table", "scores_doc_snapshot", "portfolio_frame", "benchmark_table", "score_band", "RouteItem",
    "route_items", "recommendations", "second_rung", "load_context",
]


@dataclass
class ReportContext:
    """What the report knows beyond one assessment: earlier waves and the portfolio.

    ``previous`` holds earlier waves' ``scores.json`` documents, oldest first; ``portfolio`` one row
    per other client (index: client id; a ``sector`` column and one column per measure).
    """

    previous: list[dict] = field(default_factory=list)
    portfolio: pd.DataFrame | None = None


def _memo(fn):
    """Compute ``fn(a)`` once per Assessment (the report, its figures and the workbook all ask for
    the same tables; on millions of tickets that matters), in the assessment's ``report_cache``,
    which travels with it to the report's kernel. Other objects are computed each time."""
    @functools.wraps(fn)
    def wrapper(a):
        cache = getattr(a, "report_cache", None)
        if cache is None:
            return fn(a)
        if fn.__name__ not in cache:
            cache[fn.__name__] = fn(a)
        return cache[fn.__name__]
    return wrapper


#: The KPIs in the order the report, the workbook and the appendix list them.
KPI_ORDER = ("nps", "csat", "ces", "first_response_hours_median", "first_response_hours_p90",
             "resolution_hours_median", "resolution_hours_p90", "fcr_rate", "reopen_rate", "repeat_contact_rate",
             "sla_rate", "ticket_csat", "resolved_rate", "survey_response_rate", "retention_12m", "churn_12m",
             "segment_known_rate")


def dimension_name(a, key: str) -> str:
    """A dimension's name in the report language (``all`` and ``gap`` for rung conditions)."""
    if key == "all":
        return t("all_dimensions", a.language)
    if key == "gap":
        return t("gap_name", a.language)
    return a.model.dimension(key).name.get(a.language, key)


def kpi_name(a, key: str) -> str:
    """A KPI's name in the report language (its key when the model does not name it)."""
    spec = a.model.kpis.get(key)
    return spec.name.get(a.language, key) if spec else key


def min_group_size(a) -> int:
    """The smallest group a breakdown may show: the client's setting, never below the model's."""
    return a.model.group_minimum(a.config.min_group_size)


def strongest_weakest(a, n: int = 3) -> tuple[list[str], list[str]]:
    """The ``n`` highest and ``n`` lowest scored dimensions (keys), without overlap when few exist."""
    scored = sorted(((d.score, k) for k, d in a.dimensions.items() if d.score is not None), reverse=True)
    keys = [k for _, k in scored]
    n = min(n, len(keys) // 2) if len(keys) < 2 * n else n
    return keys[:n], keys[::-1][:n]


def blind_spots(a) -> list[str]:
    """Dimensions whose perception gap (internal − customer) has a 95% interval excluding 0,
    largest absolute gap first."""
    out = [(abs(d.gap.value), k) for k, d in a.dimensions.items()
           if d.gap is not None and d.gap.value is not None and d.gap.ci_low is not None
           and d.gap.ci_high is not None and (d.gap.ci_low > 0 or d.gap.ci_high < 0)]
    return [k for _, k in sorted(out, reverse=True)]


def nps_counts(a) -> pd.Series | None:
    """Number of answers per NPS score 0–10 (index 0..10); None without NPS answers."""
    survey = a.data.frames.get("customer_survey")
    if survey is None or "nps" not in survey:
        return None
    x = pd.to_numeric(survey["nps"], errors="coerce").dropna()
    x = x[(x >= 0) & (x <= 10)].round().astype(int)
    if x.empty:
        return None
    return x.value_counts().reindex(range(11), fill_value=0).astype(int)


def ticket_period(a) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """First and last ticket creation time, or None without tickets."""
    tickets = a.data.frames.get("tickets")
    if tickets is None or "created_at" not in tickets or tickets["created_at"].notna().sum() == 0:
        return None
    return tickets["created_at"].min(), tickets["created_at"].max()


def _sla(a) -> dict[str, float]:
    return {**a.model.sla, **a.config.sla}


@dataclass(frozen=True)
class ChannelTickets:
    """The tickets grouped by channel, once per report: ``names[code]`` is a channel's name
    (:data:`~klantladder.segments.UNKNOWN_GROUP` for tickets without one), ``codes`` the code of
    each ticket, ``order`` the tickets sorted by code (stable) and ``starts`` where each code's
    tickets begin in it (``starts[k]:starts[k + 1]``)."""

    names: list[str]
    codes: np.ndarray
    order: np.ndarray
    starts: np.ndarray

    def counts(self) -> np.ndarray:
        """Tickets per channel code."""
        return np.diff(self.starts)

    def rows(self, code: int) -> np.ndarray:
        """The positions of the tickets of channel ``code``, in their original order."""
        return self.order[self.starts[code]:self.starts[code + 1]]

    def per_channel(self, values: np.ndarray) -> np.ndarray:
        """The mean of ``values`` per channel code, NaN skipped (NaN where a channel has none)."""
        ok = ~np.isnan(values)
        k = len(self.names)
        total = np.bincount(self.codes[ok], weights=values[ok], minlength=k)
        count = np.bincount(self.codes[ok], minlength=k)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(count > 0, total / np.maximum(count, 1), np.nan)


@_memo
def channel_tickets(a) -> ChannelTickets | None:
    """The tickets' channels as codes (:class:`ChannelTickets`); None without tickets.

    On millions of tickets the channel column is factorised once instead of being compared as
    text per channel, by the table and again by the figure.
    """
    tickets = a.data.frames.get("tickets")
    if tickets is None or len(tickets) == 0:
        return None
    if "channel" in tickets:  # tickets without a channel form the group "unknown"
        codes, names = group_codes(tickets["channel"])
    else:
        codes, names = np.zeros(len(tickets), dtype=np.int64), [UNKNOWN_GROUP]
    order = np.argsort(codes, kind="stable")
    starts = np.concatenate([[0], np.cumsum(np.bincount(codes, minlength=len(names)))])
    return ChannelTickets(names, codes, order, starts)


@_memo
def channel_hours(a) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per channel name: its first-response and resolution hours (missing ones left out)."""
    ct = channel_tickets(a)
    if ct is None:
        return {}
    hours = ticket_hours(a.data.frames["tickets"])
    fr = hours["first_response_hours"].to_numpy(dtype=float)
    res = hours["resolution_hours"].to_numpy(dtype=float)
    out = {}
    for code, name in enumerate(ct.names):
        rows = ct.rows(code)
        f, r = fr[rows], res[rows]
        out[name] = (f[~np.isnan(f)], r[~np.isnan(r)])
    return out


@_memo
def service_by_channel(a) -> pd.DataFrame:
    """Service KPIs per channel with minimum-n suppression (same definitions as the headline KPIs).

    Columns: ``channel``, ``n``, ``suppressed``, ``first_response_median``, ``first_response_p90``,
    ``resolution_median``, ``resolution_p90`` (hours), ``sla_rate``, ``fcr_rate``, ``reopen_rate``,
    ``repeat_rate`` (percent), ``differences``, ``intervals`` (per shown value its 95% interval,
    :func:`_channel_intervals`). Rows sorted by n, largest first; suppressed rows have NaN values.

    Notes
    -----
    Definitions follow :func:`klantladder.kpis.ticket_kpis`: SLA met when first response and
    resolution are both within target, open tickets older than the resolution target count as
    missed; FCR (without an explicit column) = resolved, not reopened and no repeat contact
    within 7 days, among resolved tickets; repeat contact is computed over all channels (a
    customer who comes back by phone after an e-mail counts). Medians and 90th percentiles are
    pandas' (and numpy's) linear quantiles.

    ``differences`` holds, per shown channel, its compared rates and median times against those
    of all other tickets (hidden channels included) as :class:`~klantladder.segments.Difference`:
    the test of :func:`~klantladder.segments.clustered_differences` (a customer's tickets are one
    cluster, so a few customers with many tickets do not pass for many independent observations),
    for a median time applied to the share of tickets within the median of all tickets (a median
    test; the difference itself is in hours), Holm-adjusted over every comparison in the table.
    The 90th percentiles are not compared.
    """
    cols = ["channel", "n", "suppressed", "first_response_median", "first_response_p90", "resolution_median",
            "resolution_p90", "sla_rate", "fcr_rate", "reopen_rate", "repeat_rate", "differences", "intervals"]
    ct = channel_tickets(a)
    if ct is None:
        return pd.DataFrame(columns=cols)
    tickets = a.data.frames["tickets"]
    min_n = min_group_size(a)
    hours = ticket_hours(tickets)
    fr, res = hours["first_response_hours"], hours["resolution_hours"]
    repeat = repeat_contacts(tickets).astype("float")
    reopened = tickets["reopened"].astype("float") if "reopened" in tickets else pd.Series(np.nan, index=tickets.index)
    resolved = res.notna()
    if "first_contact_resolution" in tickets and tickets["first_contact_resolution"].notna().any():
        fcr = tickets["first_contact_resolution"].astype("float")
    else:
        fcr = (resolved & (reopened.fillna(0) == 0) & (repeat.fillna(0) == 0)).astype(float).where(resolved)
    sla = _sla(a)
    target_fr, target_res = sla.get("first_response_hours"), sla.get("resolution_hours")
    sla_rate = np.full(len(ct.names), np.nan)
    per_ticket: dict[str, np.ndarray] = {}
    if target_fr is not None and target_res is not None and resolved.any():  # no resolutions at all: no SLA
        met = ((fr.fillna(res) <= target_fr) & (res <= target_res)).to_numpy(dtype=bool)
        judged = res.notna()
        if a.reference_date is not None:
            end = pd.Timestamp(a.reference_date, tz="UTC") + pd.Timedelta(days=1)
            age = (end - tickets["created_at"]).dt.total_seconds() / 3600.0
            judged = judged | (res.isna() & (age > target_res))
        judged = judged.to_numpy(dtype=bool)
        per_ticket["sla_rate"] = np.where(judged, 100.0 * met, np.nan)
        sla_rate = ct.per_channel(per_ticket["sla_rate"])
    per_ticket.update(fcr_rate=100.0 * fcr.to_numpy(dtype=float, na_value=np.nan),
                      reopen_rate=100.0 * reopened.to_numpy(dtype=float, na_value=np.nan),
                      repeat_rate=100.0 * repeat.to_numpy(dtype=float, na_value=np.nan))
    rates = {k: ct.per_channel(per_ticket[k]) for k in ("fcr_rate", "reopen_rate", "repeat_rate")}
    times = channel_hours(a)
    rows = []
    for code, (name, n) in enumerate(zip(ct.names, ct.counts())):
        row: dict[str, Any] = {"channel": name, "n": int(n), "suppressed": n < min_n}
        if n >= min_n:
            f, r = times[name]
            row.update(first_response_median=np.median(f) if len(f) else np.nan,
                       first_response_p90=np.quantile(f, 0.9) if len(f) else np.nan,
                       resolution_median=np.median(r) if len(r) else np.nan,
                       resolution_p90=np.quantile(r, 0.9) if len(r) else np.nan,
                       **{k: v[code] for k, v in rates.items()})
            if not np.isnan(sla_rate[code]):
                row["sla_rate"] = sla_rate[code]
        rows.append(row)
    out = pd.DataFrame(rows, columns=cols)
    out = out.sort_values(["suppressed", "n", "channel"], ascending=[True, False, True], kind="stable")
    # One suppressed channel could be recovered from the total: hide the next smallest one as well.
    if int(out["suppressed"].sum()) == 1 and (~out["suppressed"]).sum() > 0:
        smallest = out.loc[~out["suppressed"], "n"].idxmin()
        out.loc[smallest, "suppressed"] = True
        out.loc[smallest, cols[3:-2]] = np.nan
    for c in cols[3:-2]:
        out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    out = out.reset_index(drop=True)
    per_hours = {source: hours[source].to_numpy(dtype=float) for source in hours.columns}
    median_times = {c: per_hours[source] for c, (source, q) in _CHANNEL_TIMES.items() if q == 0.5}
    customers = customer_codes(tickets)
    out["differences"] = _channel_differences(ct, out, per_ticket, median_times, customers)
    out["intervals"] = _channel_intervals(ct, out, per_ticket, per_hours, customers)
    return out


#: The per-channel time columns of :func:`service_by_channel` (the headline KPIs' quantiles,
#: ``first_response_hours_median`` as ``first_response_median``): (hours column, quantile).
_CHANNEL_TIMES = {key.replace("_hours_", "_"): spec for key, spec in TICKET_QUANTILES.items()}


def _channel_intervals(ct: ChannelTickets, table: pd.DataFrame, rates: Mapping[str, np.ndarray],
                       hours: Mapping[str, np.ndarray], customers: np.ndarray) -> list[dict[str, tuple[float, float]]]:
    """Per row of :func:`service_by_channel`'s table: the 95% interval of each shown rate and time,
    as the headline KPIs have them (:func:`klantladder.kpis.ticket_kpis`) but over the channel's
    tickets: Wilson's for a rate, Woodruff's order-statistic interval for a median or 90th
    percentile, each with the effective sample size n / deff of the channel's tickets clustered by
    customer (the design effect of the rate, or of the share of times at or below the quantile).
    Hidden channels have none."""
    from .intervals import proportion_estimate, quantile_estimates
    from .resampling import Units

    code = {name: i for i, name in enumerate(ct.names)}
    out: list[dict[str, tuple[float, float]]] = []
    for _, row in table.iterrows():
        cells: dict[str, tuple[float, float]] = {}
        out.append(cells)
        if row["suppressed"]:
            continue
        rows = ct.rows(code[row["channel"]])
        indicators: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for column, values in rates.items():
            if not pd.isna(row[column]):
                v = values[rows]
                indicators[column] = (v == 100.0, ~np.isnan(v))
        quantiles: dict[str, list[str]] = {}  # per hours column, its shown quantile columns
        for column, (source, _) in _CHANNEL_TIMES.items():
            if not pd.isna(row[column]):
                quantiles.setdefault(source, []).append(column)
        times = {source: hours[source][rows] for source in quantiles}
        for source, columns in quantiles.items():
            known = ~np.isnan(times[source])
            with np.errstate(invalid="ignore"):
                indicators.update({c: (times[source] <= row[c], known) for c in columns})
        if not indicators:
            continue
        units = Units.from_indicators(indicators, customers[rows])
        deff = {k: float(d) if np.isfinite(d) else 1.0 for k, d in zip(units.columns, units.deff)}
        estimates = {column: proportion_estimate(int(np.count_nonzero(yes & counted)), int(np.count_nonzero(counted)),
                                                 deff=deff[column])
                     for column, (yes, counted) in indicators.items() if column in rates}
        for source, columns in quantiles.items():  # a time's quantiles from one partition
            estimates.update(zip(columns, quantile_estimates(times[source], [_CHANNEL_TIMES[c][1] for c in columns],
                                                             [deff[c] for c in columns])))
        cells.update({c: (float(estimates[c].ci_low), float(estimates[c].ci_high)) for c in indicators
                      if estimates[c].ci_low is not None and estimates[c].ci_high is not None})
    return out


def _within_pooled_median(hours: np.ndarray) -> np.ndarray:
    """Per ticket: 100 where its time is at or below the median of all tickets' times, 0 above,
    NaN where it has none (the indicator of a median test, Mood 1950)."""
    known = ~np.isnan(hours)
    if not known.any():
        return np.full(hours.shape, np.nan)
    median = np.median(hours[known])
    with np.errstate(invalid="ignore"):
        return np.where(known, 100.0 * (hours <= median), np.nan)


def _channel_differences(ct: ChannelTickets, table: pd.DataFrame, rates: Mapping[str, np.ndarray],
                         median_times: Mapping[str, np.ndarray], customers: np.ndarray) -> list[dict[str, Difference]]:
    """Per row of :func:`service_by_channel`'s table: its shown rates and median times that were
    compared with the other channels' tickets (:func:`~klantladder.segments.clustered_differences`
    of each rate's per-ticket values, and of each time's :func:`_within_pooled_median` indicator),
    Holm-adjusted over all comparisons in the table. ``median_times``: per median column, the
    tickets' hours. A median time's difference is in hours, the channel's median minus the rest's;
    where its sign disagrees with the test's (ties at the median) the cell is not compared."""
    code = {name: i for i, name in enumerate(ct.names)}
    rows = [code[name] for name in table["channel"]]
    shown = ~table["suppressed"].to_numpy(dtype=bool)
    grouped = ClusteredGroups(ct.codes, customers, len(ct.names))
    tested = {**rates, **{column: _within_pooled_median(h) for column, h in median_times.items()}}
    cells = []  # (row, column, diff, p)
    for column, values in tested.items():
        diff, p = grouped.differences(values)
        for i, (c, ok, value) in enumerate(zip(rows, shown, table[column])):
            if not ok or pd.isna(value) or np.isnan(p[c]):
                continue
            if column in median_times:  # a larger share within the pooled median: a lower median
                rest = median_times[column][ct.codes != c]
                rest = rest[~np.isnan(rest)]
                d = value - np.median(rest) if rest.size else np.nan
                if np.sign(d) != -np.sign(diff[c]):
                    continue
                cells.append((i, column, d, p[c]))
            else:
                cells.append((i, column, diff[c], p[c]))
    return holm_differences(cells, len(rows))


@dataclass(frozen=True)
class SegmentTable:
    """One breakdown: ``kind`` (customer_segment, customer_channel, employee_department,
    customer_base), the text ids of its title and grouping column, the value columns shown
    (dimension keys, ``nps``, ``retention``) and the suppressed table (columns of
    :func:`klantladder.segments.group_summary`; hidden groups and hidden cells are NaN)."""

    kind: str
    title_key: str
    group_key: str
    values: tuple[str, ...]
    table: pd.DataFrame

    def directions(self, row: Mapping[str, Any]) -> dict[str, int]:
        """Per value column of a displayed row: +1 where the group lies above the rest beyond the
        noise, -1 below (:class:`klantladder.segments.Difference`); absent otherwise."""
        return directions(row.get("differences"))


_SEGMENT_KINDS = {
    "customer_segment": ("seg_customer_segment", "col_group_segment"),
    "customer_channel": ("seg_customer_channel", "col_group_channel"),
    "employee_department": ("seg_department", "col_group_department"),
    "customer_base": ("seg_customer_base", "col_group_segment"),
}


def _with_marks(df: pd.DataFrame, norm: Callable[[str], str] = str) -> pd.DataFrame:
    """A breakdown of :func:`klantladder.segments.segment_table` with its per-row marks as columns:
    the value columns renamed by ``norm``, the hidden cells (``suppressed_values``), the
    comparisons with the rest (``differences``) and the cells' confidence intervals
    (``intervals``), from the columns or from ``attrs``."""
    table = df.rename(columns={c: norm(c) for c in df.columns})
    for mark, empty, convert in (("suppressed_values", (), lambda h: tuple(norm(c) for c in (h or ()))),
                                 ("differences", {}, lambda d: {norm(c): x for c, x in (d or {}).items()}),
                                 ("intervals", {}, lambda d: {norm(c): x for c, x in (d or {}).items()})):
        found = df[mark] if mark in df else df.attrs.get(mark)
        if found is not None and len(found) == len(table):
            table = table.assign(**{mark: [convert(x) for x in found]})
        elif mark not in table:
            table = table.assign(**{mark: [empty] * len(table)})
    return table


def _summary(frame: pd.DataFrame, by: str, values: list[str], min_n: int) -> pd.DataFrame:
    """:func:`klantladder.segments.segment_table` with its marks as columns (:func:`_with_marks`):
    every measure of these breakdowns lies on 0-100 but NPS (-100 to 100), and retention is a
    share (Wilson's intervals)."""
    return _with_marks(segment_table(frame, by, values, min_n=min_n, bounds=measure_bounds(values),
                                     shares=[c for c in values if c == "retention"]))


_KIND_ALIASES = {"department": "employee_department", "segment": "customer_segment", "channel": "customer_channel"}


def _own_segment_tables(a) -> list[SegmentTable]:
    """The Assessment's breakdowns (``a.segments``) in one shape: value columns named by
    dimension key (``dim_<key>`` → ``<key>``), ``nps``; hidden cells per row in a
    ``suppressed_values`` column (from the column or from ``attrs``)."""
    out = []
    keys = set(a.model.dimension_keys)
    order = {k: i for i, k in enumerate(("nps", "csat", *a.model.dimension_keys))}
    for kind, df in (getattr(a, "segments", None) or {}).items():
        kind = _KIND_ALIASES.get(kind, kind)
        title, group = _SEGMENT_KINDS.get(kind, ("segments_title", "col_group_segment"))

        def norm(c: str) -> str:
            return c[4:] if c.startswith("dim_") and c[4:] in keys else c

        table = _with_marks(df, norm)
        values = tuple(sorted(value_columns(table), key=lambda v: order.get(v, len(order))))
        out.append(SegmentTable(kind, title, group, values, table))
    return out


def _base_retention_table(a) -> SegmentTable | None:
    """12-month retention per segment of the customer base: the per-customer indicator behind
    the retention KPI (:func:`klantladder.kpis.customer_columns`), so none without end dates.
    A group's n is its share of the KPI's base, the customers a year before the reference date
    (not every customer in the file), and the total's n is the KPI's."""
    base = a.data.frames.get("customers")
    if base is None or "segment" not in base or not base["segment"].notna().any():
        return None
    kept = customer_columns(base, a.reference_date, customers_timezone(a.config))
    if "retention_12m" not in kept:
        return None
    frame = pd.DataFrame({"segment": base["segment"].astype(object), "retention": kept["retention_12m"]})
    frame = frame[frame["retention"].notna()]
    if frame.empty:
        return None
    return SegmentTable("customer_base", *_SEGMENT_KINDS["customer_base"], ("retention",),
                        _summary(frame, "segment", ["retention"], min_group_size(a)))


def group_label(group: Any, language: str) -> str:
    """A breakdown group's or channel's name as shown: the group without a label
    (:data:`~klantladder.segments.UNKNOWN_GROUP`) in the words of ``language``."""
    return t("unknown_group", language) if group == UNKNOWN_GROUP else str(group)


def displayed_rows(table: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of a breakdown as the report and the workbook show them
    (:func:`klantladder.segments.collapse_small_groups`)."""
    return collapse_small_groups(table_records(table))


@_memo
def segment_tables(a) -> list[SegmentTable]:
    """Breakdowns with minimum-n suppression: by customer segment and contact channel (customer
    survey: dimension scores, NPS), by department (employee survey) and the 12-month retention
    per segment of the customer base. The survey breakdowns are the Assessment's own
    (``a.segments``) when it carries them; otherwise they are made here the same way."""
    out = _own_segment_tables(a)
    if not out:
        min_n = min_group_size(a)
        survey = a.data.frames.get("customer_survey")
        if survey is not None:
            resp = a.respondents.get("customer", pd.DataFrame(index=survey.index))
            dims = [k for k in a.model.dimension_keys if k in resp and resp[k].notna().any()]
            vals = resp[dims].copy()
            if "nps" in survey and survey["nps"].notna().any():
                x = pd.to_numeric(survey["nps"], errors="coerce")
                vals["nps"] = np.where(x.isna(), np.nan, np.where(x >= 9, 100.0, np.where(x <= 6, -100.0, 0.0)))
            values = ["nps", *dims] if "nps" in vals else dims
            for by, kind in (("segment", "customer_segment"), ("channel", "customer_channel")):
                if by in survey and survey[by].notna().any() and values:
                    frame = vals.assign(**{by: survey[by].astype(object).to_numpy()})
                    out.append(SegmentTable(kind, *_SEGMENT_KINDS[kind], tuple(values),
                                            _summary(frame, by, values, min_n)))
        emp = a.data.frames.get("employee_survey")
        if emp is not None and "department" in emp and emp["department"].notna().any():
            resp = a.respondents.get("employee", pd.DataFrame(index=emp.index))
            dims = [k for k in a.model.dimension_keys if k in resp and resp[k].notna().any()]
            if dims:
                frame = resp[dims].assign(department=emp["department"].astype(object).to_numpy())
                out.append(SegmentTable("employee_department", *_SEGMENT_KINDS["employee_department"], tuple(dims),
                                        _summary(frame, "department", dims, min_n)))
    base = _base_retention_table(a)
    if base is not None:
        out.append(base)
    return out


@_memo
def retention(a) -> RetentionCurve | None:
    """The Kaplan–Meier retention curve by tenure month from the customer base (None without one)."""
    return retention_curve(a.data.frames.get("customers"), a.reference_date, timezone=customers_timezone(a.config))


# --- trend and benchmark ----------------------------------------------------------------------

def _est(d: Mapping[str, Any] | None) -> Estimate | None:
    if not d or d.get("value", d.get("score")) is None:
        return None
    value = d.get("value", d.get("score"))
    return Estimate(float(value), d.get("ci_low"), d.get("ci_high"), int(d.get("n") or 0), d.get("se"))


def scores_doc_measures(doc: Mapping[str, Any]) -> dict[str, Estimate]:
    """The comparable measures of a ``scores.json`` document: ``overall``, one per dimension, and
    the KPIs, as Estimates (missing ones left out)."""
    out: dict[str, Estimate] = {}
    ov = _est(doc.get("overall"))
    if ov is not None:
        out["overall"] = ov
    for k, d in (doc.get("dimensions") or {}).items():
        e = _est(d)
        if e is not None:
            out[k] = e
    for k, d in (doc.get("kpis") or {}).items():
        e = _est(d)
        if e is not None:
            out[k] = e
    return out


def scores_doc_snapshot(doc: Mapping[str, Any], wave: str) -> WaveSnapshot:
    """What a ``scores.json`` document says about comparing its wave with another: model
    version, dimension scores, each dimension's evidence sources and the dimension weights."""
    from .waves import WaveSnapshot

    dims = doc.get("dimensions") or {}
    est = {f"dimension.{k}": e for k, e in ((k, _est(d)) for k, d in dims.items()) if e is not None}
    sources = {k: tuple(d.get("sources") or ()) for k, d in dims.items()}
    weights = {k: float(v) for k, v in (doc.get("weights") or {}).items() if v is not None}
    recorded = all("kpis_used" in (d or {}) for d in dims.values()) and bool(dims)
    kpis = {k: tuple(d.get("kpis_used") or ()) for k, d in dims.items()} if recorded else None
    return WaveSnapshot(wave, None, str(doc.get("model_version")), est, sources, weights, kpis)


def client_measures(a) -> dict[str, Estimate]:
    """This assessment's comparable measures (as :func:`scores_doc_measures` of its scores.json)."""
    out: dict[str, Estimate] = {}
    if a.overall.value is not None:
        out["overall"] = a.overall
    for k, d in a.dimensions.items():
        if d.score is not None:
            se = (d.ci_high - d.ci_low) / 3.92 if d.ci_low is not None and d.ci_high is not None else None
            out[k] = Estimate(d.score, d.ci_low, d.ci_high, (d.internal.n if d.internal else 0)
                              + (d.customer.n if d.customer else 0), se)
    for k, e in a.kpis.items():
        if e is not None and e.value is not None:
            out[k] = e
    return out


TREND_KPIS = ("nps", "csat", "retention_12m", "sla_rate")


def _own_trend(a) -> pd.DataFrame | None:
    """The last wave-to-wave change from the Assessment's own history (``a.history``)."""
    if not getattr(a, "history", None) or not hasattr(a, "wave_changes"):
        return None
    ch = a.wave_changes()
    if ch.empty:
        return None
    last = ch[ch["to_wave"] == ch["to_wave"].iloc[-1]]
    last = last[last["from_wave"] == last["from_wave"].iloc[-1]]
    keep = (last["kind"] == "overall") | (last["kind"] == "dimension") | \
        ((last["kind"] == "kpi") & last["key"].isin(TREND_KPIS))
    out = last[keep].assign(measure=last.loc[keep, "key"], previous=last.loc[keep, "from_value"],
                            current=last.loc[keep, "to_value"])
    order = {k: i for i, k in enumerate(("overall", *a.model.dimension_keys, *TREND_KPIS))}
    out = out.sort_values("measure", key=lambda s: s.map(order)).reset_index(drop=True)
    return out[["measure", "previous", "current", "change", "ci_low", "ci_high", "significant", "from_wave",
                "to_wave", "comparable"]]


def trend_table(a, ctx: ReportContext | None) -> pd.DataFrame | None:
    """Change per measure since the previous wave, with a 95% interval and whether it exceeds the
    noise (:func:`klantladder.waves.wave_table`): the overall score, every dimension and a few
    headline KPIs.

    Uses the Assessment's own history (``a.history``, :meth:`Assessment.wave_changes`) when it
    has one, else the earlier ``scores.json`` documents in ``ctx``. Returns None without an
    earlier wave. Columns: ``measure`` (``overall``, a dimension or a KPI key), ``previous``,
    ``current``, ``change``, ``ci_low``, ``ci_high``, ``significant``, ``from_wave``,
    ``to_wave``, ``comparable`` (:func:`klantladder.waves.comparable`: same model, and for a
    dimension the same evidence sources, for the overall score the same sources for every
    dimension and the same weights; from ``scores.json`` documents read from their
    ``model_version``, ``dimensions.*.sources`` and ``weights``).
    """
    own = _own_trend(a)
    if own is not None:
        return own
    if ctx is None or not ctx.previous:
        return None
    from .waves import comparable, wave_table

    current_wave = a.config.wave or "–"
    series: dict[str, dict[str, Estimate]] = {}
    for i, doc in enumerate(ctx.previous):
        wave = str(doc.get("wave") or f"#{i + 1}")
        if wave == current_wave or wave in series:
            wave = f"{wave} ({i + 1})"
        series[wave] = scores_doc_measures(doc)
    series[current_wave] = client_measures(a)
    keep = ("overall", *a.model.dimension_keys, *TREND_KPIS)
    series = {w: {k: v for k, v in m.items() if k in keep} for w, m in series.items()}
    table = wave_table(series)
    waves = list(series)
    last = table[(table["from_wave"] == waves[-2]) & (table["to_wave"] == waves[-1])].copy()
    last["previous"] = [series[waves[-2]][m].value for m in last["measure"]]
    last["current"] = [series[waves[-1]][m].value for m in last["measure"]]
    before, now = scores_doc_snapshot(ctx.previous[-1], waves[-2]), a.snapshot()
    kinds = {"overall": "overall", **{k: "dimension" for k in a.model.dimension_keys}}
    last["comparable"] = [comparable(before, now, kinds.get(m, "kpi"), m) for m in last["measure"]]
    order = {k: i for i, k in enumerate(keep)}
    last = last.sort_values("measure", key=lambda s: s.map(order)).reset_index(drop=True)
    return last[["measure", "previous", "current", "change", "ci_low", "ci_high", "significant", "from_wave",
                 "to_wave", "comparable"]]


def portfolio_frame(docs: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """A portfolio table from ``scores.json`` documents: one row per client (index ``client_id``,
    latest wave per client), a ``sector`` column and one column per measure value."""
    rows: dict[str, dict[str, Any]] = {}
    for doc in docs:
        cid = str(doc.get("client_id") or len(rows))
        row: dict[str, Any] = {"sector": doc.get("sector"), "_wave": str(doc.get("wave") or "")}
        row.update({k: e.value for k, e in scores_doc_measures(doc).items()})
        if cid not in rows or row["_wave"] >= rows[cid]["_wave"]:
            rows[cid] = row
    frame = pd.DataFrame.from_dict(rows, orient="index")
    return frame.drop(columns=["_wave"], errors="ignore")


def benchmark_table(a, ctx: ReportContext | None, min_peers: int = 5) -> pd.DataFrame | None:
    """The client's percentile per measure among the other clients of the portfolio
    (:func:`klantladder.benchmark.benchmark`), never naming them. Uses ``a.benchmark`` when the
    Assessment carries its own. None without a portfolio."""
    own = getattr(a, "benchmark", None)
    if isinstance(own, pd.DataFrame) and not own.empty:
        return own
    if ctx is None or ctx.portfolio is None or ctx.portfolio.empty:
        return None
    from .benchmark import benchmark

    measures = {k: e.value for k, e in client_measures(a).items()
                if k in ("overall", *a.model.dimension_keys, "nps", "csat", "retention_12m")}
    exclude = a.config.client_id if a.config.client_id in ctx.portfolio.index else None
    return benchmark(measures, ctx.portfolio, sector=a.config.sector, min_peers=min_peers, exclude=exclude)


def load_context(previous_scores: Sequence[str | Path] | str | Path | None = None,
                 portfolio: str | Path | pd.DataFrame | None = None) -> ReportContext:
    """Read earlier waves (paths to ``scores.json`` files, oldest first) and the portfolio (a
    folder of batch output with ``*/scores.json``, a CSV/Parquet/JSON table, or a DataFrame)."""
    prev: list[dict] = []
    if isinstance(previous_scores, (str, Path)):
        previous_scores = [previous_scores]
    for p in previous_scores or []:
        prev.append(json.loads(Path(p).read_text(encoding="utf-8")))
    frame: pd.DataFrame | None = None
    if isinstance(portfolio, pd.DataFrame):
        frame = portfolio
    elif portfolio:
        path = Path(portfolio)
        if path.is_dir():
            docs = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(path.glob("**/scores.json"))]
            frame = portfolio_frame(docs) if docs else None
        elif path.suffix == ".parquet":
            frame = pd.read_parquet(path)
        elif path.suffix == ".json":
            frame = pd.read_json(path)
        else:
            frame = pd.read_csv(path)
        if frame is not None and "client_id" in frame.columns:
            frame = frame.set_index("client_id")
    return ReportContext(prev, frame)


# --- route and recommendations ----------------------------------------------------------------

def score_band(score: float | None) -> str:
    """The recommendation band (``low``, ``mid``, ``high``) of a 0–100 score, by the limits in
    ``texts/recommendations.yaml``; ``low`` for a missing score."""
    bands = recommendation_texts()["bands"]
    if score is None or not math.isfinite(score):
        return bands[0]["key"]
    for b in bands:
        if b["below"] is None or score < b["below"]:
            return b["key"]
    return bands[-1]["key"]


@dataclass(frozen=True)
class RouteItem:
    """One blocking condition of the next rung: the condition (``dimension``: a key, ``all`` or
    ``gap``), the value now, the target, how far off, and the dimension its advice is about."""

    condition: str
    value: float | None
    target: float
    shortfall: float | None
    advice_key: str
    kind: str  # "min", "all", "gap", "missing"


def route_items(a) -> list[RouteItem]:
    """The conditions that block the next rung, in the model's order (empty on the top rung)."""
    out = []
    for b in a.rung.blocking:
        target = b["min"] if b["min"] is not None else b["max"]
        dim = b["dimension"]
        worst = b.get("worst_dimension") or dim
        if b["value"] is None:
            kind, key = "missing", worst if dim in ("all", "gap") else dim
        elif dim == "all":
            kind, key = "all", worst
        elif dim == "gap":
            kind, key = "gap", worst
        else:
            kind, key = "min", dim
        out.append(RouteItem(dim, b["value"], float(target), b.get("shortfall"), key, kind))
    return out


def recommendations(a, key: str, kind: str = "min", score: float | None = None) -> tuple[str, list[str]]:
    """The band and the fixed advice texts for dimension ``key`` (or the perception gap / missing
    data), in the report's language with the sector's customer word filled in."""
    rec = recommendation_texts()
    lang = a.language
    term, plural = a.config.customer_term
    fill = {"term": term, "plural": plural, "Term": term.capitalize(), "Plural": plural.capitalize()}
    if kind in ("gap", "missing"):
        texts = rec["special"][kind]
        band = kind
    else:
        band = score_band(score if score is not None else (a.dimensions[key].score if key in a.dimensions else None))
        texts = rec["dimensions"][key][band]
    items = texts.get(lang) or texts["nl"]
    return band, [s.format(**fill) for s in items]


def second_rung(a) -> tuple[int, float] | None:
    """The most probable rung other than the assigned one, with its probability (None if < 10%)."""
    probs = {int(k): float(v) for k, v in a.rung.probabilities.items() if int(k) != a.rung.level}
    if not probs:
        return None
    level, p = max(probs.items(), key=lambda kv: kv[1])
    return (level, p) if p >= 0.10 else None
