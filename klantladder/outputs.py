"""Writing a client's outputs: ``scores.json``, ``scores.xlsx``, ``rejects.csv``, all-or-nothing.

Outputs are built in a staging folder beside the destination and moved into place whole, so a
crash never leaves a half report that looks complete.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

import pandas as pd

from .i18n import t

__all__ = ["staging_dir", "write_json", "write_scores", "write_workbook", "write_rejects"]


@contextlib.contextmanager
def staging_dir(dest: Path) -> Iterator[Path]:
    """Yield an empty folder beside ``dest``; on success it replaces ``dest`` whole.

    On an exception the staging folder is removed and ``dest`` is left as it was.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.partial-", dir=dest.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if dest.exists():
        old = dest.parent / f".{dest.name}.old-{os.getpid()}"
        shutil.rmtree(old, ignore_errors=True)
        os.replace(dest, old)
    os.replace(tmp, dest)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def write_json(data: dict, path: Path) -> None:
    """Write JSON via a temporary file and an atomic rename."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    os.replace(tmp, path)


def write_scores(a, path: Path) -> dict:
    """Write ``scores.json`` for an Assessment; returns the document."""
    doc = a.to_dict()
    write_json(doc, path)
    return doc


def write_rejects(a, path: Path) -> None:
    """Rows set aside during intake: source, row number, rule, column and reason (no raw values)."""
    a.data.rejects.to_csv(path, index=False, encoding="utf-8")


def write_workbook(a, path: Path) -> None:
    """``scores.xlsx``: rung, overall, dimensions, KPIs and reliability, ready to paste from."""
    from .sections import KPI_ORDER, dimension_name

    lang = a.language
    doc = a.to_dict()
    summary = pd.DataFrame([
        {"measure": "rung", "value": doc["rung"]["level"], "label": doc["rung"]["name"]},
        {"measure": "overall", "value": doc["overall"]["score"], "ci_low": doc["overall"]["ci_low"],
         "ci_high": doc["overall"]["ci_high"]},
    ] + [{"measure": f"p(rung {k})", "value": v} for k, v in doc["rung"]["probabilities"].items()])
    dims = pd.DataFrame([{"dimension": k, "name": dimension_name(a, k), **{c: v for c, v in d.items()
                                                                             if not isinstance(v, (list, dict))}}
                         for k, d in doc["dimensions"].items()])
    kpis = pd.DataFrame([{"kpi": k, "name": a.model.kpis[k].name.get(lang, k), "unit": a.model.kpis[k].unit,
                          **(doc["kpis"].get(k) or {})} for k in KPI_ORDER if k in doc["kpis"]])
    rel = pd.DataFrame([{"survey": s, "dimension": k, **v} for s, dd in doc["reliability"].items()
                        for k, v in dd.items()])
    sheets = {"Samenvatting" if lang == "nl" else "Summary": summary,
              "Pijlers" if lang == "nl" else "Dimensions": dims,
              "Kengetallen" if lang == "nl" else "KPIs": kpis,
              "Betrouwbaarheid" if lang == "nl" else "Reliability": rel}
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        for name, frame in sheets.items():
            frame.to_excel(xl, sheet_name=name, index=False)
            ws = xl.sheets[name]
            for col in ws.columns:
                width = max(len(str(c.value or "")) for c in col)
                ws.column_dimensions[col[0].column_letter].width = min(max(10, width + 2), 60)
