"""Helpers for the workshop notebooks in ``notebooks/workshop/``.

The workshop notebooks narrate; everything they compute or show comes from here or from the rest
of the package, so it is tested without running a notebook. Dutch is the default language of
every text a participant reads; pass ``language="en"`` for English. The workshop's content (the
words for the customer, the statements to sort, the scenarios, short texts) is in
``klantladder/texts/workshop.yaml``, where a trainer adapts it; the labels of table columns stay
beside the code that builds the table.

Overview, by notebook
---------------------
00 quick scan
    :data:`LIKERT_LABELS`, :data:`PRESET_ANSWERS`, :func:`quick_scan_items`, :func:`quick_scan`,
    :func:`quick_scan_html`, :func:`quick_scan_form` (ipywidgets).
01 wat is een klant?
    :data:`CUSTOMER_WORDS`, :func:`customer_words_table`, :func:`sector_words_table`,
    :func:`demo_clients_table`, :func:`customer_word_in_report`, :func:`customer_roles_table`,
    :func:`customer_worksheet_html`.
02 klantvriendelijk of klantgericht
    :data:`STATEMENTS`, :func:`statements_html`, :func:`statement_answers`, :func:`check_sorting`,
    :func:`sorting_widget`, :func:`service_vs_strategy`, :func:`service_vs_strategy_figure`.
03 de ladder
    :func:`condition_text`, :func:`ladder_table`, :func:`evaluate_scores` (→ :class:`LadderState`),
    :func:`condition_checks`, :func:`state_html`, :func:`whatif_figure`, :data:`SCENARIOS`, :func:`scenario`,
    :func:`scenarios_table`, :func:`scenarios_html`, :func:`ladder_whatif` (→ :class:`WhatIfPanel`).
04 een organisatie scoren
    :func:`load_demo`, :func:`load_demos`, :func:`source_overview`, :func:`sample_rows`,
    :func:`kpi_table`, :func:`reliability_table`,
    :func:`rung_probability_table`, :func:`model_variant`, :func:`rescore`,
    :func:`compare_assessments`.
05 wat vinden jouw klanten belangrijk?
    :func:`importance_table`, :func:`importance_matrix_figure`, :func:`compare_importance`,
    :func:`drivers_note`.
06 van rapport naar actie
    :func:`blocking_dimensions`, :func:`current_scores`, :func:`current_gaps`, :func:`route_to_next_rung`,
    :func:`route_table`, :func:`projected_state`, :func:`second_wave_plan`, :func:`sample_size_per_wave`.
Everywhere
    :func:`answer_html` (an answer hidden until asked for), :func:`table_html` and :func:`show_table`
    (tables for a room), :func:`report_view` (report sections as in the report), :func:`show_widget`,
    :func:`widgets_available`,
    :func:`use_widgets` (the headless fallback switch).

Widgets are optional: ipywidgets is only needed in JupyterLab (the ``lab`` extra). Every function
that builds a widget returns ``None`` when ipywidgets is missing; a notebook builds widgets only
when :func:`use_widgets` says so (its ``interactive`` parameter, False in the tests) and always
shows a static fallback as well, so the notebooks run headless (papermill, nbval).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import lru_cache
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Literal, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from . import privacy
from .assess import DRAWS, Assessment, assess, assess_folder
from .config import sector_label, sector_terms, sectors
from .demo import DEMO_CLIENTS, DemoProfile
from .i18n import fmt_number, fmt_percent, t, workshop_texts
from .model import Condition, Model, default_model
from .scoring import blocking_conditions, condition_value, overall_score, respondent_scores, rung_level

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = [
    # general
    "Text", "answer_html", "table_html", "show_table", "report_view", "show_widget", "widgets_available",
    "use_widgets", "DEMO_ROOT",
    # 00 quick scan
    "LIKERT_LABELS", "PRESET_ANSWERS", "quick_scan_items", "quick_scan", "quick_scan_html", "quick_scan_form",
    # 01 customer
    "CustomerWord", "CUSTOMER_WORDS", "CUSTOMER_ROLES", "customer_words_table", "sector_words_table",
    "demo_clients_table", "customer_word_in_report", "customer_roles_table", "customer_worksheet_html",
    # 02 friendly vs centric
    "Statement", "STATEMENTS", "OPERATIONAL_DIMENSIONS", "STRATEGIC_DIMENSIONS", "statements_html",
    "statement_answers", "SortResult", "check_sorting", "sorting_widget", "service_vs_strategy", "service_vs_strategy_figure",
    # 03 ladder
    "LadderState", "Scenario", "SCENARIOS", "scenario", "condition_text", "ladder_table", "evaluate_scores",
    "condition_checks", "state_html", "whatif_figure", "scenarios_table", "scenarios_html", "WhatIfPanel",
    "ladder_whatif",
    # 04 scoring
    "load_demo", "load_demos", "source_overview", "SAMPLE_COLUMNS", "sample_rows", "kpi_table", "reliability_table",
    "rung_probability_table",
    "model_variant", "rescore", "compare_assessments",
    # 05 importance
    "QUADRANT_LABELS", "importance_table", "importance_matrix_figure", "compare_importance", "drivers_note",
    # 06 action
    "blocking_dimensions", "current_scores", "current_gaps", "route_to_next_rung", "route_table", "projected_state",
    "sample_size_per_wave", "second_wave_plan",
]

Text = Mapping[str, str]
"""A text in both languages: ``{"nl": ..., "en": ...}``."""

#: The demo data as the workshop notebooks see them (relative to ``notebooks/workshop/``).
DEMO_ROOT = "../../data/demo"


def _(text: Text, language: str) -> str:
    """``text`` in ``language``, falling back to Dutch."""
    return text.get(language) or text["nl"]


#: The workshop's own short texts (apart from the report texts, which change with the report).
_TEXTS: Mapping[str, Text] = workshop_texts()["texts"]


def _w(key: str, language: str, **values: Any) -> str:
    """A workshop text with ``{placeholders}`` filled in."""
    text = _(_TEXTS[key], language)
    return text.format(**values) if values else text


def _model(model: Model | None) -> Model:
    return default_model() if model is None else model


def _dim_name(model: Model, key: str, language: str) -> str:
    """The name of a dimension, or of the pseudo-dimensions ``all`` and ``gap``."""
    if key == "all":
        return _w("all_dimensions", language)
    if key == "gap":
        return _w("gap_name", language)
    return _(model.dimension(key).name, language)


def _num(x: float | None, language: str, digits: int = 0) -> str:
    return fmt_number(None if x is None else float(x), language, digits)


# ------------------------------------------------------------------------------------------
# General: hidden answers and the widget switch
# ------------------------------------------------------------------------------------------

_ANSWER: Text = workshop_texts()["answer"]


def answer_html(answer: str, summary: str | None = None, language: str = "nl") -> str:
    """An answer hidden until asked for: an HTML ``<details>`` block.

    ``answer`` is trusted HTML (the workshop's own texts); ``summary`` is the clickable label
    (default "Antwoord"/"Answer"). Works in JupyterLab output and in markdown cells alike.

    >>> answer_html("Klantgericht.").startswith("<details><summary>Antwoord</summary>")
    True
    """
    label = escape(summary) if summary else _(_ANSWER, language)
    return f"<details><summary>{label}</summary><div style='margin:0.4em 0 0.6em 1.2em'>{answer}</div></details>"


def table_html(table: pd.DataFrame, language: str = "nl", digits: int = 1, index: bool | None = None) -> str:
    """A table as HTML for a room: nothing truncated, numbers in the language's format (Dutch:
    ``1.234,5``), missing values as a dash, text left and numbers right aligned.

    ``index=None`` hides a plain 0, 1, 2, ... index and shows any other.
    """
    nl = language == "nl"
    styler = table.style.format(precision=digits, decimal="," if nl else ".", thousands="." if nl else ",",
                                na_rep="–")
    if index is None:
        index = not (isinstance(table.index, pd.RangeIndex) and table.index.start == 0 and table.index.step == 1)
    if not index:
        styler = styler.hide(axis="index")
    cell = "vertical-align: top; padding: 3px 10px;"
    styles = [{"selector": "th", "props": f"text-align: left; {cell}"},
              {"selector": "td", "props": f"text-align: left; {cell}"}]
    for i, c in enumerate(table.columns):
        if pd.api.types.is_numeric_dtype(table[c]) or all(
                isinstance(v, (int, float, np.number)) or v is None for v in table[c]):
            styles += [{"selector": f"td.col{i}", "props": "text-align: right"},
                       {"selector": f"th.col{i}", "props": "text-align: right"}]
    return styler.set_table_styles(styles).to_html()


def show_table(table: pd.DataFrame, language: str = "nl", digits: int = 1, index: bool | None = None) -> None:
    """Display :func:`table_html` in the notebook."""
    from IPython.display import HTML, display

    display(HTML(table_html(table, language, digits, index)))


def _report_css() -> str:
    from .paths import TEMPLATES

    path = TEMPLATES / "klantladder" / "report.css"
    return path.read_text("utf-8") if path.is_file() else ""


def report_view(*fragments: str, height: int | None = None, css: str | None = None) -> str:
    """Report sections (HTML from :mod:`klantladder.sections`) as they look in the report: inside
    an ``<iframe>`` with the report's stylesheet, so its styles cannot leak into JupyterLab.

    The frame grows to its content when the browser allows it (else ``height``, default 900 px).
    ``css`` replaces the report stylesheet (``templates/klantladder/report.css``).
    """
    css = _report_css() if css is None else css
    doc = ("<!DOCTYPE html><html><head><meta charset='utf-8'>"
           f"<style>{css}</style><style>body{{margin:0}} main.report{{padding:4mm 6mm}}</style></head>"
           f"<body><main class='report'>{''.join(fragments)}</main></body></html>")
    grow = ("try{this.style.height=(this.contentWindow.document.documentElement.scrollHeight+24)+'px'}catch(e){}"
            if height is None else "")
    return (f'<div class="klantladder-report"><iframe srcdoc="{escape(doc, quote=True)}" onload="{grow}" '
            f'style="width:100%;max-width:900px;height:{height or 900}px;border:1px solid #ddd;border-radius:4px">'
            "</iframe></div>")


def show_widget(widget: Any | None, language: str = "nl") -> None:
    """Display a widget (or a :class:`WhatIfPanel`) if there is one, else say that the static
    version follows."""
    from IPython.display import HTML, display

    if widget is None:
        display(HTML({"nl": "<p><em>Geen widgets hier (geen browser, of <code>interactive = False</code>): "
                            "hieronder staat de vaste versie.</em></p>",
                      "en": "<p><em>No widgets here (no browser, or <code>interactive = False</code>): "
                            "the static version follows below.</em></p>"}[language]))
        return
    display(getattr(widget, "widget", widget))


def widgets_available() -> bool:
    """True when ipywidgets can be imported (JupyterLab with the ``lab`` extra)."""
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    return True


def use_widgets(interactive: bool) -> bool:
    """Whether a notebook should build widgets: asked for (``interactive``) *and* possible.

    The notebooks pass their ``interactive`` parameter (papermill sets it to False in the tests);
    when ipywidgets is missing this is False as well, and the static fallback is all there is.
    """
    return bool(interactive) and widgets_available()


# ------------------------------------------------------------------------------------------
# 01 Wat is een klant?
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerWord:
    """A word for "the customer" and what it says about the relationship."""

    word: Text
    sectors: tuple[str, ...]
    relation: Text
    emphasis: Text
    can_choose: Text


CUSTOMER_WORDS: tuple[CustomerWord, ...] = tuple(
    CustomerWord(w["word"], tuple(w["sectors"]), w["relation"], w["emphasis"], w["can_choose"])
    for w in workshop_texts()["customer_words"])

#: Who "the customer" is depends on the role you look at: the worksheet of notebook 01.
CUSTOMER_ROLES: Mapping[str, Mapping[str, Text]] = workshop_texts()["customer_roles"]

_WORD_COLUMNS = {
    "nl": ("Woord", "Waar je het hoort", "Wat voor relatie", "Nadruk op", "Kan hij of zij kiezen?"),
    "en": ("Word", "Where you hear it", "What kind of relationship", "Emphasis on", "Can they choose?"),
}


def customer_words_table(language: str = "nl") -> pd.DataFrame:
    """The words for "the customer" (klant, cliënt, patiënt, gast, opdrachtgever, inwoner) and
    what each says about the relationship: one row per word."""
    cols = _WORD_COLUMNS.get(language, _WORD_COLUMNS["nl"])
    rows = [(_(w.word, language), ", ".join(sector_label(s, language).lower() for s in w.sectors),
             _(w.relation, language), _(w.emphasis, language), _(w.can_choose, language)) for w in CUSTOMER_WORDS]
    return pd.DataFrame(rows, columns=list(cols))


def sector_words_table(language: str = "nl") -> pd.DataFrame:
    """Every sector klantladder knows, with the word its reports use for the customer."""
    head = {"nl": ("Sector", "Enkelvoud", "Meervoud"), "en": ("Sector", "Singular", "Plural")}[language]
    rows = [(sector_label(s, language), *sector_terms(s, language)) for s in sectors()]
    return pd.DataFrame(rows, columns=list(head))


def demo_clients_table(language: str = "nl", profiles: Sequence[DemoProfile] = tuple(DEMO_CLIENTS)) -> pd.DataFrame:
    """The demo organisations of the workshop: name, sector, their word for the customer and the
    story behind them (the story is in Dutch only)."""
    head = {"nl": ("Sleutel", "Organisatie", "Sector", "Zo heet de klant", "Het verhaal"),
            "en": ("Key", "Organisation", "Sector", "The customer is called", "The story")}[language]
    rows = [(p.key, p.name, sector_label(p.sector, language), p.customer_term, p.description) for p in profiles]
    return pd.DataFrame(rows, columns=list(head))


def _plural(word: str, language: str) -> str:
    """The plural (in ``language``) of a Dutch customer word, from the sector table."""
    for entry in sectors().values():
        if entry["term"]["nl"][0] == word:
            return entry["term"].get(language, entry["term"]["nl"])[1]
    return f"{word}en" if language == "nl" else f"{word}s"


def _report_sentence(name: str, plural: str, language: str) -> str:
    """The report's sentence naming the customers (from the report texts when they have it)."""
    try:
        return t("cover_term", language, name=escape(name), plural=escape(plural))
    except (KeyError, IndexError):
        return _w("cover_term", language, name=escape(name), plural=escape(plural))


