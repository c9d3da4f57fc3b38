"""Point estimates with 95% intervals for the KPIs and scores.

Every function here takes raw answers (or counts) and returns an :class:`Estimate`: the value,
a 95% interval, the number of observations it rests on and, where one exists, a standard error.
Missing values (NaN / ``pd.NA``) are dropped before anything is computed; empty input gives
``Estimate.empty(n)`` rather than an exception, so a report can show "no data" for a KPI.

Shares and rates are in percent (0-100), NPS on -100..100, as ``SPEC.md`` section 3.4 asks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "Z95",
    "Estimate",
    "as_float_array",
    "nps_estimate",
    "nps_from_counts",
    "proportion_estimate",
    "top_box_estimate",
    "mean_estimate",
    "quantile_estimate",
    "quantile_estimates",
    "quantile_ci_ranks",
    "quantile_ci_holds",
    "quantile_ci_coverage",
    "effective_n",
    "OrderStatistics",
]

#: The two-sided 95% normal quantile, 1.959963984540054.
Z95: float = float(stats.norm.ppf(0.975))


def _clean(x: float | None) -> float | None:
    """``None`` for missing or non-finite numbers, else a plain ``float``."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


@dataclass(frozen=True)
class Estimate:
    """A point estimate with a 95% interval.

    Attributes
    ----------
    value : float or None
        The estimate; ``None`` when there are no data.
    ci_low, ci_high : float or None
        The 95% interval; ``None`` when it cannot be computed (no data, one observation).
    n : int
        The number of non-missing observations used.
    se : float or None
        A standard error on the scale of ``value`` where one is available. Used by
        :func:`klantladder.waves.wave_change` to compare waves.
    """

    value: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    se: float | None = None

    @classmethod
    def empty(cls, n: int = 0) -> "Estimate":
        """An estimate without value or interval that still states its ``n``."""
        return cls(value=None, ci_low=None, ci_high=None, n=int(n), se=None)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict ``{"value", "ci_low", "ci_high", "n"}``.

        Floats are rounded to 4 decimals; ``None`` and NaN both become ``None``.
        """

        def r(x: float | None) -> float | None:
            x = _clean(x)
            return None if x is None else round(x, 4)

        return {"value": r(self.value), "ci_low": r(self.ci_low), "ci_high": r(self.ci_high), "n": int(self.n)}


def as_float_array(values: Any) -> np.ndarray:
    """Values as a 1-D float array with missing values (NaN, ``None``, ``pd.NA``) removed.

    Parameters
    ----------
    values : pandas.Series, numpy.ndarray or sequence
        Numeric values; nullable pandas dtypes are accepted.

    Returns
    -------
    numpy.ndarray
        A float64 array without NaN.
    """
    if isinstance(values, (pd.Series, pd.Index)):
        arr = values.to_numpy(dtype=float, na_value=np.nan)
    else:
        arr = np.asarray(values, dtype=float)
    arr = arr.ravel()
    return arr[~np.isnan(arr)]


def nps_from_counts(promoters: int, passives: int, detractors: int) -> Estimate:
    """Net Promoter Score with a 95% interval from the three counts.

    Parameters
    ----------
    promoters, passives, detractors : int
        Numbers of respondents answering 9-10, 7-8 and 0-6 on the 0-10 scale.

    Returns
    -------
    Estimate
        NPS on -100..100 with a normal 95% interval clipped to [-100, 100] and its SE; no
        interval and no SE when every respondent falls in one category (the variance is then 0
        and the interval would claim certainty that a handful of answers cannot give).

    Notes
    -----
    With :math:`p` and :math:`d` the shares of promoters and detractors among :math:`n`
    respondents, :math:`NPS = 100 (p - d)`. Each answer is a draw of a variable taking the values
    +1, 0, -1, whose variance is :math:`p + d - (p - d)^2`, so

    .. math:: SE = 100 \\sqrt{[p + d - (p - d)^2] / n}

    and the interval is :math:`NPS \\pm 1.96\\, SE`, clipped to the scale.

    References
    ----------
    Reichheld, F. F. (2003). The one number you need to grow. *Harvard Business Review*, 81(12),
    46-54.
    """
    counts = (int(promoters), int(passives), int(detractors))
    if min(counts) < 0:
        raise ValueError(f"counts must be >= 0, got {counts}")
    n = sum(counts)
    if n == 0:
        return Estimate.empty(0)
    p = counts[0] / n
    d = counts[2] / n
    value = 100.0 * (p - d)
    var = max(p + d - (p - d) ** 2, 0.0)
    if var == 0.0:  # every answer in one category: the formula's interval would have no width at all
        return Estimate(value=value, ci_low=None, ci_high=None, n=n, se=None)
    se = 100.0 * math.sqrt(var / n)
    return Estimate(
        value=value,
        ci_low=max(value - Z95 * se, -100.0),
        ci_high=min(value + Z95 * se, 100.0),
        n=n,
        se=se,
    )


def nps_estimate(scores: pd.Series | np.ndarray) -> Estimate:
    """Net Promoter Score with a 95% interval from 0-10 answers.

    Parameters
    ----------
    scores : pandas.Series or numpy.ndarray
        Answers on 0-10; missing values are dropped.

    Returns
    -------
    Estimate
        See :func:`nps_from_counts`.

    Raises
    ------
    ValueError
        If an answer lies outside 0-10 (input validation should have caught it).

    Notes
    -----
    Promoters answer 9 or 10, detractors 0 to 6 (Reichheld 2003); the formula is in
    :func:`nps_from_counts`.

    References
    ----------
    Reichheld, F. F. (2003). The one number you need to grow. *Harvard Business Review*, 81(12).
    """
    x = as_float_array(scores)
    if x.size == 0:
        return Estimate.empty(0)
    if x.min() < 0 or x.max() > 10:
        raise ValueError("NPS answers must lie on 0-10")
    promoters = int(np.count_nonzero(x >= 9))
    detractors = int(np.count_nonzero(x <= 6))
    return nps_from_counts(promoters, x.size - promoters - detractors, detractors)


def effective_n(n: float, deff: float = 1.0) -> float:
    """Kish's effective sample size :math:`n / \\max(1, deff)`.

    Parameters
    ----------
    n : float
        Number of observations.
    deff : float
        Design effect: the variance of the estimate under the actual (e.g. clustered) sampling
        divided by its variance under simple random sampling of ``n`` observations. Values
        below 1 (or NaN) count as 1, so an interval is never narrower than under simple random
        sampling.

    Returns
    -------
    float

    References
    ----------
    Kish, L. (1965). *Survey Sampling*, section 8.2. Wiley.
    """
    d = float(deff) if deff is not None and math.isfinite(float(deff)) else 1.0
    return float(n) / max(1.0, d)


def proportion_estimate(successes: int, n: int, deff: float = 1.0) -> Estimate:
    """A share in percent with a Wilson score 95% interval.

    Parameters
    ----------
    successes : int
        Number of "yes" observations, ``0 <= successes <= n``.
    n : int
        Number of observations.
    deff : float
        Design effect (see :func:`effective_n`); with clustered observations (tickets of the
        same customer) the interval uses the effective sample size :math:`n / deff` instead of
        :math:`n`. The reported ``n`` stays the number of observations.

    Returns
    -------
    Estimate
        ``100 * successes / n`` with the Wilson interval in percent. ``se`` is the interval width
        divided by 3.92, which, unlike the Wald SE, is not zero at 0% or 100%.

    Notes
    -----
    With :math:`\\hat p = x/n` and :math:`z = 1.96`,

    .. math:: \\frac{\\hat p + z^2/2n \\pm z \\sqrt{\\hat p(1-\\hat p)/n + z^2/4n^2}}{1 + z^2/n}

    The Wilson interval keeps its coverage near 0% and 100% and for small :math:`n`, where the
    Wald interval fails (Brown, Cai & DasGupta 2001). With a design effect the same formula is
    used with :math:`n` replaced by the effective sample size :math:`n / deff` (Kish 1965), as
    recommended for clustered samples by Dean & Pagano (2015).

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference.
    *Journal of the American Statistical Association*, 22(158), 209-212.

    Brown, L. D., Cai, T. T., & DasGupta, A. (2001). Interval estimation for a binomial proportion.
    *Statistical Science*, 16(2), 101-133.

    Dean, N., & Pagano, M. (2015). Evaluating confidence interval methods for binomial proportions
    in clustered surveys. *Journal of Survey Statistics and Methodology*, 3(4), 484-503.
    """
    x, n = int(successes), int(n)
    if n <= 0:
        return Estimate.empty(0)
    if not 0 <= x <= n:
        raise ValueError(f"successes must lie in 0..n, got {x} of {n}")
    p = x / n
    m = effective_n(n, deff)
    z2 = Z95 * Z95
    denom = 1.0 + z2 / m
    centre = (p + z2 / (2 * m)) / denom
    half = Z95 * math.sqrt(p * (1 - p) / m + z2 / (4 * m * m)) / denom
    lo, hi = max(centre - half, 0.0), min(centre + half, 1.0)
    return Estimate(value=100.0 * p, ci_low=100.0 * lo, ci_high=100.0 * hi, n=n, se=100.0 * (hi - lo) / (2 * Z95))


def top_box_estimate(values: pd.Series | np.ndarray, threshold: float) -> Estimate:
    """Percentage of answers at or above ``threshold`` (top-box share), Wilson interval.

    Parameters
    ----------
    values : pandas.Series or numpy.ndarray
        Answers; missing values are dropped.
    threshold : float
        The lowest answer counted in the top box, e.g. 4 for CSAT on 1-5 (top-2-box).

    Returns
    -------
    Estimate
        See :func:`proportion_estimate`.

    Notes
    -----
    :math:`100 \\cdot \\#\\{x_i \\ge t\\} / n`. CSAT is the share of 4-5 on a 1-5 scale.

    References
    ----------
    Wilson, E. B. (1927). *JASA*, 22(158), 209-212.
    """
    x = as_float_array(values)
    if x.size == 0:
        return Estimate.empty(0)
    return proportion_estimate(int(np.count_nonzero(x >= threshold)), int(x.size))


def mean_estimate(values: pd.Series | np.ndarray) -> Estimate:
    """Mean with a Student-t 95% interval.

    Parameters
    ----------
    values : pandas.Series or numpy.ndarray
        Numbers; missing values are dropped.

    Returns
    -------
    Estimate
        The mean, its interval and SE; with one observation, or when every value is the same,
        the interval and SE are ``None``.

    Notes
    -----
    :math:`\\bar x \\pm t_{0.975, n-1}\\, s/\\sqrt n` with :math:`s` the sample standard
    deviation (ddof = 1).

    References
    ----------
    Student (1908). The probable error of a mean. *Biometrika*, 6(1), 1-25.
    """
    x = as_float_array(values)
    n = int(x.size)
    if n == 0:
        return Estimate.empty(0)
    m = float(x.mean())
    if n < 2:
        return Estimate(value=m, ci_low=None, ci_high=None, n=n, se=None)
    if x.min() == x.max():  # every answer the same: no interval rather than one without width
        return Estimate(value=m, ci_low=None, ci_high=None, n=n, se=None)
    se = float(x.std(ddof=1)) / math.sqrt(n)
    half = float(stats.t.ppf(0.975, n - 1)) * se
    return Estimate(value=m, ci_low=m - half, ci_high=m + half, n=n, se=se)


def quantile_ci_ranks(n: int, q: float, level: float = 0.95, deff: float = 1.0) -> tuple[int, int]:
    """1-based ranks ``(l, u)`` of the order statistics bounding a distribution-free interval.

    ``P(X_(l) <= xi_q < X_(u)) >= level`` for continuous data, where ``B ~ Binomial(n, q)``
    counts the observations below the true quantile: ``l`` is the 2.5% quantile of ``B`` and
    ``u`` one more than its 97.5% quantile, both clamped to ``1..n`` (for very small ``n`` the
    coverage then falls below ``level``).

    With a design effect ``deff > 1`` (clustered observations) the count below the quantile is
    more variable than binomial: the ranks then come from ``Binomial(n_eff, q)`` with the
    effective size ``n_eff = n / deff`` (:func:`effective_n`), rescaled to ``n`` — Woodruff's
    (1952) interval, which inverts an interval for the share below the quantile.

    References
    ----------
    Woodruff, R. S. (1952). Confidence intervals for medians and other position measures.
    *Journal of the American Statistical Association*, 47(260), 635-646.
    """
    a = (1.0 - level) / 2.0
    m = effective_n(n, deff)
    if m >= n:
        lo = int(stats.binom.ppf(a, n, q))
        hi = int(stats.binom.ppf(1.0 - a, n, q)) + 1
    else:
        k = max(1, int(math.floor(m)))
        lo = int(math.floor(stats.binom.ppf(a, k, q) * n / k))
        hi = int(math.ceil((stats.binom.ppf(1.0 - a, k, q) + 1) * n / k))
    return min(max(lo, 1), n), min(max(hi, 1), n)


def quantile_ci_coverage(n: int, q: float, level: float = 0.95, deff: float = 1.0) -> float:
    """The exact coverage of the interval of :func:`quantile_ci_ranks`: ``P(l <= B <= u - 1)``.

    ``B ~ Binomial(n, q)`` (``n / deff`` rounded down for clustered observations, with the
    ranks on that scale). At least ``level`` once both ranks exist without clamping; below
    that it may fall short: 93.75% for the median of 5, 94.98% for the 90th percentile of
    30, 64% for the 90th percentile of 10.
    """
    m = effective_n(n, deff)
    k = n if m >= n else max(1, int(math.floor(m)))
    if k < 1:
        return 0.0
    lo, hi = quantile_ci_ranks(k, q, level)  # the ranks on the scale of the effective size
    return float(stats.binom.cdf(hi - 1, k, q) - stats.binom.cdf(lo - 1, k, q))


def quantile_ci_holds(n: int, q: float, level: float = 0.95, deff: float = 1.0) -> bool:
    """Whether ``n`` observations bound the ``q``-quantile with the promised coverage
    (:func:`quantile_ci_coverage` at least ``level``).

    For a 95% interval that takes 6 observations for the median and 31 for the 90th
    percentile; with fewer, the interval reaching to the sample's extreme would cover less than
    it says, so none is given.
    """
    return n >= 2 and quantile_ci_coverage(n, q, level, deff) >= level


def quantile_estimate(values: pd.Series | np.ndarray, q: float, deff: float = 1.0) -> Estimate:
    """A sample quantile with a distribution-free 95% interval from order statistics.

    Parameters
    ----------
    values : pandas.Series or numpy.ndarray
        Numbers; missing values are dropped.
    q : float
        The probability, 0 <= q <= 1 (0.5 for the median, 0.9 for the 90th percentile).
    deff : float
        Design effect of the share below the quantile (clustered observations); see
        :func:`quantile_ci_ranks`.

    Returns
    -------
    Estimate
        The quantile (numpy's default "linear" definition, Hyndman & Fan type 7), the interval
        :math:`[x_{(l)}, x_{(u)}]` and ``se = (ci_high - ci_low) / 3.92``; no interval and no
        ``se`` when there are too few observations for it (:func:`quantile_ci_holds`).

    Notes
    -----
    The number of observations below the population quantile :math:`\\xi_q` is
    :math:`B \\sim \\mathrm{Binomial}(n, q)`, whatever the distribution, so

    .. math:: P(x_{(l)} \\le \\xi_q < x_{(u)}) = P(l \\le B \\le u - 1)

    with :math:`l = F_B^{-1}(0.025)` and :math:`u = F_B^{-1}(0.975) + 1` gives at least 95%
    coverage. Only a handful of order statistics are needed, found with ``np.partition`` in
    linear time: no sort, no bootstrap, fast on millions of tickets.

    References
    ----------
    Conover, W. J. (1999). *Practical Nonparametric Statistics* (3rd ed.), section 3.2. Wiley.

    Hyndman, R. J., & Fan, Y. (1996). Sample quantiles in statistical packages. *The American
    Statistician*, 50(4), 361-365.
    """
    return quantile_estimates(values, [q], [deff])[0]


class OrderStatistics:
    """The order statistics of a sample near a few quantiles, for repeated look-ups.

    On construction the sample is partitioned once (``np.partition``) around the rank of each
    probability in ``qs``, and a band of ``width`` ranks on either side (by default 1% of the
    sample, at least 1,000) is sorted. An order statistic inside a band is then read directly;
    one outside every band costs a partition of the whole sample, so every answer is exact. The
    quantile's interval and its resampled values lie within a few standard errors of its rank,
    far inside the band: on millions of ticket times, one pass over the sample serves them all.

    Parameters
    ----------
    values : numpy.ndarray
        The sample, without NaN.
    qs : sequence of float
        The probabilities whose neighbourhoods are prepared.
    width : int, optional
        Ranks on either side of each quantile's rank to sort.
    """

    def __init__(self, values: np.ndarray, qs: Sequence[float], width: int | None = None):
        self._x = np.asarray(values, dtype=float)
        n = self._x.size
        self._bands: list[tuple[int, np.ndarray]] = []
        if n == 0:
            return
        width = max(1000, n // 100) if width is None else int(width)
        edges = []
        for q in qs:
            f = int(math.floor((n - 1) * float(q)))
            edges.append((max(0, f - width), min(n - 1, f + 1 + width)))
        if edges:
            self._x = np.partition(self._x, sorted({k for edge in edges for k in edge}))
        self._bands = [(lo, np.sort(self._x[lo:hi + 1])) for lo, hi in edges]

    def __len__(self) -> int:
        return int(self._x.size)

    def at(self, ranks: np.ndarray | Sequence[int]) -> np.ndarray:
        """The values of 0-based ``ranks`` in the sorted sample."""
        ranks = np.asarray(ranks, dtype=np.int64)
        out = np.empty(ranks.shape, dtype=float)
        todo = np.ones(ranks.shape, dtype=bool)
        for lo, band in self._bands:
            inside = todo & (ranks >= lo) & (ranks < lo + band.size)
            out[inside] = band[ranks[inside] - lo]
            todo &= ~inside
        if todo.any():
            rest = ranks[todo]
            out[todo] = np.partition(self._x, np.unique(rest))[rest]
        return out

    def quantile(self, q: float) -> float:
        """The sample quantile, bit for bit ``np.quantile(values, q)`` (linear, Hyndman & Fan type 7)."""
        n = len(self)
        h = (n - 1) * float(q)
        if h >= n - 1:
            return float(self.at([n - 1])[0])
        f = int(math.floor(h))
        t = h - f
        a, b = self.at([f, f + 1])
        d = b - a
        return float(b - d * (1 - t) if t >= 0.5 else a + d * t)


def quantile_estimates(values: pd.Series | np.ndarray | OrderStatistics, qs: Sequence[float],
                       deffs: Sequence[float] | None = None) -> list[Estimate]:
    """:func:`quantile_estimate` for several probabilities of the same values, with one
    ``np.partition`` for all of them (on millions of ticket times the partition is the cost).

    Parameters
    ----------
    values : pandas.Series, numpy.ndarray or OrderStatistics
        Numbers; missing values are dropped. :class:`OrderStatistics` prepared near ``qs``
        need no partition of their own.
    qs : sequence of float
        The probabilities, each in [0, 1].
    deffs : sequence of float, optional
        The design effect of each (default 1).
    """
    qs = [float(q) for q in qs]
    deffs = [1.0] * len(qs) if deffs is None else list(deffs)
    for q in qs:
        if not 0.0 <= q <= 1.0:
            raise ValueError(f"q must lie in [0, 1], got {q}")
    x = values if isinstance(values, OrderStatistics) else as_float_array(values)
    n = len(x)
    if n == 0:
        return [Estimate.empty(0) for _ in qs]
    plans = []
    for q, deff in zip(qs, deffs):
        h = (n - 1) * q
        f = int(math.floor(h))
        c = min(f + 1, n - 1)
        lo_rank, hi_rank = quantile_ci_ranks(n, q, deff=deff)
        plans.append((h, f, c, lo_rank, hi_rank, quantile_ci_holds(n, q, deff=deff)))
    kth = sorted({k for _, f, c, lo, hi, _ in plans for k in (f, c, lo - 1, hi - 1)})
    ordered = x if isinstance(x, OrderStatistics) else OrderStatistics(x, ())
    part = dict(zip(kth, ordered.at(kth)))
    out = []
    for h, f, c, lo_rank, hi_rank, holds in plans:
        value = float(part[f] + (h - f) * (part[c] - part[f]))
        lo, hi = float(part[lo_rank - 1]), float(part[hi_rank - 1])
        if not holds:  # too few observations: no interval rather than one that covers less than 95%
            out.append(Estimate(value=value, ci_low=None, ci_high=None, n=n, se=None))
        else:
            out.append(Estimate(value=value, ci_low=lo, ci_high=hi, n=n, se=(hi - lo) / (2 * Z95)))
    return out
