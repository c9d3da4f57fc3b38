"""Kernels forked by a batch's kernel server: set up as a new kernel would be, the same reports as
fresh kernels, and gone with the batch."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import papermill as pm
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from klantladder import engine, forkserver

pytestmark = pytest.mark.skipif(not forkserver.available(), reason="kernels are forked on POSIX systems only")

FACTS = """import json, os, sys
facts = {"cwd": os.getcwd(), "argv0": os.path.basename(sys.argv[0]), "argv": sys.argv[1:] != [],
         "path0": sys.path[0], "mark": os.environ.get("KL_FORK_TEST"), "own_group": os.getpgid(0) == os.getpid(),
         "own_session": os.getsid(0) == os.getpid(), "parent": os.getppid(), "pid": os.getpid(),
         "stdin": os.path.realpath("/proc/self/fd/0") if os.path.exists("/proc/self/fd/0") else None}
json.dump(facts, open(out_file, "w"))"""


def _notebook(path: Path, code: str) -> Path:
    nb = new_notebook(cells=[new_code_cell("out_file = ''", metadata={"tags": ["parameters"]}), new_code_cell(code)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(path))
    return path


def _facts(nb: Path, out: Path, server: str | None) -> dict:
    """Run ``nb`` on a new warm kernel, forked by ``server`` (or started the ordinary way)."""
    engine.shutdown_all()
    engine.use_kernel_server(server)
    try:
        pm.execute_notebook(str(nb), str(out.with_suffix(".ipynb")), parameters={"out_file": str(out)},
                            engine_name=engine.ENGINE, progress_bar=False, cwd=str(nb.parent))
    finally:
        engine.use_kernel_server(None)
        engine.shutdown_all()
    return json.loads(out.read_text())


def _wait_for(predicate, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_a_forked_kernel_is_set_up_as_a_new_kernel_would_be(tmp_path, monkeypatch):
    nb = _notebook(tmp_path / "facts.ipynb", FACTS)
    monkeypatch.setenv("KL_FORK_TEST", "ja")  # the worker's environment at the kernel's start
    with forkserver.KernelServer(engine.preload_modules(nb), cwd=tmp_path / "..") as server:
        forked = _facts(nb, tmp_path / "forked.json", server.address)
        assert forked["parent"] == server.process.pid  # really forked by the server
    ordinary = _facts(nb, tmp_path / "ordinary.json", None)
    assert ordinary["parent"] == os.getpid()
    assert forked["stdin"] in (None, os.devnull)  # not the server's terminal or pipe
    for facts in (forked, ordinary):
        del facts["parent"], facts["pid"], facts["stdin"]
    assert forked == ordinary
    assert forked["cwd"] == str(tmp_path) != forked["path0"] and forked["mark"] == "ja"  # the cwd is not on the path
    assert forked["own_group"] and forked["own_session"] and forked["argv0"] == "ipykernel_launcher.py"


def test_kernels_start_the_ordinary_way_without_a_server(tmp_path):
    nb = _notebook(tmp_path / "facts.ipynb", FACTS)
    start = time.monotonic()
    facts = _facts(nb, tmp_path / "gone.json", str(tmp_path / "no-such-folder" / "s"))
    assert facts["parent"] == os.getpid() and time.monotonic() - start < 30
    assert not engine.last_run()["forked"]


def test_forked_kernel_reports_equal_fresh_kernel_reports(demo_root, tmp_path):
    """The report of a forked warm kernel is the report of a brand-new kernel: same scores, same
    HTML, same notebook outputs."""
    from klantladder.paths import ASSESSMENT_NOTEBOOK
    from klantladder.report import make_report

    clients = ["advocatuur", "gemeente"]
    with forkserver.KernelServer(engine.preload_modules(ASSESSMENT_NOTEBOOK), cwd=ASSESSMENT_NOTEBOOK.parent) as server:
        engine.shutdown_all()
        engine.use_kernel_server(server.address)
        try:
            for c in clients:
                make_report(demo_root / c, tmp_path / "forked" / c, pdf=False, engine=engine.ENGINE, kernel_max_uses=50)
                assert engine.last_run()["forked"]
        finally:
            engine.use_kernel_server(None)
            engine.shutdown_all()
    for c in clients:
        make_report(demo_root / c, tmp_path / "fresh" / c, pdf=False, engine=engine.FRESH_ENGINE)
    for c in clients:
        forked, fresh = tmp_path / "forked" / c, tmp_path / "fresh" / c
        assert json.loads((forked / "scores.json").read_text()) == json.loads((fresh / "scores.json").read_text())
        assert (forked / "report.html").read_text(encoding="utf-8") == (fresh / "report.html").read_text(encoding="utf-8")
        f, n = (nbformat.read(str(d / "assessment.ipynb"), as_version=4) for d in (forked, fresh))
        assert [c.get("outputs") for c in f.cells] == [c.get("outputs") for c in n.cells]


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc")
def test_the_server_and_its_kernels_end_with_the_batch(tmp_path):
    """A server whose batch is killed (kill -9) stops within a second or so and takes its kernels along."""
    script = tmp_path / "batch.py"
    script.write_text(
        "import sys, time\n"
        "from klantladder import engine, forkserver\n"
        "server = forkserver.KernelServer(['pandas'], cwd=sys.argv[1])\n"
        "engine.use_kernel_server(server.address)\n"
        "k = engine.start_kernel('python3', sys.argv[1], warm=True)\n"
        "print(server.process.pid, k.km.provisioner.process.pid, server.address, flush=True)\n"
        "time.sleep(120)\n")
    batch = subprocess.Popen([sys.executable, str(script), str(tmp_path)], stdout=subprocess.PIPE, text=True,
                             start_new_session=True)
    try:
        server_pid, kernel, address = batch.stdout.readline().split()
        server_pid, kernel = int(server_pid), int(kernel)
        assert forkserver._running(server_pid) and forkserver._running(kernel)
        assert kernel in _children(server_pid)
        os.kill(batch.pid, signal.SIGKILL)
        batch.wait(timeout=10)
        assert _wait_for(lambda: not forkserver._running(server_pid), 10), "the server outlived its batch"
        assert _wait_for(lambda: not forkserver._running(kernel), 10), "a kernel outlived its batch"
        assert not Path(address).parent.exists()  # nor is its socket's folder left behind
    finally:
        if batch.poll() is None:
            batch.kill()