def customer_word_in_report(language: str = "nl", profiles: Sequence[DemoProfile] = tuple(DEMO_CLIENTS)) -> str:
    """HTML: the report's own sentence about the customer, once per demo organisation: the same
    report, a different word."""
    items = [f"<li>{_report_sentence(p.name, _plural(p.customer_term, language), language)}</li>" for p in profiles]
    return "<ul>" + "".join(items) + "</ul>"


def customer_roles_table(language: str = "nl") -> pd.DataFrame:
    """Who is the customer? Four roles (user, payer, decider, influencer) per demo sector."""
    sectors = [p.key for p in DEMO_CLIENTS]
    names = {p.key: p.name for p in DEMO_CLIENTS}
    data = {names[s]: [_(CUSTOMER_ROLES[r][s], language) for r in CUSTOMER_ROLES] for s in sectors}
    index = [_(CUSTOMER_ROLES[r]["label"], language).split(":")[0] for r in CUSTOMER_ROLES]
    return pd.DataFrame(data, index=pd.Index(index, name={"nl": "Rol", "en": "Role"}.get(language, "Rol")))


def customer_worksheet_html(answers: Mapping[str, str], organisation: str = "", language: str = "nl") -> str:
    """HTML card of a participant's own answers to "who is our customer?" (keys as in
    :data:`CUSTOMER_ROLES`, plus optional ``word``: the word you use). Empty answers show a dash."""
    title = {"nl": "Wie is de klant van", "en": "Who is the customer of"}[language]
    org = escape(organisation) if organisation else {"nl": "jouw organisatie", "en": "your organisation"}[language]
    rows = "".join(f"<tr><th style='text-align:left'>{escape(_(CUSTOMER_ROLES[r]['label'], language))}</th>"
                   f"<td>{escape(answers.get(r, '') or '–')}</td></tr>" for r in CUSTOMER_ROLES)
    word = answers.get("word", "")
    word_row = (f"<tr><th style='text-align:left'>{ {'nl': 'Ons woord voor de klant', 'en': 'Our word for the customer'}[language] }"
                f"</th><td>{escape(word or '–')}</td></tr>")
    return f"<h4>{title} {org}?</h4><table>{rows}{word_row}</table>"


# ------------------------------------------------------------------------------------------
# 02 Klantvriendelijk of klantgericht?
# ------------------------------------------------------------------------------------------

Answer = Literal["friendly", "centric", "both"]
_ANSWER_NAMES: Mapping[str, Text] = workshop_texts()["answer_names"]


@dataclass(frozen=True)
class Statement:
    """A statement to sort: klantvriendelijk (reactive, operational) or klantgericht (strategic)."""

    text: Text
    answer: Answer
    why: Text


STATEMENTS: tuple[Statement, ...] = tuple(Statement(x["text"], x["answer"], x["why"])
                                          for x in workshop_texts()["statements"])


def statements_html(statements: Sequence[Statement] = STATEMENTS, language: str = "nl") -> str:
    """The statements as a numbered list, each with its answer hidden in a ``<details>`` block."""
    items = []
    for s in statements:
        answer = f"<strong>{_(_ANSWER_NAMES[s.answer], language)}</strong>. {escape(_(s.why, language))}"
        items.append(f"<li style='margin-bottom:0.5em'>{escape(_(s.text, language))}"
                     f"{answer_html(answer, language=language)}</li>")
    return "<ol>" + "".join(items) + "</ol>"


