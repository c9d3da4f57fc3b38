"""Tests for klantladder.segments: minimum-n suppression, primary and secondary."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from klantladder.segments import UNKNOWN_GROUP, group_summary, segment_table


def _frame(sizes: dict[str | None, int]) -> pd.DataFrame:
    labels, scores = [], []
    for label, size in sizes.items():
        labels += [label] * size
        scores += list(range(1, size + 1))
    return pd.DataFrame({"segment": labels, "score": np.array(scores, dtype=float)})


def test_no_suppression():
    df = _frame({"a": 6, "b": 5, "c": 10})
    out = group_summary(df, "segment", ["score"])
    assert list(out["group"]) == ["a", "b", "c", "Totaal"]
    assert list(out["n"]) == [6, 5, 10, 21]
    assert list(out["score"]) == pytest.approx([3.5, 3.0, 5.5, df["score"].mean()])
    assert not out["suppressed"].any()
    assert out["suppression"].isna().all()
    assert list(out["is_total"]) == [False, False, False, True]


def test_primary_and_secondary():
    df = _frame({"a": 20, "b": 4, "c": 7, "d": 9})
    out = group_summary(df, "segment", ["score"]).set_index("group")
    assert out.loc["b", "suppression"] == "primary"
    assert out.loc["c", "suppression"] == "secondary"  # smallest remaining group
    assert out.loc["a", "suppression"] is None and out.loc["d", "suppression"] is None
    for g in ["b", "c"]:
        assert out.loc[g, "suppressed"] and pd.isna(out.loc[g, "n"]) and np.isnan(out.loc[g, "score"])
    assert out.loc["Totaal", "n"] == 40 and not out.loc["Totaal", "suppressed"]
    assert len(out) == 5  # nothing dropped


def test_two_primary_need_no_secondary():
    df = _frame({"a": 20, "b": 4, "c": 3, "d": 9})
    out = group_summary(df, "segment", ["score"]).set_index("group")
    assert list(out["suppression"].fillna("-")) == ["-", "primary", "primary", "-", "-"]


def test_min_n_configurable_upwards_and_validated():
    df = _frame({"a": 20, "b": 8, "c": 9})
    out = group_summary(df, "segment", ["score"], min_n=10).set_index("group")
    assert out.loc["b", "suppression"] == "primary" and out.loc["c", "suppression"] == "primary"
    with pytest.raises(ValueError):
        group_summary(df, "segment", ["score"], min_n=0)


def test_missing_labels_are_a_group():
    df = _frame({"a": 6, None: 5})
    df.loc[df.index[-1], "segment"] = np.nan
    out = group_summary(df, "segment", ["score"], total_label="total")
    assert list(out["group"]) == ["a", UNKNOWN_GROUP, "total"]
    assert list(out["n"]) == [6, 5, 11]


def test_total_suppressed_when_everything_is_small():
    df = _frame({"a": 2, "b": 1})
    out = group_summary(df, "segment", ["score"])
    assert out["suppressed"].all()
    assert list(out["suppression"]) == ["primary"] * 3


def test_missing_values_per_column_and_several_values():
    df = pd.DataFrame({"ch": ["web"] * 5 + ["tel"] * 5, "x": [1, 2, 3, np.nan, 4, 5, 5, 5, 5, 5], "y": range(10)})
    out = group_summary(df, "ch", ["x", "y"]).set_index("group")
    assert out.loc["web", "x"] == pytest.approx(2.5)
    assert out.loc["tel", "y"] == pytest.approx(7.0)
    assert list(out.columns) == ["n", "x", "y", "suppressed", "suppression", "is_total"]


def _shown_n(out: pd.DataFrame) -> tuple[int | None, int, list]:
    body = out[~out["is_total"]]
    total = out.loc[out["is_total"], "n"].iloc[0]
    shown = int(body.loc[~body["suppressed"], "n"].sum())
    hidden = list(body.loc[body["suppressed"], "group"])
    return (None if pd.isna(total) else int(total)), shown, hidden


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(list("abcdefgh")), st.integers(1, 30), min_size=1, max_size=8),
       st.integers(1, 12))
def test_no_single_hidden_group_recoverable_from_total(sizes, min_n):
    df = _frame(sizes)
    out = group_summary(df, "segment", ["score"], min_n=min_n)
    total, shown, hidden = _shown_n(out)
    # every group keeps its row, and every small group is hidden
    body = out[~out["is_total"]].set_index("group")
    assert set(body.index) == set(sizes)
    for g, size in sizes.items():
        if size < min_n:
            assert body.loc[g, "suppressed"]
        if not body.loc[g, "suppressed"]:
            assert body.loc[g, "n"] == size
    # disclosure: if the total is shown, "total - shown" must never single out one hidden group
    if total is not None and hidden:
        assert len(hidden) >= 2, (sizes, min_n, out)
        assert total - shown == sum(sizes[g] for g in hidden)


def test_a_hidden_group_without_answers_does_not_protect_the_one_that_has_them():
    """A (3 people) is hidden; B (6 people) is hidden beside it, but none of B answered the NPS
    question. Showing C's NPS and the total would give A's NPS away:
    (13 * total - 10 * C) / 3. So one cell with answers more is hidden: C's."""
    nps = [100.0] * 3 + [np.nan] * 6 + [0.0] * 10
    df = pd.DataFrame({"segment": ["A"] * 3 + ["B"] * 6 + ["C"] * 10, "nps": nps})
    out = segment_table(df, "segment", ["nps"], min_n=5).set_index("group")
    assert out.loc["A", "suppression"] == "primary" and out.loc["B", "suppression"] == "secondary"
    assert not out.loc["C", "suppressed"]
    assert np.isnan(out.loc["C", "nps"])  # the cell, not the group: C's n stays shown
    assert out.loc["C", "n"] == 10
    assert out.attrs["suppressed_values"][list(out.index).index("C")] == ("nps",)


