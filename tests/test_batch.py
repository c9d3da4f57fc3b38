"""``klantladder batch``: isolation, manifest, incremental runs, crash safety, Dask, portfolio.

Most tests use a small report notebook of their own (``--notebook``) so they test the batch, not
the report; the Dask test and the portfolio test use the real ones.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from klantladder import forkserver
from klantladder.batch import (LOCK_FILE, MANIFEST, PORTFOLIO_HTML, clean_leftovers, discover, job_hash,
                               run_batch)
from klantladder.cli import main
from klantladder.errors import UsageError

REPORT_FILES = {"report.html", "report.pdf", "scores.json", "scores.xlsx", "assessment.ipynb", "rejects.csv"}


def _small_notebook(path: Path) -> Path:
    """A report notebook with the real one's parameters that fails for a client called
    ``kapot-notebook`` (after a first cell ran)."""
    nb = new_notebook(cells=[
        new_code_cell('client_dir = "."\nassessment_file = None\nlanguage = None', metadata={"tags": ["parameters"]}),
        new_code_cell("from pathlib import Path\nfrom IPython.display import HTML, display\n"
                      "from klantladder import handoff\na = handoff.load(assessment_file)\n"
                      "display(HTML(f'<h1>{a.config.name}</h1><p>rung {a.rung.level}</p>'))"),
        new_code_cell("if Path(client_dir).name == 'kapot-notebook':\n"
                      "    raise RuntimeError('opzettelijke fout in het notebook')"),
        new_code_cell("display(HTML(f'<p>overall {a.overall.value:.1f}</p>'))"),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(path))
    return path


def _clients(demo_root: Path, root: Path, names: dict[str, str]) -> Path:
    """``names``: new folder name -> demo client to copy."""
    root.mkdir(parents=True, exist_ok=True)
    for new, old in names.items():
        shutil.copytree(demo_root / old, root / new)
    return root


def _manifest(out: Path) -> dict:
    return json.loads((out / MANIFEST).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def failing_batch(demo_root, tmp_path_factory):
    """Two good clients, two with a bad client.yaml (broken YAML; a date that does not exist), one
    whose notebook fails; run once with 2 workers."""
    base = tmp_path_factory.mktemp("batch")
    root = _clients(demo_root, base / "clients", {"advocatuur": "advocatuur", "bouw": "bouw",
                                                   "kapot-notebook": "advocatuur", "kapot-invoer": "bouw",
                                                   "kapotte-datum": "bouw"})
    (root / "kapot-invoer" / "client.yaml").write_text("name: [niet afgesloten\n", encoding="utf-8")
    (root / "kapotte-datum" / "client.yaml").write_text("name: Kapot\nreference_date: 2026-02-30\n", encoding="utf-8")
    nb = _small_notebook(base / "small.ipynb")
    out = base / "out"
    return root, out, nb


@pytest.mark.slow
def test_a_failing_client_is_recorded_and_the_others_finish(failing_batch, capsys):
    root, out, nb = failing_batch
    code = main(["batch", str(root), "--out", str(out), "--workers", "2", "--notebook", str(nb), "--quiet",
                 "--no-portfolio"])
    captured = capsys.readouterr()
    assert code == 1
    assert "Traceback" not in captured.err + captured.out
    assert "kapot-invoer" in captured.err and "kapot-notebook" in captured.err and "kapotte-datum" in captured.err
    assert "2 gelukt, 3 mislukt" in captured.out
    m = _manifest(out)
    clients = m["clients"]
    assert {k: v["status"] for k, v in clients.items()} == {
        "advocatuur": "ok", "bouw": "ok", "kapot-notebook": "failed", "kapot-invoer": "failed",
        "kapotte-datum": "failed"}
    assert m["summary"] == {"ok": 2, "failed": 3, "skipped": 0,
                            "failed_clients": ["kapot-invoer", "kapot-notebook", "kapotte-datum"]}
    for key in ("advocatuur", "bouw"):
        e = clients[key]
        assert set(e["files"]) == REPORT_FILES and e["error"] is None
        assert all((out / key / f).is_file() for f in REPORT_FILES)
        assert e["input_hash"] and e["model_version"] and e["package_version"] and e["duration"] > 0
        assert any(p.endswith("customer_survey.csv") for p in e["inputs"])
        # Two workers: their warm kernels come from the batch's kernel server, also the one
        # that replaced the kernel of the failed notebook.
        assert e["kernel"]["forked"] is forkserver.available()
    bad_input = clients["kapot-invoer"]
    assert "client.yaml" in bad_input["error"] and "Traceback" not in bad_input["error"]
    assert not (out / "kapot-invoer" / "failed").exists()  # nothing ran: no notebook to keep
    bad_date = clients["kapotte-datum"]["error"]  # named as such, not an unexpected error
    assert "'reference_date'" in bad_date and "de datum '2026-02-30' bestaat niet" in bad_date
    bad_nb = clients["kapot-notebook"]
    assert "opzettelijke fout" in bad_nb["error"] and "RuntimeError" in bad_nb["error"]
    kept = out / "kapot-notebook" / "failed" / "assessment.ipynb"
    assert bad_nb["failed_notebook"] == str(kept)
    partial = nbformat.read(str(kept), as_version=4)
    errors = [o for c in partial.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors and errors[0]["evalue"] == "opzettelijke fout in het notebook"
    assert any(o.get("output_type") == "display_data" for c in partial.cells for o in c.get("outputs", []))
    assert "opzettelijke fout" in (out / "kapot-notebook" / "failed" / "error.txt").read_text(encoding="utf-8")
    assert not (out / "kapot-notebook" / "report.html").exists()
    assert not list(out.glob(".*partial*"))


@pytest.mark.slow
def test_an_unchanged_rerun_is_skipped_and_changes_are_redone(failing_batch):
    root, out, nb = failing_batch
    if not (out / MANIFEST).is_file():
        run_batch(root, out, workers=1, notebook=nb, portfolio=False)
    report = out / "advocatuur" / "report.html"
    stamp = report.stat().st_mtime_ns
    again = run_batch(root, out, workers=1, notebook=nb, portfolio=False)
    assert sorted(again.skipped) == ["advocatuur", "bouw"]
    assert sorted(again.failed) == ["kapot-invoer", "kapot-notebook", "kapotte-datum"]  # always retried
    # ... and retried for real: what the failed attempt left (failed/) does not block the next one.
    assert "opzettelijke fout" in again.manifest["clients"]["kapot-notebook"]["error"]
    assert again.done == [] and again.exit_code == 1
    assert report.stat().st_mtime_ns == stamp

    # Touched but not changed: still skipped (the content hash decides), new mtime remembered.
    survey = root / "bouw" / "customer_survey.csv"
    os.utime(survey, ns=(time.time_ns(), time.time_ns() + 10**9))
    r = run_batch(root, out, workers=1, notebook=nb, portfolio=False, only=["advocatuur", "bouw"])
    assert sorted(r.skipped) == ["advocatuur", "bouw"]
    assert _manifest(out)["clients"]["bouw"]["inputs"][str(survey.resolve())]["mtime_ns"] == survey.stat().st_mtime_ns

    # A changed input is redone, alone.
    yaml_file = root / "bouw" / "client.yaml"
    yaml_file.write_text(yaml_file.read_text(encoding="utf-8").replace("name:", "name: Nieuw", 1)
                         if "name:" in yaml_file.read_text(encoding="utf-8") else "name: Nieuw\n", encoding="utf-8")
    r = run_batch(root, out, workers=1, notebook=nb, portfolio=False, only=["advocatuur", "bouw"])
    assert r.done == ["bouw"] and r.skipped == ["advocatuur"]

    # --force redoes; --only with an unknown client is wrong usage.
    r = run_batch(root, out, workers=1, notebook=nb, portfolio=False, only=["advocatuur"], force=True)
    assert r.done == ["advocatuur"] and r.skipped == []
    with pytest.raises(UsageError) as unknown:
        run_batch(root, out, workers=1, notebook=nb, portfolio=False, only=["bestaat-niet"])
    assert unknown.value.messages["en"].endswith(": bestaat-niet. Clients in this folder: " + ", ".join(
        sorted(p.name for p in root.iterdir() if p.is_dir())) + ".")
    with pytest.raises(UsageError) as typo:  # a typing error gets the name meant
        run_batch(root, out, workers=1, notebook=nb, portfolio=False, only=["avocatuur"])
    assert typo.value.messages["nl"].endswith(": avocatuur. Bedoelt u advocatuur?")
    # Another report parameter (no PDF) is another report.
    r = run_batch(root, out, workers=1, notebook=nb, portfolio=False, only=["advocatuur"], params={"pdf": False})
    assert r.done == ["advocatuur"]


@pytest.mark.slow
def test_a_client_that_failed_succeeds_into_the_same_folder_once_repaired(demo_root, tmp_path):
    root = _clients(demo_root, tmp_path / "c", {"kapot-notebook": "advocatuur"})
    out = tmp_path / "out"
    nb = _small_notebook(tmp_path / "small.ipynb")
    assert run_batch(root, out, workers=1, notebook=nb, portfolio=False, params={"pdf": False}).failed
    assert {p.name for p in (out / "kapot-notebook" / "failed").iterdir()} == {"assessment.ipynb", "error.txt"}
    repaired = nbformat.read(str(nb), as_version=4)
    repaired.cells = [c for c in repaired.cells if "raise" not in c.source]
    nbformat.write(repaired, str(nb))
    r = run_batch(root, out, workers=1, notebook=nb, portfolio=False, params={"pdf": False})
    assert r.done == ["kapot-notebook"] and r.exit_code == 0
    assert (out / "kapot-notebook" / "report.html").is_file()
    assert not (out / "kapot-notebook" / "failed").exists()  # gone once the client succeeds


def test_hashing_is_cheap_no_notebook_or_model_machinery(demo_root, tmp_path):
    code = (
        "import sys, json\n"
        "from klantladder.batch import discover, job_hash\n"
        f"jobs = discover({str(demo_root)!r}, {str(tmp_path / 'out')!r})\n"
        "hashes = [job_hash(j, {})[0] for j in jobs]\n"
        "heavy = [m for m in ('nbformat', 'papermill', 'nbclient', 'jupyter_client', 'weasyprint', 'pandas',"
        " 'matplotlib', 'jupyterlab', 'klantladder.assess') if m in sys.modules]\n"
        "print(json.dumps({'n': len(hashes), 'unique': len(set(hashes)), 'heavy': heavy}))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    result = json.loads(proc.stdout)
    assert result["n"] == result["unique"] >= 6
    assert result["heavy"] == []


def test_the_hash_follows_inputs_model_and_parameters(demo_root, tmp_path):
    root = _clients(demo_root, tmp_path / "c", {"zorg": "zorg"})
    (job,) = discover(root, tmp_path / "out")
    h, version, inputs = job_hash(job, {})
    assert version and len(inputs) >= 3
    assert job_hash(job, {}, inputs)[0] == h  # reused digests give the same hash
    assert job_hash(job, {"language": "en"})[0] != h
    assert job_hash(job, {"pdf": False})[0] != h
    assert job_hash(job, {"message_language": "en", "timeout": 5})[0] == h  # not report parameters
    with open(root / "zorg" / "tickets.csv", "a", encoding="utf-8") as fh:
        fh.write("\n")
    assert job_hash(job, {}, inputs)[0] != h


def test_the_hash_follows_the_package_code_under_the_same_version(demo_root, tmp_path, monkeypatch):
    """A checkout updated in place keeps its version number: a changed text or module of the
    package still makes every client's report due again (and an unchanged one does not)."""
    import klantladder.batch as batch_module

    root = _clients(demo_root, tmp_path / "c", {"zorg": "zorg"})
    (job,) = discover(root, tmp_path / "out")
    package = tmp_path / "package"
    shutil.copytree(batch_module.PACKAGE_ROOT / "texts", package / "texts")
    (package / "sections.py").write_text("TITLE = 'Samenvatting'\n", encoding="utf-8")
    monkeypatch.setattr(batch_module, "PACKAGE_ROOT", package)
    h = job_hash(job, {})[0]
    assert job_hash(job, {})[0] == h
    (package / "sections.py").write_text("TITLE = 'Kort'\n", encoding="utf-8")
    h2 = job_hash(job, {})[0]
    assert h2 != h
    report = package / "texts" / "report.yaml"
    report.write_text(report.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    h3 = job_hash(job, {})[0]
    assert h3 not in (h, h2)
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "sections.cpython-311.pyc").write_bytes(b"compiled")  # not source: no change
    (package / "notes.txt").write_text("not part of the package's code", encoding="utf-8")
    assert job_hash(job, {})[0] == h3


