"""Figures for the report: one theme, functions that take an Assessment and return a Figure.

One seaborn theme with the colour-blind-safe ``colorblind`` palette (Okabe–Ito hues); every
figure has a title, labelled axes (where it has axes) and its n, all in the report language with
that language's number format. :func:`to_svg` turns a figure into deterministic inline SVG with
selectable text. Figures return ``None`` when their data are missing; the section then says so.
"""

from __future__ import annotations

import contextlib
import functools
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import matplotlib
import matplotlib.text
import matplotlib.textpath
import matplotlib.transforms

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.font_manager import fontManager  # noqa: E402
from matplotlib.ft2font import LoadFlags  # noqa: E402
from matplotlib.layout_engine import ConstrainedLayoutEngine  # noqa: E402
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator  # noqa: E402

from . import reportdata as rd  # noqa: E402
from .i18n import axis_formatter, fmt_number, fmt_percent, fmt_signed, t  # noqa: E402
from .segments import UNKNOWN_GROUP  # noqa: E402

__all__ = ["set_theme", "to_svg", "lean_svg", "PALETTE", "COLOURS", "FIG_WIDTH", "ladder", "profile", "perception_gap",
           "service_times", "nps", "retention", "importance_performance", "route", "trend", "benchmark",
           "safe_label"]

PALETTE = sns.color_palette("colorblind")
#: Named colours of the report (all from the colour-blind palette).
COLOURS = {
    "accent": "#0173b2", "internal": "#0173b2", "customer": "#de8f05", "kpi": "#029e73", "score": "#1d2733",
    "bad": "#d55e00", "good": "#029e73", "neutral": "#949494", "light": "#56b4e9", "muted": "#5b6675",
    "grid": "#d5dce4", "achieved": "#9fc5e3", "open": "#dde3ea", "threshold": "#cc78bc",
}
#: Width of a full-width figure in inches (the A4 text width, 178 mm).
FIG_WIDTH = 7.0
NOTE_SIZE = 8


def set_theme() -> None:
    """The report theme: white grid, readable sizes, colour-blind palette, SVG text as text."""
    sns.set_theme(style="whitegrid", palette=PALETTE, font="DejaVu Sans", rc={
        "figure.dpi": 100, "savefig.dpi": 150, "axes.titlesize": 11, "axes.titleweight": "bold",
        "axes.titlelocation": "left", "axes.titlepad": 8, "figure.titlesize": 11, "figure.titleweight": "bold",
        "axes.labelsize": 9, "xtick.labelsize": 8.5, "ytick.labelsize": 8.5, "legend.fontsize": 8.5,
        "axes.labelcolor": "#1d2733", "text.color": "#1d2733", "xtick.color": "#3b4654", "ytick.color": "#3b4654",
        "axes.edgecolor": "#9aa5b1", "grid.color": "#e3e8ee", "svg.fonttype": "none",
        "axes.spines.top": False, "axes.spines.right": False, "legend.frameon": False,
        # Titles sit at the top of their axes. Left to matplotlib, it measures every tick label of
        # every axes at each draw to see whether one reaches above the top (none does here:
        # no figure has labels on top); that measuring was a fifth of a report's figure time.
        "axes.titley": 1.0,
    })


def to_svg(fig: Figure, name: str = "figure") -> str:
    """A figure as inline SVG text: no XML header, no timestamp, ids salted with ``name`` (so
    several figures in one page never share an id), text kept as text (selectable in the PDF),
    and lean (:func:`lean_svg`)."""
    buf = io.StringIO()
    # A figure with a constrained layout keeps everything inside itself (the report's figures
    # put their small print there too: :func:`_note`), so it is drawn once at its own size;
    # any other figure is cropped to what it draws, which takes a second pass.
    tight = None if isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine) else "tight"
    with plt.rc_context({"svg.hashsalt": f"klantladder-{name}", "svg.fonttype": "none"}), _text_measured_once():
        fig.savefig(buf, format="svg", bbox_inches=tight, pad_inches=0.06, metadata={"Date": None})
    plt.close(fig)
    text = buf.getvalue()
    svg = lean_svg(text[text.index("<svg"):])
    # Every id (and every reference to one) becomes the figure's name and a number in order of
    # appearance: unique on a page with several figures, and the same on every run. (matplotlib
    # derives a clip path's id from the float bounds of its rectangle, whose last bits were seen
    # to differ between two processes drawing the same figure: a warm and a fresh kernel.)
    prefix = re.sub(r"[^A-Za-z0-9_-]", "-", name)
    ids = {old: f"{prefix}-{old[0]}{i}" for i, old in enumerate(dict.fromkeys(re.findall(r'\bid="([^"]+)"', svg)), 1)}
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{ids[m.group(1)]}"', svg)
    svg = re.sub(r'(xlink:href|href)="#([^"]+)"',
                 lambda m: f'{m.group(1)}="#{ids[m.group(2)]}"' if m.group(2) in ids else m.group(0), svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{ids[m.group(1)]})" if m.group(1) in ids else m.group(0), svg)
    return svg.replace("<svg ", f'<svg role="img" aria-label="{prefix}" ', 1)


@functools.lru_cache(maxsize=8192)
def _text_extent(text: str, fonts: tuple, kerning_factor: float, last_resort: bool) -> tuple[float, float, float]:
    """Width, height and descent of ``text`` set unhinted at matplotlib's path scale (100 pt,
    72 dpi) in the first of ``fonts`` that has its glyphs, in points: what
    :meth:`matplotlib.textpath.TextToPath.get_text_width_height_descent` computes before it scales
    to the font size. ``kerning_factor`` and ``last_resort`` are the rc settings the font depends on."""
    measurer = matplotlib.textpath.TextToPath
    font = matplotlib.textpath.get_font(list(fonts))
    font.set_size(measurer.FONT_SCALE, measurer.DPI)
    font.set_text(text, 0.0, flags=LoadFlags.NO_HINTING)
    width, height = font.get_width_height()
    return width / 64.0, height / 64.0, font.get_descent() / 64.0


