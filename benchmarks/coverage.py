"""Coverage of klantladder's 95% intervals, by simulation from a known population.

A large synthetic client (:func:`klantladder.demo.make_large_client`) is the *population*; its
true values are the scoring applied to the whole population (every dimension score, the overall
score, NPS and the other KPIs). Each replicate draws a client of ordinary size from it — employees
and customer-survey respondents by simple random sampling with replacement, tickets by sampling
*customers* with all their tickets (tickets of one customer are not independent), the customer
base by sampling customers — and scores it with :func:`klantladder.assess.assess`. Coverage is
the share of replicates whose 95% interval contains the true value; it should be 95%, within
Monte Carlo error (with R replicates the standard error of a 95% coverage is
sqrt(0.95 * 0.05 / R): 0.69 points for R = 1000).

Run::

    .venv/bin/python benchmarks/coverage.py              # 1000 replicates (a few minutes)
    .venv/bin/python benchmarks/coverage.py --reps 200   # quicker, noisier

The script prints the coverage per measure and exits 1 when a gated measure (a dimension score
and NPS, as the methodology promises) falls outside 93–97%.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from klantladder.assess import Assessment, assess  # noqa: E402
from klantladder.demo import make_large_client  # noqa: E402
from klantladder.intake import ClientData, read_client  # noqa: E402

#: Measures whose coverage must lie in 93–97% (SPEC 3.3: a dimension score and NPS).
GATED = ("dimension.service", "dimension.loyalty", "kpi.nps")
BAND = (0.93, 0.97)


@dataclass(frozen=True)
class Sizes:
    """Size of one simulated client: employees, customer-survey respondents, customers with
    tickets (each brings all its tickets) and rows of the customer base."""

    employees: int = 40
    respondents: int = 300
    ticket_customers: int = 350
    base: int = 1500


@dataclass
class Population:
    """The population client, its frames grouped for fast sampling, and its true values."""

    data: ClientData
    truth: dict[str, float]
    ticket_rows: np.ndarray  # ticket row numbers ordered by customer
    ticket_starts: np.ndarray  # first position of each customer's tickets in ticket_rows
    ticket_counts: np.ndarray


def _measures(a: Assessment) -> dict[str, tuple[float | None, float | None, float | None]]:
    """(value, ci_low, ci_high) of every measure checked."""
    out = {"overall": (a.overall.value, a.overall.ci_low, a.overall.ci_high)}
    for k, d in a.dimensions.items():
        out[f"dimension.{k}"] = (d.score, d.ci_low, d.ci_high)
        for view in ("internal", "customer"):
            v = getattr(d, view)
            if v is not None:
                out[f"{view}.{k}"] = (v.value, v.ci_low, v.ci_high)
    for k, e in a.kpis.items():
        if e is not None and e.value is not None:
            out[f"kpi.{k}"] = (e.value, e.ci_low, e.ci_high)
    return out


def make_population(root: Path, n_responses: int = 200_000, n_tickets: int = 400_000,
                    n_employees: int = 20_000, n_customers: int = 100_000, seed: int = 11) -> Population:
    """Generate the population client under ``root`` and compute its true values."""
    folder = make_large_client(root, n_responses, n_tickets, seed=seed, n_employees=n_employees,
                               n_customers=n_customers)
    data = read_client(folder)
    # The response rate is a count over invitations, not a sample mean; leave it out of both.
    data = dataclasses.replace(data, config=dataclasses.replace(data.config, customer_survey_invited=None))
    truth_assessment = assess(data, draws=2)
    truth = {k: v[0] for k, v in _measures(truth_assessment).items() if v[0] is not None}
    tickets = data.frames["tickets"]
    codes, _ = pd.factorize(tickets["customer_id"])
    order = np.argsort(codes, kind="stable")
    counts = np.bincount(codes)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    keep = counts > 0
    return Population(data, truth, order, starts[keep], counts[keep])


def draw_client(pop: Population, sizes: Sizes, rng: np.random.Generator) -> ClientData:
    """One simulated client drawn from the population."""
    frames = pop.data.frames

    def rows(frame: pd.DataFrame, n: int) -> pd.DataFrame:
        return frame.iloc[rng.integers(0, len(frame), n)].reset_index(drop=True)

    out = {"employee_survey": rows(frames["employee_survey"], sizes.employees),
           "customer_survey": rows(frames["customer_survey"], sizes.respondents),
           "customers": rows(frames["customers"], sizes.base)}
    pick = rng.integers(0, pop.ticket_starts.size, sizes.ticket_customers)
    counts = pop.ticket_counts[pick]
    offsets = np.repeat(pop.ticket_starts[pick] - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
    idx = pop.ticket_rows[offsets + np.arange(int(counts.sum()))]
    tickets = frames["tickets"].iloc[idx].reset_index(drop=True)
    # A customer drawn twice is two customers: give every draw its own id.
    tickets["customer_id"] = pd.Series(np.repeat(np.arange(pick.size), counts).astype(str), dtype="str")
    out["tickets"] = tickets
    return dataclasses.replace(pop.data, frames=out)


def run(pop: Population, reps: int, draws: int = 1000, sizes: Sizes = Sizes(), seed: int = 2026,
        progress: bool = False) -> pd.DataFrame:
    """Coverage per measure over ``reps`` simulated clients.

    Returns
    -------
    pandas.DataFrame
        Index: measure; columns ``truth``, ``coverage`` (share of intervals containing the
        truth), ``reps`` (replicates with an interval), ``mc_se`` (Monte Carlo standard error of
        the coverage), ``below``/``above`` (misses on each side), ``mean_width`` and ``bias``
        (mean estimate minus truth).
    """
    rng = np.random.default_rng(seed)
    hits: dict[str, list[tuple[float, float, float]]] = {}
    for r in range(reps):
        a = assess(draw_client(pop, sizes, rng), draws=draws, seed=int(rng.integers(2**63)))
        for k, (v, lo, hi) in _measures(a).items():
            if k in pop.truth and v is not None and lo is not None and hi is not None:
                hits.setdefault(k, []).append((v, lo, hi))
        if progress and (r + 1) % 50 == 0:
            print(f"  {r + 1}/{reps} replicates", file=sys.stderr, flush=True)
    rows = {}
    for k, vals in hits.items():
        v, lo, hi = (np.array(x) for x in zip(*vals))
        t = pop.truth[k]
        cov = float(np.mean((lo <= t) & (t <= hi)))
        n = len(vals)
        rows[k] = {"truth": t, "coverage": cov, "reps": n, "mc_se": math.sqrt(0.95 * 0.05 / n),
                   "below": float(np.mean(hi < t)), "above": float(np.mean(lo > t)),
                   "mean_width": float(np.mean(hi - lo)), "bias": float(np.mean(v) - t)}
    return pd.DataFrame.from_dict(rows, orient="index").sort_index()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=1000, help="simulated clients (at least 200)")
    ap.add_argument("--draws", type=int, default=1000, help="resampling draws per client")
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args(argv)
    if args.reps < 200:
        ap.error("--reps must be at least 200")
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        pop = make_population(Path(tmp))
        print(f"population: {len(pop.data.frames['customer_survey']):,} respondents, "
              f"{len(pop.data.frames['employee_survey']):,} employees, "
              f"{len(pop.data.frames['tickets']):,} tickets, {len(pop.data.frames['customers']):,} customers "
              f"({time.perf_counter() - start:.0f} s)")
        sizes = Sizes()
        print(f"each replicate: {sizes.employees} employees, {sizes.respondents} respondents, "
              f"{sizes.ticket_customers} customers' tickets, {sizes.base} customers; {args.draws} draws")
        table = run(pop, args.reps, args.draws, sizes, args.seed, progress=True)
    pd.set_option("display.width", 160)
    shown = table.assign(coverage=lambda t: (100 * t["coverage"]).round(1), mc_se=lambda t: (100 * t["mc_se"]).round(2),
                         below=lambda t: (100 * t["below"]).round(1), above=lambda t: (100 * t["above"]).round(1))
    print(shown.round(3).to_string())
    ok = True
    for k in GATED:
        c = table.loc[k, "coverage"]
        inside = BAND[0] <= c <= BAND[1]
        ok &= inside
        print(f"{k}: coverage {100 * c:.1f}% ({'inside' if inside else 'OUTSIDE'} "
              f"{100 * BAND[0]:.0f}-{100 * BAND[1]:.0f}%)")
    dims = table[table.index.str.startswith("dimension.")]["coverage"]
    print(f"all dimension scores: {100 * dims.min():.1f}% to {100 * dims.max():.1f}%; "
          f"overall score {100 * table.loc['overall', 'coverage']:.1f}%; "
          f"{args.reps} replicates in {time.perf_counter() - start:.0f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
