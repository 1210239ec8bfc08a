"""The ONNX flavor: a ``.onnx`` graph, run by ONNX Runtime.

Saving writes the ``ModelProto`` as ``model.onnx``. Loading opens an ONNX Runtime session on
the CPU. Its session options are settable: the manifest may carry them (``save_package(...,
extra={"onnx_session": {"intra_op_num_threads": 2}})``), an ``OnnxFlavor`` registered with
``register_flavor(OnnxFlavor(intra_op_num_threads=2), replace=True)`` overrides them for the
process, and ``SHIPYARD_ONNX_THREADS`` sets the intra-op threads of a server without code.

Inputs are cast to the graph's own input types: a graph with one input gets the whole row
(reshaped to a tensor signature's shape when there is one), a graph with one input per column
(as skl2onnx writes for a pipeline over named columns) gets each column as ``[rows, 1]``. The
first output is the prediction (labels, for a converted classifier). onnx and onnxruntime are
imported on first use; without them, loading names the ``onnx`` extra.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shipyard.core.errors import ModelError
from shipyard.models.flavors._support import installed_versions, is_instance_of, require
from shipyard.models.flavors.base import (
    Flavor,
    Prediction,
    SavedFlavor,
    Trust,
    check_serialization,
)
from shipyard.models.manifest import Manifest
from shipyard.models.tensors import frame_tensor, frame_to_tensor

if TYPE_CHECKING:
    import pandas as pd

FILE = "model.onnx"
EXTRA = "onnx"
THREADS_VARIABLE = "SHIPYARD_ONNX_THREADS"

_TYPES = {
    "tensor(float)": "float32", "tensor(double)": "float64", "tensor(float16)": "float16",
    "tensor(int64)": "int64", "tensor(int32)": "int32", "tensor(int16)": "int16",
    "tensor(int8)": "int8", "tensor(uint8)": "uint8", "tensor(bool)": "bool",
    "tensor(string)": "object",
}  # fmt: skip
_SESSION_KEYS = ("intra_op_num_threads", "inter_op_num_threads", "graph_optimization_level")
_LEVELS = {"disable": "ORT_DISABLE_ALL", "basic": "ORT_ENABLE_BASIC",
           "extended": "ORT_ENABLE_EXTENDED", "all": "ORT_ENABLE_ALL"}  # fmt: skip


@dataclass(frozen=True)
class OnnxModel:
    """A loaded ONNX graph: its session, and each input's name, NumPy type and rank."""

    session: Any
    inputs: tuple[tuple[str, str, int], ...]
    output: str


