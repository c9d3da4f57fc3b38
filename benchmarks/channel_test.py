"""How often a channel is marked "beyond the noise" when it does not differ, by simulation.

The service table compares each channel's rates with the other tickets, with a customer's tickets
as one cluster (:func:`klantladder.segments.clustered_differences`: CR2 standard error, Welch-
Satterthwaite degrees of freedom). This script simulates clients where the channel makes no
difference but customers do (each customer has their own chance of, say, a reopened ticket, drawn
from a normal distribution around 70% with standard deviation ``--spread``), and counts how often
a channel of ``c`` customers comes out different from the rest at the 5% level, for

- klantladder's test (without its minimum of customers, so the small channels show too);
- the usual cluster-robust test, CR1 with G - 1 degrees of freedom: statsmodels'
  ``OLS(...).fit(cov_type="cluster", use_t=True)``;
- Welch's test on the tickets as if they were independent (scipy).

Each client has 300 customers in the rest and ``c`` in the channel, each with 1-5 tickets. The
right answer is 5%; with R replicates its Monte Carlo standard error is sqrt(0.05 * 0.95 / R)
(0.69 points for R = 1000).

A second table does the same for the median times (first response, resolution): each customer's
questions take their own time (a log-normal factor per customer times a log-normal time per
ticket, a tenth without a time), and the channel's share of tickets within the median time of all
tickets is compared, by klantladder's test and by Mood's median test on the tickets as if they were
independent (scipy's ``median_test``).

Run::

    .venv/bin/python benchmarks/channel_test.py              # 1000 replicates (about a minute)
    .venv/bin/python benchmarks/channel_test.py --reps 300   # quicker, noisier
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import statsmodels.api as sm
from scipy import stats

from klantladder import segments


#: Customers outside the channel in every simulated client.
REST = 300


def _client(customers_in_channel: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A simulated client's tickets: each one's customer (:data:`REST` customers in the rest and
    ``customers_in_channel`` in the channel, 1-5 tickets each) and channel (1 in it, 0 not)."""
    customers = np.concatenate([np.repeat(np.arange(REST), rng.integers(1, 6, REST)),
                                np.repeat(np.arange(REST, REST + customers_in_channel),
                                          rng.integers(1, 6, customers_in_channel))])
    return customers, (customers >= REST).astype(int)


def simulate(customers_in_channel: int, reps: int, spread: float, rng: np.random.Generator) -> dict[str, float]:
    """The share of ``reps`` simulated clients in which each test puts the channel beyond the noise."""
    hits = {"klantladder": 0, "CR1 (statsmodels)": 0, "Welch on tickets": 0}
    for _ in range(reps):
        customers, channel = _client(customers_in_channel, rng)
        chance = np.clip(rng.normal(0.7, spread, REST + customers_in_channel), 0, 1)
        y = 100.0 * (rng.random(len(customers)) < chance[customers])
        hits["klantladder"] += segments.ClusteredGroups(channel, customers, 2).differences(y)[1][1] < 0.05
        with np.errstate(all="ignore"):
            fit = sm.OLS(y, sm.add_constant(channel.astype(float))).fit(
                cov_type="cluster", cov_kwds={"groups": customers}, use_t=True)
            hits["CR1 (statsmodels)"] += fit.pvalues[1] < 0.05
        with warnings.catch_warnings():  # a small channel's tickets may all be alike
            warnings.simplefilter("ignore", RuntimeWarning)
            welch = stats.ttest_ind(y[channel == 1], y[channel == 0], equal_var=False).pvalue
        hits["Welch on tickets"] += welch < 0.05
    return {k: v / reps for k, v in hits.items()}


def simulate_times(customers_in_channel: int, reps: int, rng: np.random.Generator) -> dict[str, float]:
    """As :func:`simulate`, for the median-time comparison of the channel table."""
    from klantladder.reportdata import _within_pooled_median

    hits = {"klantladder": 0, "Mood on tickets": 0}
    for _ in range(reps):
        customers, channel = _client(customers_in_channel, rng)
        hours = rng.lognormal(0.0, 0.8, REST + customers_in_channel)[customers] * rng.lognormal(1.0, 0.5, len(customers))
        hours[rng.random(len(hours)) < 0.1] = np.nan
        within = _within_pooled_median(hours)
        hits["klantladder"] += segments.ClusteredGroups(channel, customers, 2).differences(within)[1][1] < 0.05
        known = ~np.isnan(hours)
        a, b = hours[known & (channel == 1)], hours[known & (channel == 0)]
        if len(a) and len(b):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                hits["Mood on tickets"] += stats.median_test(a, b)[1] < 0.05
    return {k: v / reps for k, v in hits.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=1000)
    ap.add_argument("--spread", type=float, default=0.25)
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    minimum = segments.MIN_CLUSTERS
    segments.MIN_CLUSTERS = 2  # show the small channels too
    start = time.perf_counter()
    print(f"{args.reps} simulated clients per row; no channel effect; customers' chances 70% +- {args.spread:.0%}")
    print(f"{'customers in channel':>22}  {'klantladder':>12}  {'CR1 (statsmodels)':>18}  {'Welch on tickets':>17}")
    for c in (2, 5, 10, 20, 50):
        r = simulate(c, args.reps, args.spread, rng)
        note = "" if c >= minimum else "   (not compared in reports: fewer than MIN_CLUSTERS)"
        print(f"{c:>22}  {r['klantladder']:>11.1%}  {r['CR1 (statsmodels)']:>18.1%}  {r['Welch on tickets']:>17.1%}{note}")
    print("median times, same clients' customers taking their own time; no channel effect")
    print(f"{'customers in channel':>22}  {'klantladder':>12}  {'Mood on tickets':>16}")
    for c in (2, 5, 10, 20, 50):
        r = simulate_times(c, args.reps, rng)
        note = "" if c >= minimum else "   (not compared in reports: fewer than MIN_CLUSTERS)"
        print(f"{c:>22}  {r['klantladder']:>11.1%}  {r['Mood on tickets']:>16.1%}{note}")
    print(f"target 5%, Monte Carlo s.e. {np.sqrt(0.05 * 0.95 / args.reps):.1%}; {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