def _answers_frame(spec: dict[str, tuple[int, int]]) -> pd.DataFrame:
    """Per group (people, of whom answered): a frame with one value column."""
    rows = []
    for g, (people, answered) in spec.items():
        rows += [(g, float(i % 7)) for i in range(answered)] + [(g, np.nan)] * (people - answered)
    return pd.DataFrame(rows, columns=["segment", "score"])


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(list("abcdef")),
                       st.tuples(st.integers(1, 20), st.integers(0, 20)).map(lambda t: (t[0], min(t))),
                       min_size=1, max_size=6),
       st.integers(2, 8))
def test_no_single_hidden_cell_with_answers_is_recoverable_from_the_total(spec, min_n):
    """Per value column: when the total's mean is shown, a hidden cell with fewer answers than the
    minimum is never the only hidden cell that holds answers (else the total and the shown cells
    would give its mean away)."""
    df = _answers_frame(spec)
    out = segment_table(df, "segment", ["score"], min_n=min_n)
    body = out[~out["is_total"]].reset_index(drop=True)
    total = out[out["is_total"]].iloc[0]
    if np.isnan(total["score"]):
        return
    hidden_with_answers = [g for g, v in zip(body["group"], body["score"])
                           if np.isnan(v) and spec[g][1] > 0]
    if len(hidden_with_answers) == 1:
        assert spec[hidden_with_answers[0]][1] >= min_n, (spec, min_n, out)
    for g, v in zip(body["group"], body["score"]):  # nothing shown rests on fewer than min_n answers
        if not np.isnan(v):
            assert spec[g][1] >= min_n


def test_more_than_five_small_groups_become_one_counted_row_before_the_total():
    from klantladder.segments import LISTED_SMALL_GROUPS, SMALL_GROUPS, collapse_small_groups

    def row(group, suppressed=False, total=False):
        return {"group": group, "n": None if suppressed else 10, "mean": None if suppressed else 3.0,
                "suppressed": suppressed, "suppression": "primary" if suppressed else None, "is_total": total}

    big, total = row("A"), row("Totaal", total=True)
    few = [row(f"s{i}", True) for i in range(LISTED_SMALL_GROUPS)]
    assert collapse_small_groups([big, *few, total]) == [big, *few, total]  # five: still listed by name
    many = [row(f"s{i}", True) for i in range(LISTED_SMALL_GROUPS + 1)]
    out = collapse_small_groups([big, *many, total])
    assert [r["group"] for r in out] == ["A", SMALL_GROUPS, "Totaal"]
    assert out[1]["small_groups"] == LISTED_SMALL_GROUPS + 1 and out[1]["n"] is None and out[1]["mean"] is None
    secondary = {**row("B", True), "suppression": "secondary"}  # hidden to protect another: stays by name
    assert [r["group"] for r in collapse_small_groups([big, secondary, *many, total])] == \
        ["A", "B", SMALL_GROUPS, "Totaal"]


