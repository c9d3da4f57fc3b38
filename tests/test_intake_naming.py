"""File and column names are matched regardless of capitals: a client whose export is called
``Customer_Survey.CSV`` or whose survey has a column ``NPS`` scores exactly as with the canonical
lower-case names, and a file that is no source is named in a warning instead of left out silently."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from klantladder.batch import discover
from klantladder.cli import main
from klantladder.config import load_client_config, source_of
from klantladder.intake import column_key, read_client


def _score(client: Path, out: Path) -> dict:
    assert main(["score", str(client), "--out", str(out)]) == 0
    return json.loads(out.read_text(encoding="utf-8"))


def _point_estimates(doc: dict) -> dict:
    """Overall, dimension and KPI values (not the intervals: their resampling seed follows the file bytes)."""
    return {"overall": doc["overall"]["score"], "rung": doc["rung"],
            "dimensions": {k: d["score"] for k, d in doc["dimensions"].items()},
            "kpis": {k: (v.get("value") if isinstance(v, dict) else v) for k, v in doc["kpis"].items()}}


@pytest.fixture
def retail(demo_root, tmp_path) -> tuple[Path, dict]:
    """A copy of the retail demo client and its scores with the canonical names."""
    client = tmp_path / "retail"
    shutil.copytree(demo_root / "retail", client)
    return client, _point_estimates(_score(client, tmp_path / "lower.json"))


@pytest.mark.parametrize("name", ["Customer_Survey.csv", "customer_survey.CSV", "CUSTOMER_SURVEY.CSV"])
def test_a_survey_file_named_in_capitals_scores_as_the_lower_case_one(retail, tmp_path, name, capsys):
    client, expected = retail
    (client / "customer_survey.csv").rename(client / name)
    assert load_client_config(client).sources["customer_survey"].path == client / name
    got = _point_estimates(_score(client, tmp_path / "upper.json"))
    assert got == expected
    assert got["kpis"]["nps"] is not None


def test_a_folder_with_only_capitalised_extensions_is_read(retail, tmp_path, capsys):
    client, expected = retail
    for path in list(client.iterdir()):
        if source_of(path.name):
            path.rename(path.with_suffix(path.suffix.upper()))
    assert main(["validate", str(client)]) == 0
    assert "no_sources" not in capsys.readouterr().err
    assert _point_estimates(_score(client, tmp_path / "upper.json")) == expected


def test_capitalised_answer_headers_give_the_same_scores(retail, tmp_path, capsys):
    client, expected = retail
    path = client / "customer_survey.csv"
    head, rest = path.read_text(encoding="utf-8").split("\n", 1)
    renamed = {"respondent_id": " Respondent_ID ", "nps": "NPS", "csat": "CSAT", "ces": "Ces", "segment": "Segment"}
    new_head = ",".join(renamed.get(c, c) for c in head.split(","))
    assert new_head != head and "NPS" in new_head
    path.write_text(new_head + "\n" + rest, encoding="utf-8")
    got = _point_estimates(_score(client, tmp_path / "upper.json"))
    assert got == expected
    assert "unknown_column" not in capsys.readouterr().out


def test_header_matching_ignores_case_spacing_and_hyphens():
    assert column_key("NPS") == "nps"
    assert column_key(" Ticket ID ") == "ticket_id"
    assert column_key("First-Response-At") == "first_response_at"
    assert column_key("nps.1") == "nps.1"  # the reader's name for a repeated header stays apart


def test_a_capitalised_ticket_header_is_the_required_column(tmp_path):
    client = tmp_path / "klant"
    client.mkdir()
    (client / "tickets.csv").write_text(
        "Ticket ID,CUSTOMER_ID,Created-At,Resolved_At\n"
        + "".join(f"T{i},K{i},2026-01-0{i} 09:00,2026-01-0{i} 15:00\n" for i in range(1, 7)), encoding="utf-8")
    data = read_client(client)
    frame = data.frames["tickets"]
    assert {"ticket_id", "customer_id", "created_at", "resolved_at"} <= set(frame.columns)
    assert len(frame) == 6 and frame["resolved_at"].notna().all()


def test_a_mapping_target_may_be_written_in_capitals(tmp_path):
    client = tmp_path / "klant"
    client.mkdir()
    (client / "client.yaml").write_text("sources:\n  customer_survey:\n    columns: {Aanbeveling: NPS}\n",
                                        encoding="utf-8")
    (client / "customer_survey.csv").write_text(
        "respondent_id,Aanbeveling\n" + "".join(f"R{i},{i + 3}\n" for i in range(1, 7)), encoding="utf-8")
    data = read_client(client)
    assert data.frames["customer_survey"]["nps"].tolist() == [4.0, 5.0, 6.0, 7.0, 8.0, 9.0]


def test_an_unused_data_file_is_named_and_the_sources_still_count(tmp_path, capsys):
    client = tmp_path / "klant"
    client.mkdir()
    (client / "tickets.csv").write_text(
        "ticket_id,created_at\n" + "".join(f"T{i},2026-01-0{i} 09:00\n" for i in range(1, 7)), encoding="utf-8")
    (client / "klanten_export.csv").write_text("customer_id\nK1\n", encoding="utf-8")
    (client / "~$tickets.xlsx").write_bytes(b"lock")  # an Office lock file is no export
    (client / "notities.docx").write_bytes(b"PK")  # not a data file
    data = read_client(client)
    unused = [f for f in data.findings if f.rule == "unused_file"]
    assert [f.file for f in unused] == ["klant/klanten_export.csv"]
    assert "tickets" in unused[0].message["nl"] and "sources.<bron>.file" in unused[0].message["nl"]
    assert "tickets" in data.frames


def test_a_file_chosen_in_client_yaml_is_not_unused(tmp_path):
    client = tmp_path / "klant"
    client.mkdir()
    (client / "client.yaml").write_text("sources:\n  tickets:\n    file: Ticket-export.CSV\n", encoding="utf-8")
    (client / "Ticket-export.CSV").write_text(
        "ticket_id,created_at\n" + "".join(f"T{i},2026-01-0{i} 09:00\n" for i in range(1, 7)), encoding="utf-8")
    data = read_client(client)
    assert not [f for f in data.findings if f.rule == "unused_file"]
    assert len(data.frames["tickets"]) == 6


def test_an_old_excel_workbook_stops_the_client_with_how_to_convert_it(tmp_path, capsys):
    client = tmp_path / "klant"
    client.mkdir()
    (client / "customer_survey.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    assert main(["--lang", "en", "validate", str(client)]) == 1
    err = capsys.readouterr().err
    assert "[file_format] klant/customer_survey.xls" in err and "Excel Workbook (.xlsx)" in err
    assert "Traceback" not in err


def test_batch_finds_a_client_whose_files_are_named_in_capitals(tmp_path):
    root = tmp_path / "root"
    (root / "klant").mkdir(parents=True)
    (root / "klant" / "Tickets.CSV").write_text("ticket_id,created_at\n", encoding="utf-8")
    jobs = discover(root, tmp_path / "out")
    assert [job.key for job in jobs] == ["klant"]


DUTCH_TICKET_HEADERS = {"ticket_id": "Ticketnummer", "customer_id": "Klantnummer", "channel": "Kanaal",
                        "created_at": "Aangemaakt op", "first_response_at": "Eerste reactie",
                        "resolved_at": "Opgelost op", "reopened": "Heropend", "csat": "Tevredenheid"}


def test_a_dutch_ticket_export_gets_the_columns_line_that_makes_it_score_alike(retail, tmp_path, capsys):
    """Headers as a Dutch helpdesk exports them: the error names the line for client.yaml, and with
    that line pasted the client scores exactly as with the canonical names."""
    import pandas as pd

    client, expected = retail
    tickets = pd.read_csv(client / "tickets.csv", dtype=str, keep_default_na=False)
    tickets.rename(columns=DUTCH_TICKET_HEADERS).to_csv(client / "tickets.csv", index=False)
    assert main(["validate", str(client)]) == 1
    err = capsys.readouterr().err
    assert "FOUT [missing_column]" in err and err.count("Herkende kolomnamen") == 1
    line = err.split("de regel ", 1)[1].splitlines()[0].strip()
    assert line == "columns: {" + ", ".join(f'"{h}": {c}' for c, h in DUTCH_TICKET_HEADERS.items()) + "}"
    with open(client / "client.yaml", "a", encoding="utf-8") as fh:
        fh.write(f"sources:\n  tickets:\n    {line}\n")
    assert _point_estimates(_score(client, tmp_path / "dutch.json")) == expected


def test_an_optional_column_under_a_known_name_is_suggested_in_the_warning(tmp_path, capsys):
    client = tmp_path / "klant"
    client.mkdir()
    (client / "client.yaml").write_text("name: Klant\n", encoding="utf-8")
    (client / "tickets.csv").write_text(
        "ticket_id,created_at,Kanaal,Interne notitie\nT1,2026-01-05T10:00:00+01:00,chat,x\n", encoding="utf-8")
    assert main(["--lang", "en", "validate", str(client)]) == 0
    captured = capsys.readouterr()
    err = captured.out + captured.err
    assert "[unknown_column]" in err and 'put the line columns: {"Kanaal": channel} under sources.tickets' in err
    assert "Interne notitie\": " not in err  # only names known to stand for a column are suggested


def test_suggestions_never_cover_a_column_the_file_has_or_an_unknown_name():
    from klantladder.intake import mapping_suggestions
    from klantladder.model import default_model
    from klantladder.schema import source_columns

    specs = source_columns("tickets", default_model())
    got = mapping_suggestions(["Kanaal", "Contactkanaal", "Klantnummer", "Naam", "KLANTNR"], {"customer_id"}, specs)
    assert got == {"Kanaal": "channel"}  # one header per column; customer_id is there already
