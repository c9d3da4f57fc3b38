"""Survey-tool exports end to end through ``read_client``: name the tool, map the questions.

The fixtures in tests/fixtures/presets hold 3-4 fictional responses each; surveys need 5 or more
respondents (``too_few_respondents``), so each test repeats the responses under new respondent ids,
keeping the tool's exact layout (extra header rows, BOM, quoting, workbook cells).
"""

from __future__ import annotations

import csv
import io
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from klantladder.cli import main
from klantladder.intake import read_client

FIXTURES = Path(__file__).parent / "fixtures" / "presets"
COPIES = 3
PII = ["jan.jansen@example.nl", "Jansen", "192.0.2.14", "K-10023", "52.3702", "06-12345678", "Anna de Vries",
       "fleur.smit@example.net", "NL91ABNA0417164300", "p.devries@example.com", "Pieter", "CRM-88213",
       "+44 20 7946 0958", "kees.visser@example.nl", "Visser", "tk8Hq2Lm", "NL02 RABO 0123 4567 89",
       "e.dekker@example.nl", "Emma Dekker", "020-1234567", "l.peters@example.nl", "Lucas Peters"]


def _repeat_csv(src: Path, dst: Path, header_lines: int, id_column: str, encoding: str, quote_all: bool) -> None:
    text = src.read_bytes().decode(encoding)
    records = list(csv.reader(io.StringIO(text, newline="")))
    header, body = records[:header_lines], records[header_lines:]
    col = records[0].index(id_column)
    out = list(header)
    for k in range(COPIES):
        for rec in body:
            rec = list(rec)
            rec[col] = rec[col] if k == 0 else f"{rec[col]}{k}0"
            out.append(rec)
    buf = io.StringIO(newline="")
    csv.writer(buf, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL, lineterminator="\r\n").writerows(out)
    dst.write_bytes(buf.getvalue().encode(encoding))


def _client(tmp_path: Path, yaml_text: str) -> Path:
    client = tmp_path / "klant"
    client.mkdir()
    (client / "client.yaml").write_text(textwrap.dedent(yaml_text), encoding="utf-8")
    return client


def _check_clean(data, n_rows: int) -> pd.DataFrame:
    frame = data.frames["customer_survey"]
    assert len(frame) == n_rows
    assert frame["respondent_id"].str.fullmatch(r"p_[0-9a-f]{16}").all() and frame["respondent_id"].is_unique
    text = frame.to_csv() + "\n".join(f.text("en") for f in data.findings)
    for value in PII:
        assert value not in text, value
    assert not data.errors
    return frame


def test_qualtrics(tmp_path):
    client = _client(tmp_path, """\
        language: en
        sources:
          customer_survey:
            file: export_qualtrics.csv
            preset: qualtrics
            columns: {Q1: nps, Q2_1: service_1, Q2_2: service_2, Q2_3: service_3, Q3: csat, Q4: comment}
        """)
    _repeat_csv(FIXTURES / "qualtrics.csv", client / "export_qualtrics.csv", 3, "ResponseId", "utf-8-sig", True)
    data = read_client(client)
    frame = _check_clean(data, 4 * COPIES)
    first = frame.iloc[:4]
    assert first["nps"].tolist() == [9, 6, 10, 0]
    assert first["csat"].tolist() == [4, 3, 5, 1]
    assert first["service_2"].tolist() == [5, 2, 5, 2]
    assert np.isnan(first["service_3"].iloc[1])  # "Weet niet" is no answer, not an error
    assert first["service_1"].tolist() == [4, 3, 5, 1]
    comment = first["comment"].iloc[1]
    assert "[phone]" in comment and "[name]" in comment  # an English client: English placeholders
    assert "[e-mail]" in first["comment"].iloc[3] and "[IBAN]" in first["comment"].iloc[3]
    assert frame["_row"].iloc[0] == 4  # header + question text + ImportId rows come first
    (unused,) = [f for f in data.findings if f.rule == "unknown_column"]
    assert "StartDate" in unused.message["en"]