class OnnxFlavor(Flavor):
    """ONNX graphs run by ONNX Runtime, with settable session options."""

    name = "onnx"

    def __init__(
        self,
        *,
        intra_op_num_threads: int | None = None,
        inter_op_num_threads: int | None = None,
        graph_optimization_level: str | None = None,
    ) -> None:
        self.options = {
            key: value
            for key, value in zip(
                _SESSION_KEYS,
                (intra_op_num_threads, inter_op_num_threads, graph_optimization_level),
                strict=True,
            )
            if value is not None
        }

    def handles(self, model: Any) -> bool:
        return is_instance_of(model, "onnx", ("ModelProto",))

    def framework_versions(self) -> dict[str, str]:
        return {**installed_versions("onnx"), **installed_versions("onnxruntime")}

    def save(
        self, model: Any, directory: Path, *, serialization: str | None, trusted: bool
    ) -> SavedFlavor:
        chosen = check_serialization(self.name, serialization or "onnx", ("onnx",), trusted=trusted)
        (directory / FILE).write_bytes(model.SerializeToString())
        return SavedFlavor([FILE], chosen, self.framework_versions())

    def load(self, directory: Path, manifest: Manifest, *, trusted: Trust) -> Any:
        if manifest.serialization != "onnx":
            raise ModelError(
                f"The onnx flavor cannot load serialization {manifest.serialization!r}."
            )
        stored = manifest.extra.get("onnx_session") or {}
        return self.session((directory / FILE).read_bytes(), stored)

    def session(self, graph: bytes, stored: dict[str, Any] | None = None) -> OnnxModel:
        """An ONNX Runtime session over ``graph`` with this flavor's options."""
        ort = require("onnxruntime", EXTRA)
        options = ort.SessionOptions()
        settings = dict(stored or {})
        threads = os.environ.get(THREADS_VARIABLE)
        if threads:
            settings["intra_op_num_threads"] = _threads(threads)
        settings.update(self.options)
        for key, value in settings.items():
            if key not in _SESSION_KEYS:
                raise ModelError(
                    f"{key!r} is not an ONNX session option Shipyard sets.",
                    hint=f"Use {', '.join(_SESSION_KEYS)}.",
                )
            if key == "graph_optimization_level":
                if value not in _LEVELS:
                    raise ModelError(
                        f"graph_optimization_level {value!r} is not one of {', '.join(_LEVELS)}."
                    )
                value = getattr(ort.GraphOptimizationLevel, _LEVELS[value])
            try:
                setattr(options, key, value)
            except TypeError as exc:
                raise ModelError(f"The ONNX session option {key}={value!r} is invalid.") from exc
        _refuse_external_data(graph)
        try:
            session = ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
        except Exception as exc:
            raise ModelError(f"ONNX Runtime cannot open this graph: {exc}") from exc
        inputs = tuple(
            (item.name, _TYPES.get(item.type, "float32"), len(item.shape or [None, None]))
            for item in session.get_inputs()
        )
        return OnnxModel(session, inputs, session.get_outputs()[0].name)

    def predict(self, model: Any, frame: pd.DataFrame) -> Prediction:
        if not isinstance(model, OnnxModel):  # a ModelProto, before it is saved
            model = self.session(model.SerializeToString())
        result = model.session.run([model.output], _feeds(model, frame))[0]
        if result.ndim == 2 and result.shape[1] == 1:
            result = result.ravel()
        predictions: Prediction = result
        return predictions


def _feeds(model: OnnxModel, frame: pd.DataFrame) -> dict[str, Any]:
    if len(model.inputs) == 1:
        name, dtype, rank = model.inputs[0]
        spec = frame_tensor(frame)
        array = frame_to_tensor(frame, spec)
        if spec is None and rank > 2:
            raise ModelError(
                f"The ONNX graph takes a {rank}-D tensor, but the signature has no tensor shape.",
                hint="Save the model with an N-D NumPy input example so the shape is recorded.",
            )
        return {name: _cast(array, dtype)}
    feeds: dict[str, Any] = {}
    for name, dtype, _ in model.inputs:
        if name not in frame.columns:
            raise ModelError(
                f"The ONNX graph takes an input {name!r} that the signature has no column for.",
                hint="Name the graph's inputs after the signature's columns.",
            )
        feeds[name] = _cast(frame[name].to_numpy(), dtype).reshape(-1, 1)
    return feeds


def _cast(values: Any, dtype: str) -> Any:
    """``values`` as the graph's type; text inputs as an object array of ``str``."""
    if dtype == "object":
        return values.astype(str).astype(object)
    return values.astype(dtype)


def _refuse_external_data(graph: bytes) -> None:
    """Refuse a graph whose tensors point at files: they would be read from the server's disk."""
    onnx = require("onnx", EXTRA)
    try:
        model = onnx.load_model_from_string(graph)
    except Exception as exc:
        raise ModelError(f"This is not a readable ONNX graph: {exc}") from exc
    graphs, tensors = [model.graph], []
    while graphs:
        current = graphs.pop()
        tensors.extend(current.initializer)
        for node in current.node:
            for attribute in node.attribute:
                tensors.extend([attribute.t, *attribute.tensors])
                graphs.extend([attribute.g, *attribute.graphs])
    external = [t.name for t in tensors if onnx.external_data_helper.uses_external_data(t)]
    if external:
        raise ModelError(
            f"This ONNX graph keeps tensor {external[0]!r} in an external file, which a package "
            "cannot carry safely.",
            hint="Save the graph with its tensors inside it (onnx.save with "
            "save_as_external_data=False), then package it again.",
        )


def _threads(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        count = -1
    if count < 0:
        raise ModelError(
            f"{THREADS_VARIABLE}={text!r} is not a thread count (0 lets ONNX Runtime choose)."
        )
    return count
