"""No personal data and no raw identifier in any output (AVG/GDPR, SPEC 4.3).

A demo client is rewritten so that its identifiers are e-mail addresses and phone numbers, its
free-text comments, a segment name, a bad number cell, a bad date cell and an unmapped column hold
e-mail addresses, Dutch and international phone numbers and IBANs. Then the full ``klantladder
report`` (HTML, PDF, executed notebook, scores.json, scores.xlsx, rejects.csv), ``score`` and
``batch`` (manifest) run, and every output file — the workbook unzipped, the PDF as text — and
everything the commands print is searched for each planted value and for every raw identifier.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from klantladder.cli import main

DEMO = "bouw"
PLANTED = [
    "pietje.puk@example.com", "jan.de.vries@bedrijf.nl", "06-12345678", "+31 6 2345 6789", "020-7654321",
    "+44 20 7946 0958", "+1 (555) 123-4567", "NL91 ABNA 0417 1643 00", "NL91ABNA0417164300",
    "DE89 3704 0044 0532 0130 00", "06-87654321", "contact0001@privemail.example", "0612312312",
]
COMMENTS = [
    "Bel me terug op 06-12345678 of mail pietje.puk@example.com, graag.",
    "Mijn nummer is +31 6 2345 6789 en mijn rekening NL91 ABNA 0417 1643 00.",
    "Stort het terug op NL91ABNA0417164300 alstublieft",
    "Kantoor: 020-7654321, collega in Londen +44 20 7946 0958",
    "US office +1 (555) 123-4567; Duitse rekening DE89 3704 0044 0532 0130 00",
    "Mail jan.de.vries@bedrijf.nl of bel 0612312312",
]
RAW_ID = re.compile(r"klant\d{4}@voorbeeld\.nl|mw\.\d{3}@bouwbedrijf\.example|TCK-\d{6}|06-1\d{7}")


def plant(src: Path, dst: Path) -> dict[str, list[str]]:
    """Copy demo client ``src`` to ``dst`` with personal data planted; returns the raw ids used."""
    dst.mkdir(parents=True)
    shutil.copy(src / "client.yaml", dst / "client.yaml")
    survey = pd.read_csv(src / "customer_survey.csv", dtype=str, keep_default_na=False)
    employees = pd.read_csv(src / "employee_survey.csv", dtype=str, keep_default_na=False)
    tickets = pd.read_csv(src / "tickets.csv", dtype=str, keep_default_na=False)
    customers = pd.read_csv(src / "customers.csv", dtype=str, keep_default_na=False)

    survey["respondent_id"] = [f"klant{i:04d}@voorbeeld.nl" for i in range(len(survey))]
    for k, text in enumerate(COMMENTS * 3):
        survey.loc[k * 7, "comment"] = text
    survey.loc[3, "nps"] = "bel 06-87654321"  # not_a_number: the message quotes the cell, masked
    survey.loc[10:16, "segment"] = "Zakelijk via jan.de.vries@bedrijf.nl"
    survey["E-mailadres"] = [f"contact{i:04d}@privemail.example" for i in range(len(survey))]  # not mapped
    employees["respondent_id"] = [f"mw.{i:03d}@bouwbedrijf.example" for i in range(len(employees))]
    employees["comment"] = [COMMENTS[i % len(COMMENTS)] if i % 4 == 0 else "" for i in range(len(employees))]

    customer_map = {c: f"06-1{i:07d}" for i, c in enumerate(customers["customer_id"])}
    customers["customer_id"] = customers["customer_id"].map(customer_map)
    tickets["customer_id"] = tickets["customer_id"].map(lambda c: customer_map.get(c, c))
    tickets["ticket_id"] = [f"TCK-{i:06d}" for i in range(len(tickets))]
    tickets.loc[5, "created_at"] = "zie mail pietje.puk@example.com"  # bad_date: row set aside
    tickets.loc[6, "created_at"] = tickets.loc[7, "ticket_id"]  # a raw id where a date belongs

    survey.to_csv(dst / "customer_survey.csv", index=False)
    employees.to_csv(dst / "employee_survey.csv", index=False)
    tickets.to_csv(dst / "tickets.csv", index=False)
    customers.to_csv(dst / "customers.csv", index=False)
    ids = {"respondent": survey["respondent_id"].tolist() + employees["respondent_id"].tolist(),
           "ticket": tickets["ticket_id"].tolist(), "customer": list(customer_map.values())}
    for values in ids.values():
        assert all(RAW_ID.fullmatch(v) for v in values)
    return ids


def _texts(folder: Path) -> dict[str, str]:
    """Every output file as text: JSON/HTML/CSV/notebook as is, xlsx unzipped, PDF extracted."""
    out = {}
    for p in sorted(folder.rglob("*")):
        if not p.is_file():
            continue
        name = str(p.relative_to(folder))
        if p.suffix == ".xlsx":
            with zipfile.ZipFile(p) as z:
                out[name] = "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
        elif p.suffix == ".pdf":
            from pypdf import PdfReader

            out[name] = "\n".join(page.extract_text() or "" for page in PdfReader(p).pages)
        else:
            out[name] = p.read_bytes().decode("utf-8", "replace")
    return out


def _compact(text: str) -> str:
    return re.sub(r"[\s\-().]", "", text)


def assert_clean(texts: dict[str, str]) -> None:
    for name, text in texts.items():
        compact = _compact(text)
        for value in PLANTED:
            assert value not in text, f"{value!r} in {name}"
            assert _compact(value) not in compact, f"{value!r} (without spaces/dashes) in {name}"
        found = RAW_ID.findall(text)
        assert not found, f"raw identifiers {found[:3]} in {name}"


@pytest.fixture(scope="module")
def planted(demo_root, tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("privacy")
    client = root / "clients" / "bouwbedrijf"
    ids = plant(demo_root / DEMO, client)
    return client, ids


@pytest.mark.slow
def test_report_and_score_outputs_hold_no_personal_data(planted, tmp_path, capsys, monkeypatch):
    client, ids = planted
    inputs = "\n".join(p.read_text(encoding="utf-8") for p in client.glob("*.csv"))
    for value in PLANTED:  # the planted values really are in the input
        assert value in inputs, value
    out = tmp_path / "rapport"
    assert main(["report", str(client), "--out", str(out)]) == 0, capsys.readouterr().err
    assert main(["score", str(client), "--out", str(tmp_path / "score" / "scores.json")]) == 0
    printed = capsys.readouterr()
    texts = _texts(out)
    assert {"report.html", "report.pdf", "scores.json", "scores.xlsx", "assessment.ipynb", "rejects.csv"} <= set(texts)
    texts.update(_texts(tmp_path / "score"))
    texts["stdout"], texts["stderr"] = printed.out, printed.err
    # the checks really saw the planted data: masked values and the rows set aside are reported
    assert "[telefoon]" in texts["scores.json"] and "[e-mail]" in texts["scores.json"]
    assert "'[id]'" in texts["scores.json"]  # the ticket id in a date column is not quoted
    rejects = pd.read_csv(out / "rejects.csv")
    assert len(rejects) == 2 and set(rejects["rule"]) == {"bad_date"}
    assert len(texts["report.pdf"]) > 1000 and len(texts["assessment.ipynb"]) > 1000
    assert_clean(texts)


def test_validate_and_batch_manifest_hold_no_personal_data(planted, tmp_path, capsys):
    client, ids = planted
    assert main(["validate", str(client)]) == 0
    out = tmp_path / "batch"
    code = main(["batch", str(client.parent), "--out", str(out), "--no-pdf", "--quiet"])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    texts = _texts(out)
    assert any(name.endswith("manifest.json") for name in texts)
    texts["stdout"], texts["stderr"] = printed.out, printed.err
    assert_clean(texts)


def test_intake_frames_hold_no_personal_data(planted):
    """The fast version: what intake hands to scoring is already clean."""
    from klantladder.intake import read_client

    client, ids = planted
    data = read_client(client)
    texts = {name: frame.to_csv() for name, frame in data.frames.items()}
    texts["findings"] = "\n".join(f.text("nl") + f.text("en") for f in data.findings)
    texts["rejects"] = data.rejects.to_csv()
    assert_clean(texts)
    assert "E-mailadres" not in data.frames["customer_survey"]
    assert "'[id]'" in texts["findings"]  # the ticket id found in a date column is not quoted
    assert data.frames["customer_survey"]["comment"].str.contains(r"\[IBAN\]").any()


def _copy(client: Path, dst: Path, language: str) -> Path:
    """``client`` copied to ``dst`` with its report language set and a phone number in a segment name."""
    shutil.copytree(client, dst)
    yaml = (dst / "client.yaml").read_text(encoding="utf-8")
    (dst / "client.yaml").write_text(re.sub(r"(?m)^language: .*$", f"language: {language}", yaml), encoding="utf-8")
    survey = pd.read_csv(dst / "customer_survey.csv", dtype=str, keep_default_na=False)
    survey.loc[10:16, "segment"] = "Zakelijk, bel 06-12345678"
    survey.to_csv(dst / "customer_survey.csv", index=False)
    return dst


@pytest.mark.parametrize("language,shown,other", [("en", "[phone]", "[telefoon]"), ("nl", "[telefoon]", "[phone]")])
def test_free_text_is_masked_with_the_placeholders_of_the_report_language(planted, tmp_path, language, shown, other):
    from klantladder.intake import read_client

    client = _copy(planted[0], tmp_path / "klant", language)
    data = read_client(client)
    survey = data.frames["customer_survey"]
    comments = "\n".join(survey["comment"].dropna())
    assert f"Bel me terug op {shown} of mail [e-mail]" in comments and other not in comments
    assert f"Zakelijk, bel {shown}" in set(survey["segment"].dropna())
    quoted = next(f for f in data.findings if f.column == "nps")  # the bad number cell 'bel 06-87654321'
    assert "'bel [telefoon]'" in quoted.text("nl") and "'bel [phone]'" in quoted.text("en")
    assert_clean({"frames": survey.to_csv(), "findings": "\n".join(f.text("en") for f in data.findings)})


@pytest.mark.slow
def test_a_dutch_client_reported_in_english_shows_english_placeholders(planted, tmp_path, capsys):
    from klantladder.assess import assess_folder

    client = _copy(planted[0], tmp_path / "klant", "nl")
    english = assess_folder(client, draws=200).in_language("en")
    comments = "\n".join(english.data.frames["customer_survey"]["comment"].dropna())
    assert "[phone]" in comments and "[telefoon]" not in comments
    assert "Zakelijk, bel [phone]" in set(english.segments["customer_segment"]["group"])
    out = tmp_path / "report"
    assert main(["--lang", "en", "report", str(client), "--out", str(out), "--no-pdf"]) == 0, capsys.readouterr().err
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Zakelijk, bel [phone]" in html  # the segment table
    assert "(&#x27;bel [phone]&#x27;)" in html  # the data-quality appendix quoting the bad cell
    assert "[telefoon]" not in html and "[nummer]" not in html and "[naam]" not in html
    assert_clean(_texts(out))
