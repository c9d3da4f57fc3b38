"""The optional compiled part (klantladder/_native.c) changes speed, never results: a whole
assessment with it equals one with the NumPy code it stands in for."""

from __future__ import annotations

import json

import pytest

import klantladder.kpis
import klantladder.privacy
import klantladder.readers
import klantladder.resampling
import klantladder.siphash
from klantladder.assess import assess_folder
from klantladder.demo import make_large_client


def _without_compiled_part(monkeypatch) -> None:
    monkeypatch.setattr(klantladder.siphash, "COMPILED", False)
    for module in (klantladder.siphash, klantladder.privacy, klantladder.kpis, klantladder.resampling):
        monkeypatch.setattr(module, "_native", None)


@pytest.mark.skipif(not klantladder.siphash.COMPILED, reason="the compiled part is not built here")
def test_assessment_with_and_without_the_compiled_part_is_identical(tmp_path, monkeypatch):
    folder = make_large_client(tmp_path, 3_000, 40_000, seed=4)
    # every path the compiled part serves: long date columns by distinct value as well
    monkeypatch.setattr(klantladder.readers, "_DISTINCT_FROM", 1_000)
    compiled = assess_folder(folder, draws=200)
    with monkeypatch.context() as m:
        _without_compiled_part(m)
        plain = assess_folder(folder, draws=200)
    assert json.dumps(compiled.to_dict(), sort_keys=True, default=str) == \
        json.dumps(plain.to_dict(), sort_keys=True, default=str)
    for source in ("tickets", "customers", "customer_survey"):
        a, b = compiled.data.frames[source], plain.data.frames[source]
        assert a.equals(b), source  # the same pseudonyms, codes and times, row for row
    ids = compiled.data.frames["tickets"]["customer_id"]
    assert ids.astype(str).str.fullmatch(r"p_[0-9a-f]{16}").all() and ids.nunique() > 1_000
