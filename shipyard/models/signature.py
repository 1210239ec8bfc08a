"""A model's signature: the input columns it accepts and the output it returns.

``Signature.prepare`` is the one gate every input passes on its way to a model, online, batch
or stream: it reads any accepted input shape, checks every column strictly against the
declared type, nullability, categories and bounds, collects every problem into one
:class:`~shipyard.core.errors.InputValidationError`, and returns a DataFrame with exactly the
signature's columns, in order, with the declared types.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

import pandas as pd

from shipyard.core.errors import FieldProblem, InputValidationError, ModelError, UsageError
from shipyard.models._columns import convert_column
from shipyard.models._inference import (
    encoder_categories,
    example_frame,
    infer_column,
    infer_output,
)
from shipyard.models._inputs import raw_input
from shipyard.models.specs import Category, ColumnSpec, DType, OutputSpec
from shipyard.models.tensors import TENSOR_ATTR, TensorSpec, flatten_tensor, infer_tensor

__all__ = [
    "Category",
    "ColumnSpec",
    "DType",
    "ExtraPolicy",
    "OutputSpec",
    "Signature",
    "TensorSpec",
    "infer_inputs",
    "infer_output",
    "infer_signature",
]

ExtraPolicy = Literal["reject", "ignore"]


@dataclass(frozen=True)
class Signature:
    """The inputs a model accepts, in order, and a description of what it returns.

    ``tensor`` is set for a model that takes one N-D array: the inputs are then its values
    flattened (``f0`` …), and the spec gives the dtype and the shape they are read back into.
    """

    inputs: tuple[ColumnSpec, ...]
    outputs: OutputSpec | None = None
    tensor: TensorSpec | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.inputs, tuple):
            object.__setattr__(self, "inputs", tuple(self.inputs))
        if not self.inputs:
            raise ModelError("A signature needs at least one input column.")
        names = [spec.name for spec in self.inputs]
        duplicated = sorted({name for name in names if names.count(name) > 1})
        if duplicated:
            raise ModelError(f"A signature names input columns twice: {', '.join(duplicated)}.")
        if self.tensor is not None and names != self.tensor.names:
            raise ModelError(
                f"A tensor signature {self.tensor.describe()} needs the inputs "
                f"f0 … f{self.tensor.width - 1}, one per value of an item."
            )

    @property
    def names(self) -> list[str]:
        """The input column names, in order."""
        return [spec.name for spec in self.inputs]

    def column(self, name: str) -> ColumnSpec:
        """The spec of the input column called ``name``."""
        for spec in self.inputs:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary, as stored in the manifest."""
        data: dict[str, Any] = {
            "inputs": [spec.to_dict() for spec in self.inputs],
            "outputs": None if self.outputs is None else self.outputs.to_dict(),
        }
        if self.tensor is not None:
            data["tensor"] = self.tensor.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Signature:
        """Read a signature written by :meth:`to_dict`; a malformed one raises ModelError."""
        if not isinstance(data, Mapping) or not isinstance(data.get("inputs"), list):
            raise ModelError(f"A signature must have a list of inputs, got {data!r}.")
        outputs, tensor = data.get("outputs"), data.get("tensor")
        return cls(
            inputs=tuple(ColumnSpec.from_dict(item) for item in data["inputs"]),
            outputs=None if outputs is None else OutputSpec.from_dict(outputs),
            tensor=None if tensor is None else TensorSpec.from_dict(tensor),
        )

    def prepare(self, data: Any, *, extra: ExtraPolicy = "reject") -> pd.DataFrame:
        """Validate and convert ``data`` into a frame of exactly this signature's columns.

        ``data`` may be a DataFrame, a list of records, a dict of columns, a list of rows or a
        NumPy array. Every problem (a missing or unexpected column, a value of the wrong type,
        a null where the column is not nullable, an unknown category, a value out of bounds) is
        collected and raised together as one InputValidationError, each FieldProblem naming
        the column, and for row-level problems the row position (``age[3]``). With
        ``extra="ignore"`` columns the signature does not name are dropped instead.

        Integer columns come back as ``int64`` (``Int64`` when nullable), floats as
        ``float64`` (NaN for null), booleans as ``bool`` (``boolean`` when nullable), strings
        as objects, and datetimes as naive UTC ``datetime64[ns]``.

        With a tensor signature, an N-D array, a PyTorch tensor or nested lists are accepted
        too; their shape must match the tensor's after the batch axis. The frame returned then
        carries the TensorSpec in ``attrs`` for the flavor to rebuild the tensor.
        """
        if extra not in ("reject", "ignore"):
            raise UsageError(f"extra must be 'reject' or 'ignore', got {extra!r}.")
        if self.tensor is not None:
            data, shape_problems = flatten_tensor(data, self.tensor)
            if shape_problems:
                raise InputValidationError(shape_problems)
        raw = raw_input(data, self.names)
        if raw.fatal:
            raise InputValidationError(raw.problems)
        found = Counter(name for name, _ in raw.columns)
        problems = raw.problems + _column_problems(found, self.names, extra)
        given = {name: values for name, values in raw.columns if found[name] == 1}
        converted: dict[str, Any] = {}
        for spec in self.inputs:
            if spec.name in given and spec.name not in raw.broken:
                values, column_problems = convert_column(spec, given[spec.name])
                problems += column_problems
                converted[spec.name] = values
        if problems:
            raise InputValidationError(problems)
        frame = pd.DataFrame(converted, index=raw.index, copy=False)
        if self.tensor is not None:
            frame.attrs[TENSOR_ATTR] = self.tensor
        return frame


def _column_problems(
    found: Counter[Any], names: list[str], extra: ExtraPolicy
) -> list[FieldProblem]:
    problems = [
        FieldProblem(str(column), "is given more than once")
        for column, count in found.items()
        if count > 1
    ]
    problems += [
        FieldProblem(name, "is missing; the model's signature requires this column")
        for name in names
        if name not in found
    ]
    if extra == "reject":
        known = set(names)
        problems += [
            FieldProblem(
                str(column),
                "is not an input of this model (pass extra='ignore' to drop unknown columns)",
            )
            for column in found
            if column not in known
        ]
    return problems


def infer_inputs(input_example: Any, model: Any = None) -> tuple[ColumnSpec, ...]:
    """The input columns of a signature, inferred from an example (see :func:`infer_signature`)."""
    frame = example_frame(input_example)
    inputs = tuple(infer_column(str(name), frame[name]) for name in frame.columns)
    levels = encoder_categories(model) if model is not None else {}
    return tuple(
        replace(spec, categories=levels[spec.name])
        if spec.name in levels and spec.categories is None
        else spec
        for spec in inputs
    )


def infer_signature(input_example: Any, model: Any = None, *, predictions: Any = None) -> Signature:
    """Infer a signature from an input example (and, optionally, the fitted model).

    Each column's logical type comes from the example's dtype; a column with a null in the
    example is nullable, any other is not. A NumPy example gets columns ``f0`` … ``fN-1`` (a
    1-D array is one row). For scikit-learn models the levels of encoders that reject unknown
    values become the column's categories. The output is described from ``predictions``, or
    from ``model.predict(input_example)`` when only the model is given.
    """
    inputs = infer_inputs(input_example, model)
    if predictions is None and model is not None and callable(getattr(model, "predict", None)):
        predictions = model.predict(input_example)
    outputs = None if predictions is None else infer_output(predictions, model)
    return Signature(inputs, outputs, infer_tensor(input_example))
