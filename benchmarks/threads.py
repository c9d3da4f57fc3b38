"""Scoring with the native libraries' default thread pools against one thread each, in one run.

    .venv/bin/python benchmarks/threads.py [--clients 20] [--repeat 3]

``klantladder batch`` and ``klantladder demo`` run NumPy's BLAS and the other native libraries on
one thread per process (:func:`klantladder.threads.one_thread_per_library`): the batch already
runs one report per core. This measures what that is worth where it counts, in the processor
time of scoring (:func:`klantladder.assess.assess_folder`), the part of a report that uses BLAS
(the drivers' regressions): ``--clients`` demo clients (as ``benchmarks/batch.py`` makes them)
are scored in a fresh child process each way, alternating ``--repeat`` times, after one warm-up
client, and the medians per client are printed: processor seconds (all threads, the spinning
ones included) and wall-clock seconds. On an otherwise idle machine the default pools win a
little wall time for one client; in a batch every core is busy and processor time is what the
other workers lose.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

_SCORE = """
import json, resource, sys, time
from pathlib import Path
from klantladder.assess import assess_folder
clients = sorted(p for p in Path(sys.argv[1]).iterdir() if p.is_dir())
assess_folder(clients[0])  # warm-up: imports, caches
u0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
for c in clients:
    assess_folder(c)
u1, t1 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
cpu = u1.ru_utime + u1.ru_stime - u0.ru_utime - u0.ru_stime
print(json.dumps({"cpu": cpu / len(clients), "wall": (t1 - t0) / len(clients)}))
"""


def main() -> None:
    from klantladder.threads import THREAD_VARIABLES, one_thread_per_library

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from batch import make_clients  # benchmarks/batch.py: the same demo clients
    from scoring import _child  # benchmarks/scoring.py: run a measuring child, read its JSON

    base = {k: v for k, v in os.environ.items() if k not in THREAD_VARIABLES}
    base["PYTHONPATH"] = str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")
    one = dict(base)
    one_thread_per_library(one)
    runs: dict[str, list[dict]] = {"default pools": [], "one thread each": []}
    with tempfile.TemporaryDirectory(prefix="kl-threads-") as tmp:
        folder = Path(tmp) / "clients"
        folder.mkdir()
        # A throwaway project key (made at first use), the same for both ways.
        base["KLANTLADDER_KEY_FILE"] = one["KLANTLADDER_KEY_FILE"] = str(Path(tmp) / "pseudonym.key")
        make_clients(folder, args.clients)
        print(f"{args.clients} demo clients; {os.cpu_count()} CPUs; repeat {args.repeat}")
        for _ in range(args.repeat):
            runs["default pools"].append(_child(_SCORE, folder, base))
            runs["one thread each"].append(_child(_SCORE, folder, one))
    med = {k: {m: statistics.median(r[m] for r in v) for m in ("cpu", "wall")} for k, v in runs.items()}
    for k, v in med.items():
        print(f"  {k:<16} {v['cpu']:.3f} CPU-s per client  {v['wall']:.3f} s wall")
    d, o = med["default pools"], med["one thread each"]
    print(f"processor time, default / one thread: {d['cpu'] / o['cpu']:.2f}x;  "
          f"wall time, one thread / default: {o['wall'] / d['wall']:.2f}x")


if __name__ == "__main__":
    main()
