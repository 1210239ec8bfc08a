"""Expectations: what a dataset must look like, declared in Python or in ``shipyard.yaml``.

In Python::

    from shipyard.data import Check, Column, Expectations

    expectations = Expectations(
        columns={
            "tenure_months": Column(dtype="integer", nullable=False, min=0, max=120),
            "plan": Column(dtype="string", allowed=["basic", "standard", "premium"]),
            "customer_id": Column(unique=True, regex=r"C[0-9]{6}"),
        },
        rows={"min": 1000},
        extra_columns="forbid",
        checks=[Check("charges_positive", lambda s: s > 0, column="monthly_charges")],
    )

In ``shipyard.yaml`` the same, under the dataset's name (custom checks are Python only)::

    datasets:
      churn-train:
        rows: {min: 1000}
        extra_columns: forbid        # allow (default) | forbid
        missing_columns: forbid      # forbid (default) | allow
        columns:
          tenure_months: {dtype: integer, nullable: false, min: 0, max: 120}
          plan: {dtype: string, allowed: [basic, standard, premium]}
          customer_id: {unique: true, regex: "C[0-9]{6}"}

Column rules: ``dtype`` (a logical dtype, or ``number`` for any numeric one), ``nullable``
(false: no nulls, and no NaN), ``min``/``max`` (inclusive bounds: numbers, or dates and times
for datetime columns), ``allowed`` (the set of permitted values), ``unique`` and ``regex`` (the
whole string must match; RE2 syntax). A rule left out is not checked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import orjson
from pydantic import ConfigDict, Field, field_validator, model_validator

from shipyard.core.declared import Declared
from shipyard.core.hashing import sha256_bytes
from shipyard.data.logical import LOGICAL_TYPES

Bound = float | int | dt.datetime | dt.date
Value = str | int | float | bool
DTYPE_NAMES = (*LOGICAL_TYPES, "number")


@dataclass(frozen=True)
class Check:
    """A custom vectorised check. ``fn`` gets the column as a pandas Series (or, without
    ``column``, the whole table as a pandas DataFrame) and returns a boolean mask of the rows
    that pass, or one boolean for the whole table."""

    name: str
    fn: Callable[[Any], Any]
    column: str | None = None
    description: str | None = None


class Column(Declared):
    """The rules for one column; each left as None is not checked."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dtype: str | None = Field(default=None, description="Logical dtype, or 'number'.")
    nullable: bool | None = Field(default=None, description="false: no nulls (nor NaN).")
    min: Bound | None = Field(default=None, description="Smallest allowed value (inclusive).")
    max: Bound | None = Field(default=None, description="Largest allowed value (inclusive).")
    allowed: list[Value] | None = Field(default=None, description="Every value it may take.")
    unique: bool = Field(default=False, description="No value appears twice.")
    regex: str | None = Field(default=None, description="Each string matches it whole (RE2).")

    @field_validator("dtype")
    @classmethod
    def _known_dtype(cls, value: str | None) -> str | None:
        if value is not None and value not in DTYPE_NAMES:
            raise ValueError(f"must be one of {', '.join(DTYPE_NAMES)}")
        return value

    @model_validator(mode="after")
    def _ordered_bounds(self) -> Column:
        if self.min is not None and self.max is not None:
            try:
                wrong = self.min > self.max  # type: ignore[operator]
            except TypeError:
                raise ValueError("min and max must be of the same kind") from None
            if wrong:
                raise ValueError(f"min {self.min} is greater than max {self.max}")
        return self


class RowBounds(Declared):
    model_config = ConfigDict(extra="forbid", frozen=True)

    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)


class Expectations(Declared):
    """What a dataset must look like: column rules, row-count bounds, the column-set policy
    and custom checks."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    columns: dict[str, Column] = Field(default_factory=dict)
    rows: RowBounds | None = None
    extra_columns: Literal["allow", "forbid"] = "allow"
    missing_columns: Literal["allow", "forbid"] = "forbid"
    checks: list[Check] = Field(default_factory=list, exclude=True)

    def to_document(self) -> dict[str, Any]:
        """The YAML/JSON form (custom checks are code and are left out)."""
        document: dict[str, Any] = {}
        if self.rows is not None:
            document["rows"] = self.rows.model_dump(exclude_none=True)
        document["extra_columns"] = self.extra_columns
        document["missing_columns"] = self.missing_columns
        document["columns"] = {
            name: column.model_dump(exclude_none=True, exclude_defaults=True)
            for name, column in self.columns.items()
        }
        return document

    def fingerprint(self) -> str:
        """A SHA-256 of the declared rules (custom checks by name), stored with results."""
        document = {**self.to_document(), "checks": [[c.name, c.column] for c in self.checks]}
        return sha256_bytes(orjson.dumps(document, option=orjson.OPT_SORT_KEYS, default=str))
