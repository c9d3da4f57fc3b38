"""One thread per native library in klantladder's own processes.

A batch runs one report per core: its worker processes and their Jupyter kernels already keep
every core busy. NumPy's BLAS (OpenBLAS in the PyPI wheels) would add a pool of threads per
process on top, one per core, that spin while they wait for the next matrix product: on the
2-core development machine scoring a demo client took 0.55 CPU seconds with them and 0.41 without
(0.39 s and 0.41 s of wall time; ``benchmarks/threads.py``), and in a batch the spinning threads
take processor time from the other worker and the kernels.

A single large client is scored in klantladder's own threads too: its files are converted side
by side, and the tickets' part runs beside the surveys' part, so BLAS's pool competes with them
for the same cores. On a client with 1,000,000 responses and 5,000,000 tickets scoring took
2.44 s with one BLAS thread and 2.83 s with the default pool (medians of four alternating runs on
2 cores; ``benchmarks/scoring.py`` runs it as the command line does).

:func:`one_thread_per_library` sets the usual variables to 1 (as Dask's nanny does for its
workers), unless the user has set them. The command line does so for BLAS in every command
(:data:`BLAS_VARIABLES`), and for every library in ``batch`` and ``demo``
(:data:`THREAD_VARIABLES`): Arrow's pool follows ``OMP_NUM_THREADS``, so a batch worker reads
its client's Parquet files on one thread, beside the other workers, while a single client's
files are read on every core. The libraries read the variables once, when they are loaded: the
command line sets them before it imports NumPy, so its forked workers have them too, and the
kernels they start inherit the environment.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

__all__ = ["BLAS_VARIABLES", "THREAD_VARIABLES", "one_thread_per_library"]

#: The environment variables that size the thread pools of OpenMP, OpenBLAS, MKL, Apple's
#: Accelerate and numexpr.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
                    "NUMEXPR_NUM_THREADS")

#: The variables of the BLAS libraries alone (OpenBLAS, MKL, Apple's Accelerate).
BLAS_VARIABLES = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")


def one_thread_per_library(environ: MutableMapping[str, str] | None = None,
                           names: tuple[str, ...] = THREAD_VARIABLES) -> list[str]:
    """Set each of ``names`` (by default :data:`THREAD_VARIABLES`) that is not set yet to ``"1"``
    in ``environ`` (by default this process's environment). Returns the names it set. A library already loaded in
    this process keeps its pool; processes started afterwards get the setting."""
    env = os.environ if environ is None else environ
    unset = [name for name in names if not env.get(name)]
    for name in unset:
        env[name] = "1"
    return unset
