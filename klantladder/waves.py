"""Change between waves: is a client's score really different from last time?

Two waves of the same client are treated as independent samples (different respondents), so
the variance of the change is the sum of the two variances.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from klantladder.intervals import Z95, Estimate

__all__ = ["WAVE_COLUMNS", "WaveChange", "estimate_se", "wave_change", "wave_table"]

WAVE_COLUMNS: tuple[str, ...] = ("measure", "from_wave", "to_wave", "change", "ci_low", "ci_high", "significant")


@dataclass(frozen=True)
class WaveChange:
    """The change ``current - previous`` with its 95% interval.

    ``significant`` is True when the interval excludes 0; all fields are ``None``/False when
    either wave has no value or no uncertainty.
    """

    change: float | None
    ci_low: float | None
    ci_high: float | None
    significant: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, floats rounded to 4 decimals."""
        r = lambda x: None if x is None else round(float(x), 4)  # noqa: E731
        return {"change": r(self.change), "ci_low": r(self.ci_low), "ci_high": r(self.ci_high),
                "significant": bool(self.significant)}


def _finite(x: float | None) -> bool:
    return x is not None and math.isfinite(float(x))


def estimate_se(est: Estimate) -> float | None:
    """The SE of an estimate: its ``se`` or else its interval width / 3.92 (``2 * 1.96``).

    Parameters
    ----------
    est : Estimate
        An estimate with ``se`` or a 95% interval.

    Returns
    -------
    float or None
        ``None`` when neither is available.

    Notes
    -----
    For a symmetric normal 95% interval :math:`SE = (hi - lo) / (2 \\cdot 1.96)`; for asymmetric
    or clipped intervals this is an approximation, which is why estimates carry ``se`` directly
    where they can.
    """
    if _finite(est.se):
        return float(est.se)  # type: ignore[arg-type]
    if _finite(est.ci_low) and _finite(est.ci_high):
        return (float(est.ci_high) - float(est.ci_low)) / (2 * Z95)  # type: ignore[arg-type]
    return None


def wave_change(previous: Estimate, current: Estimate) -> WaveChange:
    """Change between two independent waves with a normal 95% interval.

    Parameters
    ----------
    previous, current : Estimate
        The same measure in the earlier and the later wave.

    Returns
    -------
    WaveChange
        ``change = current - previous``, its interval and whether it excludes 0.

    Notes
    -----
    .. math:: \\Delta = \\hat\\theta_2 - \\hat\\theta_1, \\qquad
              SE_\\Delta = \\sqrt{SE_1^2 + SE_2^2}, \\qquad \\Delta \\pm 1.96\\, SE_\\Delta

    for independent samples. This is a two-sided test at the 5% level; with many measures some
    "significant" changes are expected by chance (about 1 in 20 when nothing changed).

    References
    ----------
    Altman, D. G., & Bland, J. M. (2003). Interaction revisited: the difference between two
    estimates. *BMJ*, 326(7382), 219.
    """
    if not (_finite(previous.value) and _finite(current.value)):
        return WaveChange(change=None, ci_low=None, ci_high=None, significant=False)
    change = float(current.value) - float(previous.value)  # type: ignore[arg-type]
    se1, se2 = estimate_se(previous), estimate_se(current)
    if se1 is None or se2 is None:
        return WaveChange(change=change, ci_low=None, ci_high=None, significant=False)
    se = math.sqrt(se1 * se1 + se2 * se2)
    lo, hi = change - Z95 * se, change + Z95 * se
    return WaveChange(change=change, ci_low=lo, ci_high=hi, significant=bool(lo > 0 or hi < 0))


def wave_table(scores_by_wave: dict[str, dict[str, Estimate]]) -> pd.DataFrame:
    """Changes between consecutive waves for every measure present in both.

    Parameters
    ----------
    scores_by_wave : dict
        ``{wave: {measure: Estimate}}`` with the waves in chronological order (dict order).

    Returns
    -------
    pandas.DataFrame
        Tidy, one row per (measure, consecutive pair of waves): ``measure``, ``from_wave``,
        ``to_wave``, ``change``, ``ci_low``, ``ci_high``, ``significant``. Rows follow the wave
        order, measures in the order of the later wave.

    Notes
    -----
    Each row is :func:`wave_change` of the two waves' estimates.
    """
    waves = list(scores_by_wave)
    rows = []
    for w1, w2 in zip(waves, waves[1:]):
        before, after = scores_by_wave[w1], scores_by_wave[w2]
        for measure, est in after.items():
            if measure not in before:
                continue
            ch = wave_change(before[measure], est)
            rows.append({"measure": measure, "from_wave": w1, "to_wave": w2, "change": ch.change,
                         "ci_low": ch.ci_low, "ci_high": ch.ci_high, "significant": ch.significant})
    out = pd.DataFrame(rows, columns=list(WAVE_COLUMNS))
    for c in ("measure", "from_wave", "to_wave"):
        out[c] = out[c].astype(object)
    for c in ("change", "ci_low", "ci_high"):
        out[c] = pd.to_numeric(out[c]).astype(float)
    out["significant"] = out["significant"].astype(bool)
    return out
