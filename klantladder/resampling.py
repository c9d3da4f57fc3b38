"""Joint resampling of everything a client's scores are built from.

A client's evidence comes from independent sources: the employee survey, the customer survey,
the tickets and the customer base. Within one source every statistic the scores use is a ratio
of sums over *units*:

* a survey view or survey KPI is a mean over respondents (unit = respondent): the customer view
  of a dimension, NPS (the mean of answers coded +100 / 0 / -100), CSAT (the mean of a 0/100
  top-box indicator) and CES all come from the same respondents, so they are resampled together;
* a ticket KPI is a share of tickets (FCR, reopen, repeat contact, SLA, closed), and tickets of
  one customer are not independent (a repeat contact is by definition a second ticket of the
  same customer), so the unit is the customer and a rate is the ratio
  :math:`\\sum_c y_c / \\sum_c n_c` of the customers' counts (a cluster bootstrap);
* a median or 90th percentile of ticket times is resampled through the share of tickets at or
  below the sample quantile (:func:`quantile_draws`);
* the customer base's retention and segment-known share are means over customers.

:class:`Units` holds one source as numerators and denominators per unit; :func:`draw_ratios`
returns joint draws of all its ratios. Three regimes, by the number of units :math:`m`:

1. ``m <= BOOTSTRAP_MAX_N``: the nonparametric bootstrap (units drawn with replacement; the
   draws are multiplicity weights, so a draw costs two matrix products);
2. more units but at most ``PROFILE_MAX`` distinct unit profiles (categorical data: NPS, CSAT
   and Likert answers only take a few values): the same bootstrap, drawn as a multinomial over
   the profile counts, whose cost does not grow with :math:`m`;
3. otherwise the normal approximation of the ratio vector with the linearised (sandwich)
   covariance, cost :math:`O(m d^2)`: at these sizes the central limit theorem makes it
   indistinguishable from the bootstrap.

Bootstrap deviations are expanded by :math:`\\sqrt{m/(m-1)}\\; t_{0.975, m-1} / z_{0.975}`
(Hesterberg's expanded percentile interval), so that the percentile interval of a single mean
has the width of the Student-t interval instead of the too narrow plug-in width on small
samples (25 employees); in the normal regime only the :math:`t/z` factor applies (the
covariance already divides by :math:`m - 1`).

References
----------
Efron, B., & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*, ch. 6 and 13.
Chapman & Hall.

Davison, A. C., & Hinkley, D. V. (1997). *Bootstrap Methods and their Application*, section 3.8
(cluster resampling). Cambridge University Press.

Hesterberg, T. C. (2015). What teachers should know about the bootstrap. *The American
Statistician*, 69(4), 371-386.

Woodruff, R. S. (1952). Confidence intervals for medians and other position measures. *Journal
of the American Statistical Association*, 47(260), 635-646.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .intervals import Z95, Estimate, OrderStatistics
from .native import _native  # the compiled loops (klantladder.native), None where not built

__all__ = ["BOOTSTRAP_MAX_N", "PROFILE_MAX", "Units", "UnitDraws", "draw_ratios", "quantile_draws",
           "quantile_draws_many", "draw_means", "draw_normal", "draw_kpis", "estimate_se", "expansion_factor",
           "cluster_codes"]

#: Up to this many units the ordinary bootstrap is used.
BOOTSTRAP_MAX_N = 20_000
#: Above ``BOOTSTRAP_MAX_N`` units, the bootstrap is drawn from the profile counts when there are
#: at most this many distinct unit profiles.
PROFILE_MAX = 5_000
_PROFILE_PROBE = 20_000
_CHUNK_CELLS = 4_000_000

_RANGES = {"nps": (-100.0, 100.0), "ces": (1.0, 7.0)}


# ---------------------------------------------------------------------------------------- units


@dataclass(frozen=True)
class Units:
    """One independent source as numerators and denominators per resampling unit.

    Statistic ``j`` of the source is :math:`R_j = \\sum_i num_{ij} / \\sum_i den_{ij}`: for a
    survey mean ``num`` is the answer and ``den`` 1 where answered (0 elsewhere); for a ticket
    rate per customer, ``num`` counts the customer's "yes" tickets and ``den`` the tickets counted.

    Attributes
    ----------
    num, den : numpy.ndarray
        Shape (units, statistics); ``den >= 0``.
    columns : tuple of str
        Name of each statistic.
    bounds : tuple of (low, high)
        Natural range of each statistic; draws are clipped to it.
    deff : numpy.ndarray
        Design effect of each statistic: its linearised variance over its variance had the
        observations been independent (1 for unclustered sources, NaN where undefined).
    """

    num: np.ndarray
    den: np.ndarray
    columns: tuple[str, ...]
    bounds: tuple[tuple[float, float], ...]
    deff: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def m(self) -> int:
        """Number of units."""
        return int(self.num.shape[0])

    @classmethod
    def from_rows(cls, x: np.ndarray | pd.DataFrame, columns: Sequence[str] | None = None,
                  bounds: Mapping[str, tuple[float, float]] | None = None) -> "Units":
        """Units = rows of ``x`` (respondents); NaN = not answered."""
        columns, arr = _columns_and_array(x, columns)
        present = ~np.isnan(arr)
        return cls(np.where(present, arr, 0.0), present.astype(float), columns, _bounds(columns, bounds),
                   np.ones(len(columns)))

    @classmethod
    def from_clusters(cls, x: np.ndarray | pd.DataFrame, clusters: np.ndarray,
                      columns: Sequence[str] | None = None,
                      bounds: Mapping[str, tuple[float, float]] | None = None) -> "Units":
        """Units = clusters of rows of ``x`` (tickets of one customer); ``clusters`` holds an
        integer code per row as :func:`pandas.factorize` gives them (0..k-1), a negative code
        making the row a cluster of its own."""
        columns, arr = _columns_and_array(x, columns)
        arr = np.asfortranarray(arr)  # one statistic at a time: columns contiguous
        codes = cluster_codes(np.asarray(clusters))
        k = int(codes.max()) + 1 if codes.size else 0
        d = arr.shape[1]
        num, den = np.empty((k, d)), np.empty((k, d))
        n, s1, s2 = np.zeros(d), np.zeros(d), np.zeros(d)
        for j in range(d):
            present = ~np.isnan(arr[:, j])
            x0 = np.where(present, arr[:, j], 0.0)
            num[:, j] = np.bincount(codes, weights=x0, minlength=k)
            den[:, j] = np.bincount(codes, weights=present, minlength=k)
            n[j], s1[j], s2[j] = present.sum(), x0.sum(), x0 @ x0
        return cls._from_sums(num, den, n, s1, s2, columns, bounds)

    @classmethod
    def from_indicators(cls, indicators: Mapping[str, tuple[np.ndarray, np.ndarray | None]], clusters: np.ndarray,
                        scale: float = 100.0, bounds: Mapping[str, tuple[float, float]] | None = None) -> "Units":
        """Units = clusters of rows, each statistic the share (times ``scale``) of ``yes`` rows.

        The same units as :meth:`from_clusters` on the 0/``scale`` columns (NaN where not
        counted), computed from boolean arrays: ``indicators`` maps a statistic to ``(yes,
        counted)``, ``counted`` None meaning every row. Per cluster one count of the ``yes`` rows
        per statistic and one of the counted rows per distinct ``counted`` array, so millions of
        rows cost a few integer counts (no float copy of the data).
        """
        columns = tuple(indicators)
        codes = cluster_codes(np.asarray(clusters))
        k = int(codes.max()) + 1 if codes.size else 0
        d = len(columns)
        rows = np.bincount(codes, minlength=k)
        arrays: list[np.ndarray] = []  # the boolean arrays to count per cluster, each once
        slots: dict[int, int] = {}

        def slot(a: np.ndarray) -> int:
            if id(a) not in slots:
                slots[id(a)] = len(arrays)
                arrays.append(a)
            return slots[id(a)]

        yes_slot, den_slot = [], []
        for key in columns:
            yes, counted = indicators[key]
            yes_slot.append(slot(yes if counted is None else yes & counted))
            den_slot.append(None if counted is None else slot(counted))
        per_cluster = _cluster_counts(codes, k, arrays, int(rows.max()) if k else 0)
        totals = [float(np.count_nonzero(a)) for a in arrays]
        num, den = np.empty((k, d), order="F"), np.empty((k, d), order="F")  # column by column, as read
        n, s1 = np.zeros(d), np.zeros(d)
        for j in range(d):
            num[:, j] = per_cluster[yes_slot[j]] * scale
            den[:, j] = rows if den_slot[j] is None else per_cluster[den_slot[j]]
            n[j] = codes.size if den_slot[j] is None else totals[den_slot[j]]
            s1[j] = totals[yes_slot[j]] * scale
        return cls._from_sums(num, den, n, s1, s1 * scale, columns, bounds)

    @classmethod
    def _from_sums(cls, num: np.ndarray, den: np.ndarray, n: np.ndarray, s1: np.ndarray, s2: np.ndarray,
                   columns: tuple[str, ...], bounds: Mapping[str, tuple[float, float]] | None) -> "Units":
        """Units from per-cluster sums, with the rows' count, sum and sum of squares per statistic
        (for the design effects); clusters without any counted row are dropped."""
        keep = den.sum(axis=1) > 0
        if not keep.all():
            num, den = num[keep], den[keep]
        with np.errstate(invalid="ignore", divide="ignore"):
            var_rows = np.where(n > 1, (s2 - s1 * s1 / np.maximum(n, 1)) / np.maximum(n - 1, 1), np.nan)
        return cls(num, den, columns, _bounds(columns, bounds), _design_effects(num, den, n, var_rows))

    def estimate(self) -> np.ndarray:
        """The point estimates :math:`R_j` (NaN without data)."""
        return _ratio(self.num.sum(axis=0), self.den.sum(axis=0))

    def units_per_column(self) -> np.ndarray:
        """Number of units that count for each statistic."""
        return (self.den > 0).sum(axis=0)


def _columns_and_array(x: np.ndarray | pd.DataFrame, columns: Sequence[str] | None) -> tuple[tuple[str, ...], np.ndarray]:
    if isinstance(x, pd.DataFrame):
        return tuple(str(c) for c in x.columns), x.to_numpy(dtype="float64", na_value=np.nan)
    arr = np.asarray(x, dtype="float64")
    if arr.ndim != 2:
        raise ValueError("x must be two-dimensional (units x statistics)")
    names = tuple(columns) if columns is not None else tuple(str(i) for i in range(arr.shape[1]))
    return names, arr


def _bounds(columns: Sequence[str], bounds: Mapping[str, tuple[float, float]] | None) -> tuple[tuple[float, float], ...]:
    bounds = bounds or {}
    return tuple(bounds.get(c, (-np.inf, np.inf)) for c in columns)


def _cluster_counts(codes: np.ndarray, k: int, arrays: Sequence[np.ndarray], largest: int) -> list[np.ndarray]:
    """Per cluster, the number of True rows of each boolean array.

    Several arrays share one pass of ``np.bincount``: their bits are packed into a small integer
    per row, which a lookup table turns into a float64 weight adding :math:`2^{bi}` for a True
    row of array ``i``, with :math:`b` bits enough for the ``largest`` cluster; each count then
    sits in its own bits of the (exact, below :math:`2^{53}`) sum and is read back with shifts.
    Up to 16 arrays per pass. Where the compiled part is built, one loop over the rows adds the
    same packed counts as integers.
    """
    bits = max(1, int(largest).bit_length())
    per_pass = max(1, min(16, 52 // bits))
    out: list[np.ndarray] = []
    for lo in range(0, len(arrays), per_pass):
        group = arrays[lo:lo + per_pass]
        if len(group) == 1:
            out.append(np.bincount(codes, weights=group[0], minlength=k))
            continue
        if _native is not None and all(a.dtype == np.bool_ for a in group):  # one compiled pass, exact
            total = np.zeros(k, dtype=np.int64)
            _native.packed_counts(np.ascontiguousarray(codes, dtype=np.int64),
                                   tuple(np.ascontiguousarray(a) for a in group), bits, total)
            mask = np.int64((1 << bits) - 1)
            out.extend(((total >> np.int64(bits * i)) & mask).astype(np.float64) for i in range(len(group)))
            continue
        profile = np.zeros(codes.size, dtype=np.uint16)
        shifted = np.empty(codes.size, dtype=np.uint16)
        for i, a in enumerate(group):
            np.left_shift(a, np.uint16(i), out=shifted, dtype=np.uint16)
            profile |= shifted
        patterns = np.arange(1 << len(group))
        table = sum(((patterns >> i) & 1) * float(1 << (bits * i)) for i in range(len(group)))
        total = np.bincount(codes, weights=table[profile], minlength=k).astype(np.int64)
        mask = np.int64((1 << bits) - 1)
        for i in range(len(group)):
            out.append(((total >> np.int64(bits * i)) & mask).astype(np.float64))
    return out


def cluster_codes(codes: np.ndarray) -> np.ndarray:
    """Cluster numbers as given (``pd.factorize`` codes), rows with a negative code (an unknown
    customer) getting a cluster of their own; numbers without rows are left for the caller to
    drop (here their denominators are 0)."""
    codes = codes.astype(np.int64, copy=True)
    own = codes < 0
    if own.any():
        top = int(codes.max()) + 1 if (~own).any() else 0
        codes[own] = top + np.arange(int(own.sum()))
    return codes


def _design_effects(num: np.ndarray, den: np.ndarray, n: np.ndarray, var_rows: np.ndarray) -> np.ndarray:
    """Linearised cluster variance of each ratio over its variance had the rows been independent.

    :math:`deff_j = [\\sum_c z_{cj}^2 / (m(m-1))] / [s_j^2 / n_j]` with the influence values
    :math:`z_{cj}` of :func:`_normal` and :math:`s_j^2` the variance of the :math:`n_j` rows
    (Kish 1965, section 8.2). NaN where undefined.
    """
    m = (den > 0).sum(axis=0)
    tot = den.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = num.sum(axis=0) / tot
        z = np.multiply(r, den)  # z = (num - r den) / (tot / m), squared: in one array (units x statistics)
        np.subtract(num, z, out=z)
        np.divide(z, tot / np.maximum(m, 1), out=z)
        np.multiply(z, z, out=z)
        var_cl = z.sum(axis=0) / (m * (m - 1.0))
        out = var_cl / (var_rows / n)
    ok = (n >= 2) & (m >= 2) & (var_rows > 0)
    return np.where(ok, out, np.nan)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


# -------------------------------------------------------------------------------------- regimes


@dataclass(frozen=True)
class UnitDraws:
    """Joint draws of a source's statistics (shape draws x statistics) and the regime used."""

    values: np.ndarray
    columns: tuple[str, ...]
    regime: str

    def column(self, name: str) -> np.ndarray:
        return self.values[:, self.columns.index(name)]


