"""Scoring a large client: time against the I/O floor, and peak memory (SPEC 7).

Generates a client with 1,000,000 customer-survey responses and 5,000,000 tickets
(:func:`klantladder.demo.make_large_client`, Parquet), then measures in one run

(a) reading its files — :func:`klantladder.readers.read_table` for each source, the I/O floor;
    measured twice, with Arrow's buffers from the kept heap (as scoring has them) and from Arrow's
    own memory pool, and the faster median is the floor;
(b) the full intake and scoring — :func:`klantladder.assess.assess_folder`: validation,
    pseudonymisation, KPIs, every interval and the rung probabilities;

each in a fresh child process (so imports are excluded and memory is measured on its own) that
keeps freed memory for reuse and runs BLAS on one thread as the command line does
(:func:`klantladder.memory.keep_freed_memory`, :func:`klantladder.threads.one_thread_per_library`),
alternating (a) and (b) ``--repeat`` times, and prints the median times, their ratio (SPEC: at
most 3), the processor time with the operating system's share and the fresh memory pages each
touched (minor page faults: where first touches of memory are costly, as in a virtual machine,
they are a large part of (b)'s time) and the peak resident memory of (b) (``ru_maxrss`` of the
child; SPEC: under 4 GB).
With ``--profile`` the scoring child also prints its top functions by cumulative time.

Run::

    .venv/bin/python benchmarks/scoring.py
    .venv/bin/python benchmarks/scoring.py --responses 200000 --tickets 1000000   # smaller
    .venv/bin/python benchmarks/scoring.py --data /tmp/large                       # reuse files
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MAX_RATIO = 3.0
MAX_BYTES = 4 * 1024**3

#: What the child has used since ``u0 = usage()``: processor seconds (all, and the operating
#: system's), minor page faults (fresh pages touched) and its peak resident memory.
_USAGE = """
from klantladder.threads import BLAS_VARIABLES, one_thread_per_library
one_thread_per_library(names=BLAS_VARIABLES)  # as the command line, before NumPy is loaded
import resource
def usage():
    return resource.getrusage(resource.RUSAGE_SELF)
def spent(u0):
    u1 = usage()
    return {"cpu": u1.ru_utime + u1.ru_stime - u0.ru_utime - u0.ru_stime, "system": u1.ru_stime - u0.ru_stime,
            "pages": u1.ru_minflt - u0.ru_minflt, "maxrss": u1.ru_maxrss * 1024}
"""

_READ = _USAGE + """
import json, os, sys, time
from pathlib import Path
import pyarrow as pa
arrow_pool = pa.default_memory_pool()
from klantladder.memory import keep_freed_memory
keep_freed_memory()
if os.environ.get("KL_READ_POOL") == "arrow":
    pa.set_memory_pool(arrow_pool)  # Arrow's own pool instead of the kept heap
from klantladder.config import load_client_config
from klantladder.readers import read_table
cfg = load_client_config(sys.argv[1])
u0, start = usage(), time.perf_counter()
rows = 0
for source in cfg.sources.values():
    if source.path is not None:
        rows += len(read_table(source.path))
seconds, used = time.perf_counter() - start, spent(u0)
print(json.dumps({"seconds": seconds, "rows": rows, **used}))
"""

_SCORE = _USAGE + """
import json, os, sys, time
from klantladder.memory import keep_freed_memory
keep_freed_memory()
from klantladder.assess import assess_folder
profile = os.environ.get("KL_PROFILE") == "1"
if profile:
    import cProfile, pstats
    prof = cProfile.Profile()
    prof.enable()
u0, start = usage(), time.perf_counter()
a = assess_folder(sys.argv[1])
seconds, used = time.perf_counter() - start, spent(u0)
if profile:
    prof.disable()
    pstats.Stats(prof, stream=sys.stderr).sort_stats("cumulative").print_stats(40)
print(json.dumps({"seconds": seconds, **used, "rung": a.rung.level, "regimes": a.regimes,
                  "overall": [a.overall.value, a.overall.ci_low, a.overall.ci_high]}))
