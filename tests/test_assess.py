"""The assessment end to end: segments and suppression in scores.json, derived weights, the
perception gap and its significance, mirror items, item statistics.

Known answers come from outside the code under test: the demo generator's design (a blind spot
in gemeente, agreement in bouw), scipy's Welch test, statsmodels' regressions, and sums worked
by hand.
"""

from __future__ import annotations

import itertools
import json
import shutil
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

from klantladder.assess import assess, assess_folder, mirror_gap_table
from klantladder.intake import read_client


@pytest.fixture(scope="module")
def scored(demo_root) -> dict:
    """A few demo clients scored once (fewer draws: these tests check structure and logic)."""
    return {k: assess_folder(demo_root / k, draws=400) for k in ("retail", "gemeente", "bouw", "horeca")}


def _copy_client(demo_root: Path, key: str, dest: Path) -> Path:
    folder = dest / key
    shutil.copytree(demo_root / key, folder)
    return folder


def _yaml(folder: Path, **settings) -> None:
    path = folder / "client.yaml"
    cfg = yaml.safe_load(path.read_text(encoding="utf-8"))
    cfg.update(settings)
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")


# --- segments in scores.json ----------------------------------------------------------------


def test_segments_are_in_scores_json(scored):
    doc = json.loads(json.dumps(scored["retail"].to_dict(), default=str))
    seg = doc["segments"]
    assert set(seg) == {"customer_segment", "customer_channel", "department"}
    survey = scored["retail"].data.frames["customer_survey"]
    rows = {r["group"]: r for r in seg["customer_segment"]["rows"]}
    # Group sizes and NPS per segment by hand from the survey.
    for label, g in survey.groupby("segment"):
        row = rows[label]
        assert row["n"] == len(g)
        x = g["nps"].dropna()
        assert row["nps"] == pytest.approx(100 * ((x >= 9).mean() - (x <= 6).mean()), abs=1e-3)
        # Its 95% interval: Student's t over the segment's respondents, within NPS's bounds.
        coded = np.select([x >= 9, x <= 6], [100.0, -100.0], 0.0)
        half = stats.t.ppf(0.975, len(coded) - 1) * coded.std(ddof=1) / np.sqrt(len(coded))
        low, high = row["intervals"]["nps"]
        assert low == pytest.approx(max(-100, row["nps"] - half), abs=1e-3)
        assert high == pytest.approx(min(100, row["nps"] + half), abs=1e-3)
    total = rows["Totaal"]
    assert total["is_total"] and total["n"] == len(survey)
    assert "nps" in seg["customer_segment"]["values"]
    assert seg["customer_segment"]["min_group_size"] == 5
    for table in seg.values():  # every shown cell has its interval, hidden ones none
        for r in table["rows"]:
            shown = [] if r["suppressed"] else [v for v in table["values"] if v not in r["suppressed_values"]
                                                 and r[v] is not None]
            assert set(r["intervals"]) <= set(shown)
            for v in r["intervals"]:
                assert r["intervals"][v][0] <= r[v] <= r["intervals"][v][1]
            if r["n"] is not None and r["n"] >= 5:
                assert set(r["intervals"]) == set(shown)


def test_suppressed_department_has_no_values_and_a_second_one_is_hidden(scored):
    # Every demo client has a department of fewer than 5 employees (test_demo checks it).
    doc = scored["retail"].to_dict()
    rows = doc["segments"]["department"]["rows"]
    employees = scored["retail"].data.frames["employee_survey"]["department"].value_counts()
    small = set(employees[employees < 5].index)
    hidden = {r["group"]: r for r in rows if r["suppressed"]}
    assert small <= set(hidden)
    for r in hidden.values():
        assert r["n"] is None
        assert all(r[v] is None for v in doc["segments"]["department"]["values"])
    if len(small) == 1:  # exactly one small group: the smallest other one is hidden too
        shown = employees[employees >= 5]
        assert hidden[shown.idxmin()]["suppression"] == "secondary"


