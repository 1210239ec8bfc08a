"""Request bodies in every accepted shape, and the shape problems named by field."""

from __future__ import annotations

from typing import Any

import pytest

from shipyard.core.errors import InputValidationError
from shipyard.models.signature import ColumnSpec
from shipyard.serving.online.payloads import predict_records, v2_output, v2_records

NAMES = ["plan", "age"]
SPECS = [ColumnSpec("plan", "string"), ColumnSpec("age", "integer")]
ROWS = [{"plan": "pro", "age": 3}, {"plan": "basic", "age": 4}]


@pytest.mark.parametrize(
    "body",
    [
        {"instances": ROWS},
        {"instances": [["pro", 3], ["basic", 4]]},
        {"dataframe_records": ROWS},
        {"dataframe_split": {"columns": ["plan", "age"], "data": [["pro", 3], ["basic", 4]]}},
        {
            "dataframe_split": {
                "columns": ["plan", "age"],
                "data": [["pro", 3], ["basic", 4]],
                "index": [7, 8],
            }
        },
        {"inputs": {"plan": ["pro", "basic"], "age": [3, 4]}},
        {"inputs": ROWS, "params": {}},
    ],
)
def test_every_shape_gives_the_same_records(body: dict[str, Any]) -> None:
    assert predict_records(body, NAMES) == ROWS


@pytest.mark.parametrize(
    ("body", "field", "problem"),
    [
        ([1, 2], "body", "must be a JSON object"),
        ({}, "body", "exactly one of"),
        ({"instances": ROWS, "inputs": ROWS}, "body", "exactly one of"),
        ({"instances": ROWS, "extra": 1}, "extra", "not a field"),
        ({"instances": "rows"}, "instances", "must be a list"),
        ({"instances": [["pro"]]}, "instances[0]", "has 1 values but the model takes 2"),
        ({"instances": [ROWS[0], 5]}, "instances[1]", "must be a record"),
        ({"dataframe_split": []}, "dataframe_split", "must be an object"),
        ({"dataframe_split": {"columns": "plan", "data": []}}, "dataframe_split.columns", "list"),
        ({"dataframe_split": {"columns": ["a"], "data": {}}}, "dataframe_split.data", "list"),
        ({"dataframe_split": {"columns": ["a", "a"], "data": []}}, "dataframe_split.columns",
         "more than once"),
        ({"dataframe_split": {"columns": ["a"], "data": [[1, 2]]}}, "dataframe_split.data[0]",
         "list of 1 values"),
        ({"dataframe_split": {"columns": ["a"], "data": [], "x": 1}}, "dataframe_split.x",
         "not a field"),
        ({"inputs": {"plan": "pro"}}, "inputs.plan", "list of values"),
        ({"inputs": {"plan": ["a"], "age": [1, 2]}}, "inputs", "same number"),
    ],
)  # fmt: skip
def test_shape_problems_name_the_field(body: Any, field: str, problem: str) -> None:
    with pytest.raises(InputValidationError) as info:
        predict_records(body, NAMES)
    assert info.value.problems[0].field == field
    assert problem in info.value.problems[0].problem


def _tensor(name: str, data: list[Any], datatype: str, shape: list[int] | None = None) -> Any:
    return {"name": name, "shape": shape or [len(data)], "datatype": datatype, "data": data}


def test_open_inference_protocol_requests() -> None:
    body = {"id": "req-1", "inputs": [_tensor("plan", ["pro", "basic"], "BYTES"),
                                      _tensor("age", [[3], [4]], "INT32", [2, 1])]}  # fmt: skip
    assert v2_records(body, SPECS) == (ROWS, "req-1")
    assert v2_output([1, 0]) == {"name": "prediction", "shape": [2], "datatype": "INT64",
                                 "data": [1, 0]}  # fmt: skip
    assert v2_output([0.5, 1])["datatype"] == "FP64"
    assert v2_output(["a"])["datatype"] == "BYTES"
    assert v2_output([True])["datatype"] == "BOOL"
    assert v2_output([[0.1, 0.9], [0.2, 0.8]])["shape"] == [2, 2]


@pytest.mark.parametrize(
    ("body", "field", "problem"),
    [
        ([], "body", "JSON object"),
        ({"inputs": []}, "inputs", "non-empty list"),
        ({"inputs": [1]}, "inputs[0]", "must be an object"),
        ({"id": 5, "inputs": [_tensor("age", [1], "INT64")]}, "id", "string"),
        ({"inputs": [_tensor("age", [1], "FP32")]}, "age", "datatype 'FP32'"),
        ({"inputs": [_tensor("age", [1], "INT64"), _tensor("age", [1], "INT64")]}, "age",
         "more than once"),
        ({"inputs": [_tensor("age", [1, 2], "INT64", [3])]}, "age", "shape says 3"),
        ({"inputs": [_tensor("age", [1], "INT64", [1, 2])]}, "age", "shape of [rows]"),
        ({"inputs": [{"name": "age", "shape": [1], "datatype": "INT64", "data": 1}]}, "age",
         "as a list"),
        ({"inputs": [_tensor("age", [[1, 2]], "INT64", [1])]}, "age", "one value per row"),
    ],
)  # fmt: skip
def test_open_inference_protocol_problems(body: Any, field: str, problem: str) -> None:
    with pytest.raises(InputValidationError) as info:
        v2_records(body, SPECS)
    assert info.value.problems[0].field == field
    assert problem in info.value.problems[0].problem


TENSOR_NAMES = ["f0", "f1", "f2", "f3"]
TENSOR_SPECS = [ColumnSpec(name, "float") for name in TENSOR_NAMES]


def test_tensor_items_are_flattened_into_rows() -> None:
    nested = {"inputs": [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]}
    expected = [dict(zip(TENSOR_NAMES, [1, 2, 3, 4], strict=True)),
                dict(zip(TENSOR_NAMES, [5, 6, 7, 8], strict=True))]  # fmt: skip
    assert predict_records(nested, TENSOR_NAMES) == expected
    v2 = {"inputs": [_tensor("input", list(range(1, 9)), "FP32", [2, 2, 2])]}
    assert v2_records(v2, TENSOR_SPECS) == (expected, None)


@pytest.mark.parametrize(
    ("tensor", "problem"),
    [
        (_tensor("input", [0.0] * 6, "FP32", [2, 3]), "not 4 values"),
        (_tensor("input", [0.0] * 6, "FP32", [2, 2, 2]), "needs 8 values"),
        (_tensor("input", ["a"] * 8, "BYTES", [2, 2, 2]), "expects numbers"),
        (_tensor("input", [0.0] * 8, "FP32", [2, -4]), "non-negative integers"),
    ],
)  # fmt: skip
def test_a_tensor_of_the_wrong_size_is_refused(tensor: Any, problem: str) -> None:
    with pytest.raises(InputValidationError) as info:
        v2_records({"inputs": [tensor]}, TENSOR_SPECS)
    assert info.value.problems[0].field == "input"
    assert problem in info.value.problems[0].problem
