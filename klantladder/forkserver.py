"""Warm kernels forked from one process that has already imported the report's modules.

A warm kernel costs about 1.8 processor seconds to start, nearly all of it importing what the
report notebook imports (pandas, matplotlib, seaborn, klantladder). A batch with two workers pays
that twice at its start, and again for each fresh kernel after a failed report or after
``--kernel-reuse`` reports. The batch therefore starts one :class:`KernelServer`: a Python process
of its own that imports those modules once and then forks a kernel for each request. A forked
kernel only does ipykernel's own set-up.

jupyter_client starts every kernel through a *provisioner*, its extension point for how a kernel
process comes about. :class:`ForkProvisioner` is jupyter_client's local provisioner with one
change: it asks the server for the process instead of running the kernel command. The connection
file, the channels, signals to the kernel's process group and shutdown all stay jupyter_client's.
When the server cannot be reached, or the kernel command is not this interpreter's ipykernel, the
kernel is started the ordinary way.

A forked kernel is set up as the command would have set up a new one: its own session and process
group, working folder, environment, ``sys.argv`` and ``sys.path``, and standard input from
``/dev/null``. It ends when the worker that asked for it ends, and the server ends with the batch.
POSIX only (``fork``); fresh-kernel runs (``--fresh-kernels``) never use it.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from jupyter_client.provisioning import LocalProvisioner
from traitlets import Unicode

#: How long a worker waits for the server to answer (it may still be importing).
CONNECT_TIMEOUT = 60.0
#: How long a worker waits for a server that has just started to listen.
BIND_TIMEOUT = 10.0


def available() -> bool:
    """Whether kernels can be forked here (a POSIX system with ``fork`` and Unix sockets)."""
    return os.name == "posix" and hasattr(os, "fork") and hasattr(socket, "AF_UNIX")


# ------------------------------------------------------------------------------------------
# The server (its own process: python -m klantladder.forkserver ADDRESS PARENT_PID MODULE...)
# ------------------------------------------------------------------------------------------

#: In the server: the kernels it forked that have not ended yet.
_kernels: set[int] = set()


def _reap(*_: Any) -> None:
    """Collect every kernel that has ended (no zombies for the workers to wait on)."""
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        _kernels.discard(pid)


def _watch(pid: int) -> None:
    """In a forked kernel: end when process ``pid`` (the worker that asked for it) has ended."""
    def run() -> None:
        while True:
            time.sleep(0.5)
            if not _running(pid):
                os._exit(1)

    threading.Thread(target=run, name="klantladder-worker-watch", daemon=True).start()


def _become_kernel(request: dict) -> int:
    """In the forked child: set up as a new kernel process would be, then run ipykernel."""
    for sig in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)
    os.setsid()  # its own process group: jupyter_client signals the group
    cwd = request["cwd"]
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(request["env"])
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    import ipykernel_launcher  # noqa: F401  (for its file name, as the command's sys.argv[0])
    from ipykernel.kernelapp import IPKernelApp

    sys.argv = [ipykernel_launcher.__file__, *request["argv"]]
    watch = int(request["watch"])
    _watch(watch)
    # ipykernel read JPY_PARENT_PID when the server imported it; a kernel that knows its parent
    # does not print the console hints that a kernel started by hand prints.
    try:
        IPKernelApp.launch_instance(argv=[*request["argv"], f"--IPKernelApp.parent_handle={watch}"])
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


def _exit(code: int) -> None:
    """End a forked kernel as the interpreter would: exit handlers, flushed output."""
    import atexit

    with contextlib.suppress(BaseException):
        atexit._run_exitfuncs()
    for stream in (sys.__stdout__, sys.__stderr__):
        with contextlib.suppress(BaseException):
            stream.flush()
    os._exit(code)


def serve(address: str, parent: int, modules: list[str]) -> None:
    """Listen on the Unix socket ``address`` and fork a kernel for each request, until process
    ``parent`` (the batch) has ended or the server is told to stop (SIGTERM).

    The socket listens before anything is imported: a request made meanwhile waits until the
    imports are done. Modules that cannot be imported are left out (the kernel imports them, or
    fails on them, as a new one would).
    """
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(address)
    listener.listen(64)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the batch's to handle
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    # Import as ``python -m ipykernel_launcher`` would: the working folder is not on the path
    # (the launcher removes it), and matplotlib finds the backend ipykernel sets before the
    # notebook's first import.
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]
    if not os.environ.get("MPLBACKEND"):
        os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    for name in ["ipykernel.kernelapp", "ipykernel_launcher", *modules]:
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    gc.collect()
    gc.freeze()  # what the imports made is never collected: the kernels' copies stay shared
    signal.signal(signal.SIGCHLD, _reap)
    try:
        while os.getppid() == parent:
            ready, _, _ = select.select([listener], [], [], 0.5)
            if not ready:
                continue
            conn, _ = listener.accept()
            with conn:
                try:
                    conn.settimeout(10)  # a client that connects and says nothing does not block the rest
                    request = json.loads(conn.makefile("r", encoding="utf-8").readline())
                    pid = os.fork()
                    if pid == 0:  # the kernel
                        code = 1
                        try:
                            listener.close()
                            conn.close()
                            code = _become_kernel(request)
                        finally:
                            _exit(code)
                    _kernels.add(pid)
                    reply = {"pid": pid}
                except Exception as exc:  # a bad request: say so, keep serving
                    reply = {"error": f"{type(exc).__name__}: {exc}"}
                with contextlib.suppress(OSError):
                    conn.sendall((json.dumps(reply) + "\n").encode("utf-8"))
    finally:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for pid in list(_kernels):  # the batch has ended: so do its kernels
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.unlink(address)
            os.rmdir(os.path.dirname(address))  # the folder KernelServer made for it, now empty


class KernelServer:
    """A running kernel server for this process's batch: start it, hand its :attr:`address` to
    the workers, :meth:`close` it at the end (also a context manager)."""

    def __init__(self, modules: list[str], cwd: str | Path | None = None, folder: str | Path | None = None):
        if folder is None:  # a short path: a socket's address holds about 100 bytes
            folder = tempfile.gettempdir() if len(tempfile.gettempdir()) <= 60 else "/tmp"
        self._dir = Path(tempfile.mkdtemp(prefix="kl-ks-", dir=str(folder)))
        self.address = str(self._dir / "s")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "klantladder.forkserver", self.address, str(os.getpid()), *modules],
            stdin=subprocess.DEVNULL, cwd=str(cwd) if cwd else None)

    def close(self) -> None:
        """Stop the server (and any kernel still running from it); remove its socket."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> KernelServer:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