def test_secondary_suppression_end_to_end(demo_root, tmp_path):
    folder = _copy_client(demo_root, "retail", tmp_path)
    path = folder / "employee_survey.csv"
    df = pd.read_csv(path)
    # Departments of 4, 6, 8 and the rest: only the 4 is too small, so the 6 goes as well.
    labels = ["Klein"] * 4 + ["Midden"] * 6 + ["Acht"] * 8
    df["department"] = labels + ["Groot"] * (len(df) - len(labels))
    df.to_csv(path, index=False)
    rows = {r["group"]: r for r in assess_folder(folder, draws=100).to_dict()["segments"]["department"]["rows"]}
    assert rows["Klein"]["suppression"] == "primary"
    assert rows["Midden"]["suppression"] == "secondary"
    assert not rows["Acht"]["suppressed"] and rows["Acht"]["n"] == 8
    assert not rows["Groot"]["suppressed"]
    # The hidden n cannot be recovered from the total: two groups are missing from it.
    shown = sum(r["n"] for g, r in rows.items() if not r["suppressed"] and not r["is_total"])
    assert rows["Totaal"]["n"] - shown == 10


def test_min_group_size_from_client_yaml_raises_the_threshold(demo_root, tmp_path):
    folder = _copy_client(demo_root, "retail", tmp_path)
    _yaml(folder, min_group_size=12)
    doc = assess_folder(folder, draws=100).to_dict()
    employees = pd.read_csv(folder / "employee_survey.csv")["department"].value_counts()
    rows = {r["group"]: r for r in doc["segments"]["department"]["rows"]}
    for label, n in employees.items():
        if n < 12:
            assert rows[label]["suppressed"]
    assert doc["segments"]["department"]["min_group_size"] == 12


def test_cell_with_too_few_answers_is_hidden_within_a_shown_group(demo_root, tmp_path):
    folder = _copy_client(demo_root, "retail", tmp_path)
    path = folder / "customer_survey.csv"
    df = pd.read_csv(path)
    # Zakelijk keeps its rows but only 3 of them answer the NPS question.
    zak = df.index[df["segment"] == "Zakelijk"]
    df.loc[zak[3:], "nps"] = np.nan
    df.to_csv(path, index=False)
    seg = assess_folder(folder, draws=100).to_dict()["segments"]["customer_segment"]
    rows = {r["group"]: r for r in seg["rows"]}
    assert not rows["Zakelijk"]["suppressed"] and rows["Zakelijk"]["nps"] is None
    assert "nps" in rows["Zakelijk"]["suppressed_values"]
    # Secondary: one NPS cell hidden and the total shown, so the next smallest NPS cell goes too.
    others = [g for g, r in rows.items() if not r["is_total"] and g != "Zakelijk"]
    assert sum("nps" in rows[g]["suppressed_values"] for g in others) == 1
    assert rows["Totaal"]["nps"] is not None


# --- derived weights --------------------------------------------------------------------------


def _r2(y: np.ndarray, x: np.ndarray) -> float:
    a = np.column_stack([np.ones(len(y)), x])
    beta, *_ = np.linalg.lstsq(a, y, rcond=None)
    resid = y - a @ beta
    return float(1 - resid @ resid / ((y - y.mean()) @ (y - y.mean())))


def _lmg_shares(df: pd.DataFrame, y: str, preds: list[str]) -> pd.Series:
    """LMG by averaging R² increases over all orders of entry (independent of klantladder)."""
    out = dict.fromkeys(preds, 0.0)
    perms = list(itertools.permutations(preds))
    yy = df[y].to_numpy()
    for order in perms:
        before = 0.0
        for j, name in enumerate(order):
            after = _r2(yy, df[list(order[: j + 1])].to_numpy())
            out[name] += (after - before) / len(perms)
            before = after
    s = pd.Series(out)
    return s / s.sum()


def _floored(shares: pd.Series, floor: float = 0.05) -> pd.Series:
    """Weights at least ``floor``, the rest in proportion to the shares (by hand, one pass is
    enough when at most the shares below the floor are lifted)."""
    low = shares < floor
    w = shares.copy()
    w[low] = floor
    w[~low] = (1 - floor * low.sum()) * shares[~low] / shares[~low].sum()
    assert (w >= floor - 1e-12).all()
    return w