def statement_answers(statements: Sequence[Statement] = STATEMENTS, language: str = "nl") -> pd.DataFrame:
    """The answer key: statement, answer and why (for the trainer, or after the exercise)."""
    head = {"nl": ("Stelling", "Antwoord", "Waarom"), "en": ("Statement", "Answer", "Why")}[language]
    rows = [(_(s.text, language), _(_ANSWER_NAMES[s.answer], language), _(s.why, language)) for s in statements]
    return pd.DataFrame(rows, columns=list(head), index=pd.RangeIndex(1, len(rows) + 1))


@dataclass(frozen=True)
class SortResult:
    """How a participant sorted the statements: per statement right (True), wrong (False) or
    not answered (None); ``both`` statements count as right whatever is chosen."""

    correct: tuple[bool | None, ...]

    @property
    def n_correct(self) -> int:
        return sum(1 for c in self.correct if c)

    @property
    def n_answered(self) -> int:
        return sum(1 for c in self.correct if c is not None)


def check_sorting(choices: Sequence[str | None], statements: Sequence[Statement] = STATEMENTS) -> SortResult:
    """Score a participant's sorting; ``choices`` holds ``"friendly"``, ``"centric"`` or None per statement."""
    if len(choices) != len(statements):
        raise ValueError(f"expected {len(statements)} choices, got {len(choices)}")
    out: list[bool | None] = []
    for choice, s in zip(choices, statements):
        if choice is None:
            out.append(None)
        elif choice not in ("friendly", "centric", "both"):
            raise ValueError(f"unknown choice {choice!r}; use 'friendly', 'centric' or None")
        else:
            out.append(s.answer == "both" or choice == s.answer)
    return SortResult(tuple(out))


def sorting_widget(statements: Sequence[Statement] = STATEMENTS, language: str = "nl") -> Any | None:
    """An ipywidgets form: a choice per statement and a button that reveals score and answers.
    None when ipywidgets is not installed."""
    if not widgets_available():
        return None
    import ipywidgets as w
    from IPython.display import HTML, display

    options = [(_(_ANSWER_NAMES["friendly"], language), "friendly"), (_(_ANSWER_NAMES["centric"], language), "centric")]
    toggles = [w.ToggleButtons(options=options, value=None, style={"button_width": "150px"}) for _s in statements]
    rows = [w.VBox([w.HTML(f"<b>{i}.</b> {escape(_(s.text, language))}"), tg])
            for i, (s, tg) in enumerate(zip(statements, toggles), start=1)]
    button = w.Button(description={"nl": "Controleer", "en": "Check"}[language], button_style="primary")
    out = w.Output()

    def reveal(_b: Any = None) -> None:
        result = check_sorting([tg.value for tg in toggles], statements)
        with out:
            out.clear_output()
            head = {"nl": f"{result.n_correct} van de {len(statements)} goed ({result.n_answered} beantwoord).",
                    "en": f"{result.n_correct} of {len(statements)} right ({result.n_answered} answered)."}[language]
            display(HTML(f"<p><strong>{head}</strong></p>"))
            key = statement_answers(statements, language)
            mark = {True: "✓", False: "✗", None: "–"}
            key.insert(1, {"nl": "Jij", "en": "You"}[language], [mark[c] for c in result.correct])
            display(HTML(table_html(key, language)))

    button.on_click(reveal)
    return w.VBox([*rows, button, out])


#: Dimensions that show reactive, operational klantvriendelijkheid.
OPERATIONAL_DIMENSIONS: tuple[str, ...] = ("service",)
#: Dimensions that show strategic klantgerichtheid: knowing the customers, acting on what they
#: say, and steering the organisation by it.
STRATEGIC_DIMENSIONS: tuple[str, ...] = ("knowledge", "listening", "strategy")


def _mean(values: Sequence[float | None]) -> float | None:
    vals = [float(v) for v in values if v is not None and np.isfinite(v)]
    return float(np.mean(vals)) if vals else None


def service_vs_strategy(assessments: Mapping[str, Assessment], language: str = "nl") -> pd.DataFrame:
    """Per organisation its klantvriendelijk score (mean of :data:`OPERATIONAL_DIMENSIONS`) and its
    klantgericht score (mean of :data:`STRATEGIC_DIMENSIONS`), the difference and the rung.

    Columns (Dutch): Organisatie, Klantvriendelijk, Klantgericht, Verschil, Trede; index: the keys.
    """
    head = {"nl": ("Organisatie", "Klantvriendelijk", "Klantgericht", "Verschil", "Trede"),
            "en": ("Organisation", "Customer-friendly", "Customer-centric", "Difference", "Rung")}[language]
    rows = []
    for key, a in assessments.items():
        op = _mean([a.dimensions[k].score for k in OPERATIONAL_DIMENSIONS])
        st = _mean([a.dimensions[k].score for k in STRATEGIC_DIMENSIONS])
        diff = None if op is None or st is None else op - st
        rung = f"{a.rung.level} {_(a.rung.name, language)}"
        rows.append((a.config.name, _round(op), _round(st), _round(diff), rung))
    return pd.DataFrame(rows, columns=list(head), index=pd.Index(list(assessments), name=None))


_LABEL_OFFSETS = ((7, 4, "left"), (7, -12, "left"), (-7, 4, "right"), (-7, -12, "right"), (7, 14, "left"),
                  (7, -22, "left"), (-7, 14, "right"), (-7, -22, "right"))


def _place_labels(ax: Any, xs: Sequence[float], ys: Sequence[float], labels: Sequence[str], fontsize: int = 8) -> None:
    """Label scatter points without overlap: each label takes the first of a few positions around
    its point that overlaps no label placed before (greedy; good enough for seven points)."""
    from matplotlib.transforms import Bbox

    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    r = 6 * fig.dpi / 72  # about the marker's radius, in pixels
    placed: list[Any] = [Bbox.from_extents(px - r, py - r, px + r, py + r)
                         for px, py in ax.transData.transform(np.column_stack([xs, ys]))]
    for x, y, text in zip(xs, ys, labels):
        ann = None
        for dx, dy, ha in _LABEL_OFFSETS:
            if ann is not None:
                ann.remove()
            ann = ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points", fontsize=fontsize, ha=ha)
            box = ann.get_window_extent(renderer).expanded(1.02, 1.1)
            if not any(box.overlaps(b) for b in placed):
                break
        placed.append(ann.get_window_extent(renderer))  # type: ignore[union-attr]


def _round(x: float | None, digits: int = 1) -> float | None:
    return None if x is None else round(float(x), digits)


def service_vs_strategy_figure(table: pd.DataFrame, language: str = "nl") -> "Figure":
    """Scatter of :func:`service_vs_strategy`: klantvriendelijk (x) against klantgericht (y).
    Organisations below the diagonal serve well but do not yet steer by their customers."""
    import matplotlib.pyplot as plt

    from .plots import PALETTE, set_theme

    set_theme()
    name, op, st = table.columns[0], table.columns[1], table.columns[2]
    fig, ax = plt.subplots(figsize=(6.4, 5.0))
    ax.plot([0, 100], [0, 100], color="#999999", lw=1, ls="--", zorder=1)
    ax.fill_between([0, 100], [0, 0], [0, 100], color=PALETTE[1], alpha=0.06, zorder=0)
    shown = table.dropna(subset=[op, st])
    ax.scatter(shown[op], shown[st], s=70, color=PALETTE[0], zorder=3)
    labels = {"nl": ("Klantvriendelijk (klantenservice, 0–100)", "Klantgericht (klantkennis, luisteren, strategie, 0–100)",
                     "Klantvriendelijk of klantgericht?", "goede service,\nnog geen koers op de klant"),
              "en": ("Customer-friendly (customer service, 0–100)", "Customer-centric (knowledge, listening, strategy, 0–100)",
                     "Customer-friendly or customer-centric?", "good service,\nno customer-led course yet")}[language]
    ax.text(98, 22, labels[3], ha="right", va="bottom", fontsize=8, color="#555555")
    ax.set_xlim(20, 100)
    ax.set_ylim(20, 100)
    _place_labels(ax, list(shown[op]), list(shown[st]), [str(v) for v in shown[name]])
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    ax.set_title(labels[2], loc="left")
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------------------
# 03 De ladder
# ------------------------------------------------------------------------------------------


def condition_text(cond: Condition, model: Model | None = None, language: str = "nl") -> str:
    """A gate in words: ``Klantenservice ≥ 55``, ``alle pijlers ≥ 50``, ``perceptieverschil ≤ 10``."""
    model = _model(model)
    name = _dim_name(model, cond.dimension, language)
    if cond.min is not None:
        return f"{name} ≥ {_num(cond.min, language)}"
    return f"{name} ≤ {_num(cond.max, language)}"


