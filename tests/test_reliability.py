"""Tests for klantladder.reliability against pingouin, R psych and R plspm reference values."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from klantladder.reliability import AlphaResult, cronbach_alpha, item_rest_correlations

REAL = Path(__file__).resolve().parents[2] / "shared" / "real-data"


def _real(name: str) -> Path:
    path = REAL / name
    if not path.exists():
        pytest.skip(f"real data not available: {path}")
    return path


# --- pingouin's bundled data ----------------------------------------------------------------

def test_pingouin_cronbach_alpha_dataset_long_to_wide():
    long = pg.read_dataset("cronbach_alpha")
    wide = long.pivot(index="Subj", columns="Items", values="Scores")
    res = cronbach_alpha(wide)
    assert res.alpha == pytest.approx(0.5917188485995826, abs=1e-6)
    assert res.n_items == wide.shape[1]
    assert res.n == len(wide)


def test_pingouin_wide_missing_pairwise_and_listwise():
    wide = pg.read_dataset("cronbach_wide_missing")
    assert cronbach_alpha(wide, missing="pairwise").alpha == pytest.approx(0.732660835214447, abs=1e-6)
    listwise = cronbach_alpha(wide, missing="listwise")
    assert listwise.alpha == pytest.approx(0.8016949152542373, abs=1e-6)
    assert listwise.n == len(wide.dropna())


# --- R plspm: satisfaction blocks -----------------------------------------------------------

PLSPM_RAW = {"IMAG": 0.8219, "EXPE": 0.8431, "QUAL": 0.8685, "VAL": 0.8320, "SAT": 0.8943, "LOY": 0.8206}


def test_plspm_satisfaction_blocks():
    data = pd.read_csv(_real("plspm_satisfaction.csv"), index_col=0)
    ref = pd.read_csv(_real("plspm_satisfaction_unidim_reference.csv"), index_col=0)
    for block, row in ref.iterrows():
        items = data.filter(regex=rf"^{block.lower()}\d+$")
        assert items.shape[1] == row["mvs"]
        res = cronbach_alpha(items)
        # plspm::unidim reports the standardized alpha.
        assert res.alpha_std == pytest.approx(row["cronbach_alpha"], abs=1e-5), block
        assert res.alpha == pytest.approx(PLSPM_RAW[block], abs=1e-4), block
        assert res.n == 250


# --- R psych: bfi Agreeableness with missing values -----------------------------------------

def test_psych_bfi_agreeableness_pairwise():
    bfi = pd.read_csv(_real("pydataset_psych_bfi.csv"), index_col=0)
    items = bfi[["A1", "A2", "A3", "A4", "A5"]].copy()
    items["A1"] = 7 - items["A1"]
    assert items.isna().any().any()  # the point of this test: pairwise deletion
    res = cronbach_alpha(items)
    assert res.alpha == pytest.approx(0.7030, abs=1e-3)
    assert res.alpha_std == pytest.approx(0.7127, abs=1e-3)
    assert res.average_r == pytest.approx(0.3316, abs=1e-3)
    drop = item_rest_correlations(items).set_index("item")["alpha_if_dropped"]
    expected = {"A1": 0.7185, "A2": 0.6172, "A3": 0.6003, "A4": 0.6858, "A5": 0.6430}
    for item, value in expected.items():
        assert drop[item] == pytest.approx(value, abs=1e-3), item


# --- degenerate input -----------------------------------------------------------------------

def test_one_item_gives_nan_not_exception():
    res = cronbach_alpha(pd.DataFrame({"a": [1, 2, 3, 4]}))
    assert math.isnan(res.alpha) and math.isnan(res.alpha_std) and res.n_items == 1


def test_too_few_respondents_gives_nan():
    res = cronbach_alpha(pd.DataFrame({"a": [1, 2, np.nan], "b": [2, 3, 4]}))
    assert res.n == 2 and math.isnan(res.alpha)
    assert cronbach_alpha(pd.DataFrame({"a": [], "b": []})).n == 0


def test_no_variance_gives_nan():
    res = cronbach_alpha(pd.DataFrame({"a": [3, 3, 3, 3], "b": [3, 3, 3, 3]}))
    assert math.isnan(res.alpha) and math.isnan(res.alpha_std)


def test_nullable_dtypes_and_to_dict():
    df = pd.DataFrame({"a": [1, 2, 3, None, 5], "b": [2, 2, 4, 4, 5], "c": [1, 3, 3, 4, None]}, dtype="Int64")
    res = cronbach_alpha(df)
    assert isinstance(res, AlphaResult) and np.isfinite(res.alpha)
    assert set(res.to_dict()) == {"alpha", "alpha_std", "n_items", "n"}
    assert cronbach_alpha(df.iloc[:, :1]).to_dict()["alpha"] is None


def test_bad_missing_policy():
    with pytest.raises(ValueError):
        cronbach_alpha(pd.DataFrame({"a": [1, 2, 3], "b": [1, 2, 3]}), missing="mean")  # type: ignore[arg-type]


# --- hypothesis: agreement with pingouin and with the textbook formula ----------------------

@st.composite
def likert_frames(draw, allow_missing: bool = True):
    n = draw(st.integers(3, 30))
    k = draw(st.integers(2, 6))
    cells = draw(st.lists(st.integers(1, 5), min_size=n * k, max_size=n * k))
    arr = np.array(cells, dtype=float).reshape(n, k)
    if allow_missing:
        mask = draw(st.lists(st.booleans(), min_size=n * k, max_size=n * k))
        arr[np.array(mask).reshape(n, k) & (np.arange(n * k).reshape(n, k) % 3 == 0)] = np.nan
    return pd.DataFrame(arr, columns=[f"q{i}" for i in range(k)])


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or abs(a - b) < 1e-6


@settings(max_examples=80, deadline=None)
@given(likert_frames(), st.sampled_from(["pairwise", "listwise"]))
def test_matches_pingouin(df, missing):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # ours must not warn on degenerate input either
        ours = cronbach_alpha(df, missing=missing)
        item_rest_correlations(df, missing=missing)
    if ours.n < 3:
        assert math.isnan(ours.alpha)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        used = df.dropna() if missing == "listwise" else df
        cov = used.cov().to_numpy()
        cov_sum = cov.sum()
        assume(np.isfinite(cov_sum) and cov_sum > 1e-12 * np.abs(cov).sum())  # not zero up to rounding
        ref, _ = pg.cronbach_alpha(data=df, nan_policy=missing)
    assert _same(ours.alpha, float(ref))


@settings(max_examples=60, deadline=None)
@given(likert_frames(allow_missing=False))
def test_complete_data_textbook_formulas(df):
    k = df.shape[1]
    total = df.sum(axis=1)
    assume(total.var() > 0 and (df.var() > 0).all())
    ours = cronbach_alpha(df)
    # Cronbach (1951): k/(k-1) * (1 - sum of item variances / variance of the sum score).
    assert ours.alpha == pytest.approx(k / (k - 1) * (1 - df.var().sum() / total.var()), abs=1e-9)
    # Standardized alpha = raw alpha of the z-scored items (pingouin as the reference). Where
    # 1 + (k - 1) r is 0 (three items with r = -1/2) both sides divide rounding noise by ~0.
    assume(abs(1 + (k - 1) * ours.average_r) > 1e-9)
    z = (df - df.mean()) / df.std()
    assert ours.alpha_std == pytest.approx(float(pg.cronbach_alpha(data=z)[0]), abs=1e-6)
    table = item_rest_correlations(df)
    assert list(table.columns) == ["item", "item_rest_r", "alpha_if_dropped"]
    for i, col in enumerate(df.columns):
        rest = df.drop(columns=col).sum(axis=1)
        if rest.var() > 0:
            assert table.loc[i, "item_rest_r"] == pytest.approx(np.corrcoef(df[col], rest)[0, 1], abs=1e-9)
        if k >= 3:
            others = df.drop(columns=col)
            cov = others.cov().to_numpy()  # a sum score without variance, up to rounding: undefined
            ref = float(pg.cronbach_alpha(data=others)[0]) if cov.sum() > 1e-12 * np.abs(cov).sum() else float("nan")
            assert _same(table.loc[i, "alpha_if_dropped"], ref)
        else:
            assert math.isnan(table.loc[i, "alpha_if_dropped"])


def test_moments_computed_once_give_the_same_alpha_and_item_statistics():
    from klantladder.reliability import pairwise_moments

    rng = np.random.default_rng(21)
    trait = rng.normal(size=500)
    items = pd.DataFrame({f"i{j}": np.round(3 + trait + rng.normal(size=500)).clip(1, 5) for j in range(5)})
    items = items.mask(rng.random(items.shape) < 0.1)  # pairwise missing
    moments = pairwise_moments(items)
    for cols in (["i0", "i1", "i2"], ["i3", "i4"], list(items.columns)):
        direct = cronbach_alpha(items[cols])
        shared = cronbach_alpha(items[cols], moments=moments)
        assert shared.n == direct.n and shared.n_items == direct.n_items
        assert np.isclose(shared.alpha, direct.alpha) and np.isclose(shared.alpha_std, direct.alpha_std)
        pd.testing.assert_frame_equal(item_rest_correlations(items[cols], moments=moments),
                                      item_rest_correlations(items[cols]))


def test_pairwise_moments_over_many_blocks_of_rows_equal_pandas_pairwise_cov_and_corr():
    from klantladder.reliability import _BLOCK_ROWS, pairwise_moments

    rng = np.random.default_rng(5)
    n = 2 * _BLOCK_ROWS + 123  # three blocks, the last one short
    trait = rng.normal(size=n)
    items = pd.DataFrame({f"i{j}": np.round(3 + trait + rng.normal(size=n)).clip(1, 5) for j in range(6)})
    items = items.mask(rng.random(items.shape) < np.linspace(0.02, 0.4, 6))  # pairwise missing, unequally
    items.loc[: _BLOCK_ROWS, "i5"] = np.nan  # an item answered only in the later blocks
    moments = pairwise_moments(items)
    np.testing.assert_allclose(moments.cov, items.cov().to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(moments.corr, items.corr().to_numpy(), rtol=1e-10)
