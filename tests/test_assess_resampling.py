"""The joint resampling behind every interval, against independent answers: statsmodels'
cluster-robust standard error, Student's t interval, the closed-form NPS variance, Kish's design
effect and the order-statistic interval of a median."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

import klantladder.resampling as resampling_module
from klantladder.intervals import (OrderStatistics, nps_estimate, proportion_estimate, quantile_estimate,
                                  quantile_estimates)
from klantladder.kpis import survey_columns
from klantladder.resampling import (BOOTSTRAP_MAX_N, Units, draw_ratios, expansion_factor, quantile_draws,
                                   quantile_draws_many)


def test_small_sample_bootstrap_matches_the_t_interval():
    rng = np.random.default_rng(1)
    x = rng.normal(60, 15, size=25)
    d = draw_ratios(Units.from_rows(x[:, None]), 20000, np.random.default_rng(2))
    assert d.regime == "bootstrap"
    lo, hi = np.percentile(d.values[:, 0], [2.5, 97.5])
    half = stats.t.ppf(0.975, 24) * x.std(ddof=1) / math.sqrt(25)
    assert hi - lo == pytest.approx(2 * half, rel=0.05)
    assert (lo + hi) / 2 == pytest.approx(x.mean(), abs=0.1 * half)


def test_expansion_factor_formula():
    m = 25
    assert expansion_factor(m) == pytest.approx(math.sqrt(25 / 24) * stats.t.ppf(0.975, 24) / stats.norm.ppf(0.975))
    assert expansion_factor(10**6) == pytest.approx(1.0, abs=1e-5)
    assert expansion_factor(m, bootstrap=False) == pytest.approx(stats.t.ppf(0.975, 24) / stats.norm.ppf(0.975))


def test_normal_regime_equals_statsmodels_cluster_robust_se():
    rng = np.random.default_rng(3)
    k = BOOTSTRAP_MAX_N + 5000
    size = rng.integers(1, 6, size=k)
    cluster = np.repeat(np.arange(k), size)
    effect = np.repeat(rng.normal(0, 1, k), size)
    y = 50 + 10 * effect + rng.normal(0, 10, cluster.size)  # continuous: no profiles
    units = Units.from_clusters(y[:, None], cluster)
    d = draw_ratios(units, 4000, np.random.default_rng(4))
    assert d.regime == "normal"
    fit = sm.OLS(y, np.ones(y.size)).fit(cov_type="cluster", cov_kwds={"groups": cluster})
    assert d.values[:, 0].mean() == pytest.approx(y.mean(), abs=3 * fit.bse[0] / math.sqrt(4000) + 1e-9)
    assert d.values[:, 0].std(ddof=1) == pytest.approx(fit.bse[0], rel=0.05)
    # And the design effect: clustered variance over the independent-rows variance.
    iid = y.var(ddof=1) / y.size
    assert units.deff[0] == pytest.approx(fit.bse[0] ** 2 / iid, rel=1e-6)


def test_profiles_regime_for_many_categorical_answers_gives_the_nps_variance():
    rng = np.random.default_rng(5)
    answers = pd.DataFrame({"nps": rng.choice(11, size=60_000, p=np.r_[np.full(7, 0.05), 0.1, 0.15, 0.2, 0.2])})
    units = Units.from_rows(survey_columns(answers), bounds={"nps": (-100, 100)})
    d = draw_ratios(units, 3000, np.random.default_rng(6))
    assert d.regime == "profiles"
    closed = nps_estimate(answers["nps"])
    assert d.values[:, 0].mean() == pytest.approx(closed.value, abs=0.2)
    assert d.values[:, 0].std(ddof=1) == pytest.approx(closed.se, rel=0.05)


def test_joint_draws_keep_the_correlation_of_statistics_of_one_source():
    rng = np.random.default_rng(7)
    n = 400
    view = rng.normal(60, 15, n)
    nps = np.where(view + rng.normal(0, 10, n) > 65, 100.0, np.where(view < 50, -100.0, 0.0))
    d = draw_ratios(Units.from_rows(np.column_stack([view, nps])), 4000, np.random.default_rng(8))
    r_draws = np.corrcoef(d.values.T)[0, 1]
    # The correlation of two sample means equals the correlation of the observations.
    assert r_draws == pytest.approx(np.corrcoef(view, nps)[0, 1], abs=0.05)


def test_design_effect_of_identical_answers_within_clusters_is_the_cluster_size():
    rng = np.random.default_rng(9)
    k, size = 3000, 4
    yes = np.repeat(rng.random(k) < 0.3, size) * 100.0  # every ticket of a customer alike
    units = Units.from_clusters(yes[:, None], np.repeat(np.arange(k), size))
    # deff = 1 + (m - 1) rho with rho = 1 (Kish 1965), up to the n/(n-1) factors.
    assert units.deff[0] == pytest.approx(size, rel=0.01)
    x, n = int((yes > 0).sum()), yes.size
    est = proportion_estimate(x, n, deff=units.deff[0])
    lo, hi = proportion_confint(x / units.deff[0], n / units.deff[0], method="wilson")
    assert (est.ci_low, est.ci_high) == pytest.approx((100 * lo, 100 * hi))
    assert est.n == n


def test_deff_below_one_never_narrows_an_interval():
    assert proportion_estimate(30, 100, deff=0.5) == proportion_estimate(30, 100)
    assert quantile_estimate(np.arange(100.0), 0.5, deff=0.3) == quantile_estimate(np.arange(100.0), 0.5)


def test_quantile_draws_reproduce_the_order_statistic_interval():
    rng = np.random.default_rng(10)
    x = rng.exponential(10, size=2000)
    med = np.quantile(x, 0.5)
    ind = np.where(x <= med, 100.0, 0.0)
    d = draw_ratios(Units.from_rows(ind[:, None]), 20000, np.random.default_rng(11))
    q = quantile_draws(x, 0.5, d.values[:, 0], ind.mean())
    lo, hi = np.percentile(q, [2.5, 97.5])
    ref = quantile_estimate(x, 0.5)
    xs = np.sort(x)
    rank = lambda v: int(np.searchsorted(xs, v))  # noqa: E731
    assert abs(rank(lo) - rank(ref.ci_low)) <= 3 and abs(rank(hi) - rank(ref.ci_high)) <= 3
    assert np.median(q) == pytest.approx(med, rel=0.01)


def test_clustered_quantile_interval_widens_with_the_design_effect():
    x = np.arange(1.0, 1001.0)
    plain, wide = quantile_estimate(x, 0.5), quantile_estimate(x, 0.5, deff=4.0)
    # Woodruff: the share below the median varies like a binomial share of n / deff = 250.
    lo, hi = stats.binom.ppf([0.025, 0.975], 250, 0.5)
    assert wide.ci_low == pytest.approx(x[int(math.floor(lo * 4)) - 1])
    assert wide.ci_high == pytest.approx(x[int(math.ceil((hi + 1) * 4)) - 1])
    assert wide.ci_high - wide.ci_low > 1.8 * (plain.ci_high - plain.ci_low)


def test_units_from_indicators_equal_units_from_the_0_100_columns():
    rng = np.random.default_rng(12)
    n, k = 5000, 700
    clusters = rng.integers(-1, k, n)  # -1: a ticket without a customer, a unit of its own
    clusters[:400] = 3  # one large cluster: fewer counts share a pass
    counted = rng.random(n) < 0.8
    indicators = {"a": (rng.random(n) < 0.3, None), "b": (rng.random(n) < 0.6, counted),
                  "c": (rng.random(n) < 0.5, counted), "d": (rng.random(n) < 0.1, rng.random(n) < 0.5)}
    columns = np.column_stack([np.where(True if c is None else c, y * 100.0, np.nan) for y, c in indicators.values()])
    plain = Units.from_clusters(columns, clusters, columns=list(indicators), bounds={c: (0, 100) for c in indicators})
    compiled = resampling_module._native
    try:
        for implementation in {compiled, None}:  # the compiled counting loop (where built) and NumPy's
            resampling_module._native = implementation
            fast = Units.from_indicators(indicators, clusters, bounds={c: (0, 100) for c in indicators})
            assert np.array_equal(fast.num, plain.num) and np.array_equal(fast.den, plain.den)
            assert np.allclose(fast.deff, plain.deff, equal_nan=True) and fast.columns == plain.columns
    finally:
        resampling_module._native = compiled


def test_quantile_draws_of_several_quantiles_at_once_equal_one_at_a_time():
    rng = np.random.default_rng(13)
    x = rng.exponential(10, size=3001)
    shares = [(0.5, rng.normal(50, 2, 500), 50.0), (0.9, rng.normal(90, 1, 500), 90.0)]
    together = quantile_draws_many(x, shares)
    for (q, draws, point), got in zip(shares, together):
        assert np.array_equal(got, quantile_draws(x, q, draws, point))


@pytest.mark.parametrize("width", [None, 3])
def test_quantile_draws_from_order_statistics_equal_those_from_the_values(width):
    rng = np.random.default_rng(15)
    x = rng.exponential(10, size=50_001).round(1)  # ties
    shares = [(0.5, rng.normal(50, 2, 500), 50.0), (0.9, rng.normal(90, 1, 500), 90.0)]
    ranked = OrderStatistics(x, [0.5, 0.9], width=width)  # width 3: most ranks outside the bands
    for got, want in zip(quantile_draws_many(ranked, shares), quantile_draws_many(x, shares)):
        assert np.array_equal(got, want, equal_nan=True)


def test_quantile_estimates_at_once_equal_one_at_a_time():
    x = np.random.default_rng(14).gamma(2.0, 3.0, size=2000)
    for got, (q, deff) in zip(quantile_estimates(x, [0.5, 0.9], [1.0, 2.5]), [(0.5, 1.0), (0.9, 2.5)]):
        assert got == quantile_estimate(x, q, deff=deff)
