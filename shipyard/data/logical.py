"""The logical column types of Shipyard's schemas, without the Arrow machinery that maps
physical types onto them (so configuration can be validated without importing pyarrow)."""

from __future__ import annotations

from typing import Literal, TypeAlias, get_args

LogicalType: TypeAlias = Literal[
    "integer", "float", "decimal", "boolean", "string", "category", "datetime", "date", "null"
]
LOGICAL_TYPES: tuple[str, ...] = get_args(LogicalType)
NUMERIC: frozenset[str] = frozenset({"integer", "float", "decimal"})
