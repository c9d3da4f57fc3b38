"""Tests for klantladder.drivers: standardised OLS, VIF, LMG, IPA quadrants and weights."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st

from klantladder.drivers import (
    TABLE_COLUMNS,
    derived_importance,
    importance_performance,
    importance_weights,
    lmg,
)

REAL = Path(__file__).resolve().parents[2] / "shared" / "real-data"


def _data(n: int = 300, p: int = 4, seed: int = 0, rho: float = 0.4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rho = max(rho, -1 / (p - 1) + 0.05) if p > 1 else rho  # an equicorrelation matrix is valid down to -1/(p-1)
    cov = np.full((p, p), rho) + (1 - rho) * np.eye(p)
    x = rng.multivariate_normal(np.zeros(p), cov, size=n) * rng.uniform(0.5, 3, size=p) + 5
    y = x @ np.linspace(1, 0.1, p) + rng.normal(scale=2.0, size=n)
    df = pd.DataFrame(x, columns=[f"d{j}" for j in range(p)])
    df["y"] = y
    return df


def _r2(y: np.ndarray, x: np.ndarray) -> float:
    """R² by least squares (independent of the correlation-matrix route)."""
    if x.shape[1] == 0:
        return 0.0
    a = np.column_stack([np.ones(len(y)), x])
    beta, *_ = np.linalg.lstsq(a, y, rcond=None)
    resid = y - a @ beta
    return 1 - resid @ resid / ((y - y.mean()) @ (y - y.mean()))


def _lmg_by_orderings(df: pd.DataFrame, outcome: str, preds: list[str]) -> dict[str, float]:
    """LMG as the average increase in R² over all p! orders of entry, fitted on the data."""
    y = df[outcome].to_numpy()
    out = dict.fromkeys(preds, 0.0)
    perms = list(itertools.permutations(preds))
    for order in perms:
        before = 0.0
        for j, name in enumerate(order):
            after = _r2(y, df[list(order[: j + 1])].to_numpy())
            out[name] += (after - before) / len(perms)
            before = after
    return out


def test_betas_match_statsmodels_on_zscores_and_raw_rescaled():
    df = _data()
    preds = ["d0", "d1", "d2", "d3"]
    res = derived_importance(df, "y", preds)
    assert list(res.table.columns) == list(TABLE_COLUMNS)
    z = (df - df.mean()) / df.std()
    fit = sm.OLS(z["y"], sm.add_constant(z[preds])).fit()
    t = res.table.set_index("predictor")
    np.testing.assert_allclose(t["beta"], fit.params[preds], atol=1e-10)
    np.testing.assert_allclose(t["ci_low"], fit.conf_int().loc[preds, 0], atol=1e-10)
    np.testing.assert_allclose(t["ci_high"], fit.conf_int().loc[preds, 1], atol=1e-10)
    np.testing.assert_allclose(t["p_value"], fit.pvalues[preds], rtol=1e-8, atol=1e-300)
    assert res.r2 == pytest.approx(fit.rsquared)
    # beta_j = b_j * s_xj / s_y from the unstandardised fit
    raw = sm.OLS(df["y"], sm.add_constant(df[preds])).fit()
    np.testing.assert_allclose(t["beta"], raw.params[preds] * df[preds].std() / df["y"].std(), atol=1e-10)
    assert res.n == len(df) and (t["n"] == len(df)).all() and (t["r2"] == res.r2).all()


@pytest.mark.parametrize("n, p, rho, answers", [(200_000, 8, 0.7, True), (5_000, 10, 0.9, False),
                                                 (120, 3, 0.0, False)])
def test_cross_product_fit_matches_statsmodels_fitted_directly(n, p, rho, answers):
    # Large and survey-like (scores on a few answer levels, many ties), strongly correlated, and small:
    # the fit from X'X gives statsmodels' numbers on the whole design to 1e-8.
    df = _data(n=n, p=p, seed=11, rho=rho)
    if answers:
        df = df.round(1)
    preds = [f"d{j}" for j in range(p)]
    res = derived_importance(df, "y", preds)
    z = (df - df.mean()) / df.std()
    fit = sm.OLS(z["y"], sm.add_constant(z[preds])).fit()
    t = res.table.set_index("predictor")
    np.testing.assert_allclose(t["beta"], fit.params[preds], rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(t["ci_low"], fit.conf_int().loc[preds, 0], rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(t["ci_high"], fit.conf_int().loc[preds, 1], rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(t["p_value"], fit.pvalues[preds], rtol=1e-8, atol=1e-300)
    assert res.r2 == pytest.approx(fit.rsquared, rel=1e-10)


def test_nearly_collinear_design_is_fitted_by_statsmodels_on_the_design():
    df = _data(n=400, p=3, seed=2)
    df["d3"] = df["d0"] + np.random.default_rng(3).normal(scale=1e-5, size=len(df))
    preds = ["d0", "d1", "d2", "d3"]
    res = derived_importance(df, "y", preds)
    z = (df - df.mean()) / df.std()
    fit = sm.OLS(z["y"].to_numpy(), sm.add_constant(z[preds].to_numpy())).fit(method="pinv")
    np.testing.assert_allclose(res.table["beta"], fit.params[1:], rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(res.table["p_value"], fit.pvalues[1:], rtol=1e-8, atol=1e-300)


def test_vif_equals_diagonal_of_inverse_correlation_matrix():
    df = _data(rho=0.6)
    preds = ["d0", "d1", "d2", "d3"]
    res = derived_importance(df, "y", preds)
    expected = np.diag(np.linalg.inv(df[preds].corr().to_numpy()))
    np.testing.assert_allclose(res.table["vif"], expected, rtol=1e-8)
    assert res.collinearity_warning == []


def test_collinearity_warning():
    df = _data()
    df["d4"] = df["d0"] + np.random.default_rng(5).normal(scale=0.05, size=len(df))
    res = derived_importance(df, "y", ["d0", "d1", "d4"])
    assert set(res.collinearity_warning) == {"d0", "d4"}
    assert res.notes


def test_lmg_two_predictors_closed_form():
    df = _data(p=2)
    res = derived_importance(df, "y", ["d0", "d1"])
    r1 = df["y"].corr(df["d0"]) ** 2
    r2 = df["y"].corr(df["d1"]) ** 2
    full = res.r2
    t = res.table.set_index("predictor")
    assert t.loc["d0", "lmg"] == pytest.approx((r1 + full - r2) / 2, abs=1e-12)
    assert t.loc["d1", "lmg"] == pytest.approx((r2 + full - r1) / 2, abs=1e-12)
    assert t["lmg_share"].sum() == pytest.approx(1.0)


def test_lmg_equals_average_over_orderings():
    df = _data(p=4, seed=3, rho=0.5)
    preds = ["d0", "d1", "d2", "d3"]
    res = derived_importance(df, "y", preds)
    expected = _lmg_by_orderings(df, "y", preds)
    t = res.table.set_index("predictor")
    for name in preds:
        assert t.loc[name, "lmg"] == pytest.approx(expected[name], abs=1e-10)
    assert t["lmg"].sum() == pytest.approx(res.r2, abs=1e-12)


def test_lmg_ten_predictors_sum_and_limit():
    df = _data(n=200, p=10, seed=4)
    res = derived_importance(df, "y", [f"d{j}" for j in range(10)])
    assert res.table["lmg"].sum() == pytest.approx(res.r2, abs=1e-10)
    df["d10"] = 1.0
    with pytest.raises(ValueError):
        derived_importance(df, "y", [f"d{j}" for j in range(11)])


def test_plspm_satisfaction_drivers():
    path = REAL / "plspm_satisfaction.csv"
    if not path.exists():
        pytest.skip("real data not available")
    raw = pd.read_csv(path, index_col=0)
    blocks = {b: raw.filter(regex=rf"^{b}\d+$").mean(axis=1) for b in ["imag", "expe", "qual", "val", "sat"]}
    df = pd.DataFrame(blocks)
    res = derived_importance(df, "sat", ["imag", "expe", "qual", "val"])
    assert res.reason is None and res.n == 250
    assert 0 < res.r2 < 1
    assert res.table["lmg"].sum() == pytest.approx(res.r2)
    assert (res.table["lmg"] > 0).all()
    # perceived value is the strongest driver of satisfaction in this data (largest beta and LMG)
    t = res.table.set_index("predictor")
    assert t["lmg"].idxmax() == "val" and t["beta"].idxmax() == "val"
    assert res.r2 == pytest.approx(_r2(df["sat"].to_numpy(), df[["imag", "expe", "qual", "val"]].to_numpy()))


def test_too_few_rows_gives_reason_not_exception():
    df = _data(n=13, p=4)
    df.loc[0, "d1"] = np.nan  # listwise: 12 complete rows < 4 + 10
    res = derived_importance(df, "y", ["d0", "d1", "d2", "d3"])
    assert res.table.empty and list(res.table.columns) == list(TABLE_COLUMNS)
    assert res.reason and "12" in res.reason
    assert res.n == 12 and res.r2 is None


def test_zero_variance_predictor_dropped():
    df = _data()
    df["flat"] = 3.0
    res = derived_importance(df, "y", ["d0", "flat", "d1"])
    assert res.dropped == ("flat",)
    assert list(res.table["predictor"]) == ["d0", "d1"]
    assert any("flat" in note for note in res.notes)
    assert derived_importance(df, "y", ["flat"]).reason


def test_constant_outcome():
    df = _data()
    df["y"] = 1.0
    res = derived_importance(df, "y", ["d0", "d1"])
    assert res.table.empty and res.reason


@settings(max_examples=25, deadline=None)
@given(
    st.integers(2, 5),
    st.integers(0, 10_000),
    st.floats(-0.3, 0.9),
    st.randoms(use_true_random=False),
)
def test_lmg_invariants(p, seed, rho, rnd):
    df = _data(n=60, p=p, seed=seed, rho=rho)
    preds = [f"d{j}" for j in range(p)]
    res = derived_importance(df, "y", preds)
    assert (res.table["lmg"] >= -1e-12).all()
    assert res.table["lmg"].sum() == pytest.approx(res.r2, abs=1e-10)
    shuffled = preds[:]
    rnd.shuffle(shuffled)
    other = derived_importance(df, "y", shuffled).table.set_index("predictor").loc[preds]
    base = res.table.set_index("predictor")
    for col in ["beta", "lmg", "vif", "p_value"]:
        np.testing.assert_allclose(other[col], base[col], rtol=1e-8, atol=1e-12)


def test_lmg_from_identity_correlation_is_squared_correlations():
    # Uncorrelated predictors: each share is simply r_yj^2.
    r = np.array([0.5, 0.3, 0.1])
    corr = np.eye(4)
    corr[0, 1:] = corr[1:, 0] = r
    np.testing.assert_allclose(lmg(corr), r**2, atol=1e-12)


# --- importance-performance -----------------------------------------------------------------

def test_importance_performance_quadrants():
    imp = pd.Series({"service": 0.4, "knowledge": 0.3, "ethics": 0.1, "listening": 0.2})
    perf = pd.Series({"service": 50.0, "knowledge": 80.0, "ethics": 40.0, "listening": 90.0, "extra": 1.0})
    # means: importance 0.25, performance 65
    out = importance_performance(imp, perf).set_index("dimension")
    assert out.loc["service", "quadrant"] == "concentrate_here"
    assert out.loc["knowledge", "quadrant"] == "keep_up"
    assert out.loc["ethics", "quadrant"] == "low_priority"
    assert out.loc["listening", "quadrant"] == "possible_overkill"
    assert "extra" not in out.index


# --- weights --------------------------------------------------------------------------------

def test_importance_weights_floor_and_sum():
    w = importance_weights(pd.Series({"a": 0.5, "b": 0.3, "c": 0.01, "d": -0.02, "e": 0.19}), floor=0.05)
    assert w.sum() == pytest.approx(1.0)
    assert (w >= 0.05 - 1e-12).all()
    assert w["c"] == pytest.approx(0.05) and w["d"] == pytest.approx(0.05)
    # the others keep their proportions: 0.9 split as 0.5 : 0.3 : 0.19
    assert w["a"] / w["b"] == pytest.approx(0.5 / 0.3)
    assert w["a"] == pytest.approx(0.9 * 0.5 / 0.99)


def test_importance_weights_edge_cases():
    w = importance_weights(pd.Series({"a": 0.0, "b": np.nan}))
    assert list(w) == [0.5, 0.5]
    with pytest.raises(ValueError):
        importance_weights(pd.Series([0.2, 0.3, 0.5]), floor=0.4)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=10), st.floats(0, 0.1))
def test_importance_weights_property(shares, floor):
    w = importance_weights(pd.Series(shares), floor=floor)
    assert w.sum() == pytest.approx(1.0)
    assert (w >= floor - 1e-9).all()
    assert not math.isnan(w.sum())
