"""Hard evidence: the KPIs of SPEC 3.4 from the surveys, tickets and customer base.

Every KPI is an :class:`~klantladder.intervals.Estimate` (value, 95% interval, n). Shares and rates
are in percent (0–100), times in hours. A KPI whose data is missing is ``None``.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd

from .config import DEFAULT_TIMEZONE
from .intervals import (Estimate, OrderStatistics, mean_estimate, nps_estimate, proportion_estimate,
                        quantile_estimates, top_box_estimate)
from .native import _native  # the compiled loops (klantladder.native), None where not built

__all__ = ["REPEAT_WINDOW_DAYS", "TICKET_QUANTILES", "TICKET_KPIS", "reference_date", "latest_event_date",
           "hours_between", "EVENT_DATES", "local_dates", "survey_kpis", "ticket_kpis",
           "customer_kpis", "ticket_hours", "repeat_contacts", "compute_kpis", "times_by_channel",
           "survey_columns", "TicketColumns", "ticket_columns", "ticket_units", "ticket_design_effects", "customer_columns",
           "customer_codes",
           "KpiEvidence", "kpi_evidence", "TicketEvidence", "ticket_evidence"]

REPEAT_WINDOW_DAYS = 7


_PER_SECOND = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}  # counts per second of each unit


def _epoch(s: pd.Series) -> tuple[np.ndarray, np.ndarray, int]:
    """Timestamps as the int64 counts since 1970 (UTC) they are stored as, a mask of the missing
    ones, and how many counts make a second (the unit: 1 for seconds ... 10**9 for nanoseconds).

    Integer arithmetic on the underlying array: on five million tickets an order of magnitude
    faster than subtracting timestamp Series, and no conversion to another unit first.
    """
    missing = s.isna().to_numpy()
    if not (pd.api.types.is_datetime64_any_dtype(s.dtype)):
        s = pd.to_datetime(s, utc=True)
    array = s.array
    return np.asarray(array.asi8, dtype=np.int64), missing, _PER_SECOND[array.unit]


_NAT = np.iinfo(np.int64).min  # a missing timestamp's integer


def hours_between(later: pd.Series, earlier: pd.Series) -> np.ndarray:
    """Hours from ``earlier`` to ``later`` per row; NaN where either is missing.

    Computed on the timestamps' integers in the unit they are stored in: on five million
    tickets an order of magnitude faster than subtracting timestamp Series (or than converting
    them to nanoseconds first).
    """
    later, earlier = (s if pd.api.types.is_datetime64_any_dtype(s.dtype) else pd.to_datetime(s, utc=True)
                      for s in (later, earlier))
    x, y = later.array, earlier.array
    if x.unit != y.unit:  # one unit for both; else each stays a view of its integers
        x, y = x.as_unit("ns"), y.as_unit("ns")
    a, b = x.asi8, y.asi8
    hours = np.subtract(a, b, dtype=np.float64)
    hours /= 3600 * _PER_SECOND[x.unit]
    hours[(a == _NAT) | (b == _NAT)] = np.nan
    return hours


#: Sources and their date columns that record something that happened (an event): the latest of
#: them is the date the data describe. A customer's ``end_date`` is not among them: it may be a
#: planned contract end.
EVENT_DATES: dict[str, tuple[str, ...]] = {"tickets": ("created_at",), "customers": ("start_date",)}


def local_dates(s: pd.Series, timezone: str) -> pd.Series:
    """Timestamps as calendar dates (midnight, no zone) in ``timezone``; naive ones are taken as they are."""
    s = pd.to_datetime(s, errors="coerce")
    if s.dt.tz is not None:
        s = s.dt.tz_convert(timezone).dt.tz_localize(None)
    return s.dt.normalize()


def latest_event_date(frames: Mapping[str, pd.DataFrame], today: dt.date | None = None,
                      timezones: Mapping[str, str] | None = None) -> dt.date | None:
    """The latest date in the data on which something happened, or None when nothing is dated.

    Only the dates of :data:`EVENT_DATES` count (a ticket's creation, a customer's start), and
    none after ``today`` (default: the date of the run): an event cannot have happened later, so
    a wrong year (2062) cannot move the date. Customers' end dates count only without any of
    those, and then also only up to ``today``. Each source's dates are read in its own time zone
    (``timezones``, source → IANA name; default :data:`klantladder.config.DEFAULT_TIMEZONE`), so a date-only
    ``start_date`` of 31 October stays 31 October.
    """
    limit = pd.Timestamp(today if today is not None else dt.date.today())
    zones = timezones or {}

    def latest(source: str, columns: tuple[str, ...]) -> list[pd.Timestamp]:
        frame = frames.get(source)
        found = []
        for col in columns:
            if frame is None or col not in frame:
                continue
            s = pd.to_datetime(frame[col], errors="coerce")
            zone = zones.get(source, DEFAULT_TIMEZONE)
            # The first instant after ``today`` where the dates were written; only the latest date
            # before it is converted to a calendar date (millions of tickets need no conversion).
            cutoff = limit + pd.Timedelta(days=1)
            cutoff = cutoff.tz_localize(zone) if s.dt.tz is not None else cutoff
            top = s.max()
            if pd.notna(top) and top >= cutoff:
                top = s[s < cutoff].max()
            if pd.notna(top):
                found.append(local_dates(pd.Series([top]), zone).iloc[0])
        return found

    found = [d for source, columns in EVENT_DATES.items() for d in latest(source, columns)]
    if not found:
        found = latest("customers", ("end_date",))
    return max(found).date() if found else None


def reference_date(frames: Mapping[str, pd.DataFrame], configured: dt.date | None, today: dt.date | None = None,
                   timezones: Mapping[str, str] | None = None) -> dt.date | None:
    """The date KPIs are measured at: ``reference_date`` from client.yaml, else the latest date on
    which something happened in the data (:func:`latest_event_date`).

    Planned contract ends (``end_date`` after the data) and dates with a wrong year do not move it;
    a customer whose end date lies after it counts as still a customer on it.
    """
    if configured is not None:
        return configured
    return latest_event_date(frames, today, timezones)


def survey_kpis(survey: pd.DataFrame | None, invited: int | None = None) -> dict[str, Estimate | None]:
    """NPS (closed-form interval), CSAT (% 4–5, Wilson), CES (mean 1–7, t) and survey response."""
    out: dict[str, Estimate | None] = {"nps": None, "csat": None, "ces": None, "survey_response_rate": None}
    if survey is None:
        return out
    if "nps" in survey and survey["nps"].notna().any():
        out["nps"] = nps_estimate(survey["nps"])
    if "csat" in survey and survey["csat"].notna().any():
        out["csat"] = top_box_estimate(survey["csat"], 4)
    if "ces" in survey and survey["ces"].notna().any():
        out["ces"] = mean_estimate(survey["ces"])
    if invited and len(survey) <= invited:  # more respondents than invited: the number is wrong (a finding)
        out["survey_response_rate"] = proportion_estimate(len(survey), invited)
    return out


def ticket_hours(tickets: pd.DataFrame) -> pd.DataFrame:
    """Per ticket: hours to first response and to resolution (NaN where not (yet) there)."""
    out = {}
    for name, col in (("first_response_hours", "first_response_at"), ("resolution_hours", "resolved_at")):
        if col in tickets:
            out[name] = hours_between(tickets[col], tickets["created_at"])
        else:
            out[name] = np.full(len(tickets), np.nan)
    return pd.DataFrame(out, index=tickets.index)


def repeat_contacts(tickets: pd.DataFrame, window_days: int = REPEAT_WINDOW_DAYS) -> pd.Series:
    """Per ticket: True when the same customer opens another ticket within ``window_days`` after it.

    Missing where the customer is unknown. Sorting once keeps this O(n log n) on millions of tickets.
    """
    out = pd.Series(pd.NA, index=tickets.index, dtype="boolean")
    if "customer_id" not in tickets:
        return out
    flags = _repeat_flags(customer_codes(tickets), tickets["created_at"], window_days)
    known = flags >= 0
    out[known] = flags[known] == 1
    return out


#: Ticket KPIs that are quantiles of ticket times: KPI -> (hours column, probability).
TICKET_QUANTILES: dict[str, tuple[str, float]] = {
    "first_response_hours_median": ("first_response_hours", 0.5),
    "first_response_hours_p90": ("first_response_hours", 0.9),
    "resolution_hours_median": ("resolution_hours", 0.5),
    "resolution_hours_p90": ("resolution_hours", 0.9),
}
TICKET_KPIS: tuple[str, ...] = (*TICKET_QUANTILES, "fcr_rate", "reopen_rate", "repeat_contact_rate", "sla_rate",
                                "ticket_csat", "resolved_rate")


@dataclass(frozen=True)
class TicketColumns:
    """Per-ticket indicators whose shares are the ticket KPIs, and the customer of each ticket.

    Attributes
    ----------
    indicators : dict
        KPI -> ``(yes, counted)``: boolean arrays over the tickets; a rate is the share of
        ``yes`` among the ``counted`` tickets (``counted`` None: every ticket counts; ``yes`` is
        only ever True where counted). A quantile KPI's indicator is a time at or below the
        sample quantile (used to resample the quantile).
    clusters : numpy.ndarray
        The customer of each ticket as an integer code (-1 where unknown): tickets of one
        customer are resampled together.
    hours : dict
        The non-missing first-response and resolution times in hours, as
        :class:`~klantladder.intervals.OrderStatistics` prepared near their quantile KPIs.
    quantiles : dict
        The sample value of each quantile KPI.
    index : pandas.Index
        The tickets' row labels.
    """

    indicators: dict[str, tuple[np.ndarray, np.ndarray | None]]
    clusters: np.ndarray
    hours: dict[str, OrderStatistics | np.ndarray]
    quantiles: dict[str, float]
    index: pd.Index

    @property
    def columns(self) -> list[str]:
        """The KPIs with an indicator, in order."""
        return list(self.indicators)

    @property
    def values(self) -> pd.DataFrame:
        """The indicators as one float column per KPI: 100 (yes), 0 (no), NaN (not counted)."""
        cols = {}
        for key, (yes, counted) in self.indicators.items():
            v = yes * 100.0
            if counted is not None:
                v[~counted] = np.nan
            cols[key] = v
        return pd.DataFrame(cols, index=self.index, columns=self.columns, dtype="float64")


def _filled(frame: pd.DataFrame, column: str) -> bool:
    """Whether ``frame`` has ``column`` with at least one value: an entirely empty column does not
    count (validation rule ``empty_column``), as if it were not there."""
    return column in frame and bool(frame[column].notna().any())


def _bool_array(x: pd.Series | np.ndarray) -> np.ndarray:
    """A boolean array with missing as False."""
    if isinstance(x, pd.Series):
        return x.to_numpy(dtype=bool, na_value=False)
    return np.asarray(x, dtype=bool)


def _indicator(flag: pd.Series | np.ndarray, counted: pd.Series | np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray | None]:
    """``(yes, counted)`` of a KPI: ``flag`` where ``counted`` (None: every row counts)."""
    yes = _bool_array(flag)
    if counted is None:
        return yes, None
    c = _bool_array(counted)
    if c.all():
        return yes, None
    return yes & c, c


def _percent(flag: pd.Series | np.ndarray, counted: pd.Series | np.ndarray | None = None) -> np.ndarray:
    """100 where ``flag``, 0 elsewhere, NaN where not ``counted``."""
    f = _bool_array(flag) * 100.0
    if counted is None:
        return f
    f[~_bool_array(counted)] = np.nan
    return f


def customer_codes(tickets: pd.DataFrame) -> np.ndarray:
    """The customer of each ticket as an integer (-1 where unknown): the categorical's codes
    when intake made ``customer_id`` one, else :func:`pandas.factorize`."""
    if "customer_id" not in tickets:
        return np.full(len(tickets), -1, dtype=np.int64)
    s = tickets["customer_id"]
    if isinstance(s.dtype, pd.CategoricalDtype):
        return s.cat.codes.to_numpy().astype(np.int64)
    codes, _ = pd.factorize(s)
    return codes.astype(np.int64)


def _by_customer_then_time(c: np.ndarray, t: np.ndarray, per_second: int = 10**9) -> np.ndarray:
    """The order of ``np.lexsort((t, c))``: by customer, then time, ties in row order.

    Exports usually list tickets in time order: then the row number is the time order and a
    stable sort by customer gives the order: a counting sort in the compiled part where it is
    built, else one sort of the integer key ``c << bits | row`` (a plain sort, not an argsort).
    Otherwise, when the times are whole seconds or milliseconds, one stable sort of the combined
    key ``c * span + t`` (``per_second``: counts of ``t`` per second). Both give exactly the
    lexsort's order, in a fraction of its time.
    """
    n = c.size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    shift = int(n).bit_length()
    if int(c.max()) < 2 ** (62 - shift) and c.min() >= 0 and bool((t[1:] >= t[:-1]).all()):
        if _native is not None and int(c.max()) < 4 * n:  # a counting sort, compiled: one pass
            order = np.empty(n, dtype=np.int64)
            _native.counting_order(np.ascontiguousarray(c, dtype=np.int64), int(c.max()) + 1, order)
            return order
        keys = (c.astype(np.int64) << shift) | np.arange(n, dtype=np.int64)
        keys.sort()
        return keys & ((1 << shift) - 1)
    for unit in dict.fromkeys((per_second, max(1, per_second // 1000))):  # whole seconds, whole milliseconds
        if not (t % unit == 0).all():
            continue
        tu = (t - t.min()) // unit
        span = int(tu.max()) + 1
        if (int(c.max()) + 1) * span < 2**62:
            return np.argsort(c.astype(np.int64) * span + tu, kind="stable")
    return np.lexsort((t, c))


def _repeat_flags(codes: np.ndarray, created: pd.Series, window_days: int) -> np.ndarray:
    """Per ticket: 1 if the same customer opens another ticket within ``window_days`` after it,
    0 if not, -1 where the customer or the time is unknown."""
    out = np.full(codes.shape[0], -1, dtype=np.int8)
    t, t_na, per_second = _epoch(created)
    known = (codes >= 0) & ~t_na
    if known.all():
        c, tt = codes, t
    else:
        idx = np.flatnonzero(known)
        c, tt = codes[idx], t[idx]
    order = _by_customer_then_time(c, tt, per_second)
    c_sorted, t_sorted = c[order], tt[order]
    again = np.zeros(c.size, dtype=bool)  # in sorted order: the customer's next ticket comes within the window
    np.equal(c_sorted[1:], c_sorted[:-1], out=again[:-1])
    again[:-1] &= np.subtract(t_sorted[1:], t_sorted[:-1]) <= window_days * 86400 * per_second
    rep = np.empty(c.size, dtype=np.int8)
    rep[order] = again
    if known.all():
        return rep
    out[idx] = rep
    return out


def ticket_columns(tickets: pd.DataFrame, sla: Mapping[str, float], ref: dt.date | None = None) -> TicketColumns:
    """The per-ticket indicators behind every ticket KPI (see :func:`ticket_kpis` for the rules).

    Repeat contacts (a sort of the tickets by customer and time) are found in a thread of their
    own meanwhile: the sort runs outside the interpreter lock.
    """
    codes = customer_codes(tickets)
    with ThreadPoolExecutor(max_workers=1) as pool:
        repeats = pool.submit(_repeat_flags, codes, tickets["created_at"], REPEAT_WINDOW_DAYS) \
            if "created_at" in tickets else None
        return _ticket_columns(tickets, sla, ref, codes, repeats)


def _ticket_columns(tickets: pd.DataFrame, sla: Mapping[str, float], ref: dt.date | None, codes: np.ndarray,
                    repeats: Future | None) -> TicketColumns:
    """:func:`ticket_columns` with the customer codes and the future of the repeat flags."""
    hours = ticket_hours(tickets)
    fr, res = hours["first_response_hours"].to_numpy(), hours["resolution_hours"].to_numpy()
    cols: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}
    qvals: dict[str, float] = {}
    present = {"first_response_hours": ~np.isnan(fr), "resolution_hours": ~np.isnan(res)}
    hour_values = {"first_response_hours": fr[present["first_response_hours"]],
                   "resolution_hours": res[present["resolution_hours"]]}
    for col in hour_values:
        keys = [k for k, (c, _) in TICKET_QUANTILES.items() if c == col]
        x = hour_values[col]
        if not x.size:
            continue
        ranked = OrderStatistics(x, [TICKET_QUANTILES[k][1] for k in keys])  # one partition for all
        hour_values[col] = ranked
        h = hours[col].to_numpy()
        for key in keys:
            qvals[key] = ranked.quantile(TICKET_QUANTILES[key][1])
            with np.errstate(invalid="ignore"):
                cols[key] = _indicator(h <= qvals[key], present[col])
    cols = {k: cols[k] for k in TICKET_QUANTILES if k in cols}
    # An entirely empty resolved_at is no column (validation: "does not count"): every ticket open
    # would be a resolved rate of 0 computed from nothing.
    resolved = tickets["resolved_at"].notna().to_numpy() if _filled(tickets, "resolved_at") else None
    if resolved is not None:
        cols["resolved_rate"] = _indicator(resolved)
    reopened = tickets["reopened"] if "reopened" in tickets else None
    if reopened is not None and reopened.notna().any():
        cols["reopen_rate"] = _indicator(reopened, reopened.notna())
    rep = repeats.result() if repeats is not None else np.full(len(tickets), -1, dtype=np.int8)
    if (rep >= 0).any():
        cols["repeat_contact_rate"] = _indicator(rep == 1, rep >= 0)
    if "first_contact_resolution" in tickets and tickets["first_contact_resolution"].notna().any():
        f = tickets["first_contact_resolution"]
        cols["fcr_rate"] = _indicator(f, f.notna())
    elif resolved is not None and resolved.any():
        not_reopened = ~_bool_array(reopened) if reopened is not None else True
        cols["fcr_rate"] = _indicator(resolved & not_reopened & (rep != 1), resolved)
    if "csat" in tickets and tickets["csat"].notna().any():
        csat = tickets["csat"].to_numpy(dtype="float64", na_value=np.nan)
        cols["ticket_csat"] = _indicator(csat >= 4, ~np.isnan(csat))
    target_fr, target_res = sla.get("first_response_hours"), sla.get("resolution_hours")
    if target_fr is not None and target_res is not None and resolved is not None:  # no resolutions: no SLA
        response = np.where(np.isnan(fr), res, fr)
        with np.errstate(invalid="ignore"):
            met = (response <= target_fr) & (res <= target_res)
        judged = ~np.isnan(res)
        if ref is not None and "created_at" in tickets:
            end = pd.Timestamp(ref, tz="UTC") + pd.Timedelta(days=1)
            created, missing, per_second = _epoch(tickets["created_at"])
            age = (end.value // (10**9 // per_second) - created) / (3600 * per_second)
            judged = judged | (np.isnan(res) & ~missing & (age > target_res))
        if judged.any():
            cols["sla_rate"] = _indicator(met & judged, judged)
    return TicketColumns(cols, codes, hour_values, qvals, tickets.index)


def _ticket_estimates(tc: TicketColumns, deff: Mapping[str, float]) -> dict[str, Estimate | None]:
    """Ticket KPI estimates from their columns: order-statistic (Woodruff) intervals for times,
    Wilson intervals for rates, both with the effective sample size of clustered tickets."""
    out: dict[str, Estimate | None] = dict.fromkeys(TICKET_KPIS)
    by_hours: dict[str, list[str]] = {}
    for key in tc.columns:
        if key in TICKET_QUANTILES:
            by_hours.setdefault(TICKET_QUANTILES[key][0], []).append(key)
    for col, keys in by_hours.items():  # one partition per column of times
        ests = quantile_estimates(tc.hours[col], [TICKET_QUANTILES[k][1] for k in keys],
                                  [deff.get(k, 1.0) for k in keys])
        out.update(zip(keys, ests))
    for key, (yes, counted) in tc.indicators.items():
        if key in TICKET_QUANTILES:
            continue
        n = yes.size if counted is None else int(np.count_nonzero(counted))
        out[key] = proportion_estimate(int(np.count_nonzero(yes)), n, deff=deff.get(key, 1.0))
    return out


def ticket_units(tc: TicketColumns):
    """The ticket columns as resampling units: one per customer (tickets without a customer are
    units of their own), each a rate's numerator and denominator (0-100 bounds)."""
    from .resampling import Units

    return Units.from_indicators(tc.indicators, tc.clusters, scale=100.0,
                                 bounds={c: (0.0, 100.0) for c in tc.columns})


