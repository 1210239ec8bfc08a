"""Problems with values that have the right type: categories, bounds, and their messages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from shipyard.core.errors import FieldProblem
from shipyard.core.reprs import bounded_repr
from shipyard.models.specs import ColumnSpec

MAX_ROW_PROBLEMS = 20
"""Row-level problems reported per column and kind; the rest are counted."""

Mask = NDArray[np.bool_]
_SHORT = 512
"""Columns up to this many values are checked against their categories value by value."""


def _known(values: Any, categories: tuple[Any, ...]) -> Mask:
    """Which values are among ``categories``: a set lookup per value for the few rows of a
    request (pandas' hash join costs more to set up than it saves there), pandas otherwise.
    Both compare the way Python's ``==`` does."""
    if isinstance(values, np.ndarray) and values.dtype == object and len(values) <= _SHORT:
        allowed = frozenset(categories)
        try:
            return np.fromiter((value in allowed for value in values), np.bool_, len(values))
        except TypeError:  # an unhashable value (a list where a category was expected)
            pass
    return pd.Series(values, copy=False).isin(list(categories)).to_numpy(dtype=bool)


def check_levels(spec: ColumnSpec, original: Any, values: Any, skip: Mask) -> list[FieldProblem]:
    """Categories and numeric bounds of the rows not in ``skip`` (null or already bad).

    ``values`` are the converted values, or None when some rows could not be converted; then
    the remaining rows are checked on their ``original`` values.
    """
    if values is None:
        values = np.array(original, dtype=object)
        values[skip] = None
        if spec.dtype in ("integer", "float"):
            values = pd.to_numeric(values, errors="coerce")
    problems: list[FieldProblem] = []
    if spec.categories is not None:
        known = _known(values, spec.categories)
        unknown = ~skip & ~known
        if unknown.any():
            shown = ", ".join(repr(c) for c in spec.categories[:10])
            if len(spec.categories) > 10:
                shown += f", … ({len(spec.categories)} in all)"
            problems += row_problems(
                spec.name,
                original,
                unknown,
                lambda v: f"unknown category {describe(v, typed=False)}; expected one of {shown}",
            )
    if spec.dtype in ("integer", "float"):
        numbers = np.asarray(values, dtype=np.float64)
        with np.errstate(invalid="ignore"):
            if spec.minimum is not None:
                low = ~skip & (numbers < spec.minimum)
                problems += row_problems(
                    spec.name,
                    original,
                    low,
                    lambda v: f"{describe(v, typed=False)} is below the minimum {spec.minimum}",
                )
            if spec.maximum is not None:
                high = ~skip & (numbers > spec.maximum)
                problems += row_problems(
                    spec.name,
                    original,
                    high,
                    lambda v: f"{describe(v, typed=False)} is above the maximum {spec.maximum}",
                )
    return problems


def row_problems(
    name: str, values: Any, mask: Mask, message: Callable[[Any], str]
) -> list[FieldProblem]:
    """One problem per masked row (``name[row]``), the first few of them, then a count."""
    rows = np.flatnonzero(mask)
    if len(rows) == 0:
        return []
    problems = [
        FieldProblem(f"{name}[{row}]", message(values[row]))
        for row in rows[:MAX_ROW_PROBLEMS].tolist()
    ]
    if len(rows) > MAX_ROW_PROBLEMS:
        more = len(rows) - MAX_ROW_PROBLEMS
        problems.append(FieldProblem(name, f"and {more} more rows with the same problem"))
    return problems


def describe(value: Any, *, typed: bool = True) -> str:
    """A short description of a bad value for an error message, e.g. ``string 'abc'``."""
    if value is None or value is pd.NA or value is pd.NaT:
        return "null"
    if isinstance(value, bool | np.bool_):
        kind = "boolean"
    elif isinstance(value, int | np.integer):
        kind = "integer"
    elif isinstance(value, float | np.floating):
        kind = "float"
    elif isinstance(value, str):
        kind = "string"
    elif isinstance(value, dt.datetime | dt.date | np.datetime64):
        kind = "datetime"
    else:
        kind = type(value).__name__
    shown = bounded_repr(value.item() if isinstance(value, np.generic) else value)
    return f"{kind} {shown}" if typed else shown
