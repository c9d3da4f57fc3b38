"""Papermill engines that run notebooks on a warm kernel that is reset between notebooks.

A fresh Jupyter kernel per report costs seconds (start the process, import pandas, matplotlib,
seaborn, statsmodels ...) before the first cell runs. The ``klantladder`` engine keeps one kernel
per worker thread, with the notebook's imports already loaded, and between two notebooks resets
everything a notebook can change:

* the user namespace, the output cache and the execution counter (``InteractiveShell.reset`` with
  a new session: the next notebook starts at ``In [1]``);
* every ``klantladder`` module and every module imported from outside the Python installation
  (project code next to a notebook) is dropped from ``sys.modules`` and imported afresh by the
  next notebook, so module-level caches and registries start empty;
* matplotlib (figures closed, ``rcParams`` and the unit registry restored), pandas options,
  NumPy print and error settings, the ``random`` and NumPy global random state (reseeded from
  the OS, as in a new process), ``warnings`` filters and the once-only warning registries,
  logging's root logger, IPython display formatters and event callbacks, ``os.environ``,
  ``sys.path``, ``sys.argv``, the ``decimal`` context and the working directory.

Third-party modules stay imported: that is the point. A kernel is replaced by a fresh one after
any error (a failing cell, a failing reset, a dead kernel; the replacement starts at once, so it
boots while the caller exports) and after ``kernel_max_uses`` notebooks (the next notebook starts
it). ``klantladder-fresh`` is the same engine with a brand-new kernel per notebook (started ahead,
while the previous report is exported) and no preloading: outputs identical to papermill's
default engine, for checking and debugging. If a warm kernel cannot be prepared at all, the
engine says so in the log and falls back to fresh kernels.

Kernels talk over IPC sockets (Unix domain sockets in a private temporary folder) where the
platform has them, so parallel workers never race for TCP ports (papermill issue 511, "Address
already in use") and the kernel does not warn about unencrypted TCP. Where IPC is not available
(Windows), a kernel that fails to start is retried with new ports.

Use it through papermill::

    papermill.execute_notebook(src, dst, parameters=..., engine_name="klantladder",
                               kernel_max_uses=20)

The engines are registered with papermill when this module is imported (and, once the package
declares them, through the ``papermill.engine`` entry point group).
"""

from __future__ import annotations

import ast
import asyncio
import atexit
import logging
import os
import shutil
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.log import logger as pm_logger
from papermill.utils import merge_kwargs, remove_args

__all__ = ["ENGINE", "FRESH_ENGINE", "WarmKernelEngine", "FreshKernelEngine", "KernelStartError",
           "DEFAULT_MAX_USES", "register", "prestart", "shutdown_all", "start_kernel", "notebook_imports",
           "kernel_stats", "last_run"]

ENGINE = "klantladder"
FRESH_ENGINE = "klantladder-fresh"
DEFAULT_MAX_USES = 25
START_ATTEMPTS = 3

log = logging.getLogger(__name__)


class KernelStartError(RuntimeError):
    """A kernel did not start after every attempt."""


class PreloadError(RuntimeError):
    """The code that prepares a warm kernel failed in the kernel (the kernel itself is fine)."""


# --------------------------------------------------------------------------------------------
# Code that runs inside the kernel. It is sent as text so the kernel needs nothing from this
# module; it defines a module ``_klantladder_warm`` that survives the resets it performs.
# --------------------------------------------------------------------------------------------