@functools.lru_cache(maxsize=256)
def _font_heights(fonts: tuple, size: float, dpi: float) -> tuple[float | None, float | None, float | None]:
    """The ascent, descent and line gap of the first of ``fonts`` at ``size`` points and ``dpi``,
    from its OS/2 or hhea table: what :meth:`matplotlib.text.Text._get_layout` computes for every
    label (two font tables read, a font looked up) to give a line its full height. None where the
    font has neither table (matplotlib then measures "lp")."""
    font = matplotlib.textpath.get_font(list(fonts))
    for table_name, gap_key, ascent_key, descent_key in (("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"),
                                                          ("hhea", "lineGap", "ascent", "descent")):
        table = font.get_sfnt_table(table_name)
        if table is None:
            continue
        scale = 1 / font.get_sfnt_table("head")["unitsPerEm"] * size * dpi / 72  # as matplotlib, term by term
        return table[ascent_key] * scale, -table[descent_key] * scale, table[gap_key] * scale
    return None, None, None


#: The font files of each font description while a figure is written (rc settings are fixed
#: then): matplotlib looks them up for every label, building a key of nine rc lists each time.
_fonts_found: dict | None = None


def _fonts_of(prop) -> tuple:
    """``fontManager._find_fonts_by_props(prop)`` as a tuple, looked up once per figure."""
    if _fonts_found is None:
        return tuple(fontManager._find_fonts_by_props(prop))
    key = hash(prop)  # what makes two descriptions equal for matplotlib's own font cache
    fonts = _fonts_found.get(key)
    if fonts is None:
        fonts = _fonts_found[key] = tuple(fontManager._find_fonts_by_props(prop))
    return fonts


def _svg_font_height_metrics(renderer, prop) -> tuple[float | None, float | None, float | None]:
    """:func:`_font_heights` for the SVG renderer, which matplotlib asks first when it has this
    method: the figure is drawn at 72 dpi for SVG, so the result is matplotlib's own."""
    return _font_heights(_fonts_of(prop), prop.get_size_in_points(), 72.0)


class _TextToPathMeasuredOnce(matplotlib.textpath.TextToPath):
    """matplotlib's text measurer for vector output, remembering each string's extent.

    The SVG renderer measures every label each time a figure is laid out and drawn, in a new
    renderer per figure, so matplotlib's own cache (one per renderer) starts empty each time;
    a report's figures measure the same tick labels, axis titles and names again and again, and
    setting text in FreeType was a sixth of their drawing time. The extent depends only on the
    string, the font files and two rc settings (:func:`_text_extent`); the scaling to the font
    size is done here exactly as matplotlib does it, so the figures are the same to the last bit.
    """

    def get_text_width_height_descent(self, s, prop, ismath):
        if ismath:  # mathtext and TeX: matplotlib's own way (the report's labels are never math)
            return super().get_text_width_height_descent(s, prop, ismath)
        width, height, descent = _text_extent(
            s, _fonts_of(prop), matplotlib.rcParams["text.kerning_factor"], matplotlib.rcParams["font.enable_last_resort"])
        scale = prop.get_size_in_points() / self.FONT_SCALE
        return width * scale, height * scale, descent * scale


@contextlib.contextmanager
def _text_measured_once() -> Iterator[None]:
    """Renderers made inside measure text through :class:`_TextToPathMeasuredOnce`, the SVG
    renderer gives a font's heights from a cache (:func:`_svg_font_height_metrics`), and font
    files are looked up once per font description (:func:`_fonts_of`)."""
    global _fonts_found
    from matplotlib.backends.backend_svg import RendererSVG

    plain = matplotlib.text.TextToPath
    matplotlib.text.TextToPath = _TextToPathMeasuredOnce
    heights = vars(RendererSVG).get("_get_font_height_metrics")
    RendererSVG._get_font_height_metrics = _svg_font_height_metrics
    _fonts_found = {}
    try:
        yield
    finally:
        matplotlib.text.TextToPath = plain
        if heights is None:
            del RendererSVG._get_font_height_metrics
        else:
            RendererSVG._get_font_height_metrics = heights
        _fonts_found = None


_SVG_NS = "http://www.w3.org/2000/svg"
_XLINK_NS = "http://www.w3.org/1999/xlink"


#: CSS properties matplotlib writes in ``style`` attributes that SVG also takes as presentation
#: attributes (SVG 1.1, section 6.4).
_PRESENTATION = frozenset({
    "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-opacity", "stroke-linejoin",
    "stroke-linecap", "stroke-dasharray", "stroke-dashoffset", "stroke-miterlimit", "opacity", "font-size",
    "font-family", "font-weight", "font-style", "font-variant", "font-stretch", "text-anchor",
    "dominant-baseline", "alignment-baseline", "baseline-shift", "letter-spacing", "word-spacing",
    "text-decoration", "clip-path", "clip-rule", "mask", "color", "visibility", "display",
})
#: Elements that draw (the ones a stroke style can reach).
_DRAWING = frozenset({"path", "use", "rect", "circle", "ellipse", "line", "polyline", "polygon", "text", "tspan",
                      "image"})
_STAR_RULE = re.compile(r"^\s*\*\s*\{([^{}]*)\}\s*$")
_NO_ROTATION = re.compile(r"^\s*rotate\(\s*-?0(?:\.0*)?(?:[\s,]+[-+0-9.eE]+){0,2}\s*\)\s*$")


