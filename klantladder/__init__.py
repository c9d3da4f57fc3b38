"""klantladder: score an organisation on the five-rung customer-centricity ladder.

The package computes, notebooks narrate: reading, validating, pseudonymising, scoring, statistics
and plotting live here as plain, tested functions; the notebooks in ``notebooks/`` call them.
"""

from __future__ import annotations

__version__ = "0.1.0"
