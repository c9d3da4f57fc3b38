"""Tests for klantladder.segments: minimum-n suppression, primary and secondary."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from klantladder.segments import UNKNOWN_GROUP, group_summary


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
