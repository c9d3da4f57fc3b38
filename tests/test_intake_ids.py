"""Identifiers at intake: the same pseudonym for the same id in every source and run, uniqueness
checked on the keyed hashes (with the texts deciding where hashes repeat), repeats reported with
their rows."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import pyarrow as pa

from klantladder.intake import IdHashes, _repeated_ids, _strictly_increasing, read_client
from klantladder.privacy import pseudonymise

KEY = bytes(range(32))


def _client(folder, tickets: pd.DataFrame, customers: pd.DataFrame, tickets_as: str = "csv"):
    folder.mkdir()
    (folder / "client.yaml").write_text(textwrap.dedent("""\
        name: Testklant
        language: en
        reference_date: 2026-02-01
        """), encoding="utf-8")
    if tickets_as == "parquet":
        tickets.to_parquet(folder / "tickets.parquet")
    else:
        tickets.to_csv(folder / "tickets.csv", index=False)
    customers.to_csv(folder / "customers.csv", index=False)
    return folder


def _tickets(customer_ids, n: int | None = None) -> pd.DataFrame:
    n = len(customer_ids) if n is None else n
    created = pd.date_range("2026-01-05 09:00", periods=n, freq="h", tz="Europe/Amsterdam")
    return pd.DataFrame({"ticket_id": [f"T{i}" for i in range(n)], "customer_id": customer_ids,
                         "channel": "e-mail", "created_at": created.strftime("%Y-%m-%dT%H:%M:%S%z"),
                         "resolved_at": (created + pd.Timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M:%S%z")})


def test_a_customer_has_one_pseudonym_in_tickets_and_customer_base_and_across_runs(tmp_path):
    ids = ["K1", "K2", "K1", " K3 ", "K2", "K1"]
    customers = pd.DataFrame({"customer_id": ["K1", "K2", "K3", "K4"], "segment": ["A", "B", "A", "B"]})
    folder = _client(tmp_path / "klant", _tickets(ids), customers)
    first = read_client(folder, key=KEY)
    again = read_client(folder, key=KEY)
    t, c = first.frames["tickets"], first.frames["customers"]
    assert isinstance(t["customer_id"].dtype, pd.CategoricalDtype)  # codes plus the distinct pseudonyms
    linked = t.merge(c, on="customer_id", how="left")
    assert linked["segment"].tolist() == ["A", "B", "A", "A", "B", "A"]  # every ticket finds its customer
    assert t["customer_id"].astype(str).tolist() == pseudonymise(pd.Series(ids), KEY).tolist()
    assert again.frames["tickets"]["customer_id"].astype(str).equals(t["customer_id"].astype(str))
    other = read_client(folder, key=b"another project key, 32 bytes!!")
    assert not set(other.frames["customers"]["customer_id"]) & set(c["customer_id"])


def test_numeric_ids_from_parquet_match_the_same_ids_as_text(tmp_path):
    tickets = _tickets(np.array([101, 102, 101], dtype=np.int64))
    customers = pd.DataFrame({"customer_id": ["101", "102"], "segment": ["A", "B"]})
    folder = _client(tmp_path / "klant", tickets, customers, tickets_as="parquet")
    data = read_client(folder, key=KEY)
    t, c = data.frames["tickets"], data.frames["customers"]
    assert set(t["customer_id"].astype(str)) == set(c["customer_id"])


def test_raw_ids_never_reach_the_frames(tmp_path):
    folder = _client(tmp_path / "klant", _tickets(["K1", "K2"]), pd.DataFrame({"customer_id": ["K1", "K2"]}))
    data = read_client(folder, key=KEY)
    for frame in data.frames.values():
        for col in ("ticket_id", "customer_id"):
            if col in frame:
                assert frame[col].astype(str).str.fullmatch(r"p_[0-9a-f]{16}").all()


def test_duplicate_ticket_ids_are_set_aside_with_their_rows(tmp_path):
    tickets = _tickets([f"K{i % 7}" for i in range(40)])
    tickets.loc[[17, 31], "ticket_id"] = ["T3", "T3"]  # the file's rows 19 and 33 repeat row 5
    folder = _client(tmp_path / "klant", tickets, pd.DataFrame({"customer_id": [f"K{i}" for i in range(7)]}))
    data = read_client(folder, key=KEY)
    (found,) = [f for f in data.findings if f.rule == "duplicate_id"]
    assert (found.column, found.rows, found.count, found.level) == ("ticket_id", (19, 33), 2, "warning")
    assert len(data.frames["tickets"]) == 38
    assert sorted(data.rejects.loc[data.rejects["rule"] == "duplicate_id", "row"]) == [19, 33]


def test_equal_hashes_of_different_ids_are_not_duplicates():
    text = pa.array(["A", "B", "A", "C"])
    colliding = np.array([7, 7, 7, 9], dtype=np.uint64)  # as if two different ids shared a hash
    ids = IdHashes(text, colliding, np.zeros(4, dtype=bool))
    assert _repeated_ids(ids, None).tolist() == [2]  # only the real repeat of "A"
    assert _repeated_ids(ids, np.array([1, 2, 3])).tolist() == []  # "A" once among these rows


def test_missing_ids_are_never_duplicates():
    text = pa.array(["A", None, None, "A"])
    ids = IdHashes(text, np.array([5, 0, 0, 5], dtype=np.uint64), np.array([False, True, True, False]))
    assert _repeated_ids(ids, None).tolist() == [3]


def test_ids_in_strictly_increasing_order_need_no_sort_and_never_repeat():
    text = pa.array(["T1", None, "T2", "T3", None])
    ids = IdHashes(text, np.array([1, 0, 1, 3, 0], dtype=np.uint64), np.array([False, True, False, False, True]))
    assert _strictly_increasing(text)
    assert _repeated_ids(ids, None).tolist() == []  # equal hashes, but the texts differ and are ordered


def test_ids_out_of_order_or_equal_neighbours_are_checked_in_full():
    for values, repeats in ((["T2", "T1", "T2"], [2]), (["T1", "T1", "T2"], [1]), (["T1", None, "T1"], [2])):
        text = pa.array(values)
        missing = np.array([v is None for v in values])
        hashes = np.array([0 if v is None else int(v[1:]) for v in values], dtype=np.uint64)
        assert not _strictly_increasing(text)
        assert _repeated_ids(IdHashes(text, hashes, missing), None).tolist() == repeats
