"""The report's figures: one theme, a title, labelled axes and the n on every figure, SVG output."""

from __future__ import annotations

import re
import shutil

import matplotlib.pyplot as plt
import pytest
import seaborn as sns

from klantladder import plots
from klantladder import reportdata as rd
from klantladder.assess import assess_folder
from klantladder.paths import DEMO_DATA

pytestmark = pytest.mark.filterwarnings("error")

FIGURES = ("ladder", "profile", "perception_gap", "service_times", "nps", "retention", "importance_performance",
           "route")


@pytest.fixture(scope="module")
def retail():
    return assess_folder(DEMO_DATA / "retail")


@pytest.fixture(scope="module")
def gemeente_en():
    return assess_folder(DEMO_DATA / "gemeente").in_language("en")


def _texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(plt.Text) if t.get_text()]


def _title(fig) -> str:
    titles = [ax.get_title(loc="left") or ax.get_title() for ax in fig.axes]
    sup = fig._suptitle.get_text() if fig._suptitle is not None else ""
    return sup or next((x for x in titles if x), "")


@pytest.mark.parametrize("name", FIGURES)
def test_every_figure_has_title_labelled_axes_and_n(retail, name):
    fig = getattr(plots, name)(retail)
    assert fig is not None
    assert _title(fig).strip()
    for ax in fig.axes:
        if ax.axison and ax.get_visible() and ax.has_data():
            assert ax.get_xlabel().strip(), (name, "x label")
    assert any(re.search(r"\bn = \d", x) or "2.000" in x for x in _texts(fig)), name
    plt.close(fig)


def test_figures_follow_the_language(gemeente_en):
    words = " ".join(" ".join(_texts(getattr(plots, n)(gemeente_en))) for n in FIGURES if n != "route")
    assert "residents" in words and "Score (0–100)" in words
    for dutch in ("Klanten", "inwoners", "kans", "uur", "Klantduur", "Hier verbeteren", "Antwoord"):
        assert dutch not in words, dutch
    dutch_words = " ".join(_texts(plots.service_times(assess_folder(DEMO_DATA / "gemeente"))))
    assert "norm 24 uur" in dutch_words


def test_dutch_axis_numbers_use_a_decimal_comma(retail):
    fig = plots.service_times(retail)
    fig.canvas.draw()
    ticks = [t.get_text() for ax in fig.axes for t in ax.get_xticklabels()]
    assert any("," in x for x in ticks) and not any("." in x for x in ticks)
    plt.close(fig)


def test_svg_is_deterministic_selectable_and_safe(retail):
    a = plots.to_svg(plots.profile(retail), "profile")
    b = plots.to_svg(plots.profile(retail), "profile")
    assert a == b
    assert a.startswith("<svg") and "<script" not in a and "<?xml" not in a
    assert "<text" in a  # text stays text (selectable in the PDF)
    ids_a = set(re.findall(r'id="([^"]+)"', a))
    ids_c = set(re.findall(r'id="([^"]+)"', plots.to_svg(plots.perception_gap(retail), "gap")))
    assert not ids_a & ids_c  # two figures in one page never share an id


def test_svg_ids_do_not_depend_on_the_last_bits_of_a_layout():
    """matplotlib names a clip path after the float bounds of its rectangle, whose last bits can
    differ between two kernels (they were seen to change with the process's string-hash seed).
    The report's ids are numbered instead: the same figure gives the same SVG in every process."""
    def drawn(left: float) -> str:
        fig, ax = plt.subplots(figsize=(4, 3))
        ax.set_position([left, 0.15, 0.7, 0.7])
        ax.bar([0, 1, 2], [3, 1, 2])
        ax.set_title("n = 3")
        return plots.to_svg(fig, "bars")

    a, b = drawn(0.2), drawn(0.2 + 1e-14)
    assert a == b
    ids = re.findall(r'\bid="([^"]+)"', a)
    assert ids and len(ids) == len(set(ids)) and all(re.fullmatch(r"bars-[a-z]\d+", i) for i in ids)
    assert all(f"#{i}" in a for i in ids)  # every renamed id is still referred to


def _figures(a):
    import pandas as pd

    doc = a.to_dict()
    doc["wave"] = "2025"
    peers = pd.DataFrame({"sector": [a.config.sector] * 8, "overall": range(40, 80, 5),
                          "service": range(50, 90, 5)})
    ctx = rd.ReportContext([doc], peers)
    figs = {name: getattr(plots, name)(a) for name in FIGURES}
    figs["trend"] = plots.trend(a, rd.trend_table(a, ctx))
    figs["benchmark"] = plots.benchmark(a, rd.benchmark_table(a, ctx))
    return {k: f for k, f in figs.items() if f is not None}


