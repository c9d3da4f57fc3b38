"""The report's sections as HTML fragments, each a function of an Assessment.

Every section is one ``<section id="kl-…" class="kl-section">`` (ids in :data:`SECTION_IDS`),
so the notebook shows one output per section and the print CSS can keep headings with what
follows. Every value that comes from a client's or a consultant's files (names, labels, model
texts, the customer word) is escaped: :func:`_t` escapes all values it fills into a text unless
they are :class:`Html` built here from escaped parts, so client text can never inject markup.
"""

from __future__ import annotations

import datetime as dt
import re
from html import escape
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from . import __version__, plots
from . import reportdata as rd
from .reportdata import KPI_ORDER, dimension_name, kpi_name
from .config import sector_label
from .i18n import (fmt_date, fmt_hours, fmt_interval, fmt_list, fmt_number, fmt_percent, fmt_signed,
                   recommendation_texts, t)
from .intervals import Estimate
from .segments import MIN_CLUSTERS, UNKNOWN_GROUP, directions

__all__ = ["SECTION_IDS", "Html", "cover", "summary", "profile", "service", "loyalty", "drivers", "segments",
           "trend", "route", "appendix", "KPI_ORDER", "HEADLINE_KPIS", "SERVICE_KPIS", "dimension_name",
           "kpi_value", "kpi_name"]

#: The sections of the report in order: (id, title text id).
SECTION_IDS: tuple[tuple[str, str], ...] = (
    ("kl-cover", "report_subtitle"), ("kl-summary", "summary_title"), ("kl-profile", "profile_title"),
    ("kl-service", "service_title"), ("kl-loyalty", "loyalty_title"), ("kl-drivers", "drivers_title"),
    ("kl-segments", "segments_title"), ("kl-trend", "trend_title"), ("kl-route", "route_title"),
    ("kl-appendix", "appendix_title"),
)

HEADLINE_KPIS = ("nps", "csat", "first_response_hours_median", "resolution_hours_median", "sla_rate",
                 "retention_12m")
SERVICE_KPIS = ("first_response_hours_median", "resolution_hours_median", "sla_rate", "fcr_rate", "reopen_rate",
                "repeat_contact_rate")


class Html(str):
    """Text that is already HTML (built here from escaped parts): :func:`_t` leaves it as it is."""


def _e(value: Any) -> Html:
    return value if isinstance(value, Html) else Html(escape(str(value)))


def _terms(a) -> dict[str, str]:
    term, plural = a.config.customer_term
    return {"term": term, "plural": plural, "Term": term[:1].upper() + term[1:],
            "Plural": plural[:1].upper() + plural[1:]}


def _t(a, key: str, **values: Any) -> Html:
    """Text ``key`` in the report language with the customer word and ``values`` filled in, escaped."""
    filled = {k: _e(v) for k, v in {**_terms(a), **values}.items()}
    return Html(t(key, a.language, **filled))


def _section(sid: str, body: str, new_page: bool = True, extra: str = "") -> Html:
    cls = "kl-section" + (" new-page" if new_page else "") + (f" {extra}" if extra else "")
    return Html(f'<section id="{sid}" class="{cls}">{body}</section>')


def _figure(fig, name: str, cls: str = "") -> str:
    if fig is None:
        return ""
    return f'<figure class="kl-figure {cls}" id="fig-{name}">{plots.to_svg(fig, name)}</figure>'


def _table(head: Sequence[str], rows: Iterable[Sequence[str]], cls: str = "data", row_classes: Sequence[str] = (),
           numeric_from: int = 1) -> str:
    """An HTML table; ``head`` and cells must already be HTML. Columns from ``numeric_from`` on are
    right-aligned numbers."""
    def cell(i: int, c: str, tag: str) -> str:
        num = ' class="num"' if i >= numeric_from else ""
        return f"<{tag}{num}>{c}</{tag}>"

    body = []
    for j, r in enumerate(rows):
        rc = row_classes[j] if j < len(row_classes) and row_classes[j] else ""
        attr = f' class="{rc}"' if rc else ""
        body.append(f"<tr{attr}>" + "".join(cell(i, c, "td") for i, c in enumerate(r)) + "</tr>")
    return (f'<table class="{cls}"><thead><tr>' + "".join(cell(i, h, "th") for i, h in enumerate(head))
            + "</tr></thead><tbody>" + "".join(body) + "</tbody></table>")


def _short_name(a, key: str) -> str:
    """A dimension's name up to its first ``&`` or comma (for narrow table headers)."""
    return dimension_name(a, key).split(" & ")[0].split(",")[0].strip()


def _breakable(text: str) -> str:
    """Escaped text with a soft hyphen after a Dutch ``Klant``/``Klanten`` prefix, so a narrow
    header breaks as ``Klant-beleving``, never as ``Klantbe-leving``."""
    return re.sub(r"^(Klanten|Klant)(?=[a-zà-ÿ]{4,})", "\\1\u00ad", escape(text))


def kpi_value(a, key: str, with_interval: bool = True) -> str:
    """A KPI as text in the report language: value (with unit) and its 95% interval."""
    est = a.kpis.get(key)
    lang = a.language
    if est is None or est.value is None:
        return t("kpi_missing", lang)
    unit = a.model.kpis[key].unit
    if unit == "%":
        text, digits = fmt_percent(est.value, lang), 0
    elif unit == "h":
        text, digits = fmt_hours(est.value, lang), (1 if abs(est.value) < 10 else 0)
    elif key == "nps":
        text, digits = fmt_signed(est.value, lang), 0
    else:
        text, digits = fmt_number(est.value, lang, 1), 1
    return f"{text} {_interval_or_too_few(est, lang, digits)}" if with_interval else text


def _interval_or_too_few(est: Estimate, lang: str, digits: int = 0) -> str:
    """``est``'s 95% interval as the report writes it, or, where it has none, that there are too
    few observations for one (in parentheses)."""
    return fmt_interval(est.ci_low, est.ci_high, lang, digits) or f"({t('ci_too_few', lang)})"


