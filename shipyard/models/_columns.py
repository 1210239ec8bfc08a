"""Strict, vectorised conversion of one input column to its declared type.

The happy path never loops over rows in Python: pandas' own type inference (``infer_dtype``)
and NumPy casts decide whether a whole column is clean. Only when it is not does a per-row
pass run, to find and describe each bad value. Nothing is ever coerced: a string is never a
number, a bool is never a number, a fractional float is never an integer, and a missing value
is never turned into 0 or NaN unless the column is declared nullable.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pandas.api.types import (
    infer_dtype,
    is_bool_dtype,
    is_datetime64_any_dtype,
    is_float_dtype,
    is_integer_dtype,
    is_numeric_dtype,
    is_string_dtype,
)

from shipyard.core.errors import FieldProblem
from shipyard.models._problems import Mask, check_levels, describe, row_problems
from shipyard.models.specs import ColumnSpec, DType

_INT64_LIMIT = 2**63
_EXPECTED: dict[DType, str] = {
    "integer": "an integer",
    "float": "a number",
    "boolean": "a boolean",
    "string": "a string",
    "datetime": "a datetime (ISO 8601)",
}

Converted = tuple[Any, Mask]
"""Converted values (or None when the column is unusable) and the mask of bad rows."""


def convert_column(spec: ColumnSpec, values: Any) -> tuple[Any, list[FieldProblem]]:
    """Convert one column (a NumPy or pandas extension array) to ``spec``'s type.

    Returns the converted values and no problems, or None and every problem found.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = np.asarray(values.astype(object))
    null = np.asarray(pd.isna(values), dtype=np.bool_)
    converted, bad = _CONVERTERS[spec.dtype](values, null)
    if converted is None and not bad.any():  # every value is null: nothing to convert
        converted = _all_null(spec.dtype, len(values))
    problems: list[FieldProblem] = []
    if bad.any():
        expected = _EXPECTED[spec.dtype]
        problems += row_problems(
            spec.name, values, bad, lambda v: f"expected {expected}, got {describe(v)}"
        )
    if not spec.nullable and null.any():
        problems += row_problems(
            spec.name, values, null, lambda _: "is null but the column does not allow nulls"
        )
    if spec.categories is not None or spec.minimum is not None or spec.maximum is not None:
        problems += check_levels(spec, values, converted, null | bad)
    if problems:
        return None, problems
    return _finish(spec, converted, null), []


# -- one converter per dtype: (values, null mask) -> (converted or None, bad mask) -----------


def _to_float(values: Any, null: Mask) -> Converted:
    dtype = values.dtype
    if is_bool_dtype(dtype):
        return None, ~null
    if is_numeric_dtype(dtype) and getattr(dtype, "kind", "") != "c":
        return _cast(values, np.float64, np.nan, null), _no(null)
    if _is_objectish(dtype):
        kind = infer_dtype(values, skipna=True)
        if kind in ("integer", "floating", "mixed-integer-float", "empty"):
            try:
                return _cast(values, np.float64, np.nan, null), _no(null)
            except (TypeError, ValueError, OverflowError):
                pass
        return _slow(values, null, _is_number, float, np.float64, np.nan)
    return None, ~null


def _to_integer(values: Any, null: Mask) -> Converted:
    dtype = values.dtype
    if is_bool_dtype(dtype):
        return None, ~null
    if is_integer_dtype(dtype):
        if dtype.kind == "u" and dtype.itemsize == 8:
            too_big = ~null & (_cast(values, np.float64, 0.0, null) >= _INT64_LIMIT)
            if too_big.any():
                return None, too_big
        return _cast(values, np.int64, 0, null), _no(null)
    if is_float_dtype(dtype):
        return _integral(_cast(values, np.float64, np.nan, null), null)
    if _is_objectish(dtype):
        kind = infer_dtype(values, skipna=True)
        try:
            if kind in ("integer", "empty"):
                return _cast(values, np.int64, 0, null), _no(null)
            if kind in ("floating", "mixed-integer-float"):
                return _integral(_cast(values, np.float64, np.nan, null), null)
        except (TypeError, ValueError, OverflowError):
            pass
        return _slow(values, null, _is_integer, int, np.int64, 0)
    return None, ~null


def _to_boolean(values: Any, null: Mask) -> Converted:
    if is_bool_dtype(values.dtype):
        return _cast(values, np.bool_, False, null), _no(null)
    if _is_objectish(values.dtype):
        if infer_dtype(values, skipna=True) in ("boolean", "empty"):
            return _cast(values, np.bool_, False, null), _no(null)
        return _slow(values, null, _is_bool, bool, np.bool_, False)
    return None, ~null


def _to_string(values: Any, null: Mask) -> Converted:
    if isinstance(values.dtype, pd.StringDtype):
        return _cast(values, object, None, null), _no(null)
    if _is_objectish(values.dtype):
        if infer_dtype(values, skipna=True) in ("string", "empty"):
            return np.asarray(values, dtype=object), _no(null)
        return _slow(values, null, lambda v: isinstance(v, str), lambda v: v, object, None)
    return None, ~null