_KERNEL_SIDE = r'''
import sys as _sys, types as _types
if "_klantladder_warm" not in _sys.modules:
    _m = _types.ModuleType("_klantladder_warm")
    exec(compile(r"""
import copy, gc, importlib, logging, os, random, sys, sysconfig, warnings

_ROOTS = tuple(sorted({os.path.realpath(p) + os.sep for k, p in sysconfig.get_paths().items()
                       if k in ("stdlib", "platstdlib", "purelib", "platlib") and p}))
_STATE = {}


def _installed(mod):
    f = getattr(mod, "__file__", None)
    if not f:
        return True  # built-in, frozen or namespace module: nothing to re-run
    return os.path.realpath(f).startswith(_ROOTS)


def _purge():
    for name in list(sys.modules):
        if name == "klantladder" or name.startswith("klantladder."):
            del sys.modules[name]
            continue
        mod = sys.modules.get(name)
        if (mod is None or name in _STATE.get("modules", ()) or name.startswith("_klantladder_warm")
                or name in ("__main__", "__mp_main__")):
            continue
        if not _installed(mod):
            del sys.modules[name]


def preload(modules):
    errors = []
    for name in modules:
        try:
            importlib.import_module(name)
        except BaseException as exc:  # a notebook's own import error shows when the notebook runs
            errors.append(f"{name}: {type(exc).__name__}")
    return errors


def snapshot(launch_env=None):
    # Taken once per kernel, after the preload and with klantladder's modules dropped again.
    # launch_env: the environment the kernel was started with; what the kernel added to it
    # (JPY_PARENT_PID, MPLBACKEND, ...) is kept when a later reset takes the caller's environment.
    _purge()
    from IPython import get_ipython

    ip = get_ipython()
    s = _STATE
    s["modules"] = set(sys.modules)
    s["path"] = list(sys.path)
    s["argv"] = list(sys.argv)
    s["environ"] = dict(os.environ)
    launch_env = launch_env if launch_env is not None else s["environ"]
    s["kernel_env"] = {k: v for k, v in os.environ.items() if launch_env.get(k) != v}
    s["filters"] = list(warnings.filters)
    root = logging.getLogger()
    s["logging"] = (root.level, list(root.handlers), list(root.filters), logging.root.manager.disable)
    if ip is not None:
        s["formatters"] = {k: (dict(f.type_printers), dict(f.deferred_printers))
                           for k, f in ip.display_formatter.formatters.items()}
        s["events"] = {k: list(v) for k, v in ip.events.callbacks.items()}
    import decimal

    s["decimal"] = decimal.getcontext().copy()
    if "matplotlib" in sys.modules:
        import matplotlib

        s["rc"] = copy.deepcopy(dict(matplotlib.rcParams))
    if "matplotlib.units" in sys.modules:
        s["units"] = dict(sys.modules["matplotlib.units"].registry)
    if "pandas" in sys.modules:
        from pandas._config import config as pdc

        s["pandas"] = copy.deepcopy(pdc._global_config)
    if "numpy" in sys.modules:
        import numpy as np

        s["np_print"] = np.get_printoptions()
        s["np_err"] = np.geterr()
    # What is loaded now stays for the kernel's life: keep it out of every later collection
    # (IPython's reset runs a full one), and collect the young generation less often. Only the
    # timing of collections changes, never a result.
    gc.collect()
    gc.freeze()
    gc.set_threshold(50000, 50, 100)


def _restore(current, saved):
    # Values the snapshot knows go back; options registered since (by an installed module's
    # import, which will not run again) stay.
    for key, value in saved.items():
        if isinstance(value, dict) and isinstance(current.get(key), dict):
            _restore(current[key], value)
        else:
            current[key] = copy.deepcopy(value)


def reset(cwd, env=None):
    from IPython import get_ipython

    ip = get_ipython()
    s = _STATE
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
    if ip is not None:
        ip.reset(new_session=True)
        for k, (tp, dp) in s.get("formatters", {}).items():
            f = ip.display_formatter.formatters.get(k)
            if f is not None:
                f.type_printers.clear(); f.type_printers.update(tp)
                f.deferred_printers.clear(); f.deferred_printers.update(dp)
        for k, v in s.get("events", {}).items():
            ip.events.callbacks[k][:] = v
    _purge()
    sys.path[:] = s["path"]
    sys.argv[:] = s["argv"]
    target = {**env, **s["kernel_env"]} if env is not None else s["environ"]
    if dict(os.environ) != target:
        os.environ.clear()
        os.environ.update(target)
    os.chdir(cwd)
    warnings.resetwarnings()  # also forgets which warnings were already shown once
    warnings.filters[:] = s["filters"]
    if hasattr(warnings, "_filters_mutated"):
        warnings._filters_mutated()
    root = logging.getLogger()
    root.setLevel(s["logging"][0])
    root.handlers[:] = s["logging"][1]
    root.filters[:] = s["logging"][2]
    logging.disable(s["logging"][3])
    import decimal

    decimal.setcontext(s["decimal"].copy())
    if "matplotlib" in sys.modules:
        import matplotlib

        rc = s.get("rc")
        if rc is None:
            rc = dict(matplotlib.rcParamsOrig)
        rc = {k: v for k, v in rc.items() if k != "backend"}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            matplotlib.rcParams.update(copy.deepcopy(rc))
        units = sys.modules.get("matplotlib.units")
        if units is not None and "units" in s:
            # Converters registered since the snapshot by installed modules (matplotlib.category
            # when pyplot is first imported) stay: those modules are not imported again.
            for key in list(units.registry):
                if key in s["units"]:
                    continue
                name = getattr(key, "__module__", None) or ""
                mod = sys.modules.get(name)
                if name == "__main__" or mod is None or not _installed(mod):
                    del units.registry[key]  # a converter for a notebook's (or a dropped module's) type
            units.registry.update(s["units"])
    if "pandas" in s and "pandas" in sys.modules:
        from pandas._config import config as pdc

        _restore(pdc._global_config, s["pandas"])
    if "numpy" in sys.modules:
        import numpy as np

        if "np_print" in s:
            np.set_printoptions(**s["np_print"])
            np.seterr(**s["np_err"])
        np.random.seed(None)
    random.seed()
    importlib.invalidate_caches()
""", "<klantladder-warm-kernel>", "exec"), _m.__dict__)
    _sys.modules["_klantladder_warm"] = _m
    del _m
del _sys, _types
'''