def _declarations(css: str) -> list[tuple[str, str]]:
    """``property: value`` pairs of a CSS declaration list (matplotlib's: no ``;`` inside values)."""
    pairs = []
    for item in css.split(";"):
        name, colon, value = item.partition(":")
        if colon and name.strip():
            pairs.append((name.strip(), value.strip()))
    return pairs


def lean_svg(svg: str) -> str:
    """matplotlib's SVG without what nobody reads, and in the form cheapest to draw.

    Dropped: the RDF metadata block, ids nothing refers to, the groups that only carried such an
    id (their children take their place), and rotations by zero degrees (one on every label).
    matplotlib's ``style`` attributes become presentation attributes (``fill="#fff"``), and its
    one style sheet rule (``*{stroke-linejoin: round; stroke-linecap: butt}``) is written on the
    drawing elements themselves, below what their own style said, as the cascade had it. A PDF
    renderer then parses no CSS for each element.

    The drawing is unchanged; a report's seven figures lose about two thirds of their elements,
    which is most of what rendering them in the PDF costs.
    """
    ET.register_namespace("", _SVG_NS)
    ET.register_namespace("xlink", _XLINK_NS)
    root = ET.fromstring(svg)
    referenced = set(re.findall(r'(?:href="#|url\(#)([^")]+)', svg))
    sheets = [e for e in root.iter() if e.tag.rsplit("}", 1)[-1] == "style"]
    rules = [_STAR_RULE.match(e.text or "") for e in sheets]
    # Only where the sheet is that one rule: any other rule could outrank presentation attributes.
    restyle = all(rules)
    star = [pair for rule in rules if rule for pair in _declarations(rule.group(1))] if restyle else []

    def prune(parent: ET.Element) -> None:
        for child in list(parent):
            tag = child.tag.rsplit("}", 1)[-1]
            if tag == "metadata" or (restyle and tag == "style"):
                parent.remove(child)
                continue
            prune(child)
            attrib = child.attrib
            if "id" in attrib and attrib["id"] not in referenced:
                del attrib["id"]
            if _NO_ROTATION.match(attrib.get("transform", "x")):
                del attrib["transform"]
            if restyle:
                declared = dict(star) if tag in _DRAWING else {}
                rest = []
                for name, value in _declarations(attrib.pop("style", "")):
                    if name in _PRESENTATION:
                        declared[name] = value
                    else:
                        rest.append(f"{name}: {value}")
                attrib.update(declared)
                if rest:
                    attrib["style"] = "; ".join(rest)
            if tag == "g" and not attrib:
                at = list(parent).index(child)
                parent.remove(child)
                for k, grandchild in enumerate(child):
                    parent.insert(at + k, grandchild)
            elif tag == "defs" and not len(child):  # it held only the style sheet
                parent.remove(child)

    prune(root)
    for element in root.iter():
        element.tail = None if element.tail is None or not element.tail.strip() else element.tail
    return ET.tostring(root, encoding="unicode")


def safe_label(text: object) -> str:
    """A client's label (channel, segment) safe for matplotlib: no mathtext, no control characters."""
    s = "".join(ch for ch in str(text) if ch.isprintable())
    return s.replace("$", r"\$")


def _tm(a) -> dict[str, str]:
    term, plural = a.config.customer_term
    return {"term": term, "plural": plural, "Term": term.capitalize(), "Plural": plural.capitalize()}


#: Height of one line of small print under a figure, in inches.
NOTE_LINE = NOTE_SIZE * 1.4 / 72
NOTE_PAD = 0.04


def _note(fig: Figure, text: str, *, left: str | None = None, stacked: bool = False) -> None:
    """The small print under a figure: ``text`` (its n) bottom right and ``left`` (a legend in
    words) bottom left, on one line or, ``stacked``, ``left`` on a line of its own above.

    The lines stay inside the figure: its constrained layout keeps the strip free, so the figure
    keeps its size and is drawn once (:func:`to_svg` needs no tight bounding box).
    """
    height = fig.get_figheight()
    line, pad = NOTE_LINE / height, NOTE_PAD / height
    style = {"va": "bottom", "fontsize": NOTE_SIZE, "color": COLOURS["muted"]}
    fig.text(0.995, pad, text, ha="right", **style)
    if left:
        fig.text(0.005, pad + (line if stacked else 0.0), left, ha="left", **style)
    strip = 2 * pad + line * (2 if left and stacked else 1)
    fig.get_layout_engine().set(rect=(0.0, strip, 1.0, 1.0 - strip))


def _dim_name(a, key: str) -> str:
    return a.model.dimension(key).name.get(a.language, key)


def _n_views(a) -> tuple[int, int]:
    n_int = max((d.internal.n for d in a.dimensions.values() if d.internal), default=0)
    n_cus = max((d.customer.n for d in a.dimensions.values() if d.customer), default=0)
    return n_int, n_cus


# --- summary ----------------------------------------------------------------------------------

def ladder(a) -> Figure:
    """The ladder, drawn: five rungs, the organisation's rung highlighted, each rung's probability."""
    lang = a.language
    set_theme()
    rungs = a.model.rungs
    top = len(rungs)
    fig, ax = plt.subplots(figsize=(3.5, 2.75), layout="constrained")
    left, right = 0.0, 0.34
    for x in (left, right):
        ax.plot([x, x], [0.35, top + 0.55], color="#7b8794", lw=3.2, solid_capstyle="round", zorder=1)
    for r in rungs:
        here = r.level == a.rung.level
        colour = COLOURS["accent"] if here else (COLOURS["achieved"] if r.level < a.rung.level else COLOURS["open"])
        ax.plot([left, right], [r.level, r.level], color=colour, lw=8 if here else 5.5, solid_capstyle="butt",
                zorder=2)
        name = r.name.get(lang, r.name["nl"])
        ax.text(right + 0.07, r.level, f"{r.level}  {name}", va="center", ha="left", fontsize=9.5,
                fontweight="bold" if here else "normal", color=COLOURS["accent"] if here else "#1d2733")
        p = float(a.rung.probabilities.get(r.level, 0.0))
        ax.text(1.32, r.level, fmt_percent(100 * p, lang), va="center", ha="right", fontsize=8.5,
                color="#1d2733" if p >= 0.005 else "#9aa5b1", fontweight="bold" if here else "normal")
    ax.text(1.32, top + 0.62, t("ladder_probability", lang), ha="right", va="center", fontsize=7.5,
            color=COLOURS["muted"])
    ax.set_xlim(-0.05, 1.34)
    ax.set_ylim(0.3, top + 0.85)
    ax.axis("off")
    ax.set_title(t("ladder_title", lang, level=a.rung.level), loc="left", fontsize=10.5)
    _note(fig, t("ladder_n", lang, n=fmt_number(a.draws, lang)))
    return fig


