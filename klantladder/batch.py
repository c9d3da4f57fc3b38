"""``klantladder batch``: many clients (and waves) in one run, never losing work.

Each client folder under the root (or each wave folder below a client) becomes one job. Jobs run
in worker processes on this machine (``workers``) or on a Dask distributed cluster
(``scheduler``); one failing client never stops the others.

What a batch guarantees
-----------------------
* **Isolation.** A job that fails (bad input, an error in the notebook or the export) is recorded
  in the manifest with its message; when the notebook ran, its partly executed copy is kept in
  ``<out>/<client>/failed/assessment.ipynb`` (message in ``failed/error.txt``). Any earlier
  complete report of that client stays where it was. The batch exits 1 and names the failures.
* **Manifest.** ``<out>/manifest.json`` holds, per job: status (``ok``/``failed``), duration,
  input hash, model version, package version, output files, error, the input files with their
  size, modification time and SHA-256, and where it ran. It is rewritten atomically after every
  job, so it is never half written and a killed batch loses at most the jobs in flight.
* **Incremental.** A job whose inputs (``client.yaml`` and the source files it names; for a wave,
  every wave of that client, since earlier waves are the trend), model file, report parameters,
  report notebook and templates, and package version are unchanged since its last successful
  report is skipped (``force`` redoes it). Hashing reads no notebook, loads no model and reuses a
  file's recorded SHA-256 while its size and modification time are unchanged.
* **Crash safety.** Reports are built in a staging folder and moved into place whole
  (:func:`klantladder.outputs.staging_dir`). A batch holds a lock on its output folder; at the
  start it removes staging folders a killed run left behind and puts back a report that was
  being replaced at the moment of the kill. Running the batch again finishes it.
* **Portfolio.** After the jobs, ``<out>/portfolio.html`` gives the overview of all clients
  (anonymised unless ``portfolio_names``), see :mod:`klantladder.portfolio_report`.

Kernels: every worker keeps one warm Jupyter kernel (:mod:`klantladder.engine`), reset between
reports, replaced after an error and after ``kernel_max_uses`` reports; ``fresh_kernels`` starts a
new kernel per report instead.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import signal
import socket
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

from . import __version__
from .config import client_subfolders, is_client_folder, load_client_config, present_files, safe_name, source_of
from .errors import KlantladderError, UsageError
from .memory import keep_freed_memory

__all__ = ["Job", "discover", "run_batch", "run_job", "BatchResult", "Progress", "MANIFEST", "LOCK_FILE",
           "PORTFOLIO_HTML", "DEFAULT_KERNEL_MAX_USES", "job_hash", "clean_leftovers"]

MANIFEST = "manifest.json"
LOCK_FILE = ".klantladder-batch.lock"
PORTFOLIO_HTML = "portfolio.html"
DEFAULT_KERNEL_MAX_USES = 25
#: Parameters that change what a report looks like (and so belong in the input hash).
REPORT_PARAMS = ("language", "pdf")


@dataclass(frozen=True)
class Job:
    """One report to make: a client folder (or one of its wave folders) and where it goes."""

    key: str
    folder: Path
    out_dir: Path
    siblings: tuple[Path, ...] = ()  # the other wave folders of the same client (their data is the trend)
    problem: tuple[str, str] | None = None  # (nl, en): why this folder cannot be reported; the job fails with it


def write_json(data: dict, path: Path) -> None:
    """Write JSON via a temporary file and an atomic rename (pandas-free, unlike klantladder.outputs)."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    os.replace(tmp, path)


def _client_folder_holding(root: Path, out: Path) -> Path | None:
    """The client folder under ``root`` (a client's own, or one holding its wave folders) that
    ``out`` lies in, if any; ``out`` may be a new folder under ``root`` or anywhere else."""
    if root not in out.parents:
        return None
    top = root / out.relative_to(root).parts[0]
    if not top.is_dir():
        return None
    if is_client_folder(top):
        return top
    # A client's folder of wave folders (the output folder itself is never one: what klantladder
    # writes there holds no input files).
    return top if top != out and client_subfolders(top) else None


