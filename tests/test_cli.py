"""The command line end to end on demo clients: exit codes, messages, and the SPEC 4.4 fields."""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from klantladder.cli import main
from klantladder.demo import DEMO_CLIENTS

SPEC_KPIS = {"nps", "csat", "ces", "first_response_hours_median", "resolution_hours_median", "fcr_rate",
             "reopen_rate", "repeat_contact_rate", "sla_rate", "retention_12m"}


def _check_scores(doc: dict) -> None:
    for field in ("client_id", "wave", "model_version", "language", "rung", "overall", "dimensions", "kpis",
                  "reliability", "data_quality"):
        assert field in doc, field
    assert set(doc["rung"]) >= {"level", "name", "probabilities", "blocking"}
    assert set(doc["rung"]["probabilities"]) == {"1", "2", "3", "4", "5"}
    assert sum(doc["rung"]["probabilities"].values()) == pytest.approx(1.0, abs=1e-6)
    assert set(doc["overall"]) >= {"score", "ci_low", "ci_high"}
    assert doc["overall"]["ci_low"] <= doc["overall"]["score"] <= doc["overall"]["ci_high"]
    assert len(doc["dimensions"]) == 7
    for d in doc["dimensions"].values():
        assert set(d) >= {"score", "ci_low", "ci_high", "internal", "customer", "kpi", "n_internal", "n_customer"}
        assert d["ci_low"] <= d["score"] <= d["ci_high"]
    assert set(doc["kpis"]) >= SPEC_KPIS
    for k in SPEC_KPIS:
        v = doc["kpis"][k]
        assert v is None or set(v) == {"value", "ci_low", "ci_high", "n"}
    assert set(doc["reliability"]) == {"employee", "customer"}
    for a in doc["reliability"]["employee"].values():
        assert set(a) >= {"alpha", "alpha_std", "n_items", "n"}
    assert set(doc["data_quality"]) >= {"rows_read", "rows_rejected", "warnings"}


@pytest.mark.parametrize("profile", DEMO_CLIENTS, ids=lambda p: p.key)
def test_score_writes_spec_fields_for_every_demo_client(demo_root, tmp_path, profile, capsys):
    out = tmp_path / "s.json"
    assert main(["score", str(demo_root / profile.key), "--out", str(out)]) == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    _check_scores(doc)
    assert doc["rung"]["level"] == profile.intended_rung
    said = capsys.readouterr().out
    assert f"trede {profile.intended_rung}" in said


def test_validate_good_client_exits_0(demo_root, capsys):
    assert main(["validate", str(demo_root / "retail")]) == 0
    assert "In orde" in capsys.readouterr().out


def test_validate_counts_its_warnings_in_words(tmp_path, capsys):
    client = tmp_path / "klant"
    client.mkdir()
    rows = [f"T{i},K{i},2026-01-0{i} 09:00,2026-01-0{i} 10:00,2026-01-0{i} 11:00" for i in range(1, 7)]
    head = "ticket_id,customer_id,created_at,first_response_at,resolved_at"
    (client / "tickets.csv").write_text("\n".join([head, *rows]) + "\n", encoding="utf-8")
    assert main(["--lang", "en", "validate", str(client)]) == 0
    assert capsys.readouterr().out.rstrip().endswith("0 set aside, 0 warnings).")
    (client / "tickets.csv").write_text("\n".join([head, *rows[:5], rows[5].replace(",2026-01-06 11:00", ",")]) + "\n",
                                        encoding="utf-8")
    assert main(["validate", str(client)]) == 0
    assert capsys.readouterr().out.rstrip().endswith("0 apart gezet, 1 waarschuwing).")


def test_validate_bad_client_exits_1_with_a_message_not_a_traceback(tmp_path, capsys):
    client = tmp_path / "kapot"
    client.mkdir()
    (client / "tickets.csv").write_text("ticket_id,created\nT1,2026-01-01\n", encoding="utf-8")
    assert main(["validate", str(client)]) == 1
    err = capsys.readouterr().err
    assert "created_at" in err and "tickets.csv" in err and "Traceback" not in err


def test_missing_folder_and_wrong_usage(tmp_path, capsys):
    assert main(["score", str(tmp_path / "nope")]) == 2
    assert "niet gevonden" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["report", str(tmp_path)])  # --out is required
    assert info.value.code == 2


