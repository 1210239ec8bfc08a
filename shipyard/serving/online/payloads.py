"""Request bodies in every accepted shape, turned into records (one dict per row).

``/predict`` (and MLflow's ``/invocations``) take ``{"instances": [...]}`` (records, or rows
in signature order), ``{"dataframe_split": {"columns": [...], "data": [[...]]}}``,
``{"dataframe_records": [...]}`` or ``{"inputs": {column: [values]}}``. ``/v2/models/NAME/infer``
takes the Open Inference Protocol v2 request, one tensor per input column, or one tensor of
whole items (shape ``[rows, …]``, named other than a column) for a model with a tensor
signature; nested rows of ``instances`` or ``inputs`` are flattened likewise. Problems with the
shape of a body are raised as InputValidationError naming the field; the values themselves
are checked later, against the signature, for the whole batch at once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from shipyard.core.errors import FieldProblem, InputValidationError
from shipyard.models.specs import ColumnSpec

Records = list[dict[str, Any]]
PREDICT_KEYS = ("instances", "dataframe_split", "dataframe_records", "inputs")

V2_TYPES: dict[str, tuple[str, ...]] = {
    "integer": ("INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64"),
    "float": ("FP16", "FP32", "FP64", "INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16",
              "UINT32", "UINT64"),
    "boolean": ("BOOL",),
    "string": ("BYTES",),
    "datetime": ("BYTES",),
}  # fmt: skip
V2_DATATYPE = {"integer": "INT64", "float": "FP64", "boolean": "BOOL", "string": "BYTES",
               "datetime": "BYTES"}  # fmt: skip


def _bad(field: str, problem: str) -> InputValidationError:
    return InputValidationError([FieldProblem(field, problem)], hint=_HINT)


_HINT = (
    'Send {"instances": [{column: value, ...}]} or {"dataframe_split": {"columns": [...], '
    '"data": [[...]]}}; GET /openapi.json describes every field.'
)


def predict_records(body: Any, names: Sequence[str]) -> Records:
    """The rows of a ``/predict`` body."""
    if not isinstance(body, dict):
        raise _bad("body", f"must be a JSON object with one of {', '.join(PREDICT_KEYS)}")
    present = [key for key in PREDICT_KEYS if key in body]
    if len(present) != 1:
        found = ", ".join(present) if present else "none"
        raise _bad("body", f"needs exactly one of {', '.join(PREDICT_KEYS)} (found {found})")
    key = present[0]
    unknown = sorted(str(k) for k in body if k not in PREDICT_KEYS and k != "params")
    if unknown:
        raise _bad(unknown[0], "is not a field of a prediction request")
    value = body[key]
    if key == "dataframe_split":
        return _split(value)
    if key == "inputs" and isinstance(value, dict):
        return _columns(value, "inputs")
    return _rows(value, key, names)


def _rows(value: Any, field: str, names: Sequence[str]) -> Records:
    if not isinstance(value, list):
        raise _bad(field, "must be a list of records (objects) or rows (lists)")
    if all(type(item) is dict for item in value):
        return value
    records: Records = []
    width = len(names)
    for position, item in enumerate(value):
        if isinstance(item, dict):
            records.append(item)
        elif isinstance(item, list):
            if item and isinstance(item[0], list):  # one item of a tensor: flattened, row-major
                item = _flatten(item)
            if len(item) != width:
                raise _bad(
                    f"{field}[{position}]",
                    f"has {len(item)} values but the model takes {width} ({', '.join(names)})",
                )
            records.append(dict(zip(names, item, strict=True)))
        else:
            raise _bad(f"{field}[{position}]", "must be a record (object) or a row (list)")
    return records


def _flatten(nested: list[Any]) -> list[Any]:
    flat: list[Any] = []
    for value in nested:
        if isinstance(value, list):
            flat.extend(_flatten(value))
        else:
            flat.append(value)
    return flat


def _split(value: Any) -> Records:
    field = "dataframe_split"
    if not isinstance(value, dict):
        raise _bad(field, 'must be an object with "columns" and "data"')
    columns, data = value.get("columns"), value.get("data")
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise _bad(f"{field}.columns", "must be a list of column names")
    if not isinstance(data, list):
        raise _bad(f"{field}.data", "must be a list of rows")
    unknown = sorted(str(k) for k in value if k not in ("columns", "data", "index"))
    if unknown:
        raise _bad(f"{field}.{unknown[0]}", "is not a field of dataframe_split")
    if not isinstance(value.get("index", []), list):
        raise _bad(f"{field}.index", "must be a list of row labels")
    if len(set(columns)) != len(columns):
        raise _bad(f"{field}.columns", "names a column more than once")
    width = len(columns)
    records: Records = []
    for position, row in enumerate(data):
        if not isinstance(row, list) or len(row) != width:
            raise _bad(f"{field}.data[{position}]", f"must be a list of {width} values")
        records.append(dict(zip(columns, row, strict=True)))
    return records


def _columns(value: dict[str, Any], field: str) -> Records:
    lengths = set()
    for name, column in value.items():
        if not isinstance(column, list):
            raise _bad(f"{field}.{name}", "must be a list of values, one per row")
        lengths.add(len(column))
    if len(lengths) > 1:
        raise _bad(field, "every column needs the same number of values")
    count = lengths.pop() if lengths else 0
    names = list(value)
    return [{name: value[name][i] for name in names} for i in range(count)]


def v2_records(body: Any, specs: Sequence[ColumnSpec]) -> tuple[Records, str | None]:
    """The rows of an Open Inference Protocol v2 request, and its ``id``."""
    if not isinstance(body, dict):
        raise _bad("body", 'must be a JSON object with "inputs"')
    request_id = body.get("id")
    if request_id is not None and not isinstance(request_id, str):
        raise _bad("id", "must be a string")
    tensors = body.get("inputs")
    if not isinstance(tensors, list) or not tensors:
        raise _bad("inputs", "must be a non-empty list of tensors, one per input column")
    by_name = {spec.name: spec for spec in specs}
    first = tensors[0]
    named = isinstance(first, dict) and isinstance(first.get("name"), str)
    if len(tensors) == 1 and named and first["name"] not in by_name:
        shape = first.get("shape")
        if isinstance(shape, list) and len(shape) >= 2:  # whole items, as a tensor model takes
            return _tensor_rows(first, [spec.name for spec in specs]), request_id
    columns: dict[str, list[Any]] = {}
    for position, tensor in enumerate(tensors):
        where = f"inputs[{position}]"
        if not isinstance(tensor, dict) or not isinstance(tensor.get("name"), str):
            raise _bad(where, 'must be an object with "name", "shape", "datatype" and "data"')
        name = tensor["name"]
        if name in columns:
            raise _bad(name, "is given more than once")
        spec = by_name.get(name)
        datatype = tensor.get("datatype")
        if spec is not None and datatype not in V2_TYPES[spec.dtype]:
            allowed = " or ".join(V2_TYPES[spec.dtype][:4])
            raise _bad(name, f"has datatype {datatype!r}; the model expects {allowed}")
        columns[name] = _tensor_values(tensor, name)
    return _columns(columns, "inputs"), request_id


def _tensor_values(tensor: dict[str, Any], name: str) -> list[Any]:
    data, shape = tensor.get("data"), tensor.get("shape")
    if isinstance(shape, list):  # JSON's 3.0 is the whole number 3
        shape = [int(size) if type(size) is float and size.is_integer() else size
                 for size in shape]  # fmt: skip
    if not isinstance(data, list):
        raise _bad(name, "needs its values as a list in data")
    if (
        not isinstance(shape, list)
        or not 1 <= len(shape) <= 2
        or not all(type(size) is int and size >= 0 for size in shape)
        or (len(shape) == 2 and shape[1] != 1)
    ):
        raise _bad(name, "needs a shape of [rows] or [rows, 1]")
    if data and all(type(item) is list for item in data):  # nested [[v], [v]]
        if not all(len(item) == 1 for item in data):
            raise _bad(name, "nested data must hold one value per row")
        data = [item[0] for item in data]
    if len(data) != shape[0]:
        raise _bad(name, f"has {len(data)} values but its shape says {shape[0]} rows")
    return data


def _tensor_rows(tensor: dict[str, Any], names: list[str]) -> Records:
    """The rows of one v2 tensor holding whole items (a tensor model's input), flattened."""
    name, shape, data = str(tensor.get("name")), tensor["shape"], tensor.get("data")
    if not all(type(size) is int and size >= 0 for size in shape):
        raise _bad(name, "needs a shape of non-negative integers")
    if tensor.get("datatype") not in V2_TYPES["float"]:
        raise _bad(name, f"has datatype {tensor.get('datatype')!r}; the model expects numbers")
    width = len(names)
    if math.prod(shape[1:]) != width:
        raise _bad(name, f"has items of shape {shape[1:]}, which is not {width} values")
    flat = _flatten(data) if isinstance(data, list) else None
    if flat is None or len(flat) != shape[0] * width:
        raise _bad(name, f"needs {shape[0] * width} values in data for its shape {shape}")
    return [dict(zip(names, flat[row * width : (row + 1) * width], strict=True))
            for row in range(shape[0])]  # fmt: skip


def v2_output(predictions: list[Any]) -> dict[str, Any]:
    """The output tensor of a v2 response, typed from the plain predictions."""
    rows = len(predictions)
    if predictions and all(isinstance(p, list) for p in predictions):
        width = (
            len(predictions[0]) if all(len(p) == len(predictions[0]) for p in predictions) else 0
        )
        if width:
            flat = [value for row in predictions for value in row]
            return {"name": "prediction", "shape": [rows, width],
                    "datatype": _datatype(flat), "data": flat}  # fmt: skip
    return {"name": "prediction", "shape": [rows], "datatype": _datatype(predictions),
            "data": predictions}  # fmt: skip


def _datatype(values: list[Any]) -> str:
    kinds = {type(v) for v in values if v is not None}
    if kinds == {bool}:
        return "BOOL"
    if kinds and kinds <= {int}:
        return "INT64"
    if kinds and kinds <= {int, float}:
        return "FP64"
    return "BYTES"