def _to_datetime(values: Any, null: Mask) -> Converted:
    if is_datetime64_any_dtype(values.dtype):
        return _naive_utc(pd.to_datetime(values, utc=True)), _no(null)
    if _is_objectish(values.dtype):
        kind = infer_dtype(values, skipna=True)
        if kind in ("datetime", "datetime64", "date", "string", "empty"):
            try:
                parsed = pd.to_datetime(values, format="ISO8601", utc=True, errors="coerce")
            except (TypeError, ValueError, OverflowError):
                pass
            else:
                bad = ~null & np.asarray(parsed.isna(), dtype=np.bool_)
                return _naive_utc(parsed), bad
        return _slow_datetime(values, null)
    return None, ~null


_CONVERTERS: dict[DType, Callable[[Any, Mask], Converted]] = {
    "integer": _to_integer,
    "float": _to_float,
    "boolean": _to_boolean,
    "string": _to_string,
    "datetime": _to_datetime,
}


# -- helpers -------------------------------------------------------------------------------


def _no(null: Mask) -> Mask:
    return np.zeros(len(null), dtype=np.bool_)


def _cast(values: Any, dtype: Any, fill: Any, null: Mask) -> Any:
    """``values`` as a NumPy array of ``dtype``, with null rows set to ``fill`` first."""
    if isinstance(values, np.ndarray):
        if null.any():
            values = values.copy()
            values[null] = fill
        return values.astype(dtype, copy=False)
    return values.to_numpy(dtype=dtype, na_value=fill)


def _all_null(dtype: DType, size: int) -> Any:
    if dtype == "float":
        return np.full(size, np.nan)
    if dtype == "integer":
        return np.zeros(size, dtype=np.int64)
    if dtype == "boolean":
        return np.zeros(size, dtype=np.bool_)
    if dtype == "datetime":
        return np.full(size, np.datetime64("NaT"), dtype="datetime64[ns]")
    return np.full(size, None, dtype=object)


def _is_objectish(dtype: Any) -> bool:
    return getattr(dtype, "kind", "") == "O" or is_string_dtype(dtype)


def _integral(values: NDArray[np.float64], null: Mask) -> Converted:
    with np.errstate(invalid="ignore"):
        whole = np.isfinite(values) & (values == np.trunc(values)) & (np.abs(values) < 2.0**63)
    bad = ~null & ~whole
    return np.where(whole, values, 0.0).astype(np.int64), bad


def _naive_utc(parsed: pd.DatetimeIndex) -> Any:
    return parsed.tz_convert("UTC").tz_localize(None).to_numpy()


def _slow(
    values: Any,
    null: Mask,
    accept: Callable[[Any], bool],
    cast: Callable[[Any], Any],
    dtype: Any,
    fill: Any,
) -> Converted:
    """The per-row pass, reached only when the vectorised checks found something odd."""
    items = np.asarray(values, dtype=object)
    bad = np.fromiter(
        (not n and not accept(v) for v, n in zip(items, null, strict=True)),
        dtype=np.bool_,
        count=len(items),
    )
    if bad.any():
        return None, bad
    out = [fill if n else cast(v) for v, n in zip(items, null, strict=True)]
    return np.array(out, dtype=dtype), bad


def _slow_datetime(values: Any, null: Mask) -> Converted:
    """Per-row parsing for columns that mix datetime objects and ISO 8601 strings."""
    items = np.asarray(values, dtype=object)
    out = np.full(len(items), np.datetime64("NaT"), dtype="datetime64[ns]")
    bad = np.zeros(len(items), dtype=np.bool_)
    for row, (value, is_null) in enumerate(zip(items, null, strict=True)):
        if not is_null:
            stamp = _timestamp(value)
            if stamp is None:
                bad[row] = True
            else:
                out[row] = stamp.to_datetime64()
    return (None if bad.any() else out), bad


def _timestamp(value: Any) -> pd.Timestamp | None:
    try:
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        if not isinstance(value, dt.date | np.datetime64):
            return None
        stamp = pd.Timestamp(value)
    except (ValueError, OverflowError):
        return None
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool | np.bool_)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not _is_bool(value)


def _is_integer(value: Any) -> bool:
    if _is_bool(value):
        return False
    if isinstance(value, int | np.integer):
        return -_INT64_LIMIT <= int(value) < _INT64_LIMIT
    if isinstance(value, float | np.floating):
        number = float(value)
        return math.isfinite(number) and number.is_integer() and abs(number) < 2.0**63
    return False


def _finish(spec: ColumnSpec, values: Any, null: Mask) -> Any:
    if spec.dtype == "integer" and spec.nullable:
        return pd.arrays.IntegerArray(values, null.copy())
    if spec.dtype == "boolean" and spec.nullable:
        return pd.arrays.BooleanArray(values, null.copy())
    return values
