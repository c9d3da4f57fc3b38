"""Internal consistency of the items of one dimension: Cronbach's alpha and item statistics.

Alpha is computed from the item covariance matrix. With ``missing="pairwise"`` (the default)
each covariance uses every respondent who answered both items, as R ``psych::alpha`` does with
``use = "pairwise"`` and :func:`pingouin.cronbach_alpha` does by default; with ``"listwise"`` only
respondents who answered every item are used. Degenerate input (fewer than two items, fewer than
three respondents, no variance) gives NaN, never an exception, so a report can say "not enough
data" instead of crashing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

__all__ = ["AlphaResult", "MIN_RESPONDENTS", "PairwiseMoments", "pairwise_moments", "cronbach_alpha",
           "item_rest_correlations"]

#: Fewer respondents than this (answering at least two items) gives alpha NaN.
MIN_RESPONDENTS: int = 3

Missing = Literal["pairwise", "listwise"]


@dataclass(frozen=True)
class AlphaResult:
    """Cronbach's alpha of one set of items.

    Attributes
    ----------
    alpha : float
        Raw alpha from the covariance matrix (NaN when it cannot be computed).
    alpha_std : float
        Standardized alpha from the average inter-item correlation.
    n_items : int
        Number of items (columns).
    n : int
        Respondents used: with ``pairwise``, those who answered at least two items; with
        ``listwise``, those who answered all of them.
    average_r : float
        Mean of the off-diagonal inter-item correlations.
    """

    alpha: float
    alpha_std: float
    n_items: int
    n: int
    average_r: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready ``{"alpha", "alpha_std", "n_items", "n"}``: 4 decimals, NaN as ``None``."""

        def r(x: float) -> float | None:
            return None if x is None or not np.isfinite(x) else round(float(x), 4)

        return {"alpha": r(self.alpha), "alpha_std": r(self.alpha_std), "n_items": self.n_items, "n": self.n}


def _numeric(items: pd.DataFrame) -> pd.DataFrame:
    """Items as a float frame (nullable dtypes and ``pd.NA`` become NaN)."""
    if not isinstance(items, pd.DataFrame):
        items = pd.DataFrame(items)
    return pd.DataFrame(
        items.to_numpy(dtype=float, na_value=np.nan), columns=[str(c) for c in items.columns]
    )


def _prepare(items: pd.DataFrame, missing: Missing) -> tuple[pd.DataFrame, int]:
    if missing not in ("pairwise", "listwise"):
        raise ValueError(f"missing must be 'pairwise' or 'listwise', got {missing!r}")
    data = _numeric(items)
    if missing == "listwise":
        data = data.dropna(axis=0, how="any")
        n = len(data)
    else:
        n = int((data.notna().sum(axis=1) >= 2).sum()) if data.shape[1] >= 2 else 0
    return data, n


_BLOCK_ROWS = 16_384  # rows per block of the moments' matrix product


