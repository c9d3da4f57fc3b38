"""Run the report notebook for one client and export it: HTML (self-contained) and PDF (A4).

``make_report`` scores the client once, writes ``scores.json``, ``scores.xlsx`` and
``rejects.csv``, executes ``notebooks/assessment.ipynb`` with papermill on that same assessment,
exports the executed notebook to HTML with the nbconvert template in ``templates/klantladder``
(no code, no prompts, no scripts) and renders the HTML to PDF with WeasyPrint. Everything is built
in a staging folder and moved into place whole.
"""

from __future__ import annotations

import logging
import pickle
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .assess import Assessment, assess_folder
from .outputs import staging_dir, write_rejects, write_scores, write_workbook
from .paths import ASSESSMENT_NOTEBOOK, TEMPLATES

__all__ = ["ReportResult", "make_report", "run_notebook", "export_html", "export_pdf", "OUTPUT_FILES"]

OUTPUT_FILES = ("report.html", "report.pdf", "scores.json", "scores.xlsx", "assessment.ipynb", "rejects.csv")
REMOVE_TAGS = ("remove_cell", "parameters", "injected-parameters", "setup")


@dataclass
class ReportResult:
    out_dir: Path
    files: list[str]
    rung: int
    seconds: float


def run_notebook(notebook: Path, output: Path, parameters: dict, engine: str | None = None,
                 kernel_name: str | None = None, cwd: Path | None = None) -> nbformat.NotebookNode:
    """Execute ``notebook`` with papermill, injecting ``parameters``; returns the executed notebook."""
    import papermill as pm

    logging.getLogger("papermill").setLevel(logging.WARNING)
    return pm.execute_notebook(
        str(notebook), str(output), parameters=parameters, engine_name=engine, kernel_name=kernel_name,
        progress_bar=False, log_output=False, cwd=str(cwd or notebook.parent),
    )


def export_html(nb: nbformat.NotebookNode, title: str = "", language: str = "nl") -> str:
    """The executed notebook as one self-contained HTML page (no input cells, no prompts)."""
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    c = Config()
    c.TagRemovePreprocessor.enabled = True
    c.TagRemovePreprocessor.remove_cell_tags = set(REMOVE_TAGS)
    c.TagRemovePreprocessor.remove_input_tags = {"hide_input"}
    c.HTMLExporter.exclude_input = True
    c.HTMLExporter.exclude_input_prompt = True
    c.HTMLExporter.exclude_output_prompt = True
    c.HTMLExporter.extra_template_basedirs = [str(TEMPLATES)]
    c.HTMLExporter.template_name = "klantladder"
    nb = nbformat.from_dict(nb)
    nb.metadata["klantladder"] = {"title": title, "language": language}
    # Keep stderr (warnings) out of a client's report; the executed notebook keeps them for audit.
    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            cell.outputs = [o for o in cell.get("outputs", []) if o.get("name") != "stderr"]
    body, _ = HTMLExporter(config=c).from_notebook_node(nb)
    return body


def export_pdf(html: str, path: Path) -> None:
    """Render the report HTML to an A4 PDF with selectable text (WeasyPrint)."""
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    from weasyprint import HTML

    HTML(string=html, base_url=str(TEMPLATES)).write_pdf(str(path))


def make_report(client_dir: str | Path, out_dir: str | Path, *, language: str | None = None, pdf: bool = True,
                engine: str | None = None, assessment: Assessment | None = None,
                notebook: Path = ASSESSMENT_NOTEBOOK) -> ReportResult:
    """Score ``client_dir`` and write its full report into ``out_dir`` (replaced whole on success).

    Raises :class:`~klantladder.errors.InputError` for bad input before anything is written.
    """
    start = time.perf_counter()
    client_dir = Path(client_dir).resolve()
    a = assessment or assess_folder(client_dir)
    a = a.in_language(language)
    lang = a.language
    with staging_dir(Path(out_dir)) as tmp:
        write_scores(a, tmp / "scores.json")
        write_workbook(a, tmp / "scores.xlsx")
        write_rejects(a, tmp / "rejects.csv")
        pkl = tmp / ".assessment.pkl"
        with open(pkl, "wb") as fh:
            pickle.dump(a, fh, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            nb = run_notebook(notebook, tmp / "assessment.ipynb",
                              {"client_dir": str(client_dir), "assessment_file": str(pkl), "language": lang},
                              engine=engine)
        finally:
            pkl.unlink(missing_ok=True)
        from .i18n import t

        html = export_html(nb, title=t("report_title", lang, name=a.config.name), language=lang)
        (tmp / "report.html").write_text(html, encoding="utf-8")
        if pdf:
            export_pdf(html, tmp / "report.pdf")
        files = sorted(p.name for p in tmp.iterdir() if not p.name.startswith("."))
    return ReportResult(Path(out_dir), files, a.rung.level, time.perf_counter() - start)