@pytest.mark.parametrize("client", ["retail", "gemeente-en"])
def test_figures_keep_every_text_inside_their_own_size(retail, gemeente_en, client):
    """The report's figures are saved at their own size (no cropping pass): no title, legend,
    label or note may stick out of the figure, in either language."""
    a = retail if client == "retail" else gemeente_en
    for name, fig in _figures(a).items():
        fig.draw_without_rendering()
        drawn = fig.get_tightbbox()  # inches: everything the figure draws
        assert drawn.x0 >= -0.02 and drawn.y0 >= -0.02, (name, drawn)
        assert drawn.x1 <= fig.get_figwidth() + 0.02 and drawn.y1 <= fig.get_figheight() + 0.02, (name, drawn)
        svg = plots.to_svg(fig, name)
        width_pt = float(re.search(r'width="([\d.]+)pt"', svg).group(1))
        assert width_pt == pytest.approx(fig.get_figwidth() * 72, abs=0.5), name


def test_figures_without_a_constrained_layout_are_cropped_to_what_they_draw():
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 1], [0, 1])
    fig.text(0.5, -0.3, "a note below the figure", ha="center")
    svg = plots.to_svg(fig, "own")
    height_pt = float(re.search(r'height="([\d.]+)pt"', svg).group(1))
    assert height_pt > 3 * 72 + 10  # grown to take in the note


def test_theme_is_colour_blind_safe():
    plots.set_theme()
    assert list(plots.PALETTE) == list(sns.color_palette("colorblind"))
    assert plt.rcParams["svg.fonttype"] == "none"
    assert set(plots.COLOURS.values()) >= {"#0173b2", "#de8f05", "#029e73", "#d55e00"}


def test_client_labels_cannot_become_mathtext():
    assert plots.safe_label("$x^2$ kanaal") == r"\$x^2\$ kanaal"
    assert plots.safe_label("a\x00b") == "ab"


def test_figures_are_none_without_their_data(tmp_path):
    folder = tmp_path / "scan"
    shutil.copytree(DEMO_DATA / "zorg", folder)
    for f in ("tickets.csv", "customers.csv", "customer_survey.csv"):
        (folder / f).unlink()
    a = assess_folder(folder)
    for name in ("service_times", "nps", "retention", "importance_performance", "perception_gap"):
        assert getattr(plots, name)(a) is None, name
    assert plots.profile(a) is not None and plots.ladder(a) is not None


def test_trend_and_benchmark_figures(retail):
    import pandas as pd

    doc = retail.to_dict()
    doc["wave"] = "2025"
    peers = pd.DataFrame({"sector": ["retail"] * 8, "overall": range(40, 80, 5), "service": range(50, 90, 5)})
    ctx = rd.ReportContext([doc], peers)
    fig = plots.trend(retail, rd.trend_table(retail, ctx))
    assert "2025" in _title(fig)
    fig = plots.benchmark(retail, rd.benchmark_table(retail, ctx))
    assert any("n = 8" in x for x in _texts(fig))
    assert plots.trend(retail, None) is None and plots.benchmark(retail, None) is None


def _elements(svg: str) -> "Counter[str]":
    from collections import Counter
    import xml.etree.ElementTree as ET

    return Counter(e.tag.rsplit("}", 1)[-1] for e in ET.fromstring(svg).iter())


def _raw_svg(fig) -> str:
    import io

    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    plt.close(fig)
    raw = buf.getvalue()
    return raw[raw.index("<svg"):]


#: What a drawing element looks like: its shape, place, text and every property that paints it.
_PAINT = ("d", "x", "y", "width", "height", "{http://www.w3.org/1999/xlink}href", "transform", "fill", "fill-opacity",
          "stroke", "stroke-width", "stroke-opacity", "stroke-linejoin", "stroke-linecap", "stroke-dasharray",
          "stroke-dashoffset", "opacity", "font-size", "font-family", "font-weight", "font-style", "text-anchor",
          "clip-path")


def _as_drawn(svg: str) -> list[tuple[str, str, dict[str, str]]]:
    """Every drawing element as WeasyPrint's SVG cascade (style sheets, ``style`` attributes,
    presentation attributes, inheritance) resolves it, in document order."""
    import xml.etree.ElementTree as ET

    from weasyprint.svg import SVG
    from weasyprint.text.fonts import FontConfiguration

    drawn = []

    def walk(node) -> None:
        for child in node:
            if child.tag in ("path", "use", "rect", "text", "line", "polyline", "polygon", "circle", "ellipse"):
                paint = {k: child.attrib[k] for k in _PAINT if k in child.attrib}
                if re.fullmatch(r"rotate\(-0 [-0-9.]+ [-0-9.]+\)", paint.get("transform", "")):
                    del paint["transform"]  # no rotation at all
                if "font-family" in paint:  # CSS writes its strings back in double quotes: the same name
                    paint["font-family"] = paint["font-family"].replace('"', "'")
                drawn.append((child.tag, (child.text or "").strip(), paint))
            walk(child)

    walk(SVG(ET.fromstring(svg), None, FontConfiguration()).tree)
    return drawn