def test_surveymonkey(tmp_path):
    q = "How much do you agree with the following statements? - "
    client = _client(tmp_path, f"""\
        sources:
          customer_survey:
            file: Acme survey.csv
            preset: surveymonkey
            columns:
              "How likely is it that you would recommend Acme Energy to a friend or colleague?": nps
              "{q}The agent was friendly": service_1
              "{q}My question was answered quickly": service_2
              "{q}My problem was solved": service_3
              "How did you contact us?": channel
              "Anything else you would like to tell us?": comment
        """)
    _repeat_csv(FIXTURES / "surveymonkey.csv", client / "Acme survey.csv", 2, "Respondent ID", "utf-8", False)
    data = read_client(client)
    frame = _check_clean(data, 3 * COPIES)
    first = frame.iloc[:3]
    assert first["nps"].tolist() == [9, 3, 7]
    assert first["service_1"].tolist() == [5, 2, 4]
    assert first["service_2"].tolist() == [4, 1, 4]
    assert first["service_3"].iloc[:2].tolist() == [4, 3] and np.isnan(first["service_3"].iloc[2])
    assert first["channel"].tolist()[0] == "Phone"
    assert "[telefoon]" in first["comment"].iloc[1]


def test_limesurvey(tmp_path):
    client = _client(tmp_path, """\
        sources:
          customer_survey:
            file: results-survey123.csv
            preset: limesurvey
            columns: {NPS: nps, SAT_SQ001: service_1, SAT_SQ002: service_2, SAT_SQ003: service_3,
                      KANAAL: channel, OPMERKING: comment}
        """)
    _repeat_csv(FIXTURES / "limesurvey.csv", client / "results-survey123.csv", 1, "id", "utf-8", True)
    data = read_client(client)
    frame = _check_clean(data, 2 * COPIES)  # the incomplete response has no answer: set aside
    (empty,) = [f for f in data.findings if f.rule == "no_answers"]
    assert empty.count == COPIES and empty.rows[0] == 4
    assert frame["nps"].iloc[:2].tolist() == [8, 5] and frame["service_2"].iloc[:2].tolist() == [5, 3]
    assert "[IBAN]" in frame["comment"].iloc[1]


def test_msforms(tmp_path):
    client = _client(tmp_path, """\
        sources:
          customer_survey:
            file: Klanttevredenheid(1-3).xlsx
            preset: msforms
            columns:
              "How likely are you to recommend us to a friend or colleague?": nps
              "The service desk solved my problem": service_1
              "How satisfied are you with our service?": csat
              "Comments": comment
        """)
    wb = load_workbook(FIXTURES / "msforms.xlsx")
    ws = wb.active
    rows = [list(r) for r in ws.iter_rows(min_row=2, values_only=True)]
    for k in range(1, COPIES):
        for r in rows:
            ws.append([f"{r[0]}{k}0"] + r[1:])
    wb.save(client / "Klanttevredenheid(1-3).xlsx")
    data = read_client(client)
    frame = _check_clean(data, 3 * COPIES)
    assert frame["nps"].iloc[:3].tolist() == [9, 4, 10]
    assert frame["service_1"].iloc[:3].tolist() == [4, 1, 5]
    assert frame["csat"].iloc[:3].tolist() == [5, 2, 5]
    assert "[telefoon]" in frame["comment"].iloc[1]


def test_preset_through_the_command_line(tmp_path, capsys):
    client = _client(tmp_path, """\
        language: en
        sources:
          customer_survey:
            preset: qualtrics
            columns: {Q1: nps, Q2_1: service_1, Q2_2: service_2, Q3: csat}
        """)
    _repeat_csv(FIXTURES / "qualtrics.csv", client / "customer_survey.csv", 3, "ResponseId", "utf-8-sig", True)
    before = (client / "customer_survey.csv").read_bytes()
    assert main(["validate", str(client)]) == 0
    out = capsys.readouterr().out
    assert "OK:" in out and "jan.jansen" not in out
    assert (client / "customer_survey.csv").read_bytes() == before
