"""Tests for klantladder.memory: freed memory kept for reuse while a client is scored."""

from __future__ import annotations

import threading

import pyarrow as pa

from klantladder import memory
from klantladder.memory import reuse_freed_memory


def test_arrow_allocates_from_the_c_heap_inside_and_from_its_own_pool_after():
    before = pa.default_memory_pool().backend_name
    with reuse_freed_memory():
        assert pa.default_memory_pool().backend_name == "system"
        with reuse_freed_memory():  # nested: the outer use keeps the settings
            pass
        assert pa.default_memory_pool().backend_name == "system"
        assert pa.array(range(1000)).sum().as_py() == 499500
    assert pa.default_memory_pool().backend_name == before
    assert memory._depth == 0


def test_settings_return_when_the_last_of_several_threads_leaves():
    before = pa.default_memory_pool().backend_name
    inside = threading.Barrier(3)
    seen = []

    def work() -> None:
        with reuse_freed_memory():
            inside.wait()
            seen.append(pa.default_memory_pool().backend_name)
            inside.wait()

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == ["system"] * 3
    assert pa.default_memory_pool().backend_name == before
    assert memory._depth == 0


def test_an_error_inside_restores_the_settings():
    before = pa.default_memory_pool().backend_name
    try:
        with reuse_freed_memory():
            raise ValueError("bad input")
    except ValueError:
        pass
    assert pa.default_memory_pool().backend_name == before
