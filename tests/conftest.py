"""Shared fixtures: Agg backend, closed figures, seeded randomness, a throwaway pseudonym key."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
REAL_DATA = REPO.parent / "shared" / "real-data"


@pytest.fixture(autouse=True)
def _isolated(tmp_path_factory, monkeypatch):
    """Each test: its own pseudonym key file, a seeded NumPy, and no figure left open."""
    key_dir = tmp_path_factory.mktemp("key")
    monkeypatch.setenv("KLANTLADDER_KEY_FILE", str(key_dir / "pseudonym.key"))
    np.random.seed(12345)
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture(scope="session")
def demo_root(tmp_path_factory) -> Path:
    """The demo clients, generated once per session into a temporary folder."""
    from klantladder.demo import make_demo_clients

    root = tmp_path_factory.mktemp("demo")
    make_demo_clients(root)
    return root


@pytest.fixture
def real_data() -> Path:
    if not REAL_DATA.is_dir():
        pytest.skip("../shared/real-data is not beside the repository")
    return REAL_DATA
