"""A client against the portfolio of clients, never naming the others.

The output holds only the client's own values, its percentile among the peers, the number of
peers and portfolio quantiles; no row, label or index of another client. Summaries over fewer
than ``min_peers`` peers are withheld, since a median of two clients is as good as their values.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from klantladder.intervals import as_float_array

__all__ = ["BENCHMARK_COLUMNS", "percentile_rank", "peer_quartiles", "benchmark"]

#: Columns of :func:`benchmark`'s result, in order.
BENCHMARK_COLUMNS: tuple[str, ...] = (
    "measure", "value", "percentile", "peers_n", "sector_percentile", "sector_peers_n",
    "portfolio_median", "p25", "p75",
)


def percentile_rank(value: float, peers: Sequence[float]) -> float:
    """Percentile rank of ``value`` among ``peers``, 0-100 (mid-rank for ties).

    Parameters
    ----------
    value : float
        The client's value.
    peers : sequence of float
        The peers' values; missing values are ignored.

    Returns
    -------
    float
        NaN when ``value`` is missing or there are no peers.

    Notes
    -----
    .. math:: PR = 100 \\cdot \\frac{\\#\\{x_i < v\\} + \\#\\{x_i \\le v\\}}{2n},

    the mean of the "strict" and "weak" ranks (``scipy.stats.percentileofscore`` with
    ``kind="mean"``): a value equal to every peer sits at 50.
    """
    x = as_float_array(peers if isinstance(peers, (pd.Series, np.ndarray)) else list(peers))
    if value is None or not np.isfinite(float(value)) or x.size == 0:
        return float("nan")
    v = float(value)
    return float(100.0 * (np.count_nonzero(x < v) + np.count_nonzero(x <= v)) / (2 * x.size))


def peer_quartiles(peers: np.ndarray) -> tuple[float, float, float]:
    """The 25th, 50th and 75th percentiles of ``peers`` by the Harrell–Davis estimator.

    Each is a weighted average of all the sorted values, with beta-distribution weights
    (``scipy.stats.mstats.hdquantiles``). The usual quartiles (numpy's linear interpolation) of
    5, 9, 13, ... peers are exactly the values of single peers: shown to one client, they would
    give other clients' scores away. A Harrell–Davis quartile rests on all the values, so it shows
    none of them as such (it can coincide with one only by chance, as the median of symmetric
    scores does), and in small samples it is at least as precise.

    References
    ----------
    Harrell, F. E., & Davis, C. E. (1982). A new distribution-free quantile estimator.
    *Biometrika*, 69(3), 635–640.
    """
    from scipy.stats.mstats import hdquantiles

    q = np.asarray(hdquantiles(np.asarray(peers, dtype=float), prob=[0.25, 0.5, 0.75]), dtype=float)
    return float(q[0]), float(q[1]), float(q[2])


def benchmark(
    client: dict[str, float],
    portfolio: pd.DataFrame,
    sector: str | None = None,
    min_peers: int = 5,
    exclude: Hashable | None = None,
) -> pd.DataFrame:
    """The client's percentile per measure in the portfolio and in its sector.

    Parameters
    ----------
    client : dict
        ``{measure: value}`` for the client; measures absent from ``portfolio`` are skipped.
    portfolio : pandas.DataFrame
        One row per peer client, a ``sector`` column and one numeric column per measure. It
        should not contain the client itself; pass its row label as ``exclude`` if it does.
    sector : str, optional
        The client's sector; the sector columns are filled when given.
    min_peers : int
        Fewest peers with a value for a percentile or quantile to be shown.
    exclude : hashable, optional
        Index label of the client's own row in ``portfolio``, dropped before comparing.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`BENCHMARK_COLUMNS`, one row per measure, in the order of ``client``.
        ``percentile``, ``portfolio_median``, ``p25`` and ``p75`` are NaN with fewer than
        ``min_peers`` peers; ``sector_percentile`` and ``sector_peers_n`` are NaN/NA without a
        sector or with fewer than ``min_peers`` peers in it. Contains no client names.

    Notes
    -----
    Percentiles by :func:`percentile_rank`; quartiles by :func:`peer_quartiles` (Harrell–Davis),
    which rest on every peer instead of showing single peers' values.
    """
    if min_peers < 1:
        raise ValueError(f"min_peers must be at least 1, got {min_peers}")
    peers_df = portfolio.drop(index=exclude) if exclude is not None and exclude in portfolio.index else portfolio
    if sector is not None and "sector" in peers_df.columns:
        in_sector = (peers_df["sector"].astype(object) == sector).to_numpy(dtype=bool, na_value=False)
    else:
        in_sector = np.zeros(len(peers_df), dtype=bool)
    rows: list[dict[str, Any]] = []
    for measure, value in client.items():
        if measure == "sector" or measure not in peers_df.columns:
            continue
        col = pd.to_numeric(peers_df[measure], errors="coerce")
        x = as_float_array(col)
        v = float(value) if value is not None else float("nan")
        row: dict[str, Any] = {"measure": str(measure), "value": v, "peers_n": int(x.size)}
        if x.size >= min_peers:
            row["percentile"] = percentile_rank(v, x)
            q25, q50, q75 = peer_quartiles(x)
            row.update(portfolio_median=float(q50), p25=float(q25), p75=float(q75))
        s = as_float_array(col[in_sector]) if sector is not None else np.zeros(0)
        if sector is not None and s.size >= min_peers:
            row.update(sector_percentile=percentile_rank(v, s), sector_peers_n=int(s.size))
        rows.append(row)
    out = pd.DataFrame(rows, columns=list(BENCHMARK_COLUMNS))
    out["measure"] = out["measure"].astype(object)
    for c in ("value", "percentile", "sector_percentile", "portfolio_median", "p25", "p75"):
        out[c] = pd.to_numeric(out[c]).astype(float)
    for c in ("peers_n", "sector_peers_n"):
        out[c] = out[c].astype("Int64")
    return out.reset_index(drop=True)
