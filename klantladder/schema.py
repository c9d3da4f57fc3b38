"""The canonical columns of each source and their pandera schemas.

Reading turns a client's export into canonical columns; these schemas then check what scoring
relies on (scales, time order; uniqueness of the ids is checked on their keyed hashes, see
:data:`UNIQUE_IDS`). Each check carries the id of a rule in
``docs/validation-rules.md``, so every failure becomes a :class:`~klantladder.errors.Finding`
with that rule's level.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import pandera.pandas as pa

from .model import Model

__all__ = ["ColumnSpec", "source_columns", "build_schema", "REQUIRED", "UNIQUE_IDS", "TIME_ORDER"]

Kind = Literal["id", "number", "likert", "datetime", "date", "bool", "category", "freetext"]


@dataclass(frozen=True)
class ColumnSpec:
    """One canonical column: its kind and, for numbers, the allowed range."""

    name: str
    kind: Kind
    low: float | None = None
    high: float | None = None
    integer: bool = False


# Columns without which a source cannot be used at all.
REQUIRED: dict[str, tuple[str, ...]] = {
    "customer_survey": (),
    "employee_survey": (),
    "tickets": ("ticket_id", "created_at"),
    "customers": ("customer_id",),
}


# Identifiers that must be unique within their source (rule ``duplicate_id``). They are checked on
# their keyed hashes by :mod:`klantladder.intake` (a sort of 64-bit integers), not by the schema:
# a generic uniqueness check on millions of texts costs seconds.
UNIQUE_IDS: dict[str, tuple[str, ...]] = {
    "customer_survey": ("respondent_id",),
    "employee_survey": ("respondent_id",),
    "tickets": ("ticket_id",),
    "customers": ("customer_id",),
}


def source_columns(source: str, model: Model) -> dict[str, ColumnSpec]:
    """All canonical columns ``source`` may carry, keyed by name."""
    lo, hi = model.likert_min, model.likert_max
    specs: list[ColumnSpec]
    if source == "customer_survey":
        specs = [ColumnSpec("respondent_id", "id"), ColumnSpec("nps", "likert", 0, 10, True),
                 ColumnSpec("csat", "likert", 1, 5, True), ColumnSpec("ces", "likert", 1, 7, True),
                 ColumnSpec("segment", "category"), ColumnSpec("channel", "category"),
                 ColumnSpec("wave", "category"), ColumnSpec("comment", "freetext")]
        specs += [ColumnSpec(i.column, "likert", lo, hi, True) for i in model.items("customer")]
    elif source == "employee_survey":
        specs = [ColumnSpec("respondent_id", "id"), ColumnSpec("department", "category"),
                 ColumnSpec("wave", "category"), ColumnSpec("comment", "freetext")]
        specs += [ColumnSpec(i.column, "likert", lo, hi, True) for i in model.items("employee")]
        specs += [ColumnSpec(f"mirror_{i.column}", "likert", lo, hi, True) for i in model.items("customer")]
    elif source == "tickets":
        specs = [ColumnSpec("ticket_id", "id"), ColumnSpec("customer_id", "id"), ColumnSpec("channel", "category"),
                 ColumnSpec("created_at", "datetime"), ColumnSpec("first_response_at", "datetime"),
                 ColumnSpec("resolved_at", "datetime"), ColumnSpec("reopened", "bool"),
                 ColumnSpec("first_contact_resolution", "bool"), ColumnSpec("csat", "likert", 1, 5, True)]
    elif source == "customers":
        specs = [ColumnSpec("customer_id", "id"), ColumnSpec("segment", "category"),
                 ColumnSpec("start_date", "date"), ColumnSpec("end_date", "date")]
    else:
        raise ValueError(source)
    return {s.name: s for s in specs}


def _numbers(s: pd.Series) -> np.ndarray:
    return s.to_numpy(dtype="float64", na_value=np.nan)


def _in_range(low: float, high: float) -> pa.Check:
    """Values from ``low`` to ``high`` inclusive (rule ``out_of_scale``); missing values pass.

    Vectorised over the whole column, missing cells included, so no copy without them is made
    (on a million answers per column that copy is most of the cost).
    """
    def check(s: pd.Series) -> pd.Series:
        x = _numbers(s)
        with np.errstate(invalid="ignore"):
            return pd.Series(np.isnan(x) | ((x >= low) & (x <= high)), index=s.index)

    return pa.Check(check, element_wise=False, ignore_na=False, error="out_of_scale",
                    name=f"in_range({low:g}, {high:g})")


def _whole(s: pd.Series) -> pd.Series:
    """Whole numbers (rule ``not_whole``); missing values pass."""
    x = _numbers(s)
    return pd.Series(np.isnan(x) | (x == np.rint(x)), index=s.index)


#: Per source: the column that comes first in time and the columns that may not precede it
#: (rule ``time_order``): a ticket is answered and resolved after it is created, a customer
#: leaves after starting.
TIME_ORDER: dict[str, tuple[str, tuple[str, ...]]] = {
    "tickets": ("created_at", ("first_response_at", "resolved_at")),
    "customers": ("start_date", ("end_date",)),
}


def _time_order(later: str, earlier: str) -> pa.Check:
    """Rows where ``later`` is not before ``earlier`` (rule ``time_order``); missing values pass."""
    def check(df: pd.DataFrame) -> pd.Series:
        return df[later].isna() | df[earlier].isna() | (df[later] >= df[earlier])

    return pa.Check(check, name=f"time_order:{later}", element_wise=False)


def build_schema(source: str, columns: list[str], model: Model) -> pa.DataFrameSchema:
    """A pandera schema for the canonical ``columns`` present in one source.

    Checks: numeric scales (rule ``out_of_scale``), whole numbers on answer scales
    (``not_whole``), and that no time precedes the one it follows (``time_order``,
    :data:`TIME_ORDER`: a ticket's response and resolution its creation, a customer's end its
    start). Unique ids (``duplicate_id``, :data:`UNIQUE_IDS`) are checked on their keyed hashes
    at intake.
    """
    specs = source_columns(source, model)
    cols: dict[str, pa.Column] = {}
    for name in columns:
        spec = specs.get(name)
        if spec is None:
            continue
        checks = []
        if spec.kind in ("number", "likert") and spec.low is not None:
            checks.append(_in_range(spec.low, spec.high))
            if spec.integer:
                checks.append(pa.Check(_whole, element_wise=False, error="not_whole", ignore_na=False))
        cols[name] = pa.Column(nullable=True, checks=checks, required=False)
    frame_checks = []
    if source in TIME_ORDER and TIME_ORDER[source][0] in columns:
        earlier, later = TIME_ORDER[source]
        frame_checks = [_time_order(c, earlier) for c in later if c in columns]
    return pa.DataFrameSchema(cols, checks=frame_checks, strict=False, coerce=False)


# pandera registers its pandas backends on the first validation, importing its data-synthesis
# strategies (and hypothesis, where installed) on the way: about 0.2 s. Done here, it is paid with
# the other imports instead of in the middle of the first client's scoring.
pa.DataFrameSchema({}).validate(pd.DataFrame())