def _not_found(root: Path, out: Path, missing: Sequence[str]) -> dict[str, str]:
    """The message for ``--only`` names that are no client under ``root``: the closest client
    names, or else the clients there are."""
    import difflib

    keys = [j.key for j in discover(root, out)]
    names = sorted({k.split("/")[0] for k in keys})  # the clients; a wave is client/wave
    close = [m for name in missing for m in difflib.get_close_matches(name, sorted({*names, *keys}), n=1, cutoff=0.6)]
    shown = ", ".join(names[:12]) + (f" (+{len(names) - 12})" if len(names) > 12 else "")
    if close:
        hint_nl, hint_en = f" Bedoelt u {', '.join(close)}?", f" Did you mean {', '.join(close)}?"
    else:
        hint_nl = f" Klanten in deze map: {shown}." if names else " Deze map bevat geen klanten."
        hint_en = f" Clients in this folder: {shown}." if names else " This folder holds no clients."
    return {"nl": f"Niet gevonden in {root}: {', '.join(missing)}.{hint_nl}",
            "en": f"Not found in {root}: {', '.join(missing)}.{hint_en}"}


def discover(root: str | Path, out: str | Path, only: Sequence[str] | None = None) -> list[Job]:
    """Every client (and wave) folder under ``root``, sorted; output paths come from folder names.

    ``only`` selects clients by folder name (or its safe form), or single waves as ``client/wave``.
    """
    root, out = Path(root).resolve(), Path(out).resolve()
    wanted = set(only or ())
    jobs = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        client = safe_name(folder.name)
        if folder.resolve() == out or out in folder.resolve().parents:
            continue  # the output folder inside the input root is not a client
        waves = client_subfolders(folder)
        if waves:
            for w in waves:
                key = f"{client}/{safe_name(w.name)}"
                if wanted and not wanted & {folder.name, client, key, f"{folder.name}/{w.name}"}:
                    continue
                jobs.append(Job(key, w, out / client / safe_name(w.name), tuple(x for x in waves if x != w)))
            loose = [p.name for p in present_files(folder) if source_of(p.name)]
            if loose and (not wanted or wanted & {folder.name, client}):
                # Input files beside wave folders: a measurement that would silently not count.
                jobs.append(Job(client, folder, out / client, problem=(
                    f"{folder.name} heeft invoerbestanden ({', '.join(loose)}) naast wave-mappen "
                    f"({', '.join(w.name for w in waves)}); die bestanden tellen zo niet mee. Zet ze in een eigen "
                    "wave-map (bijvoorbeeld met het jaar als naam) of haal de wave-mappen weg.",
                    f"{folder.name} has input files ({', '.join(loose)}) beside wave folders "
                    f"({', '.join(w.name for w in waves)}); those files would not count. Put them in a wave folder "
                    "of their own (named after the year, for example) or move the wave folders out.")))
        elif is_client_folder(folder):
            if wanted and not wanted & {folder.name, client}:
                continue
            jobs.append(Job(client, folder, out / client))
    return _one_job_per_key(jobs, root)


def _one_job_per_key(jobs: list[Job], root: Path) -> list[Job]:
    """Folders whose safe names coincide (``Klant A`` and ``Klant-A``) would write the same report
    folder, the last over the first: none of them is made, and one failed job names them all."""
    by_key: dict[str, list[Job]] = {}
    for job in jobs:
        by_key.setdefault(job.key, []).append(job)
    kept = []
    for key, same in by_key.items():
        if len(same) == 1:
            kept.append(same[0])
            continue
        names = ", ".join(f"'{j.folder.relative_to(root).as_posix()}'" for j in same)
        kept.append(Job(key, same[0].folder, same[0].out_dir, problem=(
            f"de mappen {names} krijgen dezelfde uitvoermap '{key}' (in een mapnaam blijven alleen letters, "
            "cijfers, '-', '_' en '.' over), dus geen van hun rapporten is gemaakt: het ene zou het andere "
            "overschrijven. Geef de mappen namen die ook zo van elkaar verschillen.",
            f"the folders {names} get the same output folder '{key}' (a folder name keeps only letters, digits, "
            "'-', '_' and '.'), so none of their reports was made: one would overwrite the other. Give the "
            "folders names that differ in those characters too.")))
    return kept


# ------------------------------------------------------------------------------------------
# Input hashes: cheap, and reusing the SHA-256 of files whose size and mtime are unchanged.
# ------------------------------------------------------------------------------------------

