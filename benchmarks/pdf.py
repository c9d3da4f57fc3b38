"""PDF export: WeasyPrint's two font subsetters, HarfBuzz and fontTools, on the same reports.

    .venv/bin/python benchmarks/pdf.py [--clients 4] [--rounds 3] [--reports DIR]

WeasyPrint subsets the report's fonts with HarfBuzz when ``libharfbuzz-subset0`` is installed and
falls back to fontTools without a word (its warning is below the log level a report runs at).
This script makes the HTML of ``--clients`` demo reports (or takes every ``report.html`` under
``--reports``), then renders each one to PDF ``--rounds`` times with each subsetter, alternating,
in one process set up as a batch worker is (collected and frozen heap, the worker's collector
thresholds). It prints the median processor seconds per PDF for each and their ratio, and checks
that both produce the same pages with the same text.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))


def report_htmls(folder: Path, clients: int) -> list[str]:
    """The HTML of ``clients`` demo reports, made in ``folder`` (scored and executed, no PDF)."""
    from batch import make_clients

    from klantladder.report import make_report

    made = make_clients(folder / "clients", clients)
    htmls = []
    for client in made:
        out = folder / "out" / client.name
        make_report(client, out, pdf=False)
        htmls.append((out / "report.html").read_text(encoding="utf-8"))
    return htmls


def pdf_text(path: Path) -> list[str]:
    """The text of every page of a PDF."""
    from pypdf import PdfReader

    return [page.extract_text() for page in PdfReader(str(path)).pages]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--reports", type=Path, default=None, help="use every report.html under this folder")
    args = ap.parse_args()

    import weasyprint.pdf.fonts as fonts
    from batch import font_subsetter

    from klantladder.batch import lean_imports
    from klantladder.report import export_pdf

    harfbuzz = getattr(fonts, "harfbuzz_subset", None)
    if harfbuzz is None or font_subsetter() != "HarfBuzz":
        sys.exit("HarfBuzz's subsetter is not available here (install libharfbuzz-subset0); nothing to compare.")

    with tempfile.TemporaryDirectory(prefix="kl-pdf-") as tmp:
        work = Path(tmp)
        if args.reports:
            htmls = [p.read_text(encoding="utf-8") for p in sorted(args.reports.rglob("report.html"))]
        else:
            htmls = report_htmls(work, args.clients)
        if not htmls:
            sys.exit(f"No report.html found under {args.reports}.")
        export_pdf(htmls[0], work / "warm.pdf")  # first use: fonts, CSS, imports
        lean_imports()  # a batch worker's collector thresholds, and its frozen heap
        gc.collect()
        gc.freeze()

        seconds: dict[str, list[float]] = {"HarfBuzz": [], "fontTools": []}
        try:
            for _ in range(args.rounds):
                for name in seconds:
                    fonts.harfbuzz_subset = harfbuzz if name == "HarfBuzz" else None
                    for i, html in enumerate(htmls):
                        start = time.process_time()
                        export_pdf(html, work / f"{name}-{i}.pdf")
                        seconds[name].append(time.process_time() - start)
        finally:
            fonts.harfbuzz_subset = harfbuzz

        texts = {name: [pdf_text(work / f"{name}-{i}.pdf") for i in range(len(htmls))] for name in seconds}
    same = texts["HarfBuzz"] == texts["fontTools"]
    pages = statistics.median(len(text) for text in texts["HarfBuzz"])

    hb, ft = (statistics.median(seconds[k]) for k in ("HarfBuzz", "fontTools"))
    print(f"{len(htmls)} reports (median {pages:g} pages) x {args.rounds} rounds, processor seconds per PDF (median)")
    print(f"  HarfBuzz   {hb:6.3f}")
    print(f"  fontTools  {ft:6.3f}")
    print(f"  fontTools / HarfBuzz = {ft / hb:.2f}; same pages and text: {'yes' if same else 'NO'}")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
