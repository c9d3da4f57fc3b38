"""The report's sections as HTML fragments, each a function of an Assessment.

Every value from a client's files (names, labels, comments) passes through :func:`html.escape`,
so client text can never inject markup into the report.
"""

from __future__ import annotations

import datetime as dt
from html import escape

from . import __version__
from .i18n import fmt_date, fmt_interval, fmt_number, fmt_percent, t
from .config import sector_label

__all__ = ["cover", "summary", "dimension_table", "kpi_table", "blocking", "method", "data_quality",
           "KPI_ORDER", "dimension_name", "heading"]

KPI_ORDER = ("nps", "csat", "ces", "first_response_hours_median", "first_response_hours_p90",
             "resolution_hours_median", "resolution_hours_p90", "fcr_rate", "reopen_rate", "repeat_contact_rate",
             "sla_rate", "ticket_csat", "resolved_rate", "survey_response_rate", "retention_12m", "churn_12m",
             "segment_known_rate")
HEADLINE_KPIS = ("nps", "csat", "first_response_hours_median", "retention_12m")


def _terms(a) -> dict[str, str]:
    term, plural = a.config.customer_term
    return {"term": term, "plural": plural, "Term": term.capitalize(), "Plural": plural.capitalize()}


def dimension_name(a, key: str) -> str:
    if key == "all":
        return t("all_dimensions", a.language)
    if key == "gap":
        return t("gap_name", a.language)
    return a.model.dimension(key).name.get(a.language, key)


def kpi_value(a, key: str) -> str:
    est = a.kpis.get(key)
    if est is None or est.value is None:
        return t("kpi_missing", a.language)
    unit = a.model.kpis[key].unit
    lang = a.language
    digits = 1 if unit in ("h", "") else 0
    if unit == "%":
        return f"{fmt_percent(est.value, lang)} {fmt_interval(est.ci_low, est.ci_high, lang)}"
    suffix = f" {t('hours', lang)}" if unit == "h" else ""
    return f"{fmt_number(est.value, lang, digits)}{suffix} {fmt_interval(est.ci_low, est.ci_high, lang, digits)}"


def cover(a, today: dt.date | None = None) -> str:
    lang, cfg = a.language, a.config
    name = escape(cfg.name)
    rows = [(t("cover_sector", lang), escape(sector_label(cfg.sector, lang))),
            (t("cover_wave", lang), escape(cfg.wave or "–")),
            (t("cover_date", lang), fmt_date(today or a.reference_date or dt.date.today(), lang)),
            (t("cover_model", lang), escape(a.model.version))]
    meta = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return (f'<section class="cover"><p class="kicker">{t("report_subtitle", lang)}</p>'
            f'<h1>{escape(t("report_title", lang, name=cfg.name))}</h1>'
            f'<table class="meta">{meta}</table>'
            f'<p class="term">{t("cover_term", lang, name=name, plural=escape(cfg.customer_term[1]))}</p></section>')


def _strongest(a, n: int = 3) -> tuple[list[str], list[str]]:
    scored = sorted(((d.score, k) for k, d in a.dimensions.items() if d.score is not None), reverse=True)
    keys = [k for _, k in scored]
    return keys[:n], keys[::-1][:n]


def summary(a) -> str:
    lang, cfg = a.language, a.config
    r = a.rung
    rung_name = r.name.get(lang, r.name["nl"])
    strong, weak = _strongest(a)

    def item(k: str) -> str:
        d = a.dimensions[k]
        return (f"<li>{escape(dimension_name(a, k))} <span class='num'>{fmt_number(d.score, lang)}</span> "
                f"<span class='ci'>{fmt_interval(d.ci_low, d.ci_high, lang)}</span></li>")

    kpis = "".join(f"<tr><th>{escape(a.model.kpis[k].name.get(lang, k))}</th><td>{kpi_value(a, k)}</td>"
                   f"<td class='n'>n = {fmt_number(a.kpis[k].n, lang) if a.kpis.get(k) else '–'}</td></tr>"
                   for k in HEADLINE_KPIS)
    ov = a.overall
    return (f'<section class="summary"><h2>{t("summary_title", lang)}</h2>'
            f'<p class="lead">{t("summary_rung", lang, name=escape(cfg.name), level=r.level, rung=escape(rung_name))}</p>'
            f'<p>{t("summary_probability", lang, p=fmt_percent(100 * r.probabilities.get(r.level, 0), lang))}</p>'
            f'<p>{t("summary_overall", lang, score=fmt_number(ov.value, lang), low=fmt_number(ov.ci_low, lang), high=fmt_number(ov.ci_high, lang))}</p>'
            f'<div class="two-col"><div><h3>{t("summary_strong", lang)}</h3><ul>{"".join(item(k) for k in strong)}</ul></div>'
            f'<div><h3>{t("summary_weak", lang)}</h3><ul>{"".join(item(k) for k in weak)}</ul></div></div>'
            f'<h3>{t("summary_headline_kpis", lang)}</h3><table class="kpis">{kpis}</table></section>')