# --- profile ----------------------------------------------------------------------------------

def _next_thresholds(a) -> tuple[dict[str, float], float | None, int | None]:
    """Per-dimension minimum and the 'all dimensions' minimum of the next rung (None at the top)."""
    if a.rung.level >= len(a.model.rungs):
        return {}, None, None
    nxt = a.model.rung(a.rung.level + 1)
    per = {c.dimension: float(c.min) for c in nxt.conditions if c.min is not None and c.dimension not in ("all", "gap")}
    all_min = next((float(c.min) for c in nxt.conditions if c.dimension == "all" and c.min is not None), None)
    return per, all_min, nxt.level


def profile(a) -> Figure | None:
    """Every dimension's score with its 95% interval, the views it was built from and the
    thresholds of the next rung."""
    lang = a.language
    set_theme()
    tm = _tm(a)
    keys = [k for k, d in a.dimensions.items() if d.score is not None]
    if not keys:
        return None
    names = [_dim_name(a, k) for k in keys]
    fig, ax = plt.subplots(figsize=(FIG_WIDTH, 0.46 * len(keys) + 1.5), layout="constrained")
    y = np.arange(len(keys))[::-1].astype(float)
    per, all_min, nxt = _next_thresholds(a)
    offsets = {"internal": 0.2, "customer": 0.2, "kpi": 0.2}
    markers = {"internal": ("s", t("view_internal", lang)), "customer": ("D", t("view_customer", lang, **tm)),
               "kpi": ("^", t("view_kpi", lang))}
    for yi, k in zip(y, keys):
        d = a.dimensions[k]
        if d.ci_low is not None and d.ci_high is not None:
            ax.plot([d.ci_low, d.ci_high], [yi, yi], color=COLOURS["score"], lw=2.4, solid_capstyle="round", zorder=3)
        ax.text(104, yi, fmt_number(d.score, lang), va="center", ha="left", fontsize=9.5, fontweight="bold",
                clip_on=False)
        if k in per:
            ax.plot([per[k], per[k]], [yi - 0.32, yi + 0.32], color=COLOURS["threshold"], lw=2.0, zorder=2)
    ax.scatter([a.dimensions[k].score for k in keys], y, s=62, color=COLOURS["score"], zorder=4,
               label=t("view_score", lang), clip_on=False)
    for view, (m, label) in markers.items():
        xs, ys = [], []
        for yi, k in zip(y, keys):
            d = a.dimensions[k]
            v = {"internal": d.internal.value if d.internal else None,
                 "customer": d.customer.value if d.customer else None, "kpi": d.kpi}[view]
            if v is not None:
                xs.append(v)
                ys.append(yi + offsets[view])
        if xs:
            ax.scatter(xs, ys, marker=m, s=26, color=COLOURS[view], label=label, zorder=5, alpha=0.95,
                       edgecolor="white", linewidth=0.4, clip_on=False)
    if per or all_min is not None:
        if all_min is not None:
            ax.axvline(all_min, color=COLOURS["threshold"], lw=1.0, ls="--", zorder=1)
        ax.plot([], [], color=COLOURS["threshold"], lw=2.0, label=t("fig_profile_threshold", lang, level=nxt))
    ax.set_yticks(y, names)
    ax.set_ylim(-0.6, len(keys) - 0.4)
    ax.set_xlim(0, 100)
    ax.xaxis.set_major_formatter(axis_formatter(lang))
    ax.set_xlabel(t("profile_axis", lang))
    ax.grid(axis="y", visible=False)
    ax.set_title(t("fig_profile_title", lang))
    ax.legend(loc="upper center", bbox_to_anchor=(0.45, -0.14), ncol=3, handletextpad=0.3, columnspacing=1.2)
    n_int, n_cus = _n_views(a)
    _note(fig, t("fig_n_views", lang, employees=fmt_number(n_int, lang), customers=fmt_number(n_cus, lang), **tm))
    return fig


