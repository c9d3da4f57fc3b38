"""The package's optional compiled part: a few loops in C (``klantladder/_native.c``).

Built at install when a C compiler is present; the loops run without the interpreter lock:
SipHash-2-4 over a text column, pseudonym text, factorising 64-bit hashes, a counting sort and
packed per-group counts. Every caller has a NumPy version of the same computation and uses it
when :data:`_native` is None; the tests check that both give the same results, down to a whole
assessment.
"""

from __future__ import annotations

__all__ = ["COMPILED"]

try:
    from . import _native
except ImportError:  # not built: the callers' NumPy versions do the same
    _native = None

#: Whether the compiled loops are there.
COMPILED: bool = _native is not None