def test_folders_with_the_same_safe_name_fail_instead_of_overwriting_each_other(demo_root, tmp_path):
    root = _clients(demo_root, tmp_path / "c", {"Klant A": "zorg", "Klant-A": "bouw", "café": "zorg",
                                                  "Ünal & Zn": "bouw"})
    out = tmp_path / "out"
    assert {j.key: j.problem is not None for j in discover(root, out)} == {
        "Klant-A": True, "cafe": False, "Unal-Zn": False}
    r = run_batch(root, out, workers=1, params={"pdf": False}, portfolio=False, only=["Klant A", "Klant-A"])
    assert r.failed == ["Klant-A"] and r.done == [] and r.exit_code == 1
    error = _manifest(out)["clients"]["Klant-A"]["error"]
    assert "'Klant A'" in error and "'Klant-A'" in error and "dezelfde uitvoermap" in error
    assert not (out / "Klant-A").exists()


def test_an_output_folder_inside_a_client_folder_is_refused_before_anything_is_written(demo_root, tmp_path):
    """--out inside a client's folder (or a client's folder of waves) would put reports, a manifest
    and the portfolio among that client's inputs: wrong usage, nothing written; a new folder
    beside the clients is fine."""
    root = _clients(demo_root, tmp_path / "clients", {"bouw": "bouw", "zorg": "zorg"})
    (root / "multi" / "2026").mkdir(parents=True)
    shutil.copytree(demo_root / "bouw", root / "multi" / "2026", dirs_exist_ok=True)
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    for out, client in ((root / "bouw", "bouw"), (root / "zorg" / "rapport", "zorg"), (root / "multi" / "uit", "multi")):
        with pytest.raises(UsageError) as refused:
            run_batch(root, out, workers=1, params={"pdf": False}, portfolio=False)
        assert f"--out lies inside the client folder {client} ({out})" in refused.value.messages["en"]
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before
    r = run_batch(root, root / "rapporten", workers=1, params={"pdf": False}, portfolio=False, only=["bouw"])
    assert r.done == ["bouw"]