def perception_gap(a) -> Figure | None:
    """Internal versus customer view per dimension (left) and their difference with its 95%
    interval (right); blind spots (interval excludes 0) in the signal colour."""
    lang = a.language
    set_theme()
    tm = _tm(a)
    keys = [k for k, d in a.dimensions.items() if d.gap is not None and d.internal and d.customer]
    if not keys:
        return None
    blind = set(rd.blind_spots(a))
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(FIG_WIDTH, 0.46 * len(keys) + 1.6), sharey=True,
                                   layout="constrained", gridspec_kw={"width_ratios": [1.25, 1]})
    y = np.arange(len(keys))[::-1].astype(float)
    for yi, k in zip(y, keys):
        d = a.dimensions[k]
        i, c = d.internal.value, d.customer.value
        ax1.plot([i, c], [yi, yi], color=COLOURS["bad"] if k in blind else "#b8c2cc", lw=2.2, zorder=1)
        g = d.gap
        colour = COLOURS["bad"] if k in blind else COLOURS["score"]
        ax2.plot([g.ci_low, g.ci_high], [yi, yi], color=colour, lw=2.2, solid_capstyle="round")
        ax2.scatter([g.value], [yi], color=colour, s=40, zorder=3)
        ax2.text(1.02, yi, fmt_signed(g.value, lang), transform=ax2.get_yaxis_transform(), va="center",
                 ha="left", fontsize=9, color=colour, fontweight="bold" if k in blind else "normal", clip_on=False)
    ax1.scatter([a.dimensions[k].internal.value for k in keys], y, marker="s", s=40, color=COLOURS["internal"],
                zorder=3, label=t("view_internal", lang))
    ax1.scatter([a.dimensions[k].customer.value for k in keys], y, marker="D", s=36, color=COLOURS["customer"],
                zorder=3, label=t("view_customer", lang, **tm))
    ax1.set_yticks(y, [_dim_name(a, k) for k in keys])
    ax1.set_xlim(0, 100)
    ax1.set_ylim(-0.6, len(keys) - 0.4)
    ax1.set_xlabel(t("profile_axis", lang))
    ax1.xaxis.set_major_formatter(axis_formatter(lang))
    ax1.grid(axis="y", visible=False)
    ax1.set_title(t("fig_gap_left", lang), fontsize=9.5, fontweight="normal")
    ax1.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, handletextpad=0.3)
    lim = max(12.0, max(max(abs(a.dimensions[k].gap.ci_low), abs(a.dimensions[k].gap.ci_high)) for k in keys) * 1.1)
    ax2.set_xlim(-lim, lim)
    ax2.axvline(0, color="#1d2733", lw=1.0)
    ax2.set_xlabel(t("fig_gap_axis", lang))
    ax2.xaxis.set_major_formatter(FuncFormatter(lambda x, _p: fmt_signed(x, lang)))
    ax2.grid(axis="y", visible=False)
    ax2.tick_params(axis="y", length=0)
    ax2.set_title(t("fig_gap_right", lang, **tm), fontsize=9.5, fontweight="normal")
    fig.suptitle(t("fig_gap_title", lang), x=0.01, ha="left")
    n_int, n_cus = _n_views(a)
    _note(fig, t("fig_n_views", lang, employees=fmt_number(n_int, lang), customers=fmt_number(n_cus, lang), **tm))
    return fig


# --- service ----------------------------------------------------------------------------------

_HOUR_TICKS = (0.25, 0.5, 1, 2, 4, 8, 24, 48, 72, 168, 336, 720, 1440)


def _hours_tick(x: float, lang: str) -> str:
    """A tick on an hours axis: ``0,25``, ``0,5``, ``1``, ``24`` (no trailing zeros)."""
    digits = 0 if x >= 1 else 2
    text = fmt_number(x, lang, digits)
    if digits:
        text = text.rstrip("0").rstrip(",.")
    return text


def service_times(a) -> Figure | None:
    """Distributions of first-response and resolution hours per channel (boxes: quartiles,
    whiskers: 10th–90th percentile, log scale) with the service targets."""
    lang = a.language
    set_theme()
    tickets = a.data.frames.get("tickets")
    if tickets is None or len(tickets) == 0:
        return None
    by = rd.service_by_channel(a)
    shown = by[~by["suppressed"]]
    if shown.empty:
        return None
    hours = rd.channel_hours(a)
    only_unknown = list(shown["channel"]) == [UNKNOWN_GROUP]  # no channel in the export: all contacts together
    unknown = t("total" if only_unknown else "unknown_group", lang)
    labels = {str(r.channel): f"{unknown if r.channel == UNKNOWN_GROUP else safe_label(r.channel)}  "
                              f"(n = {fmt_number(r.n, lang)})" for r in shown.itertuples()}
    order = [labels[str(c)] for c in shown["channel"]]
    sla = {**a.model.sla, **a.config.sla}
    fig, axes = plt.subplots(1, 2, figsize=(FIG_WIDTH, 0.36 * len(order) + 1.55), sharey=True, layout="constrained")
    fig.get_layout_engine().set(wspace=0.06)
    colours = dict(zip(order, sns.color_palette("colorblind", len(order))))
    for ax, which, key, target in ((axes[0], 0, "fig_service_response", sla.get("first_response_hours")),
                                   (axes[1], 1, "fig_service_resolution", sla.get("resolution_hours"))):
        per_channel = {labels[name]: np.clip(hours[name][which], 0.1, None) for name in labels}
        pooled = np.concatenate(list(per_channel.values()))
        stats = []
        for lab in order:
            v = per_channel[lab]
            q10, q25, q50, q75, q90 = np.percentile(v, [10, 25, 50, 75, 90]) if v.size else [np.nan] * 5
            stats.append({"label": lab, "whislo": q10, "q1": q25, "med": q50, "q3": q75, "whishi": q90, "fliers": []})
        pos = np.arange(len(order))[::-1]
        boxes = ax.bxp(stats, positions=pos, orientation="horizontal", widths=0.55, patch_artist=True,
                       showfliers=False, medianprops={"color": "#1d2733", "linewidth": 2.0},
                       whiskerprops={"color": "#5b6675"}, capprops={"color": "#5b6675"})
        for patch, lab in zip(boxes["boxes"], order):
            patch.set_facecolor(colours[lab])
            patch.set_alpha(0.85)
            patch.set_edgecolor("#3b4654")
        ax.set_yticks(pos, order)
        ax.set_xscale("log")
        q05, q95 = np.quantile(pooled, [0.05, 0.95]) if pooled.size else (0.1, 100.0)  # one partition
        lo, hi = max(0.1, float(q05)), float(q95)
        hi = max(hi, (target or 0) * 1.3, lo * 10)
        ax.set_xlim(lo * 0.7, hi * 1.4)
        ticks = [x for x in _HOUR_TICKS if lo * 0.7 <= x <= hi * 1.4]
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _p: _hours_tick(x, lang)))
        if target:
            ax.axvline(target, color=COLOURS["bad"], lw=1.3, ls="--")
            ax.text(target, 1.0, f" {t('fig_service_target', lang)} {fmt_number(target, lang)} {t('hours', lang)}",
                    transform=ax.get_xaxis_transform(), ha="left", va="bottom", fontsize=8, color=COLOURS["bad"])
        ax.set_title(t(key, lang), fontsize=9.5, fontweight="normal", pad=14)
        ax.set_xlabel(t("fig_service_axis", lang))
        ax.set_ylabel("")
        ax.grid(axis="y", visible=False)
    axes[0].set_ylabel(t("fig_service_channel", lang))
    fig.suptitle(t("fig_service_title", lang), x=0.01, ha="left")
    _note(fig, t("n_label", lang, n=fmt_number(int(shown["n"].sum()), lang)), left=t("fig_service_legend", lang))
    return fig


