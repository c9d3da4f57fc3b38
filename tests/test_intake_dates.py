"""Date parsing (klantladder.readers.to_datetime): forms, day/month order, time zones, DST."""

from __future__ import annotations

import pandas as pd
import pytest

from klantladder.readers import to_datetime


def utc(values) -> list[str]:
    return [None if pd.isna(v) else v.strftime("%Y-%m-%d %H:%M:%S") for v in values]


def test_iso_with_and_without_offset():
    r = to_datetime(pd.Series(["2026-03-01 10:00", "2026-03-01T10:00:00+01:00", "2026-07-01T10:00Z",
                               "2026-07-01 10:00:00.5", "2026-07-01", None, " "]))
    assert utc(r.values) == ["2026-03-01 09:00:00", "2026-03-01 09:00:00", "2026-07-01 10:00:00",
                             "2026-07-01 08:00:00", "2026-06-30 22:00:00", None, None]
    assert str(r.values.dtype) == "datetime64[ns, UTC]"
    assert r.forms["iso_offset"].tolist() == [False, True, True, False, False, False, False]
    assert not r.bad.any() and r.order is None


def test_daylight_saving_change():
    r = to_datetime(pd.Series(["2026-10-25 02:30", "2026-03-29 02:30", "2026-10-25 03:30"]))
    # 02:30 on 25 Oct occurs twice: the first (summer time, UTC+2); on 29 Mar it does not exist: an hour on
    assert utc(r.values) == ["2026-10-25 00:30:00", "2026-03-29 01:30:00", "2026-10-25 02:30:00"]
    assert r.dst.tolist() == [True, True, False]


def test_other_time_zone():
    r = to_datetime(pd.Series(["2026-01-15 09:00", "2026-07-15 09:00"]), timezone="America/New_York")
    assert utc(r.values) == ["2026-01-15 14:00:00", "2026-07-15 13:00:00"]


@pytest.mark.parametrize("text,expected", [
    ("03-05-2026", "2026-05-02 22:00:00"), ("3-5-2026 14:05", "2026-05-03 12:05:00"),
    ("03.05.2026 14:05:30", "2026-05-03 12:05:30"), ("25/12/2026 1:05 PM", "2026-12-25 12:05:00"),
    ("25/12/2026 12:30 AM", "2026-12-24 23:30:00"), ("25/12/2026 12:30 PM", "2026-12-25 11:30:00"),
])
def test_day_month_year(text, expected):
    r = to_datetime(pd.Series([text, "13-01-2026"]))
    assert utc(r.values)[0] == expected and r.order == "dmy"


def test_invalid_calendar_dates_are_bad():
    r = to_datetime(pd.Series(["31-02-2026", "2026-13-01", "25/12/2026 13:05 PM", "gisteren", "12:30",
                               "01-01-2026 25:00", "01-01-2026 10:75"]))
    assert r.bad.tolist() == [True] * 7


def test_slash_dates_without_evidence_are_ambiguous():
    r = to_datetime(pd.Series(["03/05/2026", "04/05/2026 10:00"]))
    assert r.order == "ambiguous" and r.unread.tolist() == [True, True] and not r.bad.any()
    assert r.values.isna().all()
    r = to_datetime(pd.Series(["03/05/2026"]), order="mdy")
    assert utc(r.values) == ["2026-03-04 23:00:00"]


def test_evidence_decides_the_order():
    r = to_datetime(pd.Series(["03/05/2026", "05/25/2026"]))
    assert r.order == "mdy" and utc(r.values)[0] == "2026-03-04 23:00:00"
    assert r.month_first.tolist() == [False, True]
    r = to_datetime(pd.Series(["25/05/2026", "05/25/2026"]))
    assert r.order == "conflict" and r.unread.all()
    r = to_datetime(pd.Series(["03-05-2026"]))  # dashes: the Dutch day-first convention
    assert r.order == "dmy"


def test_explicit_format_and_iso_fallback():
    fmt = "%m/%d/%Y %I:%M:%S %p"
    r = to_datetime(pd.Series(["06/26/2018 10:58:54 AM", "2018-06-26 12:50:01", "26/06/2018 10:00"]),
                    date_format=fmt, timezone="America/New_York")
    assert utc(r.values)[:2] == ["2018-06-26 14:58:54", "2018-06-26 16:50:01"]
    assert r.forms["format"].tolist() == [True, False, False]
    assert r.forms["iso_local"].tolist() == [False, True, False]
    assert r.bad.tolist() == [False, False, True]  # with date_format, day-month guesses are off