def ticket_design_effects(tc: TicketColumns, units=None) -> dict[str, float]:
    """Design effect of each ticket KPI from the clustering of tickets within customers."""
    units = ticket_units(tc) if units is None else units
    return {k: float(v) for k, v in zip(units.columns, units.deff)}


def ticket_kpis(tickets: pd.DataFrame | None, sla: Mapping[str, float],
                ref: dt.date | None = None) -> dict[str, Estimate | None]:
    """Service KPIs from ticket timestamps: times (median, p90), FCR, reopen, repeat, SLA, closed share.

    First-contact resolution uses the ``first_contact_resolution`` column when the export has it;
    otherwise a ticket counts as resolved at first contact when it was resolved, not reopened and
    not followed by another contact of the same customer within 7 days (documented proxy).
    SLA: a ticket meets its targets when its first response and its resolution both came within
    the client's targets; an open ticket older than the resolution target at the reference date
    counts as missed, a younger one is left out. Without any resolution time (no ``resolved_at``
    column, or an entirely empty one) there is no SLA and no closed share: every ticket would
    count as open.

    Intervals: tickets of one customer are not independent, so each interval uses the effective
    sample size :math:`n / deff` with the design effect of the clustering by customer
    (:func:`ticket_design_effects`; never below 1): Wilson intervals for rates, Woodruff's
    order-statistic interval for times (:mod:`klantladder.intervals`).
    """
    if tickets is None or len(tickets) == 0:
        return dict.fromkeys(TICKET_KPIS)
    tc = ticket_columns(tickets, sla, ref)
    return _ticket_estimates(tc, ticket_design_effects(tc))


