"""The report's sections (HTML fragments), texts, advice and workbook, without running a kernel."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import string
from dataclasses import replace

import openpyxl
import pandas as pd
import pytest

from klantladder import reportdata as rd
from klantladder import sections
from klantladder.assess import assess_folder
from klantladder.i18n import fmt_date, fmt_hours, fmt_interval, fmt_list, fmt_number, fmt_signed, recommendation_texts, texts
from klantladder.model import default_model
from klantladder.outputs import write_workbook
from klantladder.paths import DEMO_DATA
from klantladder.segments import UNKNOWN_GROUP

pytestmark = pytest.mark.filterwarnings("error")

ALL = ("cover", "summary", "profile", "service", "loyalty", "drivers", "segments", "trend", "route", "appendix")
INJECT_NAME = "<script>alert(1)</script> & Zn"
INJECT_LABEL = "<img src=x onerror=alert(1)>"


def render(a, ctx=None) -> str:
    return "".join(getattr(sections, s)(a, ctx) if s == "trend" else getattr(sections, s)(a) for s in ALL)


@pytest.fixture(scope="module")
def retail():
    return assess_folder(DEMO_DATA / "retail")


@pytest.fixture(scope="module")
def bouw_en():
    return assess_folder(DEMO_DATA / "bouw").in_language("en")


@pytest.fixture(scope="module")
def injected(tmp_path_factory):
    """The retail demo with markup in the client name, a segment, a channel and a department."""
    folder = tmp_path_factory.mktemp("inject") / "retail"
    shutil.copytree(DEMO_DATA / "retail", folder)
    cfg = folder / "client.yaml"
    cfg.write_text(re.sub(r"^name:.*$", f'name: "{INJECT_NAME}"', cfg.read_text("utf-8"), flags=re.M), "utf-8")
    survey = pd.read_csv(folder / "customer_survey.csv", dtype=str)
    survey.loc[survey.index[:60], "segment"] = INJECT_LABEL
    survey.loc[survey.index[:40], "channel"] = INJECT_LABEL
    survey.to_csv(folder / "customer_survey.csv", index=False)
    emp = pd.read_csv(folder / "employee_survey.csv", dtype=str)
    emp.loc[emp.index[:8], "department"] = INJECT_LABEL
    emp.to_csv(folder / "employee_survey.csv", index=False)
    tickets = pd.read_csv(folder / "tickets.csv", dtype=str)
    tickets.loc[tickets.index[:50], "channel"] = INJECT_LABEL
    tickets.to_csv(folder / "tickets.csv", index=False)
    return assess_folder(folder)


def test_every_section_has_its_stable_id_in_order(retail):
    html = render(retail)
    ids = re.findall(r'<section id="(kl-[a-z]+)"', html)
    assert ids == [sid for sid, _ in sections.SECTION_IDS]
    assert [f"kl-{s}" for s in ALL] == ids


def test_client_text_is_escaped_everywhere(injected):
    html = render(injected)
    assert "<script" not in html.lower()
    assert "<img" not in html.lower()
    assert "onerror=alert" not in html.replace("&lt;img src=x onerror=alert(1)&gt;", "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Zn" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html  # the label is shown, as text


def test_summary_has_rung_probability_overall_strong_weak_and_kpis(retail):
    html = sections.summary(retail)
    assert "trede <strong>3: Klantbewust</strong>" in html
    assert 'id="fig-ladder"' in html and "<svg" in html
    assert "Totaalscore" in html and "95%-interval" in html
    assert html.count('<ul class="dims">') == 2 and html.count("<li>") >= 6
    assert html.count('class="tile"') == len(sections.HEADLINE_KPIS)
    assert "Strategie, leiderschap &amp; cultuur 56 → 65" in html  # the blocking condition, Dutch number format


def test_dutch_numbers_and_dates(retail):
    html = render(retail)
    assert re.search(r"\d,\d uur", html)  # decimal comma
    assert "oktober 2026" in html
    assert not re.search(r"\d\.\d uur", html)


ENGLISH_BANNED = (" het ", " een ", " van de ", "Pijler", "pijler", "trede", "Samenvatting", " uur", "Klanten",
                  "oktober", "WAARSCHUWING", "opdrachtgever")


def test_english_report_has_no_dutch_words(bouw_en):
    html = render(bouw_en)
    text = re.sub(r"<[^>]+>", " ", html)
    for word in ENGLISH_BANNED:
        assert word not in text, word
    assert "Summary" in text and "October 2026" in text and "clients" in text


def test_no_warning_or_traceback_text(retail, bouw_en):
    for a in (retail, bouw_en):
        html = render(a)
        assert "Traceback" not in html
        assert not re.search(r"\w*Warning\b", html)
        assert "[unresolved_ticket]" not in html  # rule codes stay in scores.json


def test_blind_spots_called_out_when_gap_interval_excludes_zero():
    a = assess_folder(DEMO_DATA / "gemeente")
    spots = rd.blind_spots(a)
    assert spots and all(a.dimensions[k].gap.ci_low > 0 for k in spots)
    html = sections.profile(a)
    assert html.count("⚑") >= len(spots)
    assert "Blinde vlekken" in html and "medewerkers zijn" in html


def test_segments_show_suppression(retail):
    html = sections.segments(retail)
    assert "te klein (n &lt; 5)" in html  # Directie: 3 employees
    assert "verborgen (anders herleidbaar)" in html  # secondary suppression
    dep = next(st for st in rd.segment_tables(retail) if st.kind == "employee_department")
    hidden = dep.table[dep.table["suppressed"]]
    assert set(hidden["suppression"]) == {"primary", "secondary"}
    assert hidden["n"].isna().all()


def test_service_by_channel_matches_headline_kpis_for_one_channel(retail):
    tickets = retail.data.frames["tickets"].assign(channel="alles")
    frames = {**retail.data.frames, "tickets": tickets}
    a = replace(retail, data=replace(retail.data, frames=frames))
    row = rd.service_by_channel(a).iloc[0]
    k = retail.kpis
    assert row["n"] == len(tickets)
    assert row["sla_rate"] == pytest.approx(k["sla_rate"].value)
    assert row["fcr_rate"] == pytest.approx(k["fcr_rate"].value)
    assert row["reopen_rate"] == pytest.approx(k["reopen_rate"].value)
    assert row["repeat_rate"] == pytest.approx(k["repeat_contact_rate"].value)
    assert row["first_response_median"] == pytest.approx(k["first_response_hours_median"].value)
    # One channel holding every ticket: its intervals are the headline KPIs' (kpis.ticket_kpis).
    for column, kpi in (("sla_rate", "sla_rate"), ("fcr_rate", "fcr_rate"), ("reopen_rate", "reopen_rate"),
                        ("repeat_rate", "repeat_contact_rate"), ("first_response_median", "first_response_hours_median"),
                        ("first_response_p90", "first_response_hours_p90"),
                        ("resolution_median", "resolution_hours_median"), ("resolution_p90", "resolution_hours_p90")):
        assert row["intervals"][column] == pytest.approx((k[kpi].ci_low, k[kpi].ci_high), rel=1e-9), column


def test_service_by_channel_equals_a_plain_pandas_groupby_per_channel(retail):
    # Every channel's row, unknown channels included, against pandas' own groupby of the ticket
    # times and of the headline KPIs' per-ticket indicators (kpis.ticket_columns).
    from klantladder.kpis import ticket_columns, ticket_hours

    tickets = retail.data.frames["tickets"].copy()
    tickets.loc[tickets.index[::7], "channel"] = None
    a = replace(retail, data=replace(retail.data, frames={**retail.data.frames, "tickets": tickets}))
    by = rd.service_by_channel(a).set_index("channel")
    sla = {**retail.model.sla, **retail.config.sla}
    ind = ticket_columns(tickets, sla, retail.reference_date).values
    frame = ticket_hours(tickets).join(ind).assign(channel=tickets["channel"].fillna(rd.UNKNOWN_GROUP))
    groups = frame.groupby("channel")
    assert sorted(by.index) == sorted(groups.groups) and rd.UNKNOWN_GROUP in by.index
    for name, g in groups:
        row = by.loc[name]
        assert row["n"] == len(g) and not row["suppressed"]
        assert row["first_response_median"] == pytest.approx(g["first_response_hours"].median())
        assert row["first_response_p90"] == pytest.approx(g["first_response_hours"].quantile(0.9))
        assert row["resolution_median"] == pytest.approx(g["resolution_hours"].median())
        assert row["resolution_p90"] == pytest.approx(g["resolution_hours"].quantile(0.9))
        for col, kpi in (("sla_rate", "sla_rate"), ("fcr_rate", "fcr_rate"), ("reopen_rate", "reopen_rate"),
                         ("repeat_rate", "repeat_contact_rate")):
            assert row[col] == pytest.approx(g[kpi].mean()), (name, col)
    assert list(by["n"]) == sorted(by["n"], reverse=True)


def test_each_channels_rates_have_wilsons_interval_with_the_design_effect_of_its_customers(retail):
    """Per shown channel and rate: Wilson's interval on n / deff, the design effect computed here by
    hand from the channel's tickets grouped by customer (Kish: the linearised variance of the
    ratio over the customers, against s^2 / n of the tickets). Every interval holds its value."""
    from klantladder.intervals import proportion_estimate
    from klantladder.kpis import customer_codes, ticket_columns

    tickets = retail.data.frames["tickets"]
    by = rd.service_by_channel(retail)
    sla = {**retail.model.sla, **retail.config.sla}
    ind = ticket_columns(tickets, sla, retail.reference_date).values
    frame = ind.assign(channel=tickets["channel"].to_numpy(), customer=customer_codes(tickets))
    checked = 0
    for _, row in by.iterrows():
        g = frame[frame["channel"] == row["channel"]]
        for column, kpi in (("sla_rate", "sla_rate"), ("reopen_rate", "reopen_rate"), ("fcr_rate", "fcr_rate")):
            v = g[[kpi, "customer"]].dropna()
            per = v.groupby("customer")[kpi].agg(["sum", "count"])
            m, n = len(per), len(v)
            r = per["sum"].sum() / per["count"].sum()
            var_cluster = (((per["sum"] - r * per["count"]) / (per["count"].sum() / m)) ** 2).sum() / (m * (m - 1))
            deff = var_cluster / (v[kpi].var(ddof=1) / n)
            e = proportion_estimate(int((v[kpi] == 100).sum()), n, deff=deff)
            assert row["intervals"][column] == pytest.approx((e.ci_low, e.ci_high), rel=1e-9), (row["channel"], column)
            checked += 1
        for column, (low, high) in row["intervals"].items():
            assert low <= row[column] <= high, (row["channel"], column)
    assert checked == 3 * len(by)


def test_service_channel_table_suppresses_small_channels(retail, tmp_path):
    tickets = retail.data.frames["tickets"].copy()
    tickets.loc[tickets.index[:3], "channel"] = "brief"
    a = replace(retail, data=replace(retail.data, frames={**retail.data.frames, "tickets": tickets}))
    by = rd.service_by_channel(a)
    assert by.loc[by["channel"] == "brief", "suppressed"].item()
    assert by["suppressed"].sum() == 2  # and the next smallest, else recoverable from the total
    assert by.loc[by["suppressed"], "sla_rate"].isna().all()
    hidden = [r for r in a.to_dict()["service_channels"]["rows"] if r["suppressed"]]
    assert len(hidden) == 2 and all(r["n"] is None and r["sla_rate"] is None and r["differences"] == {}
                                    and r["intervals"] == {} for r in hidden)
    write_workbook(a, tmp_path / "scores.xlsx")  # the interval sheet lists neither hidden channel
    listed = {c.value for c in openpyxl.load_workbook(tmp_path / "scores.xlsx")["Kanalen (intervallen)"]["A"]}
    assert not listed & set(by.loc[by["suppressed"], "channel"]) and len(listed) == 1 + (~by["suppressed"]).sum()


def test_missing_sources_give_short_notes_not_errors(tmp_path):
    folder = tmp_path / "quick-scan"
    shutil.copytree(DEMO_DATA / "horeca", folder)
    (folder / "tickets.csv").unlink()
    (folder / "customers.csv").unlink()
    a = assess_folder(folder)
    html = render(a)
    assert "geen servicegegevens" in sections.service(a)
    assert "niet te bepalen" in sections.loyalty(a)
    assert "Bron ontbreekt: servicegegevens (tickets)" in sections.appendix(a)
    assert re.findall(r'<section id="(kl-[a-z]+)"', html) == [sid for sid, _ in sections.SECTION_IDS]


def test_trend_and_benchmark_absent_then_present(retail):
    html = sections.trend(retail, None)
    assert "eerste meting" in html and "geen portefeuille" in html
    doc = retail.to_dict()
    doc["wave"] = "2025-najaar"
    doc["overall"] = {**doc["overall"], "score": doc["overall"]["score"] - 8, "ci_low": doc["overall"]["ci_low"] - 8,
                      "ci_high": doc["overall"]["ci_high"] - 8}
    peers = pd.DataFrame({"sector": ["retail"] * 6 + ["zorg"] * 4,
                          "overall": [40, 45, 50, 55, 60, 65, 70, 58, 52, 61],
                          "service": [50, 55, 60, 65, 70, 75, 52, 58, 61, 66]},
                         index=[f"peer-secret-{i}" for i in range(10)])
    ctx = rd.ReportContext(previous=[doc], portfolio=peers)
    html = sections.trend(retail, ctx)
    assert "eerste meting" not in html and 'id="fig-trend"' in html and 'id="fig-benchmark"' in html
    assert "+8,0" in html and "gestegen, groter dan de ruis" in html
    assert "peer-secret" not in html
    table = rd.trend_table(retail, ctx)
    assert table.loc[table["measure"] == "overall", "change"].item() == pytest.approx(8.0, abs=0.01)


def test_route_blocking_and_fixed_advice(retail):
    html = sections.route(retail)
    items = rd.route_items(retail)
    assert [i.advice_key for i in items] == ["strategy", "loyalty", "ethics"]
    assert "nog 9,1 punten" in html
    band, advice = rd.recommendations(retail, "strategy")
    assert band == "mid" and 2 <= len(advice) <= 3
    for line in advice:
        assert line.replace("’", "&#x27;") in html or line in html


def test_route_on_top_rung_gives_advice_to_hold_on(bouw_en):
    assert bouw_en.rung.level == 5
    html = sections.route(bouw_en)
    assert "highest rung" in html and 'class="rec' in html


def test_score_bands():
    assert rd.score_band(10) == "low" and rd.score_band(44.9) == "low"
    assert rd.score_band(45) == "mid" and rd.score_band(64.9) == "mid"
    assert rd.score_band(65) == "high" and rd.score_band(None) == "low"


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_every_text_exists_in_both_languages_with_the_same_placeholders():
    for key, entry in texts().items():
        assert isinstance(entry.get("nl"), str) and isinstance(entry.get("en"), str), key
        terms = {"term", "plural", "Term", "Plural"}
        assert _fields(entry["nl"]) - terms == _fields(entry["en"]) - terms, key


def test_recommendations_cover_every_dimension_band_and_language():
    rec = recommendation_texts()
    bands = [b["key"] for b in rec["bands"]]
    assert bands == ["low", "mid", "high"]
    for dim in default_model().dimension_keys:
        for band in bands:
            for lang in ("nl", "en"):
                items = rec["dimensions"][dim][band][lang]
                assert 2 <= len(items) <= 3, (dim, band, lang)
                assert all(_fields(s) <= {"term", "plural", "Term", "Plural"} for s in items)
            assert len(rec["dimensions"][dim][band]["nl"]) == len(rec["dimensions"][dim][band]["en"])
    for special in ("gap", "missing"):
        assert rec["special"][special]["nl"] and rec["special"][special]["en"]


def test_number_and_date_formats():
    import datetime as dt

    assert fmt_number(1234.56, "nl", 1) == "1.234,6" and fmt_number(1234.56, "en", 1) == "1,234.6"
    assert fmt_number(-3, "nl") == "−3" and fmt_number(-0.2, "nl") == "0"
    assert fmt_signed(2.5, "nl", 1) == "+2,5" and fmt_signed(0.0, "en") == "0"
    assert fmt_interval(61.2, 68.9, "nl") == "[61 – 69]" and fmt_interval(None, 3, "nl") == ""
    assert fmt_date(dt.date(2026, 3, 1), "nl") == "1 maart 2026" and fmt_date(dt.date(2026, 3, 1), "en") == "1 March 2026"
    assert fmt_hours(2.54, "nl") == "2,5 uur" and fmt_hours(30.4, "en") == "30 h"
    assert fmt_list(["a", "b", "c"], "nl") == "a, b en c" and fmt_list(["a", "b"], "en") == "a and b"


def test_workbook_is_neat_and_in_the_report_language(retail, bouw_en, tmp_path):
    write_workbook(retail, tmp_path / "nl.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "nl.xlsx")
    assert wb.sheetnames[:3] == ["Samenvatting", "Pijlers", "Kengetallen"]
    assert {"Kanalen", "Segmenten", "Betrouwbaarheid", "Route"} <= set(wb.sheetnames)
    for ws in wb:
        assert ws.freeze_panes == "A2"
        assert all(c.font.bold for c in ws[1] if c.value is not None)
    dims = wb["Pijlers"]
    assert [c.value for c in dims[1]][:3] == ["Pijler", "Sleutel", "Score"]
    assert dims["C2"].number_format == "0.0" and isinstance(dims["C2"].value, float)
    seg = wb["Segmenten"]
    assert any(row[3] == "ja" and row[2] is None for row in seg.iter_rows(min_row=2, values_only=True))
    # Each shown cell's 95% interval, one row per cell; a hidden group has none.
    spans = wb["Segmenten (intervallen)"]
    assert [c.value for c in spans[1]] == ["Uitsplitsing", "Groep", "Onderdeel", "Waarde", "95% ondergrens",
                                           "95% bovengrens"]
    cells = list(spans.iter_rows(min_row=2, values_only=True))
    hidden = {(row[0], row[1]) for row in seg.iter_rows(min_row=2, values_only=True) if row[3] == "ja"}
    assert cells and not any((c[0], c[1]) in hidden for c in cells)
    assert all(low <= value <= high for *_, value, low, high in cells)
    write_workbook(bouw_en, tmp_path / "en.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "en.xlsx")
    assert wb.sheetnames[:3] == ["Summary", "Dimensions", "Indicators"]
    assert [c.value for c in wb["Dimensions"][1]][:2] == ["Dimension", "Key"]


def test_trend_uses_the_assessments_own_history(retail):
    from klantladder.waves import WaveSnapshot

    snap = retail.snapshot()
    shifted = {k: replace(e, value=e.value - 10, ci_low=None if e.ci_low is None else e.ci_low - 10,
                          ci_high=None if e.ci_high is None else e.ci_high - 10)
               if k in ("overall", "dimension.service") else e for k, e in snap.estimates.items()}
    earlier = WaveSnapshot("2025-najaar", dt.date(2025, 10, 31), snap.model_version, shifted, snap.sources)
    a = replace(retail, history=[earlier])
    table = rd.trend_table(a, None)
    assert table["from_wave"].eq("2025-najaar").all()
    row = table.set_index("measure").loc["service"]
    assert row["change"] == pytest.approx(10.0) and row["significant"]
    assert not table.set_index("measure").loc["ethics", "significant"]
    html = sections.trend(a, None)
    assert "eerste meting" not in html and "gestegen, groter dan de ruis" in html and "binnen de ruis" in html


def test_no_figure_repeats_the_heading_above_it(retail):
    html = render(retail)
    headings = {re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<h[234][^>]*>(.*?)</h[234]>", html)}
    figure_titles = set()
    for svg in re.findall(r"<svg.*?</svg>", html, flags=re.S):
        texts = [re.sub(r"<[^>]+>", "", x).strip() for x in re.findall(r"<text[^>]*>(.*?)</text>", svg, flags=re.S)]
        figure_titles.update(x for x in texts if x)
    assert headings and figure_titles
    assert not headings & figure_titles, headings & figure_titles


def test_sections_and_figures_are_computed_once_per_assessment(retail):
    assert rd.service_by_channel(retail) is rd.service_by_channel(retail)
    assert rd.segment_tables(retail) is rd.segment_tables(retail)


def test_context_from_files_earlier_scores_and_a_batch_folder(retail, tmp_path):
    import json

    doc = retail.to_dict()
    prev = {**doc, "wave": "2025-voorjaar"}
    (tmp_path / "prev.json").write_text(json.dumps(prev), encoding="utf-8")
    batch = tmp_path / "batch"
    for i in range(7):
        peer = {**doc, "client_id": f"klant-{i}", "name": f"Geheime Klant {i}",
                "overall": {**doc["overall"], "score": 40 + 5 * i}}
        (batch / f"klant-{i}").mkdir(parents=True)
        (batch / f"klant-{i}" / "scores.json").write_text(json.dumps(peer), encoding="utf-8")
    ctx = rd.load_context([tmp_path / "prev.json"], batch)
    assert len(ctx.previous) == 1 and len(ctx.portfolio) == 7 and "name" not in ctx.portfolio
    html = sections.trend(retail, ctx)
    assert "2025-voorjaar" in html and 'id="fig-benchmark"' in html
    assert "Geheime Klant" not in html and "klant-3" not in html
    bench = rd.benchmark_table(retail, ctx)
    assert bench.set_index("measure").loc["overall", "peers_n"] == 7


def test_too_few_tickets_for_a_p90_interval_say_so_instead_of_a_short_interval(tmp_path):
    # With 30 tickets or fewer the 90th percentile has no 95% interval (the widest one covers
    # 94.98%): the report gives its value with the reason; the median (from n = 6) keeps its.
    folder = tmp_path / "small-service"
    shutil.copytree(DEMO_DATA / "retail", folder)
    tickets = pd.read_csv(folder / "tickets.csv", dtype=str)
    tickets.groupby("customer_id").head(1).head(30).to_csv(folder / "tickets.csv", index=False)
    a = assess_folder(folder)
    p90, median = a.kpis["first_response_hours_p90"], a.kpis["first_response_hours_median"]
    assert p90.n == median.n <= 30 and p90.value is not None
    assert p90.ci_low is None and p90.ci_high is None and p90.se is None
    assert median.ci_low is not None and median.ci_low <= median.value <= median.ci_high
    table = sections.appendix(a)
    p90_row = next(r for r in re.findall(r"<tr>.*?</tr>", table, re.S) if "90" in r and "eerste reactie" in r.lower())
    assert "te weinig waarnemingen voor een interval" in p90_row and "[" not in p90_row
    english = sections.appendix(a.in_language("en"))
    assert "too few observations for an interval" in english
    assert "[" in sections.kpi_value(a, "first_response_hours_median")


def test_nps_of_six_promoters_is_shown_without_a_zero_width_interval(tmp_path):
    folder = tmp_path / "six"
    shutil.copytree(DEMO_DATA / "retail", folder)
    survey = pd.read_csv(folder / "customer_survey.csv", dtype=str).head(6).assign(nps="10")
    survey.to_csv(folder / "customer_survey.csv", index=False)
    a = assess_folder(folder)
    nps = a.kpis["nps"]
    assert nps.value == 100.0 and nps.n == 6 and nps.ci_low is None
    loyalty = sections.loyalty(a)
    assert "+100,0 (te weinig waarnemingen voor een interval) (n = 6)" in re.sub(r"<[^>]+>", "", loyalty)
    assert "[100 – 100]" not in loyalty and "[100 – 100]" not in sections.summary(a)


def test_a_change_from_a_wave_without_interval_is_not_called_noise(retail):
    # The earlier wave's NPS came from six promoters: no interval, so no test of the change.
    doc = retail.to_dict()
    doc["wave"] = "2025-najaar"
    doc["kpis"]["nps"] = {"value": 100.0, "ci_low": None, "ci_high": None, "n": 6}
    table = rd.trend_table(retail, rd.ReportContext(previous=[doc])).set_index("measure")
    assert pd.isna(table.loc["nps", "ci_low"]) and not table.loc["nps", "significant"]
    row = next(r for r in re.findall(r"<tr>.*?</tr>", sections.trend(retail, rd.ReportContext(previous=[doc])), re.S)
               if "Net Promoter" in r)
    assert "niet te toetsen: geen interval bij een van beide metingen" in row and "binnen de ruis" not in row


def test_tickets_without_a_channel_are_unknown_in_the_report_language(retail, bouw_en, tmp_path):
    from klantladder.plots import service_times, to_svg

    def with_channels(a, channel):
        tickets = a.data.frames["tickets"].copy()
        if channel is None:
            tickets = tickets.drop(columns=["channel"])
        else:
            tickets.loc[tickets.index[::5], "channel"] = channel
        return replace(a, data=replace(a.data, frames={**a.data.frames, "tickets": tickets}))

    some = with_channels(bouw_en, pd.NA)
    html = sections.service(some) + to_svg(service_times(some))
    assert "(unknown)" in html and "(onbekend)" not in html
    write_workbook(some, tmp_path / "scores.xlsx")
    channels = [c.value for c in openpyxl.load_workbook(tmp_path / "scores.xlsx")["Channels"]["A"]]
    assert "(unknown)" in channels and "(onbekend)" not in channels
    none = with_channels(retail, None)  # no channel column: no table repeating the total, one box "Totaal"
    assert "Per kanaal" not in sections.service(none)
    svg = to_svg(service_times(none))
    assert "Totaal" in svg and "(onbekend)" not in svg


def test_many_groups_too_small_are_one_row_not_pages_of_labels(tmp_path):
    # A segment column holding a value per respondent (a postcode, a name): 330 groups of one.
    folder = tmp_path / "unique-segments"
    shutil.copytree(DEMO_DATA / "retail", folder)
    survey = pd.read_csv(folder / "customer_survey.csv", dtype=str)
    survey["segment"] = [f"postcode-{i:04d}" for i in range(len(survey))]
    survey.to_csv(folder / "customer_survey.csv", index=False)
    a = assess_folder(folder)
    html = sections.segments(a)
    assert "postcode-" not in html
    assert f"{len(survey)} groepen met elk minder dan 5" in html
    write_workbook(a, tmp_path / "scores.xlsx")
    groups = [c.value for c in openpyxl.load_workbook(tmp_path / "scores.xlsx")["Segmenten"]["B"]]
    assert not any(str(g).startswith("postcode-") for g in groups)
    spans = openpyxl.load_workbook(tmp_path / "scores.xlsx")["Segmenten (intervallen)"]["B"]
    assert not any(str(c.value).startswith("postcode-") for c in spans)
    assert f"{len(survey)} groepen met elk minder dan 5" in groups
    rows = a.to_dict()["segments"]["customer_segment"]["rows"]  # the score file neither lists the labels
    assert not any(str(r["group"]).startswith("postcode-") for r in rows)
    assert [r["small_groups"] for r in rows if r["group"] is None] == [len(survey)]
    # Up to five small groups are still listed by name (retail's 'Directie', 3 employees).
    assert "Directie" in sections.segments(assess_folder(DEMO_DATA / "retail"))


def test_retention_per_segment_counts_the_kpis_base_and_matches_a_hand_count(retail):
    """The customer-base table's n is the 12-month cohort (customers a year before the reference
    date), not every customer in the file, so its total is the retention KPI's n; each group's
    retention is counted here from the raw file with plain date arithmetic."""
    raw = pd.read_csv(DEMO_DATA / "retail" / "customers.csv", parse_dates=["start_date", "end_date"])
    ref = pd.Timestamp(retail.reference_date)
    window = ref - pd.DateOffset(months=12)
    cohort = raw[(raw["start_date"] <= window) & (raw["end_date"].isna() | (raw["end_date"] > window))]
    kept = cohort["end_date"].isna() | (cohort["end_date"] > ref)
    expected = (kept.groupby(cohort["segment"].fillna("?")).agg(["size", "mean"]))
    st = next(st for st in rd.segment_tables(retail) if st.kind == "customer_base")
    table = st.table.assign(group=st.table["group"].map(lambda g: "?" if g == UNKNOWN_GROUP else g))
    total = table[table["is_total"]].iloc[0]
    assert total["n"] == retail.kpis["retention_12m"].n == len(cohort) < len(raw)
    assert total["retention"] == pytest.approx(retail.kpis["retention_12m"].value)
    groups = table[~table["is_total"]].set_index("group")
    assert set(groups.index) == set(expected.index)
    for g, row in expected.iterrows():
        assert groups.at[g, "n"] == row["size"]
        assert groups.at[g, "retention"] == pytest.approx(100 * row["mean"])


def test_a_group_beyond_the_noise_is_marked_in_report_workbook_and_score_file(tmp_path):
    """Retail's business customers ('Zakelijk', 52 of 330) made to answer every knowledge item
    with 5: their score is far above the rest's, so it is marked ▲ in the report, named in the
    workbook and carried in scores.json; a mark appears exactly where a comparison is beyond the
    noise, and a table without any says so."""
    folder = tmp_path / "retail"
    shutil.copytree(DEMO_DATA / "retail", folder)
    survey = pd.read_csv(folder / "customer_survey.csv", dtype=str)
    business = survey["segment"] == "Zakelijk"
    for c in ("knowledge_1", "knowledge_2", "knowledge_3"):
        survey.loc[business, c] = "5"
    survey.to_csv(folder / "customer_survey.csv", index=False)
    a = assess_folder(folder)
    html = sections.segments(a)
    row = re.search(r"<tr class=''><td>Zakelijk</td>.*?</tr>", html).group(0)
    assert row.count("▲") == 1 and "hoger dan de rest" in row
    marks = sum(d.beyond_noise for st in rd.segment_tables(a) for r in st.table["differences"] for d in r.values())
    assert html.count('class="diff-mark"') == marks >= 1
    assert "Geen groep wijkt meer van de rest af dan de meetonzekerheid." in html  # the department table
    doc = a.to_dict()["segments"]["customer_segment"]
    business_row = next(r for r in doc["rows"] if r["group"] == "Zakelijk")
    knowledge = business_row["differences"]["dim_knowledge"]
    assert knowledge["beyond_noise"] and knowledge["diff"] > 20 and knowledge["p_adjusted"] < 0.05
    write_workbook(a, tmp_path / "scores.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "scores.xlsx")["Segmenten"]
    last = {(r[0].value, r[1].value): r[-1].value for r in sheet.iter_rows(min_row=2)}
    assert last[("Klanten per segment", "Zakelijk")] == "Klantkennis & segmentatie ▲"


def test_gap_text_gives_the_chance_of_a_blind_spot_by_chance_alone(retail):
    """Six dimensions with a gap and its interval, each tested at 5%: at least one false blind
    spot in 1 - 0.95^6 = 26.5% of assessments without any real gap; one gap alone gets no such
    sentence."""
    gaps = [k for k, d in retail.dimensions.items() if d.gap is not None and d.gap.ci_low is not None]
    assert len(gaps) == 6
    assert "bij 6 pijlers komt er ook zonder enig echt verschil in ongeveer 26% van de metingen" in sections.profile(retail)
    assert "with 6 dimensions, at least one comes out like that in about 26%" in sections.profile(retail.in_language("en"))
    one = {k: (d if k == gaps[0] else replace(d, gap=None)) for k, d in retail.dimensions.items()}
    assert "apart getoetst" not in sections.profile(replace(retail, dimensions=one))


def test_median_tenure_carries_its_interval_or_says_it_is_open(retail, monkeypatch):
    curve = rd.retention(retail)
    lo, hi = curve.median_ci
    assert lo < curve.median_months < hi  # 105 months [82 – 115]
    text = sections.loyalty(retail)
    assert (f"na {fmt_number(curve.median_months, 'nl')} maanden vertrokken "
            f"{fmt_interval(lo, hi, 'nl')}") in text
    monkeypatch.setattr(rd, "retention", lambda a: replace(curve, median_ci=(lo, None)))
    assert f"(95%-interval: vanaf {fmt_number(lo, 'nl')} maanden; de bovengrens ligt voorbij de gegevens)" \
        in sections.loyalty(retail)


def test_service_channels_are_compared_with_the_rest_with_customers_as_clusters(tmp_path):
    """Retail with every chat ticket reopened: chat's reopen rate is marked ▲ in the report and
    named in the workbook; every comparison in the channel table is the clustered test
    (segments.clustered_differences, checked against its matrix form in test_segments) of the
    headline KPIs' own per-ticket indicators with the customers as clusters, Holm-adjusted over
    the table as statsmodels does it, and a mark appears exactly where one is beyond the noise."""
    import numpy as np
    from statsmodels.stats.multitest import multipletests

    from klantladder.kpis import ticket_columns
    from klantladder.segments import clustered_differences

    folder = tmp_path / "retail"
    shutil.copytree(DEMO_DATA / "retail", folder)
    tickets = pd.read_csv(folder / "tickets.csv", dtype=str)
    tickets.loc[tickets["channel"] == "chat", "reopened"] = "1"
    tickets.to_csv(folder / "tickets.csv", index=False)
    a = assess_folder(folder)
    frame = a.data.frames["tickets"]
    sla = {**a.model.sla, **a.config.sla}
    indicators = ticket_columns(frame, sla, a.reference_date).values
    clusters = pd.factorize(frame["customer_id"].astype(object))[0]
    names = pd.factorize(frame["channel"].fillna(UNKNOWN_GROUP))
    by = rd.service_by_channel(a)
    rates = {"sla_rate": "sla_rate", "fcr_rate": "fcr_rate", "reopen_rate": "reopen_rate",
             "repeat_rate": "repeat_contact_rate"}
    # Median times: the share of tickets within the median time of all tickets, compared the same
    # way (a median test); the difference reported is the channel's median minus the rest's.
    times = {"first_response_median": (frame["first_response_at"] - frame["created_at"]).dt.total_seconds() / 3600,
             "resolution_median": (frame["resolved_at"] - frame["created_at"]).dt.total_seconds() / 3600}
    channel_of = frame["channel"].fillna(UNKNOWN_GROUP)
    cells, pvalues = [], []
    for channel in by.loc[~by["suppressed"], "channel"]:
        j = list(names[1]).index(channel)
        for col, kpi in rates.items():
            diff, p = clustered_differences(indicators[kpi].to_numpy(dtype=float), names[0], clusters, len(names[1]))
            if not np.isnan(p[j]):
                cells.append((channel, col, diff[j]))
                pvalues.append(p[j])
        for col, hours in times.items():
            within = (100.0 * (hours <= hours.median())).where(hours.notna()).to_numpy(dtype=float)
            _, p = clustered_differences(within, names[0], clusters, len(names[1]))
            cells.append((channel, col, hours[channel_of == channel].median() - hours[channel_of != channel].median()))
            pvalues.append(p[j])
    adjusted = multipletests(pvalues, method="holm")[1]
    found = {(r.channel, c): d for r in by.itertuples() for c, d in r.differences.items()}
    assert set(found) == {(ch, c) for ch, c, _ in cells} and len(found) == 24
    for (channel, col, diff), p, q in zip(cells, pvalues, adjusted):
        d = found[(channel, col)]
        assert (d.diff, d.p, d.p_adjusted) == pytest.approx((diff, p, q), rel=1e-9, abs=1e-12)
    chat = found[("chat", "reopen_rate")]
    assert chat.direction == 1 and chat.diff > 80
    html = sections.service(a)
    table = re.search(r"<table class=\"data compact channels\".*?</table>", html, re.S).group(0)
    row = re.search(r"<tr[^>]*><td>chat</td>.*?</tr>", table).group(0)
    assert "▲" in row and "hoger dan de rest" in row
    assert table.count('class="diff-mark"') == sum(d.beyond_noise for d in found.values())
    assert "De contacten van één klant tellen daarbij samen als één waarneming" in html
    write_workbook(a, tmp_path / "scores.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "scores.xlsx")["Kanalen"]
    last = {r[0].value: r[-1].value for r in sheet.iter_rows(min_row=2)}
    assert "Heropend ▲" in last["chat"]
    doc = {r["channel"]: r for r in a.to_dict()["service_channels"]["rows"]}
    assert doc["chat"]["reopen_rate"] == pytest.approx(by.set_index("channel").at["chat", "reopen_rate"], abs=1e-4)
    assert doc["chat"]["differences"]["reopen_rate"]["beyond_noise"] is True
    assert sum(x["beyond_noise"] for r in doc.values() for x in r["differences"].values()) == \
        sum(d.beyond_noise for d in found.values())


def test_report_tables_travel_with_the_assessment_and_never_to_another_one(tmp_path):
    """What the workbook derived (the channel table, the breakdowns) is pickled with the
    assessment, so the report's kernel reads it instead of computing it again, and gives the same
    table; an assessment in another language, or changed, starts without it (its labels and
    data differ)."""
    import pickle

    a = assess_folder(DEMO_DATA / "retail")
    write_workbook(a, tmp_path / "scores.xlsx")
    assert {"service_by_channel", "segment_tables"} <= set(a.report_cache)
    loaded = pickle.loads(pickle.dumps(a))
    assert {"service_by_channel", "segment_tables"} <= set(loaded.report_cache)
    pd.testing.assert_frame_equal(rd.service_by_channel(loaded), rd.service_by_channel(a))
    fresh = rd.service_by_channel.__wrapped__(loaded)
    pd.testing.assert_frame_equal(rd.service_by_channel(loaded), fresh)
    english = a.in_language("en")
    assert english.report_cache == {} and english.in_language("en") is english
    assert replace(a, data=replace(a.data)).report_cache == {}


def test_html_tables_carry_each_shown_figures_interval_as_its_tooltip(retail):
    """Breakdowns and the channel table: a shown cell's title is its 95% interval from the score
    file; a hidden group's row has none (the printed page shows no tooltips, so it is unchanged)."""
    html = sections.segments(retail)
    doc = retail.to_dict()["segments"]
    shown = [r for st in rd.segment_tables(retail) for r in rd.displayed_rows(st.table) if not r["suppressed"]]
    expected = sum(len(r["intervals"]) for r in shown)  # the survey breakdowns and retention per segment
    assert html.count('title="95%-interval [') == expected > sum(
        len(r["intervals"]) for table in doc.values() for r in table["rows"])
    shop = next(r for r in doc["customer_segment"]["rows"] if r["group"] == "Particulier")
    low, high = shop["intervals"]["dim_service"]
    assert f'title="95%-interval [{round(low)} – {round(high)}]"' in html
    for row in re.findall(r"<tr class='suppressed-row[^']*'>.*?</tr>", html):
        assert "title=" not in row
    service = sections.service(retail)
    channels = retail.to_dict()["service_channels"]["rows"]
    assert service.count('title="95%-interval [') == sum(
        len([k for k in r["intervals"] if not k.endswith("_p90")]) for r in channels)
