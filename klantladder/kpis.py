"""Hard evidence: the KPIs of SPEC 3.4 from the surveys, tickets and customer base.

Every KPI is an :class:`~klantladder.intervals.Estimate` (value, 95% interval, n). Shares and rates
are in percent (0–100), times in hours. A KPI whose data is missing is ``None``.
"""

from __future__ import annotations

import datetime as dt
from typing import Mapping

import numpy as np
import pandas as pd

from .intervals import (Estimate, mean_estimate, nps_estimate, proportion_estimate, quantile_estimate,
                        top_box_estimate)

__all__ = ["REPEAT_WINDOW_DAYS", "reference_date", "survey_kpis", "ticket_kpis", "customer_kpis",
           "ticket_hours", "repeat_contacts", "compute_kpis", "times_by_channel"]

REPEAT_WINDOW_DAYS = 7


def _hours(later: pd.Series, earlier: pd.Series) -> pd.Series:
    return (later - earlier).dt.total_seconds() / 3600.0


def reference_date(frames: Mapping[str, pd.DataFrame], configured: dt.date | None) -> dt.date | None:
    """The date KPIs are measured at: ``reference_date`` from client.yaml, else the latest date in the data."""
    if configured is not None:
        return configured
    latest: list[pd.Timestamp] = []
    t = frames.get("tickets")
    if t is not None and "created_at" in t and t["created_at"].notna().any():
        latest.append(t["created_at"].max())
    c = frames.get("customers")
    if c is not None:
        for col in ("start_date", "end_date"):
            if col in c and c[col].notna().any():
                latest.append(c[col].max())
    if not latest:
        return None
    return max(pd.Timestamp(x).tz_convert(None) if pd.Timestamp(x).tzinfo else pd.Timestamp(x) for x in latest).date()


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
    if invited:
        out["survey_response_rate"] = proportion_estimate(min(len(survey), invited), invited)
    return out


def ticket_hours(tickets: pd.DataFrame) -> pd.DataFrame:
    """Per ticket: hours to first response and to resolution (NaN where not (yet) there)."""
    first = tickets["first_response_at"] if "first_response_at" in tickets else pd.Series(pd.NaT, index=tickets.index)
    resolved = tickets["resolved_at"] if "resolved_at" in tickets else pd.Series(pd.NaT, index=tickets.index)
    return pd.DataFrame({"first_response_hours": _hours(first, tickets["created_at"]),
                         "resolution_hours": _hours(resolved, tickets["created_at"])}, index=tickets.index)


def repeat_contacts(tickets: pd.DataFrame, window_days: int = REPEAT_WINDOW_DAYS) -> pd.Series:
    """Per ticket: True when the same customer opens another ticket within ``window_days`` after it.

    Missing where the customer is unknown. Sorting once keeps this O(n log n) on millions of tickets.
    """
    out = pd.Series(pd.NA, index=tickets.index, dtype="boolean")
    if "customer_id" not in tickets:
        return out
    known = tickets["customer_id"].notna() & tickets["created_at"].notna()
    t = tickets.loc[known, ["customer_id", "created_at"]]
    codes, _ = pd.factorize(t["customer_id"])
    created = t["created_at"].to_numpy(dtype="datetime64[ns]").astype("int64")
    order = np.lexsort((created, codes))
    c_sorted, t_sorted = codes[order], created[order]
    nxt_same = np.r_[c_sorted[1:] == c_sorted[:-1], False]
    gap = np.r_[t_sorted[1:] - t_sorted[:-1], 0]
    repeat_sorted = nxt_same & (gap <= window_days * 86400 * 10**9)
    repeat = np.empty_like(repeat_sorted)
    repeat[order] = repeat_sorted
    out.loc[known] = repeat
    return out