def _pairwise_moments(data: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Pairwise-complete covariance and correlation matrices (as ``DataFrame.cov``/``corr``).

    Each entry uses the rows where both items are present, with means (and, for the
    correlation, standard deviations) over those rows. Computed with matrix products, so a
    million respondents take milliseconds: with :math:`P` the presence mask and :math:`X_0` the
    answers with missing set to 0, :math:`n_{ij} = (P'P)_{ij}`, :math:`S_{i|j} = (X_0'P)_{ij}`
    and :math:`C_{ij} = ((X_0'X_0)_{ij} - S_{i|j} S_{j|i} / n_{ij}) / (n_{ij} - 1)`.
    """
    x = data.to_numpy(dtype=float)
    k = x.shape[1]
    # One matrix product for all four, [X0, P, X0^2]' [X0, P], summed over blocks of rows: a block
    # stays in the processor's caches, and no array of the answers' size is made three times over.
    m = np.zeros((3 * k, 2 * k))
    block = np.empty((min(len(x), _BLOCK_ROWS), 3 * k))
    for start in range(0, len(x), _BLOCK_ROWS):
        rows = x[start:start + _BLOCK_ROWS]
        b = block[:len(rows)]
        present = ~np.isnan(rows)
        b[:, :k] = np.where(present, rows, 0.0)
        b[:, k:2 * k] = present
        np.multiply(b[:, :k], b[:, :k], out=b[:, 2 * k:])
        m += b.T @ b[:, :2 * k]
    cross, s, n, q = m[:k, :k], m[:k, k:], m[k:2 * k, k:], m[2 * k:, k:]  # s[i, j]: item i where j present
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = np.where(n > 1, (cross - s * s.T / n) / (n - 1), np.nan)
        var_i = np.where(n > 1, (q - s * s / n) / (n - 1), np.nan)  # var of i over rows with j
        corr = cov / np.sqrt(var_i * var_i.T)
    return cov, corr


@dataclass(frozen=True)
class PairwiseMoments:
    """Pairwise-complete covariances and correlations of many items, computed in one pass.

    Every entry depends on its two items only, so the moments of any subset of the items are a
    slice of these. Pass it to :func:`cronbach_alpha` and :func:`item_rest_correlations` as
    ``moments``: a dimension's alpha and item statistics then cost one pass over the answers.

    Attributes
    ----------
    columns : tuple of str
        The items.
    cov, corr : numpy.ndarray
        As :func:`_pairwise_moments` gives them.
    present : numpy.ndarray
        Boolean, respondents by items: which answers are there.
    """

    columns: tuple[str, ...]
    cov: np.ndarray
    corr: np.ndarray
    present: np.ndarray

    def subset(self, columns: list[str]) -> tuple[np.ndarray, np.ndarray, int]:
        """Covariance and correlation of ``columns``, and the respondents who answered at least
        two of them."""
        idx = [self.columns.index(str(c)) for c in columns]
        n = int((self.present[:, idx].sum(axis=1) >= 2).sum()) if len(idx) >= 2 else 0
        sel = np.ix_(idx, idx)
        return self.cov[sel], self.corr[sel], n


def pairwise_moments(items: pd.DataFrame) -> PairwiseMoments:
    """The pairwise-complete moments of all ``items`` (respondents by items, NaN = missing)."""
    data = _numeric(items)
    cov, corr = _pairwise_moments(data)
    return PairwiseMoments(tuple(data.columns), cov, corr, data.notna().to_numpy())


#: A sum-score variance (or standardized-alpha denominator) this small relative to its terms is
#: zero up to rounding: alpha is then undefined (NaN), not a huge number made of rounding noise.
_ROUNDING = 1e-12


def _alpha_from_cov(cov: np.ndarray) -> float:
    """Raw alpha :math:`k/(k-1) (1 - tr C / 1'C1)`; NaN when undefined."""
    k = cov.shape[0]
    total = cov.sum()
    if k < 2 or not np.all(np.isfinite(cov)) or total <= _ROUNDING * np.abs(cov).sum():
        return float("nan")
    return float(k / (k - 1) * (1.0 - np.trace(cov) / total))


def cronbach_alpha(items: pd.DataFrame, missing: Missing = "pairwise",
                   moments: PairwiseMoments | None = None) -> AlphaResult:
    """Cronbach's alpha, raw and standardized, of a respondents-by-items frame.

    Parameters
    ----------
    items : pandas.DataFrame
        One row per respondent, one numeric column per item (reverse-keyed items already
        reversed); NaN for a missing answer.
    missing : {"pairwise", "listwise"}
        How missing answers are handled (see the module docstring).
    moments : PairwiseMoments, optional
        With ``pairwise``: precomputed moments holding the columns of ``items`` (then only the
        column names of ``items`` are used).

    Returns
    -------
    AlphaResult
        Raw and standardized alpha, number of items, respondents used and the average
        inter-item correlation. Alpha is NaN with fewer than 2 items, fewer than
        :data:`MIN_RESPONDENTS` respondents, a covariance that cannot be estimated (two items
        never answered together) or no variance in the sum score.

    Notes
    -----
    With :math:`C` the :math:`k \\times k` item covariance matrix,

    .. math:: \\alpha = \\frac{k}{k-1}\\left(1 - \\frac{\\operatorname{tr} C}{\\mathbf 1' C \\mathbf 1}\\right).

    The standardized alpha uses the mean off-diagonal inter-item correlation :math:`\\bar r`
    (with ``pairwise``, each correlation over the respondents who answered both items, as
    ``psych::alpha`` does):

    .. math:: \\alpha_{std} = \\frac{k \\bar r}{1 + (k-1)\\bar r}.

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    *Psychometrika*, 16(3), 297-334.

    Revelle, W. (2024). *psych: Procedures for Psychological, Psychometric, and Personality
    Research*, function ``alpha``. R package.
    """
    cov, corr, k, n = _moments(items, missing, moments)
    nan = float("nan")
    if k < 2 or n < MIN_RESPONDENTS:
        return AlphaResult(alpha=nan, alpha_std=nan, n_items=k, n=n, average_r=nan)
    alpha = _alpha_from_cov(cov)
    if not np.all(np.isfinite(cov)) or np.any(np.diag(cov) <= 0):
        return AlphaResult(alpha=alpha, alpha_std=nan, n_items=k, n=n, average_r=nan)
    if not np.all(np.isfinite(corr)):
        return AlphaResult(alpha=alpha, alpha_std=nan, n_items=k, n=n, average_r=nan)
    average_r = float(corr[~np.eye(k, dtype=bool)].mean())
    denominator = 1.0 + (k - 1) * average_r
    alpha_std = float(k * average_r / denominator) if abs(denominator) > _ROUNDING * k else nan
    return AlphaResult(alpha=alpha, alpha_std=alpha_std, n_items=k, n=n, average_r=average_r)


def _moments(items: pd.DataFrame, missing: Missing, moments: PairwiseMoments | None
             ) -> tuple[np.ndarray | None, np.ndarray | None, int, int]:
    """Covariance, correlation, number of items and respondents used; the moments are None
    when there are too few items or respondents to compute them."""
    if moments is not None and missing == "pairwise":
        names = [str(c) for c in items.columns]
        if len(names) < 2:
            return None, None, len(names), 0
        cov, corr, n = moments.subset(names)
        return cov, corr, len(names), n
    data, n = _prepare(items, missing)
    k = int(data.shape[1])
    if k < 2 or n < MIN_RESPONDENTS:
        return None, None, k, n
    cov, corr = _pairwise_moments(data)
    return cov, corr, k, n


def item_rest_correlations(items: pd.DataFrame, missing: Missing = "pairwise",
                           moments: PairwiseMoments | None = None) -> pd.DataFrame:
    """Each item's correlation with the sum of the other items, and alpha without it.

    Parameters
    ----------
    items : pandas.DataFrame
        As for :func:`cronbach_alpha`.
    missing : {"pairwise", "listwise"}
        As for :func:`cronbach_alpha`.
    moments : PairwiseMoments, optional
        As for :func:`cronbach_alpha`.

    Returns
    -------
    pandas.DataFrame
        Columns ``item``, ``item_rest_r`` and ``alpha_if_dropped`` (raw alpha of the remaining
        items), one row per item; NaN where undefined (e.g. ``alpha_if_dropped`` with two items).

    Notes
    -----
    Both follow from the covariance matrix :math:`C` (``psych::alpha``'s ``r.drop`` and
    ``alpha.drop``). With :math:`c_i = \\sum_j C_{ij}` and :math:`S = \\sum_{ij} C_{ij}`,

    .. math:: r_{i,rest} = \\frac{c_i - C_{ii}}{\\sqrt{C_{ii}\\,(S - 2c_i + C_{ii})}},

    which, without missing data, is the Pearson correlation of item :math:`i` with the sum of
    the other items. An item with a low item-rest correlation, or whose removal raises alpha,
    measures something else than its dimension.

    References
    ----------
    Cronbach, L. J. (1951). *Psychometrika*, 16(3), 297-334.
    """
    cov, _, k, n = _moments(items, missing, moments)
    names = [str(c) for c in items.columns]
    rest_r = np.full(k, np.nan)
    dropped = np.full(k, np.nan)
    if cov is not None:
        total = cov.sum()
        col = cov.sum(axis=0)
        diag = np.diag(cov)
        with np.errstate(divide="ignore", invalid="ignore"):
            rest_r = (col - diag) / np.sqrt(diag * (total - 2 * col + diag))
        rest_r = np.where(np.isfinite(rest_r), rest_r, np.nan)
        if k >= 3:
            for i in range(k):
                keep = np.arange(k) != i
                dropped[i] = _alpha_from_cov(cov[np.ix_(keep, keep)])
    return pd.DataFrame({"item": pd.Series(names, dtype=object), "item_rest_r": rest_r, "alpha_if_dropped": dropped})
