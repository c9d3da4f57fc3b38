"""Retention over tenure: a Kaplan–Meier curve from the customer base.

A customer's *tenure* runs from ``start_date`` to ``end_date`` (the customer left: an event) or to
the reference date (still a customer: censored). The Kaplan–Meier estimator gives the share of
customers still with the organisation after each month of tenure, using every customer for as
long as they were observed — unlike a plain 12-month retention rate, which only looks at one
cohort.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .config import DEFAULT_TIMEZONE
from .intervals import Z95
from .kpis import day_start

__all__ = ["DAYS_PER_MONTH", "RETENTION_COLUMNS", "kaplan_meier", "median_interval", "tenure_durations",
           "retention_curve", "RetentionCurve"]

#: Mean length of a month in days (365.25 / 12).
DAYS_PER_MONTH: float = 365.25 / 12
#: Columns of :attr:`RetentionCurve.table`.
RETENTION_COLUMNS: tuple[str, ...] = ("month", "at_risk", "events", "survival", "ci_low", "ci_high")


def kaplan_meier(durations: np.ndarray, events: np.ndarray) -> pd.DataFrame:
    """Kaplan–Meier survival estimate with Greenwood standard errors and log–log 95% intervals.

    Parameters
    ----------
    durations : array of float
        Observed time per subject (any unit), non-negative.
    events : array of bool
        True where the subject's time ends in the event (the customer left), False where it is
        censored (still a customer at the end of observation).

    Returns
    -------
    pandas.DataFrame
        One row per distinct event time, sorted: ``time``, ``at_risk``, ``events``, ``survival``,
        ``se`` (Greenwood), ``ci_low``, ``ci_high``.

    Notes
    -----
    .. math:: \\hat S(t) = \\prod_{t_i \\le t} \\left(1 - \\frac{d_i}{n_i}\\right), \\qquad
              \\widehat{Var}\\,\\hat S(t) = \\hat S(t)^2 \\sum_{t_i \\le t} \\frac{d_i}{n_i (n_i - d_i)}

    with :math:`n_i` at risk just before :math:`t_i` (censored at :math:`t_i` count as at risk)
    and :math:`d_i` events at :math:`t_i`. The interval is computed on the log–log scale
    (Kalbfleisch & Prentice), which keeps it inside [0, 1]:
    :math:`\\hat S^{\\exp(\\pm 1.96\\, \\sigma)}` with
    :math:`\\sigma = SE / (\\hat S\\, |\\log \\hat S|)`.

    References
    ----------
    Kaplan, E. L., & Meier, P. (1958). Nonparametric estimation from incomplete observations.
    *JASA*, 53(282), 457–481. Greenwood, M. (1926). *The natural duration of cancer*. HMSO.
    Kalbfleisch, J. D., & Prentice, R. L. (2002). *The Statistical Analysis of Failure Time
    Data* (2nd ed.), section 1.4. Wiley.

    Examples
    --------
    >>> km = kaplan_meier(np.array([1, 2, 2, 3]), np.array([True, True, False, True]))
    >>> km["survival"].round(3).tolist()
    [0.75, 0.5, 0.0]
    """
    t = np.asarray(durations, dtype=float)
    e = np.asarray(events, dtype=bool)
    keep = np.isfinite(t) & (t >= 0)
    t, e = t[keep], e[keep]
    cols = ["time", "at_risk", "events", "survival", "se", "ci_low", "ci_high"]
    if t.size == 0:
        return pd.DataFrame(columns=cols, dtype=float)
    times, inverse = np.unique(t, return_inverse=True)
    d_all = np.bincount(inverse, weights=e.astype(float), minlength=times.size)
    n_all = np.bincount(inverse, minlength=times.size)
    at_risk_all = t.size - np.r_[0, np.cumsum(n_all)[:-1]]
    mask = d_all > 0
    times, d, n = times[mask], d_all[mask], at_risk_all[mask].astype(float)
    surv = np.cumprod(1.0 - d / n)
    with np.errstate(divide="ignore", invalid="ignore"):
        green = np.cumsum(np.where(n > d, d / (n * (n - d)), np.inf))
        se = surv * np.sqrt(green)
        log_s = np.log(surv)
        sigma = np.sqrt(green) / np.abs(log_s)
        lo = surv ** np.exp(Z95 * sigma)
        hi = surv ** np.exp(-Z95 * sigma)
    # Where S is 1 (no events yet) or 0 (everyone left) the log-log interval is degenerate.
    lo = np.where(surv >= 1.0, 1.0, np.where(surv <= 0.0, 0.0, lo))
    hi = np.where(surv >= 1.0, 1.0, np.where(surv <= 0.0, 0.0, hi))
    se = np.where(np.isfinite(se), se, np.nan)
    return pd.DataFrame({"time": times, "at_risk": n.astype(int), "events": d.astype(int), "survival": surv,
                         "se": se, "ci_low": lo, "ci_high": hi})


def median_interval(km: pd.DataFrame) -> tuple[float | None, float | None]:
    """The 95% interval of the median time from a :func:`kaplan_meier` table: the event times at
    which the curve's log–log interval contains 0.5 (Brookmeyer & Crowley 1982), from the first of
    them to the event time after the last (the convention of SAS's LIFETEST and of statsmodels'
    ``SurvfuncRight.quantile_ci``). The upper limit is None where the interval still contains 0.5
    at the last event time (not reached); both are None where it never does.

    References
    ----------
    Brookmeyer, R., & Crowley, J. (1982). A confidence interval for the median survival time.
    *Biometrics*, 38(1), 29–41.
    """
    if km.empty:
        return None, None
    inside = np.flatnonzero((km["ci_low"].to_numpy() <= 0.5) & (km["ci_high"].to_numpy() >= 0.5))
    if inside.size == 0:
        return None, None
    times = km["time"].to_numpy(dtype=float)
    upper = None if inside[-1] == times.size - 1 else float(times[inside[-1] + 1])
    return float(times[inside[0]]), upper


def tenure_durations(customers: pd.DataFrame, ref: dt.date | None, timezone: str = DEFAULT_TIMEZONE
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Tenure in months and whether it ended (left before or on ``ref``), one pair per usable customer.

    Customers without a start date, starting after ``ref``, or ending before they started are left
    out. An end date after ``ref`` counts as still a customer at ``ref`` (censored at the end of
    that day). Dates are read as calendar dates in ``timezone`` (the customer base's), as
    :func:`klantladder.kpis.customer_columns` reads them, so the curve and the 12-month retention
    agree on who left. Without an ``end_date`` column nobody can be seen to leave: no durations.
    """
    if ref is None or "start_date" not in customers or "end_date" not in customers:
        return np.zeros(0), np.zeros(0, dtype=bool)
    start = _utc(customers["start_date"], timezone)
    end = _utc(customers["end_date"], timezone)
    ref_ts = day_start(ref + dt.timedelta(days=1), timezone, end)  # the end of the reference day
    left = end.notna() & (end < ref_ts)
    stop = end.where(left, ref_ts)
    days = (stop - start).dt.total_seconds() / 86400.0
    ok = start.notna() & (start < ref_ts) & (days >= 0)
    return (days[ok] / DAYS_PER_MONTH).to_numpy(dtype=float), left[ok].to_numpy(dtype=bool)


