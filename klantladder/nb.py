"""Small helpers the notebooks call: load the assessment, show HTML and figures deterministically."""

from __future__ import annotations

import io
import pickle
from pathlib import Path

from .assess import Assessment, assess_folder

__all__ = ["load_assessment", "show", "show_figure", "figure_svg"]


def load_assessment(client_dir: str | Path, assessment_file: str | None = None, language: str | None = None) -> Assessment:
    """The assessment the report narrates: the one the runner computed (``assessment_file``), or a
    fresh one from ``client_dir`` when the notebook is run by hand. ``language`` overrides client.yaml."""
    if assessment_file:
        with open(assessment_file, "rb") as fh:
            a: Assessment = pickle.load(fh)
    else:
        a = assess_folder(client_dir)
    return a.in_language(language)


def figure_svg(fig) -> str:
    """A figure as SVG text without timestamps or random ids (identical on every run)."""
    import matplotlib.pyplot as plt

    buf = io.StringIO()
    with plt.rc_context({"svg.hashsalt": "klantladder", "svg.fonttype": "none"}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]


def show(html: str) -> None:
    """Display an HTML fragment (from :mod:`klantladder.sections`)."""
    from IPython.display import HTML, display

    display(HTML(html))


def show_figure(fig) -> None:
    """Display a figure as inline SVG (text stays selectable in the PDF)."""
    from IPython.display import SVG, display

    display(SVG(data=figure_svg(fig)))
