"""Small helpers the notebooks call: load the assessment and its context, show HTML and figures.

The report notebook (``notebooks/assessment.ipynb``) is one call per section::

    a = nb.load_assessment(client_dir, assessment_file, language)
    ctx = nb.load_context(previous_scores, portfolio)
    nb.show(sections.summary(a))
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Sequence

from . import handoff
from .assess import Assessment, assess_folder
from .reportdata import ReportContext, load_context as _load_context

__all__ = ["load_assessment", "load_context", "show", "show_figure", "figure_svg"]


def load_assessment(client_dir: str | Path, assessment_file: str | None = None, language: str | None = None) -> Assessment:
    """The assessment the report narrates: the one the runner computed (``assessment_file``), or a
    fresh one from ``client_dir`` when the notebook is run by hand. ``language`` overrides client.yaml."""
    if assessment_file:
        a: Assessment = _read_assessment(assessment_file)
    else:
        a = assess_folder(client_dir)
    return a.in_language(language)


def _read_assessment(path: str | Path) -> Assessment:
    """The assessment in ``path``: a :mod:`klantladder.handoff` file (what the report runner
    writes) or a plain pickle."""
    if handoff.is_handoff(path):
        return handoff.load(path)
    with open(path, "rb") as fh:
        return pickle.load(fh)


def load_context(previous_scores: Sequence[str | Path] | str | Path | None = None,
                 portfolio: str | Path | None = None) -> ReportContext:
    """Earlier waves (``scores.json`` paths, oldest first) and the portfolio (a batch output folder
    or a table) for the trend and benchmark section; both optional."""
    return _load_context(previous_scores, portfolio)


def figure_svg(fig, name: str = "figure") -> str:
    """A figure as inline SVG text without timestamps or random ids (identical on every run)."""
    from .plots import to_svg

    return to_svg(fig, name)


def show(html: str) -> None:
    """Display an HTML fragment (a section from :mod:`klantladder.sections`)."""
    from IPython.display import HTML, display

    display(HTML(str(html)))


def show_figure(fig, name: str = "figure") -> None:
    """Display a figure as inline SVG (text stays selectable in the PDF)."""
    from IPython.display import SVG, display

    display(SVG(data=figure_svg(fig, name)))
