"""The reference date taken from the data, and retention and churn measured at it.

Without ``reference_date`` in client.yaml the date the data describe is the latest date on which
something happened (a ticket created, a customer started). Planned contract ends and wrong years
after the data must not move it: a single such date would otherwise turn every departure of the
last twelve months into "still a customer" (churn 0%).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from klantladder.cli import main
from klantladder.kpis import customer_kpis, reference_date

# ------------------------------------------------------------------------------- frames (unit level)


def local(text: str) -> pd.Timestamp:
    """A date or time in Amsterdam, stored in UTC as intake stores it."""
    return pd.Timestamp(text, tz="Europe/Amsterdam").tz_convert("UTC")


def ticket_frame() -> pd.DataFrame:
    return pd.DataFrame({"ticket_id": ["t1", "t2"], "created_at": [local("2026-09-30 10:00"),
                                                                  local("2026-10-31 16:00")]})


def customer_frame(end_of_first: pd.Timestamp | None = None) -> pd.DataFrame:
    """Ten customers since 2020; four left during the twelve months before 31 October 2026."""
    ends = [pd.NaT] * 6 + [local("2026-01-15"), local("2026-03-31"), local("2026-06-30"), local("2026-10-01")]
    if end_of_first is not None:
        ends[0] = end_of_first
    return pd.DataFrame({"customer_id": [f"k{i}" for i in range(10)],
                         "start_date": [local(f"20{20 + i % 5}-0{1 + i % 9}-01") for i in range(10)],
                         "end_date": pd.Series(ends, dtype="datetime64[ns, UTC]")})


TODAY = dt.date(2026, 11, 28)


@pytest.mark.parametrize("planned", ["2027-12-31", "2062-01-31", "2026-12-31"])
def test_an_end_date_after_the_data_moves_neither_the_reference_date_nor_churn(planned):
    base = {"tickets": ticket_frame(), "customers": customer_frame()}
    later = {"tickets": ticket_frame(), "customers": customer_frame(local(planned))}
    ref = reference_date(base, None, TODAY)
    assert ref == dt.date(2026, 10, 31)
    assert reference_date(later, None, TODAY) == ref
    before, after = customer_kpis(base["customers"], ref), customer_kpis(later["customers"], ref)
    assert after["churn_12m"].value == before["churn_12m"].value == pytest.approx(40.0)
    assert after["retention_12m"].value == before["retention_12m"].value


def test_a_start_date_with_a_wrong_year_does_not_move_the_reference_date():
    customers = customer_frame()
    customers.loc[3, "start_date"] = local("2062-05-01")
    ref = reference_date({"tickets": ticket_frame(), "customers": customers}, None, TODAY)
    assert ref == dt.date(2026, 10, 31)


def test_without_tickets_the_latest_start_decides_and_planned_ends_still_do_not():
    customers = customer_frame(local("2029-06-30"))
    customers.loc[2, "start_date"] = local("2026-10-20")
    assert reference_date({"customers": customers}, None, TODAY) == dt.date(2026, 10, 20)


def test_a_date_only_column_gives_its_own_calendar_date_not_the_day_before_in_utc():
    customers = customer_frame()
    customers.loc[0, "start_date"] = local("2026-10-31")  # 2026-10-30 23:00 in UTC
    assert reference_date({"customers": customers}, None, TODAY) == dt.date(2026, 10, 31)


def test_a_configured_reference_date_is_kept():
    frames = {"tickets": ticket_frame(), "customers": customer_frame(local("2027-12-31"))}
    assert reference_date(frames, dt.date(2026, 6, 30), TODAY) == dt.date(2026, 6, 30)


# --------------------------------------------------------------------------- a client (command line)


CUSTOMER_HEAD = "customer_id,segment,start_date,end_date"
TICKET_HEAD = "ticket_id,customer_id,channel,created_at,first_response_at,resolved_at,reopened"


def customer_rows(planned_ends: int = 0) -> list[str]:
    """Forty customers since 2019-2022; every fourth left in 2025; ``planned_ends`` of those still
    customers carry a contract end in 2027."""
    rows = []
    for i in range(40):
        start = f"{2019 + i % 4}-{1 + i % 12:02d}-15"
        end = f"2025-{1 + i % 12:02d}-20" if i % 4 == 0 else ""
        if i % 4 == 1 and i // 4 < planned_ends:  # still a customer, with a planned end
            end = "2027-12-31"
        rows.append(f"K{i},{'AB'[i % 2]},{start},{end}")
    return rows


def client(folder: Path, customers: list[str], reference: str | None = None) -> Path:
    folder.mkdir(parents=True)
    (folder / "client.yaml").write_text("name: Testklant\nlanguage: en\n" +
                                        (f"reference_date: {reference}\n" if reference else ""), encoding="utf-8")
    (folder / "customers.csv").write_text("\n".join([CUSTOMER_HEAD, *customers]) + "\n", encoding="utf-8")
    tickets = [f"T{i},K{i},e-mail,2025-12-{i:02d} 09:00,2025-12-{i:02d} 10:00,2025-12-{i:02d} 15:00,nee"
               for i in range(1, 21)]
    (folder / "tickets.csv").write_text("\n".join([TICKET_HEAD, *tickets]) + "\n", encoding="utf-8")
    return folder


def score(folder: Path, out: Path, capsys) -> tuple[int, dict | None, str]:
    code = main(["--lang", "en", "score", str(folder), "--out", str(out)])
    text = capsys.readouterr()
    assert "Traceback" not in text.err
    return code, (json.loads(out.read_text(encoding="utf-8")) if code == 0 else None), text.out + text.err


def test_planned_contract_ends_give_the_same_reference_date_and_churn_with_a_warning(tmp_path, capsys):
    code, plain, _ = score(client(tmp_path / "plain", customer_rows()), tmp_path / "plain.json", capsys)
    assert code == 0
    code, planned, _ = score(client(tmp_path / "planned", customer_rows(planned_ends=3)), tmp_path / "planned.json",
                             capsys)
    assert code == 0
    assert plain["reference_date"] == planned["reference_date"] == "2025-12-20"
    churn = plain["kpis"]["churn_12m"]["value"]
    assert churn > 0 and planned["kpis"]["churn_12m"]["value"] == churn
    assert planned["kpis"]["retention_12m"]["value"] == plain["kpis"]["retention_12m"]["value"]
    warnings = [w for w in planned["data_quality"]["warnings"] if w["rule"] == "future_date"]
    assert len(warnings) == 1 and warnings[0]["column"] == "end_date" and warnings[0]["count"] == 3
    assert "2027-12-31" in warnings[0]["message"]["en"] and "2027-12-31" in warnings[0]["message"]["nl"]


def test_swapped_start_and_end_dates_stop_the_client_instead_of_a_churn_of_zero(tmp_path, capsys):
    rows = [f"{c},{s},{e},{b}" if e else f"{c},{s},{b}," for c, s, b, e in (r.split(",") for r in customer_rows())]
    code, _, out = score(client(tmp_path / "swapped", rows), tmp_path / "swapped.json", capsys)
    assert code == 1
    line = next(ln for ln in out.splitlines() if "[time_order]" in ln)
    assert "ERROR" in line and "customers.csv" in line and "column 'end_date'" in line
    assert "probably swapped" in line


def test_a_reference_date_years_after_the_data_is_named(tmp_path, capsys):
    code, scores, _ = score(client(tmp_path / "late", customer_rows(), reference="2028-10-31"),
                            tmp_path / "late.json", capsys)
    assert code == 0 and scores["reference_date"] == "2028-10-31"
    warnings = [w for w in scores["data_quality"]["warnings"] if w["rule"] == "reference_after_data"]
    assert len(warnings) == 1 and warnings[0]["column"] == "reference_date"
    assert "2025-12-20" in warnings[0]["message"]["en"]
