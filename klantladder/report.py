"""Run the report notebook for one client and export it: HTML (self-contained) and PDF (A4).

``make_report`` scores the client once, writes ``scores.json``, ``scores.xlsx`` and
``rejects.csv``, executes ``notebooks/assessment.ipynb`` with papermill on that same assessment,
exports the executed notebook to HTML with the nbconvert template in ``templates/klantladder``
(no code, no prompts, no scripts) and renders the HTML to PDF with WeasyPrint. Everything is built
in a staging folder and moved into place whole.

The notebook runs on the ``klantladder`` papermill engine (:mod:`klantladder.engine`): a warm
kernel per worker, reset between reports, with outputs identical to a fresh kernel;
``engine="klantladder-fresh"`` gives every report a brand-new kernel. When the notebook (or the
export after it) fails, the partially executed notebook is kept as ``<out>/failed/assessment.ipynb``
with the message in ``<out>/failed/error.txt``; an earlier complete report in ``<out>`` is left as
it was.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from . import handoff
from .assess import Assessment, assess_folder
from .errors import KlantladderError, UsageError
from .outputs import check_replaceable, staging_dir, write_rejects, write_scores, write_workbook
from .paths import ASSESSMENT_NOTEBOOK, TEMPLATES

__all__ = ["ReportResult", "ReportError", "make_report", "run_notebook", "export_html", "export_pdf", "svg_as_image", "OUTPUT_FILES",
           "FAILED_DIR"]

OUTPUT_FILES = ("report.html", "report.pdf", "scores.json", "scores.xlsx", "assessment.ipynb", "rejects.csv")
REMOVE_TAGS = ("remove_cell", "parameters", "injected-parameters", "setup")
FAILED_DIR = "failed"
#: What a report folder may hold (patterns, folders end in "/"): the outputs, and what
#: :func:`_failed` keeps of a failed attempt. A folder holding anything else is never replaced.
_FAILED_FILES = ("assessment.ipynb", "error.txt")
_OURS = (*OUTPUT_FILES, f"{FAILED_DIR}/", *(f"{FAILED_DIR}/{f}" for f in _FAILED_FILES),
         f".{FAILED_DIR}.tmp-*/", *(f".{FAILED_DIR}.tmp-*/{f}" for f in _FAILED_FILES))


class ReportError(KlantladderError):
    """The report notebook or its export failed; ``notebook`` is the kept partial notebook, if any."""

    def __init__(self, message: dict[str, str], notebook: Path | None = None):
        super().__init__(message)
        self.notebook = notebook


@dataclass
class ReportResult:
    out_dir: Path
    files: list[str]
    rung: int
    seconds: float
    timings: dict[str, float] | None = None  # seconds per step: score, files, notebook, html, pdf


def run_notebook(notebook: Path, output: Path, parameters: dict, engine: str | None = None,
                 kernel_name: str | None = None, cwd: Path | None = None, **engine_kwargs: Any) -> nbformat.NotebookNode:
    """Execute ``notebook`` with papermill, injecting ``parameters``; returns the executed notebook.

    ``engine`` is a papermill engine name; the default is the warm-kernel ``klantladder`` engine.
    ``engine_kwargs`` go to the engine (e.g. ``kernel_max_uses``).
    """
    import papermill as pm

    from . import engine as kernel_engine  # registers the engines with papermill

    logging.getLogger("papermill").setLevel(logging.WARNING)
    engine = engine or kernel_engine.ENGINE
    if engine in (kernel_engine.ENGINE, kernel_engine.FRESH_ENGINE):
        # No save after every cell (serialising the growing notebook ~30 times costs 0.1 s per
        # report): papermill writes it on a cell error, the engine on any other failure.
        engine_kwargs.setdefault("request_save_on_cell_execute", False)
        engine_kwargs.setdefault("partial_output", str(output))
    return pm.execute_notebook(
        str(notebook), str(output), parameters=parameters, engine_name=engine,
        kernel_name=kernel_name, progress_bar=False, log_output=False, cwd=str(cwd or notebook.parent),
        **engine_kwargs,
    )


_exporters = threading.local()


def _report_exporter_class():
    """nbconvert's HTML exporter without its final pass through BeautifulSoup.

    That pass re-parses the whole page to add focus attributes to notebook cells (the report
    template has none) and placeholder alt texts (every report image has its own), and on the way
    lower-cases the SVG figures' names (``viewBox``, ``clipPath``), which only an HTML parser
    forgives. Everything else is :class:`nbconvert.HTMLExporter` as it is.
    """
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class ReportExporter(HTMLExporter):
        def from_notebook_node(self, nb, resources=None, **kw):
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            self.register_filter("highlight_code",
                                 self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
            resources = self._init_resources(resources)
            self.register_filter("filter_data_type", WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources))
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    return ReportExporter


def _html_exporter(config):
    """One report exporter per configuration and thread: building one compiles its Jinja templates."""
    import json

    key = json.dumps(config, sort_keys=True, default=lambda o: sorted(o) if isinstance(o, (set, frozenset)) else str(o))
    cache = getattr(_exporters, "cache", None)
    if cache is None:
        cache = _exporters.cache = {}
    if key not in cache:
        cache[key] = _report_exporter_class()(config=config)
    return cache[key]


def _html_config():
    from traitlets.config import Config

    c = Config()
    c.TagRemovePreprocessor.enabled = True
    c.TagRemovePreprocessor.remove_cell_tags = set(REMOVE_TAGS)
    c.TagRemovePreprocessor.remove_input_tags = {"hide_input"}
    c.HTMLExporter.exclude_input = True
    c.HTMLExporter.exclude_input_prompt = True
    c.HTMLExporter.exclude_output_prompt = True
    c.HTMLExporter.exclude_markdown = False
    c.HTMLExporter.extra_template_basedirs = [str(TEMPLATES)]
    c.HTMLExporter.template_name = "klantladder"
    return c


def export_html(nb: nbformat.NotebookNode, title: str = "", language: str = "nl") -> str:
    """The executed notebook as one self-contained HTML page: no input cells, no prompts, no
    scripts; only the cells' display outputs (the report sections, figures as inline SVG)."""
    nb = nbformat.from_dict(nb)
    nb.metadata["klantladder"] = {"title": title, "language": language}
    # Only what the sections display reaches a client: printed text, warnings (stderr) and error
    # output stay in the executed notebook, which is kept for audit.
    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            cell.outputs = [o for o in cell.get("outputs", []) if o.get("output_type") in ("display_data",
                                                                                           "execute_result")]
    body, _ = _html_exporter(_html_config()).from_notebook_node(nb)
    return body


