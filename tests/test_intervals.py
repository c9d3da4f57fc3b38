"""Tests for klantladder.intervals against independent implementations and published values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.weightstats import DescrStatsW

from klantladder.intervals import (
    Estimate,
    OrderStatistics,
    mean_estimate,
    nps_estimate,
    nps_from_counts,
    proportion_estimate,
    quantile_ci_coverage,
    quantile_ci_holds,
    quantile_ci_ranks,
    quantile_estimate,
    quantile_estimates,
    top_box_estimate,
)


# --- Estimate -------------------------------------------------------------------------------

def test_estimate_to_dict_rounds_and_maps_nan_to_none():
    e = Estimate(value=1.234567, ci_low=float("nan"), ci_high=None, n=7, se=0.1)
    assert e.to_dict() == {"value": 1.2346, "ci_low": None, "ci_high": None, "n": 7}


def test_estimate_empty():
    e = Estimate.empty(3)
    assert e.to_dict() == {"value": None, "ci_low": None, "ci_high": None, "n": 3}
    assert Estimate.empty().n == 0


@pytest.mark.parametrize(
    "func",
    [nps_estimate, lambda v: top_box_estimate(v, 4), mean_estimate, lambda v: quantile_estimate(v, 0.5)],
)
def test_empty_and_all_missing_input_gives_empty(func):
    assert func(np.array([])) == Estimate.empty(0)
    assert func(pd.Series([np.nan, np.nan])) == Estimate.empty(0)
    assert func(pd.Series([pd.NA, pd.NA], dtype="Float64")) == Estimate.empty(0)


def test_proportion_with_zero_n_is_empty():
    assert proportion_estimate(0, 0) == Estimate.empty(0)
    assert nps_from_counts(0, 0, 0) == Estimate.empty(0)


# --- NPS ------------------------------------------------------------------------------------

def test_nps_readme_example():
    # p = 1/2, d = 1/6: NPS 33.3, per-respondent variance 5/9 (README of the real data).
    scores = pd.Series([9, 10, 9, 7, 8, 3, np.nan])
    e = nps_estimate(scores)
    assert e.n == 6
    assert e.value == pytest.approx(100 / 3)
    assert e.se == pytest.approx(100 * math.sqrt((5 / 9) / 6))
    assert e.ci_low == pytest.approx(100 / 3 - 1.959964 * e.se, abs=1e-4)
    assert e.ci_high == pytest.approx(100 / 3 + 1.959964 * e.se, abs=1e-4)


def test_nps_interval_clipped_to_scale():
    e = nps_from_counts(9, 0, 1)
    assert e.value == pytest.approx(80.0)
    assert e.ci_high == 100.0
    e = nps_from_counts(0, 1, 9)
    assert e.ci_low == -100.0


def test_nps_rejects_off_scale():
    with pytest.raises(ValueError):
        nps_estimate(np.array([3, 11]))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 10), min_size=1, max_size=200))
def test_nps_equals_mean_of_plus_minus_coding(answers):
    # Independent route: NPS is 100 x the mean of +1 (9-10) / 0 (7-8) / -1 (0-6); its SE is the
    # population SD of that coding over sqrt(n).
    x = np.array(answers)
    coded = np.where(x >= 9, 1.0, np.where(x <= 6, -1.0, 0.0))
    e = nps_estimate(x)
    assert e.value == pytest.approx(100 * coded.mean(), abs=1e-9)
    if coded.std() == 0:  # one category only: no interval of zero width
        assert e.se is None and e.ci_low is None and e.ci_high is None
        return
    assert e.se == pytest.approx(100 * coded.std(ddof=0) / math.sqrt(len(x)), abs=1e-9)
    assert -100 <= e.ci_low < e.ci_high <= 100 and e.ci_low <= e.value <= e.ci_high


@pytest.mark.parametrize("counts", [(6, 0, 0), (0, 7, 0), (0, 0, 5)])
def test_nps_of_one_category_has_no_interval_of_zero_width(counts):
    # Six promoters out of six: the textbook variance p + d - (p - d)^2 is 1 + 0 - 1 = 0, and
    # "+100 [100 - 100]" would claim certainty. The value and n stay; the interval is absent.
    e = nps_from_counts(*counts)
    assert e.n == sum(counts) and e.value == 100.0 * (counts[0] - counts[2]) / sum(counts)
    assert e.ci_low is None and e.ci_high is None and e.se is None


def test_mean_of_identical_values_has_no_interval_of_zero_width():
    e = mean_estimate([5.0, 5.0, 5.0, 5.0])
    assert e.value == 5.0 and e.n == 4 and e.ci_low is None and e.se is None


# --- proportions ----------------------------------------------------------------------------

@settings(max_examples=80, deadline=None)
@given(st.integers(1, 5000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_matches_statsmodels(xn):
    x, n = xn
    lo, hi = proportion_confint(x, n, alpha=0.05, method="wilson")
    e = proportion_estimate(x, n)
    assert e.value == pytest.approx(100 * x / n)
    assert e.ci_low == pytest.approx(100 * lo, abs=1e-9)
    assert e.ci_high == pytest.approx(100 * hi, abs=1e-9)
    assert e.n == n


def test_wilson_known_value():
    # Brown, Cai & DasGupta (2001)-style check by hand: x = 0, n = 10 gives [0, 27.75%].
    e = proportion_estimate(0, 10)
    assert e.ci_low == pytest.approx(0.0, abs=1e-12)
    assert e.ci_high == pytest.approx(27.7532, abs=1e-3)
    assert e.se > 0


def test_proportion_rejects_impossible_counts():
    with pytest.raises(ValueError):
        proportion_estimate(11, 10)


def test_top_box_csat():
    csat = pd.Series([5, 4, 3, 2, 1, 5, 4, None], dtype="Float64")
    e = top_box_estimate(csat, 4)
    assert e.n == 7
    assert e.value == pytest.approx(100 * 4 / 7)
    lo, hi = proportion_confint(4, 7, method="wilson")
    assert (e.ci_low, e.ci_high) == pytest.approx((100 * lo, 100 * hi))


# --- means ----------------------------------------------------------------------------------

@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(1, 7, allow_nan=False), min_size=2, max_size=100))
def test_mean_matches_statsmodels_tconfint(values):
    x = np.array(values)
    e = mean_estimate(x)
    d = DescrStatsW(x)
    lo, hi = d.tconfint_mean(alpha=0.05)
    assert e.value == pytest.approx(x.mean())
    if x.min() == x.max():  # statsmodels gives an interval of zero width; klantladder none
        assert e.ci_low is None and e.se is None and hi - lo == pytest.approx(0.0, abs=1e-9)
        return
    assert e.ci_low == pytest.approx(lo, abs=1e-9)
    assert e.ci_high == pytest.approx(hi, abs=1e-9)
    assert e.se == pytest.approx(d.std_mean, abs=1e-12)


def test_mean_single_value_has_no_interval():
    e = mean_estimate([4.0])
    assert e.value == 4.0 and e.ci_low is None and e.ci_high is None and e.n == 1


# --- quantiles ------------------------------------------------------------------------------

def test_median_ci_ranks_published_n100():
    # Classic table value (e.g. Conover 1999; Campbell & Gardner 1988): for n = 100 the 95%
    # interval for the median runs from the 40th to the 61st order statistic.
    assert quantile_ci_ranks(100, 0.5) == (40, 61)


@pytest.mark.parametrize("n,q", [(20, 0.5), (50, 0.9), (101, 0.5), (1000, 0.9), (37, 0.25)])
def test_quantile_ci_ranks_have_coverage(n, q):
    lo, hi = quantile_ci_ranks(n, q)
    cover = stats.binom.cdf(hi - 1, n, q) - stats.binom.cdf(lo - 1, n, q)
    assert cover >= 0.95


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=300),
    st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.9, 1.0]),
)
def test_quantile_value_matches_numpy_and_bounds_are_order_statistics(values, q):
    x = np.array(values)
    e = quantile_estimate(x, q)
    assert e.value == pytest.approx(np.quantile(x, q), rel=1e-12, abs=1e-9)
    assert (e.ci_low is None) == (e.ci_high is None) == (not quantile_ci_holds(len(x), q))
    if e.ci_low is not None:
        xs = np.sort(x)
        lo, hi = quantile_ci_ranks(len(x), q)
        assert e.ci_low == xs[lo - 1] and e.ci_high == xs[hi - 1]
        assert e.ci_low <= e.value <= e.ci_high
        assert e.se == pytest.approx((e.ci_high - e.ci_low) / 3.92, rel=1e-4)


def _exact_coverage(n: int, q: float, lo: int, hi: int) -> float:
    """P(lo <= B <= hi - 1) for B ~ Binomial(n, q), summed from math.comb (not scipy)."""
    return sum(math.comb(n, b) * q**b * (1 - q) ** (n - b) for b in range(lo, hi))


@pytest.mark.parametrize("q,first", [(0.5, 6), (0.9, 31), (0.1, 31)])
def test_quantile_interval_given_from_the_first_n_that_reaches_95_percent(q, first):
    # By hand for the median: with 5 observations the widest interval, minimum to maximum,
    # covers 1 - 2 * 0.5^5 = 93.75%; with 6 the ranks (1, 6) cover 1 - 2 * 0.5^6 = 96.9%.
    # For the 90th percentile the upper rank exists from n = 36 (0.9^35 = 0.0250), but the
    # clamped interval already covers 94.98% at n = 30 and 95% from n = 31.
    for n in (first - 1, first):
        lo, hi = quantile_ci_ranks(n, q)
        assert quantile_ci_coverage(n, q) == pytest.approx(_exact_coverage(n, q, lo, hi), abs=1e-12)
    assert quantile_ci_coverage(first - 1, q) < 0.95 <= quantile_ci_coverage(first, q)
    assert not quantile_ci_holds(first - 1, q) and quantile_ci_holds(first, q)
    assert quantile_estimate(np.arange(first - 1, dtype=float), q).ci_low is None
    assert quantile_estimate(np.arange(first, dtype=float), q).ci_low is not None
    assert quantile_ci_coverage(5, 0.5) == pytest.approx(1 - 2 * 0.5**5)
    assert quantile_ci_coverage(10, 0.9) == pytest.approx(0.6385, abs=1e-4)


@settings(max_examples=200, deadline=None)
@given(st.integers(2, 400), st.sampled_from([0.1, 0.25, 0.5, 0.75, 0.9, 0.95]))
def test_a_quantile_interval_is_given_exactly_when_it_covers_95_percent(n, q):
    lo, hi = quantile_ci_ranks(n, q)
    e = quantile_estimate(np.arange(n, dtype=float), q)
    assert (e.ci_low is not None) == (_exact_coverage(n, q, lo, hi) >= 0.95 - 1e-12)


def test_clustered_tickets_need_more_observations_for_a_quantile_interval():
    # 100 tickets with design effect 4 count as 25 independent ones: too few for the p90.
    assert quantile_ci_holds(100, 0.9) and not quantile_ci_holds(100, 0.9, deff=4.0)
    assert quantile_ci_holds(130, 0.9, deff=4.0)
    assert quantile_estimate(np.arange(100.0), 0.9, deff=4.0).ci_low is None


def test_quantile_interval_coverage_by_simulation():
    rng = np.random.default_rng(2024)
    true_median = math.log(2)  # exponential(1)
    hits = sum(
        (lambda e: e.ci_low <= true_median <= e.ci_high)(quantile_estimate(rng.exponential(size=60), 0.5))
        for _ in range(800)
    )
    assert hits / 800 >= 0.93


def test_quantile_on_five_million_matches_numpy():
    # Speed is measured in benchmarks/, not asserted here.
    rng = np.random.default_rng(0)
    x = rng.exponential(10.0, size=5_000_000)
    e = quantile_estimate(x, 0.9)
    assert e.n == 5_000_000
    assert e.value == pytest.approx(np.quantile(x, 0.9))
    assert e.ci_low < e.value < e.ci_high


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 3000), st.integers(0, 10_000), st.integers(1, 50), st.integers(0, 5))
def test_order_statistics_match_sort_and_np_quantile_bit_for_bit(n, seed, levels, width):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, levels, n) * rng.uniform(0.1, 10) + rng.normal(size=n) * (seed % 2)  # ties or none
    qs = [0.5, 0.9]
    ranked = OrderStatistics(x, qs, width=width)  # narrow bands: look-ups outside them too
    ordered = np.sort(x)
    for q in [*qs, 0.0, 0.1, 0.25, 0.75, 0.99, 1.0, rng.uniform()]:
        assert ranked.quantile(q) == np.quantile(x, q)
    ranks = rng.integers(0, n, 40)
    np.testing.assert_array_equal(ranked.at(ranks), ordered[ranks])
    assert len(ranked) == n


def test_quantile_estimates_from_order_statistics_equal_those_from_the_values():
    x = np.random.default_rng(4).gamma(2.0, 10.0, 200_000).round(2)
    plain = quantile_estimates(x, [0.5, 0.9], [1.0, 3.0])
    ranked = quantile_estimates(OrderStatistics(x, [0.5, 0.9]), [0.5, 0.9], [1.0, 3.0])
    assert plain == ranked