@pytest.mark.parametrize("command", [["validate"], ["score"], ["report", "--out", "{out}"],
                                     ["batch", "--out", "{out}"]], ids=lambda c: c[0])
def test_a_folder_that_does_not_exist_is_wrong_usage_for_every_command(tmp_path, capsys, command):
    """README: exit 2 for wrong usage. A folder that is not there is that for every command alike
    (``validate`` once said 1 where ``batch`` said 2)."""
    missing = tmp_path / "nietbestaand"
    argv = [command[0], str(missing), *(a.format(out=tmp_path / "uit") for a in command[1:])]
    for lang, said in (("nl", "niet gevonden: "), ("en", "not found: ")):
        assert main(["--lang", lang, *argv]) == 2
        err = capsys.readouterr().err
        assert said in err and "nietbestaand" in err and "Traceback" not in err
    assert not (tmp_path / "uit").exists()


def test_lang_after_the_command_counts_like_before_it(demo_root, capsys, monkeypatch):
    monkeypatch.delenv("KLANTLADDER_LANG", raising=False)
    client = str(demo_root / "bouw")
    assert main(["validate", client, "--lang", "en"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("OK: ")
    assert main(["validate", client, "--taal", "en"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("OK: ")
    assert main(["--lang", "en", "validate", client, "--lang", "nl"]) == 0  # after the command wins
    assert capsys.readouterr().out.splitlines()[-1].startswith("In orde: ")
    assert main(["--lang", "en", "validate", client]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("OK: ")


@pytest.mark.parametrize("argv,env,usage,error", [
    (["report", "klant"], None, "gebruik: klantladder report",
     "klantladder report: fout: verplicht argument ontbreekt: --out. Zie 'klantladder report --help'."),
    (["report", "klant", "--lang", "en"], None, "usage: klantladder report",
     "klantladder report: error: required argument missing: --out. See 'klantladder report --help'."),
    (["validate", "klant", "--bogus"], "en", "usage: klantladder validate",
     "klantladder validate: error: unknown option or argument: --bogus. See 'klantladder validate --help'."),
    (["--taal", "nl", "validate", "klant", "--bogus"], "en", "gebruik: klantladder validate",
     "klantladder validate: fout: onbekende optie of onbekend argument: --bogus. "
     "Zie 'klantladder validate --help'."),
    (["validate"], None, "gebruik: klantladder validate",
     "klantladder validate: fout: verplicht argument ontbreekt: client_dir. Zie 'klantladder validate --help'."),
    (["scoor", "klant"], None, "gebruik: klantladder",
     "klantladder: fout: onbekend commando 'scoor' (kies uit 'init', 'validate', 'score', 'report', 'batch', "
     "'demo'). Zie 'klantladder --help'."),
    ([], "en", "usage: klantladder",
     "klantladder: error: give a command: init, validate, score, report, batch or demo. See 'klantladder --help'."),
    (["batch", "klanten", "--out", "uit", "--workers", "twee"], None, "gebruik: klantladder batch",
     "klantladder batch: fout: --workers verwacht een geheel getal, niet 'twee'. Zie 'klantladder batch --help'."),
    (["report", "klant", "--out"], "en", "usage: klantladder report",
     "klantladder report: error: --out needs a value. See 'klantladder report --help'."),
])
def test_usage_errors_are_said_in_the_users_language(argv, env, usage, error, capsys, monkeypatch):
    _message_language(monkeypatch, env)
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(usage)
    assert err.strip().splitlines()[-1] == error
    assert "Traceback" not in err


def _help(argv, capsys) -> str:
    """What ``--help`` prints (it exits 0), its lines joined: wrapping depends on the terminal's width."""
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 0
    out = capsys.readouterr().out
    return " ".join(out.split())


def _message_language(monkeypatch, env: str | None) -> None:
    """``KLANTLADDER_LANG`` set to ``env``, or unset for None."""
    if env is None:
        monkeypatch.delenv("KLANTLADDER_LANG", raising=False)
    else:
        monkeypatch.setenv("KLANTLADDER_LANG", env)


@pytest.mark.parametrize("argv,env", [(["--help"], None), (["validate", "--help"], None),
                                      (["--help", "--taal", "nl"], "en"), (["batch", "--help"], None)])
def test_help_is_dutch_by_default(argv, env, capsys, monkeypatch):
    _message_language(monkeypatch, env)
    out = _help(argv, capsys)
    assert out.startswith("gebruik: klantladder")
    assert " argumenten: " in out and " opties: " in out and "toon deze hulp en stop" in out
    assert "taal van meldingen en rapporten" in out
    assert "options:" not in out and "positional arguments:" not in out and "usage:" not in out
    assert "show this help" not in out and "language of messages" not in out
    if argv[0] == "--help":
        assert "maak een klantmap aan" in out and "controleer de invoer van een klant" in out
        assert "toon het versienummer en stop" in out and "scaffold a client folder" not in out
    elif argv[0] == "batch":
        assert "--out MAP" in out and "alleen HTML, geen PDF" in out and "maak ook ongewijzigde klanten" in out


@pytest.mark.parametrize("argv,env", [(["--lang", "en", "--help"], None), (["--help"], "en"),
                                      (["--help", "--lang", "en"], "nl"), (["--taal", "en", "--help"], None)])
def test_help_in_english(argv, env, capsys, monkeypatch):
    _message_language(monkeypatch, env)
    out = _help(argv, capsys)
    assert out.startswith("usage: klantladder")
    assert "scoring and reporting" in out and "scaffold a client folder" in out
    assert " positional arguments: " in out and " options: " in out and "show this help message" in out
    assert "opties:" not in out and "argumenten:" not in out and "gebruik:" not in out
    assert "maak een klantmap aan" not in out


def test_a_commands_help_in_english(capsys, monkeypatch):
    monkeypatch.delenv("KLANTLADDER_LANG", raising=False)
    out = _help(["batch", "--help", "--lang", "en"], capsys)
    assert out.startswith("usage: klantladder batch")
    assert " options: " in out and "show this help message and exit" in out
    assert "folder for the reports, manifest.json and portfolio.html" in out and "HTML only, no PDF" in out
    assert "redo unchanged clients too" in out and "--timeout SECONDS" in out
    assert "opties:" not in out and "toon deze hulp" not in out and "alleen HTML" not in out


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_help_explains_every_argument_of_every_command(lang):
    """README: `klantladder <command> --help` describes every option, in either language."""
    from klantladder.cli import build_parser

    parser = build_parser(lang)
    for name, command in parser.parse_args(["init", "x"]).commands.items():
        for action in command._actions:
            assert action.help, (lang, name, action.option_strings or action.dest)


def test_english_messages(demo_root, tmp_path, capsys):
    assert main(["--lang", "en", "score", str(demo_root / "bouw"), "--out", str(tmp_path / "s.json")]) == 0
    assert "rung 5" in capsys.readouterr().out
    assert json.loads((tmp_path / "s.json").read_text())["language"] == "en"


def test_init_scaffolds_a_folder_that_validates_once_filled(tmp_path, demo_root, capsys):
    client = tmp_path / "nieuw"
    assert main(["init", str(client)]) == 0
    assert (client / "client.yaml").is_file()
    assert (client / "templates" / "customer_survey.xlsx").is_file()
    assert main(["init", str(client)]) == 1  # never overwrites
    # Copy a demo survey into the scaffold: it validates.
    (client / "customer_survey.csv").write_bytes((demo_root / "retail" / "customer_survey.csv").read_bytes())
    assert main(["validate", str(client)]) == 0


def test_console_script_runs_as_a_process(demo_root, tmp_path):
    exe = Path(sys.executable).with_name("klantladder")
    out = tmp_path / "s.json"
    proc = subprocess.run([str(exe), "score", str(demo_root / "zorg"), "--out", str(out)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    _check_scores(json.loads(out.read_text(encoding="utf-8")))


def test_report_end_to_end(demo_root, tmp_path):
    out = tmp_path / "rapport"
    assert main(["report", str(demo_root / "horeca"), "--out", str(out)]) == 0
    for name in ("report.html", "report.pdf", "scores.json", "scores.xlsx", "assessment.ipynb"):
        assert (out / name).is_file(), name
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Hotel De Zilte Zeemeeuw" in html and "Klantvriendelijk" in html
    assert "<script" not in html and "Traceback" not in html and "nb.show" not in html
    assert (out / "report.pdf").read_bytes()[:4] == b"%PDF"


def test_report_with_paths_relative_to_the_working_folder(demo_root, tmp_path, monkeypatch, capsys):
    """As a consultant types it: ``klantladder report demo/bouw --out rapport`` from a folder of
    their own (the notebook runs elsewhere, so the paths handed to it must not be relative)."""
    shutil.copytree(demo_root / "bouw", tmp_path / "demo" / "bouw")
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "demo/bouw"]) == 0
    said = capsys.readouterr().out
    assert re.search(r"\(\d{1,3}\.\d{3} rijen gelezen, 0 apart gezet", said), said  # Dutch thousands
    assert main(["report", "demo/bouw", "--out", "rapport", "--no-pdf"]) == 0
    assert (tmp_path / "rapport" / "report.html").is_file() and not (tmp_path / "rapport" / "failed").exists()
    assert not list(tmp_path.glob(".rapport*"))  # no staging folder left behind


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_report_never_replaces_a_folder_or_file_it_did_not_write(demo_root, tmp_path, monkeypatch, capsys):
    """--out is replaced whole; pointed by mistake at the client folder, the working folder, a file
    or a folder with other contents, nothing is touched and the message says what to do."""
    client = tmp_path / "bouw"
    shutil.copytree(demo_root / "bouw", client)
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "agenda.docx").write_bytes(b"mine")
    (tmp_path / "notes" / "failed").mkdir()  # a name klantladder also uses: still not ours to delete
    (tmp_path / "notes" / "failed" / "keep.txt").write_text("mine", encoding="utf-8")
    (tmp_path / "only-failed" / "failed").mkdir(parents=True)  # nothing but a name of ours, holding a file of theirs
    (tmp_path / "only-failed" / "failed" / "keep.txt").write_text("mine", encoding="utf-8")
    before = _snapshot(tmp_path)
    monkeypatch.chdir(tmp_path)
    for out in ("bouw", ".", "bouw/client.yaml", "notes", "only-failed"):
        assert main(["report", "bouw", "--out", out, "--no-pdf"]) == 2, out
        said = capsys.readouterr()
        assert "Er is niets veranderd" in said.err + said.out and "Traceback" not in said.err, out
    assert _snapshot(tmp_path) == before
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging or old folders


def test_report_replaces_its_own_earlier_report_and_names_a_missing_client(demo_root, tmp_path, capsys):
    out = tmp_path / "rapport"
    assert main(["report", str(demo_root / "bouw"), "--out", str(out), "--no-pdf"]) == 0
    (out / "failed").mkdir()  # as a failed earlier attempt leaves it
    assert main(["report", str(demo_root / "bouw"), "--out", str(out), "--no-pdf"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["assessment.ipynb", "rejects.csv", "report.html", "scores.json",
                                                      "scores.xlsx"]
    capsys.readouterr()
    assert main(["report", str(tmp_path / "nietbestaand"), "--out", str(tmp_path / "x")]) == 2
    said = capsys.readouterr()
    assert "Klantmap niet gevonden" in said.err + said.out and "Onverwachte fout" not in said.err + said.out
    assert not (tmp_path / "x").exists()


def test_score_never_overwrites_an_input_file_but_does_its_own_scores(demo_root, tmp_path, capsys):
    client = tmp_path / "bouw"
    shutil.copytree(demo_root / "bouw", client)
    before = _snapshot(client)
    for target in (client / "customers.csv", client / "client.yaml", client):
        assert main(["score", str(client), "--out", str(target)]) == 2, target
        assert "Er is niets veranderd" in capsys.readouterr().err
    assert _snapshot(client) == before
    out = tmp_path / "scores.json"
    assert main(["score", str(client), "--out", str(out)]) == 0
    first = out.read_bytes()
    assert main(["score", str(client), "--out", str(out)]) == 0  # its own earlier scores: replaced
    assert json.loads(out.read_bytes()) == json.loads(first)


def test_score_into_an_existing_folder_writes_the_clients_scores_file_there(demo_root, tmp_path, capsys):
    client = tmp_path / "bouw"
    shutil.copytree(demo_root / "bouw", client)
    results = tmp_path / "resultaten"
    results.mkdir()
    assert main(["score", str(client), "--out", str(results)]) == 0
    assert [p.name for p in results.iterdir()] == ["bouw-scores.json"]
    assert json.loads((results / "bouw-scores.json").read_text("utf-8"))["name"] == "Bouwbedrijf Stevig"
    before = _snapshot(client)
    assert main(["score", str(client), "--out", str(client)]) == 2  # never among the client's inputs
    assert _snapshot(client) == before


def test_score_from_inside_the_client_folder_writes_beside_it(demo_root, tmp_path, monkeypatch, capsys):
    """``klantladder score .`` (typed in the client folder) writes ``<client>-scores.json`` in the
    folder above, as the help says, not into the client's own folder among its inputs."""
    client = tmp_path / "bouw"
    shutil.copytree(demo_root / "bouw", client)
    before = _snapshot(client)
    monkeypatch.chdir(client)
    assert main(["score", "."]) == 0
    assert (tmp_path / "bouw-scores.json").is_file()
    assert _snapshot(client) == before


def test_validate_from_inside_the_client_folder_names_its_files_by_the_folder(tmp_path, monkeypatch, capsys):
    """``klantladder validate .`` names a file as ``<client>/tickets.csv``, as it does for a
    folder given by name, not as ``/tickets.csv``."""
    client = tmp_path / "klant"
    client.mkdir()
    rows = [f"T{i},K{i},2026-01-0{i} 09:00,2026-01-0{i} 10:00,2026-01-0{i} 11:00" for i in range(1, 7)]
    rows[5] = rows[5].replace(",2026-01-06 11:00", ",")  # one ticket still open: a warning on its row
    head = "ticket_id,customer_id,created_at,first_response_at,resolved_at"
    (client / "tickets.csv").write_text("\n".join([head, *rows]) + "\n", encoding="utf-8")
    monkeypatch.chdir(client)
    assert main(["validate", "."]) == 0
    said = capsys.readouterr()
    assert "[unresolved_ticket] klant/tickets.csv, kolom 'resolved_at', rijen 7" in said.out + said.err
    assert " /tickets.csv" not in said.out + said.err


@pytest.mark.parametrize("lang, where", [("nl", "klant/client.yaml, sleutel 'min_group_size'"),
                                         ("en", "klant/client.yaml, key 'min_group_size'")])
def test_a_bad_setting_is_named_as_a_key_of_client_yaml_not_a_column(tmp_path, capsys, lang, where):
    client = tmp_path / "klant"
    client.mkdir()
    (client / "client.yaml").write_text("name: Klant\nmin_group_size: 3\n", encoding="utf-8")
    assert main(["--lang", lang, "validate", str(client)]) == 1
    err = capsys.readouterr().err
    assert f"[client_yaml] {where}: " in err


def test_an_input_file_without_read_permission_is_named_with_what_to_do(tmp_path, capsys, monkeypatch):
    """A file the account may not read is an unreadable_file finding with the fix, in the user's
    language, not the system's "(Permission denied)"."""
    import builtins

    client = tmp_path / "klant"
    client.mkdir()
    rows = [f"T{i},K{i},2026-01-0{i} 09:00,2026-01-0{i} 10:00,2026-01-0{i} 11:00" for i in range(1, 7)]
    (client / "tickets.csv").write_text("\n".join(["ticket_id,customer_id,created_at,first_response_at,resolved_at",
                                                   *rows]) + "\n", encoding="utf-8")
    real_open = builtins.open

    def refusing_open(file, *args, **kwargs):  # what the system says to an account without read rights
        if str(file).endswith("tickets.csv"):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", refusing_open)
    assert main(["validate", str(client)]) == 1
    err = capsys.readouterr().err
    assert ("[unreadable_file] klant/tickets.csv: klantladder mag het bestand niet lezen (geen leesrechten). Geef "
            "uw account leesrechten op het bestand") in err
    assert "Permission denied" not in err and "Traceback" not in err


def test_a_file_given_for_the_client_folder_is_named_as_such(demo_root, tmp_path, capsys):
    client = tmp_path / "bouw"
    shutil.copytree(demo_root / "bouw", client)
    assert main(["--lang", "en", "score", str(client / "tickets.csv")]) == 2  # wrong usage, as a missing folder
    err = capsys.readouterr().err
    assert "is a file; give the client's folder" in err and str(client) in err
    assert main(["validate", str(client / "tickets.csv")]) == 2
    assert "is een bestand; geef de map van de klant" in capsys.readouterr().err


def _read_only_folder(folder: Path) -> Path:
    """``folder`` made with mode 0o500 (read and enter, not write); the test is skipped where that
    does not stop a write (as root, whom permissions do not bind)."""
    folder.mkdir()
    folder.chmod(0o500)
    try:
        (folder / "probe").touch()
    except PermissionError:
        return folder
    (folder / "probe").unlink()
    folder.chmod(0o700)
    pytest.skip(f"writing into a 0o500 folder is not refused here (euid {os.geteuid()})")


@pytest.mark.parametrize("command", [["score", "{client}", "--out", "{ro}/scores.json"],
                                     ["score", "{client}", "--out", "{ro}/nieuw/scores.json"],
                                     ["report", "{client}", "--out", "{ro}/rapport", "--no-pdf"],
                                     ["batch", "{root}", "--out", "{ro}/batch", "--no-pdf", "--quiet"],
                                     ["init", "{ro}/nieuwe-klant"]],
                         ids=["score", "score-new-folder", "report", "batch", "init"])
def test_an_output_folder_without_write_rights_is_named_with_what_to_do(demo_root, tmp_path, capsys, command):
    root = tmp_path / "klanten"
    shutil.copytree(demo_root / "bouw", root / "bouw")
    ro = _read_only_folder(tmp_path / "alleen-lezen")
    try:
        argv = [a.format(client=root / "bouw", root=root, ro=ro) for a in command]
        for lang in ("nl", "en"):
            assert main(["--lang", lang, *argv]) == 1
            err = capsys.readouterr().err
            assert "Traceback" not in err and "Permission denied" not in err and "Errno" not in err
            if lang == "nl":
                assert f"Kan niet schrijven in de map '{ro}': u mag daar niet schrijven" in err
                assert "een andere map waarin u wel mag schrijven, of pas de rechten van deze map aan." in err
            else:
                assert f"Cannot write in the folder '{ro}': you may not write there" in err
                assert "Choose another folder you can write to" in err and "fix this folder's permissions." in err
        assert list(ro.iterdir()) == []
    finally:
        ro.chmod(0o700)


def test_a_read_only_output_folder_is_named_without_the_system_text(demo_root, tmp_path, capsys, monkeypatch):
    """A folder that refuses a write for another reason than its mode (a read-only disk, a locked
    folder: "Operation not permitted") gets the same message: the folder, and what to do."""
    import klantladder.outputs as outputs

    out = tmp_path / "gedeeld" / "scores.json"
    out.parent.mkdir()

    def refuse(data, path):
        raise PermissionError(errno.EPERM, os.strerror(errno.EPERM), str(path.with_name(f".{path.name}.tmp")))

    monkeypatch.setattr(outputs, "write_json", refuse)
    assert main(["--lang", "en", "score", str(demo_root / "bouw"), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.strip() == (f"Cannot write in the folder '{out.parent}': you may not write there (or it is read-only). "
                           "Choose another folder you can write to with --out, or fix this folder's permissions.")
    assert main(["score", str(demo_root / "bouw"), "--out", str(out)]) == 1
    assert capsys.readouterr().err.strip() == (
        f"Kan niet schrijven in de map '{out.parent}': u mag daar niet schrijven (of de map is alleen-lezen). Kies "
        "met --out een andere map waarin u wel mag schrijven, of pas de rechten van deze map aan.")


def test_a_permission_problem_elsewhere_is_not_blamed_on_the_output_folder(demo_root, tmp_path, capsys, monkeypatch):
    import klantladder.outputs as outputs

    elsewhere = demo_root / "bouw" / "tickets.csv"

    def refuse(data, path):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(elsewhere))

    monkeypatch.setattr(outputs, "write_json", refuse)
    assert main(["--lang", "en", "score", str(demo_root / "bouw"), "--out", str(tmp_path / "scores.json")]) == 1
    err = capsys.readouterr().err
    assert f"Cannot read or write '{elsewhere}'" in err and "Cannot write in the folder" not in err


def test_python_dash_m_runs_the_command_line(tmp_path):
    """``python -m klantladder`` works where the ``klantladder`` script is not on the PATH
    (a Windows user's venv, a notebook's ``!python -m``): same output and exit codes."""
    done = subprocess.run([sys.executable, "-m", "klantladder", "--lang", "en", "validate", str(tmp_path / "none")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "Folder not found" in done.stderr and "Traceback" not in done.stderr
