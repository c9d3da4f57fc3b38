"""The demo data generator: files, formats, columns, ranges, determinism, size, large client.

Scoring outcomes (which rung a demo client lands on) are not tested here; they belong to the
scoring tests. What is tested is that the generator delivers what it promises: the folder
contract, the model's item columns, valid values, ordered timestamps, the calibration of the
survey means to the profile targets, and byte-identical re-runs.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import yaml

from klantladder import demo
from klantladder.demo import DEMO_CLIENTS, DemoProfile, make_demo_clients, make_large_client

MODEL = yaml.safe_load(demo.MODEL_FILE.read_text(encoding="utf-8"))
DIMENSIONS = [d["key"] for d in MODEL["dimensions"]]
EMPLOYEE_ITEMS = [f"{d['key']}_{i}" for d in MODEL["dimensions"]
                  for i in range(1, len(d["items"]["employee"] or []) + 1)]
CUSTOMER_ITEMS = [f"{d['key']}_{i}" for d in MODEL["dimensions"]
                  for i in range(1, len(d["items"]["customer"] or []) + 1)]
CHANNELS = {"telefoon", "e-mail", "chat", "balie"}
ISO_WITH_OFFSET = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$"
ISO_DATE = r"^\d{4}-\d\d-\d\d$"
INPUTS = ("customer_survey", "employee_survey", "tickets", "customers")
KEYS = [p.key for p in DEMO_CLIENTS]


def read(folder: Path, name: str) -> pd.DataFrame:
    (path,) = list(folder.glob(f"{name}.*"))
    if path.suffix == ".csv":
        return pd.read_csv(path, keep_default_na=False, na_values=[""])
    if path.suffix == ".xlsx":
        return pd.read_excel(path)
    return pd.read_parquet(path)


def as_text(series: pd.Series) -> pd.Series:
    """Timestamps as ISO text whatever the file format (CSV keeps text, Parquet has datetimes)."""
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        return series.map(lambda t: t.isoformat() if pd.notna(t) else None)
    return series


def view(df: pd.DataFrame, dim: str, prefix: str = "") -> float:
    """Survey view of a dimension on 0-100, as SPEC 3.2 defines it."""
    cols = [c for c in df.columns if re.fullmatch(f"{prefix}{dim}_\\d+", c)]
    x = df[cols].astype(float)
    enough = x.notna().sum(axis=1) >= len(cols) / 2
    return float((x[enough].mean(axis=1).mean() - 1) / 4 * 100)


def cronbach_alpha(df: pd.DataFrame, dim: str) -> float:
    x = df[[c for c in df.columns if re.fullmatch(f"{dim}_\\d+", c)]].astype(float).dropna()
    k = x.shape[1]
    return float(k / (k - 1) * (1 - x.var().sum() / x.sum(axis=1).var()))


@pytest.fixture(scope="module")
def second_run(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("demo_again")
    make_demo_clients(root)
    return root


# --- folder contract -------------------------------------------------------------------------


def test_profiles_cover_six_sectors_with_distinct_rungs():
    assert len(DEMO_CLIENTS) >= 6
    by_key = {p.key: p for p in DEMO_CLIENTS}
    assert {"retail", "zorg", "horeca", "advocatuur", "bouw", "gemeente"} <= set(by_key)
    assert len({p.sector for p in DEMO_CLIENTS}) == len(DEMO_CLIENTS)
    assert {p.intended_rung for p in DEMO_CLIENTS} == {1, 2, 3, 4, 5}
    assert by_key["retail"].name == "Fietsenwinkel De Trapper"
    assert by_key["bouw"].customer_term == "opdrachtgever"
    for p in DEMO_CLIENTS:
        assert set(p.employee) == set(DIMENSIONS)
        assert set(p.customer) == {d for d in DIMENSIONS if d != "strategy"}


def test_every_client_folder_has_all_inputs(demo_root):
    assert sorted(f.name for f in demo_root.iterdir() if f.is_dir()) == sorted(KEYS)
    suffixes = set()
    for p in DEMO_CLIENTS:
        folder = demo_root / p.key
        assert (folder / "client.yaml").is_file()
        for name in INPUTS:
            files = list(folder.glob(f"{name}.*"))
            assert len(files) == 1, files
        survey = next(folder.glob("customer_survey.*"))
        assert survey.suffix == f".{p.survey_format}"
        suffixes.add(survey.suffix)
        assert not list(folder.glob(".*.tmp"))
    assert suffixes == {".csv", ".xlsx", ".parquet"}


def test_make_demo_clients_returns_the_folders(tmp_path):
    folders = make_demo_clients(tmp_path, clients=["horeca", "bouw"])
    assert folders == [tmp_path / "horeca", tmp_path / "bouw"]
    assert make_demo_clients(tmp_path / "none", clients=[]) == []
    with pytest.raises(KeyError, match="known"):
        make_demo_clients(tmp_path, clients=["bestaat-niet"])


@pytest.mark.parametrize("key", KEYS)
def test_client_yaml(demo_root, key):
    profile = demo.demo_profile(key)
    text = (demo_root / key / "client.yaml").read_text(encoding="utf-8")
    assert text.startswith("# Demo client — fictional organisation, synthetic data.\n")
    cfg = yaml.safe_load(text)
    assert cfg["name"] == profile.name
    assert cfg["sector"] == profile.sector
    assert cfg["customer_term"] == profile.customer_term
    assert cfg["language"] == "nl"
    assert cfg["wave"] == "2026-najaar"
    assert cfg["reference_date"] == date(2026, 10, 31)
    assert isinstance(cfg["customer_survey_invited"], int)
    assert cfg["customer_survey_invited"] >= len(read(demo_root / key, "customer_survey"))
    assert set(cfg["sla"]) == {"first_response_hours", "resolution_hours"}


def test_retail_client_yaml_matches_the_documented_example(demo_root):
    cfg = yaml.safe_load((demo_root / "retail" / "client.yaml").read_text(encoding="utf-8"))
    assert cfg["customer_survey_invited"] == 1500
    assert cfg["sla"] == {"first_response_hours": 8, "resolution_hours": 72}


# --- determinism and size --------------------------------------------------------------------


def test_same_seed_gives_identical_bytes(demo_root, second_run):
    for p in DEMO_CLIENTS:
        for f in sorted((demo_root / p.key).iterdir()):
            assert f.read_bytes() == (second_run / p.key / f.name).read_bytes(), f


def test_a_client_does_not_depend_on_the_others(demo_root, tmp_path):
    (folder,) = make_demo_clients(tmp_path, clients=["gemeente"])
    for f in sorted(folder.iterdir()):
        assert f.read_bytes() == (demo_root / "gemeente" / f.name).read_bytes(), f


def test_another_seed_gives_other_data(demo_root, tmp_path):
    (folder,) = make_demo_clients(tmp_path, seed=7, clients=["retail"])
    other = (demo_root / "retail" / "tickets.csv").read_bytes()
    assert (folder / "tickets.csv").read_bytes() != other


def test_total_size_is_small_enough_to_commit(demo_root):
    total = sum(f.stat().st_size for f in demo_root.rglob("*") if f.is_file())
    assert total < 3_000_000, total


def test_rerun_in_another_format_leaves_one_file_per_input(tmp_path):
    make_demo_clients(tmp_path, clients=["retail"])
    as_parquet = dataclasses.replace(demo.demo_profile("retail"), survey_format="parquet")
    (folder,) = make_demo_clients(tmp_path, clients=[as_parquet])
    assert [f.name for f in folder.glob("customer_survey.*")] == ["customer_survey.parquet"]


# --- columns and values ----------------------------------------------------------------------


@pytest.mark.parametrize("key", KEYS)
def test_customer_survey(demo_root, key):
    profile = demo.demo_profile(key)
    df = read(demo_root / key, "customer_survey")
    assert list(df.columns) == (["respondent_id", "nps", "csat", "ces"] + CUSTOMER_ITEMS
                                + ["segment", "channel", "comment"])
    assert 150 <= len(df) <= 400
    assert df["respondent_id"].is_unique
    assert df["respondent_id"].str.fullmatch(r"R\d{5}").all()
    for col, lo, hi in (("nps", 0, 10), ("csat", 1, 5), ("ces", 1, 7)):
        assert df[col].notna().all()
        assert df[col].between(lo, hi).all() and (df[col] % 1 == 0).all()
    items = df[CUSTOMER_ITEMS].astype(float).to_numpy()
    answered = items[~np.isnan(items)]
    assert ((answered >= 1) & (answered <= 5) & (answered % 1 == 0)).all()
    assert 0.01 < np.isnan(items).mean() < 0.06
    assert 2 <= df["segment"].nunique() <= 4
    assert set(df["segment"]) <= {s for s, _ in profile.segments}
    assert set(df["channel"]) <= CHANNELS
    comments = df["comment"].dropna()
    assert 0 < len(comments) < 0.5 * len(df)
    assert set(comments) <= {text for _, text in demo._REMARKS}


def test_some_comments_carry_personal_data_to_mask(demo_root):
    comments = pd.concat([read(demo_root / k, "customer_survey")["comment"] for k in KEYS]).dropna()
    assert comments.str.contains(r"[\w.]+@[\w.]+\.\w+").any()
    assert comments.str.contains(r"\b06[- ]?\d{8}\b").any()
    assert 25 <= len(demo._REMARKS) <= 40


@pytest.mark.parametrize("key", KEYS)
def test_employee_survey(demo_root, key):
    profile = demo.demo_profile(key)
    df = read(demo_root / key, "employee_survey")
    mirror = [f"mirror_{c}" for c in CUSTOMER_ITEMS] if profile.mirror_items else []
    assert list(df.columns) == ["respondent_id", "department"] + EMPLOYEE_ITEMS + mirror
    assert 25 <= len(df) <= 80
    assert df["respondent_id"].is_unique
    assert df["respondent_id"].str.fullmatch(r"M\d{4}").all()
    sizes = df["department"].value_counts()
    assert 3 <= len(sizes) <= 6
    assert sizes.min() < 5  # so minimum-n suppression has something to hide
    items = df[EMPLOYEE_ITEMS + mirror].astype(float).to_numpy()
    answered = items[~np.isnan(items)]
    assert ((answered >= 1) & (answered <= 5) & (answered % 1 == 0)).all()
    assert 0.005 < np.isnan(items).mean() < 0.06


def test_about_half_of_the_clients_have_mirror_items():
    with_mirror = sum(p.mirror_items for p in DEMO_CLIENTS)
    assert 2 <= with_mirror <= len(DEMO_CLIENTS) - 2


@pytest.mark.parametrize("key", KEYS)
def test_tickets(demo_root, key):
    profile = demo.demo_profile(key)
    df = read(demo_root / key, "tickets")
    customers = read(demo_root / key, "customers")
    assert list(df.columns) == ["ticket_id", "customer_id", "channel", "created_at",
                                "first_response_at", "resolved_at", "reopened", "csat"]
    assert 400 <= len(df) <= 1500
    assert df["ticket_id"].is_unique and df["ticket_id"].str.fullmatch(r"T\d{6}").all()
    assert df["customer_id"].isin(customers["customer_id"]).all()
    assert df["customer_id"].duplicated().any()
    assert set(df["channel"]) == {c for c, _ in profile.channels}
    for col in ("created_at", "first_response_at", "resolved_at"):
        assert df[col].dropna().str.fullmatch(ISO_WITH_OFFSET).all(), col
    created = pd.to_datetime(df["created_at"], utc=True)
    first = pd.to_datetime(df["first_response_at"], utc=True)
    resolved = pd.to_datetime(df["resolved_at"], utc=True)
    assert created.notna().all()
    assert (first.dropna() >= created[first.notna()]).all()
    assert (resolved.dropna() >= created[resolved.notna()]).all()
    assert (resolved.dropna() >= first[resolved.notna()].fillna(created)).all()
    reference_end = pd.Timestamp("2026-11-01", tz="Europe/Amsterdam")
    assert created.max() < reference_end and resolved.max() < reference_end
    assert 0.005 < first.isna().mean() < 0.06
    assert 0.01 < resolved.isna().mean() < 0.10
    assert df["reopened"].dtype == bool
    assert 0 < df["reopened"].mean() < 0.3
    csat = df["csat"].dropna()
    assert csat.between(1, 5).all() and (csat % 1 == 0).all()
    assert 0.5 < df["csat"].isna().mean() < 0.75
    assert df.loc[resolved.isna(), "csat"].isna().all()


@pytest.mark.parametrize("key", KEYS)
def test_repeat_contacts_within_seven_days_exist(demo_root, key):
    df = read(demo_root / key, "tickets")
    df["created"] = pd.to_datetime(df["created_at"], utc=True)
    df = df.sort_values(["customer_id", "created"])
    gap = df.groupby("customer_id")["created"].diff()
    assert (gap <= pd.Timedelta(days=7)).sum() >= 10


@pytest.mark.parametrize("key", KEYS)
def test_customers(demo_root, key):
    profile = demo.demo_profile(key)
    df = read(demo_root / key, "customers")
    assert list(df.columns) == ["customer_id", "segment", "start_date", "end_date"]
    assert 500 <= len(df) <= 2000
    assert df["customer_id"].is_unique and df["customer_id"].str.fullmatch(r"K\d{5}").all()
    assert df["start_date"].str.fullmatch(ISO_DATE).all()
    assert df["end_date"].dropna().str.fullmatch(ISO_DATE).all()
    start, end = pd.to_datetime(df["start_date"]), pd.to_datetime(df["end_date"])
    assert (end.dropna() > start[end.notna()]).all()
    assert set(df["segment"].dropna()) <= {s for s, _ in profile.segments}
    assert df["segment"].notna().mean() == pytest.approx(profile.segment_known_share, abs=0.005)
    ref = pd.Timestamp(profile.reference_date)
    year_ago = ref - pd.Timedelta(days=365)
    cohort = (start <= year_ago) & (end.isna() | (end > year_ago))
    stayed = end.isna() | (end > ref)
    assert stayed[cohort].mean() == pytest.approx(profile.retention, abs=0.01)


# --- calibration of the generator ------------------------------------------------------------


@pytest.mark.parametrize("key", KEYS)
def test_survey_views_follow_the_profile_targets(demo_root, key):
    profile = demo.demo_profile(key)
    customers = read(demo_root / key, "customer_survey")
    employees = read(demo_root / key, "employee_survey")
    for dim, target in profile.customer.items():
        assert view(customers, dim) == pytest.approx(target, abs=4), dim
        assert 0.65 <= cronbach_alpha(customers, dim) <= 0.92, dim
    for dim, target in profile.employee.items():
        assert view(employees, dim) == pytest.approx(target, abs=5), dim
        assert 0.6 <= cronbach_alpha(employees, dim) <= 0.95, dim
    if profile.mirror_items:
        for dim in profile.customer:
            assert view(employees, dim, "mirror_") == pytest.approx(
                profile.employee[dim] - demo._MIRROR_OFFSET, abs=6), dim


def test_blind_spot_and_agreement_examples(demo_root):
    gemeente_e = read(demo_root / "gemeente", "employee_survey")
    gemeente_c = read(demo_root / "gemeente", "customer_survey")
    bouw_e = read(demo_root / "bouw", "employee_survey")
    bouw_c = read(demo_root / "bouw", "customer_survey")
    for dim in demo.demo_profile("gemeente").customer:
        assert view(gemeente_e, dim) - view(gemeente_c, dim) >= 18, dim
    for dim in demo.demo_profile("bouw").customer:
        assert abs(view(bouw_e, dim) - view(bouw_c, dim)) <= 5, dim


def test_nps_and_csat_follow_the_drivers(demo_root):
    df = read(demo_root / "horeca", "customer_survey")
    dims = list(demo.demo_profile("horeca").customer)
    means = pd.DataFrame({d: df[[c for c in CUSTOMER_ITEMS if c.startswith(d + "_")]]
                          .mean(axis=1) for d in dims})
    r = means.corrwith(df["nps"])
    assert r.idxmax() == "experience"
    assert (r > 0.2).all()
    assert df["csat"].corr(means.mean(axis=1)) > 0.4
    bouw = read(demo_root / "bouw", "customer_survey")
    nps = ((bouw["nps"] >= 9).mean() - (bouw["nps"] <= 6).mean()) * 100
    assert nps == pytest.approx(demo.demo_profile("bouw").nps, abs=10)


def test_service_parameters_show_in_the_tickets(demo_root):
    medians = {}
    for key in ("bouw", "advocatuur"):
        df = read(demo_root / key, "tickets")
        created = pd.to_datetime(df["created_at"], utc=True)
        first = pd.to_datetime(df["first_response_at"], utc=True)
        hours = (first - created).dt.total_seconds() / 3600
        medians[key] = hours.median()
        assert hours.median() == pytest.approx(demo.demo_profile(key).first_response_hours, rel=0.1)
    assert medians["advocatuur"] > 10 * medians["bouw"]


# --- profiles and the large client -----------------------------------------------------------


def test_profile_validation():
    retail = demo.demo_profile("retail")
    with pytest.raises(ValueError, match="0-100"):
        dataclasses.replace(retail, customer={**retail.customer, "service": 120})
    with pytest.raises(ValueError, match="retention"):
        dataclasses.replace(retail, retention=1.5)
    with pytest.raises(ValueError, match="survey_format"):
        dataclasses.replace(retail, survey_format="sav")
    incomplete = dataclasses.replace(retail, key="x", employee={"service": 50})
    with pytest.raises(ValueError, match="no target"):
        make_demo_clients(Path("/nonexistent-never-written"), clients=[incomplete])


def test_demo_profiles_can_explain_their_failed_first_contacts():
    # A failed first contact shows as a reopen or a repeat contact (see the module docstring).
    for p in DEMO_CLIENTS:
        assert p.reopen_probability + p.repeat_contact >= (
            (1 - p.fcr_probability) * (1 - p.repeat_contact) - 0.01), p.key


def test_iso_timestamps_match_pandas_around_daylight_saving():
    times = pd.DatetimeIndex(
        ["2026-03-29T00:59:00Z", "2026-03-29T01:00:00Z", "2026-10-25T00:59:59Z",
         "2026-10-25T01:00:00Z", "2024-02-29T23:30:00Z", "1999-12-31T23:00:00Z"]
    ).tz_convert("Europe/Amsterdam")
    arr = pa.array(times.as_unit("s").asi8, type=pa.timestamp("s", tz="Europe/Amsterdam"))
    arr = pa.concat_arrays([arr, pa.nulls(1, arr.type)])
    text = demo._csv_text(arr).to_pylist()
    assert text == [t.isoformat() for t in times] + [""]


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_large_client_row_counts(tmp_path, fmt):
    folder = make_large_client(tmp_path, n_responses=3000, n_tickets=8000, fmt=fmt)
    assert folder == tmp_path / "large"
    assert yaml.safe_load((folder / "client.yaml").read_text(encoding="utf-8"))["name"]
    survey, employees = read(folder, "customer_survey"), read(folder, "employee_survey")
    tickets, customers = read(folder, "tickets"), read(folder, "customers")
    assert {f.suffix for f in folder.iterdir() if f.name != "client.yaml"} == {f".{fmt}"}
    assert len(survey) == 3000 and len(tickets) == 8000
    assert len(employees) == 25 and len(customers) == 2000
    assert list(survey.columns[4:4 + len(CUSTOMER_ITEMS)]) == CUSTOMER_ITEMS
    assert tickets["ticket_id"].is_unique
    assert tickets["customer_id"].isin(customers["customer_id"]).all()
    created = pd.to_datetime(as_text(tickets["created_at"]), utc=True)
    resolved = pd.to_datetime(as_text(tickets["resolved_at"]), utc=True)
    assert (resolved.dropna() >= created[resolved.notna()]).all()
    assert as_text(tickets["created_at"]).str.fullmatch(ISO_WITH_OFFSET).all()


def test_large_client_is_deterministic_and_rejects_unknown_formats(tmp_path):
    a = make_large_client(tmp_path / "a", n_responses=500, n_tickets=1000, seed=3)
    b = make_large_client(tmp_path / "b", n_responses=500, n_tickets=1000, seed=3)
    for f in sorted(a.iterdir()):
        assert f.read_bytes() == (b / f.name).read_bytes(), f
    with pytest.raises(ValueError, match="fmt"):
        make_large_client(tmp_path, n_responses=10, n_tickets=10, fmt="xlsx")


def test_profiles_are_plain_dataclasses():
    assert dataclasses.is_dataclass(DemoProfile)
    assert all(isinstance(p, DemoProfile) for p in DEMO_CLIENTS)
    assert np.isclose(sum(demo.demo_profile("retail").drivers.values()), 1.0)


def test_demo_never_overwrites_data_it_did_not_make(tmp_path):
    """--data pointed at a folder of real clients: a clash is refused before anything is written;
    the demo's own earlier data is regenerated in place, and other files are left alone."""
    from klantladder.errors import UsageError

    real = tmp_path / "klanten" / "retail"
    real.mkdir(parents=True)
    (real / "customer_survey.csv").write_text("respondent_id,nps\nR1,9\n", encoding="utf-8")
    with pytest.raises(UsageError) as err:
        make_demo_clients(tmp_path / "klanten", waves=True)
    assert "retail" in err.value.messages["en"] and "Nothing was changed" in err.value.messages["en"]
    assert sorted(p.name for p in (tmp_path / "klanten").rglob("*")) == ["customer_survey.csv", "retail"]
    assert (real / "customer_survey.csv").read_text(encoding="utf-8") == "respondent_id,nps\nR1,9\n"

    demo = tmp_path / "demo"
    first = make_demo_clients(demo, clients=["retail"])
    (first[0] / "notes.txt").write_text("mine", encoding="utf-8")
    again = make_demo_clients(demo, clients=["retail"])  # its own data: made again
    assert again == first and (first[0] / "notes.txt").read_text(encoding="utf-8") == "mine"
