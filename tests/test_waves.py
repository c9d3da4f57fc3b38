"""Tests for klantladder.waves, worked by hand."""

from __future__ import annotations

import math

import pytest

from klantladder.intervals import Estimate, nps_from_counts
from klantladder.waves import WaveChange, estimate_se, wave_change, wave_table


def test_significant_increase_from_se():
    # change 6, SE sqrt(2^2 + 1.5^2) = 2.5, interval 6 -/+ 4.8999
    ch = wave_change(Estimate(50.0, 46.0, 54.0, 200, se=2.0), Estimate(56.0, 53.0, 59.0, 300, se=1.5))
    assert ch.change == pytest.approx(6.0)
    assert ch.ci_low == pytest.approx(6.0 - 1.959964 * 2.5, abs=1e-5)
    assert ch.ci_high == pytest.approx(6.0 + 1.959964 * 2.5, abs=1e-5)
    assert ch.significant


def test_not_significant_from_interval_width():
    # no se: SE = width / 3.92 = 3 and 4, so SE of the change = 5 and 5 < 1.96 * 5
    ch = wave_change(Estimate(40.0, 40 - 1.96 * 3, 40 + 1.96 * 3, 100), Estimate(45.0, 45 - 1.96 * 4, 45 + 1.96 * 4, 90))
    assert ch.change == pytest.approx(5.0)
    assert ch.ci_low == pytest.approx(5.0 - 1.959964 * 5.0, abs=1e-3)
    assert not ch.significant


def test_significant_decrease():
    ch = wave_change(Estimate(70.0, None, None, 500, se=1.0), Estimate(60.0, None, None, 500, se=1.0))
    assert ch.change == pytest.approx(-10.0) and ch.ci_high < 0 and ch.significant


def test_missing_value_or_uncertainty():
    assert wave_change(Estimate.empty(0), Estimate(1.0, 0.0, 2.0, 5)) == WaveChange(None, None, None, False)
    ch = wave_change(Estimate(1.0, None, None, 1), Estimate(2.0, None, None, 1))
    assert ch.change == pytest.approx(1.0) and ch.ci_low is None and not ch.significant


def test_estimate_se_prefers_se():
    assert estimate_se(Estimate(1.0, 0.0, 3.92, 10, se=0.5)) == 0.5
    assert estimate_se(Estimate(1.0, 0.0, 3.92, 10)) == pytest.approx(1.0, abs=1e-4)
    assert estimate_se(Estimate(1.0, None, None, 1)) is None


def test_nps_waves_by_hand():
    # wave 1: 100 respondents, p = .5, d = .2 -> NPS 30, var .7 - .09 = .61
    # wave 2: 100 respondents, p = .6, d = .1 -> NPS 50, var .7 - .25 = .45
    ch = wave_change(nps_from_counts(50, 30, 20), nps_from_counts(60, 30, 10))
    se = 100 * math.sqrt(0.61 / 100 + 0.45 / 100)
    assert ch.change == pytest.approx(20.0)
    assert ch.ci_low == pytest.approx(20 - 1.959964 * se, abs=1e-4)
    assert not ch.significant  # 20 - 1.96 * 10.3 < 0


def test_wave_table_consecutive_pairs():
    table = wave_table({
        "2023": {"nps": Estimate(10.0, None, None, 100, se=1.0), "csat": Estimate(70.0, None, None, 100, se=1.0)},
        "2024": {"nps": Estimate(15.0, None, None, 100, se=1.0)},
        "2025": {"nps": Estimate(14.0, None, None, 100, se=1.0), "csat": Estimate(80.0, None, None, 100, se=1.0)},
    })
    assert list(table.columns) == ["measure", "from_wave", "to_wave", "change", "ci_low", "ci_high", "significant"]
    assert table[["measure", "from_wave", "to_wave"]].values.tolist() == [["nps", "2023", "2024"], ["nps", "2024", "2025"]]
    assert list(table["change"]) == pytest.approx([5.0, -1.0])
    assert list(table["significant"]) == [True, False]
    assert wave_table({"only": {"nps": Estimate.empty()}}).empty