# --- loyalty ----------------------------------------------------------------------------------

def nps(a) -> Figure | None:
    """The NPS question's answers 0–10 coloured by detractors, passives and promoters, above a
    bar with the three shares."""
    lang = a.language
    set_theme()
    tm = _tm(a)
    counts = rd.nps_counts(a)
    if counts is None:
        return None
    n = int(counts.sum())
    share = 100 * counts / n
    colours = [COLOURS["bad"]] * 7 + [COLOURS["neutral"]] * 2 + [COLOURS["good"]] * 2
    fig, (top, ax) = plt.subplots(2, 1, figsize=(FIG_WIDTH, 3.5), layout="constrained",
                                  gridspec_kw={"height_ratios": [0.5, 3]})
    parts = [(share.loc[0:6].sum(), COLOURS["bad"], t("nps_detractors", lang)),
             (share.loc[7:8].sum(), COLOURS["neutral"], t("nps_passives", lang)),
             (share.loc[9:10].sum(), COLOURS["good"], t("nps_promoters", lang))]
    left = 0.0
    for value, colour, label in parts:
        top.barh(0, value, left=left, color=colour, height=0.8, label=f"{label}: {fmt_percent(value, lang)}")
        if value >= 7:
            top.text(left + value / 2, 0, fmt_percent(value, lang), ha="center", va="center", color="white",
                     fontsize=9, fontweight="bold")
        left += value
    top.set_xlim(0, 100)
    top.axis("off")
    top.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=3, handlelength=1.0, handletextpad=0.4,
               columnspacing=1.5)
    ax.bar(np.arange(11), share.to_numpy(), color=colours, width=0.75)
    for x, v in zip(range(11), share):
        if v > 0:
            ax.text(x, v + share.max() * 0.02, fmt_number(v, lang), ha="center", va="bottom", fontsize=7.5,
                    color=COLOURS["muted"])
    ax.set_xticks(range(11), [str(i) for i in range(11)])
    ax.set_xlabel(t("fig_nps_axis_x", lang))
    ax.set_ylabel(t("fig_nps_axis_y", lang, **tm))
    ax.yaxis.set_major_formatter(axis_formatter(lang))
    ax.set_ylim(0, share.max() * 1.15)
    ax.grid(axis="x", visible=False)
    fig.suptitle(t("fig_nps_title", lang, **tm), x=0.01, ha="left")
    _note(fig, t("n_label", lang, n=fmt_number(n, lang)))
    return fig


def retention(a) -> Figure | None:
    """Kaplan–Meier retention by tenure month with its 95% band and the values at 12, 24 and 36
    months; the median tenure where the curve crosses 50%."""
    lang = a.language
    set_theme()
    tm = _tm(a)
    curve = rd.retention(a)
    if curve is None or len(curve.table) < 2:
        return None
    tab = curve.table
    fig, ax = plt.subplots(figsize=(FIG_WIDTH, 3.2), layout="constrained")
    ax.fill_between(tab["month"], tab["ci_low"], tab["ci_high"], step="post", color=COLOURS["accent"], alpha=0.18,
                    linewidth=0, label=t("fig_retention_band", lang))
    ax.step(tab["month"], tab["survival"], where="post", color=COLOURS["accent"], lw=2.0)
    for m in (12, 24, 36, 60):
        s, _lo, _hi = curve.at(m)
        if s is None:
            continue
        ax.scatter([m], [s], color=COLOURS["score"], s=18, zorder=3)
        ax.annotate(fmt_percent(s, lang), (m, s), xytext=(4, 6), textcoords="offset points", fontsize=8.5)
    if curve.median_months is not None and curve.median_months <= tab["month"].iloc[-1]:
        ax.axhline(50, color=COLOURS["neutral"], lw=0.9, ls=":")
    ax.set_xlim(0, float(tab["month"].iloc[-1]))
    ax.set_ylim(0, 102)
    step = 12 if tab["month"].iloc[-1] > 36 else 6
    ax.xaxis.set_major_locator(FixedLocator(list(range(0, int(tab["month"].iloc[-1]) + 1, step))))
    ax.xaxis.set_major_formatter(axis_formatter(lang))
    ax.yaxis.set_major_formatter(axis_formatter(lang, suffix="%"))
    ax.set_xlabel(t("fig_retention_x", lang))
    ax.set_ylabel(t("fig_retention_y", lang, **tm))
    ax.legend(loc="lower left")
    ax.set_title(t("fig_retention_title", lang))
    _note(fig, t("fig_retention_n", lang, n=fmt_number(curve.n, lang), events=fmt_number(curve.events, lang), **tm))
    return fig


# --- drivers ----------------------------------------------------------------------------------