def _tile(a, key: str) -> str:
    est = a.kpis.get(key)
    lang = a.language
    name = escape(kpi_name(a, key))
    if est is None or est.value is None:
        return (f'<div class="tile missing"><div class="tile-label">{name}</div>'
                f'<div class="tile-value">–</div><div class="tile-sub">{t("kpi_missing", lang)}</div></div>')
    value = kpi_value(a, key, with_interval=False)
    unit = a.model.kpis[key].unit
    digits = 1 if unit == "h" and abs(est.value) < 10 else (1 if unit == "" and key != "nps" else 0)
    ci = fmt_interval(est.ci_low, est.ci_high, lang, digits) or t("ci_too_few", lang)
    return (f'<div class="tile"><div class="tile-label">{name}</div><div class="tile-value">{escape(value)}</div>'
            f'<div class="tile-sub">{ci} · n = {fmt_number(est.n, lang)}</div></div>')


def _tiles(a, keys: Sequence[str]) -> str:
    return '<div class="tiles">' + "".join(_tile(a, k) for k in keys if k in a.model.kpis) + "</div>"


# --- 1. cover ---------------------------------------------------------------------------------

def cover(a, today: dt.date | None = None) -> Html:
    """Cover: client name, sector, wave, date, sources, the customer word, contents."""
    lang, cfg = a.language, a.config
    f = a.data.frames
    n = {k: (len(f[k]) if k in f else 0) for k in ("employee_survey", "customer_survey", "tickets", "customers")}
    sources = _t(a, "sources_line", employees=fmt_number(n["employee_survey"], lang),
                 customers=fmt_number(n["customer_survey"], lang), tickets=fmt_number(n["tickets"], lang),
                 base=fmt_number(n["customers"], lang))
    rows = [(t("cover_sector", lang), escape(sector_label(cfg.sector, lang))),
            (t("cover_wave", lang), escape(cfg.wave or "–")),
            (t("cover_date", lang), fmt_date(today or a.reference_date or dt.date.today(), lang)),
            (t("cover_sources", lang), sources),
            (t("cover_model", lang), escape(a.model.version))]
    meta = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    toc = "".join(f'<li><a href="#{sid}">{escape(t(key, lang, **_terms(a)))}</a></li>'
                  for sid, key in SECTION_IDS[1:])
    body = (f'<div class="cover-band"><p class="kicker">{t("report_subtitle", lang)}</p>'
            f'<h1 class="report-title" data-client="{escape(cfg.name, quote=True)}">{_t(a, "report_title", name=cfg.name)}</h1>'
            f'<p class="cover-client">{escape(sector_label(cfg.sector, lang))}'
            f'{" · " + escape(cfg.wave) if cfg.wave else ""}</p></div>'
            f'<table class="meta">{meta}</table>'
            f'<p class="term">{_t(a, "cover_term", name=cfg.name)}</p>'
            f'<nav class="toc"><p class="toc-title">{t("cover_contents", lang)}</p><ol>{toc}</ol></nav>'
            f'<p class="cover-footer"><span class="running-confidential">{t("confidential", lang)}</span> — '
            f'{_t(a, "cover_footer", name=cfg.name, min_n=rd.min_group_size(a))}</p>')
    return _section("kl-cover", body, new_page=False, extra="cover")


# --- 2. summary -------------------------------------------------------------------------------

def _dim_item(a, k: str) -> str:
    d = a.dimensions[k]
    lang = a.language
    width = max(0.0, min(100.0, d.score or 0.0))
    return (f'<li><span class="dim">{escape(dimension_name(a, k))}</span>'
            f'<span class="bar"><span class="track"><span style="width:{width:.0f}%"></span></span></span>'
            f'<span class="val">{fmt_number(d.score, lang)}</span>'
            f'<span class="ci">{fmt_interval(d.ci_low, d.ci_high, lang)}</span></li>')


def _blocking_short(a) -> list[str]:
    lang = a.language
    out = []
    for it in rd.route_items(a):
        name = escape(dimension_name(a, it.advice_key))
        if it.kind == "missing":
            out.append(f"{name} ({t('kpi_missing', lang)})")
        elif it.kind == "all":
            out.append(f"{escape(t('all_dimensions', lang))} ≥ {fmt_number(it.target, lang)} ({name} "
                       f"{fmt_number(it.value, lang)})")
        elif it.kind == "gap":
            out.append(f"{escape(t('gap_name', lang))} ≤ {fmt_number(it.target, lang)} ({name} "
                       f"{fmt_number(it.value, lang)})")
        else:
            out.append(f"{name} {fmt_number(it.value, lang)} → {fmt_number(it.target, lang)}")
    return out