def times_by_channel(tickets: pd.DataFrame, min_n: int = 5) -> pd.DataFrame:
    """Median and 90th percentile of response and resolution hours per channel (groups under ``min_n`` hidden)."""
    hours = ticket_hours(tickets)
    hours["channel"] = tickets["channel"].fillna("(onbekend)") if "channel" in tickets else "(onbekend)"
    rows = []
    for channel, g in hours.groupby("channel", sort=True):
        n = len(g)
        row = {"channel": channel, "n": n, "suppressed": n < min_n}
        for col in ("first_response_hours", "resolution_hours"):
            v = g[col].dropna()
            row[f"{col}_median"] = None if n < min_n or v.empty else float(v.median())
            row[f"{col}_p90"] = None if n < min_n or v.empty else float(v.quantile(0.9))
        rows.append(row)
    return pd.DataFrame(rows)


def day_start(day: dt.date, timezone: str, like: pd.Series) -> pd.Timestamp:
    """The first moment of calendar ``day`` in ``timezone``, comparable with the timestamps of
    ``like``: an aware timestamp for an aware column, the plain date for a column without zone.

    ``t >= day_start(d)`` then says "on or after day d, as the calendar of ``timezone`` reads":
    customers' dates are compared as the dates they were written as, without converting a
    column of a million dates.
    """
    start = pd.Timestamp(day)
    tz = getattr(like.dtype, "tz", None)
    return start.tz_localize(timezone).tz_convert(tz) if tz is not None else start


