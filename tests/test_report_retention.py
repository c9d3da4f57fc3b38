"""Kaplan–Meier retention by tenure (klantladder.retention)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from klantladder.kpis import customer_columns
from klantladder.retention import kaplan_meier, median_interval, retention_curve, tenure_durations

pytestmark = pytest.mark.filterwarnings("error")

# Freireich et al. (1963) 6-MP arm, the textbook Kaplan–Meier example (Kleinbaum & Klein,
# *Survival Analysis*, 3rd ed., ch. 2; Gehan 1965): weeks of remission, + = censored.
SIX_MP = [(6, 1), (6, 1), (6, 1), (6, 0), (7, 1), (9, 0), (10, 1), (10, 0), (11, 0), (13, 1), (16, 1), (17, 0),
          (19, 0), (20, 0), (22, 1), (23, 1), (25, 0), (32, 0), (32, 0), (34, 0), (35, 0)]
# S(t) at the event times as published: 0.857, 0.807, 0.753, 0.690, 0.627, 0.538, 0.448.
PUBLISHED = {6: 0.857, 7: 0.807, 10: 0.753, 13: 0.690, 16: 0.627, 22: 0.538, 23: 0.448}


def test_kaplan_meier_matches_the_textbook_example():
    t = np.array([x for x, _ in SIX_MP], dtype=float)
    e = np.array([d for _, d in SIX_MP], dtype=bool)
    km = kaplan_meier(t, e).set_index("time")
    for time, s in PUBLISHED.items():
        assert km.loc[time, "survival"] == pytest.approx(s, abs=0.0006)
    assert km.loc[6, "at_risk"] == 21 and km.loc[6, "events"] == 3
    # Greenwood SE at t = 6: S * sqrt(3 / (21 * 18)) = 0.0764 (Kleinbaum & Klein).
    assert km.loc[6, "se"] == pytest.approx(0.0764, abs=0.0005)


def test_kaplan_meier_agrees_with_statsmodels():
    from statsmodels.duration.survfunc import SurvfuncRight

    rng = np.random.default_rng(7)
    t = np.round(rng.exponential(20, 400))
    e = rng.random(400) < 0.7
    km = kaplan_meier(t, e)
    sm = SurvfuncRight(t, e.astype(int))
    np.testing.assert_allclose(km["time"], sm.surv_times)
    np.testing.assert_allclose(km["survival"], sm.surv_prob, rtol=1e-12)
    np.testing.assert_allclose(km["se"], sm.surv_prob_se, rtol=1e-9)
    assert (km["ci_low"] <= km["survival"]).all() and (km["survival"] <= km["ci_high"]).all()
    assert km["ci_low"].between(0, 1).all() and km["ci_high"].between(0, 1).all()


@settings(max_examples=80, deadline=None)
@given(st.integers(20, 400), st.floats(0.2, 0.95), st.integers(0, 2**32 - 1))
def test_median_and_its_interval_agree_with_statsmodels(n, share_left, seed):
    """The median tenure and its 95% interval (Brookmeyer–Crowley on the log-log band) equal
    statsmodels' SurvfuncRight.quantile and quantile_ci(0.5, method="cloglog"), an open upper
    limit (None) where statsmodels gives infinity."""
    from statsmodels.duration.survfunc import SurvfuncRight

    rng = np.random.default_rng(seed)
    t = np.round(rng.exponential(30, n), 1)
    e = rng.random(n) < share_left
    km = kaplan_meier(t, e)
    sm = SurvfuncRight(t, e.astype(int))
    with np.errstate(divide="ignore", invalid="ignore"):  # its test at S = 0 (everyone left): log(0)
        lo, hi = sm.quantile_ci(0.5, method="cloglog")
    got = median_interval(km)
    if np.isnan(lo):
        assert got == (None, None)
    else:
        assert got[0] == pytest.approx(lo)
        assert got[1] is None if np.isinf(hi) else got[1] == pytest.approx(hi)


def test_median_tenure_of_the_telco_base_with_its_interval(real_data):
    """Telco churn, month-to-month contracts (42.7% left): the median tenure and its interval
    equal statsmodels' on the same tenures, and lie near the export's own (whole-month) tenure."""
    from statsmodels.duration.survfunc import SurvfuncRight

    raw, base = _telco(real_data)
    monthly = base[base["segment"] == "Month-to-month"]
    months, left = tenure_durations(monthly, REF)
    sm = SurvfuncRight(months, left.astype(int))
    curve = retention_curve(monthly, REF)
    assert curve.median_months == pytest.approx(sm.quantile(0.5), abs=1e-9)
    assert curve.median_ci == pytest.approx(sm.quantile_ci(0.5, method="cloglog"), abs=1e-9)
    assert curve.median_ci[0] < curve.median_months < curve.median_ci[1]
    own = raw[raw["Contract"] == "Month-to-month"]
    exported = SurvfuncRight(own["tenure"] - np.where(own["Churn"] == "Yes", 0.5, 0.0), own["Churn"].eq("Yes").astype(int))
    assert curve.median_months == pytest.approx(exported.quantile(0.5), abs=0.5)


def test_tenure_is_censored_at_the_reference_date():
    ref = dt.date(2026, 10, 31)
    c = pd.DataFrame({
        "start_date": pd.to_datetime(["2025-10-31", "2024-10-31", "2026-12-01", "2026-01-01"], utc=True),
        "end_date": pd.to_datetime([None, "2025-10-31", None, "2027-01-01"], utc=True),
    })
    months, left = tenure_durations(c, ref)
    assert months.size == 3  # the customer starting after the reference date is left out
    assert months[0] == pytest.approx(12.03, abs=0.05) and not left[0]
    assert months[1] == pytest.approx(12.0, abs=0.05) and left[1]
    assert not left[2]  # ends after the reference date: still a customer on it


@pytest.mark.parametrize("zone", ["Europe/Amsterdam", "America/New_York", "UTC"])
def test_the_curve_and_the_12_month_retention_agree_on_who_left(zone):
    """Dates as intake gives them (local midnight of the customer base's zone, in UTC): a customer
    whose end date is the reference date left; one ending the day after is still a customer on
    it — for the Kaplan–Meier curve and for the 12-month retention alike, in any zone."""
    ref = dt.date(2026, 10, 31)

    def local(day: str) -> pd.Timestamp:
        return pd.Timestamp(day).tz_localize(zone).tz_convert("UTC")

    c = pd.DataFrame({"start_date": [local("2020-01-01")] * 3,
                      "end_date": [local("2026-10-31"), local("2026-11-01"), pd.NaT]})
    c["end_date"] = pd.to_datetime(c["end_date"], utc=True)
    months, left = tenure_durations(c, ref, zone)
    assert left.tolist() == [True, False, False]
    kept = customer_columns(c, ref, zone)["retention_12m"]
    assert kept.tolist() == [0.0, 100.0, 100.0]
    assert months[1] == pytest.approx(months[2])  # censored alike, at the end of the reference day


def test_retention_curve_in_percent_by_month():
    ref = dt.date(2026, 10, 31)
    start = pd.Timestamp("2020-01-01", tz="UTC")
    n = 200
    starts = pd.Series([start] * n)
    ends = pd.Series([start + pd.DateOffset(months=6 + i % 24) if i % 2 else pd.NaT for i in range(n)])
    curve = retention_curve(pd.DataFrame({"start_date": starts, "end_date": ends}), ref)
    tab = curve.table
    assert tab["month"].iloc[0] == 0 and tab["survival"].iloc[0] == 100
    assert tab["survival"].is_monotonic_decreasing
    s, lo, hi = curve.at(36)
    assert s == pytest.approx(50.0, abs=0.01) and lo < s < hi  # half left within 30 months, half stay
    assert curve.n == n and curve.events == n // 2
    assert retention_curve(None, ref) is None


# --- real data: IBM's telco customer base -------------------------------------------------------

TELCO = "WA_Fn-UseC_-Telco-Customer-Churn.csv"
REF = dt.date(2026, 10, 31)


def _telco(real_data) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The telco export as a customer base: a customer with ``tenure`` t months started t months
    before the reference date; one who churned (in the last month, as the export's ``Churn`` says)
    left 15 days before it. Returns the export and the base (``start_date``, ``end_date``)."""
    raw = pd.read_csv(real_data / TELCO)
    ref = pd.Timestamp(REF, tz="UTC")
    start = pd.Series([ref - pd.DateOffset(months=int(t)) for t in raw["tenure"]], dtype="datetime64[ns, UTC]")
    end = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns, UTC]")
    end[raw["Churn"].eq("Yes")] = ref - pd.Timedelta(days=15)
    return raw, pd.DataFrame({"start_date": start, "end_date": end, "segment": raw["Contract"]})