def ladder_table(model: Model | None = None, language: str = "nl") -> pd.DataFrame:
    """The rungs: level, name, what it means and the conditions (gates) of that rung itself."""
    model = _model(model)
    head = {"nl": ("Trede", "Naam", "Wat het betekent", "Voorwaarden (bovenop de lagere treden)"),
            "en": ("Rung", "Name", "What it means", "Conditions (on top of the lower rungs)")}[language]
    none = {"nl": "geen: hier begint iedereen", "en": "none: everyone starts here"}[language]
    rows = [(r.level, _(r.name, language), _(r.description, language),
             "; ".join(condition_text(c, model, language) for c in r.conditions) or none) for r in model.rungs]
    return pd.DataFrame(rows, columns=list(head)).set_index(head[0])


@dataclass(frozen=True)
class LadderState:
    """Where a set of dimension scores puts an organisation on the ladder.

    ``scores`` maps dimension keys to 0–100 scores (None: no evidence); ``gaps`` maps keys to
    perception gaps (internal − customer); ``blocking`` lists the unmet conditions of the next
    rung (as :func:`klantladder.scoring.blocking_conditions`).
    """

    level: int
    name: str
    overall: float | None
    scores: Mapping[str, float | None]
    gaps: Mapping[str, float | None]
    blocking: tuple[dict, ...]
    language: str = "nl"

    @property
    def max_gap(self) -> float | None:
        vals = [abs(v) for v in self.gaps.values() if v is not None]
        return max(vals) if vals else None


def _gap_map(gaps: Mapping[str, float | None] | float | None) -> dict[str, float | None]:
    if gaps is None:
        return {}
    if isinstance(gaps, (int, float)):
        return {"gap": float(gaps)}
    return dict(gaps)


def evaluate_scores(scores: Mapping[str, float | None], gaps: Mapping[str, float | None] | float | None = None,
                    model: Model | None = None, language: str = "nl") -> LadderState:
    """Put a set of dimension scores on the ladder, with the package's own gated rule.

    Parameters
    ----------
    scores : dimension key → 0–100 score (None or missing key: no evidence for that dimension)
    gaps : perception gaps per dimension, or one number (the largest gap), or None (unknown: the
        top rung's "views agree" condition then cannot be shown)
    """
    model = _model(model)
    full = {k: (None if scores.get(k) is None else float(scores[k])) for k in model.dimension_keys}  # type: ignore[arg-type]
    gap_map = _gap_map(gaps)
    level = rung_level(model, full, gap_map)
    blocking = blocking_conditions(model, level, full, gap_map)
    overall = overall_score(full, {d.key: d.weight for d in model.dimensions})
    return LadderState(level, _(model.rung(level).name, language), overall, full, gap_map, tuple(blocking), language)


def condition_checks(scores: Mapping[str, float | None], gaps: Mapping[str, float | None] | float | None = None,
                     model: Model | None = None, language: str = "nl") -> pd.DataFrame:
    """Every condition of every rung above 1 with the value it looks at and whether it holds.

    The column ``Trede gehaald`` shows the gating: a rung counts only when its own conditions
    *and* those of every rung below hold.
    """
    model = _model(model)
    full = {k: np.array([np.nan if scores.get(k) is None else float(scores[k])]) for k in model.dimension_keys}  # type: ignore[arg-type]
    gap_arr = {k: np.array([np.nan if v is None else float(v)]) for k, v in _gap_map(gaps).items()}
    head = {"nl": ("Trede", "Voorwaarde", "Waarde", "Gehaald", "Trede gehaald"),
            "en": ("Rung", "Condition", "Value", "Met", "Rung reached")}[language]
    yes, no = "✓", "✗"
    rows = []
    still = True
    for rung in model.rungs[1:]:
        results = []
        for cond in rung.conditions:
            value = float(condition_value(cond, full, gap_arr)[0])
            ok = (not math.isnan(value)) and (value >= cond.min if cond.min is not None else value <= cond.max)  # type: ignore[operator]
            results.append((cond, value, ok))
        own = all(ok for _c, _v, ok in results)
        if own and still:
            status = {"nl": "ja", "en": "yes"}[language]
        elif own:
            status = {"nl": "nee: een lagere trede blokkeert", "en": "no: a lower rung blocks"}[language]
        else:
            status = {"nl": "nee", "en": "no"}[language]
        still = still and own
        for cond, value, ok in results:
            rows.append((rung.level, condition_text(cond, model, language),
                         None if math.isnan(value) else round(value, 1), yes if ok else no, status))
    return pd.DataFrame(rows, columns=list(head))


def _blocking_line(b: Mapping[str, Any], model: Model, language: str, plural: str) -> str:
    target = b["min"] if b["min"] is not None else b["max"]
    if b["value"] is None:
        key = b.get("worst_dimension") or b["dimension"]
        return _w("blocking_missing", language, dimension=escape(_dim_name(model, key, language)))
    value = _num(b["value"], language)
    if b["dimension"] == "all":
        return _w("blocking_all", language, target=_num(target, language), value=value,
                 dimension=escape(_dim_name(model, b["worst_dimension"], language)))
    if b["dimension"] == "gap":
        worst = b.get("worst_dimension") or "gap"
        return _w("blocking_gap", language, target=_num(target, language), value=value, plural=plural,
                 dimension=escape(_dim_name(model, worst, language)))
    return _w("blocking_min", language, dimension=escape(_dim_name(model, b["dimension"], language)), value=value,
             target=_num(target, language), short=_num(b["shortfall"], language))


def state_html(state: LadderState, model: Model | None = None, title: str | None = None,
               plural: str | None = None) -> str:
    """HTML: the rung, the overall score and what blocks the next rung (``plural``: the word for
    the customers, default klanten/customers)."""
    model = _model(model)
    lang = state.language
    plural = plural or {"nl": "klanten", "en": "customers"}[lang]
    head = f"<h4>{escape(title)}</h4>" if title else ""
    rung = {"nl": f"Trede <strong>{state.level}: {escape(state.name)}</strong>",
            "en": f"Rung <strong>{state.level}: {escape(state.name)}</strong>"}[lang]
    overall = {"nl": "totaalscore", "en": "overall score"}[lang]
    lines = [f"<p style='font-size:1.15em'>{rung} &nbsp;·&nbsp; {overall} {_num(state.overall, lang)}</p>"]
    if state.level >= len(model.rungs):
        lines.append(f"<p>{_w('top_rung', lang)}</p>")
    else:
        nxt = model.rung(state.level + 1)
        lines.append(f"<p>{_w('blocking_intro', lang, level=nxt.level, rung=escape(_(nxt.name, lang)))}</p>")
        lines.append("<ul>" + "".join(f"<li>{_blocking_line(b, model, lang, plural)}</li>" for b in state.blocking)
                     + "</ul>")
    return head + "".join(lines)


def whatif_figure(state: LadderState, model: Model | None = None, title: str | None = None) -> "Figure":
    """Two panels: the ladder with the rung reached, and the seven scores against the
    thresholds of the next rung (blocking dimensions in orange)."""
    import matplotlib.pyplot as plt

    from .plots import PALETTE, set_theme

    model = _model(model)
    lang = state.language
    set_theme()
    fig, (lad, bars) = plt.subplots(1, 2, figsize=(9.2, 3.8), gridspec_kw={"width_ratios": [1, 1.5]})
    for r in model.rungs:
        here = r.level == state.level
        colour = PALETTE[0] if here else ("#c9d7e8" if r.level < state.level else "#eeeeee")
        lad.barh(r.level, 0.62 + 0.095 * r.level, height=0.72, color=colour, edgecolor="#666666", linewidth=0.6)
        lad.text(0.03, r.level, f"{r.level}  {_(r.name, lang)}", va="center", ha="left", fontsize=10,
                 color="white" if here else "#222222", fontweight="bold" if here else "normal")
    lad.set_xlim(0, 1.15)
    lad.set_ylim(0.0, len(model.rungs) + 0.6)
    lad.axis("off")
    lad.set_title(title or _w("ladder_title", lang), loc="left")

    keys = list(model.dimension_keys)
    names = [_(model.dimension(k).name, lang) for k in keys]
    y = np.arange(len(keys))[::-1]
    nxt = model.rung(state.level + 1) if state.level < len(model.rungs) else None
    blocked = {b["dimension"] for b in state.blocking} | {b.get("worst_dimension") for b in state.blocking
                                                            if b["dimension"] == "all"}
    for yi, k in zip(y, keys):
        v = state.scores.get(k)
        colour = PALETTE[1] if k in blocked else PALETTE[0]
        bars.barh(yi, 0 if v is None else v, color=colour, height=0.6)
        bars.text(101, yi, "–" if v is None else _num(v, lang), va="center", ha="left", fontsize=9)
    if nxt is not None:
        for cond in nxt.conditions:
            if cond.dimension in keys and cond.min is not None:
                yi = y[keys.index(cond.dimension)]
                bars.plot([cond.min, cond.min], [yi - 0.42, yi + 0.42], color="#222222", lw=2.2)
            elif cond.dimension == "all" and cond.min is not None:
                bars.axvline(cond.min, color="#222222", lw=1, ls=":")
        label = {"nl": f"streep = drempel voor trede {nxt.level}; oranje = blokkeert",
                 "en": f"bar = threshold for rung {nxt.level}; orange = blocks"}[lang]
        bars.annotate(label, xy=(0, -0.1), xycoords="axes fraction", fontsize=8, color="#555555", va="top")
    gap_limit = next((c.max for r in model.rungs for c in r.conditions if c.dimension == "gap" and c.max is not None),
                     None)
    gap_value = {"nl": "onbekend", "en": "unknown"}[lang] if state.max_gap is None else _num(state.max_gap, lang)
    gap_text = {"nl": f"grootste verschil intern – klant: {gap_value}", "en": f"largest gap internal – customer: {gap_value}"}[lang]
    if gap_limit is not None:
        gap_text += {"nl": f" (mag hooguit {_num(gap_limit, lang)})", "en": f" (at most {_num(gap_limit, lang)})"}[lang]
    lad.text(0.0, 0.3, gap_text, ha="left", va="center", fontsize=8, color="#555555")
    bars.set_yticks(y, names)
    bars.set_xlim(0, 108)
    bars.set_title({"nl": "Scores per pijler", "en": "Scores per dimension"}[lang], loc="left")
    fig.tight_layout()
    return fig