def customer_columns(customers: pd.DataFrame | None, ref: dt.date | None,
                     timezone: str = DEFAULT_TIMEZONE) -> pd.DataFrame:
    """Per customer: the 0/100 indicators behind retention, churn and the segment-known share.

    ``retention_12m`` is 100 for a customer of the cohort (a customer on the day 12 months before
    the reference date) who is still a customer after the reference date, 0 for one who left
    (on the reference date or before), NaN outside the cohort; ``churn_12m`` is its complement
    (neither without an ``end_date`` column: nobody could be seen to leave);
    ``segment_known_rate`` 100 where the segment is known. Dates are read as calendar dates in
    ``timezone`` (the customer base's, ``sources.customers.timezone``), as
    :func:`klantladder.retention.tenure_durations` reads them.
    """
    if customers is None or len(customers) == 0:
        return pd.DataFrame(index=pd.RangeIndex(0))
    cols: dict[str, np.ndarray] = {}
    if _filled(customers, "segment"):  # an entirely empty column is no column (it does not count)
        cols["segment_known_rate"] = _percent(customers["segment"].notna())
    if ref is not None and "start_date" in customers and "end_date" in customers:  # without end dates: unknown
        start = customers["start_date"]
        end = customers["end_date"]
        day_after_window = (pd.Timestamp(ref) - pd.DateOffset(months=12)).date() + dt.timedelta(days=1)
        day_after_ref = ref + dt.timedelta(days=1)
        # A customer on the window's day: started on it or before, not ended on it or before.
        active_then = (start < day_start(day_after_window, timezone, start)) & (
            end.isna() | (end >= day_start(day_after_window, timezone, end)))
        if active_then.any():
            kept = active_then & (end.isna() | (end >= day_start(day_after_ref, timezone, end)))
            cols["retention_12m"] = _percent(kept, active_then)
            cols["churn_12m"] = _percent(active_then & ~kept, active_then)
    return pd.DataFrame(cols, index=customers.index, dtype="float64")