def _digest(path: Path, known: dict | None) -> dict:
    st = path.stat()
    if known and known.get("size") == st.st_size and known.get("mtime_ns") == st.st_mtime_ns and known.get("sha256"):
        return known
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": h.hexdigest()}


_report_fp: dict[tuple, str] = {}


def _notebook(params: dict) -> Path:
    from .paths import ASSESSMENT_NOTEBOOK

    return Path(params.get("notebook") or ASSESSMENT_NOTEBOOK).resolve()


#: The package's own files whose change changes a report although its version number does not
#: (a checkout updated in place, an editable install): code, texts, models, the compiled part's source.
PACKAGE_ROOT = Path(__file__).resolve().parent
_PACKAGE_SUFFIXES = (".py", ".yaml", ".c")


def _package_files() -> list[Path]:
    """The files of :data:`PACKAGE_ROOT` that make a report (:data:`_PACKAGE_SUFFIXES`), bytecode left out."""
    return sorted(p for p in PACKAGE_ROOT.rglob("*") if p.suffix in _PACKAGE_SUFFIXES and p.is_file()
                  and "__pycache__" not in p.parts)


def _report_fingerprint(notebook: Path | None = None) -> str:
    """SHA-256 over the report notebook, the nbconvert templates and the package's own code, texts
    and models (:data:`PACKAGE_ROOT`): what turns scores into a report. The package version alone
    would not do: a checkout updated in place keeps its version number, and its clients would
    otherwise keep reports of the old code."""
    from .paths import ASSESSMENT_NOTEBOOK, TEMPLATES

    notebook = Path(notebook or ASSESSMENT_NOTEBOOK)
    files = [notebook] + sorted(p for p in Path(TEMPLATES).rglob("*") if p.is_file()) + _package_files()
    key = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files if p.is_file())
    if key not in _report_fp:
        h = hashlib.sha256()
        for p in files:
            if p.is_file():
                h.update(p.name.encode() + b"\0" + hashlib.sha256(p.read_bytes()).digest())
        _report_fp[key] = h.hexdigest()
    return _report_fp[key]


_model_info_cache: dict[tuple, str] = {}


def _model_version(path: Path) -> str:
    """The ``version:`` of a model file, read without loading (validating) the whole model."""
    st = path.stat()
    key = (str(path), st.st_mtime_ns, st.st_size)
    if key not in _model_info_cache:
        import yaml

        from . import yamlfile

        try:
            raw = yamlfile.safe_load(path.read_text(encoding="utf-8")) or {}
            _model_info_cache[key] = str(raw.get("version", "")) if isinstance(raw, dict) else ""
        except (yaml.YAMLError, OSError, UnicodeDecodeError):
            _model_info_cache[key] = ""
    return _model_info_cache[key]


def _default_model_path() -> Path:
    from importlib import resources

    from .model import DEFAULT_MODEL

    return Path(str(resources.files("klantladder") / "models" / DEFAULT_MODEL))


def job_hash(job: Job, params: dict, known: dict | None = None) -> tuple[str, str, dict]:
    """``(input_hash, model_version, inputs)`` of a job.

    ``inputs`` maps each input file to its size, mtime and SHA-256; ``known`` is the previous
    run's map, whose digests are reused for files that did not change size or mtime.
    Raises :class:`KlantladderError` when ``client.yaml`` cannot be read.
    """
    known = known or {}
    files: list[Path] = []
    model_path: Path | None = None
    for folder in sorted({job.folder, *job.siblings}):
        cfg = load_client_config(folder)
        files.append(Path(folder) / "client.yaml")
        files += [s.path for s in cfg.sources.values() if s.path]
        if Path(folder) == job.folder:
            model_path = Path(cfg.model) if cfg.model else None
    model_path = model_path or _default_model_path()
    if model_path.is_file():
        files.append(model_path)
    inputs: dict[str, dict] = {}
    for p in files:
        p = Path(p)
        if p.is_file():
            inputs[str(p.resolve())] = _digest(p, known.get(str(p.resolve())))
    model_version = _model_version(model_path) if model_path.is_file() else ""
    h = hashlib.sha256()
    h.update(json.dumps({"package": __version__, "model_version": model_version,
                         "report": _report_fingerprint(_notebook(params)),
                         "params": {k: params.get(k) for k in REPORT_PARAMS}}, sort_keys=True).encode())
    for path, d in sorted(inputs.items()):
        # The file's name and content count; where the folder lives does not.
        h.update(Path(path).name.encode() + b"\0" + d["sha256"].encode())
    return h.hexdigest(), model_version, inputs