QUADRANT_COLOURS = {"concentrate_here": COLOURS["bad"], "keep_up": COLOURS["good"],
                    "low_priority": COLOURS["neutral"], "possible_overkill": COLOURS["accent"]}


def _place_labels(ax: plt.Axes, xs, ys, labels: list[str]) -> None:
    """Label each point to its right; a label that would overlap an earlier one (or a point) is
    moved up or down in small steps, with a thin leader line back to its point."""
    renderer = ax.figure.canvas.get_renderer()
    points = [ax.transData.transform((x, y)) for x, y in zip(xs, ys)]
    taken = [matplotlib.transforms.Bbox.from_bounds(px - 4, py - 4, 8, 8) for px, py in points]
    fixed = [t.get_window_extent(renderer) for t in ax.texts]  # e.g. the quadrant names
    steps = [0, 1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6, -6]
    frame = ax.bbox
    for i in np.argsort(ys):
        own = taken[i]
        others = [b for b in taken if b is not own] + fixed
        text = None
        for k in steps:
            for side in (1, -1):
                if text is not None:
                    text.remove()
                text = ax.annotate(labels[i], (xs[i], ys[i]), xytext=(7 * side, 10 * k), textcoords="offset points",
                                   va="center", ha="left" if side > 0 else "right", fontsize=8.5,
                                   arrowprops={"arrowstyle": "-", "color": "#9aa5b1", "lw": 0.6} if k else None)
                text.update_positions(renderer)
                box = matplotlib.text.Text.get_window_extent(text, renderer).expanded(1.02, 1.15)
                inside = box.x0 >= frame.x0 and box.x1 <= frame.x1 and box.y0 >= frame.y0 and box.y1 <= frame.y1
                if inside and not any(box.overlaps(b) for b in others):
                    break
            else:
                continue
            break
        taken.append(matplotlib.text.Text.get_window_extent(text, renderer))


def importance_performance(a) -> Figure | None:
    """Importance–performance matrix (Martilla & James): each dimension's share of explained
    variance against the customers' score, split at the means into four quadrants."""
    lang = a.language
    set_theme()
    tm = _tm(a)
    ipa = a.importance
    if ipa is None or len(ipa) == 0 or a.drivers is None:
        return None
    x = ipa["performance"].to_numpy(dtype=float)
    yv = 100 * ipa["importance"].to_numpy(dtype=float)
    fig, ax = plt.subplots(figsize=(FIG_WIDTH, 4.3), layout="constrained")
    mx, my = float(np.mean(x)), float(np.mean(yv))
    xpad = max(6.0, (x.max() - x.min()) * 0.35)
    ypad = max(3.0, (yv.max() - yv.min()) * 0.3)
    x0, x1 = max(0.0, x.min() - xpad), min(100.0, x.max() + xpad * 1.6)
    y0, y1 = max(0.0, yv.min() - ypad), yv.max() + ypad
    ax.axvline(mx, color="#7b8794", lw=1.0, ls="--")
    ax.axhline(my, color="#7b8794", lw=1.0, ls="--")
    corners = {"concentrate_here": (x0, y1, "left", "top"), "keep_up": (x1, y1, "right", "top"),
               "low_priority": (x0, y0, "left", "bottom"), "possible_overkill": (x1, y0, "right", "bottom")}
    for q, (cx, cy, ha, va) in corners.items():
        ax.text(cx + (0.01 if ha == "left" else -0.01) * (x1 - x0), cy + (-0.02 if va == "top" else 0.02) * (y1 - y0),
                t(f"quadrant_{q}", lang), ha=ha, va=va, fontsize=8.5, color=QUADRANT_COLOURS[q], fontstyle="italic",
                fontweight="bold")
    colours = [QUADRANT_COLOURS.get(q, COLOURS["neutral"]) for q in ipa["quadrant"]]
    ax.scatter(x, yv, s=70, color=colours, zorder=3, edgecolor="white", linewidth=0.8)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.xaxis.set_major_formatter(axis_formatter(lang))
    ax.yaxis.set_major_formatter(axis_formatter(lang, suffix="%"))
    ax.set_xlabel(t("fig_ipa_x", lang, **tm))
    ax.set_ylabel(t("fig_ipa_y", lang))
    ax.set_title(t("fig_ipa_title", lang))
    _note(fig, t("fig_ipa_n", lang, n=fmt_number(a.drivers.n, lang), r2=fmt_number(a.drivers.r2, lang, 2), **tm))
    fig.get_layout_engine().execute(fig)  # fix the layout first, so label positions are measured where they end up
    _place_labels(ax, x, yv, [_dim_name(a, str(k)) for k in ipa["dimension"]])
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    return fig


# --- route ------------------------------------------------------------------------------------