def _shares(columns: pd.DataFrame, keys: tuple[str, ...]) -> dict[str, Estimate | None]:
    """Wilson estimates of the 0/100 indicator columns present among ``keys``."""
    out: dict[str, Estimate | None] = dict.fromkeys(keys)
    for key in keys:
        if key in columns:
            v = columns[key].to_numpy()
            counted = ~np.isnan(v)
            if counted.any():
                out[key] = proportion_estimate(int(np.count_nonzero(v[counted] > 0)), int(counted.sum()))
    return out


def customer_kpis(customers: pd.DataFrame | None, ref: dt.date | None,
                  timezone: str = DEFAULT_TIMEZONE) -> dict[str, Estimate | None]:
    """12-month retention and churn, and the share of customers whose segment is known.

    Retention: of the customers active 12 months before the reference date, the share still active
    at the reference date (Wilson interval). Churn = 100 − retention.
    """
    return _shares(customer_columns(customers, ref, timezone), ("retention_12m", "churn_12m", "segment_known_rate"))


def survey_columns(survey: pd.DataFrame | None) -> pd.DataFrame:
    """Per respondent: the values whose means are NPS, CSAT and CES.

    ``nps`` codes a promoter (9-10) as +100, a passive (7-8) as 0 and a detractor (0-6) as
    -100, so the mean is the NPS; ``csat`` is 100 for a 4 or 5 (top-2-box) and 0 otherwise;
    ``ces`` is the answer on 1-7. NaN where not answered. These columns let the survey KPIs be
    resampled jointly with the customer view of each dimension, from the same respondents.
    """
    if survey is None:
        return pd.DataFrame()
    cols: dict[str, np.ndarray] = {}
    if "nps" in survey and survey["nps"].notna().any():
        x = survey["nps"].to_numpy(dtype="float64", na_value=np.nan)
        cols["nps"] = np.where(np.isnan(x), np.nan, np.where(x >= 9, 100.0, np.where(x <= 6, -100.0, 0.0)))
    if "csat" in survey and survey["csat"].notna().any():
        x = survey["csat"].to_numpy(dtype="float64", na_value=np.nan)
        cols["csat"] = np.where(np.isnan(x), np.nan, (x >= 4) * 100.0)
    if "ces" in survey and survey["ces"].notna().any():
        cols["ces"] = survey["ces"].to_numpy(dtype="float64", na_value=np.nan)
    return pd.DataFrame(cols, index=survey.index, dtype="float64")