# ------------------------------------------------------------------------------------------
# One job (runs in a worker process, a Dask worker, or inline).
# ------------------------------------------------------------------------------------------

def run_job(job: Job, params: dict, input_hash: str | None = None, model_version: str | None = None,
            inputs: dict | None = None) -> dict:
    """Make one client's report; never raises: returns its manifest entry."""
    start = time.perf_counter()
    entry: dict[str, Any] = {
        "status": "failed", "folder": str(job.folder), "out_dir": str(job.out_dir), "package_version": __version__,
        "input_hash": input_hash, "model_version": model_version, "files": [], "error": None,
        "started_at": _now(), "finished_at": None, "duration": None,
        "worker": f"{socket.gethostname()}:{os.getpid()}", "engine": params.get("engine"),
    }
    if inputs is not None:
        entry["inputs"] = inputs
    try:
        from .report import make_report

        if job.problem is not None:
            raise UsageError({"nl": job.problem[0], "en": job.problem[1]})
        if input_hash is None:
            entry["input_hash"], entry["model_version"], entry["inputs"] = job_hash(job, params)
        result = make_report(job.folder, job.out_dir, language=params.get("language"), pdf=params.get("pdf", True),
                             engine=params.get("engine"), kernel_max_uses=params.get("kernel_max_uses"),
                             execution_timeout=params.get("timeout"), notebook=_notebook(params),
                             history=bool(job.siblings))
        entry.update(status="ok", files=result.files, rung=result.rung, timings=result.timings)
        from . import engine

        entry["kernel"] = engine.last_run()
    except KlantladderError as exc:
        entry["error"] = exc.text(params.get("message_language", "nl"))
        kept = getattr(exc, "notebook", None)
        if kept:
            entry["failed_notebook"] = str(kept)
    except Exception as exc:  # an unexpected error: recorded, the batch goes on
        text = str(exc).strip().splitlines()
        entry["error"] = f"{type(exc).__name__}: {text[-1] if text else ''}"
        entry["traceback"] = traceback.format_exc(limit=8)
    entry["duration"] = round(time.perf_counter() - start, 3)
    entry["finished_at"] = _now()
    return entry


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def lean_imports() -> None:
    """Keep import-time and garbage-collection waste out of a batch process.

    The garbage collector: a worker holds pandas, SciPy, statsmodels, nbconvert and WeasyPrint,
    hundreds of thousands of long-lived objects that every full collection walks again; rendering
    a PDF allocates enough to trigger many collections (a third of its time with the default
    thresholds). The worker raises the young-generation threshold here and, after its first
    report, freezes what it has loaded (:func:`_settle`), so collections only look at new objects.

    nbformat imports jsonschema, which imports ``rfc3987_syntax`` when installed (it compiles a
    grammar: 1.5-2 s per process) only to check "iri" string formats that no notebook schema
    uses (nbformat validates with fastjsonschema). Marking it absent makes jsonschema skip it.
    Only for processes the batch owns; harmless when jsonschema is already imported.
    """
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    import gc

    gc.set_threshold(50_000, 50, 100)


_settled = False


def _settle() -> None:
    """After a worker's first report: freeze what is loaded by now (see :func:`lean_imports`)."""
    global _settled
    if not _settled:
        import gc

        gc.collect()
        gc.freeze()
        _settled = True


_reported = False


def _worker_job(job: Job, params: dict, input_hash: str | None = None, model_version: str | None = None,
                inputs: dict | None = None) -> dict:
    """:func:`run_job` in a process the batch owns. It settles (:func:`_settle`) before its second
    report rather than after its first, so that a finished report reaches the batch at once."""
    global _reported
    if _reported:
        _settle()
    entry = run_job(job, params, input_hash, model_version, inputs)
    _reported = True
    return entry


