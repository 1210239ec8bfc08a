"""Convert a scikit-learn model to ONNX, and prove the conversion predicts what the original does.

``save_package(model, ..., as_onnx=True)`` (and ``log_model``) calls :func:`convert_checked`:
skl2onnx converts the fitted estimator, with one input tensor for an all-numeric signature or
one ``[rows, 1]`` input per column otherwise (text columns as strings), and classifiers
without the ZipMap so labels come out as a tensor. Both models then predict on the input
example and, when given, the evaluation set. Numbers must agree within ``tolerance`` (relative
to their size, and absolutely below 1); labels must be equal. Otherwise the conversion is
refused with :class:`OnnxConversionError`, showing the largest difference and where it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from shipyard.core.errors import ModelError, UnsupportedModelError
from shipyard.models.flavors import get_flavor
from shipyard.models.flavors._support import require
from shipyard.models.flavors.onnx import OnnxFlavor
from shipyard.models.flavors.sklearn import SklearnFlavor
from shipyard.models.signature import Signature

DEFAULT_TOLERANCE = 1e-4
"""The relative (and, below 1, absolute) difference allowed between original and ONNX."""


class OnnxConversionError(ModelError):
    """The ONNX conversion of a model predicts differently from the model."""


@dataclass(frozen=True)
class ConversionCheck:
    """What the comparison found: rows compared, and the largest difference (0 when equal)."""

    rows: int
    largest_difference: float
    tolerance: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows_compared": self.rows,
            "largest_difference": self.largest_difference,
            "tolerance": self.tolerance,
        }


def convert_checked(
    model: Any,
    signature: Signature,
    frames: list[tuple[str, pd.DataFrame]],
    *,
    tolerance: float = DEFAULT_TOLERANCE,
) -> tuple[Any, ConversionCheck]:
    """The ONNX graph of ``model``, once it predicts as ``model`` does on every frame."""
    sklearn = SklearnFlavor()
    if not sklearn.handles(model):
        raise UnsupportedModelError(
            f"as_onnx converts scikit-learn models; this is a {type(model).__qualname__}.",
            hint="Convert it with the framework's own ONNX exporter and log the ModelProto.",
        )
    if not tolerance >= 0:
        raise ModelError(f"The ONNX tolerance must be a number ≥ 0, got {tolerance!r}.")
    graph = _convert(model, signature)
    registered = get_flavor("onnx")
    onnx = registered if isinstance(registered, OnnxFlavor) else OnnxFlavor()
    session = onnx.session(graph.SerializeToString())
    rows, largest = 0, 0.0
    for label, frame in frames:
        original = np.asarray(sklearn.predict(model, frame))
        converted = np.asarray(onnx.predict(session, frame))
        largest = max(largest, _compare(label, original, converted, tolerance))
        rows += len(frame)
    return graph, ConversionCheck(rows, largest, tolerance)


def _convert(model: Any, signature: Signature) -> Any:
    skl2onnx = require("skl2onnx", "onnx")
    types = require("skl2onnx.common.data_types", "onnx")
    numeric = all(spec.dtype in ("float", "integer", "boolean") for spec in signature.inputs)
    steps = getattr(model, "steps", None)
    first = steps[0][1] if isinstance(steps, list) and steps else model
    if numeric and not hasattr(first, "transformers_"):  # no step selects columns by name
        inputs = [("input", types.FloatTensorType([None, len(signature.inputs)]))]
    else:
        tensor = {"float": types.FloatTensorType, "integer": types.Int64TensorType,
                  "boolean": types.BooleanTensorType}  # fmt: skip
        inputs = [
            (spec.name, tensor.get(spec.dtype, types.StringTensorType)([None, 1]))
            for spec in signature.inputs
        ]
    classifier = require("sklearn.base", "onnx").is_classifier(model)
    options = {"zipmap": False} if classifier else None  # labels as a tensor, not dicts
    try:
        return skl2onnx.to_onnx(model, initial_types=inputs, options=options)
    except Exception as exc:
        raise UnsupportedModelError(
            f"skl2onnx cannot convert this {type(model).__qualname__}: {exc}",
            hint="Log the model without as_onnx, or replace the step skl2onnx does not support.",
        ) from exc


def _compare(label: str, original: Any, converted: Any, tolerance: float) -> float:
    if original.shape != converted.shape:
        raise OnnxConversionError(
            f"The ONNX conversion returns shape {converted.shape} on the {label}, "
            f"the model {original.shape}; it was not saved."
        )
    if original.dtype.kind in "fc" and converted.dtype.kind in "fiu":
        difference = np.abs(original.astype(float) - converted.astype(float))
        allowed = tolerance * np.maximum(1.0, np.abs(original.astype(float)))
        worst = int(np.argmax(difference - allowed))
        largest = float(difference.max()) if difference.size else 0.0
        if difference.size and difference.flat[worst] > allowed.flat[worst]:
            row = int(np.unravel_index(worst, difference.shape)[0])
            raise OnnxConversionError(
                f"The ONNX conversion changes predictions on the {label}: the largest "
                f"difference is {largest:.6g} (row {row}: {original.flat[worst]!r} became "
                f"{converted.flat[worst]!r}), beyond the tolerance {tolerance:g}; "
                "it was not saved.",
                hint="Log the original model, or pass a larger onnx_tolerance if that is fine.",
            )
        return largest
    differ = np.flatnonzero(original.astype(str).ravel() != converted.astype(str).ravel())
    if differ.size:
        first = int(differ[0])
        raise OnnxConversionError(
            f"The ONNX conversion changes predictions on the {label}: {differ.size} of "
            f"{original.size} labels differ (row {first}: {original.ravel()[first]!r} became "
            f"{converted.ravel()[first]!r}); it was not saved.",
            hint="Log the original model; labels must be equal after conversion.",
        )
    return 0.0
