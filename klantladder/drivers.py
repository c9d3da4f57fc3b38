"""What matters to a client's customers: derived importance of the dimensions.

:func:`derived_importance` regresses an outcome (NPS, overall satisfaction) on the customer
survey's dimension scores: standardised OLS coefficients with intervals, variance inflation
factors, and the LMG (Shapley) decomposition of R², which stays stable when dimensions correlate,
as they always do. :func:`importance_performance` places the dimensions in Martilla & James'
quadrants; :func:`importance_weights` turns LMG shares into dimension weights.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from statsmodels.regression.linear_model import OLS
from statsmodels.tools.tools import add_constant
from scipy import stats

__all__ = [
    "DriverResult",
    "TABLE_COLUMNS",
    "MAX_PREDICTORS",
    "VIF_WARNING",
    "derived_importance",
    "lmg",
    "importance_performance",
    "importance_weights",
]

#: Columns of :attr:`DriverResult.table`, in order.
TABLE_COLUMNS: tuple[str, ...] = (
    "predictor", "beta", "ci_low", "ci_high", "p_value", "vif", "lmg", "lmg_share", "r2", "n",
)
#: The exact LMG decomposition visits all 2^p subsets; more predictors are refused.
MAX_PREDICTORS: int = 10
#: Predictors with a variance inflation factor above this are listed in ``collinearity_warning``.
VIF_WARNING: float = 5.0


@dataclass(frozen=True)
class DriverResult:
    """Derived importance of ``predictors`` for ``outcome``.

    Attributes
    ----------
    outcome : str
        The outcome column.
    table : pandas.DataFrame
        One row per retained predictor with :data:`TABLE_COLUMNS`; empty (same columns) when no
        model could be fitted, and then ``reason`` says why.
    r2 : float or None
        R² of the full model.
    n : int
        Listwise-complete rows used.
    reason : str or None
        Why ``table`` is empty, else ``None``.
    dropped : tuple of str
        Predictors dropped because they have no variance in the complete rows.
    collinearity_warning : list of str
        Predictors with VIF above :data:`VIF_WARNING`.
    notes : list of str
        Plain-language remarks for the report (dropped predictors, collinearity).
    """

    outcome: str
    table: pd.DataFrame
    r2: float | None
    n: int
    reason: str | None = None
    dropped: tuple[str, ...] = ()
    collinearity_warning: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _empty_table() -> pd.DataFrame:
    table = pd.DataFrame({c: pd.Series(dtype=float) for c in TABLE_COLUMNS})
    table["predictor"] = table["predictor"].astype(object)
    table["n"] = table["n"].astype("int64")
    return table


def _subset_r2(corr: np.ndarray) -> np.ndarray:
    """R² of the outcome (index 0 of ``corr``) on every subset of the predictors.

    Entry ``mask`` holds R² for the predictors whose bits are set in ``mask``:
    :math:`R^2_S = r_{yS}' R_{SS}^{-1} r_{yS}` (pseudo-inverse, so exact collinearity is safe).
    """
    p = corr.shape[0] - 1
    rxx, rxy = corr[1:, 1:], corr[1:, 0]
    out = np.zeros(1 << p)
    for mask in range(1, 1 << p):
        idx = [j for j in range(p) if mask >> j & 1]
        r = rxy[idx]
        out[mask] = float(r @ np.linalg.pinv(rxx[np.ix_(idx, idx)]) @ r)
    return out


def lmg(corr: np.ndarray) -> np.ndarray:
    """LMG (Shapley) shares of R² from a correlation matrix with the outcome first.

    Parameters
    ----------
    corr : numpy.ndarray
        The :math:`(p+1) \\times (p+1)` correlation matrix of outcome (row/column 0) and
        predictors, ``p <= MAX_PREDICTORS``.

    Returns
    -------
    numpy.ndarray
        One share per predictor; they sum to the full-model R².

    Notes
    -----
    .. math:: LMG_j = \\sum_{S \\subseteq P \\setminus \\{j\\}} \\frac{|S|!\\,(p - |S| - 1)!}{p!}
              \\left(R^2_{S \\cup \\{j\\}} - R^2_S\\right),

    the increase in R² from adding :math:`j`, averaged over all :math:`p!` orders of entry.
    Each subset's R² is computed once from the correlation matrix.

    References
    ----------
    Lindeman, R. H., Merenda, P. F., & Gold, R. Z. (1980). *Introduction to Bivariate and
    Multivariate Analysis*. Scott, Foresman.

    Grömping, U. (2006). Relative importance for linear regression in R: the package relaimpo.
    *Journal of Statistical Software*, 17(1), 1-27.
    """
    corr = np.asarray(corr, dtype=float)
    p = corr.shape[0] - 1
    if p < 1:
        return np.zeros(0)
    if p > MAX_PREDICTORS:
        raise ValueError(f"exact LMG supports at most {MAX_PREDICTORS} predictors, got {p}")
    r2 = _subset_r2(corr)
    weight = [math.factorial(s) * math.factorial(p - s - 1) / math.factorial(p) for s in range(p)]
    sizes = np.array([bin(m).count("1") for m in range(1 << p)])
    shares = np.zeros(p)
    masks = np.arange(1 << p)
    for j in range(p):
        without = masks[(masks >> j & 1) == 0]
        w = np.array(weight)[sizes[without]]
        shares[j] = float(np.sum(w * (r2[without | (1 << j)] - r2[without])))
    return shares


def derived_importance(data: pd.DataFrame, outcome: str, predictors: list[str]) -> DriverResult:
    """Standardised regression and LMG decomposition of an outcome on its drivers.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent with numeric ``outcome`` and ``predictors`` columns.
    outcome : str
        The column to explain (e.g. NPS answer or overall satisfaction).
    predictors : list of str
        Driver columns (dimension scores), at most :data:`MAX_PREDICTORS`.

    Returns
    -------
    DriverResult
        ``table`` has one row per predictor: standardised coefficient ``beta`` with its 95%
        interval and p-value, ``vif``, ``lmg`` (its share of R²) and ``lmg_share`` (``lmg / r2``),
        plus the model's ``r2`` and ``n``. With fewer than ``p + 10`` complete rows, or an
        outcome without variance, ``table`` is empty and ``reason`` says why.

    Raises
    ------
    KeyError
        If a column is missing.
    ValueError
        With more than :data:`MAX_PREDICTORS` predictors.

    Notes
    -----
    Rows missing any of the columns are dropped (listwise). Outcome and predictors are
    z-scored (ddof = 1) and fitted by OLS (the numbers of statsmodels' OLS, computed from the
    cross-product matrix; see :func:`_ols`), so
    :math:`\\beta_j = b_j\\, s_{x_j} / s_y`. :math:`VIF_j = 1/(1 - R^2_j)` with :math:`R^2_j`
    from regressing predictor :math:`j` on the others; above 5 the individual betas are unstable
    and the LMG shares are the better guide. LMG: see :func:`lmg`.

    References
    ----------
    Lindeman, Merenda & Gold (1980); Grömping, U. (2006). *Journal of Statistical Software*,
    17(1). Johnson, J. W., & LeBreton, J. M. (2004). History and use of relative importance
    indices in organizational research. *Organizational Research Methods*, 7(3), 238-257.
    """
    predictors = list(dict.fromkeys(predictors))
    if outcome in predictors:
        raise ValueError(f"outcome {outcome!r} is also listed as a predictor")
    if len(predictors) > MAX_PREDICTORS:
        raise ValueError(f"derived importance supports at most {MAX_PREDICTORS} predictors, got {len(predictors)}")
    missing_cols = [c for c in [outcome, *predictors] if c not in data.columns]
    if missing_cols:
        raise KeyError(f"columns not found: {missing_cols}")
    cols = [outcome, *predictors]
    frame = pd.DataFrame(
        data[cols].to_numpy(dtype=float, na_value=np.nan), columns=cols
    ).dropna(axis=0, how="any")
    n = len(frame)
    sd = frame.std(ddof=1) if n >= 2 else pd.Series(0.0, index=cols)
    dropped = tuple(c for c in predictors if not (np.isfinite(sd[c]) and sd[c] > 0))
    kept = [c for c in predictors if c not in dropped]
    notes = []
    if dropped:
        notes.append(f"Dropped predictors without variance: {', '.join(dropped)}.")

    def empty(reason: str) -> DriverResult:
        return DriverResult(outcome=outcome, table=_empty_table(), r2=None, n=n, reason=reason,
                            dropped=dropped, notes=notes)

    if not kept:
        return empty("No predictor with variance left.")
    if n < len(kept) + 10:
        return empty(f"Too few complete rows: n = {n}, need at least {len(kept) + 10} "
                     f"({len(kept)} predictors + 10).")
    if not (np.isfinite(sd[outcome]) and sd[outcome] > 0):
        return empty(f"The outcome {outcome!r} has no variance.")

    used = [outcome, *kept]
    values = frame[used].to_numpy()
    z = (values - values.mean(axis=0)) / sd[used].to_numpy()
    fit = _ols(z[:, 0], add_constant(z[:, 1:], has_constant="add"))
    ci = fit.ci
    r2 = fit.r2
    corr = np.corrcoef(z, rowvar=False)  # complete rows: the plain correlation matrix
    vif = _vif(corr[1:, 1:])
    shares = lmg(corr)
    table = pd.DataFrame({
        "predictor": pd.Series(kept, dtype=object),
        "beta": fit.params[1:],
        "ci_low": ci[1:, 0],
        "ci_high": ci[1:, 1],
        "p_value": fit.p_values[1:],
        "vif": vif,
        "lmg": shares,
        "lmg_share": shares / r2 if r2 > 0 else np.full(len(kept), np.nan),
        "r2": r2,
        "n": n,
    })
    warn = [c for c, v in zip(kept, vif) if not v <= VIF_WARNING]
    if warn:
        notes.append(f"Strong collinearity (VIF > {VIF_WARNING:g}): {', '.join(warn)}; "
                     "read the LMG shares rather than the individual betas.")
    return DriverResult(outcome=outcome, table=table, r2=r2, n=n, reason=None, dropped=dropped,
                        collinearity_warning=warn, notes=notes)


#: Above this condition number of X'X the design is (nearly) collinear and the regression is
#: fitted by statsmodels on the design itself (pseudo-inverse), where precision is not squared.
CROSS_PRODUCT_MAX_COND: float = 1e8


@dataclass(frozen=True)
class _Fit:
    """What the driver table needs from an OLS fit: coefficients, 95% intervals, p-values, R²."""

    params: np.ndarray
    ci: np.ndarray
    p_values: np.ndarray
    r2: float


def _ols(y: np.ndarray, x: np.ndarray) -> _Fit:
    """OLS of ``y`` on the design ``x`` (constant included): the numbers of statsmodels'
    ``OLS(y, x).fit()``, computed from the cross-product matrix X'X.

    X'X is a (p+1) x (p+1) matrix, one pass over the rows, so a million respondents cost a
    matrix product instead of a singular value decomposition of the whole design. Coefficients
    solve X'X b = X'y; residuals, R², standard errors (diagonal of (X'X)^-1 times the residual
    variance), t-based p-values and intervals follow statsmodels' definitions. A nearly collinear
    design (condition number of X'X above :data:`CROSS_PRODUCT_MAX_COND`) is fitted by
    statsmodels itself, whose pseudo-inverse handles it.
    """
    xtx = x.T @ x
    if not np.linalg.cond(xtx) < CROSS_PRODUCT_MAX_COND:
        fit = OLS(y, x).fit(method="pinv")
        return _Fit(np.asarray(fit.params), np.asarray(fit.conf_int(0.05)), np.asarray(fit.pvalues),
                    float(fit.rsquared))
    cov = np.linalg.inv(xtx)
    params = np.linalg.solve(xtx, x.T @ y)
    resid = y - x @ params
    df_resid = y.size - x.shape[1]
    se = np.sqrt(np.diag(cov) * (resid @ resid / df_resid))
    p_values = 2 * stats.t.sf(np.abs(params / se), df_resid)
    half = stats.t.ppf(0.975, df_resid) * se
    centred = y - y.mean()
    r2 = float(1 - (resid @ resid) / (centred @ centred))
    return _Fit(params, np.column_stack([params - half, params + half]), p_values, r2)


def _vif(rxx: np.ndarray) -> list[float]:
    """Variance inflation factors from the predictors' correlation matrix.

    :math:`VIF_j = 1/(1 - R^2_j) = (R_{xx}^{-1})_{jj}` for a model with an intercept, the
    same numbers as ``statsmodels``' ``variance_inflation_factor`` without refitting a
    regression per predictor; infinite under exact collinearity.
    """
    k = rxx.shape[0]
    if k == 1:
        return [1.0]
    try:
        inv = np.linalg.inv(rxx)
    except np.linalg.LinAlgError:
        return [float("inf")] * k
    d = np.diag(inv)
    cond = np.linalg.cond(rxx)
    return [float(v) if np.isfinite(v) and cond < 1e12 else float("inf") for v in d]


def importance_performance(importance: pd.Series, performance: pd.Series) -> pd.DataFrame:
    """Importance-performance analysis: Martilla & James quadrant per dimension.

    Parameters
    ----------
    importance : pandas.Series
        Importance per dimension (index), e.g. LMG shares.
    performance : pandas.Series
        Performance per dimension (index), e.g. the customers' dimension scores.

    Returns
    -------
    pandas.DataFrame
        Columns ``dimension``, ``importance``, ``performance``, ``quadrant`` for the dimensions
        present (non-missing) in both; ``quadrant`` is one of ``"concentrate_here"`` (high
        importance, low performance), ``"keep_up"`` (high, high), ``"low_priority"`` (low, low)
        and ``"possible_overkill"`` (low importance, high performance).

    Notes
    -----
    The axes are split at the mean of each axis over the dimensions shown (a data-centred
    split, which keeps the quadrants populated whatever the scale); a value equal to the mean
    counts as high.

    References
    ----------
    Martilla, J. A., & James, J. C. (1977). Importance-performance analysis. *Journal of
    Marketing*, 41(1), 77-79.
    """
    both = pd.concat({"importance": importance.astype(float), "performance": performance.astype(float)},
                     axis=1, join="inner").dropna()
    hi_imp = both["importance"] >= both["importance"].mean()
    hi_perf = both["performance"] >= both["performance"].mean()
    quadrant = np.select(
        [hi_imp & ~hi_perf, hi_imp & hi_perf, ~hi_imp & ~hi_perf],
        ["concentrate_here", "keep_up", "low_priority"],
        default="possible_overkill",
    )
    return pd.DataFrame({
        "dimension": pd.Series([str(i) for i in both.index], dtype=object),
        "importance": both["importance"].to_numpy(),
        "performance": both["performance"].to_numpy(),
        "quadrant": pd.Series(quadrant, dtype=object),
    })


def importance_weights(lmg_share: pd.Series, floor: float = 0.05) -> pd.Series:
    """Normalised dimension weights from importance shares, each at least ``floor``.

    Parameters
    ----------
    lmg_share : pandas.Series
        Importance per dimension (index); negative or missing values count as 0.
    floor : float
        Minimum weight of every dimension, ``0 <= floor * len(lmg_share) <= 1``.

    Returns
    -------
    pandas.Series
        Weights, same index, summing to 1 and each ``>= floor``; equal weights if all shares are 0.

    Notes
    -----
    Shares are normalised to sum to 1; dimensions under the floor are set to it and the
    remaining mass :math:`1 - m \\cdot floor` is divided among the others in proportion to their
    shares, repeated until no weight is below the floor. A floor keeps a dimension that happens
    not to drive this survey's outcome in the score.
    """
    k = len(lmg_share)
    if k == 0:
        return lmg_share.astype(float)
    if floor < 0 or floor * k > 1 + 1e-12:
        raise ValueError(f"floor must satisfy 0 <= floor * {k} <= 1, got floor = {floor}")
    s = lmg_share.astype(float).fillna(0.0).clip(lower=0.0).to_numpy()
    if s.sum() <= 0:
        return pd.Series(np.full(k, 1.0 / k), index=lmg_share.index)
    w = s / s.sum()
    fixed = np.zeros(k, dtype=bool)
    while True:
        free = ~fixed
        mass = 1.0 - floor * fixed.sum()
        sf = s[free].sum()
        w = np.where(fixed, floor, 0.0)
        if sf > 0:
            w[free] = mass * s[free] / sf
        elif free.any():
            w[free] = mass / free.sum()
        below = free & (w < floor)
        if not below.any():
            break
        fixed |= below
    return pd.Series(w, index=lmg_share.index)
