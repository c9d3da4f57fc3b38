"""Tests for klantladder.readers: format detection, CSV dialects, Excel, Parquet, SPSS, numbers."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from klantladder.errors import InputError
from klantladder.readers import EXTENSIONS, READERS, ReadOptions, detect_format, read_table, register_reader, to_number

REAL = Path(__file__).resolve().parents[2] / "shared" / "real-data"
if not REAL.exists():
    REAL = Path("/work/shared/real-data")


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def finding_of(exc: pytest.ExceptionInfo[InputError], rule: str):
    """The one finding with ``rule``; checks every message is bilingual and never Python-speak."""
    rules = [f.rule for f in exc.value.findings]
    assert rule in rules, rules
    f = next(f for f in exc.value.findings if f.rule == rule)
    assert f.message["nl"].strip() and f.message["en"].strip()
    assert f.message["nl"] != f.message["en"]
    for text in (f.message["nl"], f.message["en"], exc.value.text("nl"), exc.value.text("en")):
        for bad in ("Traceback", "C error", "Error tokenizing", "Exception", "errno"):
            assert bad not in text
    return f


def make_xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


# --------------------------------------------------------------------------------------------- CSV

def test_csv_comma_utf8_reads_text_exactly(tmp_path):
    p = write(tmp_path / "s.csv", "id,nps,comment\n001,9,Prima\n002,,  spaties  \n".encode())
    df = read_table(p)
    assert list(df.columns) == ["id", "nps", "comment"]
    assert df["id"].tolist() == ["001", "002"]  # leading zeros kept: everything is text
    assert pd.isna(df.loc[1, "nps"])
    assert df.loc[1, "comment"] == "  spaties  "  # cell content untouched
    assert all(isinstance(dtype, pd.StringDtype) for dtype in df.dtypes)
    assert df.attrs["encoding"] == "utf-8" and df.attrs["sep"] == "," and df.attrs["decimal"] == "."
    assert df.attrs["format"] == "csv" and df.attrs["file"] == "s.csv"


def test_csv_semicolon_decimal_comma_cp1252(tmp_path):
    text = "klant;cijfer;opmerking\nA;3,5;Café prima\nB;4,25;Geen reden tot klagen – €\n"
    p = write(tmp_path / "s.csv", text.encode("cp1252"))
    df = read_table(p)
    assert df.attrs["sep"] == ";" and df.attrs["decimal"] == "," and df.attrs["encoding"] == "cp1252"
    assert df["opmerking"].tolist() == ["Café prima", "Geen reden tot klagen – €"]
    values, bad = to_number(df["cijfer"], df.attrs["decimal"])
    assert values.tolist() == [3.5, 4.25] and not bad.any()


def test_csv_semicolon_with_point_decimals(tmp_path):
    p = write(tmp_path / "s.csv", b"a;b\n1.5;2.25\n3.75;4.5\n")
    assert read_table(p).attrs["decimal"] == "."


def test_csv_bom_crlf_and_header_whitespace(tmp_path):
    p = write(tmp_path / "s.csv", b"\xef\xbb\xbf id , nps \r\n1,9\r\n2,10\r\n")
    df = read_table(p)
    assert df.attrs["encoding"] == "utf-8-sig"
    assert list(df.columns) == ["id", "nps"]
    assert df["nps"].tolist() == ["9", "10"]  # no stray \r


def test_csv_old_mac_line_ends(tmp_path):
    p = write(tmp_path / "s.csv", b"a;b\r1;2\r3;4\r")
    assert read_table(p)["b"].tolist() == ["2", "4"]


@pytest.mark.parametrize("sep,name", [("\t", "s.tsv"), ("|", "s.txt"), (";", "s.csv"), (",", "s.txt")])
def test_csv_separator_sniffed(tmp_path, sep, name):
    rows = [["id", "tekst", "score"], ["1", "a, b; c", "3"], ["2", "d", "4"]]
    buf = io.StringIO()
    import csv

    csv.writer(buf, delimiter=sep, lineterminator="\n").writerows(rows)
    df = read_table(write(tmp_path / name, buf.getvalue().encode()))
    assert df.attrs["sep"] == sep
    assert df["tekst"].tolist() == ["a, b; c", "d"]


def test_csv_quoted_newline_and_separator(tmp_path):
    p = write(tmp_path / "s.csv", b'id;comment\n1;"regel een\nregel twee; nog"\n2;kort\n')
    df = read_table(p)
    assert df["comment"].tolist() == ["regel een\nregel twee; nog", "kort"]


def test_csv_cp1252_late_in_large_file(tmp_path):
    body = b"id,naam\n" + b"".join(b"%d,Jansen\n" % i for i in range(120_000))
    assert len(body) > (1 << 20)
    p = write(tmp_path / "s.csv", body + "999999,Müller\n".encode("cp1252"))
    df = read_table(p)
    assert df.attrs["encoding"] == "cp1252"
    assert df["naam"].iloc[-1] == "Müller"


def test_csv_utf16_excel_unicode_text(tmp_path):
    p = write(tmp_path / "s.txt", "id\tnaam\n1\tZoë\n".encode("utf-16"))
    df = read_table(p)
    assert df.attrs["encoding"] == "utf-16" and df["naam"].tolist() == ["Zoë"]


def test_csv_trailing_separators_leave_no_empty_columns(tmp_path):
    p = write(tmp_path / "s.csv", b"a;b;\n1;2;\n3;4;\n")
    assert list(read_table(p).columns) == ["a", "b"]


def test_csv_duplicate_columns_warn(tmp_path):
    df = read_table(write(tmp_path / "s.csv", b"nps,nps,x\n1,2,3\n"))
    assert list(df.columns) == ["nps", "nps.1", "x"]
    (f,) = df.attrs["findings"]
    assert f.rule == "duplicate_columns" and f.level == "warning" and "nps" in f.message["en"]


def test_header_rows_dropped_and_kept_in_attrs(tmp_path):
    p = write(tmp_path / "s.csv", b'Q1,Q2\n"Vraag 1","Vraag 2"\n"{""ImportId"":""QID1""}",x\n9,7\n')
    df = read_table(p, header_rows=2)
    assert df.to_dict("list") == {"Q1": ["9"], "Q2": ["7"]}
    assert df.attrs["extra_header"] == [["Vraag 1", "Vraag 2"], ['{"ImportId":"QID1"}', "x"]]


def test_overrides_beat_detection(tmp_path):
    p = write(tmp_path / "s.csv", "a;b\n1,5;2\n".encode("utf-8"))
    df = read_table(p, sep=",", decimal=".", encoding="latin-1")
    assert df.attrs["sep"] == "," and df.attrs["decimal"] == "." and df.attrs["encoding"] == "latin-1"
    assert list(df.columns) == ["a;b"]


# ------------------------------------------------------------------------------------ bad files

def test_missing_file(tmp_path):
    with pytest.raises(InputError) as exc:
        read_table(tmp_path / "nope.csv")
    finding_of(exc, "file_not_found")


@pytest.mark.parametrize("content,header_rows", [(b"", 0), (b"id,nps\n", 0), (b"id,nps\r\n", 0), (b"  \n\n", 0),
                                                  (b"\xef\xbb\xbf", 0), (b"Q1\nVraag\n{}\n", 2)])
def test_empty_files(tmp_path, content, header_rows):
    with pytest.raises(InputError) as exc:
        read_table(write(tmp_path / "s.csv", content), header_rows=header_rows)
    finding_of(exc, "empty_file")


def test_ragged_line_is_explained(tmp_path):
    with pytest.raises(InputError) as exc:
        read_table(write(tmp_path / "s.csv", b"a,b\n1,2\n3,4\n5,6,7\n"))
    f = finding_of(exc, "unreadable_file")
    assert "4" in f.message["en"] and "3" in f.message["en"] and "Line" in f.message["en"]
    assert "Regel 4" in f.message["nl"] and f.rows == (4,)


def test_unclosed_quote_is_explained(tmp_path):
    with pytest.raises(InputError) as exc:
        read_table(write(tmp_path / "s.csv", b'a,b\n1,"open\n3,4\n'))
    assert "quote" in finding_of(exc, "unreadable_file").message["en"]


def test_wrong_explicit_encoding_is_explained(tmp_path):
    p = write(tmp_path / "s.csv", "a\nCafé\n".encode("cp1252"))
    with pytest.raises(InputError) as exc:
        read_table(p, encoding="utf-8")
    assert "encoding" in finding_of(exc, "unreadable_file").message["en"]


def test_unknown_encoding_name_is_explained(tmp_path):
    with pytest.raises(InputError) as exc:
        read_table(write(tmp_path / "s.csv", b"a\n1\n"), encoding="klingon")
    assert "klingon" in finding_of(exc, "unreadable_file").message["en"]


def test_binary_garbage_named_csv(tmp_path):
    p = write(tmp_path / "s.csv", bytes(range(256)) * 20)
    with pytest.raises(InputError) as exc:
        read_table(p)
    finding_of(exc, "unreadable_file")


@pytest.fixture()
def xlsx_bytes(tmp_path) -> bytes:
    return make_xlsx(tmp_path / "src.xlsx", {"Data": [["id", "nps"], [1, 9]]}).read_bytes()


@pytest.fixture()
def parquet_bytes(tmp_path) -> bytes:
    pd.DataFrame({"id": [1], "nps": [9]}).to_parquet(tmp_path / "src.parquet")
    return (tmp_path / "src.parquet").read_bytes()


def test_xlsx_saved_as_csv_is_named(tmp_path, xlsx_bytes):
    with pytest.raises(InputError) as exc:
        read_table(write(tmp_path / "klanten.csv", xlsx_bytes))
    f = finding_of(exc, "file_format")
    assert "Excel" in f.message["en"] and "klanten.xlsx" in f.message["en"] and "klanten.xlsx" in f.message["nl"]
    assert "format: xlsx" in f.message["en"]


def test_explicit_format_overrides_extension(tmp_path, xlsx_bytes):
    df = read_table(write(tmp_path / "klanten.csv", xlsx_bytes), fmt="xlsx")
    assert df.to_dict("list") == {"id": ["1"], "nps": ["9"]}


def test_parquet_named_xlsx_and_csv_named_xlsx(tmp_path, parquet_bytes):
    with pytest.raises(InputError) as exc:
        read_table(write(tmp_path / "t.xlsx", parquet_bytes))
    assert "Parquet" in finding_of(exc, "file_format").message["en"]
    with pytest.raises(InputError) as exc:
        read_table(write(tmp_path / "u.xlsx", b"id;nps\n1;9\n"))
    f = finding_of(exc, "file_format")
    assert "CSV" in f.message["en"] and "u.csv" in f.message["en"]


def test_unknown_extension_follows_content(tmp_path, parquet_bytes):
    assert read_table(write(tmp_path / "t.dat", parquet_bytes))["nps"].tolist() == [9]
    assert read_table(write(tmp_path / "t.export", b"a;b\n1;2\n"))["b"].tolist() == ["2"]
    assert detect_format(tmp_path / "t.dat") == "parquet"


@pytest.mark.parametrize("head,word", [
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "PDF"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, ".xls"),
    (b"<html><body><table><tr><td>1</td></tr></table></body></html>", "web page"),
    (b"\x1f\x8b\x08\x00" + b"\0" * 100, "gzip"),
])
def test_foreign_formats_are_named(tmp_path, head, word):
    with pytest.raises(InputError) as exc:
        read_table(write(tmp_path / "data.xlsx", head))
    assert word in finding_of(exc, "file_format").message["en"]


def test_word_document_named_xlsx(tmp_path):
    p = tmp_path / "data.xlsx"
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("word/document.xml", "<w/>")
    with pytest.raises(InputError) as exc:
        read_table(p)
    assert "Word" in finding_of(exc, "file_format").message["en"]


def test_damaged_xlsx_and_parquet(tmp_path, xlsx_bytes, parquet_bytes):
    for name, data in [("a.xlsx", xlsx_bytes[:200]), ("b.parquet", parquet_bytes[:40] + b"\0" * 10)]:
        with pytest.raises(InputError) as exc:
            read_table(write(tmp_path / name, data))
        assert "damaged" in finding_of(exc, "unreadable_file").message["en"]


def test_unknown_fmt_argument(tmp_path):
    with pytest.raises(InputError) as exc:
        read_table(write(tmp_path / "s.csv", b"a\n1\n"), fmt="json")
    assert "csv" in finding_of(exc, "file_format").message["en"]


# -------------------------------------------------------------------------------------------- xlsx

def test_xlsx_types_become_text_and_dates_iso(tmp_path):
    p = make_xlsx(tmp_path / "t.xlsx", {"Eerste": [["x"], [1]], "Tickets": [
        ["id", "created_at", "day", "score", "reopened", "at", "note"],
        ["007", dt.datetime(2024, 3, 12, 10, 30), dt.datetime(2024, 3, 12), 3.5, True, dt.time(10, 30), None],
        [8, dt.datetime(2024, 3, 13, 0, 0), dt.datetime(2024, 3, 14), 4.0, False, dt.time(9, 5), "ok"],
    ]})
    df = read_table(p, sheet="tickets")  # sheet names match case-insensitively
    assert df.attrs["sheet"] == "Tickets" and df.attrs["decimal"] == "."
    assert df["id"].tolist() == ["007", "8"]
    assert df["created_at"].tolist() == ["2024-03-12 10:30:00", "2024-03-13 00:00:00"]
    assert df["day"].tolist() == ["2024-03-12", "2024-03-14"]
    assert df["score"].tolist() == ["3.5", "4"]
    assert df["reopened"].tolist() == ["TRUE", "FALSE"]
    assert df["at"].tolist() == ["10:30:00", "09:05:00"]
    assert pd.isna(df.loc[0, "note"])
    assert set(df.attrs["date_columns"]) == {"created_at", "day"}
    assert pd.to_datetime(df["created_at"]).dt.hour.tolist() == [10, 0]  # usable as dates


def test_xlsx_first_sheet_by_default_and_by_index(tmp_path):
    p = make_xlsx(tmp_path / "t.xlsx", {"A": [["a"], ["1"]], "B": [["b"], ["2"]]})
    assert list(read_table(p).columns) == ["a"]
    assert list(read_table(p, sheet=1).columns) == ["b"]


def test_xlsx_missing_sheet_lists_the_sheets(tmp_path):
    p = make_xlsx(tmp_path / "t.xlsx", {"Antwoorden": [["a"], [1]], "Toelichting": [["b"], [2]]})
    for sheet in ("Blad1", 5):
        with pytest.raises(InputError) as exc:
            read_table(p, sheet=sheet)
        f = finding_of(exc, "missing_sheet")
        assert "'Antwoorden'" in f.message["en"] and "'Toelichting'" in f.message["nl"]


def test_xlsx_empty_sheet_and_header_only(tmp_path):
    p = make_xlsx(tmp_path / "t.xlsx", {"Leeg": [], "Kop": [["id", "nps"]]})
    for sheet in ("Leeg", "Kop"):
        with pytest.raises(InputError) as exc:
            read_table(p, sheet=sheet)
        finding_of(exc, "empty_file")


# ------------------------------------------------------------------------------------ parquet/sav

def test_parquet_keeps_types(tmp_path):
    src = pd.DataFrame({"ticket_id": ["T1", "T2", ""], "n": [1, 2, 3], "x": [0.5, np.nan, 2.0],
                        "created_at": pd.to_datetime(["2024-01-01 10:00", "2024-01-02 00:00", None], utc=True)})
    src.to_parquet(tmp_path / "t.parquet")
    df = read_table(tmp_path / "t.parquet")
    assert df["n"].dtype == np.int64 and df["x"].dtype == np.float64
    assert isinstance(df["created_at"].dtype, pd.DatetimeTZDtype)
    assert df["ticket_id"].tolist()[:2] == ["T1", "T2"] and pd.isna(df["ticket_id"].iloc[2])
    assert df.attrs["format"] == "parquet"


def test_parquet_dates_become_timestamps_not_objects(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    days = pa.array([dt.date(2024, 3, 12), None, dt.date(9999, 12, 31)], type=pa.date32())
    pq.write_table(pa.table({"customer_id": ["K1", "K2", "K3"], "start_date": days}), tmp_path / "c.parquet")
    df = read_table(tmp_path / "c.parquet")
    assert pd.api.types.is_datetime64_dtype(df["start_date"].dtype)  # not Python date objects
    assert df["start_date"].iloc[0] == pd.Timestamp("2024-03-12") and pd.isna(df["start_date"].iloc[1])
    assert df["start_date"].iloc[2] == pd.Timestamp("9999-12-31")  # "no end" stays representable


def test_sav_codes_labels_and_attrs(tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat")
    src = pd.DataFrame({"respondent": [101.0, 102.0, 103.0], "segment": [1.0, 2.0, 1.0],
                        "service_1": [5.0, 2.0, np.nan], "nps": [10.0, 3.0, 7.0], "reopened": [1.0, 0.0, 1.0],
                        "comment": ["Top", "", "Matig"]})
    labels = {"segment": {1: "Particulier", 2: "Zakelijk"},
              "service_1": {1: "Helemaal mee oneens", 2: "Mee oneens", 3: "Neutraal", 4: "Mee eens",
                            5: "Helemaal mee eens"},
              "nps": {0: "0 - Helemaal niet waarschijnlijk", 10: "10 - Zeer waarschijnlijk"},
              "reopened": {0: "Nee", 1: "Ja"}}
    pyreadstat.write_sav(src, str(tmp_path / "s.sav"), variable_value_labels=labels,
                         column_labels=["Respondent", "Segment", "Vraag 1", "NPS", "Heropend", "Opmerking"])
    assert (tmp_path / "s.sav").read_bytes()[:4] == b"$FL2"
    df = read_table(tmp_path / "s.sav")
    assert df["segment"].tolist() == ["Particulier", "Zakelijk", "Particulier"]
    assert df["reopened"].tolist() == ["Ja", "Nee", "Ja"]
    assert df["service_1"].dtype == np.float64 and df["service_1"].tolist()[:2] == [5.0, 2.0]
    assert df["nps"].tolist() == [10.0, 3.0, 7.0]  # partially labelled scale: numbers
    assert df["respondent"].tolist() == [101.0, 102.0, 103.0]
    assert pd.isna(df.loc[1, "comment"])
    assert df.attrs["value_labels"]["segment"][1] == "Particulier"
    assert df.attrs["column_labels"]["service_1"] == "Vraag 1"
    with pytest.raises(InputError) as exc:  # an SPSS file with a .csv name
        write(tmp_path / "s2.csv", (tmp_path / "s.sav").read_bytes())
        read_table(tmp_path / "s2.csv")
    assert "SPSS" in finding_of(exc, "file_format").message["en"]


# ------------------------------------------------------------------------------- never written to

def test_input_files_are_never_modified(tmp_path, xlsx_bytes, parquet_bytes):
    files = [write(tmp_path / "a.csv", "a;b\r\n1,5;Café\r\n".encode("cp1252")),
             write(tmp_path / "b.xlsx", xlsx_bytes), write(tmp_path / "c.parquet", parquet_bytes),
             write(tmp_path / "d.csv", b"")]
    pyreadstat = pytest.importorskip("pyreadstat")
    pyreadstat.write_sav(pd.DataFrame({"segment": [1.0, 2.0]}), str(tmp_path / "e.sav"),
                         variable_value_labels={"segment": {1: "Particulier", 2: "Zakelijk"}})
    files.append(tmp_path / "e.sav")
    before = {p: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns) for p in files}
    for p in files:
        try:
            read_table(p, header_rows=0)
        except InputError:
            pass
    after = {p: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns) for p in files}
    assert before == after
    assert sorted(x.name for x in tmp_path.iterdir()) == ["a.csv", "b.xlsx", "c.parquet", "d.csv", "e.sav",
                                                           "src.parquet", "src.xlsx"]


# ------------------------------------------------------------------------------------- registry

def test_register_reader_adds_a_format(tmp_path):
    def read_json_lines(path: Path, options: ReadOptions) -> pd.DataFrame:
        return pd.read_json(path, lines=True, dtype=False)

    register_reader("jsonl", read_json_lines, ["jsonl"])
    try:
        p = write(tmp_path / "x.jsonl", b'{"a": 1}\n{"a": 2}\n')
        df = read_table(p)
        assert df["a"].tolist() == [1, 2] and df.attrs["format"] == "jsonl"
    finally:
        READERS.pop("jsonl")
        EXTENSIONS.pop(".jsonl")


# ------------------------------------------------------------------------------------- to_number

@pytest.mark.parametrize("text,decimal,value", [
    ("3", ".", 3.0), ("-3.5", ".", -3.5), ("+2", ".", 2.0), ("1e3", ".", 1000.0), (".5", ".", 0.5),
    ("3,5", ",", 3.5), ("3,5", ".", 3.5), ("3.5", ",", 3.5), ("1.234,5", ",", 1234.5), ("1.234", ",", 1234.0),
    ("1.234.567", ",", 1234567.0), ("1,234.5", ".", 1234.5), ("1,234", ".", 1234.0), ("1 234,5", ",", 1234.5),
    ("1\u00a0234", ".", 1234.0), (" 7 ", ".", 7.0), ("-0,25", ",", -0.25),
])
def test_to_number_values(text, decimal, value):
    values, bad = to_number(pd.Series([text], dtype="str"), decimal)
    assert values.iloc[0] == pytest.approx(value) and not bad.iloc[0]


@pytest.mark.parametrize("text", ["n.v.t.", "abc", "3,5,6", "1.2.3", "12-03-2024", "10:30", "€5", "5%", "3 5", "--1"])
def test_to_number_bad(text):
    values, bad = to_number(pd.Series([text], dtype="str"), ",")
    assert bad.iloc[0] and np.isnan(values.iloc[0])


@pytest.mark.parametrize("text", ["", "   ", "NA", "n/a", "#N/A", "NULL", "NaN", None])
def test_to_number_missing_is_not_bad(text):
    values, bad = to_number(pd.Series([text, "1"], dtype="str"))
    assert np.isnan(values.iloc[0]) and not bad.iloc[0] and values.iloc[1] == 1.0


def test_to_number_keeps_index_and_passes_numbers_through():
    s = pd.Series(["1", "x", None], index=[10, 20, 30], name="nps")
    values, bad = to_number(s)
    assert list(values.index) == [10, 20, 30] and values.name == "nps" and bad.tolist() == [False, True, False]
    v2, b2 = to_number(pd.Series([1, 2, 3], index=[5, 6, 7]))
    assert v2.dtype == np.float64 and v2.tolist() == [1.0, 2.0, 3.0] and not b2.any()
    v3, b3 = to_number(pd.Series([1, "2,5", "x", None], dtype=object), ",")
    assert v3.tolist()[:2] == [1.0, 2.5] and b3.tolist() == [False, False, True, False]


def test_text_array_strips_and_blanks_only_where_needed():
    from klantladder.readers import text_array

    clean = pd.Series(["T1", "T22", None], dtype="str")
    assert text_array(clean).to_pylist() == ["T1", "T22", None]
    messy = pd.Series([" a ", "", "b\t", None, "\u00a0c", "  "], dtype="str")
    assert text_array(messy).to_pylist() == ["a", None, "b", None, "c", None]
    assert text_array(pd.Series(["x ", 5], dtype=object)).to_pylist() == ["x", "5"]
    assert text_array(pd.Series([], dtype="str")).to_pylist() == []


def test_to_number_reads_a_million_decimal_commas_as_python_does():
    rng = np.random.default_rng(0)
    raw = np.char.mod("%.3f", rng.random(1_000_000) * 1000)
    s = pd.Series(raw, dtype="str").str.replace(".", ",")
    values, bad = to_number(s, ",")
    assert not bad.any()
    np.testing.assert_array_equal(values.to_numpy(), raw.astype(float))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(["0", "1", "3", "5", "07", "10", " 4 ", "", "  ", "NA", "n.v.t.", "4,5", "1.000",
                                 "\u00b2", "\u0663", "12345678901234567890"]), min_size=1, max_size=30),
       st.sampled_from([",", "."]))
def test_to_number_on_a_few_distinct_values_equals_the_pattern_reading(cells, decimal):
    """A column of a few distinct whole numbers (a scale) is read digit by digit, without the
    patterns; anything else takes them. Both read a column alike."""
    from klantladder import readers

    s = pd.Series(cells, dtype="str")
    few_values, few_bad = to_number(s, decimal)
    few, readers._FEW = readers._FEW, 0  # always the patterns
    try:
        values, bad = to_number(s, decimal)
    finally:
        readers._FEW = few
    pd.testing.assert_series_equal(few_values, values)
    pd.testing.assert_series_equal(few_bad, bad)


# ------------------------------------------------------------------------------------- real data

@pytest.mark.skipif(not (REAL / "WA_Fn-UseC_-Telco-Customer-Churn.csv").exists(), reason="real data absent")
def test_real_telco_export_crlf_and_blank_numbers():
    df = read_table(REAL / "WA_Fn-UseC_-Telco-Customer-Churn.csv")
    assert df.shape == (7043, 21) and df.attrs["sep"] == ","
    values, bad = to_number(df["TotalCharges"])
    assert values.isna().sum() == 11 and not bad.any()
    assert not df["Churn"].str.contains("\r").any()


@pytest.mark.skipif(not (REAL / "nyc311_sample_1000.csv").exists(), reason="real data absent")
def test_real_nyc311_export():
    df = read_table(REAL / "nyc311_sample_1000.csv")
    assert len(df) == 1000 and "Created Date" in df.columns and "Closed Date" in df.columns
    assert df["Closed Date"].isna().sum() == 14


def test_local_times_converted_per_distinct_value_equal_the_direct_conversion(monkeypatch):
    from klantladder import readers

    rng = np.random.default_rng(3)
    moments = pd.to_datetime(["2026-03-29 02:30", "2026-10-25 02:30", "2026-10-25 01:59", "2026-06-01 00:00",
                              "2026-01-01 12:00", "1999-12-31 23:59"] + [None])  # DST gap, DST overlap, NaT
    naive = pd.Series(moments[rng.integers(0, len(moments), 5_000)], index=np.arange(5_000) * 2)
    monkeypatch.setattr(readers, "_DISTINCT_FROM", 10**9)
    direct_values, direct_dst = readers._localise(naive, "Europe/Amsterdam")
    monkeypatch.setattr(readers, "_DISTINCT_FROM", 1_000)
    values, dst = readers._localise(naive, "Europe/Amsterdam")
    pd.testing.assert_series_equal(values, direct_values)
    pd.testing.assert_series_equal(dst, direct_dst)
    assert dst.any() and values.isna().any()  # the cases that matter were there


@pytest.mark.parametrize("text,skipped,columns", [
    # Excel's CSV pads a title line with separators; a blank line follows
    (b"Klanttevredenheid Q3 2026,,\n,,\nrespondent_id,nps,csat\nR1,9,4\nR2,7,3\n", 2, ["respondent_id", "nps", "csat"]),
    (b"Rapport\nFilter:;alle klanten\nrespondent_id;nps;csat\nR1;9;4\n", 2, ["respondent_id", "nps", "csat"]),
    # no title: a narrow header above a wider data row, numbers above a header, a one-cell first row of data
    (b"a,b\n1,2\n3,4\n5,6,7\n", 0, None),
    (b"1\n2,3\nrespondent_id,nps,csat\nR1,9,4\n", 0, None),
    (b"respondent_id,nps,csat\nR1,,\nR2,7,3\n", 0, ["respondent_id", "nps", "csat"]),
])
def test_a_title_block_is_told_from_a_table(tmp_path, text, skipped, columns):
    path = write(tmp_path / "s.csv", text)
    try:
        df = read_table(path)
    except InputError:  # the ragged file is refused, as before
        assert skipped == 0
        return
    titles = [f for f in df.attrs["findings"] if f.rule == "title_rows"]
    assert len(titles) == (1 if skipped else 0)
    if skipped:
        assert f"row {skipped + 1}" in titles[0].message["en"]
    if columns:
        assert list(df.columns) == columns


def test_a_title_naming_a_person_is_masked_in_the_message(tmp_path):
    path = write(tmp_path / "s.csv", b"\"Rapport voor j.jansen@example.nl, 06-12345678\"\nrespondent_id,nps,csat\nR1,9,4\n")
    (title,) = [f for f in read_table(path).attrs["findings"] if f.rule == "title_rows"]
    for text in title.message.values():
        assert "jansen" not in text and "12345678" not in text and "[e-mail]" in text


def test_hidden_rows_are_listed_by_their_excel_number_and_only_among_the_data(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in (["Rapport klanttevredenheid"], [], ["respondent_id", "nps", "csat"], ["R1", 9, 4], ["R2", 7, 3],
                ["TEST", 10, 5], ["R3", 8, 4]):
        ws.append(row)
    for r in (1, 6):  # the title and a test response
        ws.row_dimensions[r].hidden = True
    wb.save(tmp_path / "s.xlsx")
    df = read_table(tmp_path / "s.xlsx")
    (hidden,) = [f for f in df.attrs["findings"] if f.rule == "hidden_rows"]
    assert hidden.rows == (6,) and hidden.count == 1
    assert len(df) == 4  # read and counted all the same


def test_a_workbook_without_hidden_rows_says_nothing(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["respondent_id", "nps", "csat"])
    ws.append(["R1", 9, 4])
    wb.save(tmp_path / "s.xlsx")
    assert not [f for f in read_table(tmp_path / "s.xlsx").attrs["findings"] if f.rule == "hidden_rows"]


def _with_formulas(path: Path, cached: bool) -> Path:
    """A workbook whose last column holds formulas, with (as Excel saves them) or without their results."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["respondent_id", "service_1", "nps", "service_2"])
    for i in range(2, 8):
        ws.append([f"R{i}", 4, 8, f"=B{i}"])
    wb.save(path)
    if cached:  # what Excel or LibreOffice add on saving: the result after each formula
        with zipfile.ZipFile(path) as z:
            parts = {n: z.read(n) for n in z.namelist()}
        parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(b"</f><v /></c>", b"</f><v>4</v></c>")
        with zipfile.ZipFile(path, "w") as z:
            for n, data in parts.items():
                z.writestr(n, data)
    return path