@dataclass(frozen=True)
class Scenario:
    """A preset organisation for the what-if: scores, the largest perception gap and its story."""

    key: str
    name: Text
    story: Text
    scores: Mapping[str, float]
    gap: float
    expected_level: int


SCENARIOS: tuple[Scenario, ...] = tuple(
    Scenario(x["key"], x["name"], x["story"], x["scores"], x["gap"], x["expected_level"])
    for x in workshop_texts()["scenarios"])


def scenario(key: str) -> Scenario:
    """The preset scenario with ``key`` (see :data:`SCENARIOS`)."""
    for s in SCENARIOS:
        if s.key == key:
            return s
    raise KeyError(f"unknown scenario {key!r}; known: {', '.join(s.key for s in SCENARIOS)}")


def scenarios_table(model: Model | None = None, language: str = "nl",
                    scenarios: Sequence[Scenario] = SCENARIOS) -> pd.DataFrame:
    """The preset scenarios: their scores, largest gap, rung and what blocks the next rung."""
    model = _model(model)
    keys = list(model.dimension_keys)
    head = {"nl": ("Scenario", "Verschil intern–klant", "Trede", "Wat blokkeert de volgende trede"),
            "en": ("Scenario", "Gap internal–customer", "Rung", "What blocks the next rung")}[language]
    rows = []
    for s in scenarios:
        st = evaluate_scores(s.scores, s.gap, model, language)
        blocks = "; ".join(condition_text(Condition(b["dimension"], b["min"], b["max"]), model, language)
                           for b in st.blocking) or "–"
        rows.append({head[0]: _(s.name, language), **{_(model.dimension(k).name, language): s.scores.get(k)
                                                      for k in keys},
                     head[1]: s.gap, head[2]: f"{st.level} {st.name}", head[3]: blocks})
    return pd.DataFrame(rows).set_index(head[0])


def scenarios_html(model: Model | None = None, language: str = "nl") -> str:
    """The preset scenarios as two HTML tables (the static fallback of the what-if): their scores
    (dimensions × scenarios), then per scenario its rung, what blocks the next rung and its story."""
    model = _model(model)
    table = scenarios_table(model, language)
    rung_col, block_col = table.columns[-2], table.columns[-1]
    scores = table.drop(columns=[rung_col, block_col]).T.astype(float)
    scores.columns.name = None
    stories = pd.DataFrame({rung_col: table[rung_col], block_col: table[block_col],
                            {"nl": "Het verhaal", "en": "The story"}[language]: [_(s.story, language) for s in SCENARIOS]},
                           index=pd.Index(table.index, name=None))
    return table_html(scores, language, digits=0) + "<br>" + table_html(stories, language)


@dataclass
class WhatIfPanel:
    """The live what-if of notebook 03: one slider per dimension plus one for the perception gap.

    ``widget`` is what the notebook displays; ``state`` is the :class:`LadderState` of the
    current slider values (updated on every change); ``sliders`` maps dimension keys (and
    ``gap``) to the slider widgets.
    """

    model: Model
    language: str
    sliders: dict[str, Any]
    output: Any
    widget: Any
    state: LadderState | None = None
    draw: bool = True

    def values(self) -> tuple[dict[str, float], float]:
        scores = {k: float(s.value) for k, s in self.sliders.items() if k != "gap"}
        return scores, float(self.sliders["gap"].value)

    def update(self, _change: Any = None) -> LadderState:
        """Recompute the state from the sliders and redraw the output."""
        from .nb import show, show_figure

        scores, gap = self.values()
        self.state = evaluate_scores(scores, gap, self.model, self.language)
        if self.draw:
            with self.output:
                self.output.clear_output(wait=True)
                show(state_html(self.state, self.model))
                show_figure(whatif_figure(self.state, self.model))
        return self.state

    def set_scenario(self, key: str) -> LadderState:
        """Move every slider to a preset scenario's values."""
        s = scenario(key)
        self.draw, draw = False, self.draw
        try:
            for k, slider in self.sliders.items():
                slider.value = s.gap if k == "gap" else s.scores[k]
        finally:
            self.draw = draw
        return self.update()


def ladder_whatif(start: str | Mapping[str, float] = "meten", gap: float | None = None, model: Model | None = None,
                  language: str = "nl") -> WhatIfPanel | None:
    """Build the live what-if: sliders for the seven dimension scores (and the perception gap)
    that move the organisation up and down the ladder and show what blocks the next rung.

    ``start`` is a scenario key (see :data:`SCENARIOS`) or a mapping of scores. Returns None when
    ipywidgets is not installed (then show :func:`scenarios_html` instead).
    """
    if not widgets_available():
        return None
    import ipywidgets as w

    model = _model(model)
    if isinstance(start, str):
        scen = scenario(start)
        scores, gap = dict(scen.scores), scen.gap if gap is None else gap
    else:
        scores, gap = dict(start), 5.0 if gap is None else gap
    style = {"description_width": "230px"}
    layout = w.Layout(width="560px")
    sliders: dict[str, Any] = {
        k: w.FloatSlider(value=float(scores.get(k, 50.0)), min=0, max=100, step=1, readout_format=".0f",
                         description=_(model.dimension(k).name, language), continuous_update=False,
                         style=style, layout=layout)
        for k in model.dimension_keys}
    sliders["gap"] = w.FloatSlider(value=float(gap), min=0, max=40, step=1, readout_format=".0f",
                                   description={"nl": "Verschil intern – klant", "en": "Gap internal – customer"}[language],
                                   continuous_update=False, style=style, layout=layout)
    preset = w.Dropdown(options=[(_(s.name, language), s.key) for s in SCENARIOS],
                        value=start if isinstance(start, str) else None,
                        description={"nl": "Scenario", "en": "Scenario"}[language], style=style, layout=layout)
    output = w.Output()
    box = w.VBox([preset, *sliders.values(), output])
    panel = WhatIfPanel(model, language, sliders, output, box)
    for s in sliders.values():
        s.observe(panel.update, names="value")
    preset.observe(lambda ch: panel.set_scenario(ch["new"]) if ch["new"] else None, names="value")
    panel.update()
    return panel


# ------------------------------------------------------------------------------------------
# 04 Een organisatie scoren
# ------------------------------------------------------------------------------------------


@lru_cache(maxsize=32)
def _load(folder: str, mtime: float, draws: int) -> Assessment:
    return assess_folder(folder, draws=draws)


def load_demo(client: str, root: str | Path = DEMO_ROOT, draws: int = DRAWS) -> Assessment:
    """Score one demo client folder (``root/client``); cached per folder and ``draws``."""
    folder = Path(root) / client
    if not folder.is_dir():
        known = ", ".join(sorted(p.name for p in Path(root).iterdir() if p.is_dir())) if Path(root).is_dir() else "–"
        raise FileNotFoundError(f"demo client folder not found: {folder} (known: {known})")
    mtime = max(p.stat().st_mtime for p in folder.iterdir())
    return _load(str(folder.resolve()), mtime, int(draws))


def load_demos(clients: Sequence[str] | None = None, root: str | Path = DEMO_ROOT,
               draws: int = 500) -> dict[str, Assessment]:
    """Score several demo clients (all six by default), keyed by folder name. Fewer ``draws``
    than a report uses: enough for comparisons, and quick in a room."""
    keys = list(clients) if clients is not None else [p.key for p in DEMO_CLIENTS]
    return {k: load_demo(k, root, draws) for k in keys}


_SOURCE_NAMES: Mapping[str, Text] = workshop_texts()["source_names"]