def summary(a) -> Html:
    """One page: the drawn ladder with probabilities, the overall score with its interval, the
    three strongest and weakest dimensions, blind spots and the headline KPIs."""
    lang, cfg = a.language, a.config
    r = a.rung
    rung = a.model.rung(r.level)
    rung_name = rung.name.get(lang, rung.name["nl"])
    p_here = 100 * float(r.probabilities.get(r.level, 0.0))
    strong, weak = rd.strongest_weakest(a)
    ov = a.overall
    alt = rd.second_rung(a)
    alt_text = ""
    if alt is not None:
        alt_rung = a.model.rung(alt[0])
        alt_text = " " + _t(a, "summary_alternative", level=alt[0], rung=alt_rung.name.get(lang, alt_rung.name["nl"]),
                            p=fmt_percent(100 * alt[1], lang))
    if r.level >= len(a.model.rungs):
        next_text = t("summary_top_rung", lang)
    else:
        nxt = a.model.rung(r.level + 1)
        next_text = _t(a, "summary_next", level=nxt.level, rung=nxt.name.get(lang, nxt.name["nl"]),
                       items=Html(fmt_list(_blocking_short(a), lang)))
    blind = rd.blind_spots(a)
    if blind:
        blind_text = _t(a, "summary_blind_spots", items=fmt_list([dimension_name(a, k) for k in blind], lang))
    elif any(d.gap is not None for d in a.dimensions.values()):
        blind_text = _t(a, "summary_no_blind_spots")
    else:
        blind_text = ""
    cards = (f'<div class="card score-card"><div class="card-label">{t("summary_overall_label", lang)}</div>'
             f'<div class="big">{fmt_number(ov.value, lang)}<span class="of"> {t("summary_overall_of", lang)}</span></div>'
             f'<div class="card-sub">{t("interval_95", lang)} {fmt_number(ov.ci_low, lang)} – '
             f'{fmt_number(ov.ci_high, lang)}</div></div>'
             f'<div class="card"><div class="card-label">{t("summary_certainty_label", lang)}</div>'
             f'<div class="big">{fmt_percent(p_here, lang)}</div>'
             f'<div class="card-sub">{_t(a, "summary_probability", p=fmt_percent(p_here, lang), name=cfg.name)}{alt_text}'
             f'</div></div>')
    body = (f'<h2>{t("summary_title", lang)}</h2>'
            f'<p class="lead">{_t(a, "summary_rung", name=cfg.name, level=r.level, rung=rung_name)} '
            f'<span class="rung-desc">{escape(rung.description.get(lang, rung.description.get("nl", "")))}</span></p>'
            f'<div class="summary-top"><div class="summary-ladder">{_figure(plots.ladder(a), "ladder", "compact")}</div>'
            f'<div class="summary-cards">{cards}</div></div>'
            f'<p class="next">{next_text}</p>'
            f'<div class="two-col"><div class="col"><h3>{t("summary_strong", lang)}</h3><ul class="dims">'
            f'{"".join(_dim_item(a, k) for k in strong)}</ul></div><div class="gap"></div>'
            f'<div class="col"><h3>{t("summary_weak", lang)}</h3><ul class="dims">{"".join(_dim_item(a, k) for k in weak)}</ul>'
            f'</div></div>'
            + (f'<p class="blind">{blind_text}</p>' if blind_text else "")
            + f'<h3>{t("summary_headline_kpis", lang)}</h3>{_tiles(a, HEADLINE_KPIS)}'
            f'<p class="small">{t("summary_reading", lang)}</p>')
    return _section("kl-summary", body, extra="summary")


# --- 3. profile -------------------------------------------------------------------------------

def _dimension_table(a) -> str:
    lang = a.language
    tm = _terms(a)
    head = [t("col_dimension", lang), t("col_score", lang), t("col_interval", lang), t("col_internal", lang),
            escape(t("col_customer", lang, **tm)), t("col_kpi", lang), escape(t("col_gap", lang, **tm))]
    blind = set(rd.blind_spots(a))
    rows, classes = [], []
    for k, d in a.dimensions.items():
        gap = "–"
        if d.gap is not None and d.gap.value is not None:
            gap = fmt_signed(d.gap.value, lang) + f' <span class="ci">{fmt_interval(d.gap.ci_low, d.gap.ci_high, lang)}</span>'
            if k in blind:
                gap = f"<strong>{gap}</strong> ⚑"
        rows.append([escape(dimension_name(a, k)), f"<strong>{fmt_number(d.score, lang)}</strong>",
                     fmt_interval(d.ci_low, d.ci_high, lang),
                     fmt_number(d.internal.value, lang) if d.internal else "–",
                     fmt_number(d.customer.value, lang) if d.customer else "–", fmt_number(d.kpi, lang), gap])
        classes.append("flag" if k in blind else "")
    return _table(head, rows, row_classes=classes)


def _blind_spot_list(a) -> str:
    lang = a.language
    if not any(d.gap is not None for d in a.dimensions.values()):
        return f'<p>{_t(a, "gap_unavailable")}</p>'
    blind = rd.blind_spots(a)
    if not blind:
        return f'<div class="callout ok"><p>{_t(a, "blind_spots_none")}</p></div>'
    items = []
    for k in blind:
        g = a.dimensions[k].gap
        key = "blind_spot_high" if g.value > 0 else "blind_spot_low"
        items.append("<li>" + _t(a, key, dimension=dimension_name(a, k), gap=fmt_number(abs(g.value), lang),
                                  interval=fmt_interval(g.ci_low, g.ci_high, lang)) + "</li>")
    return (f'<div class="callout"><p class="callout-title">{t("blind_spots_title", lang)}</p>'
            f'<ul>{"".join(items)}</ul></div>')


def _mirror_table(a, top: int = 5) -> str:
    m = a.mirror_gaps
    if m is None or m.empty:
        return ""
    lang = a.language
    items = {i.column: i.text for i in a.model.items("customer")}
    m = m.assign(abs_gap=m["gap"].abs()).sort_values("abs_gap", ascending=False).head(top)
    rows = []
    for r in m.itertuples():
        sig = (r.ci_low > 0) or (r.ci_high < 0)
        text = items.get(r.item, {}).get(lang, r.item) if items.get(r.item) else r.item
        gap = fmt_signed(r.gap, lang) + f' <span class="ci">{fmt_interval(r.ci_low, r.ci_high, lang)}</span>'
        rows.append([f"{escape(text)} <span class='ci'>({escape(_short_name(a, r.dimension))})</span>",
                     fmt_number(r.expected, lang), fmt_number(r.actual, lang),
                     f"<strong>{gap}</strong> ⚑" if sig else gap])
    head = [t("col_item", lang), t("col_expected", lang), _t(a, "col_actual"), t("col_difference", lang)]
    return (f'<div class="keep"><h3>{_t(a, "mirror_title")}</h3><p>{_t(a, "mirror_intro")}</p>'
            + _table(head, rows, cls="data mirror") + "</div>")


def _gap_several(a) -> str:
    """The chance of at least one blind spot by chance alone, where several gaps are tested
    (each at 5%: 1 - 0.95^k), or nothing for fewer than two."""
    k = sum(d.gap is not None and d.gap.ci_low is not None for d in a.dimensions.values())
    if k < 2:
        return ""
    return " " + _t(a, "gap_several", k=fmt_number(k, a.language), chance=fmt_percent(100 * (1 - 0.95 ** k), a.language))