# --- comparisons of each group with the rest ------------------------------------------------------

def _expected_differences(df: pd.DataFrame, by: str, values: list[str], table: pd.DataFrame) -> dict:
    """Welch's test of every shown group against all other rows, by scipy on the raw answers, and
    Holm's adjustment over them all by statsmodels: the independent route to Difference."""
    from scipy.stats import ttest_ind
    from statsmodels.stats.multitest import multipletests

    labels = df[by].astype(object).where(df[by].notna(), UNKNOWN_GROUP)
    hidden = table.attrs["suppressed_values"]
    tests = {}
    for i, row in table.iterrows():
        if row["is_total"] or row["suppressed"]:
            continue
        for c in values:
            if c in hidden[i]:
                continue
            x = df.loc[labels == row["group"], c].dropna().to_numpy()
            y = df.loc[labels != row["group"], c].dropna().to_numpy()
            if len(x) < 2 or len(y) < 2 or (np.ptp(x) == 0 and np.ptp(y) == 0):
                continue
            with warnings.catch_warnings():  # scipy's note on nearly identical answers: its answer is still the reference
                warnings.simplefilter("ignore", RuntimeWarning)
                tests[(row["group"], c)] = (x.mean() - y.mean(), ttest_ind(x, y, equal_var=False).pvalue)
    adjusted = multipletests([p for _, p in tests.values()], method="holm")[1] if tests else []
    return {k: (d, p, q) for (k, (d, p)), q in zip(tests.items(), adjusted)}


def _found_differences(table: pd.DataFrame) -> dict:
    return {(table.at[i, "group"], c): (x.diff, x.p, x.p_adjusted)
            for i, row in enumerate(table.attrs["differences"]) for c, x in row.items()}


def test_each_group_is_compared_with_the_rest_as_scipy_and_statsmodels_do():
    rng = np.random.default_rng(7)
    groups = ["a"] * 60 + ["b"] * 40 + ["c"] * 25 + ["d"] * 3 + [None] * 12  # d hidden, counts in the rest
    df = pd.DataFrame({"segment": groups,
                       "score": rng.normal(60, 15, len(groups)) + np.where(np.array(groups, dtype=object) == "b", 12, 0),
                       "nps": rng.choice([-100.0, 0.0, 100.0], len(groups))})
    df.loc[rng.choice(len(df), 20, replace=False), "nps"] = np.nan  # fewer answers than rows
    table = segment_table(df, "segment", ["score", "nps"], min_n=5)
    expected = _expected_differences(df, "segment", ["score", "nps"], table)
    found = _found_differences(table)
    assert set(found) == set(expected) and ("b", "score") in found and not any(g == "d" for g, _ in found)
    for key, (d, p, q) in expected.items():
        assert found[key] == pytest.approx((d, p, q), rel=1e-9, abs=1e-12)
    b = table.attrs["differences"][table.index[table["group"] == "b"][0]]["score"]
    assert b.beyond_noise and b.direction == 1  # 12 points on n = 40 against 155: far beyond the noise
    assert table.attrs["differences"][-1] == {}  # the total is not compared


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c", "e"]), st.integers(0, 10)), min_size=2, max_size=80),
       st.sampled_from([0.0, 1e6]))
def test_comparisons_match_scipy_and_do_not_move_with_the_scale_origin(rows, shift):
    """Any data: the same tests as scipy's on the raw answers; adding a large constant to every
    answer (scores far from 0) changes no p-value (the sums of squares are centred). scipy is
    asked about the data as given, where it keeps its own precision."""
    df = pd.DataFrame(rows, columns=["segment", "score"]).astype({"score": float})
    expected = _expected_differences(df, "segment", ["score"], segment_table(df, "segment", ["score"], min_n=5))
    table = segment_table(df.assign(score=df["score"] + shift), "segment", ["score"], min_n=5)
    found = _found_differences(table)
    assert set(found) == set(expected)
    for key, (d, p, q) in expected.items():
        assert found[key] == pytest.approx((d, p, q), rel=1e-6, abs=1e-9)