def source_overview(a: Assessment, language: str = "nl") -> pd.DataFrame:
    """The raw data behind an assessment: per source the file, rows read, rows set aside and the
    columns used."""
    head = {"nl": ("Bron", "Bestand", "Rijen gelezen", "Apart gezet", "Kolommen"),
            "en": ("Source", "File", "Rows read", "Set aside", "Columns")}[language]
    rejected = a.data.rejects.groupby("source").size() if len(a.data.rejects) else pd.Series(dtype=int)
    rows = []
    for source, cfg in a.config.sources.items():
        if cfg.path is None:
            continue
        frame = a.data.frames.get(source)
        rows.append((_(_SOURCE_NAMES[source], language), cfg.path.name, int(a.data.rows_read.get(source, 0)),
                     int(rejected.get(source, 0)), 0 if frame is None else frame.shape[1]))
    return pd.DataFrame(rows, columns=list(head))


#: The columns :func:`sample_rows` shows by default, per source (those present).
SAMPLE_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "customer_survey": ("respondent_id", "nps", "csat", "ces", "service_1", "service_2", "segment", "channel",
                        "comment"),
    "employee_survey": ("respondent_id", "department", "service_1", "strategy_1", "strategy_2", "mirror_service_1"),
    "tickets": ("ticket_id", "customer_id", "channel", "created_at", "first_response_at", "resolved_at", "reopened"),
    "customers": ("customer_id", "segment", "start_date", "end_date"),
}


