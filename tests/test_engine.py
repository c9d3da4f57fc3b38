"""The warm-kernel papermill engine: registration, reset, replacement, identical outputs, IPC.

A warm kernel is only worth having if nothing of one report reaches the next: the central test
runs reports on one kernel after a notebook that deliberately dirties every kind of state a
notebook can touch, and compares scores, report HTML and notebook outputs with brand-new kernels.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import time
from pathlib import Path

import nbformat
import papermill as pm
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from klantladder import engine
from klantladder.paths import ASSESSMENT_NOTEBOOK


def _notebook(path: Path, *cells: str, parameters: str = "x = 1") -> Path:
    nb = new_notebook(cells=[new_code_cell(parameters, metadata={"tags": ["parameters"]})]
                      + [new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(path))
    return path


def _run(src: Path, dst: Path, engine_name: str = engine.ENGINE, **kw) -> nbformat.NotebookNode:
    return pm.execute_notebook(str(src), str(dst), engine_name=engine_name, progress_bar=False,
                               cwd=str(src.parent), **kw)


@pytest.mark.parametrize("first", ["klantladder.engine", "papermill"])
def test_the_papermill_command_finds_the_engines_through_its_entry_point(tmp_path, first):
    """Whichever is imported first, papermill's entry point and klantladder's own registration
    agree: the ``papermill`` command runs a notebook on the klantladder engine."""
    import subprocess
    import sys

    probe = subprocess.run([sys.executable, "-c", f"import {first}; import papermill.engines as pe; "
                            "print(pe.papermill_engines.get_engine('klantladder-fresh').execute_notebook.__qualname__)"],
                           capture_output=True, text=True, timeout=120)
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip().endswith("execute_notebook")
    src = _notebook(tmp_path / "in.ipynb", "print(x * 2)")
    exe = Path(sys.executable).with_name("papermill")
    run = subprocess.run([str(exe), str(src), str(tmp_path / "out.ipynb"), "--engine", "klantladder-fresh",
                          "-p", "x", "21", "--no-progress-bar"], capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr
    out = nbformat.read(str(tmp_path / "out.ipynb"), as_version=4)
    assert "42" in "".join(o.get("text", "") for c in out.cells for o in c.get("outputs", []))


def test_engines_are_registered_with_papermill():
    from papermill.engines import papermill_engines

    assert papermill_engines.get_engine("klantladder") is engine.WarmKernelEngine
    assert papermill_engines.get_engine("klantladder-fresh") is engine.FreshKernelEngine


def test_notebook_imports_are_found_for_preloading():
    nb = nbformat.read(str(ASSESSMENT_NOTEBOOK), as_version=4)
    names = engine.notebook_imports(nb)
    assert "klantladder" in names and "klantladder.nb" in names
    nb = new_notebook(cells=[new_code_cell("%matplotlib inline\nimport numpy as np, pandas\n"
                                           "from scipy import stats\nfrom . import local\n!ls"),
                             new_code_cell("def f(:\n  broken")])
    assert engine.notebook_imports(nb) == ["numpy", "pandas", "scipy", "scipy.stats"]


def test_state_does_not_leak_and_counts_restart(tmp_path):
    """Globals, modules, matplotlib, pandas, warnings, environment and cwd are reset; In [1] again."""
    src = _notebook(tmp_path / "dirty.ipynb", "\n".join([
        "import os, sys, warnings, random",
        "import numpy as np, pandas as pd, matplotlib",
        "leak = 'x'",
        "matplotlib.rcParams['lines.linewidth'] = 9",
        "pd.set_option('display.max_rows', 3)",
        "np.set_printoptions(precision=1)",
        "np.random.seed(1); random.seed(1)",
        "warnings.simplefilter('error')",
        "os.environ['KLANTLADDER_LEAK'] = '1'",
        "os.chdir('/')",
        "sys.path.insert(0, '/nowhere')",
        "import klantladder.i18n as i18n; i18n.LEAKED = True",
        "import matplotlib.pyplot as plt; plt.bar(['a', 'b'], [1, 2])",
    ]))
    check = _notebook(tmp_path / "check.ipynb", "\n".join([
        "import os, sys, warnings, random",
        "import numpy as np, pandas as pd, matplotlib",
        "import klantladder.i18n as i18n",
        "print(json.dumps({'leak': 'leak' in globals(), 'lw': matplotlib.rcParams['lines.linewidth'],",
        "  'rows': pd.get_option('display.max_rows'), 'prec': np.get_printoptions()['precision'],",
        "  'filters': warnings.filters[:1] == [('error', None, Warning, None, 0)],",
        "  'env': 'KLANTLADDER_LEAK' in os.environ, 'cwd': os.getcwd(), 'path': '/nowhere' in sys.path,",
        "  'module': hasattr(i18n, 'LEAKED'), 'rand': [random.random(), float(np.random.random())]}))",
        "import matplotlib.pyplot as plt; plt.bar(['a', 'b'], [1, 2]); plt.close('all')",  # converters intact
    ]), parameters="import json")
    fresh = _run(check, tmp_path / "fresh.ipynb", engine.FRESH_ENGINE)
    # A kernel first prepared for a notebook that imports nothing, then dirtied by another.
    engine.shutdown_all()
    _run(_notebook(tmp_path / "plain.ipynb", "y = 2"), tmp_path / "plain-out.ipynb", kernel_max_uses=50)
    before = engine.kernel_stats()["reused"]
    _run(src, tmp_path / "dirty-out.ipynb", kernel_max_uses=50)
    warm = _run(check, tmp_path / "warm.ipynb", kernel_max_uses=50)
    assert engine.kernel_stats()["reused"] > before  # the same kernel, reset
    f, w = (json.loads(nb.cells[-1].outputs[0]["text"]) for nb in (fresh, warm))
    assert w["cwd"] == str(tmp_path) == f["cwd"]
    assert w["rand"] != [0.13436424411240122, 0.417022004702574]  # not the seeds the dirty notebook set
    for k in ("leak", "lw", "rows", "prec", "filters", "env", "path", "module"):
        assert w[k] == f[k], k
    assert [c.execution_count for c in warm.cells] == [c.execution_count for c in fresh.cells] == [1, 2]


def test_kernel_is_replaced_after_an_error_and_after_max_uses(tmp_path):
    ok = _notebook(tmp_path / "ok.ipynb", "import os\nprint(os.getpid())")
    bad = _notebook(tmp_path / "bad.ipynb", "raise ValueError('kapot')")

    def pid(nb):
        return int(nb.cells[-1].outputs[0]["text"])

    engine.shutdown_all()
    a = pid(_run(ok, tmp_path / "1.ipynb", kernel_max_uses=2))
    b = pid(_run(ok, tmp_path / "2.ipynb", kernel_max_uses=2))
    c = pid(_run(ok, tmp_path / "3.ipynb", kernel_max_uses=2))
    assert a == b != c  # two notebooks per kernel
    with pytest.raises(pm.PapermillExecutionError, match="kapot"):
        _run(bad, tmp_path / "4.ipynb", kernel_max_uses=2)
    d = pid(_run(ok, tmp_path / "5.ipynb", kernel_max_uses=2))
    assert d != c  # a fresh kernel after the error
    assert engine.last_run()["kernel_use"] == 1
    # the partial notebook was written despite request_save_on_cell_execute=False
    failed = nbformat.read(str(tmp_path / "4.ipynb"), as_version=4)
    assert any(o.get("ename") == "ValueError" for c in failed.cells for o in c.get("outputs", []))


def test_a_kernel_that_dies_in_a_notebook_fails_it_quickly_and_the_next_gets_a_new_one(tmp_path):
    ok = _notebook(tmp_path / "ok.ipynb", "import os\nprint(os.getpid())")
    dies = _notebook(tmp_path / "dies.ipynb", "import os\nos._exit(3)")
    engine.shutdown_all()
    before = int(_run(ok, tmp_path / "1.ipynb").cells[-1].outputs[0]["text"])
    start = time.monotonic()
    with pytest.raises(Exception, match="(?i)dead|died"):
        _run(dies, tmp_path / "2.ipynb")
    assert time.monotonic() - start < 30  # noticed by the manager, not by a cell timeout
    after = int(_run(ok, tmp_path / "3.ipynb").cells[-1].outputs[0]["text"])
    assert after != before and engine.last_run()["kernel_use"] == 1


def test_a_failed_kernel_start_is_retried(monkeypatch):
    real = engine._Kernel.ready
    calls = {"n": 0}

    def flaky(self, timeout):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("Address already in use (simulated)")
        return real(self, timeout)

    monkeypatch.setattr(engine._Kernel, "ready", flaky)
    k = engine.start_kernel("python3")
    try:
        assert calls["n"] == 2 and k.alive()
    finally:
        k.shutdown()


def _start_and_run(barrier, queue) -> None:  # in a child process
    try:
        barrier.wait(timeout=60)
        k = engine.start_kernel("python3", timeout=120)
        try:
            msg_id = k.kc.execute("6 * 7", silent=False, store_history=False)
            reply = engine._run_sync(k._wait_reply(msg_id, 60))
            queue.put(("ok", reply["status"], k.km.transport, k.km.connection_file))
        finally:
            k.shutdown()
    except BaseException as exc:  # pragma: no cover - reported to the test
        queue.put(("error", f"{type(exc).__name__}: {exc}", None, None))


@pytest.mark.slow
@pytest.mark.parametrize("transport", ["ipc", "tcp"])
def test_many_parallel_kernel_starts_without_a_port_clash(transport, capfd, monkeypatch):
    """Twelve kernels started at the same moment from twelve processes all come up (papermill
    issue 511, "Address already in use"): on Linux over IPC sockets, with no TCP warning from
    the kernels; over TCP (Windows) a start that loses the race for a port is retried."""
    if transport == "ipc" and os.name != "posix":
        pytest.skip("IPC sockets need a POSIX system")
    monkeypatch.setenv("KLANTLADDER_KERNEL_TRANSPORT", transport)
    n = 12
    ctx = mp.get_context("fork")
    barrier, queue = ctx.Barrier(n), ctx.Queue()
    procs = [ctx.Process(target=_start_and_run, args=(barrier, queue)) for _ in range(n)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=240) for _ in range(n)]
    for p in procs:
        p.join(timeout=60)
    assert [r[0] for r in results] == ["ok"] * n, results
    assert all(r[1] == "ok" for r in results)
    assert {r[2] for r in results} == {transport}
    assert len({r[3] for r in results}) == n  # every kernel its own connection
    if transport == "ipc":
        err = capfd.readouterr().err
        assert "without encryption" not in err and "Address already in use" not in err


@pytest.mark.slow
def test_warm_kernel_reports_equal_fresh_kernel_reports(demo_root, tmp_path):
    """Same scores, same report HTML, same notebook outputs as a brand-new kernel per report,
    also right after a notebook that dirtied the kernel."""
    from klantladder.report import make_report

    clients = ["advocatuur", "bouw"]
    dirty = _notebook(tmp_path / "dirty.ipynb", "\n".join([
        "import matplotlib, matplotlib.pyplot as plt, seaborn as sns, pandas as pd, numpy as np, warnings",
        "sns.set_theme(style='dark', palette='Set2', font_scale=2)",
        "matplotlib.rcParams.update({'font.size': 30, 'svg.hashsalt': 'other'})",
        "pd.set_option('display.precision', 1); np.random.seed(0); warnings.simplefilter('ignore')",
        "fig = plt.figure(); plt.plot([1, 2])",
        "import klantladder.i18n as i18n; i18n.texts.cache_clear() if hasattr(i18n.texts, 'cache_clear') else None",
    ]))
    _run(dirty, tmp_path / "dirty-out.ipynb", kernel_max_uses=50)
    for c in clients:
        make_report(demo_root / c, tmp_path / "warm" / c, pdf=False, engine=engine.ENGINE, kernel_max_uses=50)
        assert engine.last_run()["kernel_use"] > 1  # really on a used kernel
    for c in clients:
        make_report(demo_root / c, tmp_path / "fresh" / c, pdf=False, engine=engine.FRESH_ENGINE)
        assert engine.last_run()["kernel_use"] == 1
    for c in clients:
        warm, fresh = tmp_path / "warm" / c, tmp_path / "fresh" / c
        assert json.loads((warm / "scores.json").read_text()) == json.loads((fresh / "scores.json").read_text())
        assert (warm / "report.html").read_text(encoding="utf-8") == (fresh / "report.html").read_text(encoding="utf-8")
        w, f = (nbformat.read(str(d / "assessment.ipynb"), as_version=4) for d in (warm, fresh))
        assert len(w.cells) == len(f.cells)
        for cw, cf in zip(w.cells, f.cells):
            if cw.cell_type != "code":
                continue
            assert cw.execution_count == cf.execution_count
            keep = [o for o in cw.outputs if o.get("name") != "stderr"], [o for o in cf.outputs if o.get("name") != "stderr"]
            assert keep[0] == keep[1]


def test_a_warm_kernel_that_cannot_be_prepared_falls_back_to_fresh_kernels(tmp_path, monkeypatch, caplog):
    ok = _notebook(tmp_path / "ok.ipynb", "print('ran')")
    monkeypatch.setattr(engine, "_warm_disabled", False)
    monkeypatch.setattr(engine, "_preload_code", lambda modules, env: "raise ImportError('preload kapot')")
    engine.shutdown_all()
    nb = _run(ok, tmp_path / "1.ipynb")
    assert nb.cells[-1].outputs[0]["text"] == "ran\n"
    assert engine._warm_disabled and "preload kapot" in caplog.text
    engine.shutdown_all()