def test_no_comparison_without_variance_or_without_a_rest():
    same = pd.DataFrame({"segment": ["a"] * 6 + ["b"] * 6, "score": [50.0] * 12})
    assert all(r == {} for r in segment_table(same, "segment", ["score"]).attrs["differences"])
    alone = pd.DataFrame({"segment": ["a"] * 8, "score": np.arange(8.0)})
    assert all(r == {} for r in segment_table(alone, "segment", ["score"]).attrs["differences"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.floats(0, 1), st.sampled_from([0.0, 0.01, 0.05, 1.0])), min_size=1, max_size=40))
def test_holm_equals_statsmodels(p):
    """segments.holm against statsmodels' multipletests (method "holm"), ties and ones included."""
    from statsmodels.stats.multitest import multipletests

    from klantladder.segments import holm

    assert holm(np.array(p)) == pytest.approx(multipletests(p, method="holm")[1], rel=1e-12, abs=1e-15)


def _cr2_by_matrices(y: np.ndarray, in_group: np.ndarray, clusters: np.ndarray) -> tuple[float, float]:
    """The textbook computation, with matrices: least squares of ``y`` on [1, in_group], the
    CR2 sandwich (Bell & McCaffrey 2002: each cluster's residuals times (I - H_cc)^(-1/2)), and
    the t test with the Welch-Satterthwaite degrees of freedom of the group's and the rest's
    parts of the clusters' contributions. Returns (difference, p)."""
    x = np.column_stack([np.ones(len(y)), in_group.astype(float)])
    bread = np.linalg.inv(x.T @ x)
    beta = bread @ x.T @ y
    resid = y - x @ beta
    hat = x @ bread @ x.T
    part_a, part_b = [], []
    for c in np.unique(clusters):
        rows = np.flatnonzero(clusters == c)
        vals, vecs = np.linalg.eigh(np.eye(len(rows)) - hat[np.ix_(rows, rows)])
        adjusted = vecs @ np.diag(vals ** -0.5) @ vecs.T @ resid[rows]
        inside = in_group[rows].astype(bool)
        row = bread[1] @ x[rows].T  # the difference's weight on each of the cluster's rows
        part_a.append(float(row[inside] @ adjusted[inside]))
        part_b.append(float(row[~inside] @ adjusted[~inside]))
    part_a, part_b = np.array(part_a), np.array(part_b)
    se = np.sqrt(np.sum((part_a + part_b) ** 2))
    g_a = len(np.unique(clusters[in_group.astype(bool)]))
    g_b = len(np.unique(clusters[~in_group.astype(bool)]))
    v_a, v_b = np.sum(part_a ** 2), np.sum(part_b ** 2)
    df = (v_a + v_b) ** 2 / (v_a ** 2 / (g_a - 1) + v_b ** 2 / (g_b - 1))
    return float(beta[1]), float(2 * stats.t.sf(abs(beta[1] / se), df))


def _own_clusters(clusters: np.ndarray) -> np.ndarray:
    out = clusters.copy()
    out[out < 0] = 10**6 + np.arange(int((out < 0).sum()))
    return out


def test_clustered_differences_equal_the_cr2_test_computed_with_matrices():
    """Tickets of 60 customers over three channels, most customers keeping to one channel but not
    all, some customers unknown (a cluster each), some values missing: every channel against the
    rest as the matrix computation of the CR2 test has it."""
    from klantladder.segments import clustered_differences

    rng = np.random.default_rng(11)
    n, k = 240, 3
    customers = rng.integers(0, 60, n)
    customers[rng.random(n) < 0.05] = -1
    channel = np.where(rng.random(n) < 0.8, customers % k, rng.integers(0, k, n))
    y = 100.0 * (rng.random(n) < 0.25 + 0.1 * channel + 0.3 * (rng.random(60)[customers] < 0.3))
    y[rng.random(n) < 0.1] = np.nan
    diff, p = clustered_differences(y, channel, customers, k)
    ok = ~np.isnan(y)
    for j in range(k):
        expected = _cr2_by_matrices(y[ok], channel[ok] == j, _own_clusters(customers)[ok])
        assert (diff[j], p[j]) == pytest.approx(expected, rel=1e-9, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.sampled_from([0.0, 100.0, 50.0, np.nan])), min_size=3, max_size=90))
