"""The per-unit columns behind the KPIs: fast paths against their plain definitions."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import klantladder.kpis as kpis_module
from klantladder.kpis import (_by_customer_then_time, repeat_contacts, survey_columns, ticket_columns,
                              ticket_hours)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 40)), min_size=1, max_size=60),
       st.sampled_from([10**9, 10**6, 1]))
def test_combined_sort_key_equals_lexsort(pairs, unit):
    c = np.array([p[0] for p in pairs], dtype=np.int64)
    t = np.array([p[1] for p in pairs], dtype=np.int64) * unit + 1_700_000_000 * 10**9
    assert (_by_customer_then_time(c, t) == np.lexsort((t, c))).all()
    for per_second in (10**3, 1):  # times stored in milliseconds or seconds
        assert (_by_customer_then_time(c, t // 10**6, per_second) == np.lexsort((t // 10**6, c))).all()


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 40)), min_size=1, max_size=60))
def test_sort_key_of_tickets_in_time_order_equals_lexsort(pairs):
    c = np.array([p[0] for p in pairs], dtype=np.int64)
    t = np.sort(np.array([p[1] for p in pairs], dtype=np.int64)) * 10**9  # as exports list them: by time
    compiled = kpis_module._native
    try:
        for implementation in {compiled, None}:  # the compiled counting sort (where built) and NumPy's sort
            kpis_module._native = implementation
            assert (_by_customer_then_time(c, t) == np.lexsort((t, c))).all()
    finally:
        kpis_module._native = compiled


def test_repeat_contacts_by_hand_with_ties_and_unknown_customers():
    base = pd.Timestamp("2026-03-01 09:00", tz="UTC")
    t = pd.DataFrame({
        "customer_id": ["a", "a", "a", "b", None, "b"],
        "created_at": [base, base, base + pd.Timedelta(days=8), base, base, base + pd.Timedelta(days=7)],
    })
    # a: two at the same moment (the first is followed by the second), then 8 days later (not
    # within 7 days); b: exactly 7 days later counts; unknown customer: missing.
    assert repeat_contacts(t).tolist() == [True, False, False, True, pd.NA, False]


def test_ticket_hours_from_integer_nanoseconds_match_timedelta_arithmetic():
    rng = np.random.default_rng(0)
    created = pd.Series(pd.to_datetime(rng.integers(1.7e9, 1.8e9, 200), unit="s", utc=True))
    later = created + pd.to_timedelta(rng.exponential(3600 * 20, 200).round(), unit="s")
    later[::7] = pd.NaT
    t = pd.DataFrame({"created_at": created, "first_response_at": later, "resolved_at": later})
    got = ticket_hours(t)["first_response_hours"]
    expected = (later - created).dt.total_seconds() / 3600
    assert np.allclose(got, expected, equal_nan=True)


def test_ticket_columns_are_the_kpi_definitions():
    base = pd.Timestamp("2026-01-05 09:00", tz="UTC")
    h = pd.Timedelta(hours=1)
    t = pd.DataFrame({
        "ticket_id": list("abcd"), "customer_id": ["k1", "k1", "k2", "k3"],
        "created_at": [base, base + 24 * h, base + 48 * h, base + 72 * h],
        "first_response_at": [base + 1 * h, base + 26 * h, base + 52 * h, pd.NaT],
        "resolved_at": [base + 10 * h, base + 44 * h, pd.NaT, base + 80 * h],
        "reopened": pd.array([False, True, None, False], dtype="boolean"),
        "csat": [5.0, 2.0, np.nan, 4.0],
    })
    tc = ticket_columns(t, {"first_response_hours": 3, "resolution_hours": 24}, dt.date(2026, 1, 20))
    v = tc.values
    assert v["resolved_rate"].tolist() == [100, 100, 0, 100]
    assert v["reopen_rate"].tolist()[:2] == [0, 100] and np.isnan(v["reopen_rate"].iloc[2])
    assert v["repeat_contact_rate"].tolist() == [100, 0, 0, 0]
    # FCR proxy over resolved tickets: a repeat, b reopened, d fine.
    assert np.isnan(v["fcr_rate"].iloc[2]) and v["fcr_rate"].tolist()[:2] == [0, 0] and v["fcr_rate"].iloc[3] == 100
    assert v["ticket_csat"].tolist()[:2] == [100, 0]
    # SLA: a met; b 2 h response, 20 h resolution: met; c open for 15 days: missed; d no response,
    # 8 h resolution counts as response: missed (8 > 3).
    assert v["sla_rate"].tolist() == [100, 100, 0, 0]
    assert tc.clusters[0] == tc.clusters[1] != tc.clusters[2]


@pytest.mark.parametrize("unit", ["s", "ms", "us"])
def test_ticket_columns_do_not_depend_on_the_unit_the_times_are_stored_in(unit):
    # Parquet exports store milliseconds and intake keeps them; text is parsed to nanoseconds.
    rng = np.random.default_rng(7)
    n = 400
    base = pd.Timestamp("2026-01-05 09:00", tz="UTC")
    created = base + pd.to_timedelta(np.sort(rng.integers(0, 40 * 86400, n)), unit="s")
    created = pd.Series(created).where(rng.random(n) > 0.05)  # some unknown times
    created[3], created[4] = base, base + pd.Timedelta(days=7)  # the same customer exactly 7 days apart
    resolved = created + pd.to_timedelta(rng.exponential(30 * 3600, n).round(), unit="s")
    resolved[rng.random(n) < 0.2] = pd.NaT  # open tickets: old ones miss the SLA
    t = pd.DataFrame({"ticket_id": [f"t{i}" for i in range(n)],
                      "customer_id": [f"k{i}" for i in rng.integers(0, 60, n)],
                      "created_at": created, "first_response_at": created + pd.Timedelta(hours=2),
                      "resolved_at": resolved})
    t.loc[4, "customer_id"] = t.loc[3, "customer_id"]
    sla, ref = {"first_response_hours": 4, "resolution_hours": 24}, dt.date(2026, 2, 20)
    in_ns = ticket_columns(t, sla, ref)
    stored = t.copy()
    for c in ("created_at", "first_response_at", "resolved_at"):
        stored[c] = stored[c].dt.as_unit(unit)
    in_unit = ticket_columns(stored, sla, ref)
    assert in_unit.values["repeat_contact_rate"].iloc[3] == 100  # 7 days counts, in any unit
    assert 0 < np.nanmean(in_unit.values["sla_rate"]) < 100
    pd.testing.assert_frame_equal(in_unit.values, in_ns.values)


def test_survey_columns_code_nps_csat_ces():
    s = pd.DataFrame({"nps": [10, 9, 8, 7, 6, 0, np.nan], "csat": [5, 4, 3, 2, 1, np.nan, 4],
                      "ces": [7, 1, 4, np.nan, 2, 3, 5]})
    c = survey_columns(s)
    assert c["nps"].tolist()[:6] == [100, 100, 0, 0, -100, -100] and np.isnan(c["nps"].iloc[6])
    assert np.nanmean(c["nps"]) == pytest.approx(0.0)
    assert c["csat"].tolist()[:5] == [100, 100, 0, 0, 0]
    assert c["ces"].equals(s["ces"].astype(float))