def test_discover_waves_only_and_safe_names(demo_root, tmp_path):
    root = _clients(demo_root, tmp_path / "c", {"a b&c": "zorg"})
    (root / "multi" / "2025").mkdir(parents=True)
    (root / "multi" / "2026").mkdir(parents=True)
    for w in ("2025", "2026"):
        for f in (demo_root / "bouw").iterdir():
            shutil.copy(f, root / "multi" / w / f.name)
    out = tmp_path / "out"
    jobs = discover(root, out)
    assert [j.key for j in jobs] == ["a-b-c", "multi/2025", "multi/2026"]
    assert jobs[0].out_dir == out.resolve() / "a-b-c"
    assert jobs[1].siblings == (root.resolve() / "multi" / "2026",)
    assert [j.key for j in discover(root, out, only=["multi/2026"])] == ["multi/2026"]
    assert [j.key for j in discover(root, out, only=["multi"])] == ["multi/2025", "multi/2026"]
    # the output folder inside the input root is not a client
    assert [j.key for j in discover(root, root / "a b&c")] == ["multi/2025", "multi/2026"]


def test_leftovers_of_a_killed_run_are_cleaned_and_a_replaced_report_restored(tmp_path):
    out = tmp_path / "out"
    (out / ".zorg.partial-abc123").mkdir(parents=True)
    (out / ".zorg.partial-abc123" / "report.pdf").write_bytes(b"%PDF-1.7 half")
    (out / ".bouw.old-4242").mkdir()
    (out / ".bouw.old-4242" / "report.html").write_text("old but whole")
    (out / "retail").mkdir()
    (out / ".retail.old-99").mkdir()
    (out / "multi" / ".2026.partial-x").mkdir(parents=True)
    (out / f".{MANIFEST}.tmp").write_text("{")
    (out / ".keep-me").write_text("not ours")
    done = clean_leftovers(out)
    assert not (out / ".zorg.partial-abc123").exists() and not (out / "multi" / ".2026.partial-x").exists()
    assert (out / "bouw" / "report.html").read_text() == "old but whole"
    assert not (out / ".retail.old-99").exists() and (out / "retail").is_dir()
    assert not (out / f".{MANIFEST}.tmp").exists() and (out / ".keep-me").exists()
    assert len(done) == 5


