"""End to end: the report notebook run with papermill, exported to HTML and PDF, for real clients.

The fast test makes one full report (a client whose name and labels carry markup); the slow one
makes every demo client's report in Dutch and one in English, as a consultant would.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from pypdf import PdfReader

from klantladder.cli import main
from klantladder.i18n import t
from klantladder.paths import ASSESSMENT_NOTEBOOK, DEMO_DATA
from klantladder.sections import SECTION_IDS

SECTION_ORDER = [sid for sid, _ in SECTION_IDS]


def _demo_clients() -> list[str]:
    """Every demo client folder; for a client with wave folders, its latest wave."""
    out = []
    for p in sorted(DEMO_DATA.iterdir()):
        if (p / "client.yaml").is_file():
            out.append(p.name)
        elif p.is_dir():
            waves = sorted(w for w in p.iterdir() if (w / "client.yaml").is_file())
            if waves:
                out.append(f"{p.name}/{waves[-1].name}")
    return out


DEMO_CLIENTS = _demo_clients()
INJECT_NAME = "<script>alert(1)</script> Bakkerij"
INJECT_LABEL = "<img src=x onerror=alert(1)>"


def check_report(out: Path, language: str, name: str) -> str:
    """Assert what every client's report must satisfy; returns the PDF text."""
    html = (out / "report.html").read_text(encoding="utf-8")
    # Every section, in order, by its stable id.
    assert re.findall(r'<section\b[^>]*\bid="(kl-[a-z]+)"', html) == SECTION_ORDER
    assert f'<html lang="{language}">' in html
    # No code, no prompts, no Python noise, no scripts, nothing fetched from elsewhere.
    for code in ('class="input', "input_area", "jp-InputArea", "nb.show", "from klantladder", "client_dir",
                 "In&nbsp;[", "Out["):
        assert code not in html, code
    assert "Traceback" not in html
    assert not re.search(r"\w*Warning\b", html)
    assert "<script" not in html.lower()
    assert not re.search(r'(src|href)="(https?:)?//', html) and "<link" not in html
    assert html.count("<svg") >= 6  # figures inline, as SVG
    # The PDF: A4, many pages, real text.
    reader = PdfReader(out / "report.pdf")
    assert len(reader.pages) >= 8
    box = reader.pages[0].mediabox
    assert abs(float(box.width) - 595.3) < 1 and abs(float(box.height) - 841.9) < 1
    text = "\n".join(p.extract_text() or "" for p in reader.pages)
    assert len(text) > 5000
    for key in ("summary_title", "route_title"):
        assert t(key, language) in text, key
    # The figures' own words are text in the PDF too (drawn from the SVG, not a picture of it).
    assert t("fig_profile_title", language) in text.replace("\n", " ")
    assert name in text.replace("\n", " ")
    return text


def _inject(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest)
    cfg = dest / "client.yaml"
    cfg.write_text(re.sub(r"^name:.*$", f'name: "{INJECT_NAME}"', cfg.read_text("utf-8"), flags=re.M), "utf-8")
    survey = pd.read_csv(dest / "customer_survey.csv", dtype=str)
    survey.loc[survey.index[:60], "segment"] = INJECT_LABEL
    survey.to_csv(dest / "customer_survey.csv", index=False)
    tickets = pd.read_csv(dest / "tickets.csv", dtype=str)
    tickets.loc[tickets.index[:40], "channel"] = INJECT_LABEL
    tickets.to_csv(dest / "tickets.csv", index=False)
    emp = pd.read_csv(dest / "employee_survey.csv", dtype=str)
    emp.loc[emp.index[:6], "department"] = INJECT_LABEL
    emp.to_csv(dest / "employee_survey.csv", index=False)
    return dest


