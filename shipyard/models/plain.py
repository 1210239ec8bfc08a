"""Turn predictions into plain, JSON-serialisable Python values.

NumPy floats become ``float``, integers ``int``, booleans ``bool``, strings ``str``,
datetimes ISO 8601 strings, and NaN (or any other null) ``None``. A 1-D output becomes a list of
scalars, a 2-D one a list of lists, a DataFrame a list of records. Whole arrays are converted
with ``tolist()``; only object arrays (mixed Python and NumPy values) are walked element by
element.

NumPy and pandas are never imported here: a value can only be a NumPy or pandas object when
that library is already loaded, so the checks look the modules up in ``sys.modules`` (which
keeps ``import shipyard`` and every command that only reads JSON free of them).
"""

from __future__ import annotations

import datetime as dt
import math
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = ["to_plain", "to_plain_scalar"]


def to_plain(predictions: Any) -> Any:
    """``predictions`` as plain Python values; arrays, Series and frames become lists."""
    pandas = sys.modules.get("pandas")
    if pandas is not None:
        if isinstance(predictions, pandas.DataFrame):
            return _frame(predictions)
        if isinstance(predictions, pandas.Series | pandas.Index):
            return _array(predictions.to_numpy())
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(predictions, numpy.ndarray):
        return _array(predictions)
    if isinstance(predictions, list | tuple):
        return [to_plain(item) for item in predictions]
    if isinstance(predictions, dict):
        return {str(key): to_plain(value) for key, value in predictions.items()}
    return to_plain_scalar(predictions)


def to_plain_scalar(value: Any) -> Any:
    """One value as a plain Python scalar (``None`` for any null)."""
    if value is None:
        return None
    pandas = sys.modules.get("pandas")
    if pandas is not None and (value is pandas.NA or value is pandas.NaT):
        return None
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(value, numpy.generic):
        if isinstance(value, numpy.datetime64 | numpy.timedelta64):
            return _moment(value)
        value = value.item()
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, dt.datetime | dt.date):
        return _iso(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, list | tuple | dict) or _is_array_like(value, numpy, pandas):
        return to_plain(value)
    return value


def _is_array_like(value: Any, numpy: Any, pandas: Any) -> bool:
    return (numpy is not None and isinstance(value, numpy.ndarray)) or (
        pandas is not None and isinstance(value, pandas.Series | pandas.DataFrame)
    )


def _moment(value: np.datetime64 | np.timedelta64) -> Any:
    import numpy as np
    import pandas as pd

    if np.isnat(value):
        return None
    if isinstance(value, np.datetime64):
        return _iso(pd.Timestamp(value))
    return pd.Timedelta(value).total_seconds()


def _iso(value: dt.date) -> str:
    return value.isoformat()


def _array(array: np.ndarray[Any, Any]) -> list[Any]:
    import numpy as np

    kind = array.dtype.kind
    if kind == "f":
        nulls = np.isnan(array)
        if nulls.any():
            boxed = array.astype(object)
            boxed[nulls] = None
            result: list[Any] = boxed.tolist()
            return result
        result = array.tolist()
        return result
    if kind in "iub" or kind in "U":
        result = array.tolist()
        return result
    if kind == "M":
        import pandas as pd

        stamps = pd.DatetimeIndex(array.ravel())
        flat = [None if pd.isna(stamp) else stamp.isoformat() for stamp in stamps]
        return np.array(flat, dtype=object).reshape(array.shape).tolist()  # type: ignore[no-any-return]
    if kind == "m":
        return _array(array / np.timedelta64(1, "s"))
    if kind == "c":
        raise TypeError("complex predictions cannot be represented as JSON")
    # object, bytes and anything else: convert element by element
    return _walk(array.tolist()) if kind == "O" else _walk(array.astype(object).tolist())


def _walk(items: list[Any]) -> list[Any]:
    return [_walk(item) if isinstance(item, list) else to_plain_scalar(item) for item in items]


def _frame(frame: pd.DataFrame) -> list[dict[str, Any]]:
    names = [str(column) for column in frame.columns]
    columns = [_array(frame.iloc[:, i].to_numpy()) for i in range(frame.shape[1])]
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]
