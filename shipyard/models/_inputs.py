"""Turn any accepted input shape into raw columns (arrays), before any type checking.

Accepted: a DataFrame; a list of records (dicts); a dict of columns (or a dict of scalars,
one record); a list of rows (lists, positional); a 2-D NumPy array (positional columns) or a
1-D one (one row, or the only column); a Series (one record). Values from Python containers
are kept as objects, so no pandas guesswork (such as ints with a None becoming floats) happens
before the strict conversion. Columns are plain arrays rather than Series: for the small
batches of online serving, pandas' per-object overhead would dominate.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionDtype

from shipyard.core.errors import FieldProblem

_MAX_PROBLEMS = 20


@dataclass
class RawInput:
    """The columns found in the input, in input order (names may repeat), and what went wrong.

    ``fatal`` means the input could not be read at all; ``broken`` names columns that some
    records lack, which are reported as such rather than converted.
    """

    columns: list[tuple[Any, Any]] = field(default_factory=list)
    index: pd.Index[Any] | None = None
    problems: list[FieldProblem] = field(default_factory=list)
    broken: set[str] = field(default_factory=set)
    fatal: bool = False


def raw_input(data: Any, names: Sequence[str]) -> RawInput:
    """Shape ``data`` into raw columns, one per field it carries."""
    if isinstance(data, pd.DataFrame):
        return _frame(data)
    if isinstance(data, pd.Series):
        return _records([dict(data.items())], names)
    if isinstance(data, np.ndarray):
        return _array(data, names)
    if isinstance(data, Mapping):
        return _mapping(data, names)
    if isinstance(data, list | tuple):
        return _sequence(data, names)
    return _fail(
        "input",
        f"cannot read a {type(data).__name__}; send a DataFrame, a list of records, "
        "a dict of columns, a list of rows or a NumPy array",
    )


def _fail(field_name: str, problem: str) -> RawInput:
    return RawInput(problems=[FieldProblem(field_name, problem)], fatal=True)


def objects(values: Iterable[Any], count: int) -> np.ndarray[Any, Any]:
    """A 1-D object array of ``values``, never reinterpreting nested lists as dimensions."""
    return np.fromiter(values, dtype=object, count=count)


def column_values(series: pd.Series[Any]) -> Any:
    """A Series' values: its NumPy array, or its extension array for pandas-only dtypes."""
    if isinstance(series.dtype, ExtensionDtype):
        return series.array
    return series.to_numpy()


def _frame(frame: pd.DataFrame) -> RawInput:
    columns = [(name, column_values(frame.iloc[:, i])) for i, name in enumerate(frame.columns)]
    return RawInput(columns, index=frame.index)


def _is_vector(value: Any) -> bool:
    return isinstance(value, list | tuple | np.ndarray | pd.Series)


def _vector(values: Any) -> Any:
    if isinstance(values, pd.Series):
        return column_values(values)
    if isinstance(values, np.ndarray) and values.ndim == 1:
        return values
    return objects(values, len(values))


def _array(data: np.ndarray[Any, Any], names: Sequence[str]) -> RawInput:
    if data.dtype.names:
        return RawInput([(name, data[name]) for name in data.dtype.names])
    if data.ndim == 1:
        if len(names) == 1:
            return RawInput([(names[0], data)])
        data = data.reshape(1, -1)
    if data.ndim != 2:
        return _fail("input", f"expected a 1-D or 2-D array, got {data.ndim} dimensions")
    if data.shape[1] != len(names):
        return _fail(
            "input",
            f"the array has {data.shape[1]} columns but the signature has {len(names)} "
            f"inputs ({', '.join(names)})",
        )
    return RawInput([(name, data[:, i]) for i, name in enumerate(names)])


def _mapping(data: Mapping[Any, Any], names: Sequence[str]) -> RawInput:
    vectors = [_is_vector(value) for value in data.values()]
    if not any(vectors):
        return _records([data], names)
    if not all(vectors):
        scalars = [str(key) for key, vector in zip(data, vectors, strict=True) if not vector]
        return _fail(
            "input",
            "a dict of columns needs a list of values for every column; "
            f"got a single value for {', '.join(scalars)}",
        )
    lengths = {str(key): len(value) for key, value in data.items()}
    if len(set(lengths.values())) > 1:
        common = Counter(lengths.values()).most_common(1)[0][0]
        problems = [
            FieldProblem(key, f"has {length} values but the other columns have {common}")
            for key, length in lengths.items()
            if length != common
        ]
        return RawInput(problems=problems, fatal=True)
    return RawInput([(key, _vector(value)) for key, value in data.items()])


def _sequence(data: Sequence[Any], names: Sequence[str]) -> RawInput:
    if not data:
        return RawInput([(name, objects((), 0)) for name in names])
    if all(isinstance(item, Mapping) for item in data):
        return _records(data, names)
    if all(isinstance(item, list | tuple | np.ndarray) for item in data):
        return _rows(data, names)
    if len(names) == 1 and not any(isinstance(item, Mapping) or _is_vector(item) for item in data):
        return RawInput([(names[0], objects(data, len(data)))])
    return _fail(
        "input",
        "a list must hold only records (dicts) or only rows (lists); got a mix of both or of "
        "single values",
    )


def _records(records: Sequence[Mapping[Any, Any]], names: Sequence[str]) -> RawInput:
    count = len(records)
    first = records[0].keys()
    if all(record.keys() == first for record in records):
        return RawInput([(key, objects((r[key] for r in records), count)) for key in first])
    keys = list(dict.fromkeys(key for record in records for key in record))
    raw = RawInput([(key, objects((r.get(key) for r in records), count)) for key in keys])
    wanted = set(names)
    for key in (key for key in keys if key in wanted):
        absent = [row for row, record in enumerate(records) if key not in record]
        if absent:
            raw.broken.add(str(key))
            raw.problems += [
                FieldProblem(
                    f"{key}[{row}]", "is absent from this record; send null for a missing value"
                )
                for row in absent[:_MAX_PROBLEMS]
            ]
            if len(absent) > _MAX_PROBLEMS:
                more = len(absent) - _MAX_PROBLEMS
                raw.problems.append(FieldProblem(str(key), f"and {more} more records without it"))
    return raw


def _rows(rows: Sequence[Sequence[Any]], names: Sequence[str]) -> RawInput:
    width = len(names)
    ragged = [row for row, values in enumerate(rows) if len(values) != width]
    if ragged:
        problems = [
            FieldProblem(
                f"row[{row}]",
                f"has {len(rows[row])} values but the signature has {width} inputs "
                f"({', '.join(names)})",
            )
            for row in ragged[:_MAX_PROBLEMS]
        ]
        return RawInput(problems=problems, fatal=True)
    count = len(rows)
    return RawInput([(name, objects((r[i] for r in rows), count)) for i, name in enumerate(names)])