@dataclass(frozen=True)
class KpiEvidence:
    """Every KPI with its interval, and the per-unit columns it was computed from.

    Attributes
    ----------
    estimates : dict
        KPI key -> :class:`~klantladder.intervals.Estimate` or None, as in ``scores.json``.
    survey : pandas.DataFrame
        :func:`survey_columns` of the customer survey (rows as the survey).
    tickets : TicketColumns or None
        :func:`ticket_columns`.
    ticket_deff : dict
        Design effect of each ticket KPI (clustering by customer).
    customers : pandas.DataFrame
        :func:`customer_columns`.
    ticket_units : Units or None
        :func:`ticket_units`, aggregated once for the design effects and the resampling.
    """

    estimates: dict[str, Estimate | None]
    survey: pd.DataFrame
    tickets: TicketColumns | None
    ticket_deff: dict[str, float]
    customers: pd.DataFrame
    ticket_units: object = None


@dataclass(frozen=True)
class TicketEvidence:
    """The ticket KPIs with their intervals and what they were computed from (see
    :class:`KpiEvidence`)."""

    columns: TicketColumns
    units: object
    deff: dict[str, float]
    estimates: dict[str, Estimate | None]


def ticket_evidence(tickets: pd.DataFrame | None, sla: Mapping[str, float], ref: dt.date | None
                    ) -> TicketEvidence | None:
    """The ticket part of :func:`kpi_evidence`; None without tickets. Independent of the other
    sources, so it can be computed alongside them."""
    if tickets is None or not len(tickets):
        return None
    tc = ticket_columns(tickets, sla, ref)
    units = ticket_units(tc)
    deff = ticket_design_effects(tc, units)
    return TicketEvidence(tc, units, deff, _ticket_estimates(tc, deff))