def draw_ratios(units: Units, draws: int, rng: np.random.Generator) -> UnitDraws:
    """``draws`` joint draws of every ratio of ``units`` (see the module docstring).

    Returns
    -------
    UnitDraws
        ``values`` of shape (draws, statistics), expanded for small samples and clipped to each
        statistic's bounds; ``regime`` is ``"bootstrap"``, ``"profiles"`` or ``"normal"``.
    """
    d = len(units.columns)
    if units.m == 0 or d == 0:
        return UnitDraws(np.full((draws, d), np.nan), units.columns, "none")
    point = units.estimate()
    if units.m <= BOOTSTRAP_MAX_N:
        values, regime = _bootstrap(units.num, units.den, draws, rng), "bootstrap"
    else:
        prof = _profiles(units.num, units.den)
        if prof is not None:
            values, regime = _multinomial(*prof, units.m, draws, rng), "profiles"
        else:
            values, regime = _normal(units.num, units.den, draws, rng), "normal"
    factor = expansion_factor(units.units_per_column(), bootstrap=regime != "normal")
    values = point + factor * (values - point)
    low = np.array([b[0] for b in units.bounds])
    high = np.array([b[1] for b in units.bounds])
    return UnitDraws(np.clip(values, low, high), units.columns, regime)


def expansion_factor(m: np.ndarray | int, bootstrap: bool = True) -> np.ndarray:
    """Small-sample expansion of bootstrap deviations: :math:`\\sqrt{m/(m-1)}\\, t_{0.975,m-1}/z_{0.975}`.

    Parameters
    ----------
    m : int or array
        Number of units behind each statistic.
    bootstrap : bool
        With ``False`` (normal regime, whose covariance already divides by :math:`m-1`) only
        :math:`t/z`.

    Notes
    -----
    The bootstrap variance of a mean is :math:`(m-1)/m \\cdot s^2/m`, and percentiles of a
    normal-shaped distribution give :math:`z` where the Student interval has :math:`t`; the
    factor makes the percentile interval of a single mean as wide as the t interval while
    keeping the bootstrap's shape (Hesterberg 2015, the "expanded percentile interval").
    """
    m = np.asarray(m, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = stats.t.ppf(0.975, np.maximum(m - 1, 1)) / Z95
        f = np.sqrt(m / np.maximum(m - 1, 1)) * t if bootstrap else t
    return np.where(m > 1, f, 1.0)


def _bootstrap(num: np.ndarray, den: np.ndarray, draws: int, rng: np.random.Generator) -> np.ndarray:
    """Nonparametric bootstrap: per draw, multiplicity weights of the units (a multinomial)."""
    m = num.shape[0]
    out_num = np.empty((draws, num.shape[1]))
    out_den = np.empty((draws, num.shape[1]))
    step = max(1, _CHUNK_CELLS // m)
    for start in range(0, draws, step):
        k = min(step, draws - start)
        idx = rng.integers(0, m, size=(k, m))
        idx += (np.arange(k, dtype=np.int64) * m)[:, None]
        w = np.bincount(idx.ravel(), minlength=k * m).reshape(k, m).astype(float)
        out_num[start:start + k] = w @ num
        out_den[start:start + k] = w @ den
    return _ratio(out_num, out_den)


def _row_keys(both: np.ndarray) -> np.ndarray:
    """A 64-bit key per row (splitmix64 mixing of the float bits); equal rows, equal keys."""
    bits = np.ascontiguousarray(both + 0.0).view(np.uint64)  # + 0.0 maps -0.0 to 0.0
    h = np.zeros(both.shape[0], dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(both.shape[1]):
            z = h ^ (bits[:, j] + np.uint64(0x9E3779B97F4A7C15) * np.uint64(j + 1))
            z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
            z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
            h = z ^ (z >> np.uint64(31))
    return h


def _profiles(num: np.ndarray, den: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Distinct unit profiles and their counts, or None when there are more than ``PROFILE_MAX``.

    Rows are grouped by a 64-bit key and the grouping is then verified row by row, so a key
    collision can only send the data to the normal regime, never merge different profiles.
    """
    probe = np.hstack([num[:_PROFILE_PROBE], den[:_PROFILE_PROBE]])
    if np.unique(_row_keys(probe)).size > PROFILE_MAX:
        return None
    both = np.hstack([num, den])
    codes, keys = pd.factorize(_row_keys(both))  # a hash table: no sort of the million keys
    if keys.size > PROFILE_MAX:
        return None
    first = np.flatnonzero(np.r_[True, codes[1:] > np.maximum.accumulate(codes)[:-1]])  # new codes appear in order
    if not np.array_equal(both, both[first][codes]):
        return None
    order = np.argsort(keys)  # profiles in key order, as a sort would give them
    return num[first[order]], den[first[order]], np.bincount(codes, minlength=keys.size)[order]


def _multinomial(num: np.ndarray, den: np.ndarray, counts: np.ndarray, m: int, draws: int,
                 rng: np.random.Generator) -> np.ndarray:
    """The bootstrap from profile counts: each draw's profile counts are Multinomial(m, counts/m)."""
    c = rng.multinomial(m, counts / counts.sum(), size=draws).astype(float)
    return _ratio(c @ num, c @ den)


def _normal(num: np.ndarray, den: np.ndarray, draws: int, rng: np.random.Generator) -> np.ndarray:
    """Normal draws with the linearised covariance of the ratios.

    With :math:`R_j = \\sum num_{ij} / \\sum den_{ij}` and :math:`\\bar D_j = \\sum_i den_{ij}/m`,
    the influence of unit :math:`i` is :math:`z_{ij} = (num_{ij} - R_j den_{ij}) / \\bar D_j` and
    :math:`\\widehat{Cov}(R) = Z'Z / (m (m - 1))` (Taylor linearisation of a ratio; for
    survey means the pairwise-complete covariance of the means).
    """
    m = num.shape[0]
    tot = den.sum(axis=0)
    point = _ratio(num.sum(axis=0), tot)
    ok = (den > 0).sum(axis=0) > 1
    out = np.full((draws, num.shape[1]), np.nan)
    if not ok.any():
        return out
    idx = np.flatnonzero(ok)
    if ok.all():  # no column copies; the influence values built in place
        z = den * point
        np.subtract(num, z, out=z)
    else:
        z = num[:, idx] - point[idx] * den[:, idx]
    z /= tot[idx] / m
    cov = (z.T @ z) / (m * (m - 1.0))
    cov = cov + np.eye(idx.size) * 1e-12 * max(float(np.trace(cov)), 1e-300)
    out[:, idx] = rng.multivariate_normal(point[idx], cov, size=draws, method="eigh")
    return out


# ------------------------------------------------------------------------------------ quantiles


def quantile_draws(values: np.ndarray, q: float, share_draws: np.ndarray, share_point: float) -> np.ndarray:
    """Draws of a sample quantile from draws of the share of observations at or below it.

    Parameters
    ----------
    values : numpy.ndarray
        The observations (no NaN).
    q : float
        The quantile's probability (0.5 for the median).
    share_draws : numpy.ndarray
        Draws (in percent, 0-100) of the share of observations at or below the sample quantile
        :math:`\\hat\\xi_q`, e.g. from :func:`draw_ratios`, jointly with other statistics.
    share_point : float
        That share in the sample (percent); about :math:`100 q`.

    Returns
    -------
    numpy.ndarray
        :math:`\\hat Q(q - (p^* - \\hat p))` per draw, with :math:`\\hat Q` the sample quantile
        function (numpy's default, type 7); NaN where the share draw is NaN.

    Notes
    -----
    If a resample has a share :math:`p^*` at or below :math:`\\hat\\xi_q` instead of
    :math:`\\hat p`, its own quantile sits where the sample's distribution function is lower by
    :math:`p^* - \\hat p` (the Bahadur representation,
    :math:`\\hat\\xi_q \\approx \\xi_q - (F_n(\\xi_q) - q)/f(\\xi_q)`, without estimating the
    density :math:`f`). This is Woodruff's (1952) construction, and for independent
    observations it reproduces the order-statistic interval of
    :func:`klantladder.intervals.quantile_estimate`; it lets a quantile be resampled jointly
    with the rates of the same tickets, clustered by customer.

    References
    ----------
    Woodruff, R. S. (1952). *JASA*, 47(260), 635-646. Bahadur, R. R. (1966). A note on quantiles
    in large samples. *Annals of Mathematical Statistics*, 37(3), 577-580.
    """
    return quantile_draws_many(values, [(q, share_draws, share_point)])[0]


def quantile_draws_many(values: np.ndarray | OrderStatistics, specs: Sequence[tuple[float, np.ndarray, float]]
                        ) -> list[np.ndarray]:
    """:func:`quantile_draws` for several quantiles of the same observations, with one
    ``np.partition`` for all of them (none for :class:`~klantladder.intervals.OrderStatistics`
    prepared near them); ``specs`` holds ``(q, share_draws, share_point)`` each."""
    x = values if isinstance(values, OrderStatistics) else np.asarray(values, dtype=float)
    n = len(x)
    plans = []
    for q, share_draws, share_point in specs:
        share = np.asarray(share_draws, dtype=float)
        ok = ~np.isnan(share)
        if n == 0 or not ok.any():
            plans.append((share, ok, None, None))
            continue
        h = (n - 1) * np.clip(q - (share[ok] - share_point) / 100.0, 0.0, 1.0)
        f = np.floor(h).astype(np.int64)
        plans.append((share, ok, h, f))
    bands = [(int(f.min()), min(int(f.max()) + 1, n - 1)) for _, _, _, f in plans if f is not None]
    if isinstance(x, OrderStatistics):
        def sorted_band(lo: int, hi: int) -> np.ndarray:
            return x.at(np.arange(lo, hi + 1))
    else:
        part = np.partition(x, sorted({k for band in bands for k in band})) if bands else x

        def sorted_band(lo: int, hi: int) -> np.ndarray:
            return np.sort(part[lo:hi + 1])
    out = []
    for share, ok, h, f in plans:
        values_out = np.full(share.shape, np.nan)
        if f is not None:
            lo, hi = int(f.min()), min(int(f.max()) + 1, n - 1)
            band = sorted_band(lo, hi)
            below = band[f - lo]
            above = band[np.minimum(f + 1, n - 1) - lo]
            values_out[ok] = below + (h - f) * (above - below)
        out.append(values_out)
    return out


# ------------------------------------------------------------------------- simple draws (kept)


def draw_means(x: np.ndarray, draws: int, rng: np.random.Generator) -> np.ndarray:
    """``draws`` resampled column means of ``x`` (respondents x dimensions, NaN = left out).

    A thin wrapper around :func:`draw_ratios` on :meth:`Units.from_rows`; returns an array of
    shape (draws, dimensions).
    """
    x = np.asarray(x, dtype=float)
    return draw_ratios(Units.from_rows(x), draws, rng).values


def draw_normal(est: Estimate | None, draws: int, rng: np.random.Generator,
                bounds: tuple[float, float] = (-np.inf, np.inf)) -> np.ndarray | None:
    """Normal draws around an estimate with its standard error, clipped to ``bounds``; None
    without a value."""
    if est is None or est.value is None:
        return None
    return np.clip(rng.normal(est.value, estimate_se(est), size=draws), *bounds)


def estimate_se(est: Estimate) -> float:
    """The estimate's standard error, or its interval width / 3.92 when none is stored."""
    if est.se is not None and np.isfinite(est.se):
        return float(est.se)
    if est.ci_low is not None and est.ci_high is not None:
        return float(est.ci_high - est.ci_low) / (2 * Z95)
    return 0.0


def draw_kpis(kpis: Mapping[str, Estimate | None], draws: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Independent normal draws of each KPI around its value, clipped to its natural range.

    Only for KPIs that no source can resample jointly (the survey response rate); the
    assessment draws every other KPI with its source (:func:`draw_ratios`).
    """
    out: dict[str, np.ndarray] = {}
    for key, est in kpis.items():
        low, high = _RANGES.get(key, (0.0, 100.0) if not key.endswith(("_median", "_p90")) else (0.0, np.inf))
        d = draw_normal(est, draws, rng, (low, high))
        if d is not None:
            out[key] = d
    return out