@pytest.mark.parametrize("name", ["profile", "service_times", "retention"])
def test_lean_svg_keeps_the_drawing_and_drops_the_scaffolding(retail, name):
    raw = _raw_svg(getattr(plots, name)(retail))
    lean = plots.lean_svg(raw)
    before, after = _elements(raw), _elements(lean)
    for tag in ("path", "text", "use", "clipPath", "rect"):  # everything that draws stays
        assert after[tag] == before[tag], tag
    assert after["metadata"] == 0 and before["metadata"] == 1
    assert after["g"] < before["g"] / 2
    # Every reference still finds its target; no id is left that nothing refers to.
    ids = set(re.findall(r'\bid="([^"]+)"', lean))
    refs = set(re.findall(r'(?:href="#|url\(#)([^")]+)', lean))
    assert refs and refs <= ids and ids <= refs
    assert 'viewBox="' in lean and "<clipPath" in lean  # still XML, with SVG's own spelling
    # No CSS left to parse: matplotlib's style sheet rule and style attributes are presentation
    # attributes now, and labels carry no rotation by zero degrees...
    assert before["style"] == 1 and after["style"] == 0
    assert "style=" in raw and "style=" not in lean
    assert "rotate(-0 " in raw and "rotate(-0 " not in lean
    # ...and every element is painted exactly as before (the cascade resolved independently).
    drawn = _as_drawn(raw)
    assert len(drawn) > 50 and _as_drawn(lean) == drawn
    if name != "profile":  # the others have a vertical axis title: real rotations stay
        assert any(p.get("transform", "").startswith("rotate(-90") for _, _, p in drawn)


def test_lean_svg_keeps_the_style_an_element_gave_itself_and_any_other_style_sheet():
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="10pt" height="10pt" viewBox="0 0 10 10"><defs>'
           '<style type="text/css">*{stroke-linejoin: round; stroke-linecap: butt}</style></defs>'
           '<path d="M 0 0 L 1 1" stroke-linecap="round" style="fill: none; stroke: #000"/>'
           '<path d="M 1 1 L 2 2" style="stroke: #000; stroke-linecap: square; white-space: pre"/></svg>')
    lean = plots.lean_svg(svg)
    assert "<style" not in lean and "<defs" not in lean
    # The sheet's rule outranked the first path's own attribute; the second path's style outranks the rule.
    assert _as_drawn(lean) == _as_drawn(svg)
    assert [p["stroke-linecap"] for _, _, p in _as_drawn(lean)] == ["butt", "square"]
    assert 'style="white-space: pre"' in lean  # not a presentation attribute: stays CSS
    # A style sheet with any other rule could outrank presentation attributes: styles stay as they are.
    other = svg.replace("stroke-linecap: butt}", "stroke-linecap: butt} path{stroke: red}")
    kept = plots.lean_svg(other)
    assert kept.count("style=") == other.count("style=") == 2 and "path{stroke: red}" in kept
    assert _as_drawn(kept) == _as_drawn(other)


def test_figures_measure_text_once_and_draw_the_same(retail, monkeypatch):
    import contextlib

    import matplotlib.text

    from matplotlib.backends.backend_svg import RendererSVG

    plain = matplotlib.text.TextToPath
    heights = vars(RendererSVG).get("_get_font_height_metrics")
    measured = {name: plots.to_svg(getattr(plots, name)(retail), name) for name in FIGURES}
    assert matplotlib.text.TextToPath is plain  # only while a figure is written
    assert vars(RendererSVG).get("_get_font_height_metrics") is heights and plots._fonts_found is None
    before = plots._text_extent.cache_info(), plots._font_heights.cache_info()
    again = plots.to_svg(plots.profile(retail), "profile")
    after = plots._text_extent.cache_info(), plots._font_heights.cache_info()
    for b, a in zip(before, after):  # the second drawing measured nothing and read no font table
        assert a.hits > b.hits and a.misses == b.misses
    # matplotlib measuring every label itself gives the same figures, to the last digit.
    monkeypatch.setattr(plots, "_text_measured_once", contextlib.nullcontext)
    assert {name: plots.to_svg(getattr(plots, name)(retail), name) for name in FIGURES} == measured
    assert again == measured["profile"]


def test_text_measurer_is_restored_when_a_figure_fails(retail, monkeypatch):
    import matplotlib.text

    from matplotlib.backends.backend_svg import RendererSVG

    plain = matplotlib.text.TextToPath
    heights = vars(RendererSVG).get("_get_font_height_metrics")
    fig = plots.profile(retail)
    monkeypatch.setattr(fig, "savefig", lambda *a, **k: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        plots.to_svg(fig, "profile")
    assert matplotlib.text.TextToPath is plain
    assert vars(RendererSVG).get("_get_font_height_metrics") is heights and plots._fonts_found is None


def test_svg_as_image_carries_the_same_figure_and_its_label(retail):
    import base64

    from klantladder.report import svg_as_image

    svg = plots.to_svg(plots.ladder(retail), "lad<der")
    img = svg_as_image(svg)
    assert img.startswith('<img class="kl-svg" alt="lad-der" style="width: ')
    data = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', img).group(1)
    assert base64.b64decode(data).decode("utf-8") == svg
