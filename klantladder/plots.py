"""Figures for the report: one theme, functions that take an Assessment and return a Figure.

Colour-blind-safe palette (seaborn ``colorblind``), titles and labelled axes in the report
language, the n on every figure.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from .i18n import fmt_number, fmt_percent, t  # noqa: E402

__all__ = ["set_theme", "PALETTE", "ladder", "profile"]

PALETTE = sns.color_palette("colorblind")
VIEW_COLOURS = {"score": "#222222", "internal": PALETTE[0], "customer": PALETTE[1], "kpi": PALETTE[2]}


def set_theme() -> None:
    """The report theme: white grid, readable sizes, colour-blind palette, SVG-friendly fonts."""
    sns.set_theme(style="whitegrid", palette=PALETTE, font="DejaVu Sans", rc={
        "figure.dpi": 110, "savefig.dpi": 150, "axes.titlesize": 12, "axes.titleweight": "bold",
        "axes.labelsize": 10, "xtick.labelsize": 9, "ytick.labelsize": 9, "legend.fontsize": 9,
        "svg.fonttype": "none", "axes.spines.top": False, "axes.spines.right": False,
    })


def _n_note(ax: plt.Axes, text: str) -> None:
    ax.annotate(text, xy=(1, -0.02), xycoords="axes fraction", ha="right", va="top", fontsize=8, color="#555555")


def ladder(a) -> Figure:
    """The ladder: five rungs, the organisation's rung highlighted, each rung's probability."""
    lang = a.language
    set_theme()
    fig, ax = plt.subplots(figsize=(6.2, 3.6))
    rungs = a.model.rungs
    for r in rungs:
        here = r.level == a.rung.level
        y = r.level
        colour = PALETTE[0] if here else ("#c9d7e8" if r.level < a.rung.level else "#eeeeee")
        ax.barh(y, 0.62 + 0.095 * r.level, left=0, height=0.72, color=colour, edgecolor="#666666", linewidth=0.6)
        label = f"{r.level}  {r.name.get(lang, r.name['nl'])}"
        ax.text(0.03, y, label, va="center", ha="left", fontsize=10, color="white" if here else "#222222",
                fontweight="bold" if here else "normal")
        p = a.rung.probabilities.get(r.level, 0.0)
        ax.text(1.22, y, fmt_percent(100 * p, lang), va="center", ha="right", fontsize=9, color="#333333")
    ax.text(1.22, len(rungs) + 0.65, t("ladder_probability", lang), ha="right", va="center", fontsize=8,
            color="#555555")
    ax.set_xlim(0, 1.25)
    ax.set_ylim(0.4, len(rungs) + 0.9)
    ax.axis("off")
    ax.set_title(t("ladder_title", lang), loc="left")
    fig.tight_layout()
    return fig


def profile(a) -> Figure:
    """Every dimension's score with its 95% interval, and the views it was built from."""
    lang = a.language
    set_theme()
    keys = [k for k, d in a.dimensions.items() if d.score is not None]
    names = [a.model.dimension(k).name.get(lang, k) for k in keys]
    fig, ax = plt.subplots(figsize=(7.2, 0.5 * len(keys) + 1.6))
    y = np.arange(len(keys))[::-1]
    term = a.config.customer_term[1]
    markers = {"internal": ("s", t("view_internal", lang)),
               "customer": ("D", t("view_customer", lang, Plural=term.capitalize())),
               "kpi": ("^", t("view_kpi", lang))}
    for yi, k in zip(y, keys):
        d = a.dimensions[k]
        ax.plot([d.ci_low, d.ci_high], [yi, yi], color="#444444", lw=2.2, solid_capstyle="round", zorder=2)
        ax.scatter([d.score], [yi], s=70, color="#111111", zorder=3)
        ax.text(101, yi, fmt_number(d.score, lang), va="center", ha="left", fontsize=9)
    for view, (m, label) in markers.items():
        xs, ys = [], []
        for yi, k in zip(y, keys):
            d = a.dimensions[k]
            v = {"internal": d.internal.value if d.internal else None,
                 "customer": d.customer.value if d.customer else None, "kpi": d.kpi}[view]
            if v is not None:
                xs.append(v)
                ys.append(yi + 0.22)
        if xs:
            ax.scatter(xs, ys, marker=m, s=28, color=VIEW_COLOURS[view], label=label, zorder=4, alpha=0.9)
    ax.set_yticks(y, names)
    ax.set_xlim(0, 100)
    ax.set_xlabel(t("profile_axis", lang))
    ax.set_title(t("profile_title", lang), loc="left")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, frameon=False)
    n_int = max((d.internal.n for d in a.dimensions.values() if d.internal), default=0)
    n_cus = max((d.customer.n for d in a.dimensions.values() if d.customer), default=0)
    _n_note(ax, f"n = {n_int} / {n_cus}")
    fig.tight_layout()
    return fig
