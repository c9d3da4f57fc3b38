"""``klantladder init``: a commented client.yaml, CSV header templates and Excel templates whose
drop-down lists give answers that score correctly."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import yaml
from openpyxl import load_workbook

from klantladder.assess import assess_folder
from klantladder.cli import main
from klantladder.config import load_client_config
from klantladder.errors import InputError
from klantladder.intake import read_client
from klantladder.model import default_model
from klantladder.scaffold import LIKERT_LABELS, init_client
from klantladder.schema import source_columns


@pytest.fixture
def scaffold(tmp_path) -> Path:
    folder = tmp_path / "Bakkerij 't Hoekje: #1"
    assert main(["init", str(folder)]) == 0
    return folder


def test_init_writes_yaml_and_templates(scaffold):
    model = default_model()
    names = {p.relative_to(scaffold).as_posix() for p in scaffold.rglob("*") if p.is_file()}
    assert names == {"client.yaml", *(f"templates/{s}.csv" for s in
                                      ("customer_survey", "employee_survey", "tickets", "customers")),
                     "templates/customer_survey.xlsx", "templates/employee_survey.xlsx"}
    text = (scaffold / "client.yaml").read_text(encoding="utf-8")
    assert text.count("#") > 20  # commented
    for option in ("sheet:", "preset:", "encoding:", "sep:", "decimal:", "date_format:", "timezone:", "columns:"):
        assert option in text, option
    cfg = load_client_config(scaffold)
    assert cfg.name == "Bakkerij 't Hoekje: #1" and cfg.language == "nl" and not cfg.findings
    # every commented example is valid YAML and valid settings once uncommented
    uncommented = "\n".join(re.sub(r"^# ?", "", line) for line in text.splitlines()
                            if not line.startswith("# klantladder"))
    raw = yaml.safe_load(uncommented)
    assert set(raw["sources"]) == {"customer_survey", "employee_survey", "tickets"}
    for source in ("customer_survey", "employee_survey", "tickets", "customers"):
        header = (scaffold / "templates" / f"{source}.csv").read_text(encoding="utf-8").strip().split(",")
        assert set(header) <= set(source_columns(source, model)) and len(header) == len(set(header))
    assert "ticket_id" in (scaffold / "templates" / "tickets.csv").read_text()


def test_uncommented_yaml_loads(tmp_path, scaffold):
    """The documented options are accepted by the config reader (file names aside)."""
    text = (scaffold / "client.yaml").read_text(encoding="utf-8")
    body = "\n".join(re.sub(r"^# ?", "", line) for line in text.splitlines() if not line.startswith("# klantladder"))
    raw = yaml.safe_load(body)
    for spec in raw["sources"].values():
        spec.pop("file", None)
    folder = tmp_path / "vol"
    folder.mkdir()
    (folder / "client.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    cfg = load_client_config(folder)
    assert cfg.sources["tickets"].timezone == "America/New_York"
    assert cfg.sources["employee_survey"].sep == ";" and cfg.sources["employee_survey"].decimal == ","
    assert cfg.reference_date.isoformat() == "2026-10-31" and not cfg.findings


def test_init_never_overwrites(scaffold, capsys):
    before = (scaffold / "client.yaml").read_bytes()
    assert main(["init", str(scaffold)]) == 1
    assert "niets overschreven" in capsys.readouterr().err
    assert (scaffold / "client.yaml").read_bytes() == before
    with pytest.raises(InputError):
        init_client(scaffold)


def test_init_never_overwrites_a_template_of_the_users(tmp_path, capsys):
    folder = tmp_path / "klant"
    (folder / "templates").mkdir(parents=True)
    (folder / "templates" / "tickets.csv").write_text("mine\n", encoding="utf-8")
    assert main(["init", str(folder)]) == 1
    assert "tickets.csv" in capsys.readouterr().err
    assert sorted(p.name for p in folder.rglob("*")) == ["templates", "tickets.csv"]  # nothing written
    assert (folder / "templates" / "tickets.csv").read_text(encoding="utf-8") == "mine\n"


def test_init_on_a_file_is_wrong_usage_and_changes_nothing(tmp_path, capsys):
    export = tmp_path / "tickets.csv"
    export.write_text("ticket_id,created_at\n", encoding="utf-8")
    assert main(["--lang", "en", "init", str(export)]) == 2
    err = capsys.readouterr().err
    assert f"{export} is a file, not a folder; nothing was changed." in err and "File exists" not in err
    assert export.read_text(encoding="utf-8") == "ticket_id,created_at\n"


def test_empty_scaffold_validates_with_an_actionable_message(scaffold, capsys):
    assert main(["validate", str(scaffold)]) == 1
    err = capsys.readouterr().err
    # The folder was made by init: the way on is to fill in its templates, not to run init again.
    assert "[no_sources]" in err and "een sjabloon uit de map templates/" in err
    assert "klantladder init" not in err
    assert main(["--lang", "en", "validate", str(scaffold)]) == 1
    assert "fill in a template from the templates/ folder" in capsys.readouterr().err


def test_a_folder_without_templates_is_pointed_to_init(tmp_path, capsys):
    (tmp_path / "acme").mkdir()
    (tmp_path / "acme" / "client.yaml").write_text("name: Acme\n", encoding="utf-8")
    assert main(["validate", str(tmp_path / "acme")]) == 1
    err = capsys.readouterr().err
    assert "[no_sources]" in err and "maak een sjabloon met 'klantladder init'" in err


def _validations(path: Path) -> tuple:
    wb = load_workbook(path)
    ws = wb["antwoorden"]
    headers = [c.value for c in ws[1]]
    letter = {h: ws.cell(row=1, column=i + 1).column_letter for i, h in enumerate(headers)}
    return wb, ws, headers, letter, list(ws.data_validations.dataValidation)


def _covering(dvs, cell: str):
    return [dv for dv in dvs if cell in dv.sqref]


@pytest.mark.parametrize("survey", ["customer_survey", "employee_survey"])
def test_workbook_drop_downs_read_back(scaffold, survey):
    model = default_model()
    wb, ws, headers, letter, dvs = _validations(scaffold / "templates" / f"{survey}.xlsx")
    items = [i.column for i in model.items("customer" if survey == "customer_survey" else "employee")]
    assert set(items) <= set(headers)
    for item in items:
        (dv,) = _covering(dvs, f"{letter[item]}2")
        assert dv.type == "list" and dv.showErrorMessage and dv.allow_blank
        sheet, cells = re.fullmatch(r"=(\w+)!\$A\$1:\$A\$(\d+)", dv.formula1).groups()
        options = [wb[sheet].cell(row=r, column=1).value for r in range(1, int(cells) + 1)]
        assert options == LIKERT_LABELS["nl"] + ["1", "2", "3", "4", "5"]
        assert _covering(dvs, f"{letter[item]}2000") and not _covering(dvs, f"{letter[item]}2001")
    assert not _covering(dvs, f"{letter['respondent_id']}2")
    if survey == "customer_survey":
        for column, low, high in (("nps", "0", "10"), ("csat", "1", "5"), ("ces", "1", "7")):
            (dv,) = _covering(dvs, f"{letter[column]}5")
            assert (dv.type, dv.operator, dv.formula1, dv.formula2) == ("whole", "between", low, high)
    statements = [r[0] for r in wb["stellingen"].iter_rows(min_row=2, values_only=True)]
    assert statements == items


def test_workbook_filled_with_dutch_labels_scores_correctly(scaffold, tmp_path):
    model = default_model()
    wb, ws, headers, letter, dvs = _validations(scaffold / "templates" / "customer_survey.xlsx")
    items = [i.column for i in model.items("customer")]
    formula = _covering(dvs, f"{letter[items[0]]}2")[0].formula1
    sheet = re.fullmatch(r"=(\w+)!\$A\$1:\$A\$\d+", formula).group(1)
    labels = [wb[sheet].cell(row=r, column=1).value for r in range(1, 6)]  # the word answers of the list
    rng = np.random.default_rng(7)
    n = 12
    answers = rng.integers(1, 6, size=(n, len(items)))
    for r in range(n):
        row = {"respondent_id": f"R{r + 1}", "nps": int(rng.integers(0, 11)), "csat": int(rng.integers(1, 6)),
               "ces": int(rng.integers(1, 8)), "segment": "Particulier" if r % 2 else "Zakelijk",
               "channel": "e-mail", "wave": "2026-najaar", "comment": "Prima geholpen."}
        row.update({item: labels[answers[r, j] - 1] for j, item in enumerate(items)})
        ws.append([row.get(h) for h in headers])
    client = tmp_path / "ingevuld"
    client.mkdir()
    wb.save(client / "customer_survey.xlsx")

    data = read_client(client)
    assert not data.warnings, [f.text("en") for f in data.warnings]
    frame = data.frames["customer_survey"]
    np.testing.assert_array_equal(frame[items].to_numpy(), answers.astype(float))
    a = assess_folder(client, draws=200)
    for dim in model.dimensions:
        cols = [j for j, i in enumerate(model.items("customer")) if i.dimension == dim.key]
        if not cols:
            continue
        expected = ((answers[:, cols].mean(axis=1) - 1) / 4 * 100).mean()
        assert a.dimensions[dim.key].customer.value == pytest.approx(expected)