def profile(a) -> Html:
    """Every dimension with its interval and sources; internal versus customer view (the
    perception gap) with blind spots called out; the mirror items."""
    lang = a.language
    body = (f'<h2>{t("profile_title", lang)}</h2><p>{_t(a, "profile_intro")}</p>'
            f'{_figure(plots.profile(a), "profile")}{_dimension_table(a)}'
            f'<div class="keep"><h3>{_t(a, "gap_title")}</h3><p>{_t(a, "gap_intro")}{_gap_several(a)}</p>'
            f'{_figure(plots.perception_gap(a), "gap")}</div>'
            f'{_blind_spot_list(a)}{_mirror_table(a)}')
    return _section("kl-profile", body)


# --- 4. service -------------------------------------------------------------------------------

def _hours_pair(a, med: float, p90: float, mark: int = 0) -> str:
    """A median time with its 90th percentile below it; ``mark``: the median's ▲/▼ direction."""
    lang = a.language
    if pd.isna(med):
        return "–"
    return f"{fmt_hours(med, lang)}{_difference_mark(mark, lang)} <span class='ci'>90%: {fmt_hours(p90, lang)}</span>"


def _interval_tip(intervals: Mapping[str, tuple[float, float]] | None, key: str, lang: str, digits: int = 0) -> str:
    """A ``title`` attribute holding the 95% interval of ``key`` (a tooltip in the HTML report;
    the printed page stays as it is), or nothing when it has none."""
    low_high = (intervals or {}).get(key)
    return f' title="{escape(t("interval_95", lang))} {fmt_interval(*low_high, lang, digits)}"' if low_high else ""


def _with_interval(shown: str, intervals: Mapping[str, tuple[float, float]] | None, key: str, lang: str) -> str:
    """``shown`` with the 95% interval of ``key`` as its tooltip (:func:`_interval_tip`)."""
    tip = _interval_tip(intervals, key, lang, 1 if key.endswith(("_median", "_p90")) else 0)
    return f"<span{tip}>{shown}</span>" if tip else shown


def _channel_table(a) -> str:
    lang = a.language
    by = rd.service_by_channel(a)
    if by.empty or list(by["channel"]) == [UNKNOWN_GROUP]:  # no channel known: the table would repeat the total
        return ""
    min_n = rd.min_group_size(a)
    head = [t("col_channel", lang), t("col_n", lang), t("col_fr", lang), t("col_res", lang), t("col_sla", lang),
            t("col_fcr", lang), t("col_reopen", lang), t("col_repeat", lang)]
    rows, classes = [], []
    tested = marked = False
    untested: list[str] = []
    for r in by.itertuples():
        name = rd.group_label(r.channel, lang)
        if r.suppressed:
            note = escape(t("suppressed_primary", lang, min_n=min_n)) if r.n < min_n else t("suppressed_secondary", lang)
            rows.append([escape(name), "–", f'<span class="suppressed">{note}</span>', "", "", "", "", ""])
            classes.append("suppressed-row")
            continue
        marks = directions(r.differences)
        tested, marked = tested or bool(r.differences), marked or bool(marks)
        if not r.differences:
            untested.append(name)

        def rate(key: str) -> str:
            value = getattr(r, key)
            shown = fmt_percent(value, lang) + ("" if pd.isna(value) else _difference_mark(marks.get(key, 0), lang))
            return _with_interval(shown, r.intervals, key, lang)

        rows.append([escape(name), fmt_number(r.n, lang),
                     _with_interval(_hours_pair(a, r.first_response_median, r.first_response_p90,
                                                marks.get("first_response_median", 0)),
                                    r.intervals, "first_response_median", lang),
                     _with_interval(_hours_pair(a, r.resolution_median, r.resolution_p90,
                                                marks.get("resolution_median", 0)),
                                    r.intervals, "resolution_median", lang),
                     rate("sla_rate"), rate("fcr_rate"),
                     rate("reopen_rate"), rate("repeat_rate")])
        classes.append("")
    total = [t("total", lang), fmt_number(len(a.data.frames["tickets"]), lang)]
    total += [f"{kpi_value(a, 'first_response_hours_median', False)} <span class='ci'>90%: "
              f"{kpi_value(a, 'first_response_hours_p90', False)}</span>",
              f"{kpi_value(a, 'resolution_hours_median', False)} <span class='ci'>90%: "
              f"{kpi_value(a, 'resolution_hours_p90', False)}</span>",
              kpi_value(a, "sla_rate", False), kpi_value(a, "fcr_rate", False), kpi_value(a, "reopen_rate", False),
              kpi_value(a, "repeat_contact_rate", False)]
    rows.append(total)
    classes.append("total")
    note = ""
    if tested or untested:
        parts = [_t(a, "service_differs_note")]
        if tested and not marked:
            parts.append(t("seg_differs_none", lang))
        if untested:
            parts.append(_t(a, "service_not_compared", names=fmt_list(untested, lang), k=MIN_CLUSTERS))
        note = f"<p class='small'>{' '.join(parts)}</p>"
    return _table(head, rows, cls="data compact channels", row_classes=classes) + note


def service(a) -> Html:
    """Response and resolution times per channel (distributions), SLA attainment, first-contact
    resolution, reopen and repeat-contact rates."""
    lang = a.language
    period = rd.ticket_period(a)
    if period is None:
        body = f'<h2>{t("service_title", lang)}</h2><p>{_t(a, "service_none")}</p>'
        return _section("kl-service", body)
    sla = {**a.model.sla, **a.config.sla}
    intro = _t(a, "service_intro", n=fmt_number(len(a.data.frames["tickets"]), lang),
               start=fmt_date(period[0].date(), lang), end=fmt_date(period[1].date(), lang),
               fr=fmt_hours(sla.get("first_response_hours"), lang), res=fmt_hours(sla.get("resolution_hours"), lang))
    table = _channel_table(a)
    heading = f'<h3>{t("service_table_title", lang)}</h3>' if table else ""
    body = (f'<h2>{t("service_title", lang)}</h2><p>{intro}</p>{_tiles(a, SERVICE_KPIS)}'
            f'{_figure(plots.service_times(a), "service")}'
            f'<div class="keep">{heading}{table}<p class="small">{_t(a, "service_fcr_note")}</p></div>')
    return _section("kl-service", body)


