"""A dataset's schema: each column's logical dtype, physical Arrow type, nullability and, for
categorical columns, its levels.

Logical dtypes are the vocabulary of expectations and reports:

    integer   int8 … int64, uint8 … uint64
    float     float16, float32, float64
    decimal   decimal128, decimal256
    boolean   bool
    string    string, large_string, string_view
    category  dictionary-encoded values (a pandas ``category``, a polars ``Categorical``)
    datetime  timestamp of any unit, with or without a time zone
    date      date32, date64
    null      a column with no values at all

Anything else (lists, structs, maps, binary, durations, times) is not supported: it raises a
:class:`DataError` naming the column.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from shipyard.data.errors import DataError
from shipyard.data.logical import LOGICAL_TYPES as LOGICAL_TYPES, LogicalType

MAX_LEVELS = 1000
"""Categorical levels kept in a schema; a column with more is still profiled, not listed."""


def logical_type(arrow_type: pa.DataType) -> LogicalType | None:
    """The logical dtype of an Arrow type, or None when Shipyard does not support it."""
    t = pa.types
    if t.is_integer(arrow_type):
        return "integer"
    if t.is_floating(arrow_type):
        return "float"
    if t.is_decimal(arrow_type):
        return "decimal"
    if t.is_boolean(arrow_type):
        return "boolean"
    if t.is_string(arrow_type) or t.is_large_string(arrow_type) or t.is_string_view(arrow_type):
        return "string"
    if t.is_dictionary(arrow_type):
        value = logical_type(arrow_type.value_type)
        return "category" if value in ("string", "integer", "boolean") else None
    if t.is_timestamp(arrow_type):
        return "datetime"
    if t.is_date(arrow_type):
        return "date"
    if t.is_null(arrow_type):
        return "null"
    return None


def check_supported(schema: pa.Schema, *, source: str) -> None:
    """Raise DataError unless every column has a supported type and names are unique."""
    if len(schema) == 0:
        raise DataError(f"{source} has no columns.", hint="Pass a table with at least one column.")
    names = list(schema.names)
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise DataError(
            f"{source} has duplicated column names: {', '.join(map(repr, duplicated))}.",
            hint="Rename the columns so that each name appears once.",
        )
    bad = [f"{f.name!r} ({f.type})" for f in schema if logical_type(f.type) is None]
    if bad:
        raise DataError(
            f"{source} has columns of unsupported types: {', '.join(bad)}.",
            hint="Supported: integer, float, decimal, boolean, string, category, datetime and "
            "date columns. Convert the others (e.g. lists to strings) or drop them.",
        )


@dataclass(frozen=True)
class ColumnSchema:
    name: str
    dtype: LogicalType
    type: str  # the Arrow type, e.g. int64 or timestamp[ns, tz=UTC]
    nullable: bool  # whether the data has at least one null
    categories: tuple[Any, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "dtype": self.dtype,
            "type": self.type,
            "nullable": self.nullable,
            "categories": None if self.categories is None else list(self.categories),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ColumnSchema:
        categories = data.get("categories")
        return cls(
            name=str(data["name"]),
            dtype=data["dtype"],
            type=str(data.get("type", data["dtype"])),
            nullable=bool(data.get("nullable", True)),
            categories=None if categories is None else tuple(categories),
        )


@dataclass(frozen=True)
class DatasetSchema:
    columns: tuple[ColumnSchema, ...] = field(default_factory=tuple)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> ColumnSchema:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {"columns": [c.to_dict() for c in self.columns]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DatasetSchema:
        return cls(tuple(ColumnSchema.from_dict(c) for c in data.get("columns", [])))


class SchemaBuilder:
    """Builds a :class:`DatasetSchema` while record batches stream past."""

    def __init__(self, schema: pa.Schema) -> None:
        self._schema = schema
        self._nulls = [False] * len(schema)
        self._levels: list[dict[Any, None] | None] = [
            {} if pa.types.is_dictionary(f.type) else None for f in schema
        ]

    def update(self, batch: pa.RecordBatch) -> None:
        for i, column in enumerate(batch.columns):
            if not self._nulls[i] and column.null_count:
                self._nulls[i] = True
            levels = self._levels[i]
            if levels is not None and len(levels) <= MAX_LEVELS:
                for value in column.dictionary.to_pylist():
                    levels.setdefault(value, None)

    def build(self) -> DatasetSchema:
        columns = []
        for i, f in enumerate(self._schema):
            levels = self._levels[i]
            dtype = logical_type(f.type)
            assert dtype is not None  # checked by check_supported before streaming
            kept = None if levels is None or len(levels) > MAX_LEVELS else tuple(levels)
            columns.append(ColumnSchema(f.name, dtype, str(f.type), self._nulls[i], kept))
        return DatasetSchema(tuple(columns))


def schema_of(table: pa.Table | pa.RecordBatch | Iterable[pa.RecordBatch]) -> DatasetSchema:
    """The schema of an in-memory table (or of batches sharing one schema)."""
    batches = table.to_batches() if isinstance(table, pa.Table) else table
    if isinstance(batches, pa.RecordBatch):
        batches = [batches]
    builder: SchemaBuilder | None = None
    for batch in batches:
        builder = builder or SchemaBuilder(batch.schema)
        builder.update(batch)
    if builder is None:
        assert isinstance(table, pa.Table)
        builder = SchemaBuilder(table.schema)
    return builder.build()
