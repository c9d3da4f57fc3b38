"""Joint resampling of everything a client's scores are built from.

Survey views are resampled by respondent, so the dimensions keep their correlation:

* up to ``BOOTSTRAP_MAX_N`` respondents: the ordinary nonparametric bootstrap (rows drawn with
  replacement);
* more respondents but few distinct answer profiles (``PROFILE_MAX``): the same bootstrap drawn
  from the profile counts (a multinomial over distinct rows), whose cost does not grow with n;
* otherwise the normal approximation of the mean vector with the pairwise-complete covariance
  (the central limit theorem; at these sizes indistinguishable from the bootstrap and O(n)).

KPIs are drawn from the normal approximation of their own sampling distribution (their
closed-form or order-statistic standard error), clipped to their natural range.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from .intervals import Estimate

__all__ = ["BOOTSTRAP_MAX_N", "PROFILE_MAX", "draw_means", "draw_kpis", "estimate_se"]

BOOTSTRAP_MAX_N = 50_000
PROFILE_MAX = 5_000
_CHUNK_CELLS = 20_000_000

_RANGES = {"nps": (-100.0, 100.0), "ces": (1.0, 7.0)}


def _nanmean_rows(sums: np.ndarray, counts: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def draw_means(x: np.ndarray, draws: int, rng: np.random.Generator) -> np.ndarray:
    """``draws`` resampled column means of ``x`` (respondents × dimensions, NaN = left out).

    Returns an array of shape (draws, dimensions).
    """
    n, d = x.shape
    if n == 0 or d == 0:
        return np.full((draws, d), np.nan)
    present = ~np.isnan(x)
    x0 = np.where(present, x, 0.0)
    if n <= BOOTSTRAP_MAX_N:
        out = np.empty((draws, d))
        step = max(1, _CHUNK_CELLS // (n * d))
        for start in range(0, draws, step):
            stop = min(draws, start + step)
            idx = rng.integers(0, n, size=(stop - start, n))
            out[start:stop] = _nanmean_rows(x0[idx].sum(axis=1), present[idx].sum(axis=1))
        return out
    sentinel = np.where(present, x, -1.0)
    profiles, counts = np.unique(sentinel, axis=0, return_counts=True)
    if len(profiles) <= PROFILE_MAX:
        c = rng.multinomial(n, counts / n, size=draws).astype(float)
        pres = profiles >= 0
        return _nanmean_rows(c @ np.where(pres, profiles, 0.0), c @ pres)
    return _normal_means(x, present, draws, rng)


def _normal_means(x: np.ndarray, present: np.ndarray, draws: int, rng: np.random.Generator) -> np.ndarray:
    n_i = present.sum(axis=0).astype(float)
    mean = _nanmean_rows(np.where(present, x, 0.0).sum(axis=0), n_i)
    centred = np.where(present, x - mean, 0.0)
    n_ij = present.T.astype(float) @ present.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = (centred.T @ centred) / np.maximum(n_ij - 1, 1)
        cov_mean = cov * n_ij / np.outer(n_i, n_i)
    ok = n_i > 1
    out = np.full((draws, len(mean)), np.nan)
    if ok.any():
        sub = cov_mean[np.ix_(ok, ok)]
        sub = np.nan_to_num(sub) + np.eye(ok.sum()) * 1e-12
        out[:, ok] = rng.multivariate_normal(mean[ok], sub, size=draws, method="eigh")
    return out


def estimate_se(est: Estimate) -> float:
    """The estimate's standard error, or its interval width / 3.92 when none is stored."""
    if est.se is not None and np.isfinite(est.se):
        return float(est.se)
    if est.ci_low is not None and est.ci_high is not None:
        return float(est.ci_high - est.ci_low) / 3.92
    return 0.0


def draw_kpis(kpis: Mapping[str, Estimate | None], draws: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Normal draws of each available KPI around its value, clipped to its natural range."""
    out: dict[str, np.ndarray] = {}
    for key, est in kpis.items():
        if est is None or est.value is None:
            continue
        low, high = _RANGES.get(key, (0.0, 100.0) if not key.endswith(("_median", "_p90")) else (0.0, np.inf))
        out[key] = np.clip(rng.normal(est.value, estimate_se(est), size=draws), low, high)
    return out
