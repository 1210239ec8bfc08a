"""Predictions as plain JSON types."""

from __future__ import annotations

import numpy as np
import orjson
import pandas as pd

from shipyard.models.plain import to_plain


def test_numpy_scalars_become_python_scalars() -> None:
    values = to_plain(np.array([1.5, np.nan, 2.0]))
    assert values == [1.5, None, 2.0]
    assert all(type(v) is float for v in values if v is not None)
    assert to_plain(np.array([1, 2], dtype=np.int32)) == [1, 2]
    assert type(to_plain(np.array([1]))[0]) is int
    assert to_plain(np.array([True, False])) == [True, False]
    assert to_plain(np.array(["a", "b"])) == ["a", "b"]
    assert to_plain(
        np.array([np.str_("a"), np.int64(3), None, np.float64("nan")], dtype=object)
    ) == [
        "a",
        3,
        None,
        None,
    ]


def test_shapes() -> None:
    assert to_plain(np.array([[1.0, np.nan], [3.0, 4.0]])) == [[1.0, None], [3.0, 4.0]]
    frame = pd.DataFrame(
        {"p": [0.25, np.nan], "label": ["a", "b"], "n": pd.array([1, None], dtype="Int64")}
    )
    assert to_plain(frame) == [
        {"p": 0.25, "label": "a", "n": 1},
        {"p": None, "label": "b", "n": None},
    ]
    assert to_plain(pd.Series([1.0, 2.0])) == [1.0, 2.0]


def test_datetimes_become_iso_strings() -> None:
    stamps = np.array(["2024-01-02T03:04:05", "NaT"], dtype="datetime64[ns]")
    assert to_plain(stamps) == ["2024-01-02T03:04:05", None]


def test_everything_serialises() -> None:
    mixed = pd.DataFrame({"a": np.arange(3), "b": np.linspace(0, 1, 3), "c": [True, False, True]})
    orjson.dumps(to_plain(mixed))
    orjson.dumps(to_plain(np.array([np.float32(1.5)])))
