"""One thread per native library in a batch process.

A batch runs one report per core: its worker processes and their Jupyter kernels already keep
every core busy. NumPy's BLAS (OpenBLAS in the PyPI wheels) would add a pool of threads per
process on top, one per core, that spin while they wait for the next matrix product: on the
2-core development machine scoring a demo client took 0.55 CPU seconds with them and 0.41 without
(0.39 s and 0.41 s of wall time; ``benchmarks/threads.py``), and in a batch the spinning threads
take processor time from the other worker and the kernels.

:func:`one_thread_per_library` sets the usual variables to 1 (as Dask's nanny does for its
workers), unless the user has set them. The libraries read them once, when they are loaded: the
command line calls it before it imports NumPy, so its forked workers have it too, and the
kernels they start inherit the environment. Arrow's pool follows ``OMP_NUM_THREADS`` too: a
worker reads its client's Parquet files on one thread, beside the other workers.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

__all__ = ["THREAD_VARIABLES", "one_thread_per_library"]

#: The environment variables that size the thread pools of OpenMP, OpenBLAS, MKL, Apple's
#: Accelerate and numexpr.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
                    "NUMEXPR_NUM_THREADS")


def one_thread_per_library(environ: MutableMapping[str, str] | None = None) -> list[str]:
    """Set each of :data:`THREAD_VARIABLES` that is not set yet to ``"1"`` in ``environ`` (by
    default this process's environment). Returns the names it set. A library already loaded in
    this process keeps its pool; processes started afterwards get the setting."""
    env = os.environ if environ is None else environ
    unset = [name for name in THREAD_VARIABLES if not env.get(name)]
    for name in unset:
        env[name] = "1"
    return unset
