"""Every rule of docs/validation-rules.md, triggered by a bad input through ``klantladder validate``.

Each case writes a small client folder, runs ``main(["validate", dir])`` and checks: the exit code
(1 for an error, 0 for a warning), the message (rule, file, column, first rows, count) and that no
input file changed by a single byte. The table in the docs and the rules in the code must match
these cases exactly, so a new rule cannot go undocumented or untested.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd
import pytest
from openpyxl import Workbook

from klantladder.cli import main
from klantladder.config import load_client_config
from klantladder.intake import read_client

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs" / "validation-rules.md"
RULE_SOURCES = ["config.py", "intake.py", "readers.py", "presets.py", "privacy.py"]

# ------------------------------------------------------------------------------------ input makers

SURVEY_HEAD = "respondent_id,nps,csat,service_1,service_2,segment,comment"
SURVEY_ROWS = ["R1,9,4,4,5,Particulier,Prima", "R2,7,3,3,4,Particulier,", "R3,10,5,5,5,Zakelijk,Top",
               "R4,3,2,2,1,Zakelijk,Slecht", "R5,8,4,4,4,Particulier,", "R6,6,3,3,3,Zakelijk,"]
TICKET_HEAD = "ticket_id,customer_id,channel,created_at,first_response_at,resolved_at,reopened"
TICKET_ROWS = [f"T{i},K{i},e-mail,2026-01-0{i} 09:00,2026-01-0{i} 10:00,2026-01-0{i} 15:00,nee" for i in range(1, 7)]


def write(folder: Path, name: str, head: str, rows: list[str], encoding: str = "utf-8") -> None:
    (folder / name).write_bytes(("\n".join([head, *rows]) + "\n").encode(encoding))


def survey(folder: Path, rows: list[str] | None = None, head: str = SURVEY_HEAD,
           name: str = "customer_survey.csv") -> None:
    write(folder, name, head, SURVEY_ROWS if rows is None else rows)


def tickets(folder: Path, rows: list[str] | None = None, head: str = TICKET_HEAD) -> None:
    write(folder, "tickets.csv", head, TICKET_ROWS if rows is None else rows)


def yaml(folder: Path, text: str) -> None:
    (folder / "client.yaml").write_text(textwrap.dedent(text), encoding="utf-8")


def ticket_row(i: int, created: str = "", first: str = "", resolved: str = "", reopened: str = "nee",
               tid: str | None = None) -> str:
    created = created or f"2026-01-{i:02d} 09:00"
    first = first or created
    resolved = resolved or f"2026-01-{i:02d} 15:00"
    return f"{f'T{i}' if tid is None else tid},K{i},e-mail,{created},{first},{resolved},{reopened}"


def with_ticket(i: int, **kw) -> list[str]:
    """The base tickets with row ``i`` (1-based) replaced."""
    rows = list(TICKET_ROWS)
    rows[i - 1] = ticket_row(i, **kw)
    return rows


CUSTOMER_HEAD = "customer_id,segment,start_date,end_date"
CUSTOMER_ROWS = ["K1,A,2020-01-01,", "K2,A,2021-03-01,2025-06-30", "K3,B,2019-05-01,2025-09-30",
                 "K4,B,2022-02-01,", "K5,A,2018-07-01,2025-11-30", "K6,B,2023-04-01,"]


def customers(folder: Path, rows: list[str] | None = None) -> None:
    write(folder, "customers.csv", CUSTOMER_HEAD, CUSTOMER_ROWS if rows is None else rows)


def swapped(row: str) -> str:
    """A customer row with its start and end dates swapped."""
    cid, segment, start, end = row.split(",")
    return f"{cid},{segment},{end},{start}"


def xlsx_bytes(sheet: str, rows: list[list]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def xlsx_with_hidden_rows(rows: list[list], hidden: tuple[int, ...]) -> bytes:
    """A workbook whose sheet rows ``hidden`` (as Excel numbers them) are hidden by a filter."""
    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    for r in hidden:
        ws.row_dimensions[r].hidden = True
    ws.auto_filter.ref = f"A1:G{len(rows)}"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def xlsx_with_formulas() -> bytes:
    """The survey as a workbook written by a program: service_2 as formulas without saved results."""
    wb = Workbook()
    ws = wb.active
    table = survey_table()
    col = table[0].index("service_2")
    for i, row in enumerate(table):
        ws.append(row if i == 0 else row[:col] + [f"=C{i + 1}"] + row[col + 1:])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def survey_table() -> list[list]:
    return [SURVEY_HEAD.split(",")] + [[v or None for v in r.split(",")] for r in SURVEY_ROWS]


# ------------------------------------------------------------------------------------------ cases

@dataclass
class Case:
    rule: str
    level: str
    build: Callable[[Path], None]
    file: str | None = None  # expected in the message, e.g. "tickets.csv"
    column: str | None = None
    rows: str | None = None  # expected "rows ..." text
    count: int | None = None  # expected "(n in total)"
    says: tuple[str, ...] = ()  # further fragments the message must contain
    absent: tuple[str, ...] = ()  # fragments nothing klantladder prints may contain
    key_file: bytes | None = None  # write this as the pseudonym key
    id: str = ""
    exit_code: int | None = None

    def __post_init__(self):
        self.id = self.id or self.rule
        if self.exit_code is None:
            self.exit_code = 1 if self.level == "error" else 0


def _many(n: int, make: Callable[[int], str]) -> list[str]:
    return [make(i) for i in range(1, n + 1)]


CASES = [
    # --- client.yaml and the folder
    Case("client_yaml", "error", lambda d: (yaml(d, "name: [niet gesloten\n"), survey(d)),
         file="client.yaml", says=("not valid YAML", "line")),
    Case("client_yaml", "error", lambda d: (yaml(d, "sources:\n  tickets:\n    decimal: ';'\n"), tickets(d)),
         file="client.yaml", column="sources.tickets.decimal", says=("decimal",), id="client_yaml-decimal"),
    Case("client_yaml", "error", lambda d: (yaml(d, "sources:\n  tickets:\n    timezone: Europe/Amsterdm\n"),
                                            tickets(d)),
         file="client.yaml", column="sources.tickets.timezone", id="client_yaml-timezone"),
    Case("client_yaml", "error", lambda d: (yaml(d, "reference_date: 2026-02-30\n"), survey(d)),
         file="client.yaml", column="reference_date", says=("'2026-02-30' does not exist", "YYYY-MM-DD", "2026-10-31"),
         id="client_yaml-impossible-date"),
    Case("client_yaml", "error", lambda d: (yaml(d, "sla:\n  first_response_hours: 8\nname: X\nsla:\n"
                                                    "  resolution_hours: 72\n"), tickets(d)),
         file="client.yaml", column="sla", says=("key 'sla': is written twice (lines 1 and 4)",
                                                   "Merge them into one 'sla:'"), id="client_yaml-duplicate-key"),
    Case("client_yaml", "error", lambda d: (yaml(d, "sla: [8, 72]\n"), tickets(d)),
         file="client.yaml", column="sla", says=("first_response_hours: 24",), id="client_yaml-sla-list"),
    Case("client_yaml", "error", lambda d: (yaml(d, "sla:\n  first_response_hours: -8\n"), tickets(d)),
         file="client.yaml", column="sla.first_response_hours", says=("above 0", "-8"), id="client_yaml-sla-hours"),
    Case("client_yaml", "error", lambda d: (yaml(d, "sla:\n  first_response: 8\n"), tickets(d)),
         file="client.yaml", column="sla", says=("first_response", "'first_response_hours'?"),
         id="client_yaml-sla-unknown"),
    Case("client_yaml", "error", lambda d: (yaml(d, "kpi_scales: [1, 2]\n"), survey(d)),
         file="client.yaml", column="kpi_scales", id="client_yaml-kpi-scales"),
    Case("client_yaml", "error", lambda d: (yaml(d, "kpi_scales:\n  nps: 5\n"), survey(d)),
         file="client.yaml", column="kpi_scales", says=("kpi_scales.nps", "[value, score]"),
         id="client_yaml-kpi-scale"),
    Case("client_yaml", "error", lambda d: (yaml(d, "customer_survey_invited: 1.500\n"), survey(d)),
         file="client.yaml", column="customer_survey_invited", says=("whole number", "1500"),
         id="client_yaml-invited-thousands"),
    Case("client_yaml", "error", lambda d: (yaml(d, "customer_survey_invited: 0\n"), survey(d)),
         file="client.yaml", column="customer_survey_invited", says=("1 or more",), id="client_yaml-invited-zero"),
    Case("client_yaml", "error", lambda d: (yaml(d, "min_group_size: 5.9\n"), survey(d)),
         file="client.yaml", column="min_group_size", says=("whole number",), id="client_yaml-group-size"),
    Case("client_yaml", "error", lambda d: (yaml(d, "use_derived_weights: misschien\n"), survey(d)),
         file="client.yaml", column="use_derived_weights", says=("true or false",), id="client_yaml-flag"),
    Case("client_yaml", "error", lambda d: (yaml(d, "customer_term: [klant, klanten]\n"), survey(d)),
         file="client.yaml", column="customer_term", says=("customer_term_plural",), id="client_yaml-term"),
    Case("invited_below_responses", "warning", lambda d: (yaml(d, "customer_survey_invited: 4\n"), survey(d)),
         file="client.yaml", column="customer_survey_invited", says=("fewer than the 6 respondents",)),
    Case("unknown_setting", "warning", lambda d: (yaml(d, "refrence_date: 2026-01-31\n"), survey(d)),
         file="client.yaml", column="refrence_date", says=("Did you mean 'reference_date'",)),
    Case("unknown_setting", "warning", lambda d: (yaml(d, "SLA:\n  resolution_hours: 8\n"), tickets(d)),
         file="client.yaml", column="SLA", says=("Did you mean 'sla'",), id="unknown_setting-capitals"),
    Case("unknown_setting", "warning",
         lambda d: (yaml(d, "sources:\n  tickets:\n    colums: {}\n"), tickets(d)),
         file="client.yaml", column="sources.tickets.colums", says=("Did you mean 'columns'",),
         id="unknown_setting-source"),
    Case("file_not_found", "error",
         lambda d: (yaml(d, "sources:\n  tickets:\n    file: export.csv\n"), survey(d)),
         file="client.yaml", column="sources.tickets.file", says=("export.csv", "customer_survey.csv")),
    Case("client_yaml", "error",
         lambda d: ((d.parent / "andere-klant").mkdir(), survey(d.parent / "andere-klant"), tickets(d),
                    yaml(d, "sources:\n  customer_survey:\n    file: ../andere-klant/customer_survey.csv\n")),
         file="client.yaml", column="sources.customer_survey.file",
         says=("'../andere-klant/customer_survey.csv' is outside the client's folder (klant)",
               "'file: customer_survey.csv'"), id="client_yaml-file-outside-folder"),
    Case("ambiguous_source", "error",
         lambda d: (survey(d), (d / "customer_survey.xlsx").write_bytes(xlsx_bytes("s", survey_table()))),
         says=("ERROR [ambiguous_source] klant: two files", "customer_survey.xlsx", "sources.customer_survey.file"),
         absent=("column 'sources",)),
    Case("ambiguous_source", "error",
         lambda d: (write(d, "customers.csv", "customer_id,segment", ["K1,A"]),
                    write(d, "Customers.CSV", "customer_id,segment", ["K1,B"])),
         says=("ERROR [ambiguous_source] klant: two files for customers", "Customers.CSV and customers.csv"),
         id="ambiguous_source-case"),
    Case("unused_file", "warning", lambda d: (survey(d), tickets(d), survey(d, name="klanten_export.csv")),
         file="klanten_export.csv",
         says=("not read", "customer_survey, employee_survey, tickets, customers",
               "sources.<source>.file: klanten_export.csv")),
    Case("unused_file", "warning", lambda d: (tickets(d), survey(d, name="Customer_Surveys.xlsx")),
         file="Customer_Surveys.xlsx", says=("Is this customer_survey?", "customer_survey.xlsx"),
         id="unused_file-near-miss"),
    Case("no_sources", "error", lambda d: None, says=("no input files found", "klantladder init")),
    Case("no_sources", "error", lambda d: (d / "export.json").write_text("{}", encoding="utf-8"),
         says=("no input files found", "The folder holds: export.json",
               "customer_survey, employee_survey, tickets, customers"), id="no_sources-lists-the-files"),
    Case("no_sources", "error", lambda d: survey(d, SURVEY_ROWS[:3]),
         says=("no source is usable",), id="no_sources-after-checks"),
    # --- reading files
    Case("file_format", "error", lambda d: (d / "customer_survey.csv").write_bytes(xlsx_bytes("s", survey_table())),
         file="customer_survey.csv", says=("Excel", "format: xlsx")),
    Case("empty_file", "error", lambda d: (d / "tickets.csv").write_bytes(b""), file="tickets.csv",
         says=("0 bytes",)),
    Case("empty_file", "error", lambda d: tickets(d, []), file="tickets.csv", says=("no data rows",),
         id="empty_file-header-only"),
    Case("unreadable_file", "error",
         lambda d: tickets(d, TICKET_ROWS[:2] + [TICKET_ROWS[2] + ",extra,more"] + TICKET_ROWS[3:]),
         file="tickets.csv", rows="rows 4", says=("Line 4 has 9 fields",)),
    Case("unknown_setting", "warning", lambda d: (yaml(d, "name: X\nsector: bouww\n"), survey(d)),
         file="client.yaml", column="sector", says=("unknown sector 'bouww'", "Did you mean 'bouw'?"),
         exit_code=0, id="unknown_setting-sector"),
    Case("unreadable_file", "error",  # a stray quote runs the next lines into one category cell
         lambda d: survey(d, [SURVEY_ROWS[0], 'R2,7,3,3,4,"Particulier,', SURVEY_ROWS[2],
                              'R4,3,2,2,1,Zakelijk,Slecht",', *SURVEY_ROWS[4:]]),
         file="customer_survey.csv", column="segment", rows="rows 3", says=("several lines", "stray quote"),
         id="unreadable_file-stray-quote"),
    Case("unreadable_file", "error",  # a format set in client.yaml that the file is not: the setting is named
         lambda d: (tickets(d), yaml(d, "sources:\n  tickets:\n    format: xlsx\n")),
         file="tickets.csv", says=("'format: xlsx' is set in client.yaml", "it is a CSV text file", "'format: csv'"),
         id="unreadable_file-format-setting"),
    Case("unreadable_file", "error",
         lambda d: (tickets(d), yaml(d, "sources:\n  tickets:\n    encoding: utf-16\n")),
         file="tickets.csv", says=("encoding 'utf-16' set in client.yaml", "Remove 'encoding'"),
         id="unreadable_file-encoding-setting"),
    Case("missing_sheet", "error",
         lambda d: ((d / "customer_survey.xlsx").write_bytes(xlsx_bytes("Blad1", survey_table())),
                    yaml(d, "sources:\n  customer_survey:\n    sheet: Resultaten\n")),
         file="customer_survey.xlsx", says=("'Resultaten'", "'Blad1'")),
    Case("duplicate_columns", "warning",
         lambda d: survey(d, [r + ",4" for r in SURVEY_ROWS], head=SURVEY_HEAD + ",service_1"),
         file="customer_survey.csv", says=("'service_1'", "service_1.1")),
    Case("unknown_preset", "error",
         lambda d: (yaml(d, "sources:\n  customer_survey:\n    preset: typeform\n"), survey(d)),
         file="client.yaml", says=("typeform", "qualtrics")),
    Case("missing_respondent_id", "warning",
         lambda d: (yaml(d, "sources:\n  customer_survey:\n    preset: msforms\n"),
                    survey(d, [r.split(",", 1)[1] for r in SURVEY_ROWS], head=SURVEY_HEAD.split(",", 1)[1])),
         file="customer_survey.csv", column="ID", says=("msforms",)),
    Case("pseudonym_key", "error", lambda d: survey(d), key_file=b"kort", says=("4 bytes",)),
    # --- mapping
    Case("missing_mapped_column", "error",
         lambda d: (yaml(d, "sources:\n  customer_survey:\n    columns: {Aanbeveling: nps}\n"), survey(d)),
         file="customer_survey.csv", column="Aanbeveling", says=("Aanbeveling",)),
    Case("bad_mapping", "error",
         lambda d: (yaml(d, "sources:\n  customer_survey:\n    columns: {Score: nsp}\n"),
                    survey(d, [r + ",8" for r in SURVEY_ROWS], head=SURVEY_HEAD + ",Score")),
         file="customer_survey.csv", column="sources.customer_survey.columns", says=("Did you mean 'nps'",)),
    Case("missing_column", "error", lambda d: tickets(d, head=TICKET_HEAD.replace("created_at", "aangemaakt")),
         file="tickets.csv", column="created_at", says=("required column missing",)),
    Case("missing_column", "error",  # a separator set in client.yaml that the file does not use
         lambda d: (tickets(d), yaml(d, "sources:\n  tickets:\n    sep: ';'\n")),
         file="tickets.csv", column="ticket_id, created_at",
         says=("read as one column", "probably ',', not ';'", 'sep: ","'), id="missing_column-separator"),
    Case("no_answer_columns", "error",
         lambda d: survey(d, ["R1,A", "R2,B"], head="respondent_id,segment"),
         file="customer_survey.csv", says=("no answer column",)),
    Case("duplicate_column", "error",
         lambda d: (yaml(d, "sources:\n  customer_survey:\n    columns: {Aanbeveling: nps}\n"),
                    survey(d, [r + ",8" for r in SURVEY_ROWS], head=SURVEY_HEAD + ",Aanbeveling")),
         file="customer_survey.csv", column="nps", says=("'nps' and 'Aanbeveling'", "through client.yaml")),
    Case("duplicate_column", "error",
         lambda d: survey(d, [r + ",8" for r in SURVEY_ROWS], head=SURVEY_HEAD + ", NPS "),
         file="customer_survey.csv", column="nps", says=("'nps' and 'NPS'", "both stand for nps"),
         id="duplicate_column-capitals"),
    Case("unknown_column", "warning",
         lambda d: survey(d, [r + ",4" for r in SURVEY_ROWS], head=SURVEY_HEAD + ",servcie_3"),
         file="customer_survey.csv", column="servcie_3", says=("Did you mean 'service_3'",)),
    Case("unknown_column", "warning",
         lambda d: survey(d, [r + ",4" for r in SURVEY_ROWS], head=SURVEY_HEAD + ",SERVCIE_3"),
         file="customer_survey.csv", column="SERVCIE_3", says=("Did you mean 'service_3'",),
         id="unknown_column-capitals"),
    Case("unknown_column", "warning",  # a header cell holding contact details: quoted masked
         lambda d: survey(d, [r + ",4,5" for r in SURVEY_ROWS],
                          head=SURVEY_HEAD + ",Bel Jan op 06-12345678,jan.devries@example.nl"),
         file="customer_survey.csv", says=("'Bel Jan op [phone]', '[e-mail]'",), absent=("12345678", "devries"),
         id="unknown_column-personal-data"),
    Case("unnamed_columns", "warning",  # a column of notes without a header cell
         lambda d: (d / "customer_survey.xlsx").write_bytes(xlsx_bytes("Blad1", [
             r + ["notitie" if i else None] for i, r in enumerate(survey_table())])),
         file="customer_survey.xlsx", says=("column(s) H have no name in the header (row 1 of sheet 'Blad1')",
                                            "not used", "Put the column names in row 1")),
    Case("empty_column", "warning",
         lambda d: survey(d, [r + "," for r in SURVEY_ROWS], head=SURVEY_HEAD + ",ces"),
         file="customer_survey.csv", column="ces", says=("completely empty",)),
    Case("empty_column", "error",
         lambda d: tickets(d, [ticket_row(i, created=" ", first="2026-01-01 10:00") for i in range(1, 7)]),
         file="tickets.csv", column="created_at", says=("required column",), id="empty_column-required"),
    # --- cell values
    Case("not_a_number", "warning",
         lambda d: survey(d, [SURVEY_ROWS[0], SURVEY_ROWS[1].replace("R2,7", "R2,zeven")] + SURVEY_ROWS[2:]),
         file="customer_survey.csv", column="nps", rows="rows 3", says=("'zeven'", "These cells count as missing.")),
    Case("not_a_number", "error",
         lambda d: survey(d, [f"R{i},8,zeker" for i in range(1, 7)], head="respondent_id,nps,loyalty_1"),
         file="customer_survey.csv", column="loyalty_1", rows="rows 2, 3, 4, 5, 6", count=6,
         says=("more than half of the filled cells: the client is not scored like this",),
         absent=("count as missing",), id="not_a_number-most-of-column"),
    Case("out_of_scale", "warning",
         lambda d: survey(d, [SURVEY_ROWS[0].replace("R1,9", "R1,11")] + SURVEY_ROWS[1:]),
         file="customer_survey.csv", column="nps", rows="rows 2", says=("0–10", "11")),
    Case("not_whole", "warning",
         lambda d: survey(d, SURVEY_ROWS[:4] + [SURVEY_ROWS[4].replace("R5,8,4,4", "R5,8,4,3.5")] + SURVEY_ROWS[5:]),
         file="customer_survey.csv", column="service_1", rows="rows 6"),
    Case("not_a_boolean", "warning", lambda d: tickets(d, with_ticket(2, reopened="misschien")),
         file="tickets.csv", column="reopened", rows="rows 3", says=("'misschien'",)),
    Case("bad_date", "warning", lambda d: tickets(d, with_ticket(3, created="gisteren", first="2026-01-03 10:00")),
         file="tickets.csv", column="created_at", rows="rows 4", says=("'gisteren'", "set aside")),
    Case("ambiguous_date", "error",
         lambda d: tickets(d, [ticket_row(i, created=f"0{i}/02/2026 09:00", first=f"0{i}/02/2026 10:00",
                                          resolved=f"0{i}/02/2026 15:00") for i in range(1, 7)]),
         file="tickets.csv", column="created_at", rows="rows 2, 3, 4, 5, 6", count=6,
         says=("date_format", "%d/%m/%Y")),
    Case("ambiguous_date", "error",
         lambda d: tickets(d, with_ticket(1, created="25/01/2026 09:00", first="25/01/2026 10:00",
                                          resolved="01/26/2026 15:00")),
         file="tickets.csv", column="created_at", says=("partly day-month-year", "month-day-year"),
         id="ambiguous_date-conflict"),
    Case("date_order", "warning",
         lambda d: tickets(d, [ticket_row(i, created=f"01/0{i}/2026 09:00", first=f"01/0{i}/2026 10:00",
                                          resolved=f"01/{12 + i}/2026 15:00") for i in range(1, 7)]),
         file="tickets.csv", column="created_at", rows="rows 2, 3, 4, 5, 6", says=("month-day-year",)),
    Case("mixed_date_formats", "warning", lambda d: tickets(d, with_ticket(4, created="04-01-2026 09:00")),
         file="tickets.csv", column="created_at", rows="rows 5", says=("day-month-year: 1",)),
    Case("excel_serial_date", "warning", lambda d: tickets(d, with_ticket(5, created="46027.375")),
         file="tickets.csv", column="created_at", rows="rows 6", says=("Excel dates",)),
    Case("dst_local_time", "warning",
         lambda d: tickets(d, with_ticket(6, created="2026-10-25 02:30", first="2026-10-25 03:30",
                                          resolved="2026-10-25 05:00")),
         file="tickets.csv", column="created_at", rows="rows 7", says=("Europe/Amsterdam",)),
    Case("date_out_of_range", "warning",
         lambda d: write(d, "customers.csv", "customer_id,segment,start_date,end_date",
                         ["K1,A,2020-01-01,9999-12-31", "K2,A,2021-03-01,", "K3,B,2019-05-01,2025-06-30"]),
         file="customers.csv", column="end_date", rows="rows 2", says=("'9999-12-31'", "no end date")),
    # --- rows
    Case("duplicate_id", "warning",
         lambda d: survey(d, SURVEY_ROWS + [SURVEY_ROWS[1]]), file="customer_survey.csv",
         column="respondent_id", rows="rows 8", says=("exported twice",)),
    Case("duplicate_id", "error",  # long ticket numbers as Excel shows them: a few distinct values left
         lambda d: tickets(d, [r.replace(f"T{i},", f"4.71928E+18,", 1) for i, r in enumerate(TICKET_ROWS, 1)]),
         file="tickets.csv", column="ticket_id", rows="rows 3, 4, 5, 6, 7", says=("as text", "4.71928E+18"),
         id="duplicate_id-most"),
    Case("duplicate_id", "error",
         lambda d: survey(d, [f"anoniem{r[r.index(','):]}" for r in SURVEY_ROWS]), file="customer_survey.csv",
         column="respondent_id", says=("leave the column out",), id="duplicate_id-placeholder"),
    Case("date_without_time", "warning",
         lambda d: tickets(d, [ticket_row(i, created=f"2026-01-{i:02d}", first=f"2026-01-{i:02d}",
                                          resolved=f"2026-01-{i + 1:02d}") for i in range(1, 13)]),
         file="tickets.csv", column="created_at", says=("whole days", "with times")),
    Case("other_scale", "error",  # a 1-7 survey: a 6 or 7 in a few rows of every item column
         lambda d: survey(d, SURVEY_ROWS[:4] + ["R5,8,4,7,6,Particulier,", "R6,6,3,6,7,Zakelijk,"]),
         file="customer_survey.csv", column="service_1, service_2", says=("up to 7", "another scale")),
    Case("title_rows", "warning",  # a report exported with its title and period above the table
         lambda d: write(d, "tickets.csv", "Ticketrapport Klantenservice", ["Periode: januari 2026,,", "", TICKET_HEAD,
                                                                           *TICKET_ROWS]),
         file="tickets.csv", says=("header is on row 4", "'Ticketrapport Klantenservice / Periode: januari 2026'")),
    Case("hidden_rows", "warning",  # test responses hidden by a filter still count: said so
         lambda d: (d / "customer_survey.xlsx").write_bytes(xlsx_with_hidden_rows(survey_table(), (3, 6))),
         file="customer_survey.xlsx", rows="rows 3, 6", says=("hidden in Excel", "count like the others")),
    Case("excel_errors", "warning",  # formulas that failed: Excel shows #DIV/0!, the file holds an error cell
         lambda d: (d / "customer_survey.xlsx").write_bytes(xlsx_bytes("Blad1", [
             r if i not in (2, 4) else r[:4] + ["#DIV/0!"] + r[5:] for i, r in enumerate(survey_table())])),
         file="customer_survey.xlsx", rows="rows 3, 5", says=("Excel error", "count as missing")),
    Case("formulas_without_values", "warning",
         lambda d: (d / "customer_survey.xlsx").write_bytes(xlsx_with_formulas()),
         file="customer_survey.xlsx", column="service_2", says=("results were never saved", "LibreOffice")),
    Case("repeated_header", "warning",  # two exports pasted one below the other
         lambda d: tickets(d, TICKET_ROWS[:3] + [TICKET_HEAD.upper()] + TICKET_ROWS[3:]),
         file="tickets.csv", rows="rows 5", says=("pasted",)),
    Case("missing_id", "warning", lambda d: tickets(d, with_ticket(2, tid="")),
         file="tickets.csv", column="ticket_id", rows="rows 3"),
    Case("missing_created_at", "warning",
         lambda d: tickets(d, with_ticket(2, created=" ", first="2026-01-03 10:00")),
         file="tickets.csv", column="created_at", rows="rows 3"),
    Case("time_order", "warning", lambda d: tickets(d, with_ticket(3, resolved="2026-01-03 08:00")),
         file="tickets.csv", column="resolved_at", rows="rows 4", says=("before created_at",)),
    Case("time_order", "error",
         lambda d: tickets(d, [ticket_row(i, resolved=f"2026-01-0{i + 1} 08:00", first=f"2026-01-0{i + 1} 08:00",
                                          created=f"2026-01-0{i + 1} 09:00") for i in range(1, 7)]),
         file="tickets.csv", column="first_response_at", rows="rows 2, 3, 4, 5, 6", count=6,
         says=("swapped",), id="time_order-most-rows"),
    Case("no_end_dates", "warning",  # an export of current customers only: retention would look like 100%
         lambda d: (tickets(d), write(d, "customers.csv", "customer_id,segment,start_date",
                                      [r.rsplit(",", 1)[0] for r in CUSTOMER_ROWS])),
         file="customers.csv", column="end_date", says=("retention and churn are not reported",)),
    Case("no_end_dates", "warning",
         lambda d: (tickets(d), customers(d, [r.rsplit(",", 1)[0] + "," for r in CUSTOMER_ROWS])),
         file="customers.csv", column="end_date", says=("missing or empty",), id="no_end_dates-empty"),
    Case("time_order", "warning",
         lambda d: (tickets(d), customers(d, CUSTOMER_ROWS[:2] + [swapped(CUSTOMER_ROWS[2])] + CUSTOMER_ROWS[3:])),
         file="customers.csv", column="end_date", rows="rows 4",
         says=("before start_date", "do not count in retention and churn"), id="time_order-customers"),
    Case("time_order", "error",
         lambda d: (tickets(d), customers(d, [swapped(r) if r.split(",")[3] else r for r in CUSTOMER_ROWS])),
         file="customers.csv", column="end_date", rows="rows 3, 4, 6", count=None,
         says=("before start_date", "probably swapped", "sources.customers.columns"),
         id="time_order-customers-swapped"),
    Case("implausible_duration", "warning", lambda d: tickets(d, with_ticket(4, resolved="2024-01-05 15:00",
                                                                          created="2016-01-05 09:00",
                                                                          first="2016-01-05 10:00")),
         file="tickets.csv", column="resolved_at", rows="rows 5", says=("five years",)),
    Case("long_duration", "warning", lambda d: tickets(d, with_ticket(5, created="2024-11-05 09:00",
                                                                      first="2024-11-05 10:00")),
         file="tickets.csv", column="resolved_at", rows="rows 6", says=("more than a year",)),
    Case("future_timestamp", "warning",
         lambda d: (yaml(d, "reference_date: 2026-01-04\n"), tickets(d)),
         file="tickets.csv", column="created_at", rows="rows 7", says=("reference date 2026-01-04",)),
    Case("future_date", "warning",
         lambda d: (tickets(d), customers(d, CUSTOMER_ROWS[:3] + ["K4,B,2022-02-01,2062-01-31"] + CUSTOMER_ROWS[4:])),
         file="customers.csv", column="end_date", rows="rows 5",
         says=("reference date 2026-01-06", "'2062-01-31'", "count as customers on the reference date")),
    Case("future_date", "warning",
         lambda d: (tickets(d), customers(d, CUSTOMER_ROWS[:1] + ["K2,A,2062-03-01,"] + CUSTOMER_ROWS[2:])),
         file="customers.csv", column="start_date", rows="rows 3",
         says=("reference date 2026-01-06", "'2062-03-01'", "wrong year"), id="future_date-start"),
    Case("reference_after_data", "warning",
         lambda d: (yaml(d, "reference_date: 2028-10-31\n"), tickets(d), customers(d)),
         file="client.yaml", column="reference_date",
         says=("2028-10-31", "2026-01-06", "retention comes out too high")),
    Case("unresolved_ticket", "warning",
         lambda d: tickets(d, TICKET_ROWS[:1] + [ticket_row(2).rsplit(",", 2)[0] + ",,nee"] + TICKET_ROWS[2:]),
         file="tickets.csv", column="resolved_at", rows="rows 3", says=("not closed",)),
    Case("no_answers", "warning", lambda d: survey(d, SURVEY_ROWS + ["R7,,,,,Particulier,Alleen commentaar"]),
         file="customer_survey.csv", rows="rows 8", says=("without a single answer",)),
    Case("too_few_respondents", "warning", lambda d: (survey(d, SURVEY_ROWS[:4]), tickets(d)),
         file="customer_survey.csv", rows="rows 2, 3, 4, 5", count=None, says=("fewer than 5",)),
    # --- one folder, several waves in a wave column
    Case("too_few_respondents", "warning",
         lambda d: (yaml(d, "wave: 2026-najaar\n"),
                    survey(d, [r + ",2026-najaar" for r in SURVEY_ROWS] + ["R9,8,4,4,4,Particulier,,2025-voorjaar"],
                           head=SURVEY_HEAD + ",wave")),
         file="customer_survey.csv", column="wave", rows="rows 8", says=("wave '2025-voorjaar'", "fewer than 5"),
         id="too_few_respondents-in-a-wave"),
    Case("wave_after_current", "warning",
         lambda d: (yaml(d, "wave: 2025-voorjaar\n"),
                    survey(d, [r + ",2025-voorjaar" for r in SURVEY_ROWS] + [r.replace("R", "S") + ",2026-najaar"
                                                                              for r in SURVEY_ROWS],
                           head=SURVEY_HEAD + ",wave")),
         file="customer_survey.csv", column="wave", rows="rows 8, 9, 10, 11, 12", count=6,
         says=("wave 2026-najaar comes after", "set aside")),
    Case("wave_not_in_data", "warning",
         lambda d: (yaml(d, "wave: 2026-najaar\n"),
                    survey(d, [r + ",2025-voorjaar" for r in SURVEY_ROWS] + [r.replace("R", "S") + ",2026-voorjaar"
                                                                              for r in SURVEY_ROWS],
                           head=SURVEY_HEAD + ",wave")),
         file="client.yaml", column="wave", says=("'2026-najaar' does not occur", "the latest, '2026-voorjaar'")),
]


def file_hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _line(output: str, rule: str, level: str) -> str:
    tag = f"{'ERROR' if level == 'error' else 'WARNING'} [{rule}]"
    lines = [ln for ln in output.splitlines() if tag in ln]
    assert lines, f"no {tag} in:\n{output}"
    return lines[0]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_rule(case: Case, tmp_path, capsys, monkeypatch):
    client = new_client(tmp_path)
    if case.key_file is not None:
        key = tmp_path / "bad.key"
        key.write_bytes(case.key_file)
        monkeypatch.setenv("KLANTLADDER_KEY_FILE", str(key))
    case.build(client)
    if not (client / "client.yaml").exists():
        yaml(client, "name: Testklant\nlanguage: en\n")
    else:
        text = (client / "client.yaml").read_text(encoding="utf-8")
        if "language:" not in text and not text.startswith("name: ["):
            (client / "client.yaml").write_text(text + "language: en\n", encoding="utf-8")
    before = file_hashes(client)
    code = main(["--lang", "en", "validate", str(client)])
    out = capsys.readouterr()
    assert file_hashes(client) == before, "an input file was changed"
    assert code == case.exit_code, out.out + out.err
    assert "Traceback" not in out.err
    line = _line(out.err if case.level == "error" else out.out, case.rule, case.level)
    if case.file:
        assert f"klant/{case.file}" in line or (case.rule == "pseudonym_key"), line
    if case.column:
        label = "key" if case.file and case.file.endswith(".yaml") else "column"
        assert f"{label} '{case.column}'" in line, line
    if case.rows:
        assert case.rows in line, line
    if case.count is not None:
        assert f"({case.count} in total)" in line, line
    for fragment in case.says:
        assert fragment in line, f"{fragment!r} not in {line}"
    for fragment in case.absent:
        assert fragment not in out.out + out.err, f"{fragment!r} printed"
    if case.level == "warning":
        assert "OK:" in out.out


def test_messages_in_dutch(tmp_path, capsys):
    client = new_client(tmp_path)
    yaml(client, "name: Testklant\nlanguage: nl\n")
    tickets(client, with_ticket(3, resolved="2026-01-03 08:00"))
    assert main(["validate", str(client)]) == 0
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if "WAARSCHUWING [time_order]" in ln)
    assert "klant/tickets.csv, kolom 'resolved_at', rijen 4" in line and "apart gezet" in line
    assert "In orde" in out


@pytest.mark.parametrize("explanation,rule,setting", [
    ([["Deze export bevat de antwoorden van het klantonderzoek"]], "empty_file", "'sheet'"),
    ([["Toelichting"], ["Zie het tabblad Antwoorden"]], "no_answer_columns", "sources.customer_survey.sheet"),
])
def test_a_workbook_read_from_a_sheet_of_explanations_points_to_its_other_sheets(explanation, rule, setting,
                                                                                 tmp_path, capsys):
    """Exports often open with a sheet of explanations: the error says which sheet was read, which
    others there are and the setting that picks one; with that setting the data are read."""
    client = new_client(tmp_path)
    wb = Workbook()
    wb.active.title = "Toelichting"
    for row in explanation:
        wb.active.append(row)
    data = wb.create_sheet("Antwoorden")
    for row in survey_table():
        data.append(row)
    wb.save(client / "customer_survey.xlsx")
    assert main(["validate", str(client)]) == 1
    said = capsys.readouterr().err
    assert f"[{rule}]" in said and "'Toelichting'" in said and "'Antwoorden'" in said and setting in said
    yaml(client, "sources:\n  customer_survey:\n    sheet: Antwoorden\n")
    assert main(["validate", str(client)]) == 0


def test_row_numbers_stay_true_after_rows_are_set_aside(tmp_path):
    client = new_client(tmp_path)
    rows = [ticket_row(1, created="kapot"), ticket_row(2, tid=""), ticket_row(3), ticket_row(4),
            ticket_row(5, resolved="2026-01-05 08:00")]
    tickets(client, rows)
    data = read_client(client)
    where = {f.rule: f.rows for f in data.findings}
    assert where["bad_date"] == (2,) and where["missing_id"] == (3,) and where["time_order"] == (6,)
    assert sorted(data.rejects["row"]) == [2, 3, 6]
    assert data.frames["tickets"]["_row"].tolist() == [4, 5]


def test_row_numbers_count_blank_lines_and_empty_rows_as_a_spreadsheet_does(tmp_path):
    """A blank line, a line of separators and empty rows above an Excel header are rows a consultant
    sees when opening the file: the row named in a message is the row that holds the value."""
    csv_client, xlsx_client = tmp_path / "csv", tmp_path / "xlsx"
    csv_client.mkdir(), xlsx_client.mkdir()
    rows = [ticket_row(1), "", ",,,,,,", ticket_row(2, created="kapot"), "", ticket_row(3)]
    tickets(csv_client, rows)  # the broken date is on line 5 of the file
    data = read_client(csv_client)
    assert {f.rule: f.rows for f in data.findings}["bad_date"] == (5,)
    assert data.rows_read["tickets"] == 3  # the empty lines are no rows of data
    table = [[], [], [c for c in TICKET_HEAD.split(",")]] + [r.split(",") for r in
                                                            (ticket_row(1), ticket_row(2, created="kapot"))]
    (xlsx_client / "tickets.xlsx").write_bytes(xlsx_bytes("Tickets", table))  # header on row 3
    found = {f.rule: f.rows for f in read_client(xlsx_client).findings}
    assert found["bad_date"] == (5,)


def test_a_panel_answers_every_wave_and_repeats_only_within_one(tmp_path):
    """With a wave column the same respondent in two waves is a panel, not a duplicate; twice in
    one wave still is (and only that row is set aside)."""
    yaml(tmp_path, "wave: 2026-najaar\n")
    rows = ([r + ",2025-voorjaar" for r in SURVEY_ROWS] + [r + ",2026-najaar" for r in SURVEY_ROWS]
            + [SURVEY_ROWS[2] + ",2026-najaar"])  # R3 again in the current wave: line 14
    survey(tmp_path, rows, head=SURVEY_HEAD + ",wave")
    data = read_client(tmp_path)
    repeats = [f for f in data.findings if f.rule == "duplicate_id"]
    assert [f.rows for f in repeats] == [(14,)]
    frame = data.frames["customer_survey"]
    assert frame["wave"].value_counts().to_dict() == {"2025-voorjaar": 6, "2026-najaar": 6}


def test_a_title_above_the_header_is_skipped_and_rows_keep_their_place(tmp_path):
    """Title, period and a blank line above the header (CSV and Excel alike): the table is read
    from the real header, and a message names the row a spreadsheet shows."""
    csv_client, xlsx_client = tmp_path / "csv", tmp_path / "xlsx"
    csv_client.mkdir(), xlsx_client.mkdir()
    rows = [ticket_row(1), ticket_row(2, created="kapot"), ticket_row(3)]
    # A semicolon title line must not make the semicolon the separator.
    write(csv_client, "tickets.csv", "Ticketrapport;;", ["Periode: januari 2026", "", TICKET_HEAD, *rows])
    data = read_client(csv_client)
    assert {f.rule: f.rows for f in data.findings}["bad_date"] == (6,)  # line 6 of the file
    assert data.rows_read["tickets"] == 3 and data.frames["tickets"]["_row"].tolist() == [5, 7]
    table = [["Ticketrapport"], [None, "Periode: januari 2026"], [], TICKET_HEAD.split(",")] + [r.split(",") for r in rows]
    (xlsx_client / "tickets.xlsx").write_bytes(xlsx_bytes("Tickets", table))  # header on row 4
    data = read_client(xlsx_client)
    found = {f.rule: f for f in data.findings}
    assert found["bad_date"].rows == (6,) and "row 4" in found["title_rows"].message["en"]
    assert data.frames["tickets"]["_row"].tolist() == [5, 7]


@pytest.mark.parametrize("language,says", [
    ("en", ("the header (row 1 of sheet 'Resultaten') looks like a title", "column(s) C, D, E, F, G have no name",
            "The column names are in row 2 ('respondent_id', 'nps', 'csat', 'service_1', ...)",
            "Remove the row(s) above the column names, so that they are in row 1")),
    ("nl", ("de kop (rij 1 van werkblad 'Resultaten') lijkt een titel", "kolom(men) C, D, E, F, G hebben daar geen naam",
            "De kolomnamen staan in rij 2", "Haal de rij(en) boven de kolomnamen weg")),
])
def test_a_title_row_read_as_the_header_names_the_sheet_the_columns_and_the_real_header(tmp_path, capsys, language,
                                                                                        says):
    """A cover line of two cells above the header is not recognised as a title: the message says the
    header row is a title, which columns have no name (by letter) and where the column names are."""
    table = [["Klanttevredenheid", "Q3 2026"]] + survey_table()
    (tmp_path / "customer_survey.xlsx").write_bytes(xlsx_bytes("Resultaten", table))
    assert main(["--lang", language, "validate", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "Unnamed" not in err and "Traceback" not in err
    line = next(ln for ln in err.splitlines() if "[unnamed_columns] " in ln)
    assert line.lstrip().startswith("WARNING" if language == "en" else "WAARSCHUWING")
    for fragment in says:
        assert fragment in line, f"{fragment!r} not in {line}"
    answers = next(ln for ln in err.splitlines() if "[no_answer_columns] " in ln)
    assert ("The column names are in row 2" if language == "en" else "De kolomnamen staan in rij 2") in answers


@pytest.mark.parametrize("head,rows", [
    ("respondent_id,nps", ["R1,9", "R2,7", "R3,10", "R4,3", "R5,8"]),  # a narrow table: its header is its header
    ("respondent_id,nps,,,csat", [f"R{i},8,x,y,4" for i in range(1, 6)]),  # a header with unnamed columns
])
def test_an_ordinary_header_is_never_taken_for_a_title(tmp_path, head, rows):
    survey(tmp_path, rows, head=head)
    data = read_client(tmp_path)
    assert not [f for f in data.findings if f.rule == "title_rows"]
    assert data.rows_read["customer_survey"] == len(rows)


def test_an_unreadable_creation_date_is_the_message_not_other_columns_called_empty(tmp_path, capsys):
    """Dates in a form nobody expects stop the tickets with that reason alone: the customer, channel
    and time columns are full, and are not reported as empty because no row survived."""
    tickets(tmp_path, [ticket_row(i, created=f"0{i} Nov 2025 13:29") for i in range(1, 7)])
    assert main(["--lang", "en", "validate", str(tmp_path)]) == 1
    out = capsys.readouterr()
    assert "[bad_date]" in out.err and "column 'created_at'" in out.err
    assert "[empty_column]" not in out.err + out.out


# ------------------------------------------------------------------- what happens to the rows


def test_rejects_hold_the_reason_but_no_value(tmp_path):
    client = new_client(tmp_path)
    tickets(client, with_ticket(3, created="jan.jansen@example.nl", first="2026-01-03 10:00")
            [:4] + [ticket_row(5, tid="")] + [ticket_row(6, resolved="2026-01-07 08:00")])
    data = read_client(client)
    rejects = data.rejects
    assert set(rejects.columns) == {"source", "row", "rule", "column", "reason_nl", "reason_en"}
    assert sorted(rejects["row"].tolist()) == [4, 6]  # 7 is not before created_at: its own day + 1
    assert dict(zip(rejects["row"], rejects["rule"])) == {4: "bad_date", 6: "missing_id"}
    text = rejects.to_csv()
    assert "jan.jansen" not in text and "example.nl" not in text
    bad_date = next(f for f in data.findings if f.rule == "bad_date")
    assert "[e-mail]" in bad_date.message["en"] and "jan.jansen" not in bad_date.message["en"]
    assert len(data.frames["tickets"]) == 4 and data.rows_read["tickets"] == 6


def test_rejects_csv_gives_the_reason_in_the_report_language(tmp_path):
    from types import SimpleNamespace

    from klantladder.outputs import write_rejects

    client = new_client(tmp_path)
    tickets(client, with_ticket(3, created="gisteren", first="2026-01-03 10:00")
            [:4] + [ticket_row(6, resolved="2026-01-07 08:00")])
    data = read_client(client)
    for lang, says, not_says in (("nl", "datum/tijd niet te lezen", "cannot be read"),
                                 ("en", "date/time cannot be read", "niet te lezen")):
        path = tmp_path / f"rejects-{lang}.csv"
        write_rejects(SimpleNamespace(data=data, language=lang), path)
        written = pd.read_csv(path)
        assert list(written.columns) == ["source", "row", "rule", "column", "reason"]
        assert written["reason"].str.contains(says).all() and not written["reason"].str.contains(not_says).any()
        assert "gisteren" not in path.read_text(encoding="utf-8")


def test_a_row_broken_twice_is_set_aside_once(tmp_path):
    client = new_client(tmp_path)
    rows = with_ticket(2, resolved="2026-01-03 08:00", created="2026-01-03 09:00", first="2026-01-03 07:00")
    tickets(client, rows + [rows[1]])  # row 8 repeats row 3's ticket id and is itself out of order
    data = read_client(client)
    assert sorted(data.rejects["row"].tolist()) == [3, 8]
    assert data.rejects["row"].is_unique


def test_reopened_counts_and_words(tmp_path):
    client = new_client(tmp_path)
    values = ["2", "0", "Ja", "heropend", "WAAR", "-"]
    tickets(client, [ticket_row(i + 1, reopened=v) for i, v in enumerate(values)])
    data = read_client(client)
    assert data.frames["tickets"]["reopened"].tolist() == [True, False, True, True, True, pd.NA]
    assert not [f for f in data.findings if f.rule == "not_a_boolean"]


def test_dates_are_read_in_the_source_time_zone(tmp_path):
    client = new_client(tmp_path)
    tickets(client, with_ticket(1, created="2026-01-01T09:00:00+01:00", first="2026-01-01 10:00",
                                resolved="2026-07-01 10:00"))
    t = read_client(client).frames["tickets"]
    assert str(t["created_at"].iloc[0]) == "2026-01-01 08:00:00+00:00"
    assert str(t["first_response_at"].iloc[0]) == "2026-01-01 09:00:00+00:00"  # CET, no offset given
    assert str(t["resolved_at"].iloc[0]) == "2026-07-01 08:00:00+00:00"  # CEST
    assert str(t["created_at"].iloc[1]) == "2026-01-02 08:00:00+00:00"


def test_dashed_dates_are_day_first_and_slashes_with_evidence_too(tmp_path):
    client = new_client(tmp_path)
    rows = [ticket_row(i, created=f"0{i}-02-2026 09:00", first=f"0{i}-02-2026 10:00",
                       resolved=f"0{i}-02-2026 15:00") for i in range(1, 6)]
    rows.append(ticket_row(6, created="13/02/2026 09:00", first="13/02/2026 10:00", resolved="03/03/2026 15:00"))
    tickets(client, rows)
    data = read_client(client)
    t = data.frames["tickets"]
    assert t["created_at"].dt.month.tolist() == [2] * 6
    assert str(t["resolved_at"].iloc[5].date()) == "2026-03-03"
    assert not [f for f in data.findings if f.rule in ("ambiguous_date", "date_order")]


def test_date_format_is_explicit_and_iso_still_works(tmp_path):
    client = new_client(tmp_path)
    yaml(client, """\
        sources:
          tickets:
            date_format: "%m/%d/%Y %I:%M %p"
            timezone: America/New_York
        """)
    rows = [ticket_row(i, created=f"03/0{i}/2026 11:30 PM", first=f"03/0{i}/2026 11:45 PM",
                       resolved=f"2026-03-0{i + 1} 01:00") for i in range(1, 7)]
    tickets(client, rows)
    data = read_client(client)
    t = data.frames["tickets"]
    assert str(t["created_at"].iloc[0]) == "2026-03-02 04:30:00+00:00"  # EST = UTC-5
    assert t["resolved_at"].notna().all()
    assert [f.rule for f in data.findings if f.rule == "mixed_date_formats"] == []  # one form per column


def test_spss_no_answer_codes_become_missing(tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat")
    client = new_client(tmp_path)
    df = pd.DataFrame({"respondent_id": [f"R{i}" for i in range(6)], "nps": [9.0, 7, 10, 3, 8, 99],
                       "service_1": [4.0, 9, 5, 2, 4, 3]})
    labels = {"service_1": {1: "Helemaal mee oneens", 5: "Helemaal mee eens", 9: "Weet niet"},
              "nps": {99: "Geen antwoord"}}
    pyreadstat.write_sav(df, str(client / "customer_survey.sav"), variable_value_labels=labels)
    data = read_client(client)
    s = data.frames["customer_survey"]
    assert s["service_1"].isna().tolist() == [False, True, False, False, False, False]
    assert s["nps"].isna().sum() == 1
    assert not [f for f in data.findings if f.rule == "out_of_scale"]


# ---------------------------------------------------------------- the table is complete and true


def _table() -> dict[str, str]:
    rules = {}
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        m = re.match(r"\|\s*`(\w+)`\s*\|\s*([^|]+)\|", line)
        if m:
            rules[m.group(1)] = m.group(2).strip()
    return rules


def _rules_in_code() -> set[str]:
    pattern = re.compile(r"""(?:Finding\(\s*(?:rule=)?|col\.add\(\s*|_fail\(\s*|_finding\(\s*)"(\w+)\"""")
    found = set()
    for name in RULE_SOURCES:
        found |= set(pattern.findall((REPO / "klantladder" / name).read_text(encoding="utf-8")))
    text = (REPO / "klantladder" / "intake.py").read_text(encoding="utf-8")
    found |= set(re.findall(r'rule = "(\w+)"', text))
    found |= set(re.findall(r'"(missing_created_at|missing_id)"', text))
    return found


def test_docs_table_lists_exactly_the_rules_tested_here():
    table = _table()
    assert set(table) == {c.rule for c in CASES}


def test_every_rule_in_the_code_is_in_the_table():
    assert _rules_in_code() - set(_table()) == set()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_table_level_matches_behaviour(case: Case):
    level = _table()[case.rule]
    assert case.level in level, f"{case.rule}: table says {level!r}, test shows {case.level}"


@pytest.mark.parametrize("written, expected", [
    ("use_derived_weights: nee", False), ("use_derived_weights: 'false'", False), ("use_derived_weights: ja", True),
    ("use_derived_weights: true", True), ("", False)])
def test_yes_no_settings_read_as_written(tmp_path, written, expected):
    """``use_derived_weights: nee`` is no (a text was once read as true because it is not empty)."""
    survey(tmp_path)
    yaml(tmp_path, written + "\n")
    assert load_client_config(tmp_path).use_derived_weights is expected


def test_settings_written_loosely_are_read_as_meant(tmp_path):
    """A date-time with its offset is that day; an empty name is the folder's; numbers as text count."""
    survey(tmp_path)
    yaml(tmp_path, "name:\nreference_date: 2026-10-31T23:30:00+02:00\ncustomer_survey_invited: '1500'\n")
    cfg = load_client_config(tmp_path)
    assert cfg.reference_date == dt.date(2026, 10, 31) and type(cfg.reference_date) is dt.date
    assert cfg.name == tmp_path.name and cfg.customer_survey_invited == 1500


def test_client_yaml_in_another_encoding_is_named_as_such(tmp_path, capsys):
    survey(tmp_path)
    (tmp_path / "client.yaml").write_bytes("name: Café De Hoek\n".encode("cp1252"))
    assert main(["--lang", "en", "validate", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "[client_yaml]" in err and "UTF-8" in err and "Traceback" not in err


def new_client(tmp_path: Path) -> Path:
    """An empty client folder ``klant`` (messages name its files ``klant/...``)."""
    client = tmp_path / "klant"
    client.mkdir()
    return client


def validate_in_both_languages(folder: Path, capsys) -> dict[str, tuple[int, str]]:
    """``klantladder validate`` of ``folder`` in Dutch and in English: the exit code and stderr of each."""
    said = {}
    for lang in ("nl", "en"):
        code = main(["--lang", lang, "validate", str(folder)])
        said[lang] = (code, capsys.readouterr().err)
        assert "Traceback" not in said[lang][1]
    return said


def test_a_date_that_does_not_exist_names_its_setting(tmp_path, capsys):
    """``reference_date: 2026-02-30`` is named by its key and value with the form expected, not with
    Python's "day is out of range for month"."""
    client = new_client(tmp_path)
    survey(client)
    yaml(client, "name: Testklant\nreference_date: 2026-02-30\n")
    said = validate_in_both_languages(client, capsys)
    assert said["nl"][0] == said["en"][0] == 1
    assert ("klant/client.yaml, sleutel 'reference_date': de datum '2026-02-30' bestaat niet. Schrijf een bestaande "
            "datum als JJJJ-MM-DD") in said["nl"][1]
    assert ("klant/client.yaml, key 'reference_date': the date '2026-02-30' does not exist. Write an existing "
            "date as YYYY-MM-DD") in said["en"][1]
    assert "out of range" not in said["nl"][1] + said["en"][1]


def test_a_key_written_twice_is_named_with_its_lines_at_any_level(tmp_path, capsys):
    """The last of two ``name:`` (or two ``file:`` under one source) once won without a word."""
    client = new_client(tmp_path)
    survey(client)
    yaml(client, """\
        name: Klant A
        sources:
          customer_survey:
            file: customer_survey.csv
            file: oud/customer_survey.csv
        name: Klant B
        """)
    before = file_hashes(client)
    said = validate_in_both_languages(client, capsys)
    assert file_hashes(client) == before
    assert said["nl"][0] == said["en"][0] == 1
    nl, en = said["nl"][1], said["en"][1]
    assert "sleutel 'name': staat 2 keer in het bestand (regels 1 en 6)" in nl
    assert "sleutel 'sources.customer_survey.file': staat 2 keer in het bestand (regels 4 en 5)" in nl
    assert "key 'name': is written twice (lines 1 and 6); only the last would count." in en
    assert "key 'sources.customer_survey.file': is written twice (lines 4 and 5)" in en


def test_a_value_that_does_not_fit_its_type_tag_is_named_by_its_line(tmp_path, capsys):
    """``min_group_size: !!int tien`` (a YAML type tag the value does not fit) is a client_yaml
    error with its line, not a message about a date or an unexpected error."""
    client = new_client(tmp_path)
    survey(client)
    for value in ("!!int tien", "!!bool misschien", "!!timestamp gisteren", "!!float x"):
        yaml(client, f"name: Testklant\nmin_group_size: {value}\n")
        said = validate_in_both_languages(client, capsys)
        assert said["nl"][0] == said["en"][0] == 1
        assert ("[client_yaml] klant/client.yaml: bevat een waarde die niet past bij haar typeaanduiding (zoals "
                "!!int) (regel 2). Laat de aanduiding met !! weg of verbeter de waarde.") in said["nl"][1]
        assert "holds a value that does not fit its type tag (such as !!int) (line 2)." in said["en"][1]
        assert "datum" not in said["nl"][1] and "Onverwachte" not in said["nl"][1]


def test_a_tab_in_client_yaml_is_named_as_such_with_its_line(tmp_path, capsys):
    """A tab for indentation (an editor's default) is the commonest broken client.yaml: said so."""
    client = new_client(tmp_path)
    survey(client)
    (client / "client.yaml").write_text("name: Testklant\nsla:\n\tresolution_hours: 72\n", encoding="utf-8")
    said = validate_in_both_languages(client, capsys)
    assert said["nl"][0] == said["en"][0] == 1
    assert ("klant/client.yaml: geen geldige YAML (regel 3): er staat een tab. YAML springt alleen in met spaties; "
            "vervang de tab door spaties.") in said["nl"][1]
    assert "not valid YAML (line 3): it holds a tab. YAML indents with spaces only" in said["en"][1]


def test_every_wrong_service_target_is_named_not_only_the_first(tmp_path, capsys):
    client = new_client(tmp_path)
    tickets(client)
    yaml(client, "sla:\n  first_response_hours: -8\n  resolution_hours: drie dagen\n")
    said = validate_in_both_languages(client, capsys)
    assert said["nl"][0] == said["en"][0] == 1
    assert "sleutel 'sla.first_response_hours': verwacht een aantal uren groter dan 0, niet '-8'." in said["nl"][1]
    assert "sleutel 'sla.resolution_hours': verwacht een aantal uren groter dan 0, niet 'drie dagen'." in said["nl"][1]
    assert "key 'sla.first_response_hours': expected a number of hours above 0, not '-8'." in said["en"][1]
    assert "key 'sla.resolution_hours': expected a number of hours above 0, not 'drie dagen'." in said["en"][1]


def test_a_known_setting_written_in_other_capitals_gets_a_did_you_mean(tmp_path, capsys):
    client = new_client(tmp_path)
    tickets(client)
    yaml(client, "SLA:\n  first_response_hours: 8\nsources:\n  TICKETS:\n    file: tickets.csv\n")
    for lang, said in (("nl", "onbekende instelling 'SLA' wordt genegeerd. Bedoelt u 'sla'?"),
                       ("en", "unknown setting 'SLA' is ignored. Did you mean 'sla'?")):
        assert main(["--lang", lang, "validate", str(client)]) == 0
        out = capsys.readouterr().out
        assert said in out
        assert ("'TICKETS' wordt genegeerd. Bedoelt u 'tickets'?" if lang == "nl" else
                "'TICKETS' is ignored. Did you mean 'tickets'?") in out


@pytest.mark.parametrize("given", ["../andere-klant/customer_survey.csv", "{other}/customer_survey.csv",
                                   "exports/../../andere-klant/customer_survey.csv",
                                   "..\\andere-klant\\customer_survey.csv", "C:\\klanten\\customer_survey.csv"])
def test_a_source_file_outside_the_client_folder_is_refused(tmp_path, capsys, given):
    """``sources.<source>.file`` may not reach another client's data (``..`` or a full path)."""
    other = tmp_path / "andere-klant"
    other.mkdir()
    survey(other)
    client = new_client(tmp_path)
    tickets(client)
    given = given.format(other=other)
    (client / "client.yaml").write_text(f"sources:\n  customer_survey:\n    file: '{given}'\n", encoding="utf-8")
    before = file_hashes(tmp_path)
    said = validate_in_both_languages(client, capsys)
    assert file_hashes(tmp_path) == before
    assert said["nl"][0] == said["en"][0] == 1
    assert (f"klant/client.yaml, sleutel 'sources.customer_survey.file': '{given}' ligt buiten de map van de klant "
            "(klant). Een invoerbestand moet in de klantmap zelf staan") in said["nl"][1]
    assert (f"klant/client.yaml, key 'sources.customer_survey.file': '{given}' is outside the client's folder "
            "(klant). An input file must be in the client folder itself") in said["en"][1]


def test_a_source_file_in_a_folder_inside_the_client_folder_is_read(tmp_path, capsys):
    client = tmp_path / "klant"
    (client / "exports").mkdir(parents=True)
    survey(client / "exports", name="enquete.csv")
    yaml(client, "sources:\n  customer_survey:\n    file: exports/../exports/enquete.csv\n")
    assert main(["--lang", "en", "validate", str(client)]) == 0
    assert "OK: klant can be scored (6 rows read" in capsys.readouterr().out


def test_more_respondents_than_invited_leaves_the_response_rate_out(tmp_path):
    from klantladder.assess import assess_folder

    survey(tmp_path)
    yaml(tmp_path, "customer_survey_invited: 4\n")
    assert assess_folder(tmp_path, draws=50).kpis["survey_response_rate"] is None  # not capped at 100%
    yaml(tmp_path, "customer_survey_invited: 12\n")
    assert assess_folder(tmp_path, draws=50).kpis["survey_response_rate"].value == pytest.approx(50.0)


@pytest.mark.parametrize("args, code, said", [
    (["score", "{client}", "--out", "{file}/x.json"], 1, "Cannot read or write"),
    (["init", "{file}"], 2, "is a file, not a folder; nothing was changed"),
])
def test_an_output_path_that_cannot_be_written_is_named(tmp_path, capsys, args, code, said):
    (tmp_path / "klant").mkdir()
    survey(tmp_path / "klant")
    blocker = tmp_path / "klant" / "customer_survey.csv"
    argv = [a.format(client=tmp_path / "klant", file=blocker) for a in args]
    assert main(["--lang", "en", *argv]) == code
    err = capsys.readouterr().err
    assert said in err and str(blocker) in err and "Unexpected error" not in err


def test_a_dutch_message_quotes_decimal_answers_with_a_comma(tmp_path):
    d = tmp_path / "klant"
    d.mkdir()
    yaml(d, "")
    survey(d, SURVEY_ROWS[:4] + [SURVEY_ROWS[4].replace("R5,8,4,4", "R5,8,4,3.5")] + SURVEY_ROWS[5:])
    data = read_client(d)
    found = next(f for f in data.findings if f.rule == "not_whole")
    assert "(3,5)" in found.text("nl") and "(3.5)" in found.text("en")
