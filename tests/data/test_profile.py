"""Schema and profile inference, exact for data that fits the budget and close beyond it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from shipyard.data.profile import PROBABILITIES, Profiler, profile_table
from shipyard.data.readers import read_table
from shipyard.data.schema import schema_of
from shipyard.data.sketch import NumericSketch


def test_schema_dtypes_nullability_and_levels(frame: pd.DataFrame) -> None:
    frame["tier"] = pd.Categorical(frame["plan"], categories=["basic", "standard", "premium"])
    frame.loc[0, "monthly_charges"] = np.nan
    schema = schema_of(read_table(frame))
    found = {c.name: (c.dtype, c.nullable) for c in schema.columns}
    assert found == {
        "customer_id": ("string", False), "tenure_months": ("integer", False),
        "monthly_charges": ("float", True), "support_calls": ("integer", False),
        "plan": ("string", False), "signed_up": ("datetime", False),
        "churned": ("boolean", False), "tier": ("category", False),
    }  # fmt: skip
    assert schema.column("tier").categories == ("basic", "standard", "premium")
    assert schema.column("signed_up").type == "timestamp[ns, tz=UTC]"
    assert type(schema).from_dict(schema.to_dict()) == schema


def test_numeric_profile_is_exact(frame: pd.DataFrame) -> None:
    frame.loc[:9, "monthly_charges"] = np.nan
    profile = profile_table(read_table(frame))
    assert profile["rows"] == len(frame)
    charges = profile["columns"]["monthly_charges"]
    values = frame["monthly_charges"].dropna().to_numpy()
    assert charges["nulls"] == 10 and charges["null_rate"] == pytest.approx(0.01)
    assert charges["min"] == values.min() and charges["max"] == values.max()
    assert charges["mean"] == pytest.approx(values.mean())
    assert charges["std"] == pytest.approx(values.std(ddof=1))
    assert charges["quantiles"] == pytest.approx(np.quantile(values, PROBABILITIES).tolist())
    assert sum(charges["histogram"]["counts"]) == len(values)
    assert charges["bins"]["proportions"] == pytest.approx([0.1] * 10, abs=0.002)
    assert charges["values"] is None  # many distinct values
    calls = profile["columns"]["support_calls"]
    counted = frame["support_calls"].value_counts().sort_index()
    assert calls["values"] == {"values": counted.index.astype(float).tolist(),
                               "counts": counted.tolist()}  # fmt: skip


def test_categorical_and_datetime_profiles(frame: pd.DataFrame) -> None:
    frame.loc[3, "plan"] = None
    profile = profile_table(read_table(frame))["columns"]
    plan = profile["plan"]
    counts = frame["plan"].value_counts()
    assert plan["distinct"] == 3 and plan["nulls"] == 1
    assert dict(zip(plan["frequencies"]["values"], plan["frequencies"]["counts"], strict=True)) \
        == counts.to_dict()  # fmt: skip
    assert plan["length"] == {"min": 5, "max": 8}
    assert profile["churned"]["frequencies"]["values"] == sorted(
        [True, False], key=lambda v: -int((frame["churned"] == v).sum())
    )
    assert profile["signed_up"]["min"].startswith("2024-01-01")
    assert profile["customer_id"]["distinct"] == len(frame)


def test_id_like_columns_stop_counting() -> None:
    table = pa.table({"id": [f"id-{i}" for i in range(25_000)]})
    column = profile_table(table)["columns"]["id"]
    assert column["distinct_exact"] is False and column["frequencies"] is None


def test_big_columns_are_summarised_within_a_small_rank_error() -> None:
    rng = np.random.default_rng(1)
    values = rng.lognormal(0, 1, 300_000)
    sketch = NumericSketch(budget=20_000)  # forces blocks
    for chunk in np.array_split(values, 37):
        sketch.add(chunk)
    summary, counts = sketch.distribution()
    assert summary is not None and not summary.exact and counts is None
    found = summary.quantiles(PROBABILITIES)
    ranks = np.searchsorted(np.sort(values), found) / len(values)
    assert np.abs(ranks - PROBABILITIES)[1:-1].max() < 1e-3
    assert summary.total == pytest.approx(len(values))


def test_profile_streams_over_batches() -> None:
    table = pa.table({"x": np.arange(10_000, dtype=np.float64), "c": ["a", "b"] * 5_000})
    profiler = Profiler(table.schema)
    for batch in table.to_batches(max_chunksize=333):
        profiler.update(batch)
    streamed = profiler.finish()
    assert streamed == profile_table(table)
    assert streamed["columns"]["x"]["quantiles"][-1] == 9_999
