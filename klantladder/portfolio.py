"""The portfolio of a batch, and one client's benchmark against it.

A batch writes ``<out>/<client>/scores.json``, or ``<out>/<client>/<wave>/scores.json`` for a
client measured in several waves. :func:`portfolio_table` reads them into one row per client
(its latest wave); :func:`client_benchmark` places one client among the *other* clients with
:func:`klantladder.benchmark.benchmark`. The benchmark table holds only the client's own values,
percentiles, counts and portfolio quantiles: never another client's name, row or value.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, Iterator, Mapping

import numpy as np
import pandas as pd

from .benchmark import BENCHMARK_COLUMNS, benchmark
from .waves import wave_sort_key

__all__ = ["SCORES_FILE", "PORTFOLIO_KPIS", "scores_documents", "document_measures", "portfolio_table",
           "client_benchmark"]

SCORES_FILE = "scores.json"
#: KPIs compared across clients (besides the overall score and the dimension scores).
PORTFOLIO_KPIS: tuple[str, ...] = ("nps", "csat", "ces", "first_response_hours_median", "resolution_hours_median",
                                   "fcr_rate", "reopen_rate", "repeat_contact_rate", "sla_rate", "retention_12m")


def scores_documents(out_dir: str | Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every ``scores.json`` of a batch output, as (client folder name, document).

    Reads ``<out>/<client>/scores.json`` and ``<out>/<client>/<wave>/scores.json``; folders
    starting with a dot (staging folders of a running batch) and unreadable files are skipped.
    """
    root = Path(out_dir)
    for client in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        files = [client / SCORES_FILE] if (client / SCORES_FILE).is_file() else sorted(
            w / SCORES_FILE for w in client.iterdir()
            if w.is_dir() and not w.name.startswith(".") and (w / SCORES_FILE).is_file())
        for f in files:
            try:
                yield client.name, json.loads(f.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError, UnicodeDecodeError):
                continue


def document_measures(doc: Mapping[str, Any], kpis: tuple[str, ...] = PORTFOLIO_KPIS) -> dict[str, float]:
    """A ``scores.json`` document's comparable numbers: ``overall``, each dimension score (by its
    key) and the KPIs in ``kpis`` (by their key); missing ones are NaN."""
    out: dict[str, float] = {"overall": _num((doc.get("overall") or {}).get("score"))}
    for key, d in (doc.get("dimensions") or {}).items():
        out[key] = _num((d or {}).get("score"))
    for key in kpis:
        out[key] = _num(((doc.get("kpis") or {}).get(key) or {}).get("value"))
    return out


def _num(x: Any) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return float("nan")
    return v if np.isfinite(v) else float("nan")


def _date(text: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(text)) if text else None
    except ValueError:
        return None


def _latest(docs: list[dict[str, Any]]) -> dict[str, Any]:
    return max(docs, key=lambda d: wave_sort_key(str(d.get("wave") or ""), _date(d.get("reference_date"))))


def portfolio_table(out_dir: str | Path) -> pd.DataFrame:
    """One row per client of a batch output: its latest wave's measures.

    Returns
    -------
    pandas.DataFrame
        Index: the client folder names (for the consultant's own overview; never shown to a
        client). Columns ``sector``, ``wave`` and :func:`document_measures`. A client measured
        in several waves counts once, with its latest wave (reference date, else wave name), so
        no client weighs more in the benchmark because it was measured more often.
    """
    by_client: dict[str, list[dict[str, Any]]] = {}
    for client, doc in scores_documents(out_dir):
        by_client.setdefault(client, []).append(doc)
    rows = {}
    for client, docs in by_client.items():
        doc = _latest(docs)
        rows[client] = {"sector": doc.get("sector"), "wave": doc.get("wave"), **document_measures(doc)}
    return pd.DataFrame.from_dict(rows, orient="index")


def client_benchmark(out_dir: str | Path, client: str, wave: str | None = None, min_peers: int = 5) -> pd.DataFrame:
    """A client's percentile per measure among the other clients of a batch, and in its sector.

    Parameters
    ----------
    out_dir : path
        The batch output folder.
    client : str
        The client's folder name in ``out_dir`` (or its ``client_id`` from ``scores.json``).
    wave : str, optional
        Which of the client's waves to place; its latest by default.
    min_peers : int
        Fewest peers with a value for a percentile or quantile to be shown (default 5): a
        median of two clients would reveal their values.

    Returns
    -------
    pandas.DataFrame
        :data:`klantladder.benchmark.BENCHMARK_COLUMNS` and ``higher_is_better`` (a percentile
        of 80 for a resolution time means slower than 80% of the peers), one row per measure (``overall``, the
        dimension keys, the KPIs): the client's value, its percentile among the peers (the
        other clients' latest waves, none of the client's own waves), the number of peers, the
        same within its sector where at least ``min_peers`` peers share it, and the portfolio
        median and quartiles. No other client's name or value appears.

    Raises
    ------
    KeyError
        When the client (or the wave) has no ``scores.json`` in ``out_dir``.
    """
    docs: dict[str, list[dict[str, Any]]] = {}
    for name, doc in scores_documents(out_dir):
        docs.setdefault(name, []).append(doc)
    own_key = client if client in docs else next(
        (k for k, ds in docs.items() if any(d.get("client_id") == client for d in ds)), None)
    if own_key is None:
        raise KeyError(f"no {SCORES_FILE} for client {client!r} in {out_dir}")
    own_docs = docs.pop(own_key)
    if wave is not None:
        own_docs = [d for d in own_docs if str(d.get("wave")) == str(wave)]
        if not own_docs:
            raise KeyError(f"client {client!r} has no wave {wave!r} in {out_dir}")
    own = _latest(own_docs)
    values = document_measures(own)
    latest = [_latest(ds) for ds in docs.values()]
    # Scores (overall, dimensions) are compared only with peers scored by the same model: another
    # model's items, weights or scales make another number. KPIs are measurements: all peers.
    same_model = [d for d in latest if d.get("model_version") == own.get("model_version")]
    scored = {k: v for k, v in values.items() if k not in PORTFOLIO_KPIS}
    measured = {k: v for k, v in values.items() if k in PORTFOLIO_KPIS}
    parts = [_benchmark_among(scored, same_model, own, min_peers), _benchmark_among(measured, latest, own, min_peers)]
    table = pd.concat([p for p in parts if len(p)] or parts[:1], ignore_index=True)
    order = {m: i for i, m in enumerate(values)}
    table = table.sort_values("measure", key=lambda m: m.map(order), kind="stable").reset_index(drop=True)
    table = table[list(BENCHMARK_COLUMNS)].copy()
    table["higher_is_better"] = [_higher_is_better(m) for m in table["measure"]]
    return table


def _benchmark_among(values: dict[str, float], peer_docs: list[dict[str, Any]], own: Mapping[str, Any],
                     min_peers: int) -> pd.DataFrame:
    """:func:`klantladder.benchmark.benchmark` of ``values`` among the peers' documents."""
    peers = pd.DataFrame([{"sector": d.get("sector"), **document_measures(d)} for d in peer_docs])
    if peers.empty:
        peers = pd.DataFrame(columns=["sector", *values])
    return benchmark(values, peers.reset_index(drop=True), sector=own.get("sector"), min_peers=min_peers)


def _higher_is_better(measure: str) -> bool:
    """Whether a higher value is better: from the direction of the KPI's scale in the default
    model (times and reopen/repeat rates: lower is better); scores always."""
    from .model import default_model

    spec = default_model().kpis.get(measure)
    if spec is None or spec.scale is None:
        return True
    return spec.scale[-1][1] >= spec.scale[0][1]
