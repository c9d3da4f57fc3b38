"""Tests for klantladder.benchmark."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import percentileofscore

from klantladder.benchmark import BENCHMARK_COLUMNS, benchmark, percentile_rank


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
    assert nps["portfolio_median"] == pytest.approx(np.median(peers))
    assert nps["p25"] == pytest.approx(np.percentile(peers, 25))
    assert nps["p75"] == pytest.approx(np.percentile(peers, 75))
    assert nps["sector_peers_n"] == 6
    assert nps["sector_percentile"] == pytest.approx(percentileofscore([10, 20, 30, 40, 50, 60], 45, kind="mean"))


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