"""


def _child(code: str, folder: Path, env: dict[str, str]) -> dict:
    out = subprocess.run([sys.executable, "-c", code, str(folder)], capture_output=True, text=True, env=env,
                         check=False)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    if out.stderr.strip() and env.get("KL_PROFILE") == "1":
        print(out.stderr, file=sys.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(folder: Path, repeat: int, profile: bool = False) -> dict:
    """Alternate the read and the scoring child ``repeat`` times; medians and peak memory."""
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    with tempfile.TemporaryDirectory() as keydir:
        env["KLANTLADDER_KEY_FILE"] = str(Path(keydir) / "pseudonym.key")  # a throwaway project key
        _child(_READ, folder, env)  # warm the page cache: both measurements then read from memory
        reads, arrow_reads, scores = [], [], []
        for i in range(repeat):
            reads.append(_child(_READ, folder, env))
            arrow_reads.append(_child(_READ, folder, {**env, "KL_READ_POOL": "arrow"}))
            scores.append(_child(_SCORE, folder, {**env, "KL_PROFILE": "1" if profile and i == 0 else "0"}))
    if statistics.median(r["seconds"] for r in arrow_reads) < statistics.median(r["seconds"] for r in reads):
        reads, pool = arrow_reads, "Arrow's own pool"
    else:
        pool = "kept heap"
    read_s = statistics.median(r["seconds"] for r in reads)
    score_s = statistics.median(s["seconds"] for s in scores if not (profile and s is scores[0])) \
        if repeat > 1 or not profile else scores[0]["seconds"]
    return {"read_seconds": read_s, "score_seconds": score_s, "ratio": score_s / read_s,
            **{f"{side}_{k}": statistics.median(x[k] for x in runs)
               for side, runs in (("read", reads), ("score", scores)) for k in ("cpu", "system", "pages")},
            "score_maxrss": max(s["maxrss"] for s in scores), "read_maxrss": max(r["maxrss"] for r in reads),
            "rows": reads[0]["rows"], "read_pool": pool, "runs": {"read": [r["seconds"] for r in reads],
                                                "score": [s["seconds"] for s in scores]},
            "rung": scores[0]["rung"], "regimes": scores[0]["regimes"], "overall": scores[0]["overall"]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--responses", type=int, default=1_000_000)
    ap.add_argument("--tickets", type=int, default=5_000_000)
    ap.add_argument("--repeat", type=int, default=3, help="alternating measurements of (a) and (b)")
    ap.add_argument("--data", type=Path, default=None, help="folder to write the client to (kept); default temporary")
    ap.add_argument("--profile", action="store_true", help="profile the first scoring run")
    args = ap.parse_args(argv)
    from klantladder.demo import make_large_client

    with tempfile.TemporaryDirectory() as tmp:
        base = args.data or Path(tmp)
        start = time.perf_counter()
        folder = base / "large"
        if not (folder / "tickets.parquet").is_file() or args.data is None:
            folder = make_large_client(base, args.responses, args.tickets, fmt="parquet")
        print(f"client: {args.responses:,} responses, {args.tickets:,} tickets (Parquet) "
              f"ready in {time.perf_counter() - start:.1f} s; {os.cpu_count()} CPUs")
        r = run(folder, args.repeat, args.profile)
    gb = 1024**3
    print(f"(a) reading the files (read_table):  {r['read_seconds']:.2f} s   runs {[round(x, 2) for x in r['runs']['read']]}"
          f"  (the faster of two memory pools: {r['read_pool']})")
    print(f"(b) intake + scoring (assess_folder): {r['score_seconds']:.2f} s   runs {[round(x, 2) for x in r['runs']['score']]}")
    print(f"ratio (b)/(a): {r['ratio']:.2f}  (SPEC: at most {MAX_RATIO:g})")
    print(f"processor time (user + system, all threads): (a) {r['read_cpu']:.2f} s, (b) {r['score_cpu']:.2f} s; "
          f"ratio {r['score_cpu'] / r['read_cpu']:.2f}")
    page = resource.getpagesize()
    print(f"  of which the operating system: (a) {r['read_system']:.2f} s, (b) {r['score_system']:.2f} s, mostly "
          f"first touches of fresh memory: (a) {r['read_pages'] / 1e3:,.0f}k pages ({r['read_pages'] * page / gb:.2f} GB), "
          f"(b) {r['score_pages'] / 1e3:,.0f}k pages ({r['score_pages'] * page / gb:.2f} GB)")
    print(f"peak memory of (b): {r['score_maxrss'] / gb:.2f} GB  (reading alone {r['read_maxrss'] / gb:.2f} GB; "
          f"SPEC: under {MAX_BYTES / gb:g} GB)")
    print(f"rung {r['rung']}, overall {r['overall'][0]:.2f} [{r['overall'][1]:.2f}, {r['overall'][2]:.2f}], "
          f"resampling regimes {r['regimes']}")
    ok = r["ratio"] <= MAX_RATIO and r["score_maxrss"] < MAX_BYTES
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
