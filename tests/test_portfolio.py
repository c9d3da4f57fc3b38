"""The benchmark from a folder of scores.json files, as a batch writes them.

The portfolio is made by hand: ten clients with known overall scores and sectors, one of them
with two waves, so percentiles and quartiles can be worked out on paper.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from klantladder.assess import assess_folder
from klantladder.benchmark import BENCHMARK_COLUMNS, peer_quartiles
from klantladder.portfolio import client_benchmark, portfolio_table

NAMES = [f"Geheime Klant {c}" for c in "ABCDEFGHIJ"]


def _doc(name: str, overall: float, sector: str, wave: str = "2026-najaar", ref: str | None = "2026-10-31") -> dict:
    return {"client_id": name.replace(" ", "-"), "name": name, "sector": sector, "wave": wave,
            "reference_date": ref, "overall": {"score": overall, "ci_low": overall - 2, "ci_high": overall + 2},
            "dimensions": {"service": {"score": overall + 5}, "strategy": {"score": None}},
            "kpis": {"nps": {"value": overall - 50, "ci_low": None, "ci_high": None, "n": 100},
                     "resolution_hours_median": {"value": 100 - overall, "ci_low": None, "ci_high": None, "n": 9}}}


@pytest.fixture
def batch_out(tmp_path) -> Path:
    out = tmp_path / "out"
    scores = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    sectors = ["zorg"] * 6 + ["retail"] * 4
    for i, (name, s, sec) in enumerate(zip(NAMES, scores, sectors)):
        folder = out / f"client-{i}"
        if i == 4:  # client-4 has two waves; its latest (najaar 2026) scores 50
            for wave, ref, score in (("2025-voorjaar", "2025-04-30", 5.0), ("2026-najaar", "2026-10-31", s)):
                (folder / wave).mkdir(parents=True)
                (folder / wave / "scores.json").write_text(json.dumps(_doc(name, score, sec, wave, ref)))
        else:
            folder.mkdir(parents=True)
            (folder / "scores.json").write_text(json.dumps(_doc(name, s, sec)))
    (out / ".client-x.partial-123").mkdir()  # a staging folder of a running batch: ignored
    (out / "manifest.json").write_text("{}")
    return out


def test_portfolio_table_has_one_row_per_client_with_its_latest_wave(batch_out):
    table = portfolio_table(batch_out)
    assert len(table) == 10
    assert table.loc["client-4", "overall"] == 50 and table.loc["client-4", "wave"] == "2026-najaar"
    assert table.loc["client-0", "service"] == 15 and np.isnan(table.loc["client-0", "strategy"])


def test_benchmark_percentiles_by_hand(batch_out):
    table = client_benchmark(batch_out, "client-4").set_index("measure")
    assert list(table.reset_index().columns) == [*BENCHMARK_COLUMNS, "higher_is_better"]
    # Peers: 10, 20, 30, 40, 60, 70, 80, 90, 100 (client-4's own waves excluded): 4 below 50.
    row = table.loc["overall"]
    assert row["value"] == 50 and row["peers_n"] == 9
    assert row["percentile"] == pytest.approx(100 * (4 + 4) / (2 * 9))
    peers = [10, 20, 30, 40, 60, 70, 80, 90, 100]
    assert (row["p25"], row["portfolio_median"], row["p75"]) == pytest.approx(peer_quartiles(np.array(peers)))
    assert not {row["p25"], row["portfolio_median"], row["p75"]} & set(peers)  # no peer's own value
    # Sector zorg: peers 10, 20, 30, 40, 60 (5 = min_peers): 4 of 5 below.
    assert row["sector_peers_n"] == 5 and row["sector_percentile"] == pytest.approx(80.0)
    # Strategy has no values anywhere: nothing to place.
    assert table.loc["strategy", "peers_n"] == 0 and np.isnan(table.loc["strategy", "percentile"])
    assert not table.loc["resolution_hours_median", "higher_is_better"]
    assert table.loc["nps", "higher_is_better"]


def test_scores_are_compared_only_with_peers_of_the_same_model_kpis_with_all(batch_out):
    """Another model's overall score is another number (other items, weights, scales): a peer
    scored with it is no peer for the scores, but its NPS and resolution time still count."""
    for i in range(10):
        f = batch_out / f"client-{i}" / "scores.json"
        files = [f] if f.exists() else sorted((batch_out / f"client-{i}").glob("*/scores.json"))
        for path in files:
            doc = json.loads(path.read_text())
            doc["model_version"] = "2027.1" if i in (8, 9) else "2026.1"  # the two highest scorers
            path.write_text(json.dumps(doc))
    table = client_benchmark(batch_out, "client-4").set_index("measure")
    # Same-model peers: 10, 20, 30, 40, 60, 70, 80 (client-4's own waves excluded): 4 of 7 below 50.
    assert table.loc["overall", "peers_n"] == 7
    assert table.loc["overall", "percentile"] == pytest.approx(100 * (4 + 4) / (2 * 7))
    assert table.loc["service", "peers_n"] == 7
    assert table.loc["nps", "peers_n"] == 9 and table.loc["resolution_hours_median", "peers_n"] == 9
    assert list(table.index[:2]) == ["overall", "service"]  # the order of the measures is kept


def test_an_earlier_wave_can_be_placed(batch_out):
    row = client_benchmark(batch_out, "client-4", wave="2025-voorjaar").set_index("measure").loc["overall"]
    assert row["value"] == 5 and row["percentile"] == 0


def test_small_sector_is_withheld(batch_out):
    table = client_benchmark(batch_out, "client-9").set_index("measure")  # retail: 3 peers
    assert pd.isna(table.loc["overall", "sector_percentile"]) and pd.isna(table.loc["overall", "sector_peers_n"])
    assert table.loc["overall", "percentile"] == pytest.approx(100 * (9 + 9) / 18)


def test_no_other_client_is_named_or_identified(batch_out):
    table = client_benchmark(batch_out, "Geheime-Klant-C")  # by client_id works too
    text = table.to_csv() + json.dumps(table.astype(object).where(table.notna(), None).to_dict())
    for name in NAMES:
        assert name not in text and name.replace(" ", "-") not in text
    for i in range(10):
        assert f"client-{i}" not in text
    # Besides the client's own value, only aggregates over at least five peers.
    assert (table["peers_n"].dropna() >= 0).all()
    shown = table[table["percentile"].notna()]
    assert (shown["peers_n"] >= 5).all()


def test_unknown_client_or_wave(batch_out):
    with pytest.raises(KeyError):
        client_benchmark(batch_out, "nobody")
    with pytest.raises(KeyError):
        client_benchmark(batch_out, "client-4", wave="2030")


def test_real_scores_json_files_work(demo_root, tmp_path):
    out = tmp_path / "out"
    for key in ("retail", "zorg", "horeca", "advocatuur", "bouw", "gemeente"):
        (out / key).mkdir(parents=True)
        (out / key / "scores.json").write_text(json.dumps(assess_folder(demo_root / key, draws=50).to_dict(),
                                                          default=str))
    table = client_benchmark(out, "retail").set_index("measure")
    assert table.loc["overall", "peers_n"] == 5
    assert 0 <= table.loc["overall", "percentile"] <= 100
    assert {"knowledge", "service", "nps", "retention_12m"} <= set(table.index)
