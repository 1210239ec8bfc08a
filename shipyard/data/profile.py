"""A dataset's profile: per column, what its values look like, computed in one streaming pass.

Every column records its row count, nulls and null rate. Then, by kind:

- ``numeric`` (integer, float, decimal): min, max, mean, std, NaN and infinite counts,
  quantiles (every 0.5 %, finer in the tails), a 20-bin histogram, decile bins with their
  exact proportions (the PSI bins), and for columns of at most 30 distinct values the count
  of each value;
- ``categorical`` (string, category, boolean): distinct count, the 1,000 most frequent values
  with their counts and the count of all others, string length range;
- ``datetime`` (datetime, date): earliest and latest value.

That is enough to compare a later sample with this data without its rows (see ``drift``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shipyard.data.logical import NUMERIC
from shipyard.data.schema import logical_type
from shipyard.data.sketch import Distribution, NumericSketch

HISTOGRAM_BINS = 20
PSI_BINS = 10
TOP_VALUES = 1000
CARDINALITY_LIMIT = 20_000
"""Exact value counting stops beyond this many distinct values (the column is then an id-like
column: its distinct count is reported as a lower bound and it is not compared for drift)."""
NUMERIC_BUDGET = 16_000_000
"""Values of all numeric columns held for exact quantiles before blocks are summarised."""

_TAIL = np.array([0.0, 1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 2e-3, 3.5e-3, 5e-3, 7.5e-3])
PROBABILITIES = np.unique(np.concatenate([_TAIL, np.linspace(0.01, 0.99, 197), 1.0 - _TAIL]))
"""Where quantiles are kept: every 0.5 % in [1 %, 99 %], and closer together in the tails so
that distances such as Wasserstein's stay accurate for heavy-tailed columns."""


def column_kind(arrow_type: pa.DataType) -> str:
    logical = logical_type(arrow_type)
    if logical in NUMERIC:
        return "numeric"
    if logical in ("string", "category", "boolean"):
        return "categorical"
    if logical in ("datetime", "date"):
        return "datetime"
    return "null"


class Profiler:
    """Feed record batches with :meth:`update`; :meth:`finish` returns the profile dict."""

    def __init__(self, schema: pa.Schema) -> None:
        kinds = [column_kind(f.type) for f in schema]
        budget = NUMERIC_BUDGET // max(1, kinds.count("numeric"))
        self._rows = 0
        self._columns: list[_Column] = []
        for f, kind in zip(schema, kinds, strict=True):
            if kind == "numeric":
                self._columns.append(_Numeric(f, budget))
            elif kind == "categorical":
                self._columns.append(_Categorical(f))
            elif kind == "datetime":
                self._columns.append(_Datetime(f))
            else:
                self._columns.append(_Column(f))

    def update(self, batch: pa.RecordBatch) -> None:
        self._rows += batch.num_rows
        for column, array in zip(self._columns, batch.columns, strict=True):
            column.count_nulls(array)
            column.update(array)

    def finish(self) -> dict[str, Any]:
        return {
            "rows": self._rows,
            "probabilities": PROBABILITIES.tolist(),
            "columns": {c.name: {**c.base(self._rows), **c.finish()} for c in self._columns},
        }


def profile_table(table: pa.Table) -> dict[str, Any]:
    """The profile of an in-memory table."""
    profiler = Profiler(table.schema)
    for batch in table.to_batches():
        profiler.update(batch)
    return profiler.finish()


class _Column:
    kind = "null"

    def __init__(self, field: pa.Field) -> None:
        self.name = field.name
        self.dtype = logical_type(field.type)
        self.nulls = 0

    def count_nulls(self, array: pa.Array) -> None:
        self.nulls += array.null_count

    def update(self, array: pa.Array) -> None:
        pass

    def base(self, rows: int) -> dict[str, Any]:
        return {
            "dtype": self.dtype,
            "kind": self.kind,
            "count": rows,
            "nulls": self.nulls,
            "null_rate": self.nulls / rows if rows else 0.0,
        }

    def finish(self) -> dict[str, Any]:
        return {}


class _Numeric(_Column):
    kind = "numeric"

    def __init__(self, field: pa.Field, budget: int) -> None:
        super().__init__(field)
        self._sketch = NumericSketch(budget)
        self._nan = self._inf = 0
        self._n, self._mean, self._m2 = 0, 0.0, 0.0

    def update(self, array: pa.Array) -> None:
        values = finite_values(array)
        if values.nan or values.inf:
            self._nan += values.nan
            self._inf += values.inf
        x = values.values
        if not len(x):
            return
        n, mean = len(x), float(x.mean())
        m2 = float(np.square(x - mean).sum())
        total = self._n + n
        delta = mean - self._mean
        self._mean += delta * n / total
        self._m2 += m2 + delta * delta * self._n * n / total
        self._n = total
        self._sketch.add(x)

    def finish(self) -> dict[str, Any]:
        summary, counts = self._sketch.distribution()
        result: dict[str, Any] = {"nan": self._nan, "infinite": self._inf, "valid": self._n}
        if summary is None:
            return result
        std = float(np.sqrt(self._m2 / (self._n - 1))) if self._n > 1 else 0.0
        result.update(
            min=float(summary.values[0]), max=float(summary.values[-1]), mean=self._mean,
            std=std, exact=summary.exact,
            distinct=int(np.count_nonzero(np.diff(summary.values)) + 1) if summary.exact else None,
            quantiles=summary.quantiles(PROBABILITIES).tolist(),
            histogram=_histogram(summary), bins=psi_bins(summary),
            values=None if counts is None else
            {"values": counts[0].tolist(), "counts": counts[1].astype(np.int64).tolist()},
        )  # fmt: skip
        return result


