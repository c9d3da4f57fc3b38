"""Breakdowns by segment, channel or department with minimum-n suppression.

No group smaller than ``min_n`` is shown (primary suppression), and when exactly one group is
hidden, the next smallest group is hidden as well (secondary suppression): otherwise the hidden
group's n, and with it its mean, could be recovered from the total minus the groups shown.
Suppressed groups keep their row, marked, so a reader sees that a group exists but is too small.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Collection, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.stats import t as student_t

from .intervals import proportion_estimate
from .resampling import cluster_codes

__all__ = ["UNKNOWN_GROUP", "TOTAL_LABEL", "LISTED_SMALL_GROUPS", "SMALL_GROUPS", "DIFFERENCE_ALPHA",
           "Difference", "group_codes", "group_summary", "segment_table", "collapse_small_groups", "holm",
           "value_columns", "clustered_differences", "ClusteredGroups", "MIN_CLUSTERS", "holm_differences",
           "directions", "INTERVAL_LEVEL", "table_records", "measure_bounds"]

#: Label of the group of rows without a group label.
UNKNOWN_GROUP: str = "(onbekend)"
#: Default label of the total row.
TOTAL_LABEL: str = "Totaal"

_RESERVED = frozenset({"group", "n", "suppressed", "suppression", "is_total"})
#: Per-row marks of a breakdown, in ``attrs`` of :func:`segment_table` or as columns of its readers.
_MARKS = frozenset({"suppressed_values", "differences", "intervals"})


def value_columns(table: pd.DataFrame) -> list[str]:
    """The value columns of a breakdown (:func:`group_summary`, :func:`segment_table`, with or
    without its marks as columns), in their order."""
    return [c for c in table.columns if c not in _RESERVED and c not in _MARKS]


def measure_bounds(values: Sequence[str]) -> dict[str, tuple[float, float]]:
    """The range of each measure the report's breakdowns show, for :func:`segment_table`'s
    ``bounds``: NPS (``nps``) -100 to 100, every other one (dimension scores, shares in percent)
    0 to 100."""
    return {c: (-100.0, 100.0) if c == "nps" else (0.0, 100.0) for c in values}


#: At most this many groups hidden for being too small are listed by name; more are shown as one
#: row that counts them (:func:`collapse_small_groups`).
LISTED_SMALL_GROUPS = 5

#: The ``group`` of the row standing for all groups too small to show.
SMALL_GROUPS = "\x00small-groups"

#: Confidence level of each shown cell's interval (:func:`segment_table`).
INTERVAL_LEVEL = 0.95

#: A cell's sum of squares about its own mean this small relative to the one about the total's
#: mean is zero up to rounding: answers that do not vary get an interval of width 0.
_ROUNDING = 1e-12

#: Family-wise error rate of the comparisons of each group with the rest (Holm) in one table.
DIFFERENCE_ALPHA = 0.05


@dataclass(frozen=True)
class Difference:
    """A shown group's mean minus the mean of the rest (every other row with an answer, hidden
    groups included) for one value column: the two-sided p-value of its test (Welch's for the
    breakdowns, :func:`clustered_differences` for tickets) and that p-value adjusted by Holm's
    method over all comparisons in the table. ``beyond_noise`` when the adjusted p-value is below
    :data:`DIFFERENCE_ALPHA`."""

    diff: float
    p: float
    p_adjusted: float

    def __deepcopy__(self, memo: dict) -> "Difference":
        """Itself: it cannot change. pandas deep-copies a table's ``attrs``, where these live, on
        every operation on the table."""
        return self

    @property
    def beyond_noise(self) -> bool:
        return bool(self.p_adjusted < DIFFERENCE_ALPHA)

    @property
    def direction(self) -> int:
        """+1 above the rest, -1 below, 0 within the noise."""
        return int(np.sign(self.diff)) if self.beyond_noise else 0


def table_records(table: pd.DataFrame) -> list[dict]:
    """``table.to_dict(orient="records")`` without its ``attrs``: pandas deep-copies a table's
    ``attrs`` (a breakdown's marks) into every row it hands out, which is most of the cost."""
    plain = table.copy(deep=False)
    plain.attrs = {}
    return plain.to_dict(orient="records")


def collapse_small_groups(rows: list[dict]) -> list[dict]:
    """A breakdown's rows (records of :func:`segment_table`) as the report, the workbook and
    ``scores.json`` show them: as they are, except that more than :data:`LISTED_SMALL_GROUPS`
    groups hidden for being too small become one row, ``group`` :data:`SMALL_GROUPS` with their
    number in ``small_groups``, placed before the total. A segment column holding near-unique
    values (a postcode, a name) would otherwise list every respondent's label, each a group of one.
    """
    small = [r for r in rows if r["suppressed"] and r.get("suppression") == "primary" and not r.get("is_total")]
    if len(small) <= LISTED_SMALL_GROUPS:
        return rows
    kept = [r for r in rows if not any(r is x for x in small)]
    summary = {**{k: None for k in small[0]}, "group": SMALL_GROUPS, "small_groups": len(small), "n": None,
               "suppressed": True, "suppression": "primary", "is_total": False}
    at = next((i for i, r in enumerate(kept) if r.get("is_total")), len(kept))
    return kept[:at] + [summary] + kept[at:]


def _numeric(s: pd.Series) -> np.ndarray:
    return pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


@dataclass(frozen=True)
class _GroupStats:
    """Per group label: rows, means and non-missing counts; and per value column the total's
    mean. For the comparisons with the rest, per group the sums of the answers' deviations from
    the total's mean (``centred``) and of their squares (``squares``): the rest's follow by
    subtraction from the column's sum, and centring keeps the variances exact for scores far
    from 0."""

    counts: pd.Series
    means: pd.DataFrame
    answered: pd.DataFrame
    total_means: dict[str, float]
    centred: pd.DataFrame
    squares: pd.DataFrame


def group_codes(labels: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Each row's group as a code into the groups' names (in order of first appearance): the
    labels as text, a missing label the group :data:`UNKNOWN_GROUP`, and labels that read the same
    (1 and "1", a label "(onbekend)" and a missing one) one group. The column is factorised once,
    so a million rows take milliseconds."""
    codes, uniques = pd.factorize(labels, use_na_sentinel=True)
    codes = np.asarray(codes, dtype=np.int64)
    names = [str(u) for u in uniques]
    if (codes < 0).any():
        codes = np.where(codes < 0, len(names), codes)
        names.append(UNKNOWN_GROUP)
    merged, distinct = pd.factorize(pd.Index(names, dtype=object))
    if len(distinct) < len(names):
        codes = np.asarray(merged, dtype=np.int64)[codes]
        names = [str(n) for n in distinct]
    return codes, names


def _group_stats(df: pd.DataFrame, by: str, values: list[str]) -> _GroupStats:
    """Rows, means and non-missing counts per group (:func:`group_codes`), and the mean of each
    value column over all rows."""
    codes, names = group_codes(df[by])
    k = len(names)
    rows = np.bincount(codes, minlength=k)
    sums, cnts, centred, squares = (np.zeros((k, len(values))) for _ in range(4))
    total = {}
    for j, c in enumerate(values):
        x = _numeric(df[c])
        missing = np.isnan(x)
        answered = x.size - int(np.count_nonzero(missing))
        total[c] = float(x.sum(where=~missing) / answered) if answered else float("nan")  # as Series.mean()
        # Deviations from the total's mean (not from zero): no cancellation for scores far from 0.
        dev = np.subtract(x, total[c] if answered else 0.0)
        dev[missing] = 0.0
        cnts[:, j] = np.bincount(codes[~missing], minlength=k) if answered < x.size else rows
        centred[:, j] = np.bincount(codes, weights=dev, minlength=k)
        np.multiply(dev, dev, out=dev)
        squares[:, j] = np.bincount(codes, weights=dev, minlength=k)
        if answered:
            sums[:, j] = centred[:, j] + cnts[:, j] * total[c]
    index = pd.Index(names, dtype=object)
    counts = pd.Series(rows, index=index)
    s_sum, s_cnt, s_dev, s_sq = (pd.DataFrame(a, index=index, columns=values) for a in (sums, cnts, centred, squares))
    with np.errstate(invalid="ignore", divide="ignore"):
        means = s_sum / s_cnt.where(s_cnt > 0)
    return _GroupStats(counts, means, s_cnt.astype(int), total, s_dev, s_sq)


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
    values = list(values)
    _check_columns(df, by, values, min_n)
    return _summary_table(_group_stats(df, by, values), len(df), values, min_n, total_label)


def _check_columns(df: pd.DataFrame, by: str, values: list[str], min_n: int) -> None:
    """The argument checks of :func:`group_summary` (ValueError, KeyError)."""
    if min_n < 1:
        raise ValueError(f"min_n must be at least 1, got {min_n}")
    clash = [c for c in values if c in _RESERVED]
    if clash:
        raise ValueError(f"value columns may not be named {clash}: those names are used for the output")
    missing = [c for c in [by, *values] if c not in df.columns]
    if missing:
        raise KeyError(f"columns not found: {missing}")


def _summary_table(stats: _GroupStats, total_n: int, values: list[str], min_n: int, total_label: str
                   ) -> pd.DataFrame:
    """:func:`group_summary`'s table from the group statistics."""
    counts, means = stats.counts, stats.means
    order = sorted(counts.index, key=lambda g: (g == UNKNOWN_GROUP, g))

    rows = []
    for g in order:
        row = {"group": g, "n": int(counts[g])}
        row.update({c: float(means.loc[g, c]) for c in values})
        row["suppression"] = "primary" if counts[g] < min_n else None
        rows.append(row)

    total_suppressed = total_n < min_n
    primary = [r for r in rows if r["suppression"] == "primary"]
    if len(primary) == 1 and not total_suppressed:
        candidates = [r for r in rows if r["suppression"] is None]
        if candidates:
            min(candidates, key=lambda r: r["n"])["suppression"] = "secondary"

    total = {"group": total_label, "n": total_n}
    total.update({c: stats.total_means[c] for c in values})
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


def segment_table(
    df: pd.DataFrame,
    by: str,
    values: list[str],
    min_n: int = 5,
    total_label: str = TOTAL_LABEL,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    shares: Collection[str] = (),
) -> pd.DataFrame:
    """:func:`group_summary` with suppression per cell as well as per group.

    Parameters
    ----------
    df, by, values, min_n, total_label
        As for :func:`group_summary`.
    bounds : mapping, optional
        The lowest and highest value a column can take (a score 0-100, NPS -100 to 100): its
        intervals are clipped to them.
    shares : collection of str
        Columns that are 0/100 indicators (a share in percent, such as retention): their
        intervals are Wilson's instead of Student's.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`group_summary` (so any reader of those tables reads these);
        ``attrs["suppressed_values"]`` holds, per row, a tuple of the value columns whose cell
        is hidden although the group itself is shown. A hidden cell is NaN.
        ``attrs["differences"]`` holds, per row, each shown cell's comparison with the rest
        (:class:`Difference`), and ``attrs["intervals"]`` each shown cell's
        :data:`INTERVAL_LEVEL` confidence interval of its mean, ``(low, high)``: Student's
        :math:`\bar x \pm t_{0.975,\,n-1}\, s/\sqrt n` over the cell's answers (each row one
        respondent, independent), or Wilson's for ``shares``. A hidden cell, a hidden group, a
        cell of one answer and (but for ``shares``) a cell whose answers do not vary have none:
        an interval of width 0 would claim a certainty that no sample gives.

    Notes
    -----
    A mean rests on the respondents who answered that column, which can be fewer than the
    group's n. Per value column: a shown cell with fewer than ``min_n`` answers (but at least
    one) is hidden (primary); if then exactly one cell of the column that holds answers is hidden,
    counting the rows hidden by :func:`group_summary` that hold answers to it (a hidden group
    without answers adds nothing to the total), while the total's cell is shown, the shown cell with
    the fewest answers is hidden too (secondary; the first in label order on a tie), for the
    same reason as in :func:`group_summary`. A total cell with fewer than ``min_n`` answers is
    hidden as well.

    References
    ----------
    Hundepool, A., et al. (2012). *Statistical Disclosure Control*, ch. 5. Wiley.
    """
    values = list(values)
    _check_columns(df, by, values, min_n)
    stats = _group_stats(df, by, values)
    table = _summary_table(stats, len(df), values, min_n, total_label)
    answered = stats.answered
    groups = table["group"].tolist()
    hidden: list[set[str]] = [set() for _ in groups]
    total_row = len(groups) - 1
    for c in values:
        counts = {g: int(answered[c].get(g, 0)) for g in groups[:-1]}
        total_count = int(sum(counts.values()))
        shown = [i for i in range(total_row) if not table.at[i, "suppressed"]]
        small = [i for i in shown if 0 < counts[groups[i]] < min_n]
        for i in small:
            hidden[i].add(c)
        # Hidden cells that hold answers: a hidden group without answers to this column adds nothing
        # to its total, so hiding it protects no other cell.
        n_hidden = sum(bool(table.at[i, "suppressed"]) and counts[groups[i]] > 0 for i in range(total_row)) + len(small)
        total_shown = not table.at[total_row, "suppressed"] and total_count >= min_n
        if n_hidden == 1 and total_shown:
            rest = [i for i in shown if i not in small and counts[groups[i]] > 0]
            if rest:
                hidden[min(rest, key=lambda i: counts[groups[i]])].add(c)
        if not table.at[total_row, "suppressed"] and 0 < total_count < min_n:
            hidden[total_row].add(c)
    for i, cols in enumerate(hidden):
        for c in cols:
            table.at[i, c] = np.nan
    table.attrs["suppressed_values"] = [tuple(sorted(h, key=list(values).index)) for h in hidden]
    table.attrs["differences"] = _differences(stats, table, values, hidden)
    table.attrs["intervals"] = _intervals(stats, table, values, hidden, bounds or {}, shares)
    return table


def _intervals(stats_: _GroupStats, table: pd.DataFrame, values: list[str], hidden: list[set[str]],
               bounds: Mapping[str, tuple[float, float]], shares: Collection[str] = ()
               ) -> list[dict[str, tuple[float, float]]]:
    """Per row of the table (the total last), the confidence interval of each shown cell's mean
    (see :func:`segment_table`), from the groups' counts and centred sums and squares."""
    groups = table["group"].tolist()[:-1]
    out: list[dict[str, tuple[float, float]]] = [{} for _ in range(len(groups) + 1)]
    if not values:
        return out
    at = stats_.answered.index.get_indexer(groups)
    arrays = [f.reindex(columns=values).to_numpy(dtype=float) for f in (stats_.answered, stats_.centred, stats_.squares)]
    n, s_, q = (np.vstack([x[at], x.sum(axis=0)]) for x in arrays)  # the groups' rows, then the total's
    centre = np.array([stats_.total_means[c] for c in values])
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = centre + s_ / n
        within = q - s_ * s_ / n  # the sum of squares about the cell's own mean
        within[within <= _ROUNDING * q] = 0.0  # zero up to rounding (q is about the total's mean)
        sd = np.sqrt(within / (n - 1))
        half = student_t.ppf(0.5 + INTERVAL_LEVEL / 2, n - 1) * sd / np.sqrt(n)
    suppressed = table["suppressed"].to_numpy(dtype=bool)
    for i in range(len(out)):
        if suppressed[i]:
            continue
        for j, c in enumerate(values):
            if c in hidden[i] or not n[i, j] >= 2:
                continue
            if c in shares:  # Wilson's, as the KPIs: it has width even where every answer agrees
                e = proportion_estimate(int(round(mean[i, j] * n[i, j] / 100.0)), int(n[i, j]))
                low_, high_ = e.ci_low, e.ci_high
            elif sd[i, j] > 0 and np.isfinite(half[i, j]):
                low_, high_ = mean[i, j] - half[i, j], mean[i, j] + half[i, j]
            else:  # answers that do not vary: no interval of width 0
                continue
            low, high = bounds.get(c, (-np.inf, np.inf))
            out[i][c] = (float(max(low_, low)), float(min(high_, high)))
    return out


def _welch(n1: np.ndarray, s1: np.ndarray, q1: np.ndarray, n2: np.ndarray, s2: np.ndarray, q2: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray]:
    """Welch's test of pairs of groups from their counts, sums and sums of squares of the centred
    answers (arrays, one pair per element): mean 1 - mean 2 and the two-sided p-value, NaN where
    either group has fewer than two answers or neither varies (no standard error)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        m1, m2 = s1 / n1, s2 / n2
        v1 = np.maximum(q1 - s1 * m1, 0.0) / (n1 - 1)  # sample variances (ddof 1)
        v2 = np.maximum(q2 - s2 * m2, 0.0) / (n2 - 1)
        a, b = v1 / n1, v2 / n2
        se2 = a + b
        df = se2 ** 2 / (a ** 2 / (n1 - 1) + b ** 2 / (n2 - 1))
        t = (m1 - m2) / np.sqrt(se2)
        p = 2 * student_t.sf(np.abs(t), df)
    ok = (n1 >= 2) & (n2 >= 2) & (se2 > 0)
    return np.where(ok, m1 - m2, np.nan), np.where(ok, p, np.nan)


def holm(p: np.ndarray) -> np.ndarray:
    """Holm's (1979) step-down adjusted p-values: the k-th smallest of m times (m - k + 1), made
    non-decreasing in that order and capped at 1 (as ``statsmodels.stats.multitest.multipletests``
    with ``method="holm"``, which takes some 50 ms a call; this takes microseconds)."""
    p = np.asarray(p, dtype=float)
    m = p.size
    order = np.argsort(p, kind="stable")
    stepped = np.minimum(1.0, np.maximum.accumulate(p[order] * (m - np.arange(m))))
    out = np.empty(m)
    out[order] = stepped
    return out


#: A group or its rest with tickets of fewer customers than this is not compared: with few
#: clusters even the bias-reduced test below says "beyond the noise" too often (simulated in
#: ``docs/methodology.md``).
MIN_CLUSTERS = 10


def clustered_differences(values: np.ndarray, groups: np.ndarray, clusters: np.ndarray, k: int
                          ) -> tuple[np.ndarray, np.ndarray]:
    """Each group's mean minus the mean of all other rows, with a test that allows for rows
    clustered in units (tickets of one customer), for every group code ``0 .. k-1`` at once.

    Parameters
    ----------
    values : numpy.ndarray
        One value per row (an indicator 0/1, or 0/100); NaN rows take no part.
    groups : numpy.ndarray
        The row's group code, ``0 .. k-1``.
    clusters : numpy.ndarray
        The row's cluster number (``pd.factorize`` codes); a negative number is a cluster of its
        own (a ticket whose customer is unknown).
    k : int
        The number of groups.

    Returns
    -------
    (diff, p) : tuple of numpy.ndarray
        Per group: its mean minus the rest's, and the two-sided p-value; NaN where the group or
        the rest has values in fewer than :data:`MIN_CLUSTERS` clusters, or the difference has no
        standard error.

    Notes
    -----
    The difference is the coefficient of a least-squares fit of the values on an indicator of the
    group. Its standard error is the bias-reduced cluster-robust one, CR2 (Bell & McCaffrey 2002),
    which for this model has a closed form: a cluster's residuals in the group, summed
    (:math:`S_{Ac}`, over :math:`m_{Ac}` rows), and in the rest (:math:`S_{Bc}`, :math:`m_{Bc}`)
    give

    .. math:: a_c = \\frac{S_{Ac}}{n_A\\sqrt{1 - m_{Ac}/n_A}}, \\quad
              b_c = \\frac{S_{Bc}}{n_B\\sqrt{1 - m_{Bc}/n_B}}, \\quad
              \\widehat{V} = \\sum_c (a_c - b_c)^2,

    and the p-value comes from a t distribution with the Welch-Satterthwaite degrees of freedom
    of the two sides, :math:`(V_A + V_B)^2 / (V_A^2/(G_A - 1) + V_B^2/(G_B - 1))` with
    :math:`V_A = \\sum_c a_c^2`, :math:`V_B = \\sum_c b_c^2` and :math:`G_A`, :math:`G_B` the
    clusters with rows in each. With every row its own cluster this is exactly Welch's test; with
    clusters of equal size, each in one group, Welch's test on the cluster means.
    """
    return ClusteredGroups(groups, clusters, k).differences(values)


class ClusteredGroups:
    """Rows in ``k`` groups and in clusters, numbered once for :meth:`differences` of several
    value columns over the same rows (:func:`clustered_differences`).

    ``groups``: each row's group code ``0 .. k-1``; ``clusters``: its cluster number, a negative
    one being a cluster of its own.
    """

    def __init__(self, groups: np.ndarray, clusters: np.ndarray, k: int) -> None:
        g = np.asarray(groups, dtype=np.int64)
        c = cluster_codes(np.asarray(clusters))
        if c.size:
            c = (np.cumsum(np.bincount(c) > 0) - 1)[c]  # numbered 0 .. clusters - 1
        self.k = k
        self.clusters = int(c.max()) + 1 if c.size else 0
        self.key = g * self.clusters + c  # group-major: the sums below are groups x clusters, long rows

    def differences(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:func:`clustered_differences` of ``values`` (one per row, NaN taking no part)."""
        k = self.k
        nan = np.full(k, np.nan)
        values = np.asarray(values, dtype=float)
        ok = ~np.isnan(values)
        n_rows = int(ok.sum())
        if n_rows < 3 or k == 0:
            return nan, nan.copy()
        size = self.clusters * k
        count = np.bincount(self.key, weights=ok.astype(np.float64), minlength=size).reshape(k, -1)
        total = np.bincount(self.key, weights=np.where(ok, values, 0.0), minlength=size).reshape(k, -1)
        count_c, total_c = count.sum(axis=0), total.sum(axis=0)  # per cluster
        n_a, s_a = count.sum(axis=1), total.sum(axis=1)
        n_b, s_b = n_rows - n_a, total_c.sum() - s_a
        rest_count = count_c - count
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_a, mean_b = s_a / n_a, s_b / n_b
            # a = (T - N mean_a) / (n_a sqrt(1 - N/n_a)) per group and cluster, and b the same for
            # the rest (arrays of groups x clusters); 0 where a cluster has no rows there. A group
            # whose rows are all in one cluster gets 0/0 (NaN): it is not tested anyway.
            a = np.multiply(count, mean_a[:, None])
            np.subtract(total, a, out=a)  # the cluster's residuals in the group, summed
            _cr2_scale(a, count, n_a[:, None])
            b = np.multiply(rest_count, mean_b[:, None])
            np.subtract(total_c, b, out=b)
            b -= total  # and in the rest
            _cr2_scale(b, rest_count, n_b[:, None])
            var_a, var_b = np.einsum("jc,jc->j", a, a), np.einsum("jc,jc->j", b, b)
            a -= b
            se = np.sqrt(np.einsum("jc,jc->j", a, a))
            g_a, g_b = np.count_nonzero(count, axis=1), np.count_nonzero(rest_count, axis=1)
            df = (var_a + var_b) ** 2 / (var_a ** 2 / (g_a - 1) + var_b ** 2 / (g_b - 1))
            diff = mean_a - mean_b
            p = 2 * student_t.sf(np.abs(diff / se), df)
        scale = np.maximum(1.0, np.maximum(np.abs(mean_a), np.abs(mean_b)))
        valid = ((np.minimum(g_a, g_b) >= MIN_CLUSTERS) & (se > 1e-9 * scale) & np.isfinite(se)
                 & np.isfinite(p))  # else too few clusters, or no standard error but rounding
        return np.where(valid, diff, np.nan), np.where(valid, p, np.nan)


def _cr2_scale(sums: np.ndarray, counts: np.ndarray, n: np.ndarray) -> None:
    """CR2's scaling of a cluster's summed residuals on one side, in place:
    ``sums / (n * sqrt(1 - counts / n))`` (``counts``: the cluster's rows on that side, ``n``:
    all rows there)."""
    denominator = np.divide(counts, n)
    np.subtract(1.0, denominator, out=denominator)
    np.sqrt(denominator, out=denominator)
    denominator *= n
    sums /= denominator


def _differences(stats_: _GroupStats, table: pd.DataFrame, values: list[str], hidden: list[set[str]]
                 ) -> list[dict[str, Difference]]:
    """Per row of the table, the shown cells whose group differs from the rest of the table's
    rows (see :class:`Difference`), Holm-adjusted over every comparison made in the table; hidden
    groups and cells and the total are not compared (but count in the rest)."""
    groups = table["group"].tolist()[:-1]
    if not groups or not values:
        return [{} for _ in range(len(groups) + 1)]
    at = stats_.answered.index.get_indexer(groups)
    arrays = [f.reindex(columns=values).to_numpy(dtype=float) for f in (stats_.answered, stats_.centred, stats_.squares)]
    (n, s_, q), (n_all, s_all, q_all) = [x[at] for x in arrays], [x.sum(axis=0) for x in arrays]
    diff, p = _welch(n, s_, q, n_all - n, s_all - s_, q_all - q)
    shown = ~table["suppressed"].to_numpy(dtype=bool)[:-1, None] & np.array(
        [[c not in hidden[i] for c in values] for i in range(len(groups))], dtype=bool).reshape(len(groups), -1)
    rows, cols = np.nonzero(shown & ~np.isnan(p))
    return holm_differences([(i, values[j], diff[i, j], p[i, j]) for i, j in zip(rows, cols)], len(groups) + 1)


def holm_differences(cells: Sequence[tuple[int, str, float, float]], rows: int) -> list[dict[str, Difference]]:
    """Per row of a table, its compared cells as :class:`Difference`: ``cells`` are (row, column,
    difference, p-value), and the p-values are adjusted by :func:`holm` over all of them."""
    out: list[dict[str, Difference]] = [{} for _ in range(rows)]
    if cells:
        for (i, column, d, p), q in zip(cells, holm(np.array([c[3] for c in cells]))):
            out[i][column] = Difference(float(d), float(p), float(q))
    return out


def directions(differences: Mapping[str, Difference] | None) -> dict[str, int]:
    """Per compared column: +1 where the group lies above the rest beyond the noise, -1 below;
    columns within the noise are left out (:attr:`Difference.direction`)."""
    return {c: d.direction for c, d in (differences or {}).items() if d.direction}
