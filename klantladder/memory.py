"""How a klantladder process keeps freed memory for reuse.

Intake and scoring of a large client create many short-lived arrays of tens of megabytes. By
default glibc maps every block above 32 MiB freshly from the operating system and unmaps it when
freed, so the kernel zeroes the pages of every new array again: on a client with millions of
rows that page zeroing costs as much processor time as a third of the computation.

:func:`keep_freed_memory` makes the process keep what it frees and serve the next arrays from
it: large blocks come from the heap instead of separate mappings (``M_MMAP_MAX`` 0), the heap
is not trimmed back below 1 GiB of free space (``M_TRIM_THRESHOLD``), all threads share one heap
(``M_ARENA_MAX`` 1, so a block freed by one thread serves another). Arrow's buffers (Parquet
and Excel reading, text columns, Arrow-backed computations) come from the same heap: Arrow's own
default pool (mimalloc in the PyPI wheels) returns memory to the operating system on its own
schedule, and on a client with 1,000,000 responses and 5,000,000 tickets scoring then spent
2.0 s instead of 1.2 s in the kernel (3.65 s instead of 3.22 s in all, medians of five
alternating runs). The memory at the peak is what it was; the process just keeps it until it
ends.

It also stops NumPy from asking for transparent huge pages for its large arrays. Where the
kernel compacts memory to serve such a request at once (``defrag`` set to ``madvise``, Debian's
default), each first touch of a 2 MiB page can wait for compaction: on a large client that made
scoring a third slower, and its duration varied from run to run by a second.

It is a setting for a whole process, so klantladder's own processes call it once at their start
(the command line, each batch worker); a notebook or program that imports klantladder keeps its
own settings. Elsewhere than on glibc (macOS, Windows, musl) it changes nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

__all__ = ["keep_freed_memory"]

_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4
_M_ARENA_MAX = -8
_SETTINGS = ((_M_MMAP_MAX, 0), (_M_TRIM_THRESHOLD, 1 << 30), (_M_ARENA_MAX, 1))

_done = False


def _glibc() -> ctypes.CDLL | None:
    """The C library if it is glibc (it has ``mallopt``), else None."""
    if not sys.platform.startswith("linux"):
        return None
    name = ctypes.util.find_library("c") or "libc.so.6"
    try:
        libc = ctypes.CDLL(name)
    except OSError:
        return None
    if not (hasattr(libc, "gnu_get_libc_version") and hasattr(libc, "mallopt")):
        return None
    libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    libc.mallopt.restype = ctypes.c_int
    return libc


def _no_huge_pages_for_numpy() -> None:
    """NumPy's large arrays without the transparent-huge-page request (see the module)."""
    import numpy as np

    core = getattr(np, "_core", None) or getattr(np, "core", None)
    setter = getattr(getattr(core, "multiarray", None), "_set_madvise_hugepage", None)
    if setter is not None:
        setter(False)


def _arrow_from_the_heap() -> None:
    """Arrow's default memory pool: the C library's heap, which keeps freed memory (see the module)."""
    try:
        import pyarrow as pa
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        return
    pa.set_memory_pool(pa.system_memory_pool())


def keep_freed_memory() -> bool:
    """Keep freed memory in this process for reuse (see the module). Call it once, early, before
    the process starts threads; later calls do nothing. Returns True if the settings took effect
    (glibc), False elsewhere."""
    global _done
    if _done:
        return True
    libc = _glibc()
    if libc is None:
        return False
    ok = all(libc.mallopt(option, value) == 1 for option, value in _SETTINGS)
    _no_huge_pages_for_numpy()
    if ok:
        _arrow_from_the_heap()
    _done = ok
    return ok
