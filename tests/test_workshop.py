"""The workshop: helpers in ``klantladder.workshop`` and the notebooks in ``notebooks/workshop``.

The notebooks narrate; everything they compute comes from :mod:`klantladder.workshop`, which is
tested here directly. Then every notebook is executed top to bottom with papermill from its own
folder, headless (``interactive = False``: the widgets' static fallback), as a trainer's room
would run it without a browser. The hidden answers in the notebooks make claims about the demo
organisations; the tests below pin those claims to the numbers.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from klantladder import workshop as ws
from klantladder.demo import DEMO_CLIENTS
from klantladder.model import default_model

REPO = Path(__file__).resolve().parents[1]
WORKSHOP = REPO / "notebooks" / "workshop"
DEMO = REPO / "data" / "demo"
NOTEBOOKS = sorted(p.name for p in WORKSHOP.glob("*.ipynb"))
DIMS = default_model().dimension_keys

needs_widgets = pytest.mark.skipif(not ws.widgets_available(), reason="ipywidgets is not installed (lab extra)")


@pytest.fixture(scope="module")
def demos() -> dict:
    """All six demo clients, scored once for this module (few draws: quick, same point scores)."""
    return ws.load_demos(root=DEMO, draws=300)


# ---------------------------------------------------------------------------------------------
# General helpers
# ---------------------------------------------------------------------------------------------


def test_answer_html_hides_the_answer_in_details():
    html = ws.answer_html("Klantgericht.")
    assert html.startswith("<details><summary>Antwoord</summary>") and "Klantgericht." in html
    assert "<summary>Answer</summary>" in ws.answer_html("x", language="en")
    assert "<summary>Tip &amp; meer</summary>" in ws.answer_html("x", summary="Tip & meer")


def test_table_html_formats_numbers_per_language_and_never_truncates():
    long = "x" * 200
    table = pd.DataFrame({"tekst": [long], "getal": [1234.5], "n": [1200], "leeg": [None]})
    nl = ws.table_html(table, "nl")
    assert long in nl and "1.234,5" in nl and "1.200" in nl and "–" in nl
    assert "1,234.5" in ws.table_html(table, "en")
    assert 'class="row_heading' not in nl  # a plain 0..n index is hidden
    assert "row_heading" in ws.table_html(table.set_index("tekst"), "nl")


def test_report_view_isolates_the_report_in_an_iframe():
    html = ws.report_view("<section><h2>Samenvatting</h2><p>a < b</p></section>", css="h2{color:red}")
    assert html.startswith('<div class="klantladder-report"><iframe srcdoc="')
    assert "&lt;h2&gt;Samenvatting" in html and "h2{color:red}" in html
    assert "<h2>" not in html  # nothing of the report reaches JupyterLab's own DOM unescaped


def test_use_widgets_needs_both_the_switch_and_ipywidgets(monkeypatch):
    assert ws.use_widgets(False) is False
    monkeypatch.setattr(ws, "widgets_available", lambda: False)
    assert ws.use_widgets(True) is False
    assert ws.ladder_whatif() is None
    assert ws.quick_scan_form() is None
    assert ws.sorting_widget() is None


# ---------------------------------------------------------------------------------------------
# 01 Wat is een klant?
# ---------------------------------------------------------------------------------------------


def test_customer_words_cover_the_sector_words_in_both_languages():
    words = {w.word["nl"] for w in ws.CUSTOMER_WORDS}
    assert {"klant", "cliënt", "patiënt", "gast", "opdrachtgever", "inwoner"} <= words
    for w in ws.CUSTOMER_WORDS:
        for text in (w.word, w.relation, w.emphasis, w.can_choose):
            assert text["nl"] and text["en"]
    for language in ("nl", "en"):
        table = ws.customer_words_table(language)
        assert len(table) == len(ws.CUSTOMER_WORDS) and table.notna().all().all()


def test_sector_words_table_follows_sector_terms():
    from klantladder.config import sector_terms, sectors

    table = ws.sector_words_table("nl")
    assert "patiënt" in set(table["Enkelvoud"]) and "gasten" in set(table["Meervoud"])
    assert len(table) >= 6
    assert tuple(table.iloc[0, 1:]) == sector_terms(next(iter(sectors())), "nl")


def test_the_report_sentence_uses_each_demo_organisations_word():
    html = ws.customer_word_in_report("nl")
    for plural in ("klanten", "cliënten", "gasten", "opdrachtgevers", "inwoners"):
        assert f"<em>{plural}</em>" in html
    assert "<em>guests</em>" in ws.customer_word_in_report("en")


def test_customer_roles_cover_every_demo_organisation():
    for language in ("nl", "en"):
        table = ws.customer_roles_table(language)
        assert table.shape == (4, len(DEMO_CLIENTS))
        assert (table.map(len) > 0).all().all()
    assert list(ws.demo_clients_table()["Sleutel"]) == [p.key for p in DEMO_CLIENTS]


def test_customer_worksheet_escapes_what_participants_type():
    html = ws.customer_worksheet_html({"user": "<script>x</script>", "word": "cliënt"}, "Zorg & Co")
    assert "<script>" not in html and "&lt;script&gt;" in html and "Zorg &amp; Co" in html
    assert html.count("–") == 3  # payer, decider, influencer left empty


# ---------------------------------------------------------------------------------------------
# 02 Klantvriendelijk of klantgericht?
# ---------------------------------------------------------------------------------------------


def test_statements_are_bilingual_balanced_and_each_has_a_hidden_answer():
    answers = [s.answer for s in ws.STATEMENTS]
    assert answers.count("friendly") >= 4 and answers.count("centric") >= 4
    for s in ws.STATEMENTS:
        assert s.text["nl"] and s.text["en"] and s.why["nl"] and s.why["en"]
    html = ws.statements_html()
    assert html.count("<details>") == len(ws.STATEMENTS)
    key = ws.statement_answers(language="en")
    assert len(key) == len(ws.STATEMENTS) and set(key["Answer"]) >= {"customer-friendly", "customer-centric"}


def test_check_sorting_scores_right_wrong_and_unanswered():
    perfect = [s.answer if s.answer != "both" else "friendly" for s in ws.STATEMENTS]
    assert ws.check_sorting(perfect).n_correct == len(ws.STATEMENTS)
    flipped = [{"friendly": "centric", "centric": "friendly"}.get(c, c) for c in perfect]
    both = sum(s.answer == "both" for s in ws.STATEMENTS)
    assert ws.check_sorting(flipped).n_correct == both
    none = ws.check_sorting([None] * len(ws.STATEMENTS))
    assert none.n_answered == 0 and none.n_correct == 0
    with pytest.raises(ValueError):
        ws.check_sorting(["friendly"])
    with pytest.raises(ValueError):
        ws.check_sorting(["vriendelijk"] * len(ws.STATEMENTS))


def test_service_vs_strategy_puts_the_hotel_furthest_below_the_diagonal(demos):
    table = ws.service_vs_strategy(demos)
    assert list(table.index) == [p.key for p in DEMO_CLIENTS]
    diff = table["Verschil"]
    assert diff.idxmax() == "horeca" and diff["horeca"] > 20  # notebook 02, question 1
    assert table.loc["gemeente", "Klantgericht"] > table.loc["gemeente", "Klantvriendelijk"]  # question 2
    assert table.loc["horeca", "Trede"].startswith("2") and table.loc["gemeente", "Trede"].startswith("2")
    fig = ws.service_vs_strategy_figure(table)
    assert len(fig.axes) == 1 and len(fig.axes[0].texts) >= len(table)


# ---------------------------------------------------------------------------------------------
# 03 De ladder
# ---------------------------------------------------------------------------------------------


def test_ladder_table_and_condition_texts():
    table = ws.ladder_table()
    assert list(table.index) == [1, 2, 3, 4, 5]
    assert "Klantenservice ≥ 55" in table.loc[2].iloc[-1]
    assert "perceptieverschil ≤ 10" in table.loc[5].iloc[-1]
    assert ws.condition_text(default_model().rung(4).conditions[-1], language="en") == "all dimensions ≥ 50"


@pytest.mark.parametrize("scenario", ws.SCENARIOS, ids=lambda s: s.key)
def test_each_scenario_stands_where_its_story_says(scenario):
    state = ws.evaluate_scores(scenario.scores, scenario.gap)
    assert state.level == scenario.expected_level
    assert set(scenario.scores) == set(DIMS)
    assert scenario.name["en"] and scenario.story["en"]


def test_gating_a_strong_strategy_does_not_make_up_for_weak_service():
    s = next(s for s in ws.SCENARIOS if s.key == "strategie")
    state = ws.evaluate_scores(s.scores, s.gap)
    assert state.level == 1 and [b["dimension"] for b in state.blocking] == ["service"]
    checks = ws.condition_checks(s.scores, s.gap)
    rung4 = checks[checks["Trede"] == 4]
    assert (rung4["Gehaald"] == "✓").all() and (rung4["Trede gehaald"] == "nee: een lagere trede blokkeert").all()
    # Notebook 03, exercise 2: ten points of service open rungs 2, 3 and 4 at once.
    assert ws.evaluate_scores({**s.scores, "service": 59}, s.gap).level == 2
    assert ws.evaluate_scores({**s.scores, "service": 60}, s.gap).level == 4


def test_exercise_all_sixty_stands_on_rung_three_blocked_by_strategy_and_listening():
    state = ws.evaluate_scores(dict.fromkeys(DIMS, 60), 5)
    assert state.level == 3
    assert {b["dimension"] for b in state.blocking} == {"strategy", "listening"}
    assert state.overall == pytest.approx(60)


def test_the_top_rung_needs_a_known_small_gap():
    high = dict.fromkeys(DIMS, 90)
    assert ws.evaluate_scores(high, None).level == 4
    assert ws.evaluate_scores(high, 25).level == 4
    assert ws.evaluate_scores(high, 5).level == 5
    assert ws.evaluate_scores(high, {"service": -4, "ethics": 8}).level == 5
    missing = ws.evaluate_scores({**high, "ethics": None}, 5)
    assert missing.level == 3 and missing.scores["ethics"] is None  # "all" cannot be shown, nor ethics


def test_evaluate_scores_agrees_with_the_assessment_of_every_demo_client(demos):
    for key, a in demos.items():
        state = ws.evaluate_scores(ws.current_scores(a), ws.current_gaps(a), a.model)
        assert state.level == a.rung.level, key
        assert list(state.blocking) == list(a.rung.blocking), key
        assert state.overall == pytest.approx(a.overall.value), key


def test_state_html_and_whatif_figure():
    state = ws.evaluate_scores(ws.SCENARIOS[2].scores, ws.SCENARIOS[2].gap)
    html = ws.state_html(state, title="Meten <is> weten")
    assert "Trede <strong>3: Klantbewust</strong>" in html and "Meten &lt;is&gt; weten" in html
    assert html.count("<li>") == len(state.blocking) == 4
    top = ws.state_html(ws.evaluate_scores(dict.fromkeys(DIMS, 90), 3))
    assert "hoogste trede" in top
    gap = ws.state_html(ws.evaluate_scores(dict.fromkeys(DIMS, 90), 25), plural="inwoners")
    assert "beeld van inwoners hooguit 10 punten" in gap
    fig = ws.whatif_figure(state)
    assert len(fig.axes) == 2
    en = ws.whatif_figure(ws.evaluate_scores(dict.fromkeys(DIMS, 50), None, language="en"))
    assert en.axes[1].get_title(loc="left") == "Scores per dimension"


def test_scenarios_table_and_html():
    table = ws.scenarios_table()
    assert len(table) == len(ws.SCENARIOS) and table["Trede"].str[0].astype(int).tolist() == [
        s.expected_level for s in ws.SCENARIOS]
    html = ws.scenarios_html(language="en")
    assert "The blind spot" in html and "perception gap ≤ 10" in html


@needs_widgets
def test_the_whatif_panel_follows_its_sliders():
    panel = ws.ladder_whatif("meten")
    assert panel is not None and set(panel.sliders) == set(DIMS) | {"gap"}
    assert panel.state.level == 3
    for key, value in {"strategy": 80, "listening": 70, "loyalty": 65, "ethics": 65}.items():
        panel.sliders[key].value = value
    assert panel.state.level == 4
    assert panel.set_scenario("strategie").level == 1 and panel.sliders["service"].value == 50
    panel.sliders["gap"].value = 30
    assert panel.state.max_gap == 30
    with pytest.raises(KeyError):
        panel.set_scenario("onbekend")
    custom = ws.ladder_whatif(dict.fromkeys(DIMS, 90), gap=2, language="en")
    assert custom.state.level == 5 and custom.state.name == "Customer-driven"


# ---------------------------------------------------------------------------------------------
# 04 Een organisatie scoren
# ---------------------------------------------------------------------------------------------


def test_load_demo_caches_and_names_unknown_clients(demos):
    assert ws.load_demo("retail", DEMO, draws=300) is demos["retail"]
    with pytest.raises(FileNotFoundError, match="known: advocatuur"):
        ws.load_demo("bestaat-niet", DEMO)


def test_source_overview_and_sample_rows_show_pseudonymised_masked_data(demos):
    a = demos["retail"]
    overview = ws.source_overview(a)
    assert list(overview["Bestand"]) == ["customer_survey.csv", "employee_survey.csv", "tickets.csv", "customers.csv"]
    assert overview["Rijen gelezen"].tolist()[0] == 330
    rows = ws.sample_rows(a, "customer_survey", n=4)
    assert len(rows) == 4 and list(rows.columns) == list(ws.SAMPLE_COLUMNS["customer_survey"])
    raw_ids = set(pd.read_csv(DEMO / "retail" / "customer_survey.csv")["respondent_id"].astype(str))
    assert not raw_ids & set(rows["respondent_id"].astype(str))
    assert "[" in str(rows["comment"].iloc[0])  # a masked comment is shown first
    assert ws.sample_rows(a, "nothing").empty


def test_sample_rows_in_english_show_english_placeholders(demos):
    a = demos["retail"]
    dutch = "\n".join(ws.sample_rows(a, "customer_survey", n=60)["comment"].dropna())
    english = "\n".join(ws.sample_rows(a, "customer_survey", n=60, language="en")["comment"].dropna())
    assert "[telefoon]" in dutch and "[phone]" not in dutch
    assert "[phone]" in english and "[telefoon]" not in english
    assert english.replace("[phone]", "[telefoon]") == dutch  # the same rows, only the placeholder's word differs


def test_kpi_reliability_and_probability_tables(demos):
    a = demos["retail"]
    kpis = ws.kpi_table(a)
    assert "Net Promoter Score" in set(kpis["Kengetal"]) and (kpis["n"] > 0).all()
    rel = ws.reliability_table(a)
    assert len(rel) == 13 and set(rel["Onderzoek"]) == {"medewerkers", "klanten"}
    assert (rel["Let op"] == "⚠").sum() == (rel["Alfa"] < 0.7).sum()
    probs = ws.rung_probability_table(a, "en")
    assert probs["Probability (%)"].sum() == pytest.approx(100, abs=0.2)
    assert probs.loc[3, "Probability (%)"] > 95  # notebook 04, question 3


def test_model_variant_is_a_copy_and_never_touches_the_packaged_yaml(demos):
    model = default_model()
    packaged = Path(model.path)
    digest = hashlib.sha256(packaged.read_bytes()).hexdigest()
    variant = ws.model_variant(model, source_weights={"customer": 0.6}, dimension_weights={"service": 2},
                               thresholds={(4, "strategy"): 55, (5, "gap"): 20})
    assert variant.version == f"{model.version}+workshop"
    assert variant.source_weights == {**model.source_weights, "customer": 0.6}
    assert variant.dimension("service").weight == 2 and model.dimension("service").weight == 1
    assert next(c for c in variant.rung(4).conditions if c.dimension == "strategy").min == 55
    assert next(c for c in variant.rung(5).conditions if c.dimension == "gap").max == 20
    assert next(c for c in model.rung(4).conditions if c.dimension == "strategy").min == 65
    assert hashlib.sha256(packaged.read_bytes()).hexdigest() == digest
    for bad in ({"source_weights": {"klant": 1}}, {"dimension_weights": {"x": 1}},
                {"thresholds": {(1, "service"): 50}}, {"thresholds": {(2, "strategy"): 50}}):
        with pytest.raises(KeyError):
            ws.model_variant(model, **bad)
    with pytest.raises(ValueError):
        ws.model_variant(model, source_weights={"internal": 0, "customer": 0, "kpi": 0})


def test_rescoring_with_lower_thresholds_moves_the_bike_shop_to_rung_four(demos):
    a = demos["retail"]
    variant = ws.model_variant(a.model, thresholds={(4, "strategy"): 55, (4, "loyalty"): 55, (4, "ethics"): 50})
    b = ws.rescore(a, variant)
    assert a.rung.level == 3 and b.rung.level == 4  # notebook 04, question 2
    assert b.model.version.endswith("+workshop") and a.model.version == "2026.1"
    table = ws.compare_assessments(a, b)
    assert table.loc["Trede"].tolist() == [3, 4, 1]
    assert table.loc["Strategie, leiderschap & cultuur", "Verschil"] == 0


def test_customer_weight_matters_little_for_the_shop_and_much_for_the_municipality(demos):
    weights = {"internal": 0.10, "customer": 0.60, "kpi": 0.30}
    shifts = {}
    for key in ("retail", "gemeente"):
        a = demos[key]
        b = ws.rescore(a, ws.model_variant(a.model, source_weights=weights))
        shifts[key] = abs(b.overall.value - a.overall.value)
    assert shifts["retail"] < 1 < 3 < shifts["gemeente"]  # notebook 04, question 1


# ---------------------------------------------------------------------------------------------
# 05 Wat vinden jouw klanten belangrijk?
# ---------------------------------------------------------------------------------------------


def test_importance_differs_between_the_shop_and_the_hotel(demos):
    shop, hotel = demos["retail"], demos["horeca"]
    t_shop, t_hotel = ws.importance_table(shop), ws.importance_table(hotel)
    assert t_shop.iloc[0]["Pijler"] == "Klantbinding & loyaliteit"  # notebook 05, question 1
    assert t_shop.iloc[0]["Kwadrant"] == "Hier verbeteren"
    assert t_hotel.iloc[0]["Pijler"] == "Klantbeleving & klantreis"
    service = t_hotel.set_index("Pijler").loc["Klantenservice"]
    assert service["Kwadrant"] == "Mogelijk te veel van het goede"  # question 2
    assert t_shop["Belang (% van R²)"].is_monotonic_decreasing
    side = ws.compare_importance({"retail": shop, "horeca": hotel})
    assert side.loc["Klantbinding & loyaliteit", shop.config.name].endswith("★")
    assert side.loc["Klantbeleving & klantreis", hotel.config.name].endswith("★")
    assert "Strategie, leiderschap & cultuur" not in side.index
    assert "42%" in ws.drivers_note(shop) and "NPS" in ws.drivers_note(shop)


def test_importance_matrix_figure(demos):
    fig = ws.importance_matrix_figure(demos["horeca"], "en")
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert "Concentrate here" in texts and "Customer experience & journey" in texts
    assert ax.get_title(loc="left") == "Importance and performance – Hotel De Zilte Zeemeeuw"


# ---------------------------------------------------------------------------------------------
# 06 Van rapport naar actie
# ---------------------------------------------------------------------------------------------


def test_route_to_the_next_rung_combines_blocking_and_importance(demos):
    a = demos["retail"]
    route = ws.route_to_next_rung(a)
    assert list(route["Gaat over"]) == ["Strategie, leiderschap & cultuur", "Klantbinding & loyaliteit", "Ethiek, privacy & vertrouwen"]
    assert route.set_index("Gaat over").loc["Klantbinding & loyaliteit", "Belang voor klanten"] == "Hier verbeteren"
    assert ws.blocking_dimensions(a) == ["strategy", "loyalty", "ethics"]
    full = ws.route_table(a)
    assert (full["Trede"] > a.rung.level).all() and (full["Gehaald"] == "✗").all()
    assert ws.blocking_dimensions(demos["gemeente"]) == ["experience"]
    assert ws.route_to_next_rung(demos["bouw"]).empty  # already on the top rung


def test_the_plan_in_notebook_six_reaches_rung_four(demos):
    a = demos["retail"]
    state = ws.projected_state(a, {"strategy": 10, "loyalty": 4, "ethics": 7})
    assert state.level == 4
    assert ws.projected_state(a, {}).level == a.rung.level
    capped = ws.projected_state(a, dict.fromkeys(DIMS, 100))
    assert all(v == 100 for v in capped.scores.values())
    assert capped.level == 5  # the shop's gaps are small enough
    with pytest.raises(KeyError):
        ws.projected_state(a, {"prijs": 5})
    g = demos["gemeente"]
    assert ws.projected_state(g, dict.fromkeys(DIMS, 40)).level == 4  # the blind spot holds it back
    assert ws.projected_state(g, dict.fromkeys(DIMS, 40), gap_change=30).level == 5


def test_sample_size_per_wave():
    assert ws.sample_size_per_wave(20, 5) == 252
    assert ws.sample_size_per_wave(20, 10) == 63
    assert ws.sample_size_per_wave(20, 5, power=0.9) > 252
    with pytest.raises(ValueError):
        ws.sample_size_per_wave(0, 5)


def test_second_wave_plan_matches_the_answer_in_notebook_six(demos):
    plan = ws.second_wave_plan(demos["retail"], 5)
    needed = plan.set_index("Pijler")["n nodig voor ±5 punten"]
    customers = plan[plan["Onderzoek"] == "klanten"]
    assert len(plan) == 7 and set(plan["Onderzoek"]) == {"klanten", "medewerkers"}
    assert needed.drop("Strategie, leiderschap & cultuur").between(220, 310).all()
    assert plan.set_index("Pijler").loc["Strategie, leiderschap & cultuur", "Onderzoek"] == "medewerkers"
    strategy = plan.set_index("Pijler").loc["Strategie, leiderschap & cultuur"]
    detectable = 2.8 * strategy["Spreiding (sd)"] * np.sqrt(2 / strategy["n nu"])
    assert 11 < detectable < 15  # "rond de 13 punten"
    assert (customers["Marge nu (±)"] < 3).all()


# ---------------------------------------------------------------------------------------------
# 00 Quick scan
# ---------------------------------------------------------------------------------------------


def test_quick_scan_items_are_the_employee_items():
    items = ws.quick_scan_items()
    assert list(items["Kolom"]) == [i.column for i in default_model().items("employee")]
    assert set(ws.PRESET_ANSWERS) == set(items["Kolom"])


def test_quick_scan_scores_one_person_like_a_respondent():
    preset = ws.quick_scan(ws.PRESET_ANSWERS)
    assert preset.level == 3 and preset.gaps == {}
    assert preset.scores["service"] == pytest.approx((4 + 4 + 5 + 3) / 4 / 4 * 100 - 25)
    assert preset.scores["ethics"] == pytest.approx(75)  # two of three answered: enough
    best = ws.quick_scan(dict.fromkeys(ws.PRESET_ANSWERS, 5))
    assert best.level == 4 and [b["dimension"] for b in best.blocking] == ["gap"]  # rung 5 needs customers
    empty = ws.quick_scan({})
    assert empty.level == 1 and all(v is None for v in empty.scores.values())
    one = ws.quick_scan({"service_1": 5})  # one of four service items: under half, no score
    assert one.scores["service"] is None
    with pytest.raises(ValueError):
        ws.quick_scan({"service_1": 6})
    with pytest.raises(KeyError):
        ws.quick_scan({"service_9": 3})


def test_quick_scan_html_is_clearly_one_persons_view():
    html = ws.quick_scan_html(ws.quick_scan(ws.PRESET_ANSWERS), name="Anna <B.V.>")
    assert "Indicatie, geen meting" in html and "Anna &lt;B.V.&gt;" in html
    en = ws.quick_scan_html(ws.quick_scan(ws.PRESET_ANSWERS, language="en"))
    assert "not an assessment" in en


@needs_widgets
def test_quick_scan_form_and_sorting_widget_build():
    results = []
    form = ws.quick_scan_form(on_result=results.append)
    assert len(form.fields) == len(ws.PRESET_ANSWERS)
    for col, value in ws.PRESET_ANSWERS.items():
        form.fields[col].value = value
    form.compute()
    assert results and results[0].level == 3
    sorter = ws.sorting_widget(language="en")
    assert sorter is not None and len(sorter.children) == len(ws.STATEMENTS) + 2


# ---------------------------------------------------------------------------------------------
# The notebooks
# ---------------------------------------------------------------------------------------------


def test_all_seven_workshop_notebooks_are_there():
    assert NOTEBOOKS == ["00_quick_scan.ipynb", "01_wat_is_een_klant.ipynb",
                         "02_klantvriendelijk_of_klantgericht.ipynb", "03_de_ladder.ipynb",
                         "04_een_organisatie_scoren.ipynb", "05_wat_vinden_jouw_klanten_belangrijk.ipynb",
                         "06_van_rapport_naar_actie.ipynb"]
    readme = (WORKSHOP / "README.md").read_text(encoding="utf-8")
    for name in NOTEBOOKS:
        assert name in readme
    assert "make lab" in readme


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_stored_clean_thin_and_trainer_ready(name):
    nb = nbformat.read(WORKSHOP / name, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code), "stored with outputs"
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1 and "interactive = True" in params[0].source and "language = " in params[0].source
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith(f"# {name[:2]} · ")
    assert "**Voor de trainer**" in markdown and "**Doel:**" in markdown and "**Duur:**" in markdown
    assert "<details><summary>" in markdown
    assert markdown.count("<details>") == markdown.count("</details>")
    # Thin: no definitions, loops or imports beyond the package in the notebook itself.
    for c in code:
        for line in c.source.splitlines():
            assert not line.lstrip().startswith(("def ", "class ", "for ", "while ", "import ")), (name, line)
            if line.startswith("from "):
                assert line.startswith("from klantladder import"), (name, line)
    if "data_root" in params[0].source:
        assert '"../../data/demo"' in params[0].source and DEMO.is_dir()


RUNS = [(name, "nl") for name in NOTEBOOKS] + [(name, "en") for name in NOTEBOOKS if name[:2] in ("00", "03")]


@pytest.mark.notebook
@pytest.mark.parametrize(("name", "language"), RUNS, ids=[f"{n[:2]}-{lang}" for n, lang in RUNS])
def test_notebook_runs_top_to_bottom_headless(name, language, tmp_path):
    """papermill, from the notebook's own folder, widgets via their static fallback (the English
    switch is tried on the two notebooks with the most widgets)."""
    import logging

    import papermill as pm

    logging.getLogger("papermill").setLevel(logging.WARNING)
    out = tmp_path / name
    pm.execute_notebook(str(WORKSHOP / name), str(out), parameters={"interactive": False, "language": language},
                        cwd=str(WORKSHOP), kernel_name="python3", progress_bar=False, log_output=False,
                        execution_timeout=300)
    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    stderr = [o.text for o in outputs if o.output_type == "stream" and o.name == "stderr"]
    assert not stderr, stderr
    text = json.dumps([o.get("data", {}) for o in outputs], ensure_ascii=False)
    if name[:2] in ("00", "02", "03"):  # the notebooks with widgets show their static fallback
        assert {"nl": "Geen widgets hier", "en": "No widgets here"}[language] in text
    assert all(c.execution_count is not None for c in nb.cells if c.cell_type == "code")


def test_readme_rungs_of_the_demo_organisations_are_right(demos):
    readme = (WORKSHOP / "README.md").read_text(encoding="utf-8")
    for key, a in demos.items():
        row = next(line for line in readme.splitlines() if line.startswith(f"| `{key}` |"))
        assert row.split("|")[5].strip().startswith(f"{a.rung.level} "), (key, row)


def test_workshop_content_has_every_text_in_both_languages():
    """texts/workshop.yaml is what a trainer edits: every text there has a Dutch and an English
    version, and every statement's answer is one the sorting exercise knows."""
    from klantladder.i18n import workshop_texts

    def texts(node, path=""):
        if isinstance(node, dict) and set(node) & {"nl", "en"}:
            yield path, node
        elif isinstance(node, dict):
            for k, v in node.items():
                yield from texts(v, f"{path}.{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                yield from texts(v, f"{path}[{i}]")

    found = list(texts(workshop_texts()))
    assert len(found) > 100
    for path, text in found:
        assert set(text) == {"nl", "en"} and all(str(v).strip() for v in text.values()), path
    assert {s.answer for s in ws.STATEMENTS} <= set(workshop_texts()["answer_names"])