def dimension_table(a) -> str:
    lang = a.language
    tm = _terms(a)
    head = [t("col_dimension", lang), t("col_score", lang), t("col_interval", lang), t("col_internal", lang),
            t("col_customer", lang, **tm), t("col_kpi", lang), t("col_gap", lang, **tm)]
    rows = []
    for k, d in a.dimensions.items():
        gap = d.gap.value if d.gap else None
        cells = [escape(dimension_name(a, k)), fmt_number(d.score, lang), fmt_interval(d.ci_low, d.ci_high, lang),
                 fmt_number(d.internal.value, lang) if d.internal else "–",
                 fmt_number(d.customer.value, lang) if d.customer else "–", fmt_number(d.kpi, lang),
                 (("+" if gap > 0 else "") + fmt_number(gap, lang)) if gap is not None else "–"]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return (f'<p>{t("profile_intro", lang, **tm)}</p><table class="data"><thead><tr>'
            + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


def kpi_table(a) -> str:
    lang = a.language
    rows = []
    for k in KPI_ORDER:
        est = a.kpis.get(k)
        if est is None or est.value is None:
            continue
        rows.append(f"<tr><td>{escape(a.model.kpis[k].name.get(lang, k))}</td><td>{kpi_value(a, k)}</td>"
                    f"<td class='n'>{fmt_number(est.n, lang)}</td></tr>")
    if not rows:
        return f"<p>{t('kpi_missing', lang)}</p>"
    return (f'<h2>{t("kpi_title", lang)}</h2><p>{t("kpi_intro", lang)}</p><table class="data"><thead><tr>'
            f'<th>{t("col_kpi_name", lang)}</th><th>{t("col_value", lang)}</th><th>{t("col_n", lang)}</th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def blocking(a) -> str:
    lang = a.language
    r = a.rung
    if r.level >= len(a.model.rungs):
        return f'<h2>{t("blocking_title", lang)}</h2><p>{t("summary_top_rung", lang)}</p>'
    nxt = a.model.rung(r.level + 1)
    tm = _terms(a)
    items = []
    for b in r.blocking:
        target = b["min"] if b["min"] is not None else b["max"]
        value = fmt_number(b["value"], lang)
        if b["value"] is None:
            text = t("blocking_missing", lang, dimension=escape(dimension_name(a, b.get("worst_dimension") or b["dimension"])))
        elif b["dimension"] == "all":
            text = t("blocking_all", lang, target=fmt_number(target, lang), value=value,
                     dimension=escape(dimension_name(a, b["worst_dimension"])))
        elif b["dimension"] == "gap":
            text = t("blocking_gap", lang, target=fmt_number(target, lang), value=value,
                     dimension=escape(dimension_name(a, b["worst_dimension"])), **tm)
        else:
            text = t("blocking_min", lang, dimension=escape(dimension_name(a, b["dimension"])), value=value,
                     target=fmt_number(target, lang), short=fmt_number(b["shortfall"], lang))
        items.append(f"<li>{text}</li>")
    return (f'<h2>{t("blocking_title", lang)}</h2><p>{t("blocking_intro", lang, level=nxt.level, rung=escape(nxt.name.get(lang, nxt.name["nl"])))}</p>'
            f'<ul class="blocking">{"".join(items)}</ul>')


def method(a) -> str:
    lang = a.language
    tm = _terms(a)
    notes = "".join(f"<p class='note'>{t('missing_source', lang, source=t('source_' + n['source'], lang, **tm))}</p>"
                    for n in a.notes)
    return (f'<h2>{t("method_title", lang)}</h2><p>{t("method_text", lang, **tm)}</p>{notes}'
            f'<p class="small">{escape(t("model_note", lang, version=a.model.version, provenance=a.model.provenance.get(lang, "")))}</p>'
            f'<p class="small">{t("generated", lang, version=__version__)}</p>')


def data_quality(a) -> str:
    lang = a.language
    read = sum(a.data.rows_read.values())
    rejected = len(a.data.rejects)
    warnings = a.data.warnings
    items = "".join(f"<li>{escape(w.text(lang))}</li>" for w in warnings[:30])
    body = f"<ul class='warnings'>{items}</ul>" if items else f"<p>{t('data_quality_none', lang)}</p>"
    return (f'<h2>{t("data_quality_title", lang)}</h2><p>{t("data_quality_rows", lang, read=fmt_number(read, lang), rejected=fmt_number(rejected, lang))}</p>'
            + body)


def heading(a, key: str, page_break: bool = False, **values: str) -> str:
    """A section heading from the report texts (``key`` is a text id such as ``profile_title``)."""
    cls = ' class="page-break"' if page_break else ""
    return f"<h2{cls}>{escape(t(key, a.language, **values))}</h2>"
