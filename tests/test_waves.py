"""Tests for klantladder.waves, worked by hand."""

from __future__ import annotations

import math

import pytest

from klantladder.intervals import Estimate, nps_from_counts
from klantladder.waves import (WaveChange, WaveSnapshot, compare_snapshots, estimate_se, wave_change, wave_table,
                               weight_shares)


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


# --- which changes are comparable ------------------------------------------------------------


def _snap(wave: str, sources: dict[str, tuple[str, ...]], weights: dict[str, float] | None = None,
          model: str = "2026.1") -> WaveSnapshot:
    """A wave with two dimensions a and b (each also with a customer view) and the overall score."""
    est = {"overall": Estimate(60.0, None, None, 2, se=1.0)}
    for k in ("a", "b"):
        est[f"dimension.{k}"] = Estimate(60.0, None, None, 2, se=1.0)
        est[f"customer.{k}"] = Estimate(60.0, None, None, 100, se=1.0)
    return WaveSnapshot(wave, None, model, est, sources, weights or {})


SURVEYS_ONLY = {"a": ("internal", "customer"), "b": ("internal", "customer")}
B_WITH_TICKETS = {"a": ("internal", "customer"), "b": ("internal", "customer", "kpi")}


def _comparable(before: WaveSnapshot, after: WaveSnapshot) -> dict[str, bool]:
    table = compare_snapshots([before, after])
    return dict(zip(table["measure"], table["comparable"]))


def test_other_sources_for_one_dimension_make_it_and_the_overall_score_not_comparable():
    got = _comparable(_snap("2025", SURVEYS_ONLY), _snap("2026", B_WITH_TICKETS))
    assert got == {"overall": False, "dimension.a": True, "customer.a": True, "dimension.b": False,
                   "customer.b": True}


def test_same_sources_and_weights_are_comparable_throughout():
    w = {"a": 1.0, "b": 1.0}
    got = _comparable(_snap("2025", B_WITH_TICKETS, w), _snap("2026", B_WITH_TICKETS, w))
    assert all(got.values()) and len(got) == 5


def test_other_weights_make_only_the_overall_score_not_comparable():
    # shares 0.5/0.5 before, 1.2/2 = 0.6 and 0.8/2 = 0.4 after: 0.1 apart, beyond rounding
    assert weight_shares({"a": 1.2, "b": 0.8}, ["a", "b"]) == pytest.approx({"a": 0.6, "b": 0.4})
    got = _comparable(_snap("2025", SURVEYS_ONLY, {"a": 1.0, "b": 1.0}), _snap("2026", SURVEYS_ONLY, {"a": 1.2, "b": 0.8}))
    assert got == {"overall": False, "dimension.a": True, "customer.a": True, "dimension.b": True,
                   "customer.b": True}


def test_weights_equal_up_to_rounding_or_scale_are_the_same_weighting():
    before = _snap("2025", SURVEYS_ONLY, {"a": 1.0, "b": 1.0})
    # 2/4 = 0.5 each; 1.0001/2.0001 = 0.500025: 0.000025 from 0.5, within the tolerance of 0.001
    for weights in ({"a": 2.0, "b": 2.0}, {"a": 1.0001, "b": 1.0}):
        assert _comparable(before, _snap("2026", SURVEYS_ONLY, weights))["overall"], weights
    # a dimension without a score does not count: b is unscored in both, a has the whole weight
    one = {"dimension.b", "customer.b"}
    x = _snap("2025", {"a": ("customer",), "b": ()}, {"a": 1.0, "b": 1.0})
    y = _snap("2026", {"a": ("customer",), "b": ()}, {"a": 1.0, "b": 3.0})
    for s in (x, y):
        for k in one:
            s.estimates.pop(k)
    assert _comparable(x, y) == {"overall": True, "dimension.a": True, "customer.a": True}


def test_another_model_version_is_not_comparable_at_all():
    got = _comparable(_snap("2025", SURVEYS_ONLY, model="2025.2"), _snap("2026", SURVEYS_ONLY))
    assert not any(got.values())
