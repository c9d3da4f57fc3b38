"""Reuse of freed memory while a large client is read and scored.

Intake and scoring of millions of rows create many short-lived arrays of tens of megabytes. By
default each of them is mapped freshly from the operating system and handed back when freed
(glibc does so for every block above 128 KiB, Arrow's allocator soon after), so the kernel zeroes
every new array's pages again: on a large client that zeroing can cost as much processor time as
the computation itself. Inside :func:`reuse_freed_memory` freed blocks stay with the process and
serve the next arrays: glibc keeps large blocks in one heap shared by all threads, and Arrow
allocates from that heap too. On leaving, the defaults return and the memory no longer in use is
handed back (``malloc_trim``). With another C library (macOS, Windows, musl) only Arrow's
allocator is switched.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
from contextlib import contextmanager
from typing import Iterator

import pyarrow as pa

__all__ = ["reuse_freed_memory"]

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
#: glibc's default for both thresholds, 128 KiB (0 for the number of heaps: its own rule).
_DEFAULTS = {_M_MMAP_THRESHOLD: 128 * 1024, _M_TRIM_THRESHOLD: 128 * 1024, _M_ARENA_MAX: 0}
#: While inside: blocks up to 1 GiB come from the heap and stay there when freed, in one heap.
_KEEP = {_M_MMAP_THRESHOLD: 1 << 30, _M_TRIM_THRESHOLD: 1 << 30, _M_ARENA_MAX: 1}

_lock = threading.Lock()
_depth = 0
_arrow_pool: pa.MemoryPool | None = None


def _glibc() -> ctypes.CDLL | None:
    """The C library if it is glibc (it has ``mallopt`` and ``malloc_trim``), else None."""
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        libc = ctypes.CDLL(name)
    except OSError:
        return None
    if not all(hasattr(libc, f) for f in ("gnu_get_libc_version", "mallopt", "malloc_trim")):
        return None
    libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    libc.malloc_trim.argtypes = [ctypes.c_size_t]
    return libc


_LIBC = _glibc()


def _enter() -> None:
    global _arrow_pool
    _arrow_pool = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    if _LIBC is not None:
        for option, value in _KEEP.items():
            _LIBC.mallopt(option, value)


def _leave() -> None:
    global _arrow_pool
    if _arrow_pool is not None:
        pa.set_memory_pool(_arrow_pool)
        _arrow_pool = None
    if _LIBC is not None:
        for option, value in _DEFAULTS.items():
            _LIBC.mallopt(option, value)
        _LIBC.malloc_trim(0)


@contextmanager
def reuse_freed_memory() -> Iterator[None]:
    """Keep freed memory in the process for reuse while inside (see the module). Nesting and use
    from several threads are safe: the outermost use sets and restores the settings."""
    global _depth
    with _lock:
        _depth += 1
        if _depth == 1:
            _enter()
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                _leave()
