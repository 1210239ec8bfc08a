"""The evaluation section of shipyard.yaml: parsing, gate names, and check_spec."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from shipyard.core.errors import ConfigurationError, ConfigurationKeyError
from shipyard.evaluation.catalog import DEFAULT_METRICS
from shipyard.evaluation.spec import EvaluationSpec, FairnessGate
from shipyard.evaluation.spec_check import check_spec

COLUMNS = {
    "income": "float",
    "debt_ratio": "float",
    "age": "integer",
    "region": "string",
    "sex": "string",
    "applicant_id": "integer",
    "repaid": "integer",
}

DOCUMENT = """
task: classification
label: repaid
positive_label: 1
metrics: [roc_auc, f1]
slices: [region]
gates:
  - {kind: threshold, metric: roc_auc, min: 0.7}
  - {kind: no_regression, metric: roc_auc, tolerance: 0.01}
  - {kind: slice, column: region, metric: recall, min: 0.5, min_rows: 50}
  - {kind: fairness, sensitive: sex, constraint: demographic_parity, measure: ratio}
  - {kind: invariance, columns: [applicant_id], max_changed: 0.0}
  - {kind: directional, column: income, factor: 1.5, expect: increase}
  - kind: minimum_functionality
    cases:
      - {input: {income: 500000, debt_ratio: 0.0}, expect: 1}
  - {kind: threshold, metric: roc_auc, max: 0.99}
  - {kind: threshold, metric: f1, min: 0.5, name: f1-floor}
