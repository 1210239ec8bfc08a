"""Infer input columns and the output description from an example and a fitted model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import (
    infer_dtype,
    is_bool_dtype,
    is_datetime64_any_dtype,
    is_float_dtype,
    is_integer_dtype,
)

from shipyard.core.errors import ModelError
from shipyard.models.specs import Category, ColumnSpec, DType, OutputSpec
from shipyard.models.tensors import as_array

_INFERRED: dict[str, DType] = {
    "integer": "integer",
    "floating": "float",
    "mixed-integer-float": "float",
    "decimal": "float",
    "boolean": "boolean",
    "string": "string",
    "datetime": "datetime",
    "datetime64": "datetime",
    "date": "datetime",
}


def example_frame(example: Any) -> pd.DataFrame:
    """The input example as a DataFrame; NumPy columns are named ``f0`` … ``fN-1``.

    An N-D array (or a PyTorch tensor) is a batch of tensors: each item is flattened into one
    row, in row-major order.
    """
    example = as_array(example)
    if isinstance(example, np.ndarray) and example.ndim > 2 and not example.dtype.names:
        example = example.reshape(example.shape[0], -1)
    if isinstance(example, pd.DataFrame):
        frame = example
    elif isinstance(example, np.ndarray) and not example.dtype.names:
        array = example.reshape(1, -1) if example.ndim == 1 else example
        if array.ndim != 2:
            raise ModelError(f"An input example must be 1-D or 2-D, got {example.ndim} dimensions.")
        frame = pd.DataFrame(array, columns=[f"f{i}" for i in range(array.shape[1])])
    elif isinstance(example, np.ndarray | list | Mapping):
        frame = pd.DataFrame(example)
    else:
        raise ModelError(
            f"Cannot infer a signature from a {type(example).__name__}.",
            hint="Pass the input example as a pandas DataFrame, a NumPy array or records.",
        )
    bad = [repr(c) for c in frame.columns if not isinstance(c, str)]
    if bad:
        raise ModelError(
            f"Input example column names must be strings, got {', '.join(bad[:5])}.",
            hint="Rename the columns, or pass a NumPy array to get names f0, f1, ….",
        )
    if len(frame) == 0:
        raise ModelError("The input example has no rows.", hint="Pass a few real rows.")
    return frame


def infer_column(name: str, series: pd.Series[Any]) -> ColumnSpec:
    """One column's spec: its logical type, and nullable when the example holds a null."""
    nullable = bool(series.isna().any())
    categories: tuple[Category, ...] | None = None
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        levels = dtype.categories
        categories = tuple(_plain_levels(levels.to_numpy()))
        logical = _logical(name, pd.Series(levels))
    else:
        logical = _logical(name, series)
    return ColumnSpec(name, logical, nullable=nullable, categories=categories)


def _logical(name: str, series: pd.Series[Any]) -> DType:
    dtype = series.dtype
    if is_bool_dtype(dtype):
        return "boolean"
    if is_integer_dtype(dtype):
        return "integer"
    if is_float_dtype(dtype):
        return "float"
    if is_datetime64_any_dtype(dtype):
        return "datetime"
    kind = infer_dtype(series, skipna=True)
    if kind in _INFERRED:
        return _INFERRED[kind]
    if kind == "empty":
        raise ModelError(
            f"Column {name!r} of the input example holds only nulls, so its type is unknown.",
            hint="Pass an example with real values in that column, or an explicit signature.",
        )
    raise ModelError(
        f"Column {name!r} of the input example mixes types ({kind}).",
        hint="Give the column one type in the example, or pass an explicit signature.",
    )


def encoder_categories(model: Any) -> dict[str, tuple[Category, ...]]:
    """Levels of fitted encoders that reject unknown values, by the input column they read.

    Walks the straightforward scikit-learn shapes by duck typing: a Pipeline's first step, a
    fitted ColumnTransformer's transformers over named columns, and OneHotEncoder or
    OrdinalEncoder with ``handle_unknown="error"`` (the model itself would fail on an unknown
    level, so declaring the levels turns a server error into a clear validation error).
    """
    found: dict[str, tuple[Category, ...]] = {}
    _walk(model, None, found)
    return found


def _walk(
    estimator: Any, columns: list[str] | None, found: dict[str, tuple[Category, ...]]
) -> None:
    steps = getattr(estimator, "steps", None)
    if isinstance(steps, list) and steps:
        _walk(steps[0][1], columns, found)
        return
    transformers = getattr(estimator, "transformers_", None)
    if isinstance(transformers, list):
        for entry in transformers:
            if len(entry) == 3 and isinstance(entry[2], list | tuple):
                names = list(entry[2])
                if names and all(isinstance(n, str) for n in names):
                    _walk(entry[1], names, found)
        return
    levels = getattr(estimator, "categories_", None)
    if (
        columns is not None
        and isinstance(levels, list)
        and len(levels) == len(columns)
        and getattr(estimator, "handle_unknown", None) == "error"
    ):
        for column, column_levels in zip(columns, levels, strict=True):
            found[column] = tuple(_plain_levels(np.asarray(column_levels)))


def _plain_levels(levels: np.ndarray[Any, Any]) -> list[Category]:
    plain: list[Any] = levels.tolist()
    return [
        level.item() if isinstance(level, np.generic) else level
        for level in plain
        if level is not None and not (isinstance(level, float) and np.isnan(level))
    ]


def infer_output(predictions: Any, model: Any = None) -> OutputSpec:
    """Describe what ``predict`` returned for the example."""
    classes = getattr(model, "classes_", None) if model is not None else None
    plain_classes = None
    if isinstance(classes, np.ndarray) and classes.ndim == 1:
        plain_classes = tuple(_plain_levels(classes))
    if isinstance(predictions, pd.DataFrame):
        kinds = {_array_dtype(predictions[c].to_numpy()) for c in predictions.columns}
        return OutputSpec(
            dtype=kinds.pop() if len(kinds) == 1 else "mixed",
            width=predictions.shape[1],
            columns=tuple(str(c) for c in predictions.columns),
            classes=plain_classes,
        )
    name = "prediction"
    if isinstance(predictions, pd.Series) and isinstance(predictions.name, str):
        name = predictions.name
    array = np.asarray(predictions)
    width = array.shape[1] if array.ndim == 2 else None
    return OutputSpec(name=name, dtype=_array_dtype(array), width=width, classes=plain_classes)


def _array_dtype(array: np.ndarray[Any, Any]) -> str:
    kind = array.dtype.kind
    if kind == "b":
        return "boolean"
    if kind in "iu":
        return "integer"
    if kind == "f":
        return "float"
    if kind == "M":
        return "datetime"
    if kind in "US":
        return "string"
    inferred = infer_dtype(array.ravel(), skipna=True)
    return _INFERRED.get(inferred, "mixed")
