"""Where things live: the one place that knows the repository layout."""

from __future__ import annotations

from pathlib import Path

__all__ = ["PACKAGE_DIR", "REPO_ROOT", "NOTEBOOKS", "TEMPLATES", "DEMO_DATA", "ASSESSMENT_NOTEBOOK",
           "PORTFOLIO_NOTEBOOK"]

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent
NOTEBOOKS = REPO_ROOT / "notebooks"
TEMPLATES = REPO_ROOT / "templates"
DEMO_DATA = REPO_ROOT / "data" / "demo"
ASSESSMENT_NOTEBOOK = NOTEBOOKS / "assessment.ipynb"
PORTFOLIO_NOTEBOOK = NOTEBOOKS / "portfolio.ipynb"
