"""``klantladder init``: a new client folder with a commented client.yaml and input templates."""

from __future__ import annotations

import json
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from .config import SOURCES
from .errors import InputError, UsageError
from .model import Model, default_model
from .schema import source_columns

__all__ = ["init_client", "CLIENT_YAML", "LIKERT_LABELS"]

LIKERT_LABELS = {"nl": ["Helemaal mee oneens", "Mee oneens", "Neutraal", "Mee eens", "Helemaal mee eens"],
                 "en": ["Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree"]}

CLIENT_YAML = """\
# klantladder client settings. Everything here is optional except what you want to change.
name: {name}  # shown on the report
sector: overig               # retail | zorg | ziekenhuis | horeca | advocatuur | bouw | overheid | onderwijs | zakelijk | overig
# customer_term: klant       # the word the report uses for the customer (default: the sector's word);
#                            # per language: {{nl: deelnemer, en: participant}}, plural likewise in customer_term_plural
language: nl                 # nl | en
wave: {wave}  # name of this measurement, e.g. 2026-najaar
# reference_date: 2026-10-31 # date the KPIs are measured at (default: latest date in the data)
# customer_survey_invited: 1500   # invitations sent, for the response rate
# sla: {{first_response_hours: 8, resolution_hours: 72}}   # the client's service targets
# min_group_size: 5          # smallest group shown in any breakdown (5 or more)
# use_derived_weights: false # weigh dimensions by what matters to this client's customers
# kpi_scales:                # override a KPI scale: [[value, score], ...]
#   first_response_hours_median: [[2, 100], [72, 0]]
# sources:                   # only needed when files or columns are named differently
#   customer_survey:
#     file: export.xlsx      # default: customer_survey.csv/.xlsx/.parquet/.sav in this folder
#     sheet: Resultaten      # Excel: sheet name or number (0 = first; default: the first)
#     preset: qualtrics      # qualtrics | surveymonkey | limesurvey | msforms
#     columns: {{"Hoe waarschijnlijk ...": nps, "Q3_1": service_1}}
#   employee_survey:
#     file: medewerkers.csv
#     format: csv            # csv | xlsx | parquet | sav (default: detected from extension and content)
#     encoding: cp1252       # CSV only (default: detected; utf-8 with or without BOM, or cp1252)
#     sep: ";"               # CSV only: , ; | or tab (default: detected)
#     decimal: ","           # CSV only: , or . (default: detected)
#     header_rows: 0         # extra rows under the header to skip
#   tickets:
#     columns: {{"Created Date": created_at, "Closed Date": resolved_at}}
#     date_format: "%m/%d/%Y %I:%M:%S %p"   # needed for 03/05/2026-style dates; ISO 8601 always works
#     timezone: America/New_York            # for times without an offset (default Europe/Amsterdam)
"""


def _headers(source: str, model: Model) -> list[str]:
    return [c for c in source_columns(source, model) if not c.startswith("mirror_")]


_SURVEYS = ("customer_survey", "employee_survey")  # an Excel template each