# --- 5. loyalty -------------------------------------------------------------------------------

def _median_tenure(a, curve) -> str:
    """The median tenure with its 95% interval (an open one where its upper limit lies beyond the
    data), or nothing while more than half are still customers."""
    if curve.median_months is None:
        return ""
    lang = a.language
    lo, hi = curve.median_ci
    if lo is None:
        return " " + _t(a, "retention_median", m=fmt_number(curve.median_months, lang))
    if hi is None:
        return " " + _t(a, "retention_median_open", m=fmt_number(curve.median_months, lang), lo=fmt_number(lo, lang))
    return " " + _t(a, "retention_median_ci", m=fmt_number(curve.median_months, lang),
                    interval=fmt_interval(lo, hi, lang))


def loyalty(a) -> Html:
    """NPS with its composition and interval; 12-month retention and the retention curve by tenure."""
    lang = a.language
    parts = [f'<h2>{_t(a, "loyalty_title")}</h2>']
    counts = rd.nps_counts(a)
    est = a.kpis.get("nps")
    if counts is not None and est is not None and est.value is not None:
        n = int(counts.sum())
        share = 100 * counts / n
        parts.append(f'<p>{_t(a, "nps_text", nps=fmt_signed(est.value, lang, 1), interval=_interval_or_too_few(est, lang, 1), n=fmt_number(n, lang), prom=fmt_percent(share.loc[9:10].sum(), lang), det=fmt_percent(share.loc[0:6].sum(), lang), pas=fmt_percent(share.loc[7:8].sum(), lang))}</p>')
        parts.append(_figure(plots.nps(a), "nps"))
    else:
        parts.append(f'<p>{_t(a, "nps_none")}</p>')
    ret = a.kpis.get("retention_12m")
    curve = rd.retention(a)
    block = []
    if ret is not None and ret.value is not None:
        block.append(f'<p>{_t(a, "retention_text", ret=fmt_percent(ret.value, lang), interval=fmt_interval(ret.ci_low, ret.ci_high, lang), n=fmt_number(ret.n, lang))}</p>')
    if curve is not None and len(curve.table) >= 2:
        m12, m36 = curve.at(12)[0], curve.at(36)[0]
        block.append(f'<p>{_t(a, "retention_curve_text", n=fmt_number(curve.n, lang), events=fmt_number(curve.events, lang), m12=fmt_percent(m12, lang), m36=fmt_percent(m36, lang))}'
                     + _median_tenure(a, curve) + "</p>")
        block.append(_figure(plots.retention(a), "retention"))
    if not block:
        block.append(f'<p>{_t(a, "retention_none")}</p>')
    parts.append('<div class="keep">' + "".join(block) + "</div>")
    return _section("kl-loyalty", "".join(parts))


# --- 6. drivers -------------------------------------------------------------------------------

QUADRANT_ORDER = ("concentrate_here", "keep_up", "possible_overkill", "low_priority")


def drivers(a) -> Html:
    """The importance–performance matrix and what it implies, quadrant by quadrant."""
    lang = a.language
    head = f'<h2>{_t(a, "drivers_title")}</h2>'
    dr, ipa = a.drivers, a.importance
    if dr is None or ipa is None or len(ipa) == 0 or dr.r2 is None:
        return _section("kl-drivers", head + f'<p>{_t(a, "drivers_none")}</p>')
    intro = _t(a, "drivers_intro", outcome=t(f"outcome_{dr.outcome}", lang),
               outcome_verb=t(f"outcome_verb_{dr.outcome}", lang), r2=fmt_number(dr.r2, lang, 2),
               n=fmt_number(dr.n, lang))
    items = []
    for q in QUADRANT_ORDER:
        dims = [dimension_name(a, str(k)) for k in ipa.loc[ipa["quadrant"] == q].sort_values(
            "importance", ascending=False)["dimension"]]
        if dims:
            items.append(f'<li class="q-{q}">' + _t(a, f"implication_{q}", items=fmt_list(dims, lang)) + "</li>")
    notes = ""
    if dr.collinearity_warning:
        notes = f'<p class="small">{_t(a, "drivers_collinear", items=fmt_list([dimension_name(a, k) for k in dr.collinearity_warning], lang))}</p>'
    body = head + f'<p>{intro}</p>{_figure(plots.importance_performance(a), "ipa")}<ul class="implications">{"".join(items)}</ul>{notes}'
    return _section("kl-drivers", body)


# --- 7. segments ------------------------------------------------------------------------------

def _heat(value: float) -> str:
    """Inline style for a 0–100 score cell: a light-to-dark blue ramp (colour-blind safe)."""
    if value is None or not np.isfinite(value):
        return ""
    x = max(0.0, min(1.0, (value - 30.0) / 60.0))
    lo, hi = np.array([239, 244, 249]), np.array([1, 115, 178])
    rgb = (lo + (hi - lo) * x * 0.85).round().astype(int)
    ink = "#ffffff" if x > 0.62 else "#1d2733"
    return f' style="background:#{rgb[0]:02x}{rgb[1]:02x}{rgb[2]:02x};color:{ink}"'