def test_one_batch_at_a_time_per_output_folder(demo_root, tmp_path):
    fcntl = pytest.importorskip("fcntl")
    root = _clients(demo_root, tmp_path / "c", {"zorg": "zorg"})
    out = tmp_path / "out"
    out.mkdir()
    with open(out / LOCK_FILE, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        with pytest.raises(UsageError, match="Another batch"):
            run_batch(root, out)


def test_cli_usage_errors_exit_2_without_traceback(tmp_path, capsys):
    assert main(["batch", str(tmp_path / "missing"), "--out", str(tmp_path / "o")]) == 2
    with pytest.raises(SystemExit) as e:
        main(["batch", str(tmp_path), "--out", str(tmp_path / "o"), "--workers", "0"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "Map niet gevonden" in err and "Traceback" not in err


def _wait_for(predicate, timeout: float, step: float = 0.05) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(step)
    return False


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def _eight_clients_batch(demo_root: Path, tmp_path: Path, *options: str) -> tuple[dict[str, str], Path, list[str]]:
    """Eight small clients and the command line of a 2-worker batch over them with the small notebook."""
    names = {f"klant-{i:02d}": "advocatuur" if i % 2 else "bouw" for i in range(8)}
    root = _clients(demo_root, tmp_path / "clients", names)
    nb = _small_notebook(tmp_path / "small.ipynb")
    out = tmp_path / "out"
    exe = Path(sys.executable).with_name("klantladder")
    return names, out, [str(exe), "batch", str(root), "--out", str(out), "--workers", "2", "--notebook", str(nb),
                        "--quiet", "--no-portfolio", *options]


def _ok_count(out: Path) -> int:
    """Reports the manifest records as made (0 while there is none to read)."""
    try:
        return sum(e["status"] == "ok" for e in _manifest(out)["clients"].values())
    except (OSError, ValueError, KeyError):
        return 0


@pytest.mark.slow
def test_kill_9_during_a_batch_then_a_rerun_completes_it(demo_root, tmp_path):
    names, out, cmd = _eight_clients_batch(demo_root, tmp_path)
    done_count = partial(_ok_count, out)

    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        assert _wait_for(lambda: done_count() >= 1, 120), "the batch made no report in time"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    finished_before = done_count()
    assert proc.returncode == -signal.SIGKILL and finished_before < len(names)
    # The workers notice their parent is gone and stop (their kernels follow them).
    assert _wait_for(lambda: not _group_alive(proc.pid), 15, 0.2), "worker processes outlived the batch"

    # Whatever is in the output folder now is whole or hidden: no visible half report.
    for d in (p for p in out.iterdir() if p.is_dir() and not p.name.startswith(".")):
        assert REPORT_FILES <= {f.name for f in d.iterdir()}, d

    rerun = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    m = _manifest(out)
    assert m["summary"]["ok"] + m["summary"]["skipped"] == len(names)
    assert m["summary"]["skipped"] >= finished_before
    assert all(e["status"] == "ok" for e in m["clients"].values())
    for key in names:
        d = out / key
        assert REPORT_FILES <= {f.name for f in d.iterdir()}
        assert (d / "report.pdf").read_bytes().rstrip().endswith(b"%%EOF")
        assert (d / "report.html").read_text(encoding="utf-8").rstrip().endswith("</html>")
        json.loads((d / "scores.json").read_text(encoding="utf-8"))
        nbformat.read(str(d / "assessment.ipynb"), as_version=4)
    assert not [p for p in out.rglob(".*") if ".partial-" in p.name or ".old-" in p.name]


@pytest.mark.slow
def test_ctrl_c_during_a_batch_stops_it_keeps_what_is_finished_and_says_so(demo_root, tmp_path):
    names, out, cmd = _eight_clients_batch(demo_root, tmp_path, "--no-pdf")
    done_count = partial(_ok_count, out)

    # A process started in the background of a shell inherits SIGINT ignored: give it the default.
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        assert _wait_for(lambda: done_count() >= 1, 120), "the batch made no report in time"
        proc.send_signal(signal.SIGINT)  # what Ctrl-C sends (the workers ignore it; the batch decides)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130
    assert "Traceback" not in err and "Onderbroken" in err and "Onverwachte" not in err
    assert _wait_for(lambda: not _group_alive(proc.pid), 15, 0.2), "worker processes outlived the batch"
    # Every report the batch had received is in the manifest (and whole); at most one per worker
    # can have been moved into place in the instant before, on its way back: the re-run redoes it.
    made = {d.name for d in out.iterdir() if d.is_dir() and not d.name.startswith(".")}
    recorded = {k for k, e in _manifest(out)["clients"].items() if e["status"] == "ok"}
    assert recorded <= made and len(made - recorded) <= 2 and 1 <= len(recorded) < len(names)
    for key in made:
        assert {"report.html", "scores.json", "assessment.ipynb"} <= {f.name for f in (out / key).iterdir()}
    rerun = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    m = _manifest(out)
    assert m["summary"]["skipped"] == len(recorded) and m["summary"]["ok"] == len(names) - len(recorded)


@pytest.mark.slow
def test_local_cluster_run_equals_local_run_and_portfolio_is_anonymous(demo_root, tmp_path):
    pytest.importorskip("distributed")
    root = _clients(demo_root, tmp_path / "clients", {"advocatuur": "advocatuur", "bouw": "bouw", "zorg": "zorg"})
    local = run_batch(root, tmp_path / "local", workers=1, params={"pdf": False})
    dask = run_batch(root, tmp_path / "dask", workers=2, scheduler="local", params={"pdf": False}, portfolio=False)
    assert local.exit_code == dask.exit_code == 0
    assert sorted(local.done) == sorted(dask.done) == ["advocatuur", "bouw", "zorg"]
    m = _manifest(tmp_path / "dask")
    assert m["scheduler"] == "local"
    assert len({e["worker"] for e in m["clients"].values()}) >= 1
    for c in local.done:
        a, b = tmp_path / "local" / c, tmp_path / "dask" / c
        assert json.loads((a / "scores.json").read_text()) == json.loads((b / "scores.json").read_text())
        assert (a / "report.html").read_text(encoding="utf-8") == (b / "report.html").read_text(encoding="utf-8")
        assert _manifest(tmp_path / "local")["clients"][c]["input_hash"] == m["clients"][c]["input_hash"]

    # The portfolio overview of the local run: every client, none by name.
    page = (tmp_path / "local" / PORTFOLIO_HTML).read_text(encoding="utf-8")
    assert "Organisatie A" in page and "Organisatie C" in page and "Organisatie D" not in page
    import yaml

    names = [yaml.safe_load((root / c / "client.yaml").read_text(encoding="utf-8"))["name"] for c in local.done]
    from html import escape

    for name in names + ["advocatuur", "zorg"]:
        assert name not in page and escape(name) not in page, name
    assert _manifest(tmp_path / "local")["portfolio"]["status"] == "ok"
    # Unchanged: not rendered again.
    stamp = (tmp_path / "local" / PORTFOLIO_HTML).stat().st_mtime_ns
    again = run_batch(root, tmp_path / "local", workers=1, params={"pdf": False})
    assert sorted(again.skipped) == ["advocatuur", "bouw", "zorg"]
    assert (tmp_path / "local" / PORTFOLIO_HTML).stat().st_mtime_ns == stamp
    # For internal use, with names.
    from klantladder.portfolio_report import render_portfolio

    named = render_portfolio(tmp_path / "local", tmp_path / "named.html", show_names=True)
    assert all(escape(n) in named.read_text(encoding="utf-8") for n in names)


def test_portfolio_loader_anonymises_and_pools_small_sectors(demo_root, tmp_path):
    from klantladder.portfolio_report import clients_html, label_for, load_portfolio, sectors_html

    out = tmp_path / "out"
    docs = {"a": ("zorg", 80.0, 4), "b": ("zorg", 60.0, 3), "c": ("zorg", 40.0, 2), "d": ("bouw", 70.0, 3)}
    for key, (sector, score, rung) in docs.items():
        (out / key).mkdir(parents=True)
        (out / key / "scores.json").write_text(json.dumps({
            "client_id": key, "name": f"Bedrijf {key.upper()} BV", "sector": sector, "wave": "w1",
            "model_version": "2026.1", "rung": {"level": rung}, "overall": {"score": score},
            "dimensions": {"service": {"score": score}}}), encoding="utf-8")
    p = load_portfolio(out)
    assert list(p.table["label"]) == [label_for(i) for i in range(4)] == [
        "Organisatie A", "Organisatie B", "Organisatie C", "Organisatie D"]
    assert list(p.table["overall"]) == [80.0, 70.0, 60.0, 40.0]  # lettered by score, not by name
    from klantladder.config import sector_label

    groups = dict(zip(p.table["client"], p.table["group"]))
    assert groups == {"a": sector_label("zorg", "nl"), "b": sector_label("zorg", "nl"), "c": sector_label("zorg", "nl"),
                      "d": "Overige sectoren"}  # a sector of one would name its client
    html = clients_html(p) + sectors_html(p)
    assert "Bedrijf" not in html and sector_label("bouw", "nl") not in html
    assert label_for(26) == "Organisatie AA"
    named = load_portfolio(out, show_names=True)
    assert "Bedrijf A BV" in clients_html(named)


def test_batch_refuses_its_input_folder_as_output_and_a_folder_without_clients(demo_root, tmp_path, capsys):
    """Pointed at the wrong folder, a batch says so (exit 2) instead of reporting zero clients done,
    and writes nothing."""
    root = tmp_path / "klanten"
    shutil.copytree(demo_root / "bouw", root / "bouw")
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    assert main(["batch", str(root), "--out", str(root), "--quiet"]) == 2
    assert "--out is de map met de klanten zelf" in capsys.readouterr().err
    assert main(["batch", str(root / "bouw"), "--out", str(tmp_path / "uit"), "--quiet"]) == 2
    assert "klantladder report" in capsys.readouterr().err  # a single client folder: the other command
    (tmp_path / "leeg").mkdir()
    with pytest.raises(UsageError) as err:
        run_batch(tmp_path / "leeg", tmp_path / "uit2", workers=1, portfolio=False)
    assert "No client folders found" in err.value.messages["en"]
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before + [Path("leeg")]


def test_input_files_beside_wave_folders_fail_that_client_with_a_message(demo_root, tmp_path):
    """A client folder with the current measurement at the top and an earlier one in a wave folder:
    the top files would silently not count, so that client fails and says why; its wave is still
    reported, like every other client."""
    root = tmp_path / "klanten"
    shutil.copytree(demo_root / "bouw", root / "bouw")
    shutil.copytree(demo_root / "bouw", root / "bouw" / "2025")
    shutil.copytree(demo_root / "advocatuur", root / "advocatuur")
    nb = _small_notebook(tmp_path / "small.ipynb")
    r = run_batch(root, tmp_path / "uit", workers=1, notebook=nb, portfolio=False)
    assert r.failed == ["bouw"] and sorted(r.done) == ["advocatuur", "bouw/2025"] and r.exit_code == 1
    error = _manifest(tmp_path / "uit")["clients"]["bouw"]["error"]
    assert "customer_survey.csv" in error and "2025" in error and "wave" in error
    assert (tmp_path / "uit" / "bouw" / "2025" / "report.html").is_file()
