"""A starting set of expectations inferred from a dataset's schema and profile, to be read,
edited and kept in ``shipyard.yaml``: every column with its dtype, not-null where no null was
seen, the observed range of numbers, the levels of columns with few distinct values, and
uniqueness for id-like columns."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from shipyard.data.config import SECTION
from shipyard.data.expectations import Column, Expectations, RowBounds
from shipyard.data.schema import DatasetSchema

ALLOWED_LIMIT = 20
"""A string or category column with at most this many distinct values gets ``allowed``."""


def infer_expectations(schema: DatasetSchema, profile: Mapping[str, Any] | None) -> Expectations:
    columns = {c.name: _column(c.name, c.dtype, c.nullable, profile) for c in schema.columns}
    return Expectations(
        columns=columns, rows=RowBounds(min=1), extra_columns="forbid", missing_columns="forbid"
    )


def _column(name: str, dtype: str, nullable: bool, profile: Mapping[str, Any] | None) -> Column:
    rules: dict[str, Any] = {"dtype": dtype}
    if not nullable and dtype != "null":
        rules["nullable"] = False
    stats = (profile or {}).get("columns", {}).get(name, {})
    rows = stats.get("count")
    if stats.get("kind") == "numeric" and stats.get("min") is not None:
        integral = dtype == "integer"
        rules["min"] = int(stats["min"]) if integral else stats["min"]
        rules["max"] = int(stats["max"]) if integral else stats["max"]
        if integral and not nullable and stats.get("distinct") == rows and rows and rows > 1:
            rules["unique"] = True
    if stats.get("kind") == "categorical" and dtype != "boolean" and stats.get("distinct_exact"):
        distinct = stats.get("distinct", 0)
        frequencies = stats.get("frequencies") or {}
        if 0 < distinct <= ALLOWED_LIMIT:
            rules["allowed"] = sorted(frequencies.get("values", []), key=str)
        elif distinct == rows and not nullable and rows and rows > 1:
            rules["unique"] = True
    return Column(**rules)


def render_yaml(name: str, expectations: Expectations, *, source: str | None = None) -> str:
    """The expectations as a ``datasets:`` section, ready for shipyard.yaml."""
    header = [
        f"# Expectations for dataset {name!r}, inferred by `shipyard data infer-schema`"
        + (f" from {source}" if source else "") + ".",
        "# A starting point: widen ranges and allowed values where new data may differ, then",
        "# keep this under `datasets:` in shipyard.yaml (or pass it with --expectations).",
    ]  # fmt: skip
    body = yaml.safe_dump(
        {SECTION: {name: expectations.to_document()}}, sort_keys=False, allow_unicode=True
    )
    return "\n".join(header) + "\n" + body