def _segment_table(a, st: rd.SegmentTable) -> str:
    lang = a.language
    min_n = rd.min_group_size(a)
    tab = st.table
    dims = set(a.model.dimension_keys)
    names = {"nps": t("col_nps", lang), "csat": t("col_csat", lang), "retention": t("col_retention", lang)}
    headers = [_breakable(_short_name(a, v)) if v in dims else escape(names.get(v, v)) for v in st.values]
    head = [_t(a, st.group_key), t("col_n", lang), *headers]
    total = t("total", lang)
    rows = []
    cell_hidden = False
    tested = marked = False
    for r in rd.displayed_rows(tab):
        is_total = bool(r.get("is_total"))
        label = total if is_total else rd.group_label(r["group"], lang)
        if r["group"] == rd.SMALL_GROUPS:
            label = t("small_groups", lang, k=fmt_number(r["small_groups"], lang), min_n=min_n)
        row_cls = "total" if is_total else ""
        if r["suppressed"]:
            note = escape(t("suppressed_primary", lang, min_n=min_n)) if r.get("suppression") == "primary" \
                else t("suppressed_secondary", lang)
            cells = [f"<td>{escape(label)}</td>", "<td class='num'>–</td>",
                     f"<td colspan='{len(st.values)}' class='suppressed'>{note}</td>"]
            rows.append(f"<tr class='suppressed-row {row_cls}'>" + "".join(cells) + "</tr>")
            continue
        hidden = set(r.get("suppressed_values") or ())
        directions = st.directions(r)
        tested = tested or bool(r.get("differences"))
        marked = marked or bool(directions)
        cells = [f"<td>{escape(label)}</td>", f"<td class='num'>{fmt_number(r['n'], lang)}</td>"]
        intervals = r.get("intervals") or {}
        for v in st.values:
            x = r.get(v)
            x = None if x is None or pd.isna(x) else float(x)
            mark = _difference_mark(directions.get(v, 0), lang)
            tip = _interval_tip(intervals, v, lang) if x is not None and v not in hidden else ""
            if v in hidden or x is None:
                cell_hidden = cell_hidden or v in hidden
                cells.append("<td class='num suppressed-cell'>·</td>" if v in hidden else "<td class='num'>–</td>")
            elif v == "nps":
                cells.append(f"<td class='num'{tip}>{fmt_signed(x, lang)}{mark}</td>")
            elif v in ("csat", "retention"):
                cells.append(f"<td class='num'{tip}>{fmt_percent(x, lang)}{mark}</td>")
            else:
                cells.append(f"<td class='num heat'{_heat(x)}{tip}>{fmt_number(x, lang)}{mark}</td>")
        rows.append(f"<tr class='{row_cls}'>" + "".join(cells) + "</tr>")
    thead = "".join(f"<th{' class=num' if i else ''}>{h}</th>" for i, h in enumerate(head))
    cls = "data compact segments" + (" narrow-seg" if len(st.values) <= 2 else "")
    notes = [t("suppressed_cell_note", lang, min_n=min_n)] if cell_hidden else []
    if tested:
        notes.append(t("seg_differs_some" if marked else "seg_differs_none", lang))
    note = "".join(f"<p class='small'>{n}</p>" for n in notes)
    return (f'<div class="keep"><h3>{_t(a, st.title_key)}</h3><table class="{cls}"><thead><tr>'
            f'{thead}</tr></thead><tbody>{"".join(rows)}</tbody></table>{note}</div>')


def _difference_mark(direction: int, language: str) -> str:
    """▲ or ▼ after a breakdown's value that lies above or below the rest beyond the noise."""
    if not direction:
        return ""
    key, arrow = ("seg_mark_above", "▲") if direction > 0 else ("seg_mark_below", "▼")
    return f'&#8239;<span class="diff-mark" title="{escape(t(key, language))}">{arrow}</span>'


def segments(a) -> Html:
    """Breakdowns by customer segment, contact channel and department, with suppression visible."""
    lang = a.language
    tables = rd.segment_tables(a)
    head = f'<h2>{t("segments_title", lang)}</h2>'
    if not tables:
        return _section("kl-segments", head + f'<p>{t("segments_none", lang)}</p>')
    body = (head + f'<p>{_t(a, "segments_intro", min_n=rd.min_group_size(a))} {t("seg_note_scores", lang)}</p>'
            + f'<p>{t("seg_note_differs", lang)}</p>'
            + "".join(_segment_table(a, st) for st in tables))
    return _section("kl-segments", body)


# --- 8. trend and benchmark -------------------------------------------------------------------

def _measure_name(a, key: str) -> str:
    if key == "overall":
        return t("measure_overall", a.language)
    if key in a.model.dimension_keys:
        return dimension_name(a, key)
    return kpi_name(a, key)


def _measure_value(a, key: str, x: float | None) -> str:
    lang = a.language
    if key in a.model.kpis:
        unit = a.model.kpis[key].unit
        if unit == "%":
            return fmt_percent(x, lang)
        if unit == "h":
            return fmt_hours(x, lang)
        return fmt_signed(x, lang) if key == "nps" else fmt_number(x, lang, 1)
    return fmt_number(x, lang)


def _change_verdict(r: Any, lang: str) -> tuple[str, bool]:
    """The verdict on one row of the trend table and whether it claims a change (shown in bold).

    A change that is not comparable (other evidence sources, weights or model) gets that verdict
    alone, whatever its interval: part of it is a change of method, so no rise or fall beyond the
    noise is claimed — for the overall score as for a dimension.
    """
    if not getattr(r, "comparable", True):
        return t("change_not_comparable", lang), False
    if pd.isna(r.ci_low) or pd.isna(r.ci_high):  # a wave without interval (too few answers): no test
        return t("change_untestable", lang), False
    if not r.significant:
        return t("change_noise", lang), False
    return t("change_up" if r.change > 0 else "change_down", lang), True