def _utc(s: pd.Series, timezone: str) -> pd.Series:
    """Timestamps in UTC; those without a zone are read in ``timezone``."""
    s = pd.to_datetime(s, errors="coerce")
    return s.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="shift_forward").dt.tz_convert("UTC") \
        if s.dt.tz is None else s.dt.tz_convert("UTC")


@dataclass(frozen=True)
class RetentionCurve:
    """Retention by tenure month. ``table`` has :data:`RETENTION_COLUMNS`; ``n`` customers used,
    ``events`` of them left; ``median_months`` is the median tenure (None while above 50%) and
    ``median_ci`` its 95% interval (:func:`median_interval`; an upper limit of None: not reached)."""

    table: pd.DataFrame
    n: int
    events: int
    median_months: float | None
    median_ci: tuple[float | None, float | None] = (None, None)

    def at(self, month: float) -> tuple[float | None, float | None, float | None]:
        """Retention (percent) and its interval after ``month`` months of tenure; None beyond the data."""
        tab = self.table
        if tab.empty or month > tab["month"].iloc[-1]:
            return None, None, None
        row = tab.iloc[int(np.searchsorted(tab["month"].to_numpy(), month, side="right")) - 1]
        return float(row["survival"]), float(row["ci_low"]), float(row["ci_high"])


def retention_curve(customers: pd.DataFrame | None, ref: dt.date | None, max_months: int | None = None,
                    min_at_risk: int = 10, timezone: str = DEFAULT_TIMEZONE) -> RetentionCurve | None:
    """Kaplan–Meier retention (in percent) at every whole tenure month from 0 to the last month
    with at least ``min_at_risk`` customers still observed (capped at ``max_months``).

    Parameters
    ----------
    customers : pandas.DataFrame or None
        The canonical customer base (``start_date``, optional ``end_date``).
    ref : datetime.date or None
        The reference date: customers without an end date are still customers on it.
    max_months : int, optional
        Last month shown.
    min_at_risk : int
        The curve stops where fewer customers remain at risk: its tail rests on too few.
    timezone : str
        The customer base's time zone: its dates are calendar dates there (:func:`tenure_durations`).

    Returns
    -------
    RetentionCurve or None
        None when there is no usable customer base (no start dates, no end dates or no reference date).

    Notes
    -----
    :func:`kaplan_meier` on tenure in months (days / 30.44), read off as a step function at each
    whole month: :math:`S(m)` is the share still a customer *after* ``m`` months. ``at_risk`` is
    the number still observed at the start of month ``m``; ``events`` the departures during it.
    """
    if customers is None or len(customers) == 0:
        return None
    months, left = tenure_durations(customers, ref, timezone)
    if months.size == 0:
        return None
    km = kaplan_meier(months, left)
    ordered = np.sort(months)
    grid = np.arange(0, int(np.floor(months.max())) + 1)
    at_risk = months.size - np.searchsorted(ordered, grid, side="left")
    grid = grid[at_risk >= min_at_risk] if (at_risk >= min_at_risk).any() else grid[:1]
    if max_months is not None:
        grid = grid[grid <= max_months]
    idx = np.searchsorted(km["time"].to_numpy(), grid, side="right") - 1
    has = idx >= 0
    pick = lambda col, empty: np.where(has, km[col].to_numpy()[np.clip(idx, 0, None)] if len(km) else empty, empty)  # noqa: E731
    ev_month = np.floor(months[left]).astype(int)
    events = np.bincount(ev_month, minlength=int(grid.max()) + 1)[grid] if ev_month.size else np.zeros(grid.size, int)
    table = pd.DataFrame({
        "month": grid.astype(int),
        "at_risk": (months.size - np.searchsorted(ordered, grid, side="left")).astype(int),
        "events": events.astype(int),
        "survival": 100.0 * pick("survival", 1.0),
        "ci_low": 100.0 * pick("ci_low", 1.0),
        "ci_high": 100.0 * pick("ci_high", 1.0),
    }, columns=list(RETENTION_COLUMNS))
    below = km[km["survival"] <= 0.5]
    median = float(below["time"].iloc[0]) if len(below) else None
    return RetentionCurve(table, int(months.size), int(left.sum()), median,
                          median_interval(km) if median is not None else (None, None))