def _warm_worker(params: dict) -> None:
    """Start this thread's kernel now, so it boots while the worker imports and scores."""
    from . import engine

    notebook = _notebook(params)
    engine.prestart("python3", notebook, warm=params.get("engine") != engine.FRESH_ENGINE, cwd=notebook.parent)


def _init_local_worker(params: dict, parent_pid: int) -> None:
    """Initializer of a local worker process: ignore Ctrl-C (the parent decides), die with the parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    keep_freed_memory()  # before the first thread (a forked worker has it from the command line already)

    def watch() -> None:
        while True:
            if os.getppid() != parent_pid:
                os._exit(1)  # the batch was killed: stop, the kernels follow (they watch us)
            time.sleep(0.5)

    threading.Thread(target=watch, name="klantladder-parent-watch", daemon=True).start()
    lean_imports()
    from . import engine

    engine.use_kernel_server(params.get("kernel_server"))
    _warm_worker(params)


# ------------------------------------------------------------------------------------------
# The batch.
# ------------------------------------------------------------------------------------------

class Progress:
    """What a batch reports as it goes; the CLI draws a progress bar from it. Default: nothing."""

    def start(self, total: int, skipped: int) -> None:
        """``total`` jobs, of which ``skipped`` are unchanged and will not run."""

    def update(self, key: str, status: str) -> None:
        """Job ``key`` ended with ``status`` (``ok`` or ``failed``)."""

    def close(self) -> None:
        """The jobs are done."""


@dataclass
class BatchResult:
    manifest: dict
    done: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    portfolio: Path | None = None
    portfolio_error: str | None = None

    @property
    def exit_code(self) -> int:
        return 1 if self.failed or self.portfolio_error else 0


def _load_manifest(out: Path) -> dict:
    path = out / MANIFEST
    if path.is_file():
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(doc, dict) and isinstance(doc.get("clients"), dict):
                return doc
        except (json.JSONDecodeError, UnicodeDecodeError, OSError):
            pass
    return {"clients": {}}


@contextlib.contextmanager
def _locked(out: Path) -> Iterator[None]:
    """One batch at a time per output folder (the lock dies with its process, also on kill -9)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no lock
        yield
        return
    fh = open(out / LOCK_FILE, "a+")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UsageError({"nl": f"Er loopt al een batch naar {out}. Wacht tot die klaar is of kies een andere --out.",
                              "en": f"Another batch is writing to {out}. Wait for it or choose another --out."}) from None
        yield
    finally:
        fh.close()


def clean_leftovers(out: Path) -> list[str]:
    """Remove what a killed batch left: staging folders, half-written files; restore a report
    that was being replaced at the moment of the kill. Returns what was done (for the manifest)."""
    done: list[str] = []
    level1 = [p for p in out.iterdir() if p.is_dir() and not p.name.startswith(".")]
    folders = [out] + level1 + [w for p in level1 for w in p.iterdir() if w.is_dir() and not w.name.startswith(".")]
    for folder in folders:
        try:
            entries = list(folder.iterdir())
        except OSError:
            continue
        for p in entries:
            name = p.name
            if not name.startswith("."):
                continue
            if (p.is_dir() and (".partial-" in name or name.startswith(".failed.tmp-"))) or \
                    (p.is_file() and name == f".{MANIFEST}.tmp"):
                shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
                done.append(f"removed {p}")
            elif ".old-" in name and p.is_dir():
                dest = folder / name[1:name.index(".old-")]
                if not dest.exists():
                    os.replace(p, dest)  # the kill fell between the two renames: the old report is whole
                    done.append(f"restored {dest}")
                else:
                    shutil.rmtree(p, ignore_errors=True)
                    done.append(f"removed {p}")
    return done


def _unchanged(job: Job, old: dict | None, h: str | None) -> bool:
    if not old or old.get("status") != "ok" or not h or old.get("input_hash") != h:
        return False
    files = old.get("files") or []
    return bool(files) and all((job.out_dir / f).is_file() for f in files)


