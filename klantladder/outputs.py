"""Writing a client's outputs: ``scores.json``, ``scores.xlsx``, ``rejects.csv``, all-or-nothing.

Outputs are built in a staging folder beside the destination and moved into place whole, so a
crash never leaves a half report that looks complete.
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterable, Iterator

import pandas as pd

from .i18n import t

__all__ = ["staging_dir", "check_replaceable", "check_scores_target", "write_json", "write_scores", "write_workbook",
           "write_rejects"]


def _first_foreign(folder: Path, ours: Iterable[str], prefix: str = "") -> str | None:
    """The first entry under ``folder`` (as a path relative to it) that no pattern in ``ours``
    matches; folders end in ``/``. Only folders of ours are entered, so a large foreign folder
    is judged by its first entry."""
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        rel = prefix + entry.name
        if entry.is_dir(follow_symlinks=False):
            if not any(fnmatch.fnmatchcase(rel + "/", p) for p in ours):
                return rel + "/"
            inner = _first_foreign(Path(entry.path), ours, rel + "/")
            if inner is not None:
                return inner
        elif not any(fnmatch.fnmatchcase(rel, p) for p in ours):
            return rel
    return None


def check_replaceable(dest: Path, ours: Iterable[str]) -> None:
    """Raise :class:`~klantladder.errors.UsageError` unless ``dest`` may be replaced whole: it does
    not exist, or it is a folder holding nothing but what klantladder writes there (``ours``:
    glob patterns of paths relative to ``dest``, folders ending in ``/``). A file, a client folder,
    the working folder or any folder with other contents is never replaced: that would delete
    what a user keeps there."""
    from .errors import UsageError

    if not dest.exists() and not dest.is_symlink():
        return
    if dest.is_symlink() or not dest.is_dir():
        what, what_en = f"{dest} is geen map", f"{dest} is not a folder"
    else:
        foreign = _first_foreign(dest, tuple(ours))
        if foreign is None:
            return
        what, what_en = f"{dest} bevat {foreign!r}", f"{dest} holds {foreign!r}"
    raise UsageError({
        "nl": f"De uitvoermap wordt in zijn geheel vervangen, maar {what}, dat klantladder daar niet schreef. "
              "Er is niets veranderd. Kies met --out een nieuwe map, een lege map of de map van een eerder rapport.",
        "en": f"The output folder is replaced whole, but {what_en}, which klantladder did not write there. "
              "Nothing was changed. Choose with --out a new folder, an empty one or the folder of an earlier report.",
    })


def check_scores_target(path: Path) -> None:
    """Raise :class:`~klantladder.errors.UsageError` unless ``path`` may receive a ``scores.json``:
    it does not exist or it is an earlier one (a JSON object naming klantladder's model and package
    versions at its start). An input file or anything else already there is never overwritten."""
    from .errors import UsageError

    if not path.exists() and not path.is_symlink():
        return
    head = b""
    if path.is_file() and not path.is_symlink():
        with open(path, "rb") as fh:
            head = fh.read(4096)
    if not (head.lstrip().startswith(b"{") and b'"model_version"' in head and b'"package_version"' in head):
        raise UsageError({
            "nl": f"{path} bestaat al en is geen scores.json van klantladder; die wordt niet overschreven. Er is "
                  "niets veranderd. Kies met --out een andere bestandsnaam.",
            "en": f"{path} already exists and is not a klantladder scores.json; it is not overwritten. Nothing "
                  "was changed. Choose another file name with --out.",
        })


@contextlib.contextmanager
def staging_dir(dest: Path) -> Iterator[Path]:
    """Yield an empty folder beside ``dest``; on success it replaces ``dest`` whole.

    On an exception the staging folder is removed and ``dest`` is left as it was. Whether
    ``dest`` may be replaced is the caller's to check first (:func:`check_replaceable`).
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
    """Rows set aside during intake: source, row number, rule, column and the reason in the report's
    language (no raw values)."""
    rejects = a.data.rejects
    reason = rejects[f"reason_{'nl' if a.language == 'nl' else 'en'}"]
    rejects[["source", "row", "rule", "column"]].assign(reason=reason).to_csv(path, index=False, encoding="utf-8")


