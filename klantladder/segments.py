"""Breakdowns by segment, channel or department with minimum-n suppression.

No group smaller than ``min_n`` is shown (primary suppression), and when exactly one group is
hidden, the next smallest group is hidden as well (secondary suppression): otherwise the hidden
group's n, and with it its mean, could be recovered from the total minus the groups shown.
Suppressed groups keep their row, marked, so a reader sees that a group exists but is too small.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["UNKNOWN_GROUP", "TOTAL_LABEL", "group_summary"]

#: Label of the group of rows without a group label.
UNKNOWN_GROUP: str = "(onbekend)"
#: Default label of the total row.
TOTAL_LABEL: str = "Totaal"

_RESERVED = frozenset({"group", "n", "suppressed", "suppression", "is_total"})


def group_summary(
    df: pd.DataFrame,
    by: str,
    values: list[str],
    min_n: int = 5,
    total_label: str = TOTAL_LABEL,
) -> pd.DataFrame:
    """Count and means per group, with primary and secondary suppression, and a total row.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per respondent (or ticket).
    by : str
        The grouping column; missing labels form the group ``"(onbekend)"``.
    values : list of str
        Numeric columns to average per group (missing values skipped per column).
    min_n : int
        Smallest group shown; at least 1. The policy floor (5 in ``SPEC.md``) is the caller's.
    total_label : str
        Label of the total row.

    Returns
    -------
    pandas.DataFrame
        One row per group (sorted by label, ``"(onbekend)"`` last) and a final total row, with
        columns ``group`` (str), ``n`` (nullable Int64), one mean column per entry of ``values``,
        ``suppressed`` (bool), ``suppression`` (``"primary"``, ``"secondary"`` or ``None``) and
        ``is_total`` (bool). Suppressed rows have ``n`` = NA and NaN means.

    Raises
    ------
    ValueError
        If ``min_n < 1`` or a value column has the name of an output column.
    KeyError
        If a column is missing.

    Notes
    -----
    Primary suppression: :math:`n_g < min\\_n`. Secondary: if exactly one group is primarily
    suppressed and the total is shown, :math:`n_{hidden} = n_{total} - \\sum n_{shown}` would
    give it away (and its mean from :math:`n_{total}\\bar x_{total} - \\sum n_g \\bar x_g`), so
    the smallest remaining group (the first in label order on a tie) is suppressed too. With two
    or more hidden groups only their sum can be derived. The total row itself is suppressed
    (primary) when the total n is below ``min_n``.

    References
    ----------
    Hundepool, A., et al. (2012). *Statistical Disclosure Control*, ch. 5 (tabular data:
    primary and secondary cell suppression). Wiley.
    """
    if min_n < 1:
        raise ValueError(f"min_n must be at least 1, got {min_n}")
    values = list(values)
    clash = [c for c in values if c in _RESERVED]
    if clash:
        raise ValueError(f"value columns may not be named {clash}: those names are used for the output")
    missing = [c for c in [by, *values] if c not in df.columns]
    if missing:
        raise KeyError(f"columns not found: {missing}")

    raw = df[by]
    labels = pd.Series(
        [UNKNOWN_GROUP if pd.isna(v) else str(v) for v in raw.to_numpy(dtype=object)],
        index=df.index, dtype=object,
    )
    nums = pd.DataFrame(
        {c: pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan) for c in values},
        index=df.index,
    )
    nums["__group"] = labels
    grouped = nums.groupby("__group", sort=True)
    counts = grouped.size()
    means = grouped[values].mean() if values else pd.DataFrame(index=counts.index)
    order = sorted(counts.index, key=lambda g: (g == UNKNOWN_GROUP, g))

    rows = []
    for g in order:
        row = {"group": g, "n": int(counts[g])}
        row.update({c: float(means.loc[g, c]) for c in values})
        row["suppression"] = "primary" if counts[g] < min_n else None
        rows.append(row)

    total_n = len(df)
    total_suppressed = total_n < min_n
    primary = [r for r in rows if r["suppression"] == "primary"]
    if len(primary) == 1 and not total_suppressed:
        candidates = [r for r in rows if r["suppression"] is None]
        if candidates:
            min(candidates, key=lambda r: r["n"])["suppression"] = "secondary"

    total = {"group": total_label, "n": total_n}
    total.update({c: float(nums[c].mean()) if nums[c].notna().any() else float("nan") for c in values})
    total["suppression"] = "primary" if total_suppressed else None
    rows.append(total)

    for r in rows:
        r["suppressed"] = r["suppression"] is not None
        if r["suppressed"]:
            r["n"] = pd.NA
            for c in values:
                r[c] = float("nan")

    out = pd.DataFrame(rows, columns=["group", "n", *values, "suppressed", "suppression"])
    out["group"] = out["group"].astype(object)
    out["n"] = out["n"].astype("Int64")
    for c in values:
        out[c] = out[c].astype(float)
    out["suppressed"] = out["suppressed"].astype(bool)
    out["suppression"] = pd.Series([r["suppression"] for r in rows], dtype=object)
    out["is_total"] = [False] * (len(rows) - 1) + [True]
    return out
