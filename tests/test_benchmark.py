"""Tests for klantladder.benchmark."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
import scipy.stats
from scipy.stats import percentileofscore

from klantladder.benchmark import BENCHMARK_COLUMNS, benchmark, peer_quartiles, percentile_rank


def test_percentile_rank_by_hand():
    assert percentile_rank(3, [1, 2, 3, 4]) == pytest.approx(62.5)  # (2 + 3) / 2 / 4
    assert percentile_rank(0, [1, 2]) == 0.0
    assert percentile_rank(9, [1, 2]) == 100.0
    assert percentile_rank(5, [5, 5, 5]) == 50.0
    assert np.isnan(percentile_rank(1, []))
    assert np.isnan(percentile_rank(float("nan"), [1, 2]))
    assert percentile_rank(2, [1, np.nan, 3]) == 50.0


@settings(max_examples=100, deadline=None)
@given(st.integers(-5, 15), st.lists(st.integers(0, 10), min_size=1, max_size=50))
def test_percentile_rank_matches_scipy_mean_kind(value, peers):
    assert percentile_rank(value, peers) == pytest.approx(percentileofscore(peers, value, kind="mean"))


def _portfolio() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sector": ["zorg"] * 6 + ["retail"] * 3 + [None],
            "nps": [10, 20, 30, 40, 50, 60, 70, 80, np.nan, 35],
            "csat": [60, 61, 62, 63, 64, 65, 66, 67, 68, 69],
        },
        index=pd.Index([f"Client {c}" for c in "ABCDEFGHIJ"], name="client"),
    )


def test_benchmark_values():
    out = benchmark({"nps": 45.0, "csat": 62.0, "unknown": 1.0}, _portfolio(), sector="zorg")
    assert list(out.columns) == list(BENCHMARK_COLUMNS)
    assert list(out["measure"]) == ["nps", "csat"]
    nps = out.set_index("measure").loc["nps"]
    peers = [10, 20, 30, 40, 50, 60, 70, 80, 35]
    assert nps["peers_n"] == 9
    assert nps["percentile"] == pytest.approx(percentileofscore(peers, 45, kind="mean"))
    # Harrell–Davis quartiles, written out below: between the order statistics, none a peer's value.
    assert (nps["p25"], nps["portfolio_median"], nps["p75"]) == pytest.approx(
        tuple(_harrell_davis(peers, q) for q in (0.25, 0.5, 0.75)))
    assert not {nps["p25"], nps["portfolio_median"], nps["p75"]} & set(peers)
    assert nps["sector_peers_n"] == 6
    assert nps["sector_percentile"] == pytest.approx(percentileofscore([10, 20, 30, 40, 50, 60], 45, kind="mean"))


def _harrell_davis(values: list[float], q: float) -> float:
    """The Harrell–Davis quantile written out (Harrell & Davis 1982): the sorted values weighted by
    the beta(q(n+1), (1-q)(n+1)) probability of each interval ((i-1)/n, i/n]."""
    x, n = sorted(values), len(values)
    a, b = q * (n + 1), (1 - q) * (n + 1)
    cdf = scipy.stats.beta(a, b).cdf
    return sum(v * (cdf(i / n) - cdf((i - 1) / n)) for i, v in enumerate(x, 1))


def test_harrell_davis_median_of_five_by_hand():
    """n = 5, q = 1/2: beta(3, 3) over fifths; by symmetry the weights are w, v, u, v, w."""
    w = scipy.stats.beta(3, 3).cdf(0.2)
    v = scipy.stats.beta(3, 3).cdf(0.4) - w
    u = 1 - 2 * (w + v)
    x = [10.0, 30.0, 60.0, 80.0, 90.0]
    expected = w * (10 + 90) + v * (30 + 80) + u * 60
    assert peer_quartiles(np.array(x))[1] == pytest.approx(expected, abs=1e-9)
    assert peer_quartiles(np.array(x))[1] != 60.0  # the usual median: the middle client's own score


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 100, allow_nan=False), min_size=5, max_size=15, unique=True))
def test_peer_quartiles_are_ordered_within_the_range_and_no_peers_value(values):
    q25, q50, q75 = peer_quartiles(np.array(values))
    assert min(values) <= q25 <= q50 <= q75 <= max(values)


def test_small_sector_is_withheld():
    out = benchmark({"nps": 45.0}, _portfolio(), sector="retail").iloc[0]
    assert np.isnan(out["sector_percentile"]) and pd.isna(out["sector_peers_n"])
    assert not np.isnan(out["percentile"])
    out = benchmark({"nps": 45.0}, _portfolio()).iloc[0]
    assert np.isnan(out["sector_percentile"]) and pd.isna(out["sector_peers_n"])


def test_small_portfolio_is_withheld():
    out = benchmark({"nps": 45.0}, _portfolio().iloc[:3]).iloc[0]
    assert out["peers_n"] == 3
    assert np.isnan(out["percentile"]) and np.isnan(out["portfolio_median"]) and np.isnan(out["p25"])


def test_exclude_own_row():
    pf = _portfolio()
    out = benchmark({"csat": 69.0}, pf, exclude="Client J").iloc[0]
    assert out["peers_n"] == 9 and out["percentile"] == 100.0


def test_no_client_names_in_output():
    pf = _portfolio()
    out = benchmark({"nps": 45.0, "csat": 62.0}, pf, sector="zorg")
    text = out.to_csv() + " ".join(map(str, out.index)) + " ".join(map(str, out.columns))
    for name in pf.index:
        assert name not in text
    assert "client" not in out.columns and out.index.name is None
