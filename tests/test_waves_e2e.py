"""Waves end to end on the two-wave demo client (kinderopvang, 2025-voorjaar and 2026-najaar).

The generator's design is the known answer: between the waves the listening and experience
targets rise by 12-14 points in both surveys; knowledge, loyalty and ethics stay where they were.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import shutil

import pandas as pd
import pytest
from scipy import stats

from klantladder.assess import (assess_client_waves, assess_folder, assess_with_history, compare_waves,
                                find_wave_folders)
from klantladder.demo import WAVE_DEMO_CLIENTS, make_wave_demo_clients
from klantladder.errors import InputError, UsageError
from klantladder.waves import COMPARE_COLUMNS, wave_sort_key


@pytest.fixture(scope="module")
def wave_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("waves")
    make_wave_demo_clients(root)
    return root


@pytest.fixture(scope="module")
def waves(wave_root):
    return assess_client_waves(wave_root / "kinderopvang", draws=600)


def test_demo_writes_one_folder_per_wave_deterministically(wave_root, tmp_path):
    folders = make_wave_demo_clients(tmp_path)
    assert [f.name for f in folders] == ["2025-voorjaar", "2026-najaar"]
    for f in folders:
        for g in sorted(f.iterdir()):
            assert g.read_bytes() == (wave_root / "kinderopvang" / f.name / g.name).read_bytes()
    a, b = (pd.read_csv(f / "customer_survey.csv") for f in folders)
    assert not a["listening_1"].head(50).equals(b["listening_1"].head(50))  # independent samples


def test_waves_are_found_and_ordered(wave_root, waves):
    assert [a.wave for a in waves] == ["2025-voorjaar", "2026-najaar"]
    assert [a.reference_date for a in waves] == [dt.date(2025, 4, 30), dt.date(2026, 10, 31)]
    assert len(find_wave_folders(wave_root / "kinderopvang" / "2026-najaar")) == 2
    assert waves[0].history == [] and [s.wave for s in waves[1].history] == ["2025-voorjaar"]


def test_an_unreadable_neighbour_does_not_stop_a_wave(wave_root, tmp_path):
    client = tmp_path / "kinderopvang"
    shutil.copytree(wave_root / "kinderopvang", client)
    broken = client / "2027-voorjaar"
    shutil.copytree(client / "2025-voorjaar", broken)
    (broken / "client.yaml").write_text("name: [niet afgesloten\n", encoding="utf-8")
    found = find_wave_folders(client / "2026-najaar")
    assert sorted(p.name for p in found) == ["2025-voorjaar", "2026-najaar"]


def test_wave_names_sort_by_season_not_by_letter():
    names = ["2026-najaar", "2025-najaar", "2026-voorjaar"]
    assert sorted(names, key=wave_sort_key) == ["2025-najaar", "2026-voorjaar", "2026-najaar"]


def test_compare_waves_finds_the_designed_changes(waves):
    table = compare_waves(list(reversed(waves)))  # order of the input does not matter
    assert list(table.columns) == list(COMPARE_COLUMNS)
    assert set(table["from_wave"]) == {"2025-voorjaar"} and set(table["to_wave"]) == {"2026-najaar"}
    row = table.set_index("measure")
    for k in ("customer.listening", "dimension.listening", "customer.experience"):
        assert row.loc[k, "significant"] and row.loc[k, "change"] > 5, k
    for k in ("customer.knowledge", "customer.loyalty", "customer.ethics"):
        assert not row.loc[k, "significant"], k
    assert row["comparable"].all()


def _trend_rows(html: str) -> dict[str, str]:
    """The rows of the report's trend table by their first cell (the measure's name)."""
    import re

    table = html.split("<tbody>")[1].split("</tbody>")[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table, flags=re.S)
    return {re.sub(r"<[^>]+>", "", r.split("</td>")[0]).strip(): r for r in rows}


def test_tickets_added_in_the_second_wave_make_service_and_overall_not_comparable(wave_root, waves, tmp_path):
    from dataclasses import replace

    from klantladder import reportdata as rd
    from klantladder import sections

    # Both demo waves have tickets: the same sources, so every change is comparable.
    same = compare_waves(waves).set_index("measure")["comparable"]
    assert same["dimension.service"] and same["overall"]
    # Without the first wave's tickets, service rests on the two surveys in 2025 and on the
    # surveys and the ticket KPIs in 2026; the overall score averages it, so both changed method.
    client = tmp_path / "kinderopvang"
    shutil.copytree(wave_root / "kinderopvang", client)
    (client / "2025-voorjaar" / "tickets.csv").unlink()
    first, latest = assess_client_waves(client, draws=300)
    assert first.dimensions["service"].sources == ("internal", "customer")
    assert latest.dimensions["service"].sources == ("internal", "customer", "kpi")
    table = compare_waves([first, latest]).set_index("measure")
    assert not table.loc["dimension.service", "comparable"] and not table.loc["overall", "comparable"]
    assert table.loc["customer.service", "comparable"] and table.loc["customer.listening", "comparable"]
    assert table.loc["overall", "significant"]  # the interval alone would claim a rise
    # Listening had a KPI view in both waves (the survey response rate), but in 2026 the ticket
    # KPIs joined it: the same kind of source, other KPIs, so a change of method as well.
    assert first.dimensions["listening"].kpis_used != latest.dimensions["listening"].kpis_used
    assert "kpi" in first.dimensions["listening"].sources and "kpi" in latest.dimensions["listening"].sources
    assert not table.loc["dimension.listening", "comparable"]
    assert same["dimension.listening"]  # both waves with tickets: the same KPIs
    # The report claims no change beyond the noise for either row; a comparable row still does.
    html = sections.trend(latest, None)
    rows = _trend_rows(html)
    for name in ("Totaalscore", "Klantenservice"):
        assert "niet vergelijkbaar" in rows[name] and "groter dan de ruis" not in rows[name], name
        assert "<strong>" not in rows[name], name
    assert "<strong>gestegen, groter dan de ruis</strong>" in rows["Net Promoter Score"]
    # The same from the earlier wave's scores.json (a report given --previous scores).
    ctx = rd.ReportContext([first.to_dict()], None)
    from_doc = rd.trend_table(replace(latest, history=[]), ctx).set_index("measure")["comparable"]
    assert not from_doc["overall"] and not from_doc["service"] and from_doc["nps"]
    same_doc = rd.trend_table(replace(waves[1], history=[]), rd.ReportContext([waves[0].to_dict()], None))
    assert same_doc["comparable"].all()


def test_derived_weights_estimated_anew_make_the_overall_change_not_comparable(wave_root, tmp_path):
    client = tmp_path / "kinderopvang"
    shutil.copytree(wave_root / "kinderopvang", client)
    for wave in ("2025-voorjaar", "2026-najaar"):
        path = client / wave / "client.yaml"
        path.write_text(path.read_text(encoding="utf-8") + "use_derived_weights: true\n", encoding="utf-8")
    first, latest = assess_client_waves(client, draws=200)
    assert first.weights != latest.weights  # re-estimated from each wave's customers
    table = compare_waves([first, latest]).set_index("measure")
    assert not table.loc["overall", "comparable"]
    assert table.loc[table["kind"] == "dimension", "comparable"].all()


def test_change_interval_is_the_independent_samples_formula(waves):
    row = compare_waves(waves).set_index("measure").loc["kpi.nps"]
    # NPS by hand from each wave's answers: 100 (p - d), SE = 100 sqrt((p + d - (p - d)^2) / n).
    est = []
    for a in waves:
        x = a.data.frames["customer_survey"]["nps"].dropna()
        p, d = (x >= 9).mean(), (x <= 6).mean()
        est.append((100 * (p - d), 100 * math.sqrt((p + d - (p - d) ** 2) / len(x))))
    change = est[1][0] - est[0][0]
    se = math.hypot(est[0][1], est[1][1])
    z = stats.norm.ppf(0.975)
    assert row["change"] == pytest.approx(change)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((change - z * se, change + z * se))
    assert row["significant"] == (abs(change) > z * se)


def test_report_view_and_scores_json_of_the_latest_wave(wave_root, waves):
    latest = assess_with_history(wave_root / "kinderopvang" / "2026-najaar", draws=200)
    assert [s.wave for s in latest.history] == ["2025-voorjaar"]
    table = latest.waves
    assert {"overall", "listening", "nps"} <= set(table["measure"])
    assert set(table.attrs["series"]) == {"2025-voorjaar", "2026-najaar"}
    doc = latest.to_dict()
    assert [h["wave"] for h in doc["waves"]["history"]] == ["2025-voorjaar"]
    assert any(c["measure"] == "dimension.listening" and c["significant"] for c in doc["waves"]["changes"])
    first = assess_with_history(wave_root / "kinderopvang" / "2025-voorjaar", draws=200)
    assert first.history == [] and first.to_dict()["waves"] is None
    assert assess_folder(wave_root / "kinderopvang" / "2026-najaar", draws=50).to_dict()["waves"] is None


def test_a_wave_column_in_one_folder(wave_root, tmp_path):
    # One folder, the surveys of both waves stacked with a wave column; tickets and customer
    # base only of the latest wave (client.yaml says 2026-najaar).
    src = wave_root / "kinderopvang"
    folder = _wave_column_folder(wave_root, tmp_path / "kinderopvang")
    result = assess_client_waves(folder, draws=200)
    assert [a.wave for a in result] == ["2025-voorjaar", "2026-najaar"]
    assert "tickets" not in result[0].data.frames and "tickets" in result[1].data.frames
    assert len(result[0].data.frames["customer_survey"]) == len(pd.read_csv(src / "2025-voorjaar" / "customer_survey.csv"))
    table = compare_waves(result).set_index("measure")
    # The survey views compare like with like; the service score gained the ticket KPIs.
    assert table.loc["customer.listening", "comparable"]
    assert not table.loc["dimension.service", "comparable"] and not table.loc["overall", "comparable"]


def _wave_column_folder(wave_root, folder):
    """The two demo waves in one folder: the surveys stacked with a wave column, tickets and
    customer base of the latest wave, client.yaml naming it (2026-najaar)."""
    src = wave_root / "kinderopvang"
    shutil.copytree(src / "2026-najaar", folder)
    for name in ("customer_survey", "employee_survey"):
        old = pd.read_csv(src / "2025-voorjaar" / f"{name}.csv").assign(wave="2025-voorjaar")
        new = pd.read_csv(src / "2026-najaar" / f"{name}.csv").assign(wave="2026-najaar")
        pd.concat([new, old]).to_csv(folder / f"{name}.csv", index=False)
    return folder


def test_score_report_and_batch_score_the_current_wave_of_a_wave_column(wave_root, tmp_path):
    """One client folder gives one scores.json, whichever command makes it: ``score`` (used to pool
    both waves), ``report`` and ``batch`` all score the current wave's rows with the earlier wave
    as its history."""
    import json

    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    from klantladder.batch import run_batch
    from klantladder.cli import main
    from klantladder.report import make_report

    folder = _wave_column_folder(wave_root, tmp_path / "klanten" / "kinderopvang")
    current = len(pd.read_csv(wave_root / "kinderopvang" / "2026-najaar" / "customer_survey.csv"))
    nb = new_notebook(cells=[
        new_code_cell('client_dir = "."\nassessment_file = None\nlanguage = None', metadata={"tags": ["parameters"]}),
        new_code_cell("print('klein rapport')")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    small = tmp_path / "small.ipynb"
    nbformat.write(nb, str(small))

    assert main(["score", str(folder), "--out", str(tmp_path / "score.json")]) == 0
    make_report(folder, tmp_path / "report", pdf=False, notebook=small)  # what `klantladder report` runs
    assert run_batch(tmp_path / "klanten", tmp_path / "batch", workers=1, notebook=small,
                     portfolio=False).exit_code == 0
    docs = {name: json.loads(path.read_text(encoding="utf-8")) for name, path in (
        ("score", tmp_path / "score.json"), ("report", tmp_path / "report" / "scores.json"),
        ("batch", tmp_path / "batch" / "kinderopvang" / "scores.json"))}
    for name, doc in docs.items():
        assert doc["wave"] == "2026-najaar", name
        assert doc["kpis"]["nps"]["n"] == current, name  # the current wave's respondents, not both waves'
        assert [h["wave"] for h in doc["waves"]["history"]] == ["2025-voorjaar"], name
    assert docs["score"] == docs["report"] == docs["batch"]
    alone = assess_with_history(wave_root / "kinderopvang" / "2026-najaar")  # the same wave in a folder of its own
    assert docs["score"]["overall"]["score"] == pytest.approx(alone.overall.value, abs=0.005)


def test_validate_says_which_wave_of_a_wave_column_is_scored(wave_root, tmp_path, capsys):
    from klantladder.cli import main

    folder = _wave_column_folder(wave_root, tmp_path / "kinderopvang")
    assert main(["--lang", "en", "validate", str(folder)]) == 0
    assert "Wave 2026-najaar is scored; the earlier waves in the wave column (2025-voorjaar) are the trend." \
        in capsys.readouterr().out


def test_rows_of_a_wave_after_the_folders_own_are_set_aside(wave_root, tmp_path):
    folder = _wave_column_folder(wave_root, tmp_path / "kinderopvang")
    text = (folder / "client.yaml").read_text(encoding="utf-8")
    (folder / "client.yaml").write_text(text.replace('wave: "2026-najaar"', 'wave: "2025-voorjaar"'),
                                        encoding="utf-8")
    a = assess_folder(folder, draws=100)
    earlier = len(pd.read_csv(wave_root / "kinderopvang" / "2025-voorjaar" / "customer_survey.csv"))
    assert a.wave == "2025-voorjaar" and a.history == [] and a.kpis["nps"].n == earlier
    rules = {f.rule for f in a.data.warnings}
    assert "wave_after_current" in rules
    assert set(a.data.rejects.loc[a.data.rejects["rule"] == "wave_after_current", "source"]) == {
        "customer_survey", "employee_survey"}


def test_profiles_of_the_wave_demo_share_a_client():
    (profiles,) = WAVE_DEMO_CLIENTS.values()
    assert len({p.name for p in profiles}) == 1 and len({p.wave for p in profiles}) == 2


def test_an_unreadable_earlier_wave_leaves_the_trend_not_the_report(wave_root, tmp_path):
    """A broken earlier wave folder does not stop the current wave's report: that wave is left out
    of the trend, and the data-quality findings say so (rule wave_unreadable)."""
    root = tmp_path / "kinderopvang"
    shutil.copytree(wave_root / "kinderopvang", root)
    (root / "2025-voorjaar" / "customer_survey.csv").write_text("respondent_id;nps\n", encoding="utf-8")
    latest = assess_with_history(root / "2026-najaar", draws=100)
    assert latest.history == []
    notes = [f for f in latest.data.findings if f.rule == "wave_unreadable"]
    assert len(notes) == 1 and notes[0].file == "2025-voorjaar" and "validate 2025-voorjaar" in notes[0].text("en")
    with pytest.raises(InputError):  # the wave asked for still stops on its own errors
        assess_with_history(root / "2025-voorjaar", draws=100)


def test_validate_and_score_a_client_of_wave_folders_as_the_report_does(wave_root, tmp_path, capsys):
    """``validate kinderopvang`` checks each wave folder; ``score kinderopvang`` scores its latest
    wave with the earlier one as the trend, as ``report`` does (both once said "no input files")."""
    from klantladder.cli import main

    client = wave_root / "kinderopvang"
    assert main(["validate", str(client)]) == 0
    out = capsys.readouterr().out
    assert out.index("Meting 2025-voorjaar:") < out.index("Meting 2026-najaar:")
    assert out.count("In orde: ") == 2
    target = tmp_path / "scores.json"
    assert main(["score", str(client), "--out", str(target)]) == 0
    doc = json.loads(target.read_text(encoding="utf-8"))
    assert doc["wave"] == "2026-najaar" and doc["waves"]["changes"]


def test_a_folder_of_several_clients_given_as_one_client_is_wrong_usage(demo_root, tmp_path, capsys):
    from klantladder.cli import main

    for argv in (["validate", str(demo_root)], ["score", str(demo_root), "--out", str(tmp_path / "s.json")],
                 ["report", str(demo_root), "--out", str(tmp_path / "r"), "--no-pdf"]):
        assert main(["--lang", "en", *argv]) == 2, argv
        err = capsys.readouterr().err
        assert "holds the folders of several clients (" in err and "not the waves of one client" in err, argv
        assert f"'klantladder batch {demo_root} --out DIR'" in err and "Traceback" not in err
    assert not (tmp_path / "r").exists() and not (tmp_path / "s.json").exists()


def test_two_clients_with_different_wave_names_are_not_one_clients_trend(demo_root, tmp_path, capsys):
    # bouw measured in the spring and retail in the autumn: 'score' on their folder once made
    # bouw's scores the history of retail in retail's score file.
    from klantladder.cli import main

    root = tmp_path / "root"
    for name in ("retail", "bouw"):
        shutil.copytree(demo_root / name, root / name)
    cfg = root / "bouw" / "client.yaml"
    cfg.write_text(re.sub(r"^wave:.*$", 'wave: "2026-voorjaar"', cfg.read_text("utf-8"), flags=re.M), "utf-8")
    with pytest.raises(UsageError) as err:
        find_wave_folders(root)
    assert "'Bouwbedrijf Stevig', 'Fietsenwinkel De Trapper'" in err.value.messages["en"]
    assert main(["score", str(root), "--out", str(tmp_path / "s.json")]) == 2
    assert "niet de metingen van één klant" in capsys.readouterr().err
    assert not (tmp_path / "s.json").exists()