def run_batch(root: str | Path, out: str | Path, *, workers: int = 1, only: Sequence[str] | None = None,
              force: bool = False, params: dict | None = None, scheduler: str | None = None,
              progress: Progress | None = None, fresh_kernels: bool = False,
              kernel_max_uses: int = DEFAULT_KERNEL_MAX_USES, portfolio: bool = True,
              portfolio_names: bool = False, notebook: str | Path | None = None) -> BatchResult:
    """Run every job under ``root`` into ``out``; see the module documentation.

    ``notebook``: the report notebook (default ``notebooks/assessment.ipynb``); it receives the
    parameters ``client_dir``, ``assessment_file`` and ``language``.

    ``scheduler``: a Dask scheduler address (``tcp://host:8786``), or ``"local"`` for a
    LocalCluster of ``workers`` single-threaded worker processes; None runs on local processes.
    """
    from . import engine

    root = Path(root).resolve()
    out = Path(out).resolve()
    if not root.is_dir():
        raise UsageError({"nl": f"Map niet gevonden: {root}", "en": f"Folder not found: {root}"})
    if out == root:
        raise UsageError({"nl": f"--out is de map met de klanten zelf ({root}). Kies een andere map, bijvoorbeeld "
                                f"{root / 'rapporten'}.",
                          "en": f"--out is the clients' folder itself ({root}). Choose another folder, for example "
                                f"{root / 'reports'}."})
    inside = _client_folder_holding(root, out)
    if inside is not None:
        raise UsageError({"nl": f"--out ligt in de klantmap {inside.name} ({out}); de rapporten zouden tussen de "
                                f"invoer van die klant komen. Kies een map buiten de klantmappen, bijvoorbeeld "
                                f"{root / 'rapporten'}.",
                          "en": f"--out lies inside the client folder {inside.name} ({out}); the reports would end "
                                f"up among that client's inputs. Choose a folder outside the client folders, for "
                                f"example {root / 'reports'}."})
    jobs = discover(root, out, only)
    if not only and not jobs:
        itself = is_client_folder(root)
        raise UsageError({"nl": f"Geen klantmappen gevonden in {root}. "
                                + (f"Die map is zelf een klantmap: maak het rapport met 'klantladder report {root} --out "
                                   "MAP'." if itself else
                                   "Een klantmap bevat client.yaml of een invoerbestand (customer_survey, "
                                   "employee_survey, tickets, customers); zet elke klant in een eigen map onder deze "
                                   "map."),
                          "en": f"No client folders found in {root}. "
                                + (f"That folder is a client folder itself: make its report with 'klantladder report "
                                   f"{root} --out FOLDER'." if itself else
                                   "A client folder holds client.yaml or an input file (customer_survey, "
                                   "employee_survey, tickets, customers); put each client in a folder of its own "
                                   "under this folder.")})
    out.mkdir(parents=True, exist_ok=True)
    progress = progress or Progress()
    params = dict(params or {})
    params.setdefault("pdf", True)
    params["engine"] = engine.FRESH_ENGINE if fresh_kernels else engine.ENGINE
    params["kernel_max_uses"] = max(1, int(kernel_max_uses))
    if notebook is not None:
        if not Path(notebook).is_file():
            raise UsageError({"nl": f"Notebook niet gevonden: {notebook}", "en": f"Notebook not found: {notebook}"})
        params["notebook"] = str(Path(notebook).resolve())
    with _locked(out):
        cleaned = clean_leftovers(out)  # only dotted names in out: none of them is a client folder
        if only:
            found = {j.key for j in jobs} | {j.key.split("/")[0] for j in jobs} | {j.folder.name for j in jobs} \
                | {j.folder.parent.name for j in jobs}
            missing = [o for o in only if o not in found and safe_name(o) not in found]
            if missing:
                raise UsageError(_not_found(root, out, missing))
        manifest = _load_manifest(out)
        manifest.update({"root": str(root), "package_version": __version__, "started_at": _now(),
                         "finished_at": None, "workers": workers, "scheduler": scheduler,
                         "engine": params["engine"], "kernel_max_uses": params["kernel_max_uses"]})
        if cleaned:
            manifest["cleaned_up"] = cleaned
        else:
            manifest.pop("cleaned_up", None)
        clients = manifest.setdefault("clients", {})
        result = BatchResult(manifest)
        todo: list[tuple[Job, tuple]] = []
        for job in jobs:
            old = clients.get(job.key)
            try:
                h, mv, inputs = job_hash(job, params, (old or {}).get("inputs"))
            except Exception:  # noqa: BLE001 - whatever it is, the job itself will say what is wrong
                h, mv, inputs = None, None, None
            if not force and _unchanged(job, old, h):
                result.skipped.append(job.key)
                if old.get("inputs") != inputs:  # e.g. touched but not changed: remember the new mtimes
                    old["inputs"] = inputs
            else:
                todo.append((job, (h, mv, inputs)))
        progress.start(len(jobs), len(result.skipped))
        write_json(manifest, out / MANIFEST)

        def record(job: Job, entry: dict) -> None:
            clients[job.key] = entry
            (result.done if entry["status"] == "ok" else result.failed).append(job.key)
            write_json(manifest, out / MANIFEST)
            progress.update(job.key, entry["status"])

        # Longest first (by input size): the last job to start is then a short one.
        todo.sort(key=lambda jt: -sum(d["size"] for d in (jt[1][2] or {}).values()))
        try:
            if scheduler:
                _run_dask(scheduler, workers, todo, params, record)
            elif workers <= 1 or len(todo) <= 1:
                _run_inline(todo, params, record)
            else:
                _run_processes(workers, todo, params, record)
        finally:
            progress.close()
        if portfolio:
            _portfolio(out, manifest, result, params, portfolio_names)
        manifest["finished_at"] = _now()
        manifest["summary"] = {"ok": len(result.done), "failed": len(result.failed), "skipped": len(result.skipped),
                               "failed_clients": sorted(result.failed)}
        if not only:  # entries of clients whose input folder is gone (their outputs are left alone)
            gone = sorted(set(clients) - {j.key for j in jobs})
            if gone:
                manifest["summary"]["not_in_root"] = gone
        write_json(manifest, out / MANIFEST)
    return result


