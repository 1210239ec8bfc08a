"""The parts of a signature: one input column, and the model's output.

Both are plain frozen dataclasses that round-trip through JSON-ready dictionaries, so a
signature stored in a manifest or the metadata store reads back exactly as it was written.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias, cast, get_args

from shipyard.core.errors import ModelError

DType: TypeAlias = Literal["integer", "float", "boolean", "string", "datetime"]
"""The logical type of an input column."""

DTYPES: tuple[DType, ...] = get_args(DType)

Category: TypeAlias = str | int | float | bool
"""One categorical level of a column."""


@dataclass(frozen=True)
class ColumnSpec:
    """One input column: its name, logical type, whether it may be null, and what it may hold.

    ``categories`` (when set) lists every value the column may take; ``minimum`` and ``maximum``
    (when set) bound a numeric column. All of them are enforced by ``Signature.prepare``.
    """

    name: str
    dtype: DType
    nullable: bool = False
    categories: tuple[Category, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ModelError(f"A signature column needs a non-empty name, got {self.name!r}.")
        if self.dtype not in DTYPES:
            raise ModelError(
                f"Column {self.name!r} has dtype {self.dtype!r}; use one of {', '.join(DTYPES)}."
            )
        if self.categories is not None and not isinstance(self.categories, tuple):
            object.__setattr__(self, "categories", tuple(self.categories))
        for bound in (self.minimum, self.maximum):
            if bound is not None and (not isinstance(bound, int | float) or math.isnan(bound)):
                raise ModelError(f"Column {self.name!r} has a bound that is not a number.")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary of this column."""
        return {
            "name": self.name,
            "dtype": self.dtype,
            "nullable": self.nullable,
            "categories": None if self.categories is None else list(self.categories),
            "minimum": self.minimum,
            "maximum": self.maximum,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ColumnSpec:
        """Read a column written by :meth:`to_dict`; a malformed one raises ModelError."""
        if not isinstance(data, Mapping) or "name" not in data or "dtype" not in data:
            raise ModelError(f"A signature column must have a name and a dtype, got {data!r}.")
        categories = data.get("categories")
        if categories is not None and not isinstance(categories, Sequence):
            raise ModelError(f"Column {data['name']!r} has categories that are not a list.")
        return cls(
            name=data["name"],
            dtype=cast(DType, data["dtype"]),
            nullable=bool(data.get("nullable", False)),
            categories=None if categories is None else tuple(categories),
            minimum=data.get("minimum"),
            maximum=data.get("maximum"),
        )


@dataclass(frozen=True)
class OutputSpec:
    """What ``predict`` returns for a batch.

    ``dtype`` is the logical type of the values (one of the input dtypes, or ``"mixed"``).
    ``width`` is ``None`` for one value per row, or the number of values per row for a 2-D
    output; ``columns`` names them when the model returns a DataFrame. ``classes`` lists a
    classifier's labels.
    """

    name: str = "prediction"
    dtype: str = "float"
    width: int | None = None
    columns: tuple[str, ...] | None = None
    classes: tuple[Category, ...] | None = None

    def __post_init__(self) -> None:
        if self.columns is not None and not isinstance(self.columns, tuple):
            object.__setattr__(self, "columns", tuple(self.columns))
        if self.classes is not None and not isinstance(self.classes, tuple):
            object.__setattr__(self, "classes", tuple(self.classes))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary of this output."""
        return {
            "name": self.name,
            "dtype": self.dtype,
            "width": self.width,
            "columns": None if self.columns is None else list(self.columns),
            "classes": None if self.classes is None else list(self.classes),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OutputSpec:
        """Read an output written by :meth:`to_dict`; a malformed one raises ModelError."""
        if not isinstance(data, Mapping):
            raise ModelError(f"A signature output must be an object, got {data!r}.")
        columns = data.get("columns")
        classes = data.get("classes")
        return cls(
            name=str(data.get("name", "prediction")),
            dtype=str(data.get("dtype", "float")),
            width=data.get("width"),
            columns=None if columns is None else tuple(columns),
            classes=None if classes is None else tuple(classes),
        )