def test_format_with_offsets():
    r = to_datetime(pd.Series(["2026-01-01 10:00 +0100", "2026-07-01 10:00 +0200"]), date_format="%Y-%m-%d %H:%M %z")
    assert utc(r.values) == ["2026-01-01 09:00:00", "2026-07-01 08:00:00"]


def test_excel_day_numbers():
    r = to_datetime(pd.Series(["46145", "46145.5", "46145,75", "123"]))
    assert utc(r.values)[:3] == ["2026-05-02 22:00:00", "2026-05-03 10:00:00", "2026-05-03 16:00:00"]
    assert r.forms["excel_serial"].tolist() == [True, True, True, False] and r.bad.tolist() == [False] * 3 + [True]
    r = to_datetime(pd.Series([46145.5, None]))  # a numeric column
    assert utc(r.values)[0] == "2026-05-03 10:00:00"


def test_out_of_range_dates():
    r = to_datetime(pd.Series(["9999-12-31", "0001-01-01", "1899-12-31", "2026-01-01"]))
    assert r.out_of_range.tolist() == [True, True, True, False] and not r.bad.any()
    assert r.values.isna().tolist() == [True, True, True, False]


def test_typed_datetimes_keep_their_moment():
    naive = pd.Series(pd.to_datetime(["2026-01-01 10:00", "2026-07-01 10:00"]))
    assert utc(to_datetime(naive).values) == ["2026-01-01 09:00:00", "2026-07-01 08:00:00"]
    aware = naive.dt.tz_localize("UTC")
    assert utc(to_datetime(aware).values) == ["2026-01-01 10:00:00", "2026-07-01 10:00:00"]
    far = pd.Series(pd.to_datetime(["9999-12-31", "2026-01-01"]).astype("datetime64[s]"))
    r = to_datetime(far)
    assert r.out_of_range.tolist() == [True, False] and utc(r.values)[1] == "2025-12-31 23:00:00"


def test_index_is_kept():
    s = pd.Series(["2026-01-01", "kapot", "02-01-2026"], index=[10, 20, 30])
    r = to_datetime(s)
    assert list(r.values.index) == [10, 20, 30] and r.bad.tolist() == [False, True, False]


def _times(n: int, filled: dict[int, str]) -> pd.Series:
    values = pd.Series([pd.NaT] * n, dtype="datetime64[ns]")
    for i, text in filled.items():
        values.iloc[i] = pd.Timestamp(text)
    return values.dt.tz_localize("UTC")


@pytest.mark.parametrize("n", [30, 50_000])
def test_dates_without_times_are_recognised_in_a_sparse_column(n):
    """Rule date_without_time judges a column on a sample: in a long column with few filled cells
    (first responses of a few tickets) those cells are the sample, not the blanks around them."""
    from klantladder.intake import _dates_only

    # Midnight in Amsterdam is 23:00 UTC in winter.
    days = {i * (n // 15): f"2026-01-{i + 1:02d} 23:00" for i in range(12)}
    assert _dates_only(_times(n, days), "Europe/Amsterdam")
    with_time = {**days, n // 15: "2026-01-02 14:37"}
    assert not _dates_only(_times(n, with_time), "Europe/Amsterdam")
    assert not _dates_only(_times(n, dict(list(days.items())[:9])), "Europe/Amsterdam")  # too few to judge


def test_a_long_column_is_judged_on_its_sample():
    from klantladder.intake import _dates_only

    values = pd.Series(pd.date_range("2020-01-01", periods=50_000, freq="D", tz="UTC"))
    assert _dates_only(values, "UTC")
    assert not _dates_only(values + pd.Timedelta(hours=9), "UTC")


def test_iso_times_with_a_comma_before_the_fraction():
    """ISO 8601 allows 10:00:00,5 as well as 10:00:00.5 (European systems write the comma)."""
    r = to_datetime(pd.Series(["2026-03-01 10:00:00,5", "2026-03-01T10:00:00,25+01:00", "2026-03-01 10:00:00.5"]))
    assert [v.isoformat() for v in r.values] == ["2026-03-01T09:00:00.500000+00:00",
                                                 "2026-03-01T09:00:00.250000+00:00",
                                                 "2026-03-01T09:00:00.500000+00:00"]
    assert not r.bad.any()
