"""The same client in every format gives the same scores.

A demo client (comma-separated UTF-8 CSV, ISO timestamps with offsets) is written again the way
real exports come: a Dutch Excel "CSV (puntkomma)" export (semicolons, decimal commas, Windows-1252
or UTF-8 with BOM, CRLF, d-m-yyyy local times, WAAR/ONWAAR), an Excel workbook with typed cells on
a named sheet, Parquet with typed columns, and an SPSS file with value labels. ``assess_folder``
must give identical ``scores.json`` documents (only the file extension in warnings may differ).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook

from klantladder.assess import assess_folder
from klantladder.intake import read_client
from klantladder.readers import read_table

DEMO = "zorg"  # no local time of this client falls in a daylight-saving change (see dst_local_time)
DRAWS = 300
TIMES = ("created_at", "first_response_at", "resolved_at")
DATES = ("start_date", "end_date")
TZ = "Europe/Amsterdam"


def _frames(folder: Path) -> dict[str, pd.DataFrame]:
    return {p.stem: pd.read_csv(p, dtype=str, keep_default_na=False) for p in sorted(folder.glob("*.csv"))}


def _local(values: pd.Series) -> pd.Series:
    """ISO text with offset -> naive local time in Amsterdam (NaT where empty)."""
    ts = pd.to_datetime(values.replace("", None), format="ISO8601", utc=True)
    return ts.dt.tz_convert(TZ).dt.tz_localize(None)


def _comparable(doc: dict) -> dict:
    """The scores document with the only thing a format may change: the file extension in warnings."""
    doc = json.loads(json.dumps(doc, default=str))
    for w in doc["data_quality"]["warnings"]:
        w["file"] = w["file"].rsplit(".", 1)[0]
    return doc


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir() if p.is_file()}


@pytest.fixture(scope="module")
def original(demo_root) -> Path:
    return demo_root / DEMO


@pytest.fixture(scope="module")
def original_scores(original) -> dict:
    return assess_folder(original, draws=DRAWS).to_dict()


def _twin(tmp_path: Path, original: Path) -> Path:
    folder = tmp_path / DEMO  # same folder name: same client_id, same seed
    folder.mkdir(parents=True)
    shutil.copy(original / "client.yaml", folder / "client.yaml")
    return folder


# ---------------------------------------------------------------------------------------- CSV


def write_dutch_excel_csv(original: Path, folder: Path, encoding: str) -> None:
    """What Dutch Excel writes with 'CSV (puntkomma)': ; separators, decimal commas, local d-m-yyyy h:mm."""
    for name, df in _frames(original).items():
        df = df.copy()
        for c in TIMES:
            if c in df:
                local = _local(df[c])
                df[c] = [f"{t.day}-{t.month}-{t.year} {t.hour}:{t.minute:02d}" if pd.notna(t) else "" for t in local]
        for c in DATES:
            if c in df:
                d = pd.to_datetime(df[c].replace("", None), format="ISO8601")
                df[c] = [f"{t.day}-{t.month}-{t.year}" if pd.notna(t) else "" for t in d]
        if "reopened" in df:
            df["reopened"] = df["reopened"].map({"true": "WAAR", "false": "ONWAAR", "": ""})
        if "ces" in df:  # a column formatted with one decimal: 5,0
            df["ces"] = df["ces"].map(lambda v: f"{v},0" if v else "")
        df.to_csv(folder / f"{name}.csv", sep=";", index=False, encoding=encoding, lineterminator="\r\n")


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8-sig"])
def test_dutch_semicolon_export_scores_like_its_utf8_comma_twin(tmp_path, original, original_scores, encoding):
    folder = _twin(tmp_path, original)
    write_dutch_excel_csv(original, folder, encoding)
    survey = read_table(folder / "customer_survey.csv")
    assert (survey.attrs["sep"], survey.attrs["decimal"]) == (";", ",")
    assert survey.attrs["encoding"] == {"cp1252": "cp1252", "utf-8-sig": "utf-8-sig"}[encoding]
    raw = (folder / "customer_survey.csv").read_bytes()
    assert ("é".encode(encoding.replace("-sig", "")) in raw) and b"\r\n" in raw
    before = _hashes(folder)
    data = read_client(folder)
    assert _hashes(folder) == before
    comments = data.frames["customer_survey"]["comment"].dropna()
    assert comments.str.contains("é").any() and not comments.str.contains("Ã").any()
    assert _comparable(assess_folder(folder, draws=DRAWS).to_dict()) == _comparable(original_scores)


def test_csv_options_in_client_yaml_override_detection(tmp_path, original, original_scores):
    folder = _twin(tmp_path, original)
    write_dutch_excel_csv(original, folder, "cp1252")
    (folder / "client.yaml").write_text(
        (original / "client.yaml").read_text(encoding="utf-8")
        + "sources:\n" + "".join(f"  {s}:\n    encoding: cp1252\n    sep: ';'\n    decimal: ','\n    format: csv\n"
                                 for s in ("customer_survey", "employee_survey", "tickets", "customers")),
        encoding="utf-8")
    assert _comparable(assess_folder(folder, draws=DRAWS).to_dict()) == _comparable(original_scores)


def test_wrong_encoding_in_client_yaml_shows_in_the_data_not_as_a_crash(tmp_path, original):
    folder = _twin(tmp_path, original)
    write_dutch_excel_csv(original, folder, "cp1252")
    text = (folder / "client.yaml").read_text(encoding="utf-8") + \
        "sources:\n  customer_survey:\n    encoding: utf-8\n"
    (folder / "client.yaml").write_text(text, encoding="utf-8")
    from klantladder.errors import InputError

    with pytest.raises(InputError) as info:
        read_client(folder)
    finding = info.value.findings[0]
    assert finding.rule == "unreadable_file" and "utf-8" in finding.message["en"] and "cp1252" in finding.message["en"]


# -------------------------------------------------------------------------------------- Excel


def _cell(column: str, value: str):
    if value == "":
        return None
    if column in TIMES:
        return _local(pd.Series([value])).iloc[0].to_pydatetime()
    if column in DATES:
        return dt.date.fromisoformat(value)
    if column == "reopened":
        return value == "true"
    if column.endswith("_id") or column in ("segment", "channel", "department", "comment", "wave"):
        return value
    return int(value)


def test_xlsx_twin_on_a_named_sheet(tmp_path, original, original_scores):
    folder = _twin(tmp_path, original)
    for name, df in _frames(original).items():
        wb = Workbook()
        ws = wb.active
        if name == "customer_survey":
            ws.title = "Toelichting"
            ws.append(["Export van de klanttevredenheidsmeting"])
            ws = wb.create_sheet("Resultaten")
        ws.append(list(df.columns))
        for row in df.itertuples(index=False):
            ws.append([_cell(c, v) for c, v in zip(df.columns, row)])
        for c in ws[2]:
            if isinstance(c.value, dt.datetime):
                for cell in ws[c.column_letter][1:]:
                    cell.number_format = "d-m-yyyy h:mm"
        wb.save(folder / f"{name}.xlsx")
    with open(folder / "client.yaml", "a", encoding="utf-8") as fh:
        fh.write("sources:\n  customer_survey:\n    sheet: Resultaten\n")
    before = _hashes(folder)
    scores = assess_folder(folder, draws=DRAWS).to_dict()
    assert _hashes(folder) == before
    assert _comparable(scores) == _comparable(original_scores)
    assert scores["data_quality"]["warnings"][0]["file"] == f"{DEMO}/tickets.xlsx"


# ------------------------------------------------------------------------------------ Parquet


def test_parquet_twin_with_typed_columns(tmp_path, original, original_scores):
    folder = _twin(tmp_path, original)
    for name, df in _frames(original).items():
        out = {}
        for c in df.columns:
            s = df[c]
            if c in TIMES:
                out[c] = pd.to_datetime(s.replace("", None), format="ISO8601", utc=True)
            elif c in DATES:
                out[c] = pd.to_datetime(s.replace("", None), format="ISO8601")  # naive: local midnight
            elif c == "reopened":
                out[c] = s.map({"true": True, "false": False}).astype("boolean")
            elif c.endswith("_id") or c in ("segment", "channel", "department", "comment", "wave"):
                out[c] = s.replace("", None)
            else:
                out[c] = pd.to_numeric(s.replace("", None)).astype("Int64")
        pd.DataFrame(out).to_parquet(folder / f"{name}.parquet", index=False)
    assert _comparable(assess_folder(folder, draws=DRAWS).to_dict()) == _comparable(original_scores)


# --------------------------------------------------------------------------------------- SPSS


def test_spss_survey_with_value_labels(tmp_path, original, original_scores):
    pyreadstat = pytest.importorskip("pyreadstat")
    folder = _twin(tmp_path, original)
    frames = _frames(original)
    for name in ("employee_survey", "tickets", "customers"):
        shutil.copy(original / f"{name}.csv", folder / f"{name}.csv")
    df = frames["customer_survey"]
    out = {}
    labels: dict[str, dict] = {}
    segments = sorted(v for v in df["segment"].unique() if v)
    for c in df.columns:
        s = df[c]
        if c == "segment":  # stored as codes with category labels, as SPSS users do
            code = {v: float(i + 1) for i, v in enumerate(segments)}
            out[c] = s.map(lambda v: code.get(v, np.nan))
            labels[c] = {v: k for k, v in code.items()}
        elif c in ("respondent_id", "channel", "comment", "wave"):
            out[c] = s
        else:
            out[c] = pd.to_numeric(s.replace("", None)).astype(float)
            if c not in ("nps", "csat", "ces"):
                labels[c] = {1.0: "Helemaal mee oneens", 3.0: "Neutraal", 5.0: "Helemaal mee eens"}
    pyreadstat.write_sav(pd.DataFrame(out), str(folder / "customer_survey.sav"), variable_value_labels=labels)
    data = read_client(folder)
    assert set(data.frames["customer_survey"]["segment"].dropna()) == set(segments)
    assert _comparable(assess_folder(folder, draws=DRAWS).to_dict()) == _comparable(original_scores)


# ------------------------------------------------------------------------------ decimal commas


def test_decimal_comma_fractions_are_seen_as_fractions(tmp_path):
    folder = tmp_path / "klant"
    folder.mkdir()
    rows = ["respondent_id;nps;service_1"] + [f"R{i};8;4,0" for i in range(1, 6)] + ["R6;7;3,5"]
    (folder / "customer_survey.csv").write_bytes(("\r\n".join(rows) + "\r\n").encode("cp1252"))
    data = read_client(folder)
    s = data.frames["customer_survey"]
    assert s["service_1"].tolist()[:5] == [4.0] * 5 and np.isnan(s["service_1"].iloc[5])
    (f,) = [f for f in data.findings if f.rule == "not_whole"]
    assert f.rows == (7,) and "3.5" in f.message["en"]