def test_tickets_of_unknown_customers_get_welchs_test(rows):
    """Every ticket its own cluster (no customer known): exactly scipy's Welch test, wherever
    both sides have enough tickets and the difference has a standard error."""
    from klantladder.segments import MIN_CLUSTERS, clustered_differences

    channel, y = (np.array(c) for c in zip(*rows))
    diff, p = clustered_differences(y.astype(float), channel, np.full(len(y), -1), 3)
    ok = ~np.isnan(y)
    for j in range(3):
        inside, rest = y[ok & (channel == j)], y[ok & (channel != j)]
        if min(len(inside), len(rest)) < MIN_CLUSTERS or (inside.var() == 0 and rest.var() == 0):
            assert np.isnan(p[j])
            continue
        expected = stats.ttest_ind(inside, rest, equal_var=False)
        assert diff[j] == pytest.approx(inside.mean() - rest.mean(), abs=1e-9)
        assert p[j] == pytest.approx(expected.pvalue, rel=1e-6, abs=1e-12)


def test_customers_with_equal_numbers_of_tickets_in_one_channel_get_welchs_test_on_their_means():
    from klantladder.segments import clustered_differences

    rng = np.random.default_rng(2)
    customers = np.repeat(np.arange(40), 4)
    channel = (np.arange(40) % 3 == 0).astype(int)[customers]  # each customer in one channel
    y = 100.0 * (rng.random(160) < np.where(channel == 1, 0.5, 0.35) + rng.normal(0, 0.15, 40)[customers])
    diff, p = clustered_differences(y, channel, customers, 2)
    means = pd.Series(y).groupby(customers).mean().to_numpy()
    expected = stats.ttest_ind(means[np.arange(40) % 3 == 0], means[np.arange(40) % 3 != 0], equal_var=False)
    assert diff[1] == pytest.approx(means[np.arange(40) % 3 == 0].mean() - means[np.arange(40) % 3 != 0].mean())
    assert p[1] == pytest.approx(expected.pvalue, rel=1e-9)


def test_a_channel_of_few_customers_is_not_marked_by_chance_much_more_than_one_time_in_twenty():
    """No channel effect, but customers differ (some are served well, some badly) and a small
    channel's ten customers bring 1-5 tickets each: the test says "beyond the noise" in 5-7% of
    600 simulated clients, where Welch's test on the tickets as if independent says it twice as
    often; with fewer than ten customers in the channel it says nothing."""
    from klantladder.segments import clustered_differences

    rng = np.random.default_rng(20261129)
    ours = naive = 0
    reps = 600
    for _ in range(reps):
        customers = np.concatenate([np.repeat(np.arange(300), rng.integers(1, 6, 300)),
                                    np.repeat(np.arange(300, 310), rng.integers(1, 6, 10))])
        channel = (customers >= 300).astype(int)
        served = np.clip(rng.normal(0.7, 0.25, 310), 0, 1)
        y = 100.0 * (rng.random(len(customers)) < served[customers])
        ours += clustered_differences(y, channel, customers, 2)[1][1] < 0.05
        naive += stats.ttest_ind(y[channel == 1], y[channel == 0], equal_var=False).pvalue < 0.05
    assert 0.02 < ours / reps < 0.09  # CR1 (statsmodels' cluster option): 12% (benchmarks/channel_test.py)
    assert naive / reps > 1.5 * ours / reps
    few = np.concatenate([np.arange(100), np.repeat(np.arange(100, 109), 5)])
    assert np.isnan(clustered_differences(rng.random(len(few)), (few >= 100).astype(int), few, 2)[1][1])


