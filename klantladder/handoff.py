"""Hand an object to another process through a file: a pickle whose large arrays are read back
in place.

The report's kernel receives the assessment the runner computed. For a client with millions of
tickets that object holds close to a gigabyte of columns; an ordinary pickle copies every byte
twice more (into the file, then out of it into the kernel's memory). Here the pickle's large
buffers (NumPy arrays, Arrow columns) are written out of band, after the pickle itself, and the
reader maps the file into memory copy-on-write: the arrays are views of the file's pages, which
the operating system shares with its file cache, and a page is copied only if something writes
to it. On Windows, and where the file system cannot map files, the file is read into memory
instead.

File layout (all integers little-endian, unsigned 64-bit)::

    MAGIC | header length | number of buffers | (offset, length) per buffer | pickle | buffers

Each buffer starts at a multiple of :data:`ALIGN` bytes, so the arrays read back are aligned as
NumPy and Arrow expect.
"""

from __future__ import annotations

import mmap
import os
import pickle
import struct
from pathlib import Path
from typing import Any

__all__ = ["MAGIC", "ALIGN", "dump", "load", "is_handoff"]

#: The first bytes of a hand-off file (never the first bytes of a pickle, which start with 0x80).
MAGIC = b"KLHANDOFF1\n"
#: Alignment of every out-of-band buffer in the file, in bytes.
ALIGN = 64


def _padding(position: int) -> int:
    return -position % ALIGN


def dump(obj: Any, path: str | Path) -> int:
    """Write ``obj`` to ``path`` as a hand-off file (see the module notes); returns the file's size.

    The large buffers are written straight from memory, without a copy.
    """
    buffers: list[pickle.PickleBuffer] = []
    head = pickle.dumps(obj, protocol=5, buffer_callback=buffers.append)
    views = [b.raw() for b in buffers]
    table_size = 16 * len(views)
    position = len(MAGIC) + 16 + table_size + len(head)
    spans = []
    for v in views:
        position += _padding(position)
        spans.append((position, v.nbytes))
        position += v.nbytes
    with open(path, "wb") as fh:
        fh.write(MAGIC + struct.pack("<QQ", len(head), len(views)))
        fh.write(b"".join(struct.pack("<QQ", o, n) for o, n in spans))
        fh.write(head)
        for (offset, _), v in zip(spans, views):
            fh.write(b"\0" * (offset - fh.tell()))  # up to the buffer's aligned start
            fh.write(v)
    for b in buffers:
        b.release()
    return position


def is_handoff(path: str | Path) -> bool:
    """Whether ``path`` is a hand-off file (rather than, say, a plain pickle)."""
    with open(path, "rb") as fh:
        return fh.read(len(MAGIC)) == MAGIC


def _contents(fh) -> mmap.mmap | bytearray:
    """The open file's bytes: mapped copy-on-write, or read into memory on Windows (where a mapped
    file cannot be deleted while the object lives) and on file systems that cannot map files."""
    if os.name != "nt":
        try:
            return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_COPY)
        except (OSError, ValueError):
            pass
    fh.seek(0)
    return bytearray(fh.read())


def load(path: str | Path) -> Any:
    """The object in hand-off file ``path``; its large arrays are copy-on-write views of the file
    (writable; the file may be deleted once this returns)."""
    def read(fh, n: int) -> bytes:
        data = fh.read(n)
        if len(data) != n:
            raise ValueError(f"{path}: file is cut short")
        return data

    with open(path, "rb") as fh:
        if fh.read(len(MAGIC)) != MAGIC:
            raise ValueError(f"{path}: not a hand-off file")
        head_size, count = struct.unpack("<QQ", read(fh, 16))
        table = read(fh, 16 * count)
        spans = [struct.unpack_from("<QQ", table, 16 * i) for i in range(count)]
        head = read(fh, head_size)
        if not count:
            return pickle.loads(head)
        data = _contents(fh)
    if spans[-1][0] + spans[-1][1] > len(data):
        raise ValueError(f"{path}: file is cut short")
    view = memoryview(data)
    return pickle.loads(head, buffers=[view[o:o + n] for o, n in spans])