def init_client(folder: str | Path, model: Model | None = None, wave: str = "") -> list[Path]:
    """Create ``folder`` with ``client.yaml``, CSV header templates and an Excel template per survey.

    Refuses to touch a folder that already has a ``client.yaml`` or any of the template files
    (nothing is overwritten).
    """
    folder = Path(folder)
    model = model or default_model()
    if folder.exists() and not folder.is_dir():
        raise UsageError({"nl": f"{folder} is een bestand, geen map; er is niets veranderd. Geef de naam van een "
                                "nieuwe map voor de klant, bijvoorbeeld 'klantladder init klanten/naam-klant'.",
                          "en": f"{folder} is a file, not a folder; nothing was changed. Give the name of a new "
                                "folder for the client, e.g. 'klantladder init clients/client-name'."})
    if (folder / "client.yaml").exists():
        raise InputError({"nl": f"{folder} heeft al een client.yaml; er is niets overschreven.",
                          "en": f"{folder} already has a client.yaml; nothing was overwritten."})
    templates = [folder / "templates" / f"{source}.csv" for source in SOURCES]
    templates += [folder / "templates" / f"{survey}.xlsx" for survey in _SURVEYS]
    taken = [p for p in templates if p.exists()]
    if taken:
        raise InputError({"nl": f"{taken[0]} bestaat al; er is niets overschreven. Kies een nieuwe map voor de klant.",
                          "en": f"{taken[0]} already exists; nothing was overwritten. Choose a new folder for the "
                                "client."})
    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / "client.yaml"]
    written[0].write_text(CLIENT_YAML.format(name=json.dumps(folder.resolve().name, ensure_ascii=False),
                                             wave=json.dumps(wave, ensure_ascii=False)), encoding="utf-8")
    for source in SOURCES:
        p = folder / "templates" / f"{source}.csv"
        p.parent.mkdir(exist_ok=True)
        p.write_text(",".join(_headers(source, model)) + "\n", encoding="utf-8")
        written.append(p)
    for survey, items in (("customer_survey", model.items("customer")), ("employee_survey", model.items("employee"))):
        written.append(_survey_workbook(folder / "templates" / f"{survey}.xlsx", survey, model))
    return written


def _survey_workbook(path: Path, survey: str, model: Model) -> Path:
    """An Excel template: one column per canonical field, drop-down lists for the Likert items,
    and a sheet with every statement's wording in Dutch and English."""
    wb = Workbook()
    ws = wb.active
    ws.title = "antwoorden"
    headers = _headers(survey, model)
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    lists = wb.create_sheet("keuzelijsten")
    for i, label in enumerate(LIKERT_LABELS["nl"] + [str(n) for n in range(1, 6)], start=1):
        lists.cell(row=i, column=1, value=label)
    likert = DataValidation(type="list", formula1="=keuzelijsten!$A$1:$A$10", allow_blank=True,
                            showErrorMessage=True, errorTitle="Ongeldig antwoord",
                            error="Kies een antwoord uit de lijst (1–5 of Helemaal mee oneens … Helemaal mee eens).")
    nps = DataValidation(type="whole", operator="between", formula1="0", formula2="10", allow_blank=True,
                         showErrorMessage=True, error="NPS is een geheel getal van 0 tot en met 10.")
    csat = DataValidation(type="whole", operator="between", formula1="1", formula2="5", allow_blank=True,
                          showErrorMessage=True, error="CSAT is een geheel getal van 1 (zeer ontevreden) tot en met "
                                                         "5 (zeer tevreden).")
    ces = DataValidation(type="whole", operator="between", formula1="1", formula2="7", allow_blank=True,
                         showErrorMessage=True, error="CES is een geheel getal van 1 (zeer moeilijk) tot en met "
                                                        "7 (zeer makkelijk).")
    for dv in (likert, nps, csat, ces):
        ws.add_data_validation(dv)
    specs = source_columns(survey, model)
    for idx, name in enumerate(headers, start=1):
        letter = ws.cell(row=1, column=idx).column_letter
        rng = f"{letter}2:{letter}2000"
        if name == "nps":
            nps.add(rng)
        elif name == "csat":
            csat.add(rng)
        elif name == "ces":
            ces.add(rng)
        elif specs[name].kind == "likert" and specs[name].high == model.likert_max and name not in ("csat", "ces"):
            likert.add(rng)
        ws.column_dimensions[letter].width = max(12, len(name) + 2)
    text = wb.create_sheet("stellingen")
    text.append(["kolom", "stelling (nl)", "statement (en)"])
    for item in model.items("customer" if survey == "customer_survey" else "employee"):
        text.append([item.column, item.text["nl"], item.text.get("en", "")])
    wb.save(path)
    return path