def test_median_times_of_a_small_channel_are_marked_about_one_time_in_twenty_without_a_difference():
    """The channel table's median-time comparison (the share of tickets within the median time of
    all tickets, compared with customers as clusters): with no channel effect but customers whose
    tickets are all quick or all slow, a channel of twenty customers is marked in 2-9% of 600
    simulated clients; a channel whose times are twice as long is marked in most of them, and as
    slower."""
    from klantladder.reportdata import _within_pooled_median
    from klantladder.segments import clustered_differences

    rng = np.random.default_rng(20261129)

    def p_and_diff(factor: float) -> tuple[float, float]:
        customers = np.concatenate([np.repeat(np.arange(300), rng.integers(1, 6, 300)),
                                    np.repeat(np.arange(300, 320), rng.integers(1, 6, 20))])
        channel = (customers >= 300).astype(int)
        speed = rng.lognormal(0.0, 0.8, 320)  # some customers' questions take long, others not
        hours = speed[customers] * rng.lognormal(1.0, 0.5, len(customers)) * np.where(channel == 1, factor, 1.0)
        hours[rng.random(len(hours)) < 0.1] = np.nan  # no response recorded
        diff, p = clustered_differences(_within_pooled_median(hours), channel, customers, 2)
        return p[1], diff[1]

    null = [p_and_diff(1.0)[0] for _ in range(600)]
    assert 0.02 < np.mean(np.array(null) < 0.05) < 0.09
    slower = [p_and_diff(2.0) for _ in range(200)]
    assert np.mean([p < 0.05 and d < 0 for p, d in slower]) > 0.6  # fewer tickets within the median: slower


def test_the_median_indicator_splits_at_the_median_of_all_known_times():
    from klantladder.reportdata import _within_pooled_median

    hours = np.array([5.0, np.nan, 1.0, 3.0, 2.0, 4.0])
    np.testing.assert_array_equal(_within_pooled_median(hours), [0.0, np.nan, 100.0, 100.0, 100.0, 0.0])
    assert np.isnan(_within_pooled_median(np.array([np.nan, np.nan]))).all()


# ------------------------------------------------------------- each shown cell's interval


def _intervals(table: pd.DataFrame) -> dict:
    return {(table.at[i, "group"], c): ci for i, row in enumerate(table.attrs["intervals"]) for c, ci in row.items()}


def test_each_shown_cell_has_the_t_interval_of_statsmodels_and_hidden_ones_have_none():
    """Per shown group and the total: statsmodels' t interval of the mean of the cell's answers
    (DescrStatsW.tconfint_mean); a hidden group (d: too small; c: secondary) and a hidden cell
    (b's nps: 4 answers) have no interval, so an interval never gives a hidden mean away."""
    from statsmodels.stats.weightstats import DescrStatsW

    rng = np.random.default_rng(11)
    groups = ["a"] * 50 + ["b"] * 30 + ["c"] * 9 + ["d"] * 3 + [None] * 15
    df = pd.DataFrame({"segment": groups, "score": rng.normal(60, 15, len(groups)),
                       "nps": rng.choice([-100.0, 0.0, 100.0], len(groups))})
    df.loc[rng.choice(50, 8, replace=False), "score"] = np.nan  # some of a's scores missing
    df.loc[np.flatnonzero(np.array(groups, dtype=object) == "b")[4:], "nps"] = np.nan  # b: 4 nps answers
    table = segment_table(df, "segment", ["score", "nps"], min_n=5)
    found = _intervals(table)
    labels = df["segment"].fillna(UNKNOWN_GROUP)
    expected = {}
    for g in ["a", "b", UNKNOWN_GROUP, "Totaal"]:
        rows = df if g == "Totaal" else df[labels == g]
        for c in ["score", "nps"]:
            x = rows[c].dropna().to_numpy()
            if not (g == "b" and c == "nps"):
                expected[(g, c)] = DescrStatsW(x).tconfint_mean(alpha=0.05)
    assert set(found) == set(expected)  # nothing for c, d, or b's nps
    for key, (low, high) in expected.items():
        assert found[key] == pytest.approx((low, high), rel=1e-9)
        value = table.loc[table["group"] == key[0], key[1]].iloc[0]
        assert found[key][0] < value < found[key][1]