_INLINE_SVG = re.compile(r"<svg\b[^>]*>.*?</svg>", re.S)


def svg_as_image(svg: str) -> str:
    """An inline SVG figure as an ``<img>`` holding the same SVG (a ``data:`` URI).

    WeasyPrint draws the figure identically, text still as text, but an image's elements stay out
    of the page's CSS cascade and layout: a third less time for a report's PDF.
    """
    import base64
    import html as html_module

    label = re.search(r'\baria-label="([^"]*)"', svg[:400])
    width = re.search(r'\bwidth="([^"]+)"', svg[:400])
    size = f' style="width: {width.group(1)}"' if width else ""
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    alt = html_module.escape(html_module.unescape(label.group(1)) if label else "", quote=True)
    return f'<img class="kl-svg" alt="{alt}"{size} src="data:image/svg+xml;base64,{data}">'


def _font_config():
    """This thread's WeasyPrint font configuration, kept for every PDF it renders.

    Gathering the system's fonts, and the text measurements WeasyPrint caches on the
    configuration, then happen once per process instead of once per report (about 5% of a
    report's PDF time). One per thread: Pango's font maps are not shared between threads.
    """
    config = getattr(_exporters, "font_config", None)
    if config is None:
        from weasyprint.text.fonts import FontConfiguration

        config = _exporters.font_config = FontConfiguration()
    return config


def export_pdf(html: str, path: Path) -> None:
    """Render the report HTML to an A4 PDF with selectable text (WeasyPrint)."""
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    from weasyprint import HTML

    html = _INLINE_SVG.sub(lambda m: svg_as_image(m.group(0)), html)
    HTML(string=html, base_url=str(TEMPLATES)).write_pdf(str(path), font_config=_font_config())