def test_derived_weights_change_the_overall_score(demo_root, tmp_path):
    folder = _copy_client(demo_root, "horeca", tmp_path)
    plain = assess_folder(folder, draws=200)
    _yaml(folder, use_derived_weights=True)
    derived = assess_folder(folder, draws=200)
    # The same dimension scores, other weights.
    for k in plain.dimensions:
        assert derived.dimensions[k].score == pytest.approx(plain.dimensions[k].score)
    preds = [k for k in plain.respondents["customer"].columns if plain.respondents["customer"][k].notna().any()]
    table = plain.respondents["customer"][preds].assign(
        nps=plain.data.frames["customer_survey"]["nps"].astype(float)).dropna()
    weights = _floored(_lmg_shares(table, "nps", preds)) * len(preds)  # the block of model weights 1 each
    weights["strategy"] = 1.0  # not in the customer survey: keeps its model weight
    scores = pd.Series({k: d.score for k, d in derived.dimensions.items()})
    expected = float((weights * scores[weights.index]).sum() / weights.sum())
    assert derived.overall.value == pytest.approx(expected, abs=1e-6)
    assert derived.weights == pytest.approx(weights.to_dict(), abs=1e-9)
    assert abs(derived.overall.value - plain.overall.value) > 0.1
    # Experience drives NPS in the horeca profile: it must weigh more than listening.
    assert derived.weights["experience"] > derived.weights["listening"]


def test_overall_is_the_weighted_mean_of_the_dimension_scores(scored):
    a = scored["retail"]
    w = {d.key: d.weight for d in a.model.dimensions}
    by_hand = sum(w[k] * d.score for k, d in a.dimensions.items()) / sum(w.values())
    assert a.overall.value == pytest.approx(by_hand)
    assert a.overall.ci_low < a.overall.value < a.overall.ci_high


# --- perception gap ---------------------------------------------------------------------------


def _view(frame: pd.DataFrame, items: list[str]) -> np.ndarray:
    """Respondent means over the items (at least half answered), on 0-100 (SPEC 3.2)."""
    x = frame[items].astype(float)
    enough = x.notna().sum(axis=1) * 2 >= len(items)
    return ((x[enough].mean(axis=1) - 1) / 4 * 100).to_numpy()


def test_gap_significance_follows_the_designed_blind_spot(scored):
    # gemeente: employees see themselves 18-30 points better than residents see them.
    for k, d in scored["gemeente"].dimensions.items():
        if d.gap is not None:
            assert d.gap.value > 15 and d.gap_significant, k
            assert d.to_dict()["gap"]["significant"] is True
    # bouw: both views agree within a few points; the gap is not larger than the noise.
    bouw = [d for d in scored["bouw"].dimensions.values() if d.gap is not None]
    assert sum(d.gap_significant for d in bouw) <= 1


def test_gap_interval_matches_an_independent_welch_interval(scored):
    a = scored["retail"]
    emp, cus = a.data.frames["employee_survey"], a.data.frames["customer_survey"]
    for k in ("service", "loyalty"):
        dim = a.model.dimension(k)
        e = _view(emp, [i.column for i in dim.employee_items])
        c = _view(cus, [i.column for i in dim.customer_items])
        res = stats.ttest_ind(e, c, equal_var=False)
        lo, hi = res.confidence_interval(0.95)
        gap = a.dimensions[k].gap
        assert gap.value == pytest.approx(e.mean() - c.mean())
        # Bootstrap percentiles (2 x 200 resamples here) against Welch-t: same centre, widths
        # within Monte Carlo error.
        assert (gap.ci_high - gap.ci_low) == pytest.approx(hi - lo, rel=0.15)
        assert (gap.ci_low + gap.ci_high) / 2 == pytest.approx((lo + hi) / 2, abs=0.1 * (hi - lo))


def test_mirror_gaps_are_welch_tests_item_by_item(scored):
    a = scored["gemeente"]
    table = a.mirror_gaps
    assert len(table) == len(a.model.items("customer"))
    emp, cus = a.data.frames["employee_survey"], a.data.frames["customer_survey"]
    for row in table.itertuples():
        e = (emp[f"mirror_{row.item}"].dropna() - 1) / 4 * 100
        c = (cus[row.item].dropna() - 1) / 4 * 100
        res = stats.ttest_ind(e, c, equal_var=False)
        lo, hi = res.confidence_interval(0.95)
        assert (row.ci_low, row.ci_high) == pytest.approx((lo, hi))
        assert row.p_value == pytest.approx(res.pvalue)
        assert row.significant == (lo > 0 or hi < 0)
    # gemeente's employees expect residents to be far more positive than they are.
    assert table["significant"].mean() > 0.8
    doc = a.to_dict()
    assert doc["mirror_gaps"][0]["significant"] in (True, False)


