"""Tensor inputs: a model that takes one N-D array of a fixed dtype, batched on the first axis.

A tensor signature keeps the table machinery: its columns are the tensor's values flattened in
row-major order (``f0`` … ``fK-1``, as for any NumPy example), so every payload, the batch
engines and the prediction log see rows of numbers. The :class:`TensorSpec` beside them records
the dtype and the shape, ``-1`` for the dynamic batch axis. Input given as an N-D array (or a
PyTorch tensor, or nested lists) is checked against that shape before it is flattened, and a
flavor turns a validated frame back into an array of the declared shape and dtype with
:func:`frame_to_tensor`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shipyard.core.errors import FieldProblem, ModelError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

BATCH = -1
"""The size recorded for the dynamic batch axis."""

TENSOR_ATTR = "shipyard_tensor"
"""The ``DataFrame.attrs`` key under which a prepared frame carries its TensorSpec."""

_DTYPES = (
    "float16", "float32", "float64", "int8", "int16", "int32", "int64",
    "uint8", "uint16", "uint32", "uint64", "bool",
)  # fmt: skip


@dataclass(frozen=True)
class TensorSpec:
    """One input tensor: its NumPy dtype name and shape, with ``-1`` for the batch axis."""

    dtype: str
    shape: tuple[int, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.shape, tuple):
            object.__setattr__(self, "shape", tuple(self.shape))
        if self.dtype not in _DTYPES:
            raise ModelError(
                f"A tensor input has dtype {self.dtype!r}; use one of {', '.join(_DTYPES)}."
            )
        if len(self.shape) < 2 or self.shape[0] != BATCH:
            raise ModelError(
                f"A tensor input needs a batch axis first and at least one more, got {self.shape}."
            )
        if not all(isinstance(size, int) and size > 0 for size in self.shape[1:]):
            raise ModelError(
                f"A tensor input's sizes after the batch must be positive: {self.shape}."
            )

    @property
    def width(self) -> int:
        """How many values one row of the batch holds."""
        return math.prod(self.shape[1:])

    @property
    def names(self) -> list[str]:
        """The column names of the flattened values."""
        return [f"f{i}" for i in range(self.width)]

    def describe(self) -> str:
        """The shape as a reader sees it: ``(batch, 1, 4, 4) float32``."""
        sizes = ", ".join(["batch", *(str(size) for size in self.shape[1:])])
        return f"({sizes}) {self.dtype}"

    def to_dict(self) -> dict[str, Any]:
        return {"dtype": self.dtype, "shape": list(self.shape)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TensorSpec:
        if not isinstance(data, Mapping) or not isinstance(data.get("shape"), list):
            raise ModelError(f"A tensor input must have a dtype and a shape, got {data!r}.")
        return cls(dtype=str(data.get("dtype")), shape=tuple(data["shape"]))


def as_array(data: Any) -> Any:
    """``data`` as a NumPy array when it is a PyTorch tensor; anything else unchanged."""
    if type(data).__module__.startswith("torch") and callable(getattr(data, "numpy", None)):
        return data.detach().cpu().numpy()
    return data


def infer_tensor(example: Any) -> TensorSpec | None:
    """The tensor an N-D NumPy (or PyTorch) example describes; None for tables and 1-D rows."""
    import numpy as np  # NumPy loads when a tensor is handled

    example = as_array(example)
    if not isinstance(example, np.ndarray) or example.dtype.names or example.ndim < 2:
        return None
    if example.dtype.name not in _DTYPES:
        return None
    return TensorSpec(example.dtype.name, (BATCH, *example.shape[1:]))


def flatten_tensor(data: Any, spec: TensorSpec) -> tuple[Any, list[FieldProblem]]:
    """Check an N-D input against ``spec`` and return it as rows of flattened values.

    Anything that is not an array of the tensor's rank (records, frames, 2-D rows) is returned
    unchanged for the table path to read.
    """
    import numpy as np  # NumPy loads when a tensor is handled

    data = as_array(data)
    if isinstance(data, list) and _depth(data) == len(spec.shape) > 2:
        try:
            data = np.asarray(data, dtype=object)
        except ValueError:
            problem = f"is not a regular array; the model takes a tensor {spec.describe()}"
            return None, [FieldProblem("input", problem)]
    if not isinstance(data, np.ndarray) or data.dtype.names:
        return data, []
    if data.ndim != len(spec.shape):
        if data.ndim > 2:
            return None, [_shape_problem(data.shape, spec)]
        return data, []  # rows of flattened values: the table path reads them
    if tuple(data.shape[1:]) != spec.shape[1:]:
        return None, [_shape_problem(data.shape, spec)]
    return data.reshape(data.shape[0], spec.width), []


def frame_to_tensor(frame: pd.DataFrame, spec: TensorSpec | None) -> np.ndarray[Any, Any]:
    """A validated frame as one array of the tensor's shape and dtype (or 2-D, without one)."""
    import numpy as np  # NumPy loads when a tensor is handled

    values = frame.to_numpy()
    if spec is None:
        return np.ascontiguousarray(values)
    return np.ascontiguousarray(values.astype(spec.dtype).reshape(len(frame), *spec.shape[1:]))


def frame_tensor(frame: pd.DataFrame) -> TensorSpec | None:
    """The TensorSpec a prepared frame carries, if its signature has one."""
    spec = frame.attrs.get(TENSOR_ATTR)
    return spec if isinstance(spec, TensorSpec) else None


def _shape_problem(shape: tuple[int, ...], spec: TensorSpec) -> FieldProblem:
    return FieldProblem(
        "input", f"has shape {tuple(shape)}; the model takes a tensor {spec.describe()}"
    )


def _depth(value: Any) -> int:
    depth = 0
    while isinstance(value, list) and value:
        depth += 1
        value = value[0]
    return depth