def _run_inline(todo, params, record) -> None:
    if not todo:
        return
    _warm_worker(params)
    for job, (h, mv, inputs) in todo:
        record(job, run_job(job, params, h, mv, inputs))
        if params.get("own_process"):  # the CLI: this process is ours to tune
            _settle()


def _process_context():
    import multiprocessing as mp

    # fork: workers start instantly with what the parent imported; elsewhere spawn.
    if sys.platform.startswith("linux") and "fork" in mp.get_all_start_methods():
        return mp.get_context("fork")
    return mp.get_context("spawn")


def _kernel_server(params: dict):
    """One kernel server for the workers' warm kernels (:mod:`klantladder.forkserver`): started
    before the workers, so that it imports the notebook's modules while they import theirs. None
    for fresh kernels, where ``fork`` is missing, or with ``KLANTLADDER_KERNEL_SERVER=0``."""
    from . import engine, forkserver

    if (params.get("engine") == engine.FRESH_ENGINE or not forkserver.available()
            or os.environ.get("KLANTLADDER_KERNEL_SERVER", "1") == "0"):
        return None
    notebook = _notebook(params)
    try:
        return forkserver.KernelServer(engine.preload_modules(notebook), cwd=notebook.parent)
    except Exception as exc:  # the workers start their kernels the ordinary way
        import logging

        logging.getLogger(__name__).debug("no kernel server: %s", exc)
        return None


def _run_processes(workers: int, todo, params, record) -> None:
    server = _kernel_server(params)
    try:
        if server is not None:
            params = {**params, "kernel_server": server.address}
        _run_pool(workers, todo, params, record)
    finally:
        if server is not None:
            server.close()


def _run_pool(workers: int, todo, params, record) -> None:
    pool = cf.ProcessPoolExecutor(max_workers=min(workers, len(todo)), mp_context=_process_context(),
                                  initializer=_init_local_worker, initargs=(params, os.getpid()))
    futures: dict[cf.Future, Job] = {}
    recorded: set[cf.Future] = set()
    try:
        futures = {pool.submit(_worker_job, job, params, h, mv, inputs): job for job, (h, mv, inputs) in todo}
        for fut in cf.as_completed(futures):
            job = futures[fut]
            try:
                entry = fut.result()
            except Exception as exc:  # the worker process died (e.g. out of memory)
                entry = _lost(job, params, exc)
            recorded.add(fut)
            record(job, entry)
    except BaseException:  # Ctrl-C or a kill: keep what is finished, stop the workers now
        processes = list((getattr(pool, "_processes", None) or {}).values())  # shutdown() forgets them
        for fut, job in futures.items():
            if fut not in recorded and fut.done() and not fut.cancelled() and fut.exception() is None:
                with contextlib.suppress(Exception):
                    record(job, fut.result())
        pool.shutdown(wait=False, cancel_futures=True)
        for p in processes:
            with contextlib.suppress(Exception):
                p.terminate()
        raise
    pool.shutdown(wait=True)


