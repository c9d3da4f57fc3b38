"""A batch process runs its native libraries on one thread each (klantladder.threads)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from klantladder.threads import THREAD_VARIABLES, one_thread_per_library


def test_unset_variables_become_one_and_the_users_stay():
    env = {"OPENBLAS_NUM_THREADS": "3", "MKL_NUM_THREADS": ""}
    set_now = one_thread_per_library(env)
    assert env["OPENBLAS_NUM_THREADS"] == "3"  # the user's choice is kept
    assert set(set_now) == set(THREAD_VARIABLES) - {"OPENBLAS_NUM_THREADS"}
    assert all(env[name] == "1" for name in set_now)
    assert one_thread_per_library(env) == []  # a second call changes nothing


# The command line as far as it goes before running the command: which environment and which BLAS
# pool its workers (forked from it) and their kernels (started with its environment) get.
_PROBE = """
import json, os, sys
import klantladder.cli as cli
def probe(args):
    from threadpoolctl import threadpool_info
    blas = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
    print(json.dumps({"env": os.environ.get("OPENBLAS_NUM_THREADS"), "omp": os.environ.get("OMP_NUM_THREADS"),
                      "blas": blas}))
    return 0
cli._run = probe
sys.exit(cli.main(sys.argv[1:]))
"""


def _probe(args: list[str], tmp_path, **env: str) -> dict:
    pytest.importorskip("threadpoolctl")
    clean = {k: v for k, v in os.environ.items() if k not in THREAD_VARIABLES}
    out = subprocess.run([sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, check=True,
                         cwd=tmp_path, env={**clean, **env})
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_batch_command_loads_blas_with_one_thread(tmp_path):
    got = _probe(["batch", ".", "--out", "out"], tmp_path)
    assert got["env"] == "1"
    assert got["blas"] and all(n == 1 for n in got["blas"])


def test_users_setting_and_other_commands_keep_their_threads(tmp_path):
    assert _probe(["batch", ".", "--out", "out"], tmp_path, OPENBLAS_NUM_THREADS="2")["env"] == "2"
    # One client: klantladder's own threads share the cores, so BLAS gets one thread; a user's
    # setting stays, and Arrow (OMP_NUM_THREADS) still reads a client's files on every core.
    got = _probe(["score", "."], tmp_path)
    assert got["env"] == "1" and got["blas"] and all(n == 1 for n in got["blas"])
    assert got["omp"] is None
    assert _probe(["score", "."], tmp_path, OPENBLAS_NUM_THREADS="2")["env"] == "2"