def notebook_imports(nb) -> list[str]:
    """The absolute module names a notebook's code cells import (for preloading a warm kernel)."""
    names: list[str] = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        src = cell.get("source", "")
        src = "".join(src) if isinstance(src, list) else src
        lines = [ln for ln in src.splitlines() if not ln.lstrip().startswith(("%", "!"))]
        try:
            tree = ast.parse("\n".join(lines))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names += [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.append(node.module)
                names += [f"{node.module}.{a.name}" for a in node.names if a.name != "*"]
    seen: dict[str, None] = {}
    for n in names:
        seen.setdefault(n, None)
    return list(seen)


#: Always loaded before the snapshot, so that their global state (print options, pandas options,
#: rcParams) is in it even when the first notebook on a kernel does not use them but a later one does.
BASE_PRELOAD = ("numpy", "pandas", "matplotlib", "matplotlib.units")


def preload_modules(notebook: str | Path) -> list[str]:
    """Every module a warm kernel for ``notebook`` imports before its first notebook."""
    import nbformat

    return list(dict.fromkeys([*BASE_PRELOAD, *notebook_imports(nbformat.read(str(notebook), as_version=4))]))


_kernel_server: str | None = None


def use_kernel_server(address: str | None) -> None:
    """Have this process's warm kernels forked by the kernel server at ``address`` (a
    :class:`klantladder.forkserver.KernelServer`); None: start them the ordinary way. Kernels
    that cannot be forked there (the server gone, another interpreter) still start as usual."""
    global _kernel_server
    _kernel_server = address or None


def _preload_code(modules: list[str], launch_env: dict) -> str:
    # ``from x import y`` where y is not a module is harmless: the failed import is ignored.
    modules = list(dict.fromkeys([*BASE_PRELOAD, *modules]))
    return _KERNEL_SIDE + f"\n__import__('_klantladder_warm').preload({modules!r})\n" \
        f"__import__('_klantladder_warm').snapshot({launch_env!r})\n"


def _reset_code(cwd: str, env: dict) -> str:
    # The reset empties the user namespace, so the call binds no name there. ``env``: the
    # caller's environment now, as a new kernel would inherit it.
    return _KERNEL_SIDE + f"\n__import__('_klantladder_warm').reset({cwd!r}, {env!r})\n"


# --------------------------------------------------------------------------------------------
# Kernels: start (IPC, retries), run code, shut down.
# --------------------------------------------------------------------------------------------

def _run_sync(coro):
    from jupyter_core.utils import run_sync

    async def _wrap():
        return await coro

    return run_sync(_wrap)()


_ipc_root: Path | None = None
_ipc_lock = threading.Lock()


def _use_ipc() -> bool:
    return os.name == "posix" and os.environ.get("KLANTLADDER_KERNEL_TRANSPORT", "ipc") != "tcp"


def _ipc_dir() -> Path:
    """A private folder for this process's kernel sockets (short path: sockets allow ~100 bytes)."""
    global _ipc_root
    with _ipc_lock:
        if _ipc_root is None or not _ipc_root.is_dir():
            base = Path(tempfile.gettempdir())
            if len(str(base)) > 60:
                base = Path("/tmp")
            _clean_stale_ipc_dirs(base)
            _ipc_root = Path(tempfile.mkdtemp(prefix=f"klk-{os.getpid()}-", dir=base))
        return _ipc_root


def _clean_stale_ipc_dirs(base: Path) -> None:
    """Remove socket folders left by processes that no longer exist (e.g. after kill -9)."""
    try:
        entries = list(base.glob("klk-*-*"))
    except OSError:
        return
    for d in entries:
        try:
            pid = int(d.name.split("-")[1])
        except (IndexError, ValueError):
            continue
        if pid == os.getpid():
            continue
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(d, ignore_errors=True)
        except OSError:
            pass


class _Kernel:
    """One kernel process, the client that talks to it, and how many notebooks it has run."""

    def __init__(self, kernel_name: str, warm: bool, modules: list[str], cwd: str):
        self.kernel_name = kernel_name
        self.warm = warm
        self.modules = modules
        self.uses = 0
        self.km = None
        self.kc = None
        self.forked = False  # forked by the batch's kernel server
        self._pending: str | None = None
        self._launch(cwd)

    def _launch(self, cwd: str) -> None:
        from jupyter_client.manager import AsyncKernelManager

        kw: dict[str, Any] = {}
        if self.kernel_name:
            kw["kernel_name"] = self.kernel_name
        if _use_ipc():
            kw.update(transport="ipc", ip=str(_ipc_dir() / uuid.uuid4().hex[:10]))
        km = AsyncKernelManager(**kw)
        server = _kernel_server if self.warm else None
        if server:  # forked by the batch's kernel server (klantladder.forkserver)
            from .forkserver import ForkedProcess, ForkProvisioner

            km.kernel_id = km.kernel_id or str(uuid.uuid4())
            km.provisioner = ForkProvisioner(kernel_id=km.kernel_id, kernel_spec=km.kernel_spec, parent=km,
                                             server=server)
        _run_sync(km.start_kernel(cwd=cwd, extra_arguments=["--HistoryManager.hist_file=:memory:"]))
        # The provisioner starts the kernel the ordinary way where the server cannot fork it.
        self.forked = bool(server) and isinstance(km.provisioner.process, ForkedProcess)
        self.km = km
        # One client for the kernel's life, with all channels: nbclient runs every notebook on it
        # (a new client per notebook costs 0.2 s in jupyter_client's wait_for_ready) and the
        # resets go through it too. Replies are matched by message id, so stray messages from
        # an earlier notebook are skipped.
        kc = km.client()
        kc.allow_stdin = False
        # No heartbeat channel: a client made by its manager asks the manager whether the kernel
        # lives, and the heartbeat's thread could still be opening its socket when a kernel that
        # failed to start is shut down at once.
        kc.start_channels(hb=False)
        self.kc = kc
        # Requests queue in ZeroMQ until the kernel is listening: the preload starts the moment
        # the kernel is up, while the caller does other work.
        code = _preload_code(self.modules, dict(os.environ)) if self.warm else "pass"
        self._pending = kc.execute(code, silent=True, store_history=False)

    async def _wait_reply(self, msg_id: str, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            try:
                msg = await self.kc.get_shell_msg(timeout=0.25)
            except Exception:  # queue.Empty / TimeoutError: check the kernel is still there
                if not await self.km.is_alive():
                    raise KernelStartError("the kernel died (de kernel is gestopt)") from None
                if time.monotonic() > deadline:
                    raise TimeoutError(f"no reply from the kernel within {timeout:.0f} s") from None
                continue
            if msg.get("parent_header", {}).get("msg_id") == msg_id:
                content = msg["content"]
                if content.get("status") != "ok":
                    raise RuntimeError(f"{content.get('ename')}: {content.get('evalue')}")
                return content

    def ready(self, timeout: float) -> None:
        """Wait until the launch (and preload) has finished and output reaches us."""
        if self._pending is not None:
            msg_id, self._pending = self._pending, None
            try:
                _run_sync(self._wait_reply(msg_id, timeout))
            except RuntimeError as exc:
                if type(exc) is RuntimeError:  # an error reply: the preload/snapshot code failed
                    raise PreloadError(str(exc)) from exc
                raise
            # Also wait until the IOPub subscription is live (jupyter_client checks that an IOPub
            # message arrives), or the first cell's output could be lost: once per kernel.
            _run_sync(self.kc.wait_for_ready(timeout=timeout))

    def reset(self, cwd: str, timeout: float = 60) -> None:
        msg_id = self.kc.execute(_reset_code(cwd, dict(os.environ)), silent=True, store_history=False)
        _run_sync(self._wait_reply(msg_id, timeout))

    def chdir(self, cwd: str, timeout: float = 60) -> None:
        msg_id = self.kc.execute(f"import os as _os; _os.chdir({cwd!r}); del _os", silent=True,
                                 store_history=False)
        _run_sync(self._wait_reply(msg_id, timeout))

    def alive(self) -> bool:
        try:
            return bool(self.km is not None and _run_sync(self.km.is_alive()))
        except Exception:
            return False

    def shutdown(self) -> None:
        try:
            if self.kc is not None:
                self.kc.stop_channels()
        except Exception:
            pass
        try:
            if self.km is not None:
                _run_sync(self.km.shutdown_kernel(now=True))
        except Exception:
            pass
        self.kc = self.km = None


def start_kernel(kernel_name: str = "python3", cwd: str | None = None, *, warm: bool = False,
                 modules: list[str] | None = None, timeout: float = 60,
                 attempts: int = START_ATTEMPTS) -> _Kernel:
    """Start a kernel and wait until it answers; retried with new sockets/ports if it fails."""
    cwd = cwd or os.getcwd()
    error: BaseException | None = None
    for attempt in range(attempts):
        k = None
        try:
            k = _Kernel(kernel_name, warm, modules or [], cwd)
            k.ready(timeout)
            return k
        except Exception as exc:  # e.g. "Address already in use" over TCP: try again
            error = exc
            if k is not None:
                k.shutdown()
            log.warning("kernel start failed (attempt %d of %d): %s", attempt + 1, attempts, exc)
            time.sleep(0.2 * (attempt + 1))
    raise KernelStartError(f"the kernel did not start after {attempts} attempts: {error}") from error


# --------------------------------------------------------------------------------------------
# The pool: one kernel (plus a spare being started) per thread and kernel name.
# --------------------------------------------------------------------------------------------

_local = threading.local()
_all: set[_Kernel] = set()
_all_lock = threading.Lock()
_stats = {"started": 0, "reused": 0, "retired_error": 0, "retired_uses": 0}


def last_run() -> dict:
    """About this thread's last notebook: which use of its kernel it was (1 = a new kernel) and how
    long it waited for the kernel (start, preload or reset)."""
    return dict(getattr(_local, "last", {}))


def kernel_stats() -> dict:
    """Counters for this process: kernels started, notebooks run on a reused kernel, retirements."""
    return dict(_stats)


def _slots() -> dict:
    if not hasattr(_local, "slots"):
        _local.slots = {}
    return _local.slots


def _new(kernel_name: str, warm: bool, modules: list[str], cwd: str) -> _Kernel:
    _ensure_exit_hook()
    k = _Kernel(kernel_name, warm, modules, cwd)
    with _all_lock:
        _all.add(k)
    _stats["started"] += 1
    return k


def _retire(k: _Kernel) -> None:
    k.shutdown()
    with _all_lock:
        _all.discard(k)


def prestart(kernel_name: str = "python3", notebook: str | Path | None = None, *, warm: bool = True,
             cwd: str | Path | None = None) -> None:
    """Start this thread's kernel now (non-blocking), preloading ``notebook``'s imports."""
    key = (kernel_name, warm)
    if key in _slots():
        return
    modules: list[str] = []
    if warm and notebook is not None:
        import nbformat

        modules = notebook_imports(nbformat.read(str(notebook), as_version=4))
    try:
        _slots()[key] = _new(kernel_name, warm, modules, str(cwd or os.getcwd()))
    except Exception as exc:  # the next notebook starts one the ordinary way
        log.warning("could not prestart a kernel: %s", exc)


_warm_disabled = False


def _acquire(kernel_name: str, warm: bool, modules: list[str], cwd: str, timeout: float) -> _Kernel:
    global _warm_disabled
    if _warm_disabled:
        warm = False
    key = (kernel_name, warm)
    k = _slots().pop(key, None)
    if k is not None:
        try:
            if not k.alive():
                raise RuntimeError("kernel not alive")
            k.ready(timeout)
            if k.uses:
                k.reset(cwd, timeout)
                _stats["reused"] += 1
            else:
                k.chdir(cwd, timeout)
            return k
        except Exception as exc:
            log.warning("discarding a kernel that could not be reused: %s", exc)
            _retire(k)
            _stats["retired_error"] += 1
    for attempt in range(START_ATTEMPTS):
        k = _new(kernel_name, warm, modules, cwd)
        try:
            k.ready(timeout)
            return k
        except PreloadError as exc:
            # Correct but slower from now on: fresh kernels, as papermill's own engine would.
            log.warning("a warm kernel could not be prepared (%s); using a fresh kernel per notebook", exc)
            _retire(k)
            _warm_disabled, warm = True, False
        except Exception as exc:
            _retire(k)
            log.warning("kernel start failed (attempt %d of %d): %s", attempt + 1, START_ATTEMPTS, exc)
            if attempt == START_ATTEMPTS - 1:
                raise KernelStartError(f"the kernel did not start after {START_ATTEMPTS} attempts: {exc}") from exc
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


def _release(k: _Kernel, healthy: bool, max_uses: int, cwd: str) -> None:
    key = (k.kernel_name, k.warm)
    k.uses += 1
    keep = k.warm and healthy and k.uses < max_uses and k.alive()
    if keep:
        _slots()[key] = k
        return
    _stats["retired_uses" if healthy else "retired_error"] += 1
    _retire(k)
    if k.warm and healthy:
        return  # worn out after max_uses: the next notebook (if any) starts a new one
    # After an error, or with a fresh kernel per notebook: the replacement boots while the
    # caller exports this report.
    try:
        _slots()[key] = _new(k.kernel_name, k.warm, k.modules, cwd)
    except Exception as exc:
        log.warning("could not start a replacement kernel: %s", exc)


def _after_fork_in_child() -> None:
    """A forked process starts with no kernels: the parent's belong to the parent (and so do its
    sockets and event loop, which the child must not touch)."""
    global _local, _all, _all_lock, _ipc_root
    _local = threading.local()
    _all = set()
    _all_lock = threading.Lock()
    _ipc_root = None
    try:
        from jupyter_core.utils import _loop

        _loop.set(None)
    except Exception:  # pragma: no cover
        pass
    try:
        asyncio.set_event_loop(None)
    except Exception:  # pragma: no cover
        pass


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def shutdown_all() -> None:
    """Shut down every kernel this process started (also run at exit)."""
    with _all_lock:
        kernels = list(_all)
        _all.clear()
    for k in kernels:
        k.shutdown()
    if hasattr(_local, "slots"):
        _local.slots.clear()
    global _ipc_root
    if _ipc_root is not None and _ipc_root.name.startswith(f"klk-{os.getpid()}-"):
        shutil.rmtree(_ipc_root, ignore_errors=True)
        _ipc_root = None


_exit_hook_pid: int | None = None


def _ensure_exit_hook() -> None:
    """Shut this process's kernels down when it exits, once per process.

    Per process because multiprocessing workers leave through ``os._exit`` (no atexit), running
    only the ``multiprocessing.util.Finalize`` hooks registered in that same process (a forked
    worker ignores those it inherited).
    """
    global _exit_hook_pid
    if _exit_hook_pid == os.getpid():
        return
    _exit_hook_pid = os.getpid()
    atexit.register(shutdown_all)
    try:
        from multiprocessing import util as mp_util

        mp_util.Finalize(None, shutdown_all, exitpriority=100)
    except Exception:  # pragma: no cover
        pass


# --------------------------------------------------------------------------------------------
# The papermill engines.
# --------------------------------------------------------------------------------------------

class WarmKernelEngine(NBClientEngine):
    """Papermill engine: nbclient execution on this thread's warm, reset kernel.

    Extra keyword arguments (through ``papermill.execute_notebook``): ``kernel_max_uses``
    (notebooks per kernel before a fresh one, default :data:`DEFAULT_MAX_USES`), ``preload``
    (extra module names to import into a new kernel) and ``partial_output`` (where to write the
    partly executed notebook when execution fails, for callers that pass
    ``request_save_on_cell_execute=False`` to skip papermill's save after every cell).
    """

    warm = True

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                 stderr_file=None, start_timeout=60, execution_timeout=None, **kwargs):
        max_uses = int(kwargs.pop("kernel_max_uses", None) or DEFAULT_MAX_USES)
        extra = list(kwargs.pop("preload", None) or [])
        partial = kwargs.pop("partial_output", None)
        kwargs = remove_args(["input_path"], **kwargs)
        safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
        final_kwargs = merge_kwargs(
            safe_kwargs, timeout=execution_timeout if execution_timeout else kwargs.get("timeout"),
            startup_timeout=start_timeout, kernel_name=kernel_name, log=pm_logger, log_output=log_output,
            stdout_file=stdout_file, stderr_file=stderr_file,
        )
        cwd = os.getcwd()  # papermill has changed into the notebook's working directory
        modules = (notebook_imports(nb_man.nb) + extra) if cls.warm else []
        t0 = time.perf_counter()
        kernel = _acquire(kernel_name, cls.warm, modules, cwd, start_timeout)
        _local.last = {"kernel_use": kernel.uses + 1, "kernel_wait": round(time.perf_counter() - t0, 3),
                       "transport": "ipc" if _use_ipc() else "tcp", "forked": kernel.forked}
        healthy = False
        try:
            client = PapermillNotebookClient(nb_man, km=kernel.km, **final_kwargs)
            client.kc = kernel.kc  # nbclient then uses it rather than connecting anew
            client.execute()
            healthy = not nb_man.nb.metadata.get("papermill", {}).get("exception")
        except BaseException:
            if partial and not nb_man.output_path:  # keep what ran (a timeout, a dead kernel)
                try:
                    from papermill.iorw import write_ipynb

                    write_ipynb(nb_man.nb, partial)
                except Exception:
                    pass
            raise
        finally:
            _release(kernel, healthy, max_uses if cls.warm else 1, cwd)
        return nb_man.nb


class FreshKernelEngine(WarmKernelEngine):
    """Papermill engine: a brand-new kernel per notebook (IPC, retried start), nothing preloaded."""

    warm = False


def register() -> None:
    """Register both engines with papermill (idempotent)."""
    papermill_engines.register(ENGINE, WarmKernelEngine)
    papermill_engines.register(FRESH_ENGINE, FreshKernelEngine)


register()
