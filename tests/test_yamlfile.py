"""klantladder.yamlfile: libyaml's parser where available, with the Python parser's results and messages."""

from __future__ import annotations

import datetime as dt
from importlib import resources

import pytest
import yaml

from klantladder import yamlfile

PACKAGED = sorted(p for folder in ("texts", "models")
                  for p in (resources.files("klantladder") / folder).iterdir() if p.name.endswith(".yaml"))


@pytest.mark.parametrize("path", PACKAGED, ids=lambda p: p.name)
def test_packaged_files_read_as_the_python_parser_reads_them(path):
    text = path.read_text("utf-8")
    assert yamlfile.safe_load(text) == yaml.safe_load(text)


def test_scalars_and_dates_as_safe_load_builds_them():
    text = "a: 2026-03-01\nb: 1.5e3\nc: 'x: y'\nd: [1, ~, true, no]\ne: 010\nf: .inf\n"
    assert yamlfile.safe_load(text) == yaml.safe_load(text)


def test_a_syntax_error_carries_the_python_parsers_message():
    bad = "name: Klant\nsector: [retail\nwave: 1\n"
    with pytest.raises(yaml.YAMLError) as expected:
        yaml.safe_load(bad)
    with pytest.raises(yaml.YAMLError) as got:
        yamlfile.safe_load(bad)
    assert str(got.value) == str(expected.value)
    assert "sector: [retail" in str(got.value)  # the offending line, as the Python parser shows it


def test_no_python_objects(monkeypatch):
    with pytest.raises(yaml.YAMLError):
        yamlfile.safe_load("x: !!python/object/apply:os.system ['true']\n")


def test_without_libyaml_the_python_parser_reads(monkeypatch):
    monkeypatch.setattr(yamlfile, "_FAST_LOADER", None)
    text = (resources.files("klantladder") / "texts" / "sectors.yaml").read_text("utf-8")
    assert yamlfile.safe_load(text) == yaml.safe_load(text)


def test_libyaml_is_used_when_pyyaml_has_it(monkeypatch):
    if getattr(yaml, "CSafeLoader", None) is None:
        pytest.skip("PyYAML built without libyaml")
    calls = []
    real = yaml.load
    monkeypatch.setattr(yaml, "load", lambda text, Loader: calls.append(Loader) or real(text, Loader=Loader))
    yamlfile.safe_load("a: 1\n")
    assert calls == [yaml.CSafeLoader]


def test_settings_keep_a_date_that_does_not_exist_as_its_text(monkeypatch):
    """client.yaml: ``2026-02-30`` is left to the setting to name; real dates are dates as before."""
    text = "a: 2026-02-30\nb: 2026-02-28\nc: [2026-13-01, 1.5]\nd: 2026-02-28T10:00:00Z\n"
    expected = {"a": "2026-02-30", "b": dt.date(2026, 2, 28), "c": ["2026-13-01", 1.5],
                "d": yaml.safe_load("d: 2026-02-28T10:00:00Z")["d"]}
    assert yamlfile.load_settings(text) == expected
    monkeypatch.setattr(yamlfile, "_FAST_SETTINGS", None)  # the Python parser reads the same
    assert yamlfile.load_settings(text) == expected


@pytest.mark.parametrize("fast", [True, False], ids=["libyaml", "python"])
def test_settings_name_every_key_written_twice_with_its_lines(monkeypatch, fast):
    if not fast:
        monkeypatch.setattr(yamlfile, "_FAST_SETTINGS", None)
    text = "sla:\n  a: 1\nname: X\nsla:\n  b: 2\nsources:\n  tickets:\n    file: x\n    file: y\n    file: z\n"
    with pytest.raises(yamlfile.DuplicateKeyError) as info:
        yamlfile.load_settings(text)
    assert info.value.duplicates == [yamlfile.DuplicateKey("sla", (1, 4)),
                                     yamlfile.DuplicateKey("sources.tickets.file", (8, 9, 10))]


def test_settings_allow_a_merged_key_to_be_overridden_and_an_alias_to_repeat():
    text = "base: &b {a: 1}\nclient:\n  <<: *b\n  a: 2\nagain: *b\n"
    assert yamlfile.load_settings(text) == yaml.safe_load(text) == {"base": {"a": 1}, "client": {"a": 2},
                                                                  "again": {"a": 1}}
