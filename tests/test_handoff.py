"""The assessment's way to the report kernel: a pickle with its large arrays read back in place."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from klantladder import handoff, nb
from klantladder.assess import assess_folder
from klantladder.outputs import write_workbook

_DTYPES = st.sampled_from(["float64", "int64", "int8", "bool", "complex128", "datetime64[ms]", "<U3"])


@st.composite
def _arrays(draw) -> np.ndarray:
    arr = draw(hnp.arrays(_DTYPES, hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=6)))
    layout = draw(st.sampled_from(["c", "fortran", "strided"]))
    if layout == "fortran":
        arr = np.asfortranarray(arr)
    elif layout == "strided":
        arr = arr[::2]
    return arr


@settings(max_examples=60, deadline=None)
@given(st.lists(_arrays(), max_size=6), st.text(max_size=20))
def test_any_arrays_come_back_equal_and_aligned(tmp_path_factory, arrays, text):
    path = tmp_path_factory.mktemp("h") / "x.handoff"
    obj = {"arrays": arrays, "text": text, "frame": pd.DataFrame({"x": np.arange(5.0)})}
    handoff.dump(obj, path)
    back = handoff.load(path)
    assert back["text"] == text
    pd.testing.assert_frame_equal(back["frame"], obj["frame"])
    assert len(back["arrays"]) == len(arrays)
    for a, b in zip(arrays, back["arrays"]):
        assert b.dtype == a.dtype and b.shape == a.shape
        np.testing.assert_array_equal(b, a)
        if b.size and b.base is not None and not b.dtype.hasobject:
            assert b.ctypes.data % np.dtype(b.dtype).alignment == 0


def test_large_arrays_are_views_of_the_file_and_writing_leaves_it_alone(tmp_path):
    """The arrays read back share the file's pages (no copy at load), are writable where the
    original was, and a write changes neither the file nor a second reader's copy."""
    path = tmp_path / "x.handoff"
    original = np.arange(1_000_000, dtype=np.float64)
    size = handoff.dump({"x": original}, path)
    assert path.stat().st_size == size >= original.nbytes
    first, second = handoff.load(path)["x"], handoff.load(path)["x"]
    assert first.base is not None  # a view of the mapped file, not an array of its own
    assert first.flags.writeable
    first[:10] = -1.0
    np.testing.assert_array_equal(second, original)
    np.testing.assert_array_equal(handoff.load(path)["x"], original)
    path.unlink()  # the mapping outlives the file's name
    assert first[10:].sum() == original[10:].sum()


@pytest.mark.parametrize("where", ["no mapping", "windows"])
def test_without_mapping_the_file_is_read_instead(tmp_path, monkeypatch, where):
    """A file system that cannot map files, and Windows (where a mapped file could not be deleted
    while the kernel keeps the assessment), get the file read into memory."""
    path = tmp_path / "x.handoff"
    original = {"x": np.arange(100_000, dtype=np.int64), "y": np.linspace(0, 1, 7)}
    handoff.dump(original, path)

    def refuse(*args, **kwargs):
        if where == "windows":
            raise AssertionError("mapped on Windows")
        raise OSError(19, "No such device")

    monkeypatch.setattr(handoff.mmap, "mmap", refuse)
    if where == "windows":
        monkeypatch.setattr(handoff.os, "name", "nt")
    back = handoff.load(path)
    monkeypatch.undo()
    path.unlink()
    for key, value in original.items():
        np.testing.assert_array_equal(back[key], value)
    assert back["x"].flags.writeable


def test_bad_files_are_named(tmp_path):
    plain = tmp_path / "plain.pkl"
    plain.write_bytes(pickle.dumps({"x": 1}))
    assert not handoff.is_handoff(plain)
    with pytest.raises(ValueError, match="plain.pkl: not a hand-off file"):
        handoff.load(plain)
    cut = tmp_path / "cut.handoff"
    handoff.dump({"x": np.arange(10_000.0)}, cut)
    data = cut.read_bytes()
    cut.write_bytes(data[:-8])
    with pytest.raises(ValueError, match="cut.handoff: file is cut short"):
        handoff.load(cut)
    cut.write_bytes(data[:40])
    with pytest.raises(ValueError, match="cut short"):
        handoff.load(cut)


def test_an_assessment_reaches_the_kernel_whole(demo_root, tmp_path):
    """The report runner's file gives the notebook the same assessment, the tables the workbook
    derived included; a plain pickle (an assessment saved by hand) still loads."""
    a = assess_folder(demo_root / "retail", draws=400)
    write_workbook(a, tmp_path / "scores.xlsx")  # fills the report tables
    assert a.report_cache
    path = tmp_path / "a.handoff"
    handoff.dump(a, path)
    b = nb.load_assessment("unused", str(path))
    assert b.to_dict() == a.to_dict()
    assert set(b.report_cache) == set(a.report_cache)
    for name, frame in a.data.frames.items():
        pd.testing.assert_frame_equal(b.data.frames[name], frame)
    pd.testing.assert_frame_equal(b.report_cache["service_by_channel"].drop(columns="differences"),
                                  a.report_cache["service_by_channel"].drop(columns="differences"))
    plain = tmp_path / "a.pkl"
    plain.write_bytes(pickle.dumps(a))
    assert nb.load_assessment("unused", str(plain), "en").to_dict() == a.in_language("en").to_dict()


def test_dump_writes_nothing_but_the_file(tmp_path):
    handoff.dump({"x": np.ones(3)}, tmp_path / "x.handoff")
    assert [p.name for p in Path(tmp_path).iterdir()] == ["x.handoff"]