def make_report(client_dir: str | Path, out_dir: str | Path, *, language: str | None = None, pdf: bool = True,
                engine: str | None = None, assessment: Assessment | None = None,
                notebook: Path = ASSESSMENT_NOTEBOOK, kernel_max_uses: int | None = None,
                execution_timeout: float | None = None, history: bool = True) -> ReportResult:
    """Score ``client_dir`` and write its full report into ``out_dir`` (replaced whole on success).

    Raises :class:`~klantladder.errors.InputError` for bad input before anything is written, and
    :class:`ReportError` when the notebook or the export fails (the partial notebook is kept in
    ``<out_dir>/failed/``). ``history``: look for the client's earlier waves in sibling folders
    (the batch asks for it only for wave folders, so that clients side by side stay independent).
    """
    start = time.perf_counter()
    timings: dict[str, float] = {}
    client_dir = Path(client_dir).resolve()
    out_dir = Path(out_dir).resolve()  # the kernel runs in the notebook's folder: paths it gets must be absolute
    if not client_dir.is_dir():
        raise UsageError({"nl": f"Klantmap niet gevonden: {client_dir}", "en": f"Client folder not found: {client_dir}"})
    check_replaceable(out_dir, _OURS)  # before anything is scored or written (a client folder, '.', a file...)
    shutil.rmtree(out_dir / FAILED_DIR, ignore_errors=True)  # from an earlier attempt
    if assessment is None:
        from . import assess as assess_module

        # With the client's earlier waves as history (the trend) where the package offers it.
        scorer = getattr(assess_module, "assess_with_history", assess_folder) if history else assess_folder
        assessment = scorer(client_dir)
    a = assessment.in_language(language)
    timings["score"] = time.perf_counter() - start
    lang = a.language
    engine_kwargs: dict[str, Any] = {"kernel_max_uses": kernel_max_uses} if kernel_max_uses else {}
    if execution_timeout:
        engine_kwargs["execution_timeout"] = execution_timeout  # seconds per cell
    with staging_dir(out_dir) as tmp:
        try:
            step = time.perf_counter()
            write_scores(a, tmp / "scores.json")
            write_workbook(a, tmp / "scores.xlsx")
            write_rejects(a, tmp / "rejects.csv")
            handoff_file = tmp / ".assessment.handoff"  # read in place by the kernel (nb.load_assessment)
            handoff.dump(a, handoff_file)
            timings["files"], step = time.perf_counter() - step, time.perf_counter()
            try:
                nb = run_notebook(notebook, tmp / "assessment.ipynb",
                                  {"client_dir": str(client_dir), "assessment_file": str(handoff_file), "language": lang},
                                  engine=engine, **engine_kwargs)
            finally:
                handoff_file.unlink(missing_ok=True)
            timings["notebook"], step = time.perf_counter() - step, time.perf_counter()
            from .i18n import t

            html = export_html(nb, title=t("report_title", lang, name=a.config.name), language=lang)
            (tmp / "report.html").write_text(html, encoding="utf-8")
            timings["html"], step = time.perf_counter() - step, time.perf_counter()
            if pdf:
                export_pdf(html, tmp / "report.pdf")
                timings["pdf"] = time.perf_counter() - step
        except KlantladderError:
            raise
        except Exception as exc:
            raise _failed(exc, tmp / "assessment.ipynb", out_dir) from exc
        files = sorted(p.name for p in tmp.iterdir() if not p.name.startswith("."))
    return ReportResult(out_dir, files, a.rung.level, time.perf_counter() - start,
                        {k: round(v, 3) for k, v in timings.items()})


def _failed(exc: Exception, partial: Path, out_dir: Path) -> ReportError:
    """Keep the partial notebook beside (not in place of) the last good report; say what failed."""
    ename = getattr(exc, "ename", None)
    if ename:  # papermill.PapermillExecutionError: a cell raised
        evalue = str(getattr(exc, "evalue", "")).strip().splitlines()
        what = f"{ename}: {evalue[-1] if evalue else ''}".strip().rstrip(":")
        cell = getattr(exc, "exec_count", None)
        where = {"nl": f"Het rapport-notebook stopte in cel [{cell}] met {what}.",
                 "en": f"The report notebook stopped in cell [{cell}] with {what}."}
    else:
        text = str(exc).strip().splitlines()
        what = f"{type(exc).__name__}: {text[-1] if text else ''}".strip().rstrip(":")
        where = {"nl": f"Het rapport kon niet worden gemaakt: {what}.",
                 "en": f"The report could not be made: {what}."}
    kept = None
    if partial.is_file():
        folder = out_dir / FAILED_DIR
        tmp = out_dir / f".{FAILED_DIR}.tmp-{os.getpid()}"
        try:
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            shutil.copyfile(partial, tmp / "assessment.ipynb")
            detail = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", str(exc))  # no terminal colour codes
            (tmp / "error.txt").write_text(f"{where['nl']}\n{where['en']}\n\n{detail}\n", encoding="utf-8")
            shutil.rmtree(folder, ignore_errors=True)
            os.replace(tmp, folder)
            kept = folder / "assessment.ipynb"
            where = {"nl": f"{where['nl']} Het half uitgevoerde notebook staat in {kept}.",
                     "en": f"{where['en']} The partly executed notebook is in {kept}."}
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)
    return ReportError(where, kept)