def test_report_of_a_client_with_markup_in_its_texts(tmp_path):
    client = _inject(DEMO_DATA / "retail", tmp_path / "bakkerij")
    out = tmp_path / "out"
    assert main(["report", str(client), "--out", str(out)]) == 0
    text = check_report(out, "nl", INJECT_NAME)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Bakkerij" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "<img" not in html
    assert "<title>Klantgerichtheid: waar staat &lt;script&gt;" in html
    assert "Samenvatting" in text and "oktober 2026" in text
    # The stored notebook stays thin and output-free; the executed one is the audit trail.
    stored = nbformat.read(ASSESSMENT_NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") for c in stored.cells if c.cell_type == "code")
    tags = [c.metadata.get("tags", []) for c in stored.cells]
    assert ["parameters"] in tags and ["setup"] in tags
    executed = nbformat.read(out / "assessment.ipynb", as_version=4)
    assert sum(bool(c.get("outputs")) for c in executed.cells if c.cell_type == "code") == len(SECTION_ORDER)
    assert json.loads((out / "scores.json").read_text(encoding="utf-8"))["language"] == "nl"


@pytest.mark.parametrize("client", DEMO_CLIENTS)
def test_every_demo_client_gets_a_dutch_report(client, tmp_path):
    out = tmp_path / client.replace("/", "-")
    assert main(["report", str(DEMO_DATA / client), "--out", str(out)]) == 0
    name = json.loads((out / "scores.json").read_text(encoding="utf-8"))["name"]
    text = check_report(out, "nl", name)
    for dutch in ("Samenvatting", "Profiel per pijler", "Bijlage"):
        assert dutch in text
    if "/" in client:  # a client with an earlier wave: the trend is shown, not "first wave"
        html = (out / "report.html").read_text(encoding="utf-8")
        assert 'id="fig-trend"' in html and "eerste meting" not in html


ENGLISH_BANNED = ("Samenvatting", "pijler", "trede", " uur", "oktober", "Kerncijfers", "opdrachtgevers",
                  "WAARSCHUWING", " het ", " een ")


def test_english_report_on_request(tmp_path):
    out = tmp_path / "bouw-en"
    assert main(["--lang", "en", "report", str(DEMO_DATA / "bouw"), "--out", str(out)]) == 0
    text = check_report(out, "en", "Bouwbedrijf Stevig")
    for word in ENGLISH_BANNED:
        assert word not in text, word
    assert "Summary" in text and "October 2026" in text and "clients" in text


def test_pdfs_rendered_with_the_kept_font_configuration_equal_fresh_ones(tmp_path):
    """A worker keeps one WeasyPrint font configuration for all its reports: a PDF rendered after
    another one is byte for byte the PDF a fresh configuration renders."""
    import threading

    from klantladder import report

    first = "<html><body><h1>Rapport één</h1><p>Klant <b>vet</b> en <i>schuin</i>: 12,5%</p></body></html>"
    second = ("<html><body><h2>Report two</h2><table><tr><th>Dimensie</th><th>Score</th></tr>"
              "<tr><td>Leiderschap ≥ 60</td><td><b>71,2</b></td></tr></table>"
              '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40"><text x="4" y="20">n = 312</text>'
              "</svg></body></html>")
    kept = report._font_config()
    report.export_pdf(first, tmp_path / "first.pdf")
    report.export_pdf(second, tmp_path / "after.pdf")
    assert report._font_config() is kept
    in_thread: list = []
    worker = threading.Thread(target=lambda: (in_thread.append(report._font_config()),
                                              report.export_pdf(second, tmp_path / "fresh.pdf")))
    worker.start()
    worker.join()
    assert in_thread[0] is not kept  # another thread, its own configuration, rendering the same
    assert (tmp_path / "after.pdf").read_bytes() == (tmp_path / "fresh.pdf").read_bytes()
    assert "Leiderschap" in "".join(p.extract_text() for p in PdfReader(tmp_path / "after.pdf").pages)


def test_pdf_text_is_the_same_whichever_library_subsets_the_fonts(tmp_path, monkeypatch):
    """WeasyPrint subsets fonts with HarfBuzz where libharfbuzz-subset0 is installed, else with
    fontTools: a consultant's PDF must read the same either way (same pages, same text)."""
    import weasyprint.pdf.fonts as fonts

    from klantladder import report

    if getattr(fonts, "harfbuzz_subset", None) is None:
        pytest.skip("HarfBuzz's subsetter is not installed here: only fontTools can run")
    html = ("<html><body><h1>Klantgerichtheid – één overzicht</h1><p>Score <b>71,2</b> (95%-interval 68,0–74,1), "
            "n = 312; <i>NPS</i> −12 ≥ drempel</p><table><tr><th>Dimensie</th><th>Score</th></tr>"
            "<tr><td>Leiderschap</td><td>60</td></tr></table>"
            '<svg xmlns="http://www.w3.org/2000/svg" width="160" height="40"><text x="4" y="20">Trede 3 · 48%</text>'
            "</svg></body></html>")
    report.export_pdf(html, tmp_path / "harfbuzz.pdf")
    monkeypatch.setattr(fonts, "harfbuzz_subset", None)
    report.export_pdf(html, tmp_path / "fonttools.pdf")

    def pages(name: str) -> list[str]:
        return [p.extract_text() for p in PdfReader(tmp_path / name).pages]

    assert pages("harfbuzz.pdf") == pages("fonttools.pdf")
    assert "één overzicht" in pages("harfbuzz.pdf")[0] and "71,2" in pages("harfbuzz.pdf")[0]
