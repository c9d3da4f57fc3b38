"""KPIs against values worked out by hand on tiny inputs (SPEC 3.4)."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from klantladder.kpis import customer_kpis, hours_between, repeat_contacts, survey_kpis, ticket_kpis


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def tickets() -> pd.DataFrame:
    # created; first response after 1, 2, 4, 8 h; resolved after 10, 20, 30 h, one open.
    created = [ts("2026-01-05 09:00"), ts("2026-01-06 09:00"), ts("2026-01-07 09:00"), ts("2026-01-20 09:00")]
    return pd.DataFrame({
        "ticket_id": ["a", "b", "c", "d"],
        "customer_id": ["k1", "k1", "k2", "k1"],
        "created_at": created,
        "first_response_at": [c + pd.Timedelta(hours=h) for c, h in zip(created, [1, 2, 4, 8])],
        "resolved_at": [created[0] + pd.Timedelta(hours=10), created[1] + pd.Timedelta(hours=20),
                        created[2] + pd.Timedelta(hours=30), pd.NaT],
        "reopened": pd.array([False, True, False, False], dtype="boolean"),
        "csat": [5.0, 3.0, np.nan, 4.0],
    })


def test_nps_csat_ces_by_hand():
    s = pd.DataFrame({"nps": [10, 9, 8, 7, 6, 0], "csat": [5, 4, 3, 2, 1, np.nan], "ces": [7, 6, 5, 4, 3, 2]})
    k = survey_kpis(s, invited=20)
    # promoters 2/6, detractors 2/6: NPS 0; variance 100^2 (p + d - (p-d)^2)/n = 100^2 (4/6)/6
    assert k["nps"].value == pytest.approx(0.0)
    se = 100 * np.sqrt((2 / 6 + 2 / 6) / 6)
    assert k["nps"].ci_high == pytest.approx(1.959964 * se, rel=1e-5)
    assert k["nps"].n == 6
    assert k["csat"].value == pytest.approx(40.0) and k["csat"].n == 5
    lo, hi = proportion_confint(2, 5, method="wilson")
    assert (k["csat"].ci_low, k["csat"].ci_high) == pytest.approx((100 * lo, 100 * hi))
    assert k["ces"].value == pytest.approx(4.5)
    assert k["survey_response_rate"].value == pytest.approx(30.0)


def test_ticket_kpis_by_hand():
    k = ticket_kpis(tickets(), {"first_response_hours": 3, "resolution_hours": 24}, dt.date(2026, 1, 31))
    assert k["first_response_hours_median"].value == pytest.approx(3.0)  # median of 1, 2, 4, 8
    assert k["resolution_hours_median"].value == pytest.approx(20.0)  # median of 10, 20, 30
    assert k["resolved_rate"].value == pytest.approx(75.0)
    assert k["reopen_rate"].value == pytest.approx(25.0)
    # repeat contact: a (k1, 5 Jan) followed by b (k1, 6 Jan) within 7 days; b by d (20 Jan): no.
    assert k["repeat_contact_rate"].value == pytest.approx(25.0)
    # FCR proxy among resolved a, b, c: a has a repeat, b reopened -> only c.
    assert k["fcr_rate"].value == pytest.approx(100 / 3)
    # SLA (3 h response, 24 h resolution): a met (1 h, 10 h), b met (2 h, 20 h), c missed (4 h
    # response), d still open after 11 days -> missed. Met: 2 of 4 judged.
    assert k["sla_rate"].value == pytest.approx(50.0) and k["sla_rate"].n == 4
    assert k["ticket_csat"].value == pytest.approx(200 / 3)


def test_open_young_ticket_is_not_judged_for_sla():
    t = tickets()
    k = ticket_kpis(t, {"first_response_hours": 3, "resolution_hours": 24 * 30}, dt.date(2026, 1, 21))
    assert k["sla_rate"].n == 3


def test_fcr_column_wins_over_proxy():
    t = tickets().assign(first_contact_resolution=pd.array([True, True, False, pd.NA], dtype="boolean"))
    assert ticket_kpis(t, {}, None)["fcr_rate"].value == pytest.approx(200 / 3)


def test_repeat_contacts_ignores_unknown_customers():
    t = tickets()
    t.loc[0, "customer_id"] = None
    r = repeat_contacts(t)
    assert r.isna().tolist() == [True, False, False, False]


def test_retention_by_hand():
    c = pd.DataFrame({
        "customer_id": list("abcde"),
        "segment": ["x", None, "y", "x", None],
        "start_date": [ts("2024-01-01"), ts("2024-06-01"), ts("2025-03-01"), ts("2026-01-01"), ts("2023-01-01")],
        "end_date": [pd.NaT, ts("2025-12-01"), pd.NaT, pd.NaT, ts("2024-01-01")],
    })
    k = customer_kpis(c, dt.date(2026, 6, 30))
    # active on 2025-06-30: a, b, c (started 2025-03-01, counts), not d (later), not e (ended). kept: a, c.
    assert k["retention_12m"].value == pytest.approx(200 / 3) and k["retention_12m"].n == 3
    assert k["churn_12m"].value == pytest.approx(100 / 3)
    assert k["segment_known_rate"].value == pytest.approx(60.0)


def test_no_resolution_times_give_no_closed_share_and_no_sla():
    """Without any resolved_at every ticket would count as open: a closed share and an SLA of 0
    computed from nothing. An entirely empty column is the same as none."""
    sla = {"first_response_hours": 3, "resolution_hours": 24}
    for t in (tickets().drop(columns=["resolved_at"]), tickets().assign(resolved_at=pd.NaT)):
        k = ticket_kpis(t, sla, dt.date(2026, 1, 31))
        assert k["resolved_rate"] is None and k["sla_rate"] is None and k["fcr_rate"] is None
        assert k["resolution_hours_median"] is None
        assert k["first_response_hours_median"].value == pytest.approx(3.0)  # the rest still counts
    mostly_open = tickets()
    mostly_open.loc[:1, "resolved_at"] = pd.NaT  # one resolved ticket (c, after 30 h) is enough for both
    k = ticket_kpis(mostly_open, sla, dt.date(2026, 1, 31))
    assert k["resolved_rate"].value == pytest.approx(25.0)
    assert k["sla_rate"].value == pytest.approx(0.0) and k["sla_rate"].n == 4  # c too slow, the open ones too old


def test_an_empty_segment_column_is_no_segment_known_share():
    c = pd.DataFrame({"customer_id": list("ab"), "segment": [None, None]})
    assert customer_kpis(c, None)["segment_known_rate"] is None


def test_missing_sources_give_none():
    assert all(v is None for v in survey_kpis(None).values())
    assert all(v is None for v in ticket_kpis(None, {}).values())
    assert customer_kpis(None, None)["retention_12m"] is None


_MS = st.one_of(st.none(), st.integers(1_500_000_000_000, 1_900_000_000_000))  # 2017-2030, in milliseconds


@settings(max_examples=60, deadline=None)
@given(pairs=st.lists(st.tuples(_MS, _MS), min_size=1, max_size=30),
       units=st.tuples(st.sampled_from(["s", "ms", "us", "ns"]), st.sampled_from(["s", "ms", "us", "ns"])),
       zoned=st.booleans())
def test_hours_between_equals_timedelta_arithmetic_in_any_unit(pairs, units, zoned):
    """The integer shortcut gives what pandas' own subtraction gives, whatever unit each column
    is stored in (Parquet and Excel give milliseconds or microseconds, text nanoseconds), with
    NaN where either time is missing."""
    def column(values, unit):
        s = pd.Series(pd.to_datetime(pd.array(values, dtype="Int64"), unit="ms"))
        s = s.dt.floor("s") if unit == "s" else s
        s = s.dt.tz_localize("UTC").dt.tz_convert("Europe/Amsterdam") if zoned else s
        return s.dt.as_unit(unit)

    later = column([a for a, _ in pairs], units[0])
    earlier = column([b for _, b in pairs], units[1])
    expected = ((later - earlier) / pd.Timedelta(hours=1)).to_numpy(dtype=float, na_value=np.nan)
    np.testing.assert_allclose(hours_between(later, earlier), expected, rtol=1e-12, atol=1e-9)


def test_hours_between_text_times():
    later = pd.Series(["2026-01-05 12:30", None])
    earlier = pd.Series(["2026-01-05 09:00", "2026-01-05 09:00"])
    np.testing.assert_array_equal(hours_between(later, earlier), [3.5, np.nan])