def _differs(marks: dict[str, int], labels: dict[str, str]) -> str | None:
    """The workbook's "differs from the rest" cell: the columns beyond the noise (``marks``, as
    :func:`klantladder.segments.directions` gives them) by their ``labels``, in the labels' order,
    with ▲ or ▼; empty where none is."""
    return ", ".join(f"{name} {'▲' if marks[k] > 0 else '▼'}" for k, name in labels.items() if k in marks) or None


def write_workbook(a, path: Path) -> None:
    """``scores.xlsx``: summary, dimensions, KPIs, channels, segments, reliability and route, in
    the report language, ready to paste from: one header row (bold, frozen, with filters), number
    formats per column (scores and percentages 0.0, alpha 0.00, probabilities as %), sensible widths.
    Every number is the Assessment's own (no recomputation); suppressed groups stay as marked rows."""
    import numpy as np
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    from . import __version__
    from . import reportdata as rd
    from .config import sector_label
    from .reportdata import KPI_ORDER, dimension_name, kpi_name
    from .segments import directions

    lang = a.language
    term, plural = a.config.customer_term
    tm = {"term": term, "plural": plural}

    def h(key: str, **kw) -> str:
        return t(key, lang, **tm, **kw).replace("\u00ad", "")

    def num(x):
        if x is None:
            return None
        try:
            x = float(x)
        except (TypeError, ValueError):
            return None
        return x if np.isfinite(x) else None

    yes, no = h("xl_yes"), h("xl_no")
    sheets: list[tuple[str, list[str], list[list], dict[int, str]]] = []

    # Summary
    rows: list[list] = [[h("xl_client"), a.config.name, None, None, None],
                        [h("xl_sector"), sector_label(a.config.sector, lang), None, None, None],
                        [h("xl_wave"), a.config.wave, None, None, None],
                        [h("xl_reference_date"), a.reference_date.isoformat() if a.reference_date else None, None,
                         None, None],
                        [h("xl_model"), a.model.version, None, None, None],
                        [h("xl_rung"), a.rung.level, None, None, None],
                        [h("xl_rung_name"), a.model.rung(a.rung.level).name.get(lang), None, None, None],
                        [h("xl_overall"), num(a.overall.value), num(a.overall.ci_low), num(a.overall.ci_high), None]]
    rows += [[h("xl_rung_probability", level=k), num(v), None, None, a.draws]
             for k, v in sorted(a.rung.probabilities.items())]
    rows.append([h("xl_note", version=__version__), None, None, None, None])
    sheets.append((h("xl_sheet_summary"), [h("xl_measure"), h("xl_value"), h("xl_low"), h("xl_high"), h("xl_n")],
                   rows, {1: "0.0", 2: "0.0", 3: "0.0", 4: "#,##0"}))

    # Dimensions
    blind = set(rd.blind_spots(a))
    rows = []
    for k, d in a.dimensions.items():
        g = d.gap
        rows.append([dimension_name(a, k), k, num(d.score), num(d.ci_low), num(d.ci_high),
                     num(d.internal.value) if d.internal else None, num(d.customer.value) if d.customer else None,
                     num(d.kpi), num(g.value) if g else None, num(g.ci_low) if g else None,
                     num(g.ci_high) if g else None, (yes if k in blind else no) if g else None,
                     d.internal.n if d.internal else 0, d.customer.n if d.customer else 0, num(a.weights.get(k))])
    head = [h("col_dimension"), h("xl_key"), h("col_score"), h("xl_low"), h("xl_high"), h("col_internal"),
            h("col_customer", Plural=plural.capitalize()), h("col_kpi"), h("xl_gap"), h("xl_gap_low"),
            h("xl_gap_high"), h("xl_blind_spot"), h("xl_n_internal"), h("xl_n_customer"), h("xl_weight")]
    sheets.append((h("xl_sheet_dimensions"), head, rows, {**{i: "0.0" for i in range(2, 11)}, 12: "#,##0",
                                                          13: "#,##0", 14: "0.00"}))

    # KPIs
    units = {"%": h("xl_percent"), "h": h("xl_hours"), "": ""}
    rows = []
    for k in KPI_ORDER:
        e = a.kpis.get(k)
        if k not in a.model.kpis:
            continue
        unit = a.model.kpis[k].unit
        rows.append([kpi_name(a, k), k, units.get(unit, unit), num(e.value) if e else None,
                     num(e.ci_low) if e else None, num(e.ci_high) if e else None, e.n if e else None])
    sheets.append((h("xl_sheet_kpis"), [h("col_kpi_name"), h("xl_key"), h("xl_unit"), h("xl_value"), h("xl_low"),
                                       h("xl_high"), h("xl_n")], rows,
                   {3: "0.0", 4: "0.0", 5: "0.0", 6: "#,##0"}))

    # Channels
    by = rd.service_by_channel(a)
    if not by.empty:
        rates = {"sla_rate": h("col_sla"), "fcr_rate": h("col_fcr"), "reopen_rate": h("col_reopen"),
                 "repeat_rate": h("col_repeat")}
        compared = {"first_response_median": h("col_fr"), "resolution_median": h("col_res"), **rates}
        head = [h("col_channel"), h("xl_n"), h("xl_suppressed"), h("col_fr"), "P90", h("col_res"), "P90",
                *rates.values(), h("xl_differs_channel")]
        rows = [[rd.group_label(r.channel, lang), None if r.suppressed else int(r.n), yes if r.suppressed else no,
                 num(r.first_response_median), num(r.first_response_p90), num(r.resolution_median),
                 num(r.resolution_p90), num(r.sla_rate), num(r.fcr_rate), num(r.reopen_rate), num(r.repeat_rate),
                 _differs(directions(r.differences), compared)]
                for r in by.itertuples()]
        sheets.append((h("xl_sheet_channels"), head, rows, {1: "#,##0", **{i: "0.0" for i in range(3, 11)}}))
        # Each shown value's 95% interval, one row per value (hidden channels have none).
        measures = {"first_response_median": h("col_fr"), "first_response_p90": h("col_fr_p90"),
                    "resolution_median": h("col_res"), "resolution_p90": h("col_res_p90"), **rates}
        spans = [[rd.group_label(r.channel, lang), measures[m], num(getattr(r, m)), num(lo), num(hi)]
                 for r in by.itertuples() for m, (lo, hi) in (r.intervals or {}).items() if m in measures]
        if spans:
            sheets.append((h("xl_sheet_channel_intervals"), [h("col_channel"), h("xl_measure"), h("xl_value"),
                                                             h("xl_low"), h("xl_high")], spans,
                           {2: "0.0", 3: "0.0", 4: "0.0"}))

    # Segments (all breakdowns stacked, one column per measure; hidden groups and cells empty)
    tables = rd.segment_tables(a)
    if tables:
        rank = {m: i for i, m in enumerate(["nps", "csat", *a.model.dimension_keys])}
        measures = sorted({v for st in tables for v in st.values}, key=lambda m: (rank.get(m, len(rank)), m))
        names = {"nps": "NPS", "csat": h("col_csat"), "retention": h("col_retention")}
        label = {m: dimension_name(a, m) if m in a.model.dimension_keys else names.get(m, m) for m in measures}
        head = [h("xl_breakdown"), h("xl_group"), h("xl_n"), h("xl_suppressed")] + [label[m] for m in measures] + [
            h("xl_differs")]
        rows, spans = [], []
        for st in tables:
            title = t(st.title_key, lang, **tm, Plural=plural.capitalize(), Term=term.capitalize())
            for r in rd.displayed_rows(st.table):
                if r.get("is_total"):
                    group = h("total")
                elif r["group"] == rd.SMALL_GROUPS:
                    group = h("small_groups", k=r["small_groups"], min_n=rd.min_group_size(a))
                else:
                    group = rd.group_label(r["group"], lang)
                n = None if r["suppressed"] or pd.isna(r["n"]) else int(r["n"])
                hidden = set(r.get("suppressed_values") or ())
                rows.append([title, group, n, yes if r["suppressed"] else no]
                            + [num(r.get(m)) if m in st.values and m not in hidden else None for m in measures]
                            + [_differs(st.directions(r), label)])
                # Each shown cell's 95% interval, one row per cell (hidden cells have none).
                ci = r.get("intervals") or {}
                spans += [[title, group, label[m], num(r.get(m)), num(ci[m][0]), num(ci[m][1])] for m in measures if m in ci]
        sheets.append((h("xl_sheet_segments"), head, rows, {2: "#,##0", **{i: "0.0" for i in range(4, len(head))}}))
        if spans:
            sheets.append((h("xl_sheet_segment_intervals"), [h("xl_breakdown"), h("xl_group"), h("xl_measure"),
                                                             h("xl_value"), h("xl_low"), h("xl_high")], spans,
                           {3: "0.0", 4: "0.0", 5: "0.0"}))

    # Reliability
    rows = []
    for survey, label in (("employee", t("source_employee_survey", lang, **tm)),
                          ("customer", t("source_customer_survey", lang, **tm))):
        for k, r in a.reliability.get(survey, {}).items():
            rows.append([label, dimension_name(a, k), num(r.alpha), num(r.alpha_std), r.n_items, r.n,
                         yes if np.isfinite(r.alpha) and r.alpha < 0.7 else no])
    sheets.append((h("xl_sheet_reliability"), [h("xl_survey"), h("col_dimension"), h("xl_alpha"), h("xl_alpha_std"),
                                              h("xl_items"), h("xl_n"), h("xl_flag")], rows,
                   {2: "0.00", 3: "0.00", 4: "0", 5: "#,##0"}))

    # Route
    items = rd.route_items(a)
    if items:
        rows = [[a.rung.level + 1, dimension_name(a, it.condition), dimension_name(a, it.advice_key),
                 num(it.value), num(it.target), num(it.shortfall)] for it in items]
        sheets.append((h("xl_sheet_route"), [h("xl_rung"), h("xl_condition"), h("col_dimension"), h("xl_value"),
                                            h("xl_target"), h("xl_shortfall")], rows,
                       {3: "0.0", 4: "0.0", 5: "0.0"}))

    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True, color="FFFFFF")
    fill = PatternFill("solid", fgColor="0173B2")
    for name, head, rows, formats in sheets:
        ws = wb.create_sheet(name[:31])
        ws.append(head)
        for row in rows:
            ws.append(row)
        for cell in ws[1]:
            cell.font = bold
            cell.fill = fill
            cell.alignment = Alignment(vertical="center", wrap_text=True)
        ws.freeze_panes = "A2"
        if rows:
            ws.auto_filter.ref = ws.dimensions
        for j, col in enumerate(ws.iter_cols(min_row=1, max_row=ws.max_row), start=0):
            fmt = formats.get(j)
            if fmt:
                for c in col[1:]:
                    if isinstance(c.value, (int, float)):
                        c.number_format = fmt
            longest = max(len(str(c.value)) if c.value is not None else 0 for c in col[1:]) if len(col) > 1 else 0
            width = max(min(len(str(head[j])), 28), min(longest, 60)) + 2
            ws.column_dimensions[col[0].column_letter].width = max(8, width)
        ws.row_dimensions[1].height = 30
    # Probabilities as percentages.
    ws = wb[sheets[0][0][:31]]
    for row in ws.iter_rows(min_row=2):
        if row[4].value == a.draws and isinstance(row[1].value, float):
            row[1].number_format = "0.0%"
    wb.save(path)