def test_a_mirror_item_with_fewer_answers_than_the_group_minimum_is_not_shown(scored):
    """An item's mean of a handful of employees is as good as their answers: shown only with the
    group minimum on each side (5 by default, the model's or the client's if larger)."""
    a = scored["gemeente"]
    emp, cus = a.data.frames["employee_survey"].copy(), a.data.frames["customer_survey"]
    item = a.model.items("customer")[0].column
    answered = emp.index[emp[f"mirror_{item}"].notna()]
    emp.loc[answered[4:], f"mirror_{item}"] = np.nan  # 4 employees answered it
    table = mirror_gap_table(emp, cus, a.model)
    assert item not in set(table["item"]) and len(table) == len(a.model.items("customer")) - 1
    emp.loc[answered[4], f"mirror_{item}"] = a.data.frames["employee_survey"].loc[answered[4], f"mirror_{item}"]
    assert item in set(mirror_gap_table(emp, cus, a.model)["item"])  # 5: shown
    assert item not in set(mirror_gap_table(emp, cus, a.model, min_n=6)["item"])  # a stricter minimum


# --- reliability ------------------------------------------------------------------------------


def test_item_rest_tables_and_alpha_flag(scored):
    a = scored["retail"]
    doc = a.to_dict()
    for survey in ("employee", "customer"):
        assert set(doc["item_statistics"][survey]) == set(doc["reliability"][survey])
    table = a.item_statistics["customer"]["service"]
    items = a.data.frames["customer_survey"][[i.column for i in a.model.dimension("service").customer_items]]
    complete = items.dropna().astype(float)
    for row in table.itertuples():
        rest = complete.drop(columns=row.item).sum(axis=1)
        r = np.corrcoef(complete[row.item], rest)[0, 1]
        # Pairwise (the code) and listwise (here) differ only by the ~3% missing answers.
        assert row.item_rest_r == pytest.approx(r, abs=0.03)
    for survey, dims in doc["reliability"].items():
        for k, rel in dims.items():
            assert rel["flag"] == (rel["alpha"] is not None and rel["alpha"] < 0.7)


# --- intervals and probabilities --------------------------------------------------------------


def test_rung_probabilities_sum_to_one_and_draws_are_reproducible(demo_root):
    data = read_client(demo_root / "gemeente")
    a, b = assess(data, draws=300), assess(data, draws=300)
    assert sum(a.rung.probabilities.values()) == pytest.approx(1.0)
    assert a.to_dict()["dimensions"] == b.to_dict()["dimensions"]
    assert a.to_dict()["uncertainty"]["regimes"]["tickets"] == "bootstrap"


def test_a_sparsely_answered_dimension_that_clearly_passes_its_gate_is_sure_of_its_rung(tmp_path):
    # 300 customers; 3 answered the service items (all 5: service 100), everyone answered the
    # other items with 2 (25). Point rung 2 (service >= 55, listening 25 < 55 blocks rung 3). A
    # bootstrap resample misses all 3 service answers with probability (297/300)^300 = e^-3
    # = 5%: those draws have no service score and are left out, as the interval leaves them
    # out, instead of counting as rung 1 (which gave P(rung 2) of about 0.95).
    from klantladder.model import default_model

    (tmp_path / "client.yaml").write_text("name: Klant\nreference_date: 2026-01-31\n", encoding="utf-8")
    n = 300
    cols: dict[str, list] = {"respondent_id": [f"r{i}" for i in range(n)]}
    for dim in default_model().dimensions:
        for item in dim.customer_items:
            cols[item.column] = [5] * 3 + [None] * (n - 3) if dim.key == "service" else [2] * n
    pd.DataFrame(cols).to_csv(tmp_path / "customer_survey.csv", index=False)
    a = assess_folder(tmp_path, draws=2000)
    assert a.dimensions["service"].score == pytest.approx(100.0) and a.rung.level == 2
    assert a.rung.probabilities[2] == pytest.approx(1.0)
    expected_left_out = 2000 * (297 / 300) ** 300  # 98.6
    assert abs((2000 - a.rung.draws_used) - expected_left_out) < 4 * np.sqrt(expected_left_out)
    assert sum(a.rung.probabilities.values()) == pytest.approx(1.0)
    assert a.to_dict()["rung"]["draws_used"] == a.rung.draws_used


def test_every_interval_contains_its_estimate(scored):
    for a in scored.values():
        for k, d in a.dimensions.items():
            if d.score is not None:
                assert d.ci_low <= d.score <= d.ci_high, k
        for k, e in a.kpis.items():
            if e is not None and e.value is not None and e.ci_low is not None:
                assert e.ci_low <= e.value <= e.ci_high, k


