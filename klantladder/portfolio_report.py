"""The portfolio overview after a batch: how all clients stand, for the consulting firm.

``notebooks/portfolio.ipynb`` narrates it; :func:`render_portfolio` runs that notebook after a batch
and writes ``<out>/portfolio.html``. Contents: the distribution of rungs, the overall score and
every dimension as portfolio percentiles, a sector comparison, and one row per client with its
percentile (:func:`klantladder.benchmark.percentile_rank`).

Anonymous by default. The overview is an internal document, but it is the kind of page that ends
up in a client meeting, so clients appear as "Organisatie A", "Organisatie B", ... (lettered by
overall score, best first, so a letter says nothing that the row does not), and a sector with
fewer than ``min_group`` clients is pooled into "Overige sectoren" (a sector of one would name
its client). ``show_names=True`` shows names and sectors, for internal use only.

Input: a batch output folder (``<out>/<client>/scores.json`` or ``<out>/<client>/<wave>/scores.json``;
a client with several waves counts once, with its latest) or, for exploring, a folder of client
folders, which are then scored on the spot.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import tempfile
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .benchmark import percentile_rank
from .i18n import portfolio_texts
from .portfolio import _num

__all__ = ["Portfolio", "collect_scores", "load_portfolio", "summary_html", "rungs_html", "rungs_figure",
           "dimensions_html", "dimensions_figure", "sectors_html", "clients_html", "show", "show_figure",
           "render_portfolio", "label_for"]

SCORES = "scores.json"
QUANTILES = (0.10, 0.25, 0.50, 0.75, 0.90)

def _t(key: str, lang: str, **kw: Any) -> str:
    """A portfolio text (``texts/portfolio.yaml``) in ``lang``, Dutch where it has no translation."""
    entry = portfolio_texts()[key]
    text = entry.get(lang) or entry["nl"]
    return text.format(**kw) if kw else text


def label_for(i: int, lang: str = "nl") -> str:
    """The anonymous label of the i-th organisation (0-based): A … Z, AA, AB, …"""
    letters = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        letters = chr(65 + r) + letters
    return f"{'Organisatie' if lang == 'nl' else 'Organisation'} {letters}"


@dataclass
class Portfolio:
    """One row per organisation (its latest wave) and what is needed to describe the columns."""

    table: pd.DataFrame  # label, name, sector, group, wave, waves, rung, overall, <dimension keys>
    dimensions: list[str]
    dimension_names: dict[str, str]
    rung_names: dict[int, str]
    language: str = "nl"
    show_names: bool = False
    min_group: int = 3
    models: list[str] = field(default_factory=list)
    measurements: int = 0


def collect_scores(out: str | Path) -> list[Path]:
    """The ``scores.json`` files of a batch output (client and wave folders; hidden and ``failed`` skipped)."""
    root = Path(out)
    files: list[Path] = []
    if not root.is_dir():
        return files
    for client in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if (client / SCORES).is_file():
            files.append(client / SCORES)
            continue
        files += sorted(w / SCORES for w in client.iterdir()
                        if w.is_dir() and not w.name.startswith(".") and w.name != "failed" and (w / SCORES).is_file())
    return files


def _docs_from_batch(root: Path) -> list[tuple[str, dict]]:
    docs = []
    for f in collect_scores(root):
        client = f.parent.name if f.parent.parent == root else f.parent.parent.name
        try:
            docs.append((client, json.loads(f.read_text(encoding="utf-8"))))
        except (OSError, json.JSONDecodeError, UnicodeDecodeError):
            continue
    return docs


def _docs_from_clients(root: Path) -> list[tuple[str, dict]]:
    from .assess import assess_folder
    from .batch import discover

    docs = []
    with tempfile.TemporaryDirectory() as tmp:
        for job in discover(root, tmp):
            try:
                docs.append((job.key.split("/")[0], assess_folder(job.folder).to_dict()))
            except Exception:  # noqa: BLE001 - a client that cannot be scored is not in the overview
                continue
    return docs


def _wave_key(doc: dict) -> tuple:
    return (str(doc.get("reference_date") or ""), str(doc.get("wave") or ""))


def load_portfolio(source: str | Path, *, show_names: bool = False, language: str = "nl",
                   min_group: int = 3) -> Portfolio:
    """Read a batch output (or score a folder of client folders) into a :class:`Portfolio`."""
    from .config import sector_label
    from .model import default_model

    root = Path(source)
    docs = _docs_from_batch(root) if collect_scores(root) else _docs_from_clients(root)
    model = default_model()
    dims = list(model.dimension_keys)
    by_client: dict[str, list[dict]] = {}
    for client, doc in docs:
        by_client.setdefault(client, []).append(doc)
    rows = []
    for client, ds in by_client.items():
        doc = max(ds, key=_wave_key)
        row = {"client": client, "name": doc.get("name") or client, "sector": doc.get("sector") or "overig",
               "wave": doc.get("wave"), "waves": len(ds), "model": doc.get("model_version"),
               "rung": int((doc.get("rung") or {}).get("level") or 0) or np.nan,
               "overall": _num((doc.get("overall") or {}).get("score"))}
        row.update({k: _num(((doc.get("dimensions") or {}).get(k) or {}).get("score")) for k in dims})
        rows.append(row)
    table = pd.DataFrame(rows, columns=["client", "name", "sector", "wave", "waves", "model", "rung", "overall", *dims])
    if not table.empty:
        # Letters by overall score (best first); ties by a hash, never by name.
        tie = table["client"].map(lambda c: hashlib.sha256(str(c).encode()).hexdigest())
        order = table.assign(_o=table["overall"].fillna(-1), _t=tie).sort_values(["_o", "_t"], ascending=[False, True])
        table = order.drop(columns=["_o", "_t"]).reset_index(drop=True)
        table.insert(0, "label", [label_for(i, language) for i in range(len(table))])
        counts = table["sector"].value_counts()
        pooled = _t("other_sectors", language)
        table["group"] = [sector_label(s, language) if show_names or counts[s] >= min_group else pooled
                          for s in table["sector"]]
    else:
        table.insert(0, "label", [])
        table["group"] = []
    return Portfolio(
        table=table, dimensions=dims, dimension_names={k: model.dimension(k).name.get(language, k) for k in dims},
        rung_names={r.level: r.name.get(language, r.name["nl"]) for r in model.rungs}, language=language,
        show_names=show_names, min_group=min_group, models=sorted({str(m) for m in table["model"].dropna()}),
        measurements=int(table["waves"].sum()) if not table.empty else 0,
    )


# --- formatting ---------------------------------------------------------------------------

def _fmt(x: Any, lang: str, digits: int = 0) -> str:
    v = _num(x)
    if not np.isfinite(v):
        return "–"
    text = f"{v:,.{digits}f}"
    if lang == "nl":
        text = text.replace(",", "\u00a0").replace(".", ",")
    else:
        text = text.replace(",", "\u2009")
    return text


def _table(header: list[str], rows: list[list[str]], cls: str = "data") -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def summary_html(p: Portfolio) -> str:
    lang = p.language
    n = len(p.table)
    if not n:
        return f"<section><h1>{_t('title', lang)}</h1><p>{_t('empty', lang)}</p></section>"
    note = _t("named", lang) if p.show_names else _t("anonymous", lang, k=p.min_group)
    few = f"<p>{_t('few', lang, n=n)}</p>" if n < 10 else ""
    return (f"<section class='portfolio-summary'><h1>{_t('title', lang)}</h1>"
            f"<p class='meta'>{escape(_t('internal', lang))} {escape(note)}</p>"
            f"<p>{escape(_t('summary', lang, n=n, w=p.measurements, models=', '.join(p.models) or '–'))}</p>{few}"
            f"<p class='meta'>{dt.date.today().isoformat()}</p></section>")


def _rung_counts(p: Portfolio) -> pd.DataFrame:
    levels = sorted(p.rung_names)
    counts = p.table["rung"].value_counts().reindex(levels, fill_value=0) if len(p.table) else pd.Series(0, levels)
    total = max(int(counts.sum()), 1)
    return pd.DataFrame({"rung": levels, "name": [p.rung_names[r] for r in levels], "count": counts.to_numpy(),
                         "share": 100 * counts.to_numpy() / total})


def rungs_html(p: Portfolio) -> str:
    lang = p.language
    c = _rung_counts(p)
    rows = [[f"{r.rung} {escape(r.name)}", _fmt(r.count, lang), _fmt(r.share, lang) + "%"] for r in c.itertuples()]
    return (f"<section><h2>{_t('rungs_title', lang)}</h2>"
            + _table([_t("rung", lang), _t("count", lang), _t("share", lang)], rows) + "</section>")


def rungs_figure(p: Portfolio):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    c = _rung_counts(p)
    fig, ax = plt.subplots(figsize=(6.2, 2.8))
    ax.bar([f"{r}\n{n}" for r, n in zip(c["rung"], c["name"])], c["count"], color="#3b6ea5")
    ax.set_ylabel(_t("count", p.language))
    ax.spines[["top", "right"]].set_visible(False)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.tick_params(axis="x", labelsize=8)
    fig.tight_layout()
    return fig


def _measures(p: Portfolio) -> list[tuple[str, str]]:
    return [("overall", _t("overall", p.language))] + [(k, p.dimension_names[k]) for k in p.dimensions]


def dimensions_html(p: Portfolio) -> str:
    lang = p.language
    rows = []
    for key, name in _measures(p):
        x = p.table[key].dropna().to_numpy(dtype=float) if len(p.table) else np.zeros(0)
        qs = np.quantile(x, QUANTILES) if x.size else [np.nan] * len(QUANTILES)
        rows.append([escape(name), _fmt(x.size, lang)] + [_fmt(q, lang) for q in qs])
    header = [_t("measure", lang), "n"] + [f"P{int(q * 100)}" for q in QUANTILES]
    return (f"<section><h2>{_t('dims_title', lang)}</h2><p>{_t('dims_note', lang)}</p>"
            + _table(header, rows) + "</section>")


def dimensions_figure(p: Portfolio):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    measures = _measures(p)
    fig, ax = plt.subplots(figsize=(7.2, 0.42 * len(measures) + 1.0))
    data = [p.table[k].dropna().to_numpy(dtype=float) for k, _ in measures]
    pos = np.arange(len(measures))[::-1]
    ax.boxplot(data, positions=pos, vert=False, widths=0.55, showfliers=False,
               medianprops={"color": "#111111"}, boxprops={"color": "#3b6ea5"})
    rng = np.random.default_rng(0)  # fixed jitter: the figure is the same on every run
    for y, x in zip(pos, data):
        ax.scatter(x, y + rng.uniform(-0.15, 0.15, x.size), s=10, color="#3b6ea5", alpha=0.6, zorder=3)
    ax.set_yticks(pos, [n for _, n in measures], fontsize=8)
    ax.set_xlim(0, 100)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def sectors_html(p: Portfolio) -> str:
    lang = p.language
    if not len(p.table):
        return ""
    rows = []
    for group, g in sorted(p.table.groupby("group"), key=lambda kv: (kv[0] == _t("other_sectors", lang), kv[0])):
        high = 100 * float((g["rung"] >= 4).mean())
        rows.append([escape(str(group)), _fmt(len(g), lang), _fmt(g["overall"].median(), lang), _fmt(high, lang) + "%"]
                    + [_fmt(g[k].median(), lang) for k in p.dimensions])
    header = [_t("sector", lang), "n", f"{_t('overall', lang)} ({_t('median', lang)})", _t("high_rung", lang)] + \
        [p.dimension_names[k] for k in p.dimensions]
    return f"<section><h2>{_t('sectors_title', lang)}</h2>" + _table(header, rows, "data wide") + "</section>"


def clients_html(p: Portfolio) -> str:
    lang = p.language
    if not len(p.table):
        return ""
    overall = p.table["overall"].to_numpy(dtype=float)
    rows = []
    for i, r in enumerate(p.table.itertuples(index=False)):
        peers = np.delete(overall, i)  # a client against the others, as in its own report
        pct = percentile_rank(r.overall, peers[np.isfinite(peers)])
        who = f"{escape(str(r.name))} ({escape(str(r.label))})" if p.show_names else escape(str(r.label))
        rung = int(r.rung) if np.isfinite(_num(r.rung)) else None
        rows.append([who, escape(str(r.group)), f"{rung} {escape(p.rung_names.get(rung, ''))}" if rung else "–",
                     _fmt(r.overall, lang), _fmt(pct, lang)]
                    + [_fmt(getattr(r, k), lang) for k in p.dimensions])
    header = [_t("organisation", lang), _t("sector", lang), _t("rung", lang), _t("overall", lang),
              _t("percentile", lang)] + [p.dimension_names[k] for k in p.dimensions]
    return f"<section><h2>{_t('clients_title', lang)}</h2>" + _table(header, rows, "data wide") + "</section>"


# --- display ------------------------------------------------------------------------------

def show(html: str) -> None:
    """Display an HTML fragment in the notebook."""
    from IPython.display import HTML, display

    display(HTML(html))


def show_figure(fig) -> None:
    """Display a figure as inline SVG, without timestamps or random ids."""
    import matplotlib.pyplot as plt
    from IPython.display import SVG, display

    buf = io.StringIO()
    with plt.rc_context({"svg.hashsalt": "klantladder-portfolio", "svg.fonttype": "none"}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    text = buf.getvalue()
    display(SVG(data=text[text.index("<svg"):]))


# --- rendering after a batch --------------------------------------------------------------

def render_portfolio(out: str | Path, target: str | Path, *, show_names: bool = False, language: str = "nl",
                     engine: str | None = None, min_group: int = 3) -> Path:
    """Run ``notebooks/portfolio.ipynb`` on a batch output and write its HTML to ``target``
    (atomically); the executed notebook goes beside it as ``portfolio.ipynb``."""
    from .paths import PORTFOLIO_NOTEBOOK
    from .report import export_html, run_notebook

    out, target = Path(out).resolve(), Path(target)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".portfolio.partial-") as tmp:
        nb = run_notebook(PORTFOLIO_NOTEBOOK, Path(tmp) / "portfolio.ipynb",
                          {"source": str(out), "show_names": bool(show_names), "language": language,
                           "min_group": int(min_group)}, engine=engine)
        html = export_html(nb, title=_t("title", language), language=language)
        part = Path(tmp) / "portfolio.html"
        part.write_text(html, encoding="utf-8")
        os.replace(Path(tmp) / "portfolio.ipynb", target.with_suffix(".ipynb"))
        os.replace(part, target)
    return target
