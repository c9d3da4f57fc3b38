"""The ladder means what it says, and each step of scoring matches a hand calculation."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from klantladder.model import default_model
from klantladder.scoring import (blocking_conditions, combine_views, kpi_view, respondent_scores, rung_level,
                                 rung_levels)

M = default_model()
KEYS = M.dimension_keys


def test_every_dimension_excellent_is_rung_5():
    assert rung_level(M, {k: 92.0 for k in KEYS}, {k: 3.0 for k in KEYS}) == 5


def test_only_service_good_is_rung_2():
    scores = {k: (80.0 if k == "service" else 30.0) for k in KEYS}
    assert rung_level(M, scores, {}) == 2
    blocked = {b["dimension"] for b in blocking_conditions(M, 2, scores, {})}
    assert blocked == {"listening", "experience", "knowledge"}


def test_everything_poor_is_rung_1():
    assert rung_level(M, {k: 20.0 for k in KEYS}, {}) == 1


def test_gated_a_strong_top_does_not_skip_a_weak_foundation():
    # Strategy, loyalty, ethics, listening excellent but service poor: the ladder stops at 1.
    scores = {k: 90.0 for k in KEYS} | {"service": 40.0}
    assert rung_level(M, scores, {}) == 1


def test_rung_5_needs_agreement_between_internal_and_customer_view():
    scores = {k: 90.0 for k in KEYS}
    assert rung_level(M, scores, {"service": 25.0}) == 4
    assert rung_level(M, scores, {}) == 4  # agreement cannot be shown without both views
    b = blocking_conditions(M, 4, scores, {"service": 25.0, "loyalty": 3.0})
    assert b == [{"rung": 5, "dimension": "gap", "min": None, "max": 10, "value": 25.0, "shortfall": 15.0,
                  "worst_dimension": "service"}]


def test_missing_dimension_cannot_pass_an_all_condition():
    scores = {k: 90.0 for k in KEYS} | {"ethics": None}
    assert rung_level(M, scores, {}) == 3


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 100), min_size=7, max_size=7), st.floats(0, 30))
def test_raising_scores_never_lowers_the_rung(values, bump):
    low = dict(zip(KEYS, values))
    high = {k: min(100.0, v + bump) for k, v in low.items()}
    assert rung_level(M, high, {}) >= rung_level(M, low, {})


def test_vectorised_rung_equals_scalar_rung():
    rng = np.random.default_rng(3)
    draws = {k: rng.uniform(30, 100, 200) for k in KEYS}
    gaps = {"service": rng.normal(0, 10, 200)}
    levels = rung_levels(M, draws, gaps)
    for i in range(200):
        assert levels[i] == rung_level(M, {k: v[i] for k, v in draws.items()}, {"service": gaps["service"][i]})


def test_respondent_scores_by_hand():
    # service has 4 customer items: a respondent needs at least 2 answers.
    frame = pd.DataFrame({
        "service_1": [5, 1, 3, np.nan], "service_2": [5, 2, np.nan, np.nan],
        "service_3": [4, np.nan, np.nan, 5], "service_4": [np.nan, np.nan, np.nan, np.nan],
    })
    got = respondent_scores(frame, M, "customer")["service"]
    # (14/3 - 1)/4*100 = 91.67; (1.5 - 1)/4*100 = 12.5; one answer of four: left out (twice).
    assert got.iloc[0] == pytest.approx((14 / 3 - 1) / 4 * 100)
    assert got.iloc[1] == pytest.approx(12.5)
    assert np.isnan(got.iloc[2]) and np.isnan(got.iloc[3])


def test_views_are_renormalised_when_a_source_is_missing():
    w = {"internal": 0.25, "customer": 0.45, "kpi": 0.30}
    assert combine_views({"internal": 60.0, "customer": 80.0, "kpi": 40.0}, w) == pytest.approx(
        0.25 * 60 + 0.45 * 80 + 0.30 * 40)
    assert combine_views({"internal": 60.0, "customer": None, "kpi": 40.0}, w) == pytest.approx(
        (0.25 * 60 + 0.30 * 40) / 0.55)
    assert combine_views({"internal": None, "customer": None, "kpi": None}, w) is None


def test_kpi_view_is_the_mean_of_scaled_kpis():
    # service KPIs: first response median 24.5 h -> 50; FCR 65% -> 50 (40..90); the others missing.
    got = kpi_view(M, "service", {"first_response_hours_median": 24.5, "fcr_rate": 65.0})
    assert got == pytest.approx(50.0)
    assert kpi_view(M, "strategy", {"nps": 10.0}) is None
