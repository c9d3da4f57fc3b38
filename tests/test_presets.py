"""Tests for klantladder.presets: survey-tool exports (fixtures in tests/fixtures/presets) and Likert text."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from klantladder.errors import InputError
from klantladder.presets import (PRESETS, Preset, apply_preset, is_missing_text, likert_to_number,
                                 preset_read_options, register_preset)
from klantladder.readers import read_table

FIXTURES = Path(__file__).parent / "fixtures" / "presets"


def load(tool: str, filename: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    raw = read_table(FIXTURES / filename, **preset_read_options(tool))
    return raw, apply_preset(raw, tool)


def assert_no_pii(df: pd.DataFrame, *needles: str) -> None:
    text = "\n".join(df.astype(str).fillna("").to_numpy().ravel().tolist() + [str(c) for c in df.columns])
    for needle in needles:
        assert needle not in text, needle


# ----------------------------------------------------------------------------------------- presets

def test_registry_has_the_four_tools():
    assert {"qualtrics", "surveymonkey", "limesurvey", "msforms"} <= set(PRESETS)
    assert preset_read_options("qualtrics") == {"header_rows": 2}
    assert preset_read_options("surveymonkey") == {"header_rows": 1}
    assert preset_read_options("msforms") == {"header_rows": 0}


def test_qualtrics_export():
    raw, df = load("qualtrics", "qualtrics.csv")
    assert raw.attrs["encoding"] == "utf-8-sig" and len(raw.attrs["extra_header"]) == 2
    assert raw.attrs["extra_header"][1][17] == '{"ImportId":"QID1"}'
    assert len(df) == 4 and df["respondent_id"].tolist()[0] == "R_1a2B3c4D5e6F7g8"
    for gone in ("IPAddress", "RecipientEmail", "RecipientFirstName", "RecipientLastName", "ExternalReference",
                 "LocationLatitude", "LocationLongitude"):
        assert gone not in df.columns and gone in df.attrs["dropped_columns"]
    assert_no_pii(df, "192.0.2.14", "Jansen", "jan.jansen@example.nl", "K-10023", "52.3702")
    assert {"Q1", "Q2_1", "Q2_2", "Q2_3", "Q3", "Q4", "StartDate", "Finished"} <= set(df.columns)
    nps, bad = likert_to_number(df["Q1"], scale_max=10)
    assert nps.tolist() == [9.0, 6.0, 10.0, 0.0] and not bad.any()
    item, bad = likert_to_number(df["Q2_3"])
    assert item.tolist()[0] == 4.0 and np.isnan(item.iloc[1]) and not bad.any()  # "Weet niet" -> missing
    sat, bad = likert_to_number(df["Q3"])
    assert sat.tolist() == [4.0, 3.0, 5.0, 1.0]
    assert "\n" not in "".join(df.columns)
    assert df.attrs["preset"] == "qualtrics" and raw.columns.tolist()[3] == "IPAddress"  # input frame untouched


def test_surveymonkey_export_flattens_two_row_header():
    raw, df = load("surveymonkey", "surveymonkey.csv")
    q = "How much do you agree with the following statements?"
    assert list(df.columns) == [
        "respondent_id", "Collector ID", "Start Date", "End Date",
        "How likely is it that you would recommend Acme Energy to a friend or colleague?",
        f"{q} - The agent was friendly", f"{q} - My question was answered quickly", f"{q} - My problem was solved",
        "How did you contact us?", "How did you contact us? - Other (please specify)",
        "Anything else you would like to tell us?"]
    assert df["respondent_id"].tolist() == ["114239845121", "114239851876", "114239860002"]
    assert_no_pii(df, "192.0.2.33", "p.devries@example.com", "Pieter", "CRM-88213")
    values, bad = likert_to_number(df[f"{q} - My problem was solved"])
    assert values.tolist()[:2] == [4.0, 3.0] and np.isnan(values.iloc[2]) and not bad.any()


def test_surveymonkey_without_header_rows_option_still_flattens():
    raw = read_table(FIXTURES / "surveymonkey.csv")  # sub-header left as the first data row
    df = apply_preset(raw, "surveymonkey")
    _, expected = load("surveymonkey", "surveymonkey.csv")
    assert list(df.columns) == list(expected.columns) and len(df) == 3


def test_limesurvey_export():
    raw, df = load("limesurvey", "limesurvey.csv")
    assert "SAT_SQ001" in df.columns and "KANAAL_other" in df.columns and "respondent_id" in df.columns
    for gone in ("ipaddr", "refurl", "token", "firstname", "lastname", "email", "seed"):
        assert gone not in df.columns
    assert_no_pii(df, "192.0.2.77", "kees.visser@example.nl", "Visser", "tk8Hq2Lm", "utm_source")
    assert pd.isna(df.loc[2, "submitdate"])  # an incomplete response stays visible to validation
    assert df["SAT_SQ002"].tolist()[:2] == ["5", "3"]


def test_msforms_export_xlsx_with_dates():
    raw, df = load("msforms", "msforms.xlsx")
    assert list(df.columns)[:3] == ["respondent_id", "Start time", "Completion time"]
    assert "Email" not in df.columns and "Name" not in df.columns
    assert_no_pii(df, "e.dekker@example.nl", "Emma Dekker", "Lucas Peters")
    assert df["Start time"].tolist()[0] == "2024-03-11 09:02:11"
    assert df["respondent_id"].tolist() == ["1", "2", "3"]
    values, bad = likert_to_number(df["How satisfied are you with our service?"])
    assert values.tolist() == [5.0, 2.0, 5.0] and not bad.any()


def test_msforms_dutch_headers():
    raw = pd.DataFrame({"Id": ["1"], "Begintijd": ["2024-03-11 09:02:11"], "E-mail": ["x@example.nl"],
                        "Naam": ["Jan Jansen"], "Vraag": ["Mee eens"]})
    df = apply_preset(raw, "msforms")
    assert list(df.columns) == ["respondent_id", "Begintijd", "Vraag"]
    assert list(raw.columns) == ["Id", "Begintijd", "E-mail", "Naam", "Vraag"]


def test_missing_respondent_id_is_a_warning():
    df = apply_preset(pd.DataFrame({"Q1": ["1"]}), "qualtrics")
    (f,) = df.attrs["findings"]
    assert f.rule == "missing_respondent_id" and f.level == "warning" and f.message["nl"] and f.message["en"]


def test_unknown_preset_lists_the_known_ones():
    for call in (lambda: apply_preset(pd.DataFrame({"a": [1]}), "typeform"), lambda: preset_read_options("typeform")):
        with pytest.raises(InputError) as exc:
            call()
        (f,) = exc.value.findings
        assert f.rule == "unknown_preset"
        for lang in ("nl", "en"):
            assert "qualtrics" in f.message[lang] and "msforms" in f.message[lang] and "typeform" in f.message[lang]


def test_register_preset():
    register_preset(Preset(name="demo_tool", header_rows=0, drop_columns=["Phone*"], rename=str.lower,
                           id_column="Key"))
    try:
        df = apply_preset(pd.DataFrame({"Key": ["1"], "Phone 1": ["x"], "Phone 2": ["y"], "Q": ["z"]}), "demo_tool")
        assert list(df.columns) == ["key", "q"]
    finally:
        PRESETS.pop("demo_tool")


# ------------------------------------------------------------------------------------------ Likert

@pytest.mark.parametrize("text,scale,value", [
    ("Helemaal mee oneens", 5, 1), ("Mee oneens", 5, 2), ("Neutraal", 5, 3),
    ("Niet mee eens, niet mee oneens", 5, 3), ("Mee eens", 5, 4), ("Helemaal mee eens", 5, 5),
    ("  HELEMAAL   mee EENS ", 5, 5), ("helemaal mee eens.", 5, 5), ("Hélemaal mee éens", 5, 5), ("Neutràal", 5, 3),
    ("Strongly disagree", 5, 1), ("Disagree", 5, 2), ("Neither agree nor disagree", 5, 3), ("Agree", 5, 4),
    ("Strongly agree", 5, 5), ("Somewhat agree", 5, 4), ("Somewhat agree", 7, 5), ("Agree", 7, 6),
    ("Strongly agree", 7, 7), ("Neutral", 7, 4),
    ("Zeer ontevreden", 5, 1), ("Ontevreden", 5, 2), ("Tevreden", 5, 4), ("Zeer tevreden", 5, 5),
    ("Very dissatisfied", 5, 1), ("Dissatisfied", 5, 2), ("Neither satisfied nor dissatisfied", 5, 3),
    ("Satisfied", 5, 4), ("Very satisfied", 5, 5), ("Extremely satisfied", 5, 5),
    ("Zeer moeilijk", 7, 1), ("Zeer makkelijk", 7, 7), ("Very easy", 5, 5),
    ("Helemaal mee oneens", 4, 1), ("Mee eens", 4, 3), ("Helemaal mee eens", 4, 4),
    ("4", 5, 4), (" 3 ", 5, 3), ("3,5", 5, 3.5), ("3.5", 5, 3.5), ("8", 5, 8),  # ranges are checked elsewhere
    ("10 - Zeer waarschijnlijk", 10, 10), ("0 = Not at all likely", 10, 0), ("0 - Helemaal niet waarschijnlijk", 10, 0),
    ("5 (helemaal mee eens)", 5, 5), ("1. Helemaal mee oneens", 5, 1), ("10 – Extremely likely", 10, 10),
])
def test_likert_mapping(text, scale, value):
    values, bad = likert_to_number(pd.Series([text]), scale_max=scale)
    assert values.iloc[0] == value and not bad.iloc[0]


@pytest.mark.parametrize("text", ["Weet niet", "weet ik niet", "Don't know", "Don\u2019t know", "n.v.t.", "NVT",
                                  "N/A", "Geen mening", "Not applicable", "-", "?", ""])
def test_likert_no_answer_is_missing_not_an_error(text):
    values, bad = likert_to_number(pd.Series([text]))
    assert np.isnan(values.iloc[0]) and not bad.iloc[0]
    assert is_missing_text(text)


@pytest.mark.parametrize("text,scale", [("Soms", 5), ("banaan", 5), ("Neutraal", 4), ("Mee eens", 10),
                                        ("eens oneens", 5)])
def test_likert_unmapped_text_is_flagged(text, scale):
    values, bad = likert_to_number(pd.Series([text]), scale_max=scale)
    assert np.isnan(values.iloc[0]) and bad.iloc[0]


def test_likert_keeps_index_missing_and_numbers():
    s = pd.Series(["Mee eens", None, "Weet niet", "Soms", "Mee eens"], index=[7, 8, 9, 10, 11], name="service_1")
    values, bad = likert_to_number(s)
    assert list(values.index) == [7, 8, 9, 10, 11] and values.name == "service_1"
    assert values.tolist()[0] == 4.0 and values.tolist()[4] == 4.0 and np.isnan(values.tolist()[1])
    assert bad.tolist() == [False, False, False, True, False]
    numeric, bad = likert_to_number(pd.Series([1, 5, np.nan]))
    assert numeric.tolist()[:2] == [1.0, 5.0] and not bad.any()


def test_likert_large_column_is_fast():
    s = pd.Series(np.random.default_rng(1).choice(["Mee eens", "Neutraal", "Weet niet", "5", ""], 500_000),
                  dtype="str")
    values, bad = likert_to_number(s)
    assert not bad.any() and values.notna().sum() == (s.isin(["Mee eens", "Neutraal", "5"])).sum()
