"""Freed memory is kept for reuse in klantladder's own processes (klantladder.memory)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from klantladder.memory import _glibc

_CHILD = """
import json, resource, sys
import numpy as np
if sys.argv[1] == "keep":
    from klantladder.memory import keep_freed_memory
    assert keep_freed_memory() and keep_freed_memory()  # a second call is harmless
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
np.ones(8_000_000)  # the first 64 MB array: fresh pages either way
before = faults()
for _ in range(20):
    a = np.ones(8_000_000)  # 64 MB, freed again at the next assignment
    a += 1
    del a
print(json.dumps({"pages": faults() - before}))
"""


def _fresh_pages(mode: str) -> int:
    env = {**os.environ, "NUMPY_MADVISE_HUGEPAGE": "0"}  # count 4 KiB pages, whatever the machine's THP setting
    out = subprocess.run([sys.executable, "-c", _CHILD, mode], capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout)["pages"]


@pytest.mark.skipif(_glibc() is None, reason="the setting exists on glibc only")
def test_large_arrays_reuse_freed_memory_instead_of_fresh_pages():
    page = os.sysconf("SC_PAGE_SIZE")
    one_array = 64_000_000 // page
    default, kept = _fresh_pages("default"), _fresh_pages("keep")
    assert default > 10 * one_array  # by default every new 64 MB array is zeroed by the kernel again
    assert kept < one_array  # kept: twenty arrays later, not even one array's worth of new pages



@pytest.mark.skipif(_glibc() is None, reason="the setting exists on glibc only")
def test_arrow_buffers_come_from_the_same_kept_heap():
    child = (
        "import pyarrow as pa\n"
        "before = pa.default_memory_pool().backend_name\n"
        "from klantladder.memory import keep_freed_memory\n"
        "keep_freed_memory()\n"
        "print(before, pa.default_memory_pool().backend_name)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    out = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, env=env, check=True)
    before, after = out.stdout.split()
    assert before != "system"  # Arrow's own pool by default (mimalloc or jemalloc)
    assert after == "system"  # then the C library's heap, which keep_freed_memory configures