def test_an_nps_cells_interval_is_the_textbook_nps_interval_with_students_t():
    """NPS per respondent is +100, 0 or -100; the t interval of its mean has the textbook NPS
    variance, :math:`(p_+ + p_-) - (p_+ - p_-)^2`, with n - 1 (the sample variance) and t."""
    answers = np.array([100.0] * 31 + [0.0] * 12 + [-100.0] * 17)
    df = pd.DataFrame({"segment": ["a"] * len(answers), "nps": answers})
    low, high = segment_table(df, "segment", ["nps"]).attrs["intervals"][0]["nps"]
    n = len(answers)
    promoters, detractors = 31 / n, 17 / n
    nps = 100 * (promoters - detractors)
    half = stats.t.ppf(0.975, n - 1) * 100 * np.sqrt(
        ((promoters + detractors) - (promoters - detractors) ** 2) / (n - 1))
    assert (low, high) == pytest.approx((nps - half, nps + half), rel=1e-12)


def test_intervals_are_clipped_to_the_bounds_and_need_two_answers():
    df = pd.DataFrame({"segment": ["a"] * 6 + ["b"] * 6,
                       "score": [100.0, 100.0, 100.0, 100.0, 100.0, 40.0] + [50.0] * 5 + [np.nan]})
    open_ = segment_table(df, "segment", ["score"]).attrs["intervals"]
    clipped = segment_table(df, "segment", ["score"], bounds={"score": (0.0, 100.0)}).attrs["intervals"]
    assert open_[0]["score"][1] > 100 and clipped[0]["score"] == (open_[0]["score"][0], 100.0)
    assert "score" not in clipped[1]  # answers that do not vary: no interval of width 0
    assert clipped[2]["score"][0] < clipped[2]["score"][1]  # the total varies
    one = pd.DataFrame({"segment": ["a"] * 5, "score": [7.0, np.nan, np.nan, np.nan, np.nan]})
    table = segment_table(one, "segment", ["score"], min_n=1)
    assert table.attrs["intervals"] == [{}, {}]  # one answer: no interval


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c", None]), st.floats(0, 100)), min_size=1, max_size=60),
       st.integers(1, 8))
def test_every_interval_holds_its_shown_value_and_no_hidden_cell_has_one(rows, min_n):
    df = pd.DataFrame(rows, columns=["segment", "score"])
    table = segment_table(df, "segment", ["score"], min_n=min_n, bounds={"score": (0.0, 100.0)})
    for i, row in enumerate(table.attrs["intervals"]):
        hidden = bool(table.at[i, "suppressed"]) or "score" in table.attrs["suppressed_values"][i]
        if hidden:
            assert row == {}
        if "score" in row:
            low, high = row["score"]
            value = table.at[i, "score"]
            assert 0.0 <= low <= value + 1e-9 and value - 1e-9 <= high <= 100.0


def test_a_share_gets_wilsons_interval_as_the_kpis_do_even_when_every_answer_agrees():
    from klantladder.intervals import proportion_estimate

    kept = [100.0] * 9 + [0.0] * 3 + [100.0] * 7 + [np.nan]
    df = pd.DataFrame({"segment": ["a"] * 12 + ["b"] * 8, "retention": kept})
    intervals = segment_table(df, "segment", ["retention"], shares=["retention"]).attrs["intervals"]
    for row, (x, n) in zip(intervals, [(9, 12), (7, 7), (16, 19)]):  # a, b (all kept), the total
        e = proportion_estimate(x, n)
        assert row["retention"] == pytest.approx((e.ci_low, e.ci_high), rel=1e-12)
    assert intervals[1]["retention"][0] < 100.0 == intervals[1]["retention"][1]


def test_a_breakdowns_rows_come_without_copying_its_marks_and_leave_them_in_place():
    import copy

    from klantladder.segments import Difference, table_records

    df = pd.DataFrame({"segment": ["a"] * 8 + ["b"] * 8, "score": np.arange(16.0)})
    table = segment_table(df, "segment", ["score"])
    assert table_records(table) == table.to_dict(orient="records")
    assert set(table.attrs) == {"suppressed_values", "differences", "intervals"}  # the table keeps them
    d = Difference(1.0, 0.5, 0.9)
    assert copy.deepcopy(d) is d  # immutable: pandas' copies of a table's attrs share it