class _Categorical(_Column):
    kind = "categorical"

    def __init__(self, field: pa.Field) -> None:
        super().__init__(field)
        self._counts: dict[Any, int] | None = {}
        self._lengths: list[int] = []
        self._strings = logical_type(field.type) == "string"

    def update(self, array: pa.Array) -> None:
        if self._strings and len(array) > array.null_count:
            lengths = pc.min_max(pc.utf8_length(array))
            self._lengths += [lengths["min"].as_py(), lengths["max"].as_py()]
        if self._counts is None:
            return
        for value, count in value_counts(array).items():
            self._counts[value] = self._counts.get(value, 0) + count
        if len(self._counts) > CARDINALITY_LIMIT:
            self._counts = None

    def finish(self) -> dict[str, Any]:
        result: dict[str, Any] = {}
        if self._lengths:
            result["length"] = {"min": min(self._lengths), "max": max(self._lengths)}
        if self._counts is None:
            result.update(distinct=CARDINALITY_LIMIT, distinct_exact=False, frequencies=None)
            return result
        ordered = sorted(self._counts.items(), key=lambda item: (-item[1], str(item[0])))
        top = ordered[:TOP_VALUES]
        result.update(
            distinct=len(ordered), distinct_exact=True,
            frequencies={"values": [v for v, _ in top], "counts": [c for _, c in top]},
            other=sum(c for _, c in ordered[TOP_VALUES:]),
        )  # fmt: skip
        return result


class _Datetime(_Column):
    kind = "datetime"

    def __init__(self, field: pa.Field) -> None:
        super().__init__(field)
        self._low: Any = None
        self._high: Any = None

    def update(self, array: pa.Array) -> None:
        if len(array) == array.null_count:
            return
        found = pc.min_max(array)
        low, high = found["min"].as_py(), found["max"].as_py()
        self._low = low if self._low is None else min(self._low, low)
        self._high = high if self._high is None else max(self._high, high)

    def finish(self) -> dict[str, Any]:
        if self._low is None:
            return {}
        return {"min": self._low.isoformat(), "max": self._high.isoformat()}


class FiniteValues:
    def __init__(self, values: np.ndarray, nan: int, inf: int) -> None:
        self.values, self.nan, self.inf = values, nan, inf


def finite_values(array: pa.Array | pa.ChunkedArray) -> FiniteValues:
    """The finite, non-null values of a numeric column as float64, and how many were NaN or
    infinite."""
    if array.null_count:
        array = array.drop_null()
    if not pa.types.is_float64(array.type):
        array = pc.cast(array, pa.float64())
    values = np.asarray(array.to_numpy(zero_copy_only=False), dtype=np.float64)
    finite = np.isfinite(values)
    if finite.all():
        return FiniteValues(values, 0, 0)
    nan = int(np.isnan(values).sum())
    return FiniteValues(values[finite], nan, int(len(values) - finite.sum() - nan))


def value_counts(array: pa.Array | pa.ChunkedArray) -> dict[Any, int]:
    """Counts of each non-null value (categories, strings or booleans)."""
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode() if isinstance(array, pa.Array) else pc.cast(
            array, array.type.value_type
        )  # fmt: skip
    counted = pc.value_counts(array)
    values = counted.field("values").to_pylist()
    counts = counted.field("counts").to_pylist()
    return {v: c for v, c in zip(values, counts, strict=True) if v is not None}


def _histogram(summary: Distribution) -> dict[str, list[float]]:
    low, high = float(summary.values[0]), float(summary.values[-1])
    if low == high:
        return {"edges": [low, high], "counts": [summary.total]}
    edges = np.linspace(low, high, HISTOGRAM_BINS + 1)
    at_most = summary.count_at_most(edges)
    counts = np.diff(at_most)
    counts[0] += at_most[0]  # the first bin is closed on the left: it holds the minimum
    return {"edges": edges.tolist(), "counts": np.round(counts).tolist()}


def psi_bins(summary: Distribution) -> dict[str, list[float]]:
    """Decile bins of the reference: inner edges (bins are (-inf, e1], (e1, e2], …, (ek, inf))
    and the share of values in each."""
    inner = np.unique(summary.quantiles(np.linspace(0, 1, PSI_BINS + 1)[1:-1]))
    inner = inner[inner < summary.values[-1]] if len(inner) else inner
    at_most = summary.count_at_most(inner)
    counts = np.diff(np.concatenate([[0.0], at_most, [summary.total]]))
    return {"edges": inner.tolist(), "proportions": (counts / summary.total).tolist()}
