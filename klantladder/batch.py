"""``klantladder batch``: many clients (and waves) in one run, never losing work.

Each client folder under the root (or each wave folder below a client) becomes one job. Jobs run
in worker processes; one failing client never stops the others. ``manifest.json`` in the output
root records every job (status, duration, input hash, versions, files, error) and is rewritten
atomically after each job, so a killed batch resumes where it stopped. A job whose inputs, model,
parameters and package version are unchanged since its last success is skipped.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import json
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

from . import __version__
from .config import EXTENSIONS, SOURCES, load_client_config, safe_name
from .errors import KlantladderError
from .intake import input_hash
from .model import load_model
from .outputs import write_json

__all__ = ["Job", "discover", "run_batch", "BatchResult", "MANIFEST"]

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Job:
    """One report to make: a client folder (or one of its wave folders) and where it goes."""

    key: str
    folder: Path
    out_dir: Path


def _is_client(folder: Path) -> bool:
    return (folder / "client.yaml").is_file() or any((folder / f"{s}{e}").is_file() for s in SOURCES for e in EXTENSIONS)


def discover(root: str | Path, out: str | Path, only: Sequence[str] | None = None) -> list[Job]:
    """Every client (and wave) folder under ``root``, sorted; output paths come from folder names."""
    root, out = Path(root), Path(out)
    jobs = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        client = safe_name(folder.name)
        if only and folder.name not in only and client not in only:
            continue
        waves = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".") and _is_client(p))
        if waves:
            jobs += [Job(f"{client}/{safe_name(w.name)}", w, out / client / safe_name(w.name)) for w in waves]
        elif _is_client(folder):
            jobs.append(Job(client, folder, out / client))
    return jobs


def _job_hash(job: Job, params: dict) -> str:
    cfg = load_client_config(job.folder)
    model = load_model(cfg.model)
    extra = json.dumps({"model": model.version, "model_path": model.path, "package": __version__, **params},
                       sort_keys=True)
    model_bytes = Path(model.path).read_bytes() if model.path else b""
    import hashlib

    return input_hash(job.folder, extra + hashlib.sha256(model_bytes).hexdigest())


def run_job(job: Job, params: dict) -> dict:
    """Make one client's report; never raises: returns a manifest entry."""
    from .report import make_report

    start = time.perf_counter()
    entry = {"folder": str(job.folder), "out_dir": str(job.out_dir), "package_version": __version__,
             "finished_at": None, "error": None, "files": [], "status": "failed"}
    try:
        entry["input_hash"] = _job_hash(job, params)
        cfg = load_client_config(job.folder)
        entry["model_version"] = load_model(cfg.model).version
        result = make_report(job.folder, job.out_dir, language=params.get("language"), pdf=params.get("pdf", True),
                             engine=params.get("engine"))
        entry.update(status="ok", files=result.files, rung=result.rung)
    except KlantladderError as exc:
        entry["error"] = exc.text(params.get("message_language", "nl"))
    except Exception as exc:  # a notebook or export error: recorded, the batch goes on
        entry["error"] = f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1] if str(exc).strip() else ''}"
        entry["traceback"] = traceback.format_exc(limit=5)
    entry["duration"] = round(time.perf_counter() - start, 3)
    entry["finished_at"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    return entry


@dataclass
class BatchResult:
    manifest: dict
    done: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0


def _load_manifest(out: Path) -> dict:
    path = out / MANIFEST
    if path.is_file():
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            return {"clients": {}}
    return {"clients": {}}


def _unchanged(job: Job, old: dict | None, params: dict) -> bool:
    if not old or old.get("status") != "ok":
        return False
    if not all((job.out_dir / f).is_file() for f in old.get("files", [])) or not old.get("files"):
        return False
    try:
        return old.get("input_hash") == _job_hash(job, params)
    except KlantladderError:
        return False


def run_batch(root: str | Path, out: str | Path, *, workers: int = 1, only: Sequence[str] | None = None,
              force: bool = False, params: dict | None = None,
              progress: Callable[[str, str], None] | None = None) -> BatchResult:
    """Run every job under ``root``; ``progress(key, status)`` is called as each one ends."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    params = dict(params or {})
    jobs = discover(root, out, only)
    manifest = _load_manifest(out)
    manifest.update({"root": str(Path(root).resolve()), "package_version": __version__,
                     "started_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")})
    clients = manifest.setdefault("clients", {})
    result = BatchResult(manifest)
    todo = []
    for job in jobs:
        if not force and _unchanged(job, clients.get(job.key), params):
            result.skipped.append(job.key)
            if progress:
                progress(job.key, "skipped")
        else:
            todo.append(job)

    def record(job: Job, entry: dict) -> None:
        clients[job.key] = entry
        (result.done if entry["status"] == "ok" else result.failed).append(job.key)
        write_json(manifest, out / MANIFEST)
        if progress:
            progress(job.key, entry["status"])

    if workers <= 1 or len(todo) <= 1:
        for job in todo:
            record(job, run_job(job, params))
    else:
        with cf.ProcessPoolExecutor(max_workers=workers) as pool:
            futures = {pool.submit(run_job, job, params): job for job in todo}
            for fut in cf.as_completed(futures):
                record(futures[fut], fut.result())
    manifest["finished_at"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    manifest["summary"] = {"ok": len(result.done), "failed": len(result.failed), "skipped": len(result.skipped)}
    write_json(manifest, out / MANIFEST)
    return result
