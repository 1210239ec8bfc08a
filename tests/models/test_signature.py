"""Signature inference, and strict validation of every input shape and problem kind."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder

from shipyard.core.errors import InputValidationError, ModelError, UsageError
from shipyard.models.signature import ColumnSpec, OutputSpec, Signature, infer_signature


def problems_of(signature: Signature, data: Any, **options: Any) -> dict[str, str]:
    with pytest.raises(InputValidationError) as caught:
        signature.prepare(data, **options)
    return {problem.field: problem.problem for problem in caught.value.problems}


@pytest.fixture()
def signature() -> Signature:
    return Signature(
        (
            ColumnSpec("plan", "string", categories=("basic", "plus", "pro")),
            ColumnSpec("age", "integer", minimum=0, maximum=130),
            ColumnSpec("spend", "float"),
            ColumnSpec("member", "boolean"),
            ColumnSpec("note", "string", nullable=True),
        )
    )


def row(**changes: Any) -> dict[str, Any]:
    base = {"plan": "pro", "age": 40, "spend": 12.5, "member": True, "note": None}
    return {**base, **changes}


# -- inference ------------------------------------------------------------------------------


def test_infers_types_and_nullability_from_a_dataframe() -> None:
    frame = pd.DataFrame(
        {
            "plan": ["a", "b", None],
            "age": [1, 2, 3],
            "visits": pd.array([1, None, 3], dtype="Int64"),
            "spend": [1.5, np.nan, 2.0],
            "member": [True, False, True],
            "since": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"]),
            "tier": pd.Categorical(["x", "y", "x"]),
        }
    )
    inputs = {spec.name: spec for spec in infer_signature(frame).inputs}
    assert [spec.name for spec in inputs.values()] == list(frame.columns)
    assert inputs["plan"] == ColumnSpec("plan", "string", nullable=True)
    assert inputs["age"] == ColumnSpec("age", "integer")
    assert inputs["visits"] == ColumnSpec("visits", "integer", nullable=True)
    assert inputs["spend"] == ColumnSpec("spend", "float", nullable=True)
    assert inputs["member"] == ColumnSpec("member", "boolean")
    assert inputs["since"] == ColumnSpec("since", "datetime")
    assert inputs["tier"] == ColumnSpec("tier", "string", categories=("x", "y"))


def test_infers_named_columns_from_numpy() -> None:
    signature = infer_signature(np.arange(12, dtype=np.float64).reshape(4, 3))
    assert signature.names == ["f0", "f1", "f2"]
    assert {spec.dtype for spec in signature.inputs} == {"float"}
    one_row = infer_signature(np.array([1, 2]))
    assert one_row.inputs == (ColumnSpec("f0", "integer"), ColumnSpec("f1", "integer"))


def test_infers_the_output_and_classes_from_the_model(
    classifier: Pipeline, customers: pd.DataFrame
) -> None:
    signature = infer_signature(customers.head(), classifier)
    assert signature.outputs == OutputSpec(dtype="string", classes=("churn", "stay"))


def test_takes_categories_from_encoders_that_reject_unknown_levels(
    customers: pd.DataFrame,
) -> None:
    target = customers["spend"]
    features = ColumnTransformer(
        [
            ("strict", OneHotEncoder(), ["plan"]),
            (
                "lenient",
                OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1),
                ["age"],
            ),
        ]
    )
    model = Pipeline([("features", features), ("fit", LinearRegression())])
    model.fit(customers, target)
    inputs = {spec.name: spec for spec in infer_signature(customers.head(), model).inputs}
    assert inputs["plan"].categories == ("basic", "plus", "pro")
    assert inputs["age"].categories is None  # the model copes with unknown ages itself


def test_refuses_examples_it_cannot_type() -> None:
    with pytest.raises(ModelError, match="only nulls"):
        infer_signature(pd.DataFrame({"x": [None, None]}))
    with pytest.raises(ModelError, match="mixes types"):
        infer_signature(pd.DataFrame({"x": [1, "a"]}))
    with pytest.raises(ModelError, match="must be strings"):
        infer_signature(pd.DataFrame({0: [1.0]}))


def test_round_trips_through_a_dict(signature: Signature) -> None:
    data = orjson.loads(orjson.dumps(signature.to_dict()))
    assert Signature.from_dict(data) == signature


def test_rejects_a_malformed_signature() -> None:
    with pytest.raises(ModelError, match="dtype"):
        ColumnSpec("x", "decimal")  # type: ignore[arg-type]
    with pytest.raises(ModelError, match="twice"):
        Signature((ColumnSpec("x", "float"), ColumnSpec("x", "float")))
    with pytest.raises(ModelError):
        Signature.from_dict({"inputs": "x"})


# -- accepted shapes ------------------------------------------------------------------------


def test_prepares_records_into_exact_columns_and_dtypes(signature: Signature) -> None:
    frame = signature.prepare([row(), row(age=3.0, spend=7, note="vip")])
    assert list(frame.columns) == signature.names
    assert frame.dtypes.astype(str).to_dict() == {
        "plan": "object",
        "age": "int64",
        "spend": "float64",
        "member": "bool",
        "note": "object",
    }
    assert frame["age"].tolist() == [40, 3]
    assert frame["spend"].tolist() == [12.5, 7.0]


def test_accepts_every_input_shape(signature: Signature) -> None:
    expected = signature.prepare([row()])
    records = [row()]
    shapes = [
        records,
        row(),
        {key: [value] for key, value in row().items()},
        pd.DataFrame(records),
        [list(row().values())],
        np.array([list(row().values())], dtype=object),
        pd.Series(row()),
    ]
    for shape in shapes:
        pd.testing.assert_frame_equal(signature.prepare(shape), expected)


def test_a_json_round_trip_gives_the_same_frame(customers: pd.DataFrame) -> None:
    signature = infer_signature(customers)
    records = orjson.loads(orjson.dumps(customers.to_dict(orient="records")))
    pd.testing.assert_frame_equal(signature.prepare(records), signature.prepare(customers))


def test_an_empty_batch_is_an_empty_frame(signature: Signature) -> None:
    frame = signature.prepare([])
    assert list(frame.columns) == signature.names
    assert len(frame) == 0


def test_nullable_columns_keep_nulls_as_nulls() -> None:
    signature = Signature(
        (
            ColumnSpec("count", "integer", nullable=True),
            ColumnSpec("flag", "boolean", nullable=True),
            ColumnSpec("score", "float", nullable=True),
            ColumnSpec("when", "datetime", nullable=True),
        )
    )
    frame = signature.prepare(
        [
            {"count": 2, "flag": True, "score": 0.5, "when": "2024-05-01T12:00:00+02:00"},
            {"count": None, "flag": None, "score": None, "when": None},
        ]
    )
    assert str(frame["count"].dtype) == "Int64"
    assert str(frame["flag"].dtype) == "boolean"
    assert frame["count"].isna().tolist() == [False, True]
    assert frame["flag"].isna().tolist() == [False, True]
    assert np.isnan(frame["score"].iloc[1])
    assert frame["when"].iloc[0] == pd.Timestamp("2024-05-01T10:00:00")  # naive UTC
    assert pd.isna(frame["when"].iloc[1])


def test_datetimes_from_python_objects_and_strings() -> None:
    signature = Signature((ColumnSpec("when", "datetime"),))
    frame = signature.prepare({"when": [dt.datetime(2024, 1, 2, 3, 4), "2024-01-02T03:04:00"]})
    assert frame["when"].nunique() == 1


# -- problems -------------------------------------------------------------------------------


def test_every_problem_kind_names_its_field(signature: Signature) -> None:
    found = problems_of(
        signature,
        [
            row(),
            row(plan="enterprise", age=1.5, spend="abc", member=1, unknown=1),
            row(plan=None, age=200, spend=True, member="yes"),
        ],
    )
    assert found == {
        "unknown": "is not an input of this model (pass extra='ignore' to drop unknown columns)",
        "plan[1]": "unknown category 'enterprise'; expected one of 'basic', 'plus', 'pro'",
        "plan[2]": "is null but the column does not allow nulls",
        "age[1]": "expected an integer, got float 1.5",
        "age[2]": "200 is above the maximum 130",
        "spend[1]": "expected a number, got string 'abc'",
        "spend[2]": "expected a number, got boolean True",
        "member[1]": "expected a boolean, got integer 1",
        "member[2]": "expected a boolean, got string 'yes'",
    }


def test_problems_are_collected_into_one_error(signature: Signature) -> None:
    with pytest.raises(InputValidationError) as caught:
        signature.prepare([row(age="x", spend="y")])
    assert caught.value.http_status == 422
    assert "age[0]" in str(caught.value) and "spend[0]" in str(caught.value)


def test_missing_and_absent_fields(signature: Signature) -> None:
    assert problems_of(signature, {"plan": ["pro"], "age": [3]}) == {
        "spend": "is missing; the model's signature requires this column",
        "member": "is missing; the model's signature requires this column",
        "note": "is missing; the model's signature requires this column",
    }
    partial = row()
    del partial["spend"]
    found = problems_of(signature, [row(), partial])
    assert found == {"spend[1]": "is absent from this record; send null for a missing value"}


def test_missing_or_non_numeric_values_never_become_zero_or_nan() -> None:
    signature = Signature((ColumnSpec("x", "float"), ColumnSpec("n", "integer")))
    bad_inputs: list[Any] = [
        [{"x": None, "n": 1}],
        [{"x": float("nan"), "n": 1}],
        [{"x": "", "n": 1}],
        [{"x": "1.5", "n": 1}],
        [{"x": 1.0, "n": None}],
        [{"x": 1.0, "n": "3"}],
        [{"x": 1.0}],
        pd.DataFrame({"x": [1.0, np.nan], "n": [1, 2]}),
        pd.DataFrame({"x": [1.0, 2.0], "n": [1.0, np.nan]}),
        {"x": ["abc"], "n": [1]},
    ]
    for data in bad_inputs:
        with pytest.raises(InputValidationError):
            signature.prepare(data)


def test_integers_as_exact_floats_and_ints_as_floats_are_fine() -> None:
    signature = Signature((ColumnSpec("x", "float"), ColumnSpec("n", "integer")))
    frame = signature.prepare(pd.DataFrame({"x": [1, 2], "n": [3.0, -4.0]}))
    assert frame["x"].dtype == np.float64 and frame["x"].tolist() == [1.0, 2.0]
    assert frame["n"].dtype == np.int64 and frame["n"].tolist() == [3, -4]


def test_out_of_range_integers_are_refused() -> None:
    signature = Signature((ColumnSpec("n", "integer"),))
    assert problems_of(signature, [{"n": 2**70}]) == {
        "n[0]": f"expected an integer, got integer {2**70}"
    }
    assert "n[0]" in problems_of(signature, [{"n": float("inf")}])


def test_extra_columns_can_be_ignored(signature: Signature) -> None:
    frame = signature.prepare([row(unknown=1)], extra="ignore")
    assert list(frame.columns) == signature.names
    with pytest.raises(UsageError):
        signature.prepare([row()], extra="drop")  # type: ignore[arg-type]


def test_structural_problems(signature: Signature) -> None:
    assert "input" in problems_of(signature, "plan=pro")
    assert "row[0]" in problems_of(signature, [[1, 2]])
    assert "input" in problems_of(signature, np.zeros((2, 3)))
    assert "input" in problems_of(signature, [row(), [1, 2, 3, 4, 5]])
    assert problems_of(signature, {"plan": ["pro", "plus"], "age": [1]}) == {
        "age": "has 1 values but the other columns have 2"
    }
    duplicated = pd.DataFrame([["pro", 1, 2.0, True, None, 3]], columns=[*signature.names, "age"])
    assert problems_of(signature, duplicated) == {"age": "is given more than once"}


def test_many_bad_rows_are_summarised() -> None:
    signature = Signature((ColumnSpec("x", "float"),))
    with pytest.raises(InputValidationError) as caught:
        signature.prepare({"x": ["bad"] * 500})
    fields = [problem.field for problem in caught.value.problems]
    assert fields[:2] == ["x[0]", "x[1]"]
    assert caught.value.problems[-1].problem == "and 480 more rows with the same problem"


def test_a_large_clean_frame_passes_unchanged(customers: pd.DataFrame) -> None:
    big = pd.concat([customers] * 100, ignore_index=True)
    frame = infer_signature(customers).prepare(big)
    pd.testing.assert_frame_equal(frame, big)


def test_pandas_extension_dtypes_are_read_strictly() -> None:
    signature = Signature(
        (
            ColumnSpec("n", "integer"),
            ColumnSpec("s", "string", categories=("a", "b")),
            ColumnSpec("c", "string"),
            ColumnSpec("when", "datetime"),
            ColumnSpec("f", "float", nullable=True),
        )
    )
    frame = pd.DataFrame(
        {
            "n": pd.array([1, 2], dtype="Int64"),
            "s": pd.array(["a", "b"], dtype="string"),
            "c": pd.Categorical(["x", "y"]),
            "when": pd.to_datetime(["2024-01-01T00:00:00+01:00", "2024-01-02T00:00:00+01:00"]),
            "f": pd.array([0.5, None], dtype="Float64"),
        }
    )
    prepared = signature.prepare(frame)
    assert prepared["n"].tolist() == [1, 2] and prepared["n"].dtype == np.int64
    assert prepared["s"].tolist() == ["a", "b"]
    assert prepared["c"].tolist() == ["x", "y"]
    assert prepared["when"].iloc[0] == pd.Timestamp("2023-12-31T23:00:00")
    assert prepared["f"].iloc[0] == 0.5 and np.isnan(prepared["f"].iloc[1])

    with_null = frame.assign(
        n=pd.array([1, None], dtype="Int64"), s=pd.array(["a", "z"], dtype="string")
    )
    assert set(problems_of(signature, with_null)) == {"n[1]", "s[1]"}


def test_a_column_given_twice_in_a_frame_is_refused_not_guessed(signature: Signature) -> None:
    frame = pd.DataFrame([[1.0, 2.0]], columns=["spend", "spend"])
    assert problems_of(signature, frame)["spend"] == "is given more than once"