def sample_rows(a: Assessment, source: str = "customer_survey", n: int = 5,
                columns: Sequence[str] | None = None, language: str | None = None) -> pd.DataFrame:
    """A few rows of one source as the scoring sees them: canonical column names, identifiers
    already pseudonymised, free text already masked (AVG).

    ``columns`` defaults to :data:`SAMPLE_COLUMNS`; rows with a masked comment (``[e-mail]``,
    ``[telefoon]``, ...) come first, so the masking can be seen. The placeholders are those of
    ``language`` (default: the assessment's), ``[phone]`` in English.
    """
    frame = a.data.frames.get(source)
    if frame is None:
        return pd.DataFrame()
    if language:
        frame = privacy.localise_mask_frame(frame, language)
    wanted = list(columns) if columns is not None else list(SAMPLE_COLUMNS.get(source, frame.columns))
    cols = [c for c in wanted if c in frame.columns and not str(c).startswith("_")]
    if "comment" in frame.columns:
        masked = frame["comment"].astype("string").str.contains("[", regex=False).fillna(False).astype(bool)
        frame = pd.concat([frame[masked].head(max(1, n // 2)), frame[~masked]]).head(n)
    return frame[cols].head(n).reset_index(drop=True)


def kpi_table(a: Assessment, language: str = "nl") -> pd.DataFrame:
    """The key figures that could be computed: name, value, 95% interval, unit and n (shares in
    percent, times in hours)."""
    head = {"nl": ("Kengetal", "Waarde", "95%-interval", "Eenheid", "n"),
            "en": ("Indicator", "Value", "95% interval", "Unit", "n")}[language]
    units = {"%": "%", "h": {"nl": "uur", "en": "hours"}[language], "": ""}
    rows = []
    for key, est in a.kpis.items():
        if est is None or est.value is None or key not in a.model.kpis:
            continue
        spec = a.model.kpis[key]
        interval = ("–" if est.ci_low is None or est.ci_high is None
                    else f"{_num(est.ci_low, language, 1)} – {_num(est.ci_high, language, 1)}")
        rows.append((_(spec.name, language), round(float(est.value), 1), interval, units.get(spec.unit, spec.unit),
                     int(est.n)))
    return pd.DataFrame(rows, columns=list(head))


def reliability_table(a: Assessment, language: str = "nl", flag_below: float = 0.7) -> pd.DataFrame:
    """Cronbach's alpha per dimension and survey; ``Let op`` marks alpha below ``flag_below``."""
    head = {"nl": ("Pijler", "Onderzoek", "Alfa", "Items", "n", "Let op"),
            "en": ("Dimension", "Survey", "Alpha", "Items", "n", "Note")}[language]
    survey_names = {"employee": {"nl": "medewerkers", "en": "employees"},
                    "customer": {"nl": "klanten", "en": "customers"}}
    rows = []
    for survey, dims in a.reliability.items():
        for key, r in dims.items():
            alpha = None if not np.isfinite(r.alpha) else round(float(r.alpha), 2)
            flag = "⚠" if alpha is not None and alpha < flag_below else ""
            rows.append((_(a.model.dimension(key).name, language), _(survey_names[survey], language), alpha,
                         r.n_items, r.n, flag))
    return pd.DataFrame(rows, columns=list(head))


def rung_probability_table(a: Assessment, language: str = "nl") -> pd.DataFrame:
    """How often resampling puts the organisation on each rung (in percent)."""
    head = {"nl": ("Trede", "Naam", "Kans (%)"), "en": ("Rung", "Name", "Probability (%)")}[language]
    rows = [(r.level, _(r.name, language), round(100 * float(a.rung.probabilities.get(r.level, 0.0)), 1))
            for r in a.model.rungs]
    return pd.DataFrame(rows, columns=list(head)).set_index(head[0])


def model_variant(model: Model, *, source_weights: Mapping[str, float] | None = None,
                  dimension_weights: Mapping[str, float] | None = None,
                  thresholds: Mapping[tuple[int, str], float] | None = None, label: str = "workshop") -> Model:
    """A changed copy of ``model``, in memory: the packaged YAML is never touched.

    Parameters
    ----------
    source_weights : new weights for some of ``internal``, ``customer``, ``kpi`` (the others stay)
    dimension_weights : new weights of dimensions in the overall score
    thresholds : ``{(rung level, dimension): value}``, the new minimum (or maximum, for a ``max``
        condition such as the gap) of an existing condition
    label : appended to the model version (``2026.1+workshop``), so any output says it is a variant
    """
    changes: dict[str, Any] = {"version": f"{model.version}+{label}"}
    if source_weights:
        unknown = set(source_weights) - set(model.source_weights)
        if unknown:
            raise KeyError(f"unknown source(s) {sorted(unknown)}; use internal, customer, kpi")
        sw = {**model.source_weights, **{k: float(v) for k, v in source_weights.items()}}
        if any(v < 0 for v in sw.values()) or sum(sw.values()) <= 0:
            raise ValueError("source weights must be non-negative and not all zero")
        changes["source_weights"] = sw
    if dimension_weights:
        unknown = set(dimension_weights) - set(model.dimension_keys)
        if unknown:
            raise KeyError(f"unknown dimension(s) {sorted(unknown)}")
        if any(v < 0 for v in dimension_weights.values()):
            raise ValueError("dimension weights must be non-negative")
        changes["dimensions"] = tuple(replace(d, weight=float(dimension_weights.get(d.key, d.weight)))
                                      for d in model.dimensions)
    if thresholds:
        rungs = list(model.rungs)
        for (level, dim), value in thresholds.items():
            if not 2 <= level <= len(rungs):
                raise KeyError(f"rung {level} has no conditions to change (rungs 2-{len(rungs)})")
            rung = rungs[level - 1]
            idx = [i for i, c in enumerate(rung.conditions) if c.dimension == dim]
            if not idx:
                have = ", ".join(c.dimension for c in rung.conditions)
                raise KeyError(f"rung {level} has no condition on {dim!r} (it has: {have})")
            conds = list(rung.conditions)
            for i in idx:
                c = conds[i]
                conds[i] = replace(c, min=float(value)) if c.min is not None else replace(c, max=float(value))
            rungs[level - 1] = replace(rung, conditions=tuple(conds))
        changes["rungs"] = tuple(rungs)
    return replace(model, **changes)


def rescore(a: Assessment, model: Model, draws: int | None = None) -> Assessment:
    """Score the same client data again with another model (same resampling seed, so every
    difference comes from the model)."""
    return assess(replace(a.data, model=model), draws=a.draws if draws is None else draws)


def compare_assessments(before: Assessment, after: Assessment, language: str = "nl",
                        labels: tuple[str, str] | None = None) -> pd.DataFrame:
    """Dimension scores, overall score and rung side by side, with the change."""
    lb, la = labels or {"nl": ("Voor", "Na"), "en": ("Before", "After")}[language]
    change = {"nl": "Verschil", "en": "Change"}[language]
    rows = {}
    for key in before.model.dimension_keys:
        b, n = before.dimensions[key].score, after.dimensions[key].score
        rows[_(before.model.dimension(key).name, language)] = (_round(b), _round(n),
                                                               None if b is None or n is None else _round(n - b))
    ov = {"nl": "Totaalscore", "en": "Overall score"}[language]
    rows[ov] = (_round(before.overall.value), _round(after.overall.value),
                None if before.overall.value is None or after.overall.value is None
                else _round(after.overall.value - before.overall.value))
    rung = {"nl": "Trede", "en": "Rung"}[language]
    rows[rung] = (before.rung.level, after.rung.level, after.rung.level - before.rung.level)
    return pd.DataFrame.from_dict(rows, orient="index", columns=[lb, la, change], dtype=object)


# ------------------------------------------------------------------------------------------
# 05 Wat vinden jouw klanten belangrijk?
# ------------------------------------------------------------------------------------------

QUADRANT_LABELS: Mapping[str, Text] = workshop_texts()["quadrant_labels"]


def importance_table(a: Assessment, language: str = "nl") -> pd.DataFrame:
    """Derived importance per dimension, most important first: share of explained variance
    (LMG, %), standardised coefficient with its interval, customers' score and the quadrant.
    Empty when the assessment has no derived importance."""
    head = {"nl": ("Pijler", "Belang (% van R²)", "Beta", "Beta 95%-interval", "Score klanten", "Kwadrant"),
            "en": ("Dimension", "Importance (% of R²)", "Beta", "Beta 95% interval", "Customer score", "Quadrant")}[language]
    if a.drivers is None or a.drivers.table.empty:
        return pd.DataFrame(columns=list(head))
    quad = {} if a.importance is None else dict(zip(a.importance["dimension"], a.importance["quadrant"]))
    perf = {} if a.importance is None else dict(zip(a.importance["dimension"], a.importance["performance"]))
    rows = []
    for _i, r in a.drivers.table.sort_values("lmg_share", ascending=False).iterrows():
        k = r["predictor"]
        rows.append((_(a.model.dimension(k).name, language), round(100 * float(r["lmg_share"]), 1),
                     round(float(r["beta"]), 2), f"{r['ci_low']:.2f} – {r['ci_high']:.2f}",
                     _round(perf.get(k)), _(QUADRANT_LABELS[quad[k]], language) if k in quad else "–"))
    return pd.DataFrame(rows, columns=list(head), index=pd.RangeIndex(1, len(rows) + 1))


def drivers_note(a: Assessment, language: str = "nl") -> str:
    """One sentence on what the importance analysis explained, and how well (R², n)."""
    d = a.drivers
    if d is None or d.table.empty:
        reason = "" if d is None else f" ({escape(d.reason or '')})"
        return {"nl": f"Voor deze organisatie is geen afgeleid belang te berekenen{reason}.",
                "en": f"No derived importance can be computed for this organisation{reason}."}[language]
    outcome = {"nps": {"nl": "de aanbeveling (NPS-vraag)", "en": "recommendation (the NPS question)"},
               "csat": {"nl": "de tevredenheid (CSAT)", "en": "satisfaction (CSAT)"}}.get(d.outcome, {"nl": d.outcome})
    r2 = fmt_percent(100 * (d.r2 or 0.0), language)
    text = {"nl": f"De pijlers verklaren samen {r2} van de verschillen in {_(outcome, language)} tussen "
                  f"{fmt_number(d.n, language)} respondenten.",
            "en": f"Together the dimensions explain {r2} of the differences in {_(outcome, language)} between "
                  f"{fmt_number(d.n, language)} respondents."}[language]
    if d.collinearity_warning:
        text += {"nl": " De pijlers hangen sterk samen: kijk naar het belang (LMG), niet naar losse beta's.",
                 "en": " The dimensions are strongly related: read the importance (LMG), not single betas."}[language]
    return text


def importance_matrix_figure(a: Assessment, language: str = "nl") -> "Figure":
    """The importance–performance matrix (Martilla & James): customers' score (x) against
    derived importance (y), split at the means into four quadrants."""
    import matplotlib.pyplot as plt

    from .plots import PALETTE, set_theme

    set_theme()
    fig, ax = plt.subplots(figsize=(7.0, 5.2))
    imp = a.importance
    title = {"nl": f"Belang en prestatie – {a.config.name}", "en": f"Importance and performance – {a.config.name}"}[language]
    if imp is None or imp.empty:
        ax.text(0.5, 0.5, drivers_note(a, language), ha="center", va="center", wrap=True)
        ax.axis("off")
        ax.set_title(title, loc="left")
        return fig
    x = imp["performance"].astype(float).to_numpy()
    y = 100 * imp["importance"].astype(float).to_numpy()
    mx, my = float(x.mean()), float(y.mean())
    colours = {"concentrate_here": PALETTE[3], "keep_up": PALETTE[2], "low_priority": "#999999",
               "possible_overkill": PALETTE[0]}
    for xi, yi, q in zip(x, y, imp["quadrant"]):
        ax.scatter([xi], [yi], s=80, color=colours[q], zorder=3)
    ax.axvline(mx, color="#777777", lw=1, ls="--")
    ax.axhline(my, color="#777777", lw=1, ls="--")
    xlo, xhi = min(x.min(), mx) - 8, max(x.max(), mx) + 12
    ylo, yhi = 0, max(y.max(), my) * 1.25
    corners = {"concentrate_here": (xlo, yhi, "left", "top"), "keep_up": (xhi, yhi, "right", "top"),
               "low_priority": (xlo, ylo, "left", "bottom"), "possible_overkill": (xhi, ylo, "right", "bottom")}
    for q, (cx, cy, ha, va) in corners.items():
        ax.text(cx, cy, _(QUADRANT_LABELS[q], language), ha=ha, va=va, fontsize=9, color=colours[q],
                fontweight="bold")
    ax.set_xlim(xlo, xhi)
    ax.set_ylim(ylo, yhi)
    _place_labels(ax, list(x), list(y), [_(a.model.dimension(k).name, language) for k in imp["dimension"]])
    ax.set_xlabel({"nl": "Prestatie: score van de klanten (0–100)", "en": "Performance: customers' score (0–100)"}[language])
    ax.set_ylabel({"nl": "Belang: aandeel in de verklaarde variantie (%)",
                   "en": "Importance: share of explained variance (%)"}[language])
    ax.set_title(title, loc="left")
    fig.tight_layout()
    return fig


def compare_importance(assessments: Mapping[str, Assessment], language: str = "nl") -> pd.DataFrame:
    """Importance (% of R²) of each dimension per organisation side by side, with each
    organisation's top driver marked ``★``. Rows: dimensions; columns: organisation names."""
    out: dict[str, dict[str, str]] = {}
    for _key, a in assessments.items():
        col: dict[str, str] = {}
        if a.drivers is not None and not a.drivers.table.empty:
            table = a.drivers.table.set_index("predictor")["lmg_share"]
            top = table.idxmax()
            for k, v in table.items():
                col[_(a.model.dimension(k).name, language)] = f"{100 * v:.0f}%" + (" ★" if k == top else "")
        out[a.config.name] = col
    frame = pd.DataFrame(out)
    model = next(iter(assessments.values())).model if assessments else default_model()
    order = [_(model.dimension(k).name, language) for k in model.dimension_keys]
    return frame.reindex([o for o in order if o in frame.index]).fillna("–")


# ------------------------------------------------------------------------------------------
# 06 Van rapport naar actie
# ------------------------------------------------------------------------------------------

def blocking_dimensions(a: Assessment) -> list[str]:
    """The dimensions the next rung's unmet conditions come down to (``all`` and ``gap`` resolved
    to their worst dimension), in order, each once."""
    keys = [b["dimension"] if b["dimension"] not in ("all", "gap") else b.get("worst_dimension")
            for b in a.rung.blocking]
    return [k for k in dict.fromkeys(keys) if k and k in a.model.dimension_keys]


def current_scores(a: Assessment) -> dict[str, float | None]:
    """The assessment's dimension scores (point estimates)."""
    return {k: d.score for k, d in a.dimensions.items()}


def current_gaps(a: Assessment) -> dict[str, float | None]:
    """The assessment's perception gaps (internal − customer) per dimension that has both views."""
    return {k: d.gap.value for k, d in a.dimensions.items() if d.gap is not None}


def _quadrants(a: Assessment) -> dict[str, str]:
    return {} if a.importance is None else dict(zip(a.importance["dimension"], a.importance["quadrant"]))


def route_to_next_rung(a: Assessment, language: str = "nl") -> pd.DataFrame:
    """What blocks the next rung, one row per unmet condition: the dimension it comes down to,
    now, needed, points to go and the dimension's quadrant in the importance–performance matrix
    (how much it matters to customers)."""
    head = {"nl": ("Voorwaarde", "Gaat over", "Nu", "Nodig", "Nog te gaan", "Belang voor klanten"),
            "en": ("Condition", "Comes down to", "Now", "Needed", "To go", "Importance to customers")}[language]
    quad = _quadrants(a)
    rows = []
    for b in a.rung.blocking:
        cond = Condition(b["dimension"], b["min"], b["max"])
        key = b["dimension"] if b["dimension"] not in ("all", "gap") else b.get("worst_dimension")
        rows.append((condition_text(cond, a.model, language), _dim_name(a.model, key, language) if key else "–",
                     b["value"], b["min"] if b["min"] is not None else b["max"], b["shortfall"],
                     _(QUADRANT_LABELS[quad[key]], language) if key in quad else "–"))
    return pd.DataFrame(rows, columns=list(head))


def route_table(a: Assessment, language: str = "nl") -> pd.DataFrame:
    """The whole way up: every unmet condition of every rung above the current one."""
    checks = condition_checks(current_scores(a), current_gaps(a), a.model, language)
    rung_col, met_col = checks.columns[0], checks.columns[3]
    return checks[(checks[rung_col] > a.rung.level) & (checks[met_col] == "✗")].reset_index(drop=True)


def projected_state(a: Assessment, improvements: Mapping[str, float], gap_change: float = 0.0,
                    language: str = "nl") -> LadderState:
    """Where the organisation would stand if each dimension improved by ``improvements[key]``
    points (capped at 100) and every perception gap shrank by ``gap_change`` points (towards 0)."""
    unknown = set(improvements) - set(a.model.dimension_keys)
    if unknown:
        raise KeyError(f"unknown dimension(s) {sorted(unknown)}")
    scores = {k: None if v is None else min(100.0, max(0.0, v + float(improvements.get(k, 0.0))))
              for k, v in current_scores(a).items()}
    gaps = {k: None if v is None else math.copysign(max(0.0, abs(v) - gap_change), v)
            for k, v in current_gaps(a).items()}
    return evaluate_scores(scores, gaps, a.model, language)


def sample_size_per_wave(sd: float, change: float, power: float = 0.8, alpha: float = 0.05) -> int:
    """Respondents needed in *each* of two waves to detect a change of ``change`` points in a
    mean whose respondent-level standard deviation is ``sd`` (two-sided test, independent samples):
    ``n = 2 (z_{1-α/2} + z_{power})² sd² / change²``.

    >>> sample_size_per_wave(20, 5)
    252
    """
    if sd <= 0 or change <= 0:
        raise ValueError("sd and change must be positive")
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    return int(math.ceil(2 * z * z * sd * sd / (change * change)))


def second_wave_plan(a: Assessment, change: float = 5.0, language: str = "nl") -> pd.DataFrame:
    """Planning a second wave: per dimension the survey behind it (customers where asked, else
    employees), respondents now, spread, the margin now (half the 95% interval of the survey
    view) and the respondents needed per wave to show a change of ``change`` points."""
    head = {"nl": ("Pijler", "Onderzoek", "n nu", "Spreiding (sd)", "Marge nu (±)", f"n nodig voor ±{change:g} punten"),
            "en": ("Dimension", "Survey", "n now", "Spread (sd)", "Margin now (±)", f"n needed for ±{change:g} points")}[language]
    names = {"customer": {"nl": "klanten", "en": "customers"}, "employee": {"nl": "medewerkers", "en": "employees"}}
    rows = []
    for key in a.model.dimension_keys:
        for survey in ("customer", "employee"):
            col = a.respondents[survey][key].dropna() if key in a.respondents[survey] else pd.Series(dtype=float)
            if len(col) >= 2:
                break
        if len(col) < 2:
            continue
        sd = float(col.std(ddof=1))
        margin = 1.96 * sd / math.sqrt(len(col))
        rows.append((_(a.model.dimension(key).name, language), _(names[survey], language), int(len(col)),
                     round(sd, 1), round(margin, 1), sample_size_per_wave(sd, change) if sd > 0 else 2))
    return pd.DataFrame(rows, columns=list(head))


# ------------------------------------------------------------------------------------------
# 00 Quick scan
# ------------------------------------------------------------------------------------------

LIKERT_LABELS: Mapping[str, tuple[str, ...]] = {
    "nl": ("Helemaal mee oneens", "Mee oneens", "Neutraal", "Mee eens", "Helemaal mee eens"),
    "en": ("Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree"),
}

#: Preset answers for the headless quick scan: a manager who is positive about service and
#: listening, less so about strategy and ethics (item column → 1..5; None = "weet ik niet").
PRESET_ANSWERS: Mapping[str, int | None] = {
    "knowledge_1": 4, "knowledge_2": 3, "knowledge_3": 3,
    "service_1": 4, "service_2": 4, "service_3": 5, "service_4": 3,
    "experience_1": 4, "experience_2": 3, "experience_3": 4,
    "loyalty_1": 3, "loyalty_2": 3, "loyalty_3": 4,
    "listening_1": 4, "listening_2": 3, "listening_3": 3,
    "strategy_1": 3, "strategy_2": 3, "strategy_3": 3, "strategy_4": 4,
    "ethics_1": 4, "ethics_2": 4, "ethics_3": None,
}


def quick_scan_items(model: Model | None = None, language: str = "nl") -> pd.DataFrame:
    """The employee items of the model, the questionnaire of the quick scan: column, dimension, statement."""
    model = _model(model)
    head = {"nl": ("Kolom", "Pijler", "Stelling"), "en": ("Column", "Dimension", "Statement")}[language]
    rows = [(i.column, _(model.dimension(i.dimension).name, language), _(i.text, language))
            for i in model.items("employee")]
    return pd.DataFrame(rows, columns=list(head))


def quick_scan(answers: Mapping[str, int | float | None], model: Model | None = None,
               language: str = "nl") -> LadderState:
    """An indicative rung from one person's answers to the employee items (1..5, None = don't know).

    Scored exactly as a respondent of the employee survey (a dimension with fewer than half its
    items answered gets no score). Only the internal view exists, so the gap is unknown and the
    top rung cannot be shown.
    """
    model = _model(model)
    cols = [i.column for i in model.items("employee")]
    unknown = set(answers) - set(cols)
    if unknown:
        raise KeyError(f"unknown item(s) {sorted(unknown)}")
    for k, v in answers.items():
        if v is not None and not model.likert_min <= float(v) <= model.likert_max:
            raise ValueError(f"{k}: answer {v} is outside {model.likert_min}..{model.likert_max}")
    frame = pd.DataFrame([{c: (np.nan if answers.get(c) is None else float(answers[c])) for c in cols}])  # type: ignore[arg-type]
    per_dim = respondent_scores(frame, model, "employee").iloc[0]
    scores = {k: (None if k not in per_dim or pd.isna(per_dim[k]) else float(per_dim[k])) for k in model.dimension_keys}
    return evaluate_scores(scores, None, model, language)


def quick_scan_html(state: LadderState, model: Model | None = None, name: str = "") -> str:
    """The quick-scan result, clearly marked as one person's indicative view."""
    model = _model(model)
    lang = state.language
    who = escape(name) if name else {"nl": "één persoon", "en": "one person"}[lang]
    warning = {"nl": f"<strong>Indicatie, geen meting.</strong> Dit is het beeld van {who}, op de stellingen van het "
                     "medewerkersonderzoek. Het zegt niets over wat klanten vinden: daarvoor is een echte meting nodig "
                     "(medewerkers én klanten én cijfers). Trede 5 is met alleen een intern beeld nooit aan te tonen.",
               "en": f"<strong>An indication, not an assessment.</strong> This is the view of {who}, on the statements "
                     "of the employee survey. It says nothing about what customers think: that takes a real assessment "
                     "(employees and customers and figures). Rung 5 can never be shown with an internal view alone."}[lang]
    box = ("<div style='border-left:4px solid #de8f05;background:#fff6e5;padding:0.5em 0.8em;margin:0.5em 0'>"
           f"{warning}</div>")
    head = {"nl": ("Pijler", "Jouw score (0–100)"), "en": ("Dimension", "Your score (0–100)")}[lang]
    scores = pd.DataFrame({head[0]: [_(model.dimension(k).name, lang) for k in state.scores],
                           head[1]: [np.nan if v is None else float(v) for v in state.scores.values()]})
    return box + state_html(state, model) + table_html(scores, lang, digits=0)


def quick_scan_form(model: Model | None = None, language: str = "nl",
                    on_result: Callable[[LadderState], None] | None = None) -> Any | None:
    """An ipywidgets form with one drop-down per employee item and a button that shows the
    indicative rung at once. None when ipywidgets is not installed."""
    if not widgets_available():
        return None
    import ipywidgets as w

    from .nb import show, show_figure

    model = _model(model)
    dont_know = {"nl": "weet ik niet", "en": "don't know"}[language]
    options = [(f"— ({dont_know})", None), *[(f"{i} {lab}", i) for i, lab in enumerate(LIKERT_LABELS[language], start=1)]]
    fields: dict[str, Any] = {}
    children: list[Any] = []
    for dim in model.dimensions:
        children.append(w.HTML(f"<h4 style='margin:0.8em 0 0.2em'>{escape(_(dim.name, language))}</h4>"))
        for item in dim.employee_items:
            dd = w.Dropdown(options=options, value=None, layout=w.Layout(width="210px"))
            fields[item.column] = dd
            children.append(w.HBox([dd, w.HTML(escape(_(item.text, language)))]))
    button = w.Button(description={"nl": "Bereken mijn trede", "en": "Compute my rung"}[language],
                      button_style="primary", layout=w.Layout(width="220px"))
    out = w.Output()

    def compute(_b: Any = None) -> None:
        state = quick_scan({k: f.value for k, f in fields.items()}, model, language)
        with out:
            out.clear_output(wait=True)
            show(quick_scan_html(state, model))
            show_figure(whatif_figure(state, model))
        if on_result is not None:
            on_result(state)

    button.on_click(compute)
    form = w.VBox([*children, button, out])
    form.fields = fields  # type: ignore[attr-defined]  # for tests and trainers
    form.compute = compute  # type: ignore[attr-defined]
    return form