def kpi_evidence(frames: Mapping[str, pd.DataFrame], sla: Mapping[str, float], ref: dt.date | None,
                 invited: int | None = None, tickets: TicketEvidence | None = None,
                 customers_timezone: str = DEFAULT_TIMEZONE, customers: pd.DataFrame | None = None
                 ) -> KpiEvidence:
    """All KPIs of a client and the columns behind them (computed once, used for the intervals
    and for the joint resampling of :mod:`klantladder.assess`). ``tickets``: the
    :func:`ticket_evidence` of ``frames["tickets"]`` when already computed; ``customers``: the
    :func:`customer_columns` of ``frames["customers"]`` when already computed, else computed with
    ``customers_timezone`` (the customer base's)."""
    est: dict[str, Estimate | None] = {}
    est.update(survey_kpis(frames.get("customer_survey"), invited))
    if tickets is None:
        tickets = ticket_evidence(frames.get("tickets"), sla, ref)
    est.update(tickets.estimates if tickets is not None else dict.fromkeys(TICKET_KPIS))
    cust = customer_columns(frames.get("customers"), ref, customers_timezone) if customers is None else customers
    est.update(_shares(cust, ("retention_12m", "churn_12m", "segment_known_rate")))
    if tickets is None:
        return KpiEvidence(est, survey_columns(frames.get("customer_survey")), None, {}, cust, None)
    return KpiEvidence(est, survey_columns(frames.get("customer_survey")), tickets.columns, tickets.deff, cust,
                       tickets.units)


def compute_kpis(frames: Mapping[str, pd.DataFrame], sla: Mapping[str, float], ref: dt.date | None,
                 invited: int | None = None, customers_timezone: str = DEFAULT_TIMEZONE
                 ) -> dict[str, Estimate | None]:
    """All KPIs of a client, keyed as in ``scores.json``."""
    return kpi_evidence(frames, sla, ref, invited, customers_timezone=customers_timezone).estimates