def _lost(job: Job, params: dict, exc: BaseException) -> dict:
    return {"status": "failed", "folder": str(job.folder), "out_dir": str(job.out_dir),
            "package_version": __version__, "files": [], "finished_at": _now(), "duration": None,
            "error": {"nl": f"De werker die dit rapport maakte is gestopt ({type(exc).__name__}: {exc}).",
                      "en": f"The worker making this report stopped ({type(exc).__name__}: {exc})."}
            [params.get("message_language", "nl")]}


def _run_dask(scheduler: str, workers: int, todo, params, record) -> None:
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise UsageError({"nl": "Voor --scheduler is dask[distributed] nodig: pip install 'dask[distributed]'.",
                          "en": "--scheduler needs dask[distributed]: pip install 'dask[distributed]'."}) from None
    import logging

    for name in ("distributed", "distributed.worker", "distributed.scheduler", "distributed.nanny"):
        logging.getLogger(name).setLevel(logging.ERROR)
    cluster = None
    if scheduler == "local":
        cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
        client = Client(cluster)
    else:
        try:
            client = Client(scheduler, timeout="20s")
        except OSError as exc:
            raise UsageError({"nl": f"Kan de Dask-scheduler {scheduler} niet bereiken: {exc}",
                              "en": f"Cannot reach the Dask scheduler {scheduler}: {exc}"}) from None
    try:
        # Each Dask worker starts its warm kernel with its first job (in the thread that runs
        # the jobs) and its kernels end with the worker process.
        futures = {}
        for job, (h, mv, inputs) in todo:
            fut = client.submit(run_job, job, params, h, mv, inputs, pure=False, key=f"klantladder-{job.key}-{os.urandom(4).hex()}")
            futures[fut] = job
        for fut in as_completed(list(futures)):
            job = futures[fut]
            try:
                entry = fut.result()
            except Exception as exc:  # the task was lost (KilledWorker, ...)
                entry = _lost(job, params, exc)
            record(job, entry)
    finally:
        with contextlib.suppress(Exception):
            client.close()
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close()


def _portfolio(out: Path, manifest: dict, result: BatchResult, params: dict, names: bool) -> None:
    """Render ``portfolio.html`` unless nothing changed since the last one."""
    from .portfolio_report import collect_scores, render_portfolio

    files = collect_scores(out)
    if not files:
        manifest.pop("portfolio", None)
        return
    from .paths import PORTFOLIO_NOTEBOOK

    h = hashlib.sha256(json.dumps({"names": names, "lang": params.get("language"),
                                   "report": _report_fingerprint(PORTFOLIO_NOTEBOOK),
                                   "package": __version__,
                                   "scores": {str(p.relative_to(out)): _digest(p, None)["sha256"] for p in files}},
                                  sort_keys=True).encode()).hexdigest()
    old = manifest.get("portfolio") or {}
    target = out / PORTFOLIO_HTML
    if old.get("status") == "ok" and old.get("hash") == h and target.is_file():
        result.portfolio = target
        return
    start = time.perf_counter()
    try:
        render_portfolio(out, target, show_names=names, language=params.get("language") or "nl",
                         engine=params.get("engine"))
        manifest["portfolio"] = {"status": "ok", "file": PORTFOLIO_HTML, "hash": h, "clients": len(files),
                                 "show_names": names, "duration": round(time.perf_counter() - start, 3),
                                 "finished_at": _now()}
        result.portfolio = target
    except KlantladderError as exc:
        result.portfolio_error = exc.text(params.get("message_language", "nl"))
        manifest["portfolio"] = {"status": "failed", "error": result.portfolio_error}
    except Exception as exc:
        result.portfolio_error = f"{type(exc).__name__}: {exc}"
        manifest["portfolio"] = {"status": "failed", "error": result.portfolio_error,
                                 "traceback": traceback.format_exc(limit=8)}