def test_scores_json_keeps_every_earlier_field(scored):
    doc = scored["retail"].to_dict()
    for key in ("client_id", "wave", "model_version", "language", "rung", "overall", "dimensions", "kpis",
                "reliability", "data_quality"):
        assert key in doc
    d = doc["dimensions"]["service"]
    for key in ("score", "ci_low", "ci_high", "internal", "customer", "kpi", "n_internal", "n_customer"):
        assert key in d
    assert set(doc["rung"]["probabilities"]) == {"1", "2", "3", "4", "5"}
    json.dumps(doc)  # plain JSON, nothing exotic


def _with_yaml(demo_root: Path, tmp_path: Path, **changes) -> Path:
    folder = tmp_path / "client"
    shutil.copytree(demo_root / "zorg", folder)
    cfg = yaml.safe_load((folder / "client.yaml").read_text(encoding="utf-8"))
    cfg.update(changes)
    (folder / "client.yaml").write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return folder


def test_customer_word_per_language_follows_the_report_language(demo_root, tmp_path):
    from klantladder import sections

    folder = _with_yaml(demo_root, tmp_path, customer_term={"nl": "deelnemer", "en": "participant"},
                        customer_term_plural={"nl": "deelnemers"})
    a = assess_folder(folder, draws=200)
    assert a.config.customer_term == ("deelnemer", "deelnemers")
    en = a.in_language("en")
    assert en.config.customer_term == ("participant", "participants")
    assert "participants" in str(sections.profile(en)) and "client" not in str(sections.profile(en)).lower()


def test_customer_word_in_one_language_leaves_the_other_to_the_sector(demo_root, tmp_path):
    from klantladder.config import sector_terms

    a = assess_folder(_with_yaml(demo_root, tmp_path, customer_term="deelnemer"), draws=200)
    assert a.config.customer_term == ("deelnemer", "deelnemeren")
    assert a.in_language("en").config.customer_term == sector_terms("zorg", "en")


def test_customer_word_in_an_unknown_language_is_named(demo_root, tmp_path):
    from klantladder.errors import InputError

    folder = _with_yaml(demo_root, tmp_path, customer_term={"nl": "deelnemer", "de": "Teilnehmer"})
    with pytest.raises(InputError) as err:
        assess_folder(folder, draws=200)
    text = err.value.text("en") + " ".join(f.message["en"] for f in err.value.findings)
    assert "customer_term" in text and "de" in text


def _on_main_thread(monkeypatch, module, name: str) -> list[bool]:
    """Wrap ``module.name``; the returned list gets, per call, whether it ran on the main thread."""
    calls: list[bool] = []
    real = getattr(module, name)

    def spy(*args, **kwargs):
        calls.append(threading.current_thread() is threading.main_thread())
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, spy)
    return calls


def test_surveys_scored_while_the_tickets_are_read_give_the_same_assessment(tmp_path, monkeypatch):
    from klantladder import assess as assess_module
    from klantladder import intake as intake_module
    from klantladder.demo import make_large_client

    folder = make_large_client(tmp_path, 3000, 30000)  # the tickets are the largest file
    monkeypatch.setattr(intake_module, "THREADS_FROM_ROWS", 0)  # converted side by side, as a large client
    threads = _on_main_thread(monkeypatch, assess_module, "_survey_part")
    early = assess_folder(folder, draws=300)
    assert threads == [False]  # scored in a thread of its own, before the tickets were done
    assert early.to_dict() == assess(read_client(folder), draws=300).to_dict()
    _yaml(folder, reference_date=None)  # the tickets help decide the reference date: surveys scored after them
    threads.clear()
    late = assess_folder(folder, draws=300)
    assert threads == [True]
    assert late.to_dict() == assess(read_client(folder), draws=300).to_dict()