def trend(a, ctx: rd.ReportContext | None = None) -> Html:
    """Change since the previous wave and position in the portfolio, or a short note that there
    is no earlier wave / no portfolio."""
    lang = a.language
    parts = [f'<h2>{t("trend_title", lang)}</h2>', f'<h3>{t("trend_subtitle", lang)}</h3>']
    table = rd.trend_table(a, ctx)
    if table is None or table.empty:
        parts.append(f'<p>{_t(a, "trend_none", name=a.config.name)}</p>')
    else:
        parts.append(f'<p>{_t(a, "trend_intro", previous=str(table["from_wave"].iloc[0]))}</p>')
        parts.append(_figure(plots.trend(a, table), "trend"))
        rows = []
        for r in table.itertuples():
            verdict, claim = _change_verdict(r, lang)
            rows.append([escape(_measure_name(a, r.measure)), _measure_value(a, r.measure, r.previous),
                         _measure_value(a, r.measure, r.current),
                         f"{fmt_signed(r.change, lang, 1)} <span class='ci'>{fmt_interval(r.ci_low, r.ci_high, lang, 1)}</span>",
                         f"<strong>{verdict}</strong>" if claim else verdict])
        parts.append(_table([t("col_measure", lang), t("col_previous", lang), t("col_current", lang),
                             t("col_change", lang), t("col_verdict", lang)], rows, cls="data compact"))
    parts.append(f'<h3>{t("benchmark_subtitle", lang)}</h3>')
    bench = rd.benchmark_table(a, ctx)
    if bench is None or bench.empty:
        parts.append(f'<p>{t("benchmark_none", lang)}</p>')
    elif bench["percentile"].isna().all():
        parts.append(f'<p>{t("benchmark_few", lang, min=5)}</p>')
    else:
        peers = int(bench["peers_n"].max())
        parts.append(f'<p>{t("benchmark_intro", lang, n=fmt_number(peers, lang))}</p>')
        parts.append(_figure(plots.benchmark(a, bench), "benchmark"))
        rows = []
        for r in bench.itertuples():
            if pd.isna(r.percentile):
                continue
            rows.append([escape(_measure_name(a, r.measure)), _measure_value(a, r.measure, r.value),
                         _measure_value(a, r.measure, r.portfolio_median), fmt_number(r.percentile, lang),
                         fmt_number(r.sector_percentile, lang)])
        parts.append(_table([t("col_measure", lang), t("col_value", lang), t("col_median", lang),
                             t("col_percentile", lang), t("col_sector_percentile", lang)], rows, cls="data compact"))
    has_content = not (table is None or table.empty) or not (bench is None or bench.empty)
    return _section("kl-trend", "".join(parts), new_page=has_content)


# --- 9. route ---------------------------------------------------------------------------------

def _route_line(a, it: rd.RouteItem) -> str:
    lang = a.language
    name = dimension_name(a, it.advice_key)
    if it.kind == "missing":
        return _t(a, "blocking_missing", dimension=name)
    if it.kind == "all":
        return _t(a, "blocking_all", target=fmt_number(it.target, lang), value=fmt_number(it.value, lang),
                  dimension=name, short=fmt_number(it.shortfall, lang, 1))
    if it.kind == "gap":
        return _t(a, "blocking_gap", target=fmt_number(it.target, lang), value=fmt_number(it.value, lang),
                  dimension=name)
    return _t(a, "blocking_min", dimension=name, value=fmt_number(it.value, lang), target=fmt_number(it.target, lang),
              short=fmt_number(it.shortfall, lang, 1))


def _advice_block(a, key: str, kind: str) -> str:
    lang = a.language
    name = dimension_name(a, key)
    d = a.dimensions.get(key)
    band, texts = rd.recommendations(a, key, kind)
    if kind == "gap":
        heading = _t(a, "recs_heading_gap", dimension=name)
    elif kind == "missing" or d is None or d.score is None:
        heading = _t(a, "recs_heading_missing", dimension=name)
    else:
        heading = _t(a, "recs_heading", dimension=name, value=fmt_number(d.score, lang))
    items = "".join(f"<li>{escape(x)}</li>" for x in texts)
    return f'<div class="rec rec-{kind} band-{band}"><h4>{heading}</h4><ol>{items}</ol></div>'


def route(a) -> Html:
    """Which conditions block the next rung, by how much, and fixed advice per blocking dimension
    chosen by its score band (``texts/recommendations.yaml``)."""
    lang = a.language
    r = a.rung
    head = f'<h2>{t("route_title", lang)}</h2>'
    bands = {b["key"]: b["name"].get(lang, b["name"]["nl"]) for b in recommendation_texts()["bands"]}
    if r.level >= len(a.model.rungs):
        weakest = rd.strongest_weakest(a, 1)[1]
        blocks = "".join(_advice_block(a, k, "min") for k in weakest)
        band = bands.get(rd.score_band(a.dimensions[weakest[0]].score), "") if weakest else ""
        body = (head + f'<p>{_t(a, "route_top", name=a.config.name)}</p>'
                f'<h3>{t("recs_title", lang)}</h3><p>{_t(a, "recs_intro_top", band=band)}</p>{blocks}')
        return _section("kl-route", body, new_page=False)
    nxt = a.model.rung(r.level + 1)
    items = rd.route_items(a)
    p_next = 100 * float(r.probabilities.get(nxt.level, 0.0))
    intro = _t(a, "route_intro", level=nxt.level, rung=nxt.name.get(lang, nxt.name["nl"]), name=a.config.name,
               p=fmt_percent(p_next, lang))
    lines = "".join(f"<li>{_route_line(a, it)}</li>" for it in items)
    seen: set[tuple[str, str]] = set()
    blocks = []
    used_bands = []
    for it in items:
        kind = it.kind if it.kind in ("gap", "missing") else "min"
        if (it.advice_key, kind) in seen:
            continue
        seen.add((it.advice_key, kind))
        blocks.append(_advice_block(a, it.advice_key, kind))
        if kind == "min" and it.advice_key in a.dimensions:
            used_bands.append(bands[rd.score_band(a.dimensions[it.advice_key].score)])
    band_text = fmt_list(sorted(set(used_bands), key=used_bands.index), lang) if used_bands else "–"
    body = (head + f'<p>{intro}</p>{_figure(plots.route(a), "route")}<ul class="blocking">{lines}</ul>'
            f'<h3>{t("recs_title", lang)}</h3><p>{_t(a, "recs_intro", band=band_text)}</p>{"".join(blocks)}')
    return _section("kl-route", body, new_page=False)


# --- 10. appendix -----------------------------------------------------------------------------

def _conditions_text(a, rung) -> str:
    lang = a.language
    if not rung.conditions:
        return t("condition_none", lang)
    parts = []
    for c in rung.conditions:
        if c.dimension == "all":
            parts.append(t("condition_all", lang, value=fmt_number(c.min, lang)))
        elif c.dimension == "gap":
            parts.append(t("condition_gap", lang, value=fmt_number(c.max, lang)))
        else:
            op = "≥" if c.min is not None else "≤"
            parts.append(f"{escape(dimension_name(a, c.dimension))} {op} {fmt_number(c.min if c.min is not None else c.max, lang)}")
    return "; ".join(parts)