# ------------------------------------------------------------------------------------------
# The client side: jupyter_client's provisioner, with the process from the server.
# ------------------------------------------------------------------------------------------

def _running(pid: int) -> bool:
    """Whether process ``pid`` exists and has not ended (a zombie awaiting collection has ended)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


class ForkedProcess:
    """What jupyter_client needs of a :class:`subprocess.Popen`, for a kernel the server forks.

    The request is sent when the kernel is launched; the answer (the process id) is read when
    first needed, so that the worker goes on importing and scoring while the server may still be
    importing. The server is the kernel's parent and collects it: the exit status is not known
    here, and a kernel that has ended reports -1. A server that does not answer counts as a
    kernel that ended at once (the engine then starts another).
    """

    stdin = stdout = stderr = None

    def __init__(self, conn: socket.socket):
        self._conn: socket.socket | None = conn
        self._pid: int | None = None
        self.returncode: int | None = None

    @property
    def pid(self) -> int:
        """The kernel's process id (waits for the server's answer); 0 if there is none."""
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                with conn:
                    line = conn.makefile("r", encoding="utf-8").readline()
                reply = json.loads(line) if line else {}
                self._pid = int(reply["pid"])
            except (OSError, ValueError, KeyError):
                self._pid = 0
                self.returncode = -1
        return self._pid or 0

    def poll(self) -> int | None:
        if self.returncode is None and not _running(self.pid):
            self.returncode = -1
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout or 0)
            time.sleep(0.02)
        return self.returncode  # type: ignore[return-value]

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def _kernel_argv(cmd: list[str]) -> list[str] | None:
    """The arguments after ``python -m ipykernel_launcher`` in ``cmd``, when it runs this very
    interpreter (the server's); None for any other kernel command."""
    if len(cmd) < 3 or list(cmd[1:3]) != ["-m", "ipykernel_launcher"]:
        return None
    with contextlib.suppress(OSError):
        if os.path.samefile(cmd[0], sys.executable):
            return list(cmd[3:])
    return None


def request_kernel(address: str, argv: list[str], cwd: str, env: dict[str, str],
                   timeout: float = CONNECT_TIMEOUT) -> ForkedProcess:
    """Ask the server at ``address`` for a kernel run with ``argv`` (ipykernel's arguments) in
    ``cwd`` with ``env``. Returns at once; raises OSError when there is no server there."""
    if not os.path.isdir(os.path.dirname(address)):  # no server there (any more)
        raise FileNotFoundError(f"no kernel server at {address}")
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.settimeout(timeout)
        deadline = time.monotonic() + BIND_TIMEOUT
        while True:  # a server that has just started may not be listening yet
            try:
                conn.connect(address)
                break
            except (FileNotFoundError, ConnectionRefusedError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
        conn.sendall((json.dumps({"argv": argv, "cwd": cwd, "env": env, "watch": os.getpid()}) + "\n")
                     .encode("utf-8"))
    except BaseException:
        conn.close()
        raise
    return ForkedProcess(conn)


#: Server addresses this process could not reach: its next kernels start the ordinary way at once.
_unreachable: set[str] = set()


class ForkProvisioner(LocalProvisioner):  # type: ignore[misc]
    """jupyter_client's local provisioner, with the kernel process forked by the server at
    :attr:`server` (a :class:`KernelServer`'s address); the ordinary launch where that fails."""

    server = Unicode("", config=True, help="Address (Unix socket) of the kernel server.")

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> Any:
        argv = _kernel_argv(cmd)
        if not self.server or argv is None:
            return await super().launch_kernel(cmd, **kwargs)
        cwd = str(kwargs.get("cwd") or os.getcwd())
        env = dict(kwargs.get("env") or os.environ)
        env["JPY_PARENT_PID"] = str(os.getpid())  # as jupyter_client's launcher sets it
        try:
            if self.server in _unreachable:
                raise ConnectionError("did not answer before")
            self.process = request_kernel(self.server, argv, cwd, env)
        except OSError as exc:
            _unreachable.add(self.server)
            self.log.info("kernel server unavailable (%s); starting the kernel the ordinary way", exc)
            return await super().launch_kernel(cmd, **kwargs)
        self.pid = self.pgid = None  # known once the server has answered (_resolve)
        self.cwd = cwd
        return self.connection_info

    def _resolve(self) -> None:
        if self.pid is None and isinstance(self.process, ForkedProcess):
            self.pid = self.process.pid
            self.pgid = self.pid or None  # the kernel leads its own process group

    async def send_signal(self, signum: int) -> None:
        self._resolve()
        await super().send_signal(signum)

    async def poll(self) -> int | None:
        self._resolve()
        return await super().poll()


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]), sys.argv[3:])