def route(a) -> Figure | None:
    """Each blocking condition of the next rung: where the organisation is now and what is needed."""
    lang = a.language
    set_theme()
    tm = _tm(a)
    items = rd.route_items(a)
    if not items:
        return None
    fig, ax = plt.subplots(figsize=(FIG_WIDTH, 0.36 * len(items) + 1.15), layout="constrained")
    y = np.arange(len(items))[::-1].astype(float)
    labels = []
    for yi, it in zip(y, items):
        name = _dim_name(a, it.advice_key) if it.advice_key in a.model.dimension_keys else it.advice_key
        if it.kind == "all":
            labels.append(f"{name} ({t('all_dimensions', lang)})")
        elif it.kind == "gap":
            labels.append(f"{t('gap_name', lang).capitalize()} ({name})")
        else:
            labels.append(name)
        if it.value is None:
            ax.text(1, yi, t("not_available", lang), va="center", fontsize=8.5, color=COLOURS["muted"])
        else:
            colour = COLOURS["bad"] if it.kind == "gap" else COLOURS["light"]
            ax.barh(yi, it.value, height=0.58, color=colour, alpha=0.9)
            ax.text(it.value - 1, yi, fmt_number(it.value, lang), va="center", ha="right", fontsize=8.5,
                    color="white" if it.value > 8 else "#1d2733", fontweight="bold")
        ax.plot([it.target, it.target], [yi - 0.36, yi + 0.36], color="#1d2733", lw=2.2)
        if it.shortfall is not None:
            sign = "−" if it.kind == "gap" else "+"
            ax.text(max(it.target, it.value or 0) + 1.5, yi, f"{sign}{fmt_number(it.shortfall, lang)}  →  "
                    f"{t('fig_route_target', lang)} {'≤' if it.kind == 'gap' else '≥'} {fmt_number(it.target, lang)}",
                    va="center", ha="left", fontsize=8.5, color="#1d2733")
    ax.set_yticks(y, labels)
    ax.set_xlim(0, 100)
    ax.set_ylim(-0.6, len(items) - 0.4)
    ax.xaxis.set_major_formatter(axis_formatter(lang))
    ax.set_xlabel(t("fig_route_axis", lang))
    ax.grid(axis="y", visible=False)
    ax.set_title(t("fig_route_title", lang, level=a.rung.level + 1))
    n_int, n_cus = _n_views(a)
    _note(fig, t("fig_route_n", lang, employees=fmt_number(n_int, lang), customers=fmt_number(n_cus, lang), **tm))
    return fig


# --- trend and benchmark ----------------------------------------------------------------------

def _measure_name(a, key: str) -> str:
    if key == "overall":
        return t("measure_overall", a.language)
    if key in a.model.dimension_keys:
        return _dim_name(a, key)
    spec = a.model.kpis.get(key)
    return spec.name.get(a.language, key) if spec else key


def _measure_axis(a, ax, y: np.ndarray, measures: pd.Series) -> None:
    """A 0–100 axis with one row per measure (overall, dimensions), named in the report language."""
    ax.set_yticks(y, [_measure_name(a, m) for m in measures])
    ax.set_xlim(0, 100)
    ax.set_ylim(-0.6, len(measures) - 0.4)
    ax.xaxis.set_major_formatter(axis_formatter(a.language))
    ax.set_xlabel(t("profile_axis", a.language))
    ax.grid(axis="y", visible=False)


def trend(a, table: pd.DataFrame | None) -> Figure | None:
    """Previous and current value per 0–100 measure (overall and dimensions), arrows coloured by
    whether the change exceeds the noise; a change that is not comparable (``comparable``
    False: other sources, weights or model) stays neutral."""
    lang = a.language
    set_theme()
    if table is None or table.empty or "previous" not in table:
        return None
    rows = table[table["measure"].isin(("overall", *a.model.dimension_keys))].dropna(subset=["previous", "current"])
    if rows.empty:
        return None
    fig, ax = plt.subplots(figsize=(FIG_WIDTH, 0.42 * len(rows) + 1.4), layout="constrained")
    y = np.arange(len(rows))[::-1].astype(float)
    for yi, r in zip(y, rows.itertuples()):
        claim = r.significant and getattr(r, "comparable", True)
        colour = (COLOURS["good"] if r.change > 0 else COLOURS["bad"]) if claim else COLOURS["neutral"]
        ax.annotate("", xy=(r.current, yi), xytext=(r.previous, yi),
                    arrowprops={"arrowstyle": "-|>", "color": colour, "lw": 1.8, "shrinkA": 0, "shrinkB": 3})
        ax.scatter([r.previous], [yi], s=30, facecolor="white", edgecolor=COLOURS["neutral"], zorder=3)
        ax.scatter([r.current], [yi], s=44, color=colour, zorder=3)
        ax.text(101, yi, fmt_signed(r.change, lang), va="center", fontsize=8.5, color=colour, clip_on=False)
    _measure_axis(a, ax, y, rows["measure"])
    first = rows["from_wave"].iloc[0]
    last = rows["to_wave"].iloc[0]
    ax.set_title(f"{t('fig_trend_title', lang)}: {safe_label(first)} → {safe_label(last)}")
    n_int, n_cus = _n_views(a)
    _note(fig, t("fig_n_views", lang, employees=fmt_number(n_int, lang), customers=fmt_number(n_cus, lang),
                 **_tm(a)) + f" ({safe_label(last)})")
    return fig


def benchmark(a, table: pd.DataFrame | None) -> Figure | None:
    """The client's 0–100 scores against the portfolio's middle half and median."""
    lang = a.language
    set_theme()
    if table is None or table.empty:
        return None
    rows = table[table["measure"].isin(("overall", *a.model.dimension_keys))].dropna(subset=["p25", "p75"])
    if rows.empty:
        return None
    fig, ax = plt.subplots(figsize=(FIG_WIDTH, 0.42 * len(rows) + 1.4), layout="constrained")
    y = np.arange(len(rows))[::-1].astype(float)
    for yi, r in zip(y, rows.itertuples()):
        ax.barh(yi, r.p75 - r.p25, left=r.p25, height=0.45, color=COLOURS["open"], edgecolor="#b8c2cc")
        ax.plot([r.portfolio_median] * 2, [yi - 0.25, yi + 0.25], color="#1d2733", lw=1.6)
        ax.scatter([r.value], [yi], s=50, color=COLOURS["accent"], zorder=3)
        ax.text(101, yi, f"P{fmt_number(r.percentile, lang)}", va="center", fontsize=8.5, clip_on=False)
    _measure_axis(a, ax, y, rows["measure"])
    ax.set_title(t("fig_benchmark_title", lang))
    _note(fig, t("fig_benchmark_n", lang, n=fmt_number(int(rows["peers_n"].max()), lang)),
          left=t("fig_benchmark_legend", lang), stacked=True)
    return fig