def _kpi_table(a) -> str:
    lang = a.language
    rows = []
    for k in KPI_ORDER:
        est = a.kpis.get(k)
        if est is None or est.value is None or k not in a.model.kpis:
            continue
        rows.append([escape(kpi_name(a, k)), escape(kpi_value(a, k)), fmt_number(est.n, lang)])
    if not rows:
        return f"<p>{t('kpi_missing', lang)}</p>"
    return _table([t("col_kpi_name", lang), t("col_value", lang), t("col_n", lang)], rows, cls="data compact")


def _reliability_table(a) -> str:
    lang = a.language
    rel = a.reliability
    flagged = []
    rows = []
    for k in a.model.dimension_keys:
        cells = [escape(dimension_name(a, k))]
        for survey in ("employee", "customer"):
            r = rel.get(survey, {}).get(k)
            if r is None or not np.isfinite(r.alpha):
                cells.append("–")
                continue
            text = f"{fmt_number(r.alpha, lang, 2)} <span class='ci'>({fmt_number(r.n, lang)})</span>"
            if r.alpha < 0.7:
                flagged.append(f"{dimension_name(a, k)} ({t('view_internal' if survey == 'employee' else 'view_customer', lang, **_terms(a))})")
                text = f"<strong class='flag'>{text} ⚑</strong>"
            cells.append(text)
        rows.append(cells)
    note = _t(a, "reliability_flagged", items=fmt_list(flagged, lang)) if flagged else t("reliability_all_ok", lang)
    return (_table([t("col_dimension", lang), t("col_alpha_employee", lang), _t(a, "col_alpha_customer")], rows,
                   cls="data compact") + f"<p class='small'>{note}</p>")


def _data_quality(a) -> str:
    lang = a.language
    tm = _terms(a)
    read = a.data.rows_read
    rej = a.data.rejects.groupby("source").size().to_dict() if len(a.data.rejects) else {}
    rows = [[escape(t(f"source_{s}", lang, **tm).capitalize()), fmt_number(n, lang), fmt_number(rej.get(s, 0), lang)]
            for s, n in read.items()]
    parts = [f'<p>{t("data_quality_rows", lang, read=fmt_number(sum(read.values()), lang), rejected=fmt_number(len(a.data.rejects), lang))}</p>',
             _table([t("col_source", lang), t("col_rows_read", lang), t("col_rows_rejected", lang)], rows,
                    cls="data compact narrow")]
    findings = list(a.data.warnings)
    if not findings:
        parts.append(f"<p>{t('data_quality_none', lang)}</p>")
        return "".join(parts)
    frows = []
    for f in findings[:25]:
        shown = ", ".join(str(r) for r in f.rows[:5])
        rows_text = t("rows_total", lang, rows=shown, n=fmt_number(f.count, lang)) if f.count > len(f.rows[:5]) else shown
        msg = f.message.get(lang) or f.message.get("nl", "")
        frows.append([escape(str(f.file).replace("\\", "/").split("/")[-1]), escape(f.column or "–"),
                      escape(rows_text or "–"), escape(msg)])
    parts.append(f"<p>{t('data_quality_findings', lang)}</p>")
    parts.append(_table([t("col_file", lang), t("col_column", lang), t("col_rows", lang), t("col_finding", lang)],
                        frows, cls="data compact findings", numeric_from=99))
    if len(findings) > 25:
        parts.append(f"<p class='small'>{t('data_quality_more', lang, n=len(findings) - 25)}</p>")
    return "".join(parts)


def appendix(a) -> Html:
    """Method in plain words, the rungs and their conditions, every KPI, reliability (alpha per
    dimension per survey, flagged below 0.7), data quality and the model's version and provenance."""
    lang = a.language
    tm = _terms(a)
    sw = a.model.source_weights
    total = sum(sw.values()) or 1.0
    method = _t(a, "method_text", w_internal=fmt_percent(100 * sw["internal"] / total, lang),
                w_customer=fmt_percent(100 * sw["customer"] / total, lang),
                w_kpi=fmt_percent(100 * sw["kpi"] / total, lang), draws=fmt_number(a.draws, lang))
    notes = "".join(f"<p class='note'>{_t(a, 'missing_source', source=t('source_' + n['source'], lang, **tm))}</p>"
                    for n in a.notes)
    rung_rows = [[f"{r.level}. {escape(r.name.get(lang, r.name['nl']))}",
                  escape(r.description.get(lang, r.description.get("nl", ""))), _conditions_text(a, r)]
                 for r in a.model.rungs]
    model_name = a.model.name.get(lang, a.model.name.get("nl", ""))
    body = (f'<h2>{t("appendix_title", lang)}</h2>'
            f'<h3>{t("method_title", lang)}</h3>{method}{notes}'
            f'<div class="keep"><h3>{t("rungs_title", lang)}</h3>'
            + _table([t("col_rung", lang), t("col_meaning", lang), t("col_conditions", lang)], rung_rows,
                     cls="data compact rungs", numeric_from=99) + "</div>"
            f'<div class="keep"><h3>{t("kpi_title", lang)}</h3><p>{t("kpi_intro", lang)}</p>{_kpi_table(a)}</div>'
            f'<div class="keep"><h3>{t("reliability_title", lang)}</h3><p>{t("reliability_intro", lang)}</p>'
            f'{_reliability_table(a)}</div>'
            f'<div class="keep"><h3>{t("data_quality_title", lang)}</h3>{_data_quality(a)}</div>'
            f'<div class="keep"><h3>{t("model_title", lang)}</h3>'
            f'<p>{_t(a, "model_note", version=a.model.version, name=model_name, provenance=a.model.provenance.get(lang, ""))}</p>'
            f'<p class="small">{t("model_own", lang)} {t("generated", lang, version=escape(__version__))}</p></div>')
    return _section("kl-appendix", body, extra="appendix")
