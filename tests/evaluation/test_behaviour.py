"""Behavioural gates: invariance, directional expectations, minimum functionality."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline

from shipyard.core.errors import ConfigurationKeyError
from shipyard.evaluation.evaluate import evaluate

from .conftest import make_spec

INVARIANT_SEX = {"kind": "invariance", "columns": ["sex"], "max_changed": 0.01}


def test_invariance_catches_a_model_that_uses_a_column_declared_invariant(
    biased_model: Pipeline, blind_model: Pipeline, holdout: pd.DataFrame
) -> None:
    spec = make_spec(INVARIANT_SEX)
    caught = evaluate(biased_model, holdout, spec).gates[0]
    assert not caught.passed
    assert caught.observed is not None and caught.observed > 0.05
    assert caught.margin == pytest.approx(0.01 - caught.observed)
    assert caught.message.startswith("share of predictions changed by perturbing sex")
    assert caught.details["changed"] == round(caught.observed * len(holdout))
    example = caught.details["examples"][0]
    before, after = example["changes"]["sex"]
    assert before != after  # resample always picks another observed value
    assert example["prediction"][0] != example["prediction"][1]

    clean = evaluate(blind_model, holdout, spec)
    assert clean.gates[0].passed and clean.gates[0].observed == 0.0
    assert clean.behaviour["invariance:sex"]["changed"] == 0


def test_invariance_with_noise_on_a_number(biased_model: Pipeline, holdout: pd.DataFrame) -> None:
    spec = make_spec(
        {
            "kind": "invariance",
            "columns": ["age"],
            "perturb": "noise",
            "noise": 0.05,
            "max_changed": 0.05,
        },
        {
            "kind": "invariance",
            "columns": ["income"],
            "perturb": "noise",
            "noise": 2.0,
            "max_changed": 0.05,
        },
    )
    age, income = evaluate(biased_model, holdout, spec).gates
    assert age.passed  # a little noise on a weak feature moves almost nothing
    assert not income.passed  # lots of noise on the strongest one moves many


def test_a_column_the_model_does_not_take_is_trivially_invariant(
    holdout: pd.DataFrame,
) -> None:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression().fit(holdout[["debt_ratio"]], holdout["repaid"])
    spec = make_spec({"kind": "invariance", "columns": ["sex"]})
    gate = evaluate(model, holdout, spec).gates[0]
    assert gate.passed and gate.note == "sex are not inputs of the model"


def test_an_estimator_fitted_on_an_array_is_given_an_array(holdout: pd.DataFrame) -> None:
    from sklearn.linear_model import LogisticRegression

    frame = holdout[["debt_ratio", "income", "repaid"]]
    model = LogisticRegression().fit(frame[["debt_ratio", "income"]].to_numpy(), frame["repaid"])
    spec = make_spec(
        {"kind": "invariance", "columns": ["income"], "perturb": "noise", "max_changed": 1.0}
    )
    result = evaluate(model, frame, spec)  # no "X has feature names" warning (an error here)
    assert result.metrics["roc_auc"] is not None and result.gates[0].passed


def test_directional_expectations(biased_model: Pipeline, holdout: pd.DataFrame) -> None:
    spec = make_spec(
        {"kind": "directional", "column": "income", "factor": 1.5, "expect": "increase"},
        {
            "kind": "directional",
            "column": "debt_ratio",
            "delta": 0.2,
            "expect": "increase",
            "name": "debt-helps",
        },
        {
            "kind": "directional",
            "column": "age",
            "delta": 1,
            "expect": "increase",
            "strict": True,
            "min_share": 0.9,
        },
    )
    income, debt, age = evaluate(biased_model, holdout, spec).gates
    assert income.passed and income.observed == 1.0
    assert income.details["moved_as_expected"] == len(holdout)
    # more debt lowers the repayment score everywhere: a wrong expectation fails with margin
    assert not debt.passed and debt.observed == 0.0
    assert debt.margin == pytest.approx(-0.95)
    assert debt.details["moved_against"] == len(holdout)
    assert len(debt.details["examples"]) == 5
    before, after = debt.details["examples"][0]["score"]
    assert after < before
    # age has a tiny coefficient of some sign: strictly it moves one way for every row
    assert age.observed in (0.0, 1.0)


def test_minimum_functionality_cases(biased_model: Pipeline, holdout: pd.DataFrame) -> None:
    rich = {"income": 2_000_000.0, "debt_ratio": 0.0}
    broke = {"income": 5_000.0, "debt_ratio": 1.0}
    spec = make_spec(
        {
            "kind": "minimum_functionality",
            "cases": [
                {"name": "rich repays", "input": rich, "expect": 1, "min": 0.9},
                {"name": "broke defaults", "input": broke, "expect": 0, "max": 0.2},
            ],
        },
        {
            "kind": "minimum_functionality",
            "min_pass": 0.5,
            "cases": [
                {"input": rich, "expect": 0},
                {"input": {**broke, "region": "west"}, "max": 0.2},
            ],
        },
        {
            "kind": "minimum_functionality",
            "cases": [
                {"input": rich, "expect": 0},
                {"input": broke, "min": 0.9},
            ],
        },
    )
    good, half, bad = evaluate(biased_model, holdout, spec).gates
    assert good.passed and good.observed == 1.0
    assert [c["passed"] for c in good.details["cases"]] == [True, True]
    assert good.details["cases"][0]["score"] > 0.9
    assert half.passed and half.observed == 0.5
    assert not bad.passed and bad.observed == 0.0 and bad.margin == pytest.approx(-1.0)
    assert "case 1: predicted 1, expected 0" in bad.message
    assert "case 2: score" in bad.message and "outside" in bad.message
    assert [g.name for g in evaluate(biased_model, holdout, spec).gates] == [
        "minimum_functionality",
        "minimum_functionality#2",
        "minimum_functionality#3",
    ]


def test_a_case_the_model_cannot_take_is_a_configuration_error(
    registered_credit: object, holdout: pd.DataFrame
) -> None:
    spec = make_spec(
        {"kind": "threshold", "metric": "f1", "min": 0.1},
        {"kind": "minimum_functionality", "cases": [{"input": {"age": "old"}, "expect": 1}]},
    )
    with pytest.raises(ConfigurationKeyError) as caught:
        evaluate(registered_credit, holdout, spec)
    assert caught.value.key == "evaluation.gates[1].cases"
    assert "age" in str(caught.value)


def test_behaviour_is_deterministic(biased_model: Pipeline, holdout: pd.DataFrame) -> None:
    spec = make_spec(
        INVARIANT_SEX, {"kind": "invariance", "columns": ["income"], "perturb": "noise"}
    )
    first = evaluate(biased_model, holdout, spec)
    second = evaluate(biased_model, holdout, spec)
    assert [g.observed for g in first.gates] == [g.observed for g in second.gates]
    assert np.isfinite([g.observed for g in first.gates]).all()