def test_a_small_client_is_converted_in_one_thread_and_a_large_one_in_two_alike(tmp_path, monkeypatch):
    """Below THREADS_FROM_ROWS rows the sources are converted, and then scored, on the calling
    thread (threads would only contend for the interpreter lock); above it side by side, with the
    same frames and the same assessment."""
    from klantladder import intake as intake_module
    from klantladder.demo import make_large_client

    folder = make_large_client(tmp_path, 2000, 8000)
    seen = _on_main_thread(monkeypatch, intake_module, "read_source")
    alone = read_client(folder)
    assert seen and all(seen)
    scored_alone = assess(alone, draws=300).to_dict()  # tickets and surveys one after the other
    seen.clear()
    monkeypatch.setattr(intake_module, "THREADS_FROM_ROWS", 10_000)  # fewer than this client's rows
    side_by_side = read_client(folder)
    assert seen and not any(seen)
    assert assess(side_by_side, draws=300).to_dict() == scored_alone  # the tickets in a thread of their own
    assert alone.frames.keys() == side_by_side.frames.keys()
    for name, frame in alone.frames.items():
        pd.testing.assert_frame_equal(frame, side_by_side.frames[name])
    assert alone.rejects.equals(side_by_side.rejects)


# ------------------------------------------------------- an entirely empty column is no column

def _without(demo_root: Path, dest: Path, source: str, column: str, how: str) -> Path:
    """retail with ``column`` of ``source`` emptied (the header kept, every cell blank) or removed."""
    folder = _copy_client(demo_root, "retail", dest / how)
    path = folder / f"{source}.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame = frame.assign(**{column: ""}) if how == "emptied" else frame.drop(columns=[column])
    frame.to_csv(path, index=False)
    return folder


def _scores(folder: Path) -> dict:
    doc = assess_folder(folder, draws=100).to_dict()
    doc.pop("data_quality")  # the emptied file says its column is empty; the rest must be equal
    return doc


@pytest.mark.parametrize("source,column,gone", [
    ("tickets", "resolved_at", ("resolved_rate", "sla_rate", "fcr_rate", "resolution_hours_median")),
    ("tickets", "first_response_at", ("first_response_hours_median", "first_response_hours_p90")),
    ("tickets", "reopened", ("reopen_rate",)),
    ("tickets", "csat", ("ticket_csat",)),
    ("tickets", "channel", ()),
    ("tickets", "customer_id", ("repeat_contact_rate",)),
    ("customers", "start_date", ("retention_12m", "churn_12m")),
    ("customers", "end_date", ("retention_12m", "churn_12m")),  # nobody can be seen to leave (no_end_dates)
    ("customers", "segment", ("segment_known_rate",)),
])
def test_an_emptied_column_scores_as_a_removed_one(demo_root, tmp_path, source, column, gone):
    """Validation says an entirely empty column "does not count": nothing may be computed from it
    (an empty resolved_at made every ticket open: a closed share and an SLA of 0 that lowered the
    service and listening scores)."""
    folder = _without(demo_root, tmp_path, source, column, "emptied")
    emptied = _scores(folder)
    removed = _scores(_without(demo_root, tmp_path, source, column, "removed"))
    assert emptied == removed
    for kpi in gone:
        assert emptied["kpis"][kpi] is None, kpi
    data = read_client(folder)
    rule = "no_end_dates" if column == "end_date" else "empty_column"
    assert any(f.rule == rule and f.column == column for f in data.warnings)
    # The report's sections and the workbook are made from what is left (a customer base without
    # end dates made the retention-per-segment table fail).
    from klantladder import sections
    from klantladder.outputs import write_workbook

    a = assess_folder(folder, draws=100)
    write_workbook(a, tmp_path / "scores.xlsx")
    for section in (sections.summary, sections.profile, sections.service, sections.loyalty, sections.segments,
                    sections.route, sections.appendix):
        assert section(a)
    assert column not in data.frames[source]


def test_min_group_size_of_the_model_holds_when_the_client_sets_none(demo_root, tmp_path):
    from klantladder.model import default_model

    model = yaml.safe_load(Path(default_model().path).read_text(encoding="utf-8"))
    model["min_group_size"] = 12
    model_file = tmp_path / "strict-model.yaml"
    model_file.write_text(yaml.safe_dump(model, allow_unicode=True), encoding="utf-8")
    folder = _copy_client(demo_root, "retail", tmp_path)
    _yaml(folder, model=str(model_file))
    doc = assess_folder(folder, draws=100).to_dict()
    employees = pd.read_csv(folder / "employee_survey.csv")["department"].value_counts()
    assert (employees < 12).any() and (employees >= 5).any()  # the setting decides something here
    rows = {r["group"]: r for r in doc["segments"]["department"]["rows"]}
    for label, n in employees.items():
        assert rows[label]["suppressed"] == (n < 12)
    assert doc["segments"]["department"]["min_group_size"] == 12
