"""The ladder means what it says, and each step of scoring matches a hand calculation."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from klantladder.model import default_model
from klantladder.scoring import (blocking_conditions, combine_views, gated_draws, kpi_view, respondent_scores,
                                 rung_level, rung_levels, rung_probabilities)

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


def test_a_draw_without_the_gated_evidence_is_left_out_not_counted_as_failing():
    # 20 draws; service 80 (passes rung 2's 55) in 19 of them and NaN in one (no respondent who
    # answered the service items was drawn); the rest 30 (rung 3 fails on listening). Every
    # usable draw lands on rung 2: 19/19 = 1, not 19/20 = 0.95.
    service = np.full(20, 80.0)
    service[7] = np.nan
    draws = {k: (service if k == "service" else np.full(20, 30.0)) for k in KEYS}
    points = {k: (80.0 if k == "service" else 30.0) for k in KEYS}
    probs, used = rung_probabilities(M, points, {}, draws, {})
    assert probs == {1: 0.0, 2: 1.0, 3: 0.0, 4: 0.0, 5: 0.0}
    assert used == 19


def test_a_dimension_without_any_evidence_still_fails_its_gate():
    # service has no score at all (NaN point estimate, NaN in every draw): no draw is left out
    # and every draw stays on rung 1, like the point estimate.
    draws = {k: (np.full(20, np.nan) if k == "service" else np.full(20, 90.0)) for k in KEYS}
    points = {k: (None if k == "service" else 90.0) for k in KEYS}
    probs, used = rung_probabilities(M, points, {}, draws, {})
    assert rung_level(M, points, {}) == 1
    assert used == 20 and probs[1] == 1.0


def test_only_the_quantities_the_gates_read_decide_which_draws_count():
    # Rung 5 reads the gaps: a NaN gap draw whose point estimate exists is left out; with no
    # gap point estimate (one view missing) the gap leaves no draw out (its gate fails).
    scores = {k: np.full(4, 90.0) for k in KEYS}
    points = {k: 90.0 for k in KEYS}
    gap = np.array([3.0, np.nan, 4.0, 20.0])
    assert gated_draws(M, points, {"service": 3.5}, scores, {"service": gap}).tolist() == [True, False, True, True]
    probs, used = rung_probabilities(M, points, {"service": 3.5}, scores, {"service": gap})
    assert used == 3 and probs[5] == pytest.approx(2 / 3) and probs[4] == pytest.approx(1 / 3)
    assert gated_draws(M, points, {}, scores, {}).all()


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(0, 0.5))
def test_rung_probabilities_sum_to_one_over_the_usable_draws(seed, nan_share):
    rng = np.random.default_rng(seed)
    draws = {k: rng.uniform(30, 100, 50) for k in KEYS}
    gaps = {"service": rng.normal(0, 10, 50)}
    for v in [*draws.values(), *gaps.values()]:
        v[rng.random(50) < nan_share] = np.nan
    points = {k: 70.0 for k in KEYS}
    probs, used = rung_probabilities(M, points, {"service": 5.0}, draws, gaps)
    assert sum(probs.values()) == pytest.approx(1.0)
    keep = gated_draws(M, points, {"service": 5.0}, draws, gaps)
    assert used == (int(keep.sum()) or 50)
    if keep.any():
        levels = rung_levels(M, draws, gaps)[keep]
        assert probs == pytest.approx({r.level: float(np.mean(levels == r.level)) for r in M.rungs})


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