def test_formulas_without_saved_results_are_named_not_just_an_empty_column(tmp_path):
    df = read_table(_with_formulas(tmp_path / "a.xlsx", cached=False))
    (f,) = [f for f in df.attrs["findings"] if f.rule == "formulas_without_values"]
    assert f.column == "service_2" and "save it" in f.message["en"]
    df = read_table(_with_formulas(tmp_path / "b.xlsx", cached=True))
    assert df["service_2"].tolist() == ["4"] * 6
    assert not [f for f in df.attrs["findings"] if f.rule == "formulas_without_values"]


def test_excel_error_cells_count_as_missing_and_are_named(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([])  # an empty first row: rows keep their Excel numbers
    for row in (["respondent_id", "service_1", "nps"], ["R1", 4, "#DIV/0!"], ["R2", "#VALUE!", 9], ["R3", 5, 8]):
        ws.append(row)
    wb.save(tmp_path / "s.xlsx")
    df = read_table(tmp_path / "s.xlsx")
    assert df["nps"].tolist()[1:] == ["9", "8"] and pd.isna(df.loc[1, "nps"]) and pd.isna(df.loc[2, "service_1"])
    (errors,) = [f for f in df.attrs["findings"] if f.rule == "excel_errors"]
    assert errors.rows == (3, 4) and "2 cell(s)" in errors.message["en"]