def ticket_kpis(tickets: pd.DataFrame | None, sla: Mapping[str, float],
                ref: dt.date | None = None) -> dict[str, Estimate | None]:
    """Service KPIs from ticket timestamps: times (median, p90), FCR, reopen, repeat, SLA, closed share.

    First-contact resolution uses the ``first_contact_resolution`` column when the export has it;
    otherwise a ticket counts as resolved at first contact when it was resolved, not reopened and
    not followed by another contact of the same customer within 7 days (documented proxy).
    SLA: a ticket meets its targets when its first response and its resolution both came within
    the client's targets; an open ticket older than the resolution target at the reference date
    counts as missed, a younger one is left out.
    """
    keys = ["first_response_hours_median", "first_response_hours_p90", "resolution_hours_median",
            "resolution_hours_p90", "fcr_rate", "reopen_rate", "repeat_contact_rate", "sla_rate",
            "ticket_csat", "resolved_rate"]
    out: dict[str, Estimate | None] = dict.fromkeys(keys)
    if tickets is None or len(tickets) == 0:
        return out
    hours = ticket_hours(tickets)
    fr, res = hours["first_response_hours"], hours["resolution_hours"]
    if fr.notna().any():
        out["first_response_hours_median"] = quantile_estimate(fr, 0.5)
        out["first_response_hours_p90"] = quantile_estimate(fr, 0.9)
    if res.notna().any():
        out["resolution_hours_median"] = quantile_estimate(res, 0.5)
        out["resolution_hours_p90"] = quantile_estimate(res, 0.9)
    resolved = tickets["resolved_at"].notna() if "resolved_at" in tickets else None
    if resolved is not None:
        out["resolved_rate"] = proportion_estimate(int(resolved.sum()), len(tickets))
    reopened = tickets["reopened"] if "reopened" in tickets else None
    if reopened is not None and reopened.notna().any():
        out["reopen_rate"] = proportion_estimate(int(reopened.fillna(False).sum()), int(reopened.notna().sum()))
    repeat = repeat_contacts(tickets)
    if repeat.notna().any():
        out["repeat_contact_rate"] = proportion_estimate(int(repeat.fillna(False).sum()), int(repeat.notna().sum()))
    if "first_contact_resolution" in tickets and tickets["first_contact_resolution"].notna().any():
        f = tickets["first_contact_resolution"]
        out["fcr_rate"] = proportion_estimate(int(f.fillna(False).sum()), int(f.notna().sum()))
    elif resolved is not None and resolved.any():
        not_reopened = ~reopened.fillna(False).astype(bool) if reopened is not None else True
        no_repeat = ~repeat.fillna(False).astype(bool)
        fcr = resolved & not_reopened & no_repeat
        out["fcr_rate"] = proportion_estimate(int(fcr[resolved].sum()), int(resolved.sum()))
    if "csat" in tickets and tickets["csat"].notna().any():
        out["ticket_csat"] = top_box_estimate(tickets["csat"], 4)
    target_fr, target_res = sla.get("first_response_hours"), sla.get("resolution_hours")
    if target_fr is not None and target_res is not None:
        response = fr.fillna(res)
        met = (response <= target_fr) & (res <= target_res)
        judged = res.notna()
        if ref is not None and "created_at" in tickets:
            end = pd.Timestamp(ref, tz="UTC") + pd.Timedelta(days=1)
            age = _hours(pd.Series(end, index=tickets.index), tickets["created_at"])
            judged = judged | (res.isna() & (age > target_res))
        if judged.any():
            out["sla_rate"] = proportion_estimate(int((met & judged).sum()), int(judged.sum()))
    return out


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


def customer_kpis(customers: pd.DataFrame | None, ref: dt.date | None) -> dict[str, Estimate | None]:
    """12-month retention and churn, and the share of customers whose segment is known.

    Retention: of the customers active 12 months before the reference date, the share still active
    at the reference date (Wilson interval). Churn = 100 − retention.
    """
    out: dict[str, Estimate | None] = {"retention_12m": None, "churn_12m": None, "segment_known_rate": None}
    if customers is None or len(customers) == 0:
        return out
    if "segment" in customers:
        out["segment_known_rate"] = proportion_estimate(int(customers["segment"].notna().sum()), len(customers))
    if ref is None or "start_date" not in customers:
        return out
    ref_ts = pd.Timestamp(ref, tz="UTC")
    start_window = ref_ts - pd.DateOffset(months=12)
    start = customers["start_date"]
    end = customers["end_date"] if "end_date" in customers else pd.Series(pd.NaT, index=customers.index)
    active_then = (start <= start_window) & (end.isna() | (end > start_window))
    n = int(active_then.sum())
    if n:
        kept = int((active_then & (end.isna() | (end > ref_ts))).sum())
        ret = proportion_estimate(kept, n)
        out["retention_12m"] = ret
        out["churn_12m"] = proportion_estimate(n - kept, n)
    return out


def compute_kpis(frames: Mapping[str, pd.DataFrame], sla: Mapping[str, float], ref: dt.date | None,
                 invited: int | None = None) -> dict[str, Estimate | None]:
    """All KPIs of a client, keyed as in ``scores.json``."""
    out: dict[str, Estimate | None] = {}
    out.update(survey_kpis(frames.get("customer_survey"), invited))
    out.update(ticket_kpis(frames.get("tickets"), sla, ref))
    out.update(customer_kpis(frames.get("customers"), ref))
    return out