"""


def parse(text: str) -> EvaluationSpec:
    return EvaluationSpec.model_validate(yaml.safe_load(text))


def test_a_full_section_parses_and_every_gate_gets_a_stable_readable_name() -> None:
    spec = parse(DOCUMENT)
    assert spec.gate_names == [
        "threshold:roc_auc",
        "no_regression:roc_auc@production",
        "slice:region:recall",
        "fairness:sex:demographic_parity_ratio",
        "invariance:applicant_id",
        "directional:income:increase",
        "minimum_functionality",
        "threshold:roc_auc#2",
        "f1-floor",
    ]
    assert parse(DOCUMENT).gate_names == spec.gate_names  # stable
    # names survive a dump and reload (what a stored resolved config holds)
    assert EvaluationSpec.model_validate(spec.model_dump()).gate_names == spec.gate_names
    check_spec(spec, COLUMNS)


def test_defaults() -> None:
    spec = EvaluationSpec(task="regression", label="y")
    assert spec.metrics == list(DEFAULT_METRICS["regression"])
    fairness = parse(DOCUMENT).gates[3]
    assert isinstance(fairness, FairnessGate) and fairness.min == 0.8  # the four-fifths rule
    difference = FairnessGate(kind="fairness", sensitive="sex", constraint="equalized_odds")
    assert difference.max == 0.1


def test_a_derived_name_never_takes_an_explicit_one() -> None:
    spec = parse(
        """
        task: classification
        label: repaid
        gates:
          - {kind: threshold, metric: f1, min: 0.5}
          - {kind: threshold, metric: roc_auc, min: 0.5, name: "threshold:f1"}
        """
    )
    assert spec.gate_names == ["threshold:f1#2", "threshold:f1"]


@pytest.mark.parametrize(
    ("gates", "complaint"),
    [
        ([{"kind": "thresold", "metric": "f1", "min": 1}], "does not match any of the expected"),
        ([{"kind": "threshold", "metric": "f1", "minimum": 1}], "Extra inputs are not permitted"),
        ([{"kind": "threshold", "metric": "f1"}], "give `min`, `max` or both"),
        ([{"kind": "threshold", "metric": "f1", "min": 0.9, "max": 0.1}], "is above max"),
        ([{"kind": "directional", "column": "age", "expect": "increase"}], "exactly one of"),
        ([{"kind": "minimum_functionality", "cases": [{"input": {"age": 3}}]}], "give `expect`"),
        ([{"kind": "invariance", "columns": []}], "at least 1 item"),
        (
            [
                {"kind": "threshold", "metric": "f1", "min": 0.1, "name": "x"},
                {"kind": "threshold", "metric": "f1", "min": 0.2, "name": "x"},
            ],
            "used twice: x",
        ),
    ],
)
def test_malformed_gates_are_rejected_naming_the_problem(
    gates: list[dict[str, Any]], complaint: str
) -> None:
    with pytest.raises(ValidationError, match=complaint):
        EvaluationSpec.model_validate({"task": "classification", "label": "y", "gates": gates})


def check(gates: list[dict[str, Any]], task: str = "classification", **fields: Any) -> None:
    body = {"task": task, "label": "repaid", "gates": gates, **fields}
    check_spec(EvaluationSpec.model_validate(body), COLUMNS)


def test_an_unknown_metric_is_named_with_the_gate_position() -> None:
    with pytest.raises(ConfigurationKeyError) as caught:
        check(
            [
                {"kind": "threshold", "metric": "f1", "min": 0.1},
                {"kind": "invariance", "columns": ["applicant_id"]},
                {"kind": "threshold", "metric": "aucc", "min": 0.7},
            ]
        )
    error = caught.value
    assert isinstance(error, ConfigurationError)
    assert error.key_path == ("evaluation", "gates", 2, "metric")
    assert str(error).startswith("evaluation.gates[2].metric: unknown metric 'aucc'")
    assert "'threshold:aucc'" in str(error) and "roc_auc" in str(error)  # the gate, the choices


def test_an_unknown_column_is_named_with_the_gate_position() -> None:
    with pytest.raises(ConfigurationKeyError) as caught:
        check(
            [
                {"kind": "slice", "column": "region", "metric": "f1", "min": 0.1},
                {"kind": "invariance", "columns": ["applicant_id", "zipcode"]},
            ]
        )
    assert caught.value.key == "evaluation.gates[1].columns[1]"
    assert "unknown column 'zipcode' in gate 'invariance:applicant_id,zipcode'" in str(caught.value)


def test_a_metric_of_the_other_task_is_refused() -> None:
    with pytest.raises(ConfigurationKeyError) as caught:
        check([{"kind": "threshold", "metric": "rmse", "max": 3}])
    assert caught.value.key == "evaluation.gates[0].metric"
    assert "'rmse' in gate 'threshold:rmse' is a regression metric" in str(caught.value)
    with pytest.raises(ConfigurationKeyError, match=r"evaluation.metrics\[1\]: metric 'f1'"):
        check([], task="regression", metrics=["rmse", "f1"])


@pytest.mark.parametrize(
    ("gates", "task", "key", "complaint"),
    [
        (
            [{"kind": "fairness", "sensitive": "sex", "constraint": "equalized_odds"}],
            "regression",
            "evaluation.gates[0].kind",
            "needs a classification task",
        ),
        (
            [{"kind": "directional", "column": "region", "delta": 1, "expect": "increase"}],
            "classification",
            "evaluation.gates[0].column",
            "string column",
        ),
        (
            [{"kind": "invariance", "columns": ["sex"], "perturb": "noise"}],
            "classification",
            "evaluation.gates[0].columns[0]",
            "string column",
        ),
        (
            [{"kind": "minimum_functionality", "cases": [{"input": {"incme": 1}, "expect": 1}]}],
            "classification",
            "evaluation.gates[0].cases[0].input.incme",
            "unknown column 'incme'",
        ),
        (
            [{"kind": "slice", "column": "repaid", "metric": "f1", "min": 0.1}],
            "classification",
            "evaluation.gates[0].column",
            "uses the label column",
        ),
    ],
)
def test_gates_that_cannot_apply_are_refused(
    gates: list[dict[str, Any]], task: str, key: str, complaint: str
) -> None:
    metrics = ["rmse"] if task == "regression" else []
    with pytest.raises(ConfigurationKeyError, match=complaint) as caught:
        check(gates, task=task, metrics=metrics)
    assert caught.value.key == key


def test_the_label_and_slices_must_be_columns() -> None:
    with pytest.raises(ConfigurationKeyError) as caught:
        check_spec(EvaluationSpec(task="classification", label="default"), COLUMNS)
    assert caught.value.key == "evaluation.label"
    with pytest.raises(ConfigurationKeyError) as caught:
        check([], slices=["region", "county"])
    assert caught.value.key == "evaluation.slices[1]"


def test_the_prefix_follows_where_the_section_lives() -> None:
    spec = EvaluationSpec.model_validate(
        {"task": "classification", "label": "repaid", "metrics": ["auc"]}
    )
    with pytest.raises(ConfigurationKeyError) as caught:
        check_spec(spec, COLUMNS, prefix=("stages", 0, "evaluation"))
    assert caught.value.key == "stages[0].evaluation.metrics[0]"


def test_every_gate_kind_has_exactly_one_check() -> None:
    from typing import get_args

    from shipyard.evaluation.evaluate import CHECKS
    from shipyard.evaluation.spec import Gate

    union = get_args(get_args(Gate)[0])
    kinds = {get_args(model.model_fields["kind"].annotation)[0] for model in union}
    assert kinds == set(CHECKS)