def test_telco_churn_by_contract_as_published(real_data):
    """The departures the retention curve counts are the export's churn: 26.54% overall,
    month-to-month 42.7%, one year 11.3%, two year 2.8% (the published figures)."""
    _, base = _telco(real_data)
    curve = retention_curve(base, REF)
    assert curve.n == 7043 and 100 * curve.events / curve.n == pytest.approx(26.54, abs=0.005)
    for contract, churn in {"Month-to-month": 42.7, "One year": 11.3, "Two year": 2.8}.items():
        part = retention_curve(base[base["segment"] == contract], REF)
        assert 100 * part.events / part.n == pytest.approx(churn, abs=0.05), contract


def test_telco_retention_curve_agrees_with_statsmodels(real_data):
    """Kaplan–Meier over the telco base equals statsmodels' estimate on the export's own tenure
    (a churned customer leaving half a month before the end of its last month)."""
    from statsmodels.duration.survfunc import SurvfuncRight

    raw, base = _telco(real_data)
    left = raw["Churn"].eq("Yes").to_numpy()
    months = raw["tenure"].to_numpy(dtype=float) - np.where(left, 0.5, 0.0)
    sm = SurvfuncRight(months, left.astype(int))
    curve = retention_curve(base, REF)
    for month in (1, 6, 12, 24, 36, 48, 60, 71):
        expected = 100 * sm.surv_prob[np.searchsorted(sm.surv_times, month, side="right") - 1]
        value, low, high = curve.at(month)
        assert value == pytest.approx(expected, abs=1e-9), month
        assert low < value < high


def test_telco_twelve_month_retention_with_its_wilson_interval(real_data):
    """Retention over twelve months: of the customers who were customers a year ago (tenure of at
    least 12 months), the share still with the telco; interval as statsmodels' Wilson interval."""
    from statsmodels.stats.proportion import proportion_confint

    from klantladder.kpis import customer_kpis

    raw, base = _telco(real_data)
    cohort = raw[raw["tenure"] >= 12]
    stayed = int(cohort["Churn"].eq("No").sum())
    k = customer_kpis(base, REF)
    low, high = proportion_confint(stayed, len(cohort), method="wilson")
    assert k["retention_12m"].n == len(cohort)
    assert k["retention_12m"].value == pytest.approx(100 * stayed / len(cohort))
    assert (k["retention_12m"].ci_low, k["retention_12m"].ci_high) == pytest.approx((100 * low, 100 * high))
    assert k["churn_12m"].value == pytest.approx(100 - k["retention_12m"].value)
    assert k["segment_known_rate"].value == 100
