"""Results round-trip through JSON."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from shipyard.evaluation.evaluate import evaluate
from shipyard.evaluation.result import Baseline, EvaluationResult, GateOutcome

from .conftest import make_spec


def test_to_dict_from_dict_round_trip(
    biased_model: Pipeline, weak_model: Pipeline, holdout: pd.DataFrame
) -> None:
    frame = holdout.assign(region=holdout["region"].where(np.arange(len(holdout)) % 7 != 0))
    spec = make_spec(
        {"kind": "threshold", "metric": "brier", "max": 0.3},
        {"kind": "no_regression", "metric": "roc_auc", "against": "staging"},
        {"kind": "slice", "column": "region", "metric": "f1", "min": 0.1},
        {
            "kind": "fairness",
            "sensitive": "sex",
            "constraint": "equalized_odds",
            "measure": "ratio",
        },
        {"kind": "invariance", "columns": ["region"]},
        {"kind": "minimum_functionality", "cases": [{"input": {"age": 40}, "max": 1.0}]},
        slices=["sex"],
    )
    result = evaluate(
        biased_model, frame, spec, baselines={"production": Baseline(weak_model, "2")}
    )
    data = result.to_dict()
    text = json.dumps(data, allow_nan=False)  # strict JSON: no NaN anywhere
    again = EvaluationResult.from_dict(json.loads(text))
    assert again.to_dict() == data
    assert again.passed == result.passed
    assert again.failed_gates == [GateOutcome.from_dict(g.to_dict()) for g in result.failed_gates]
    assert again.gate("threshold:brier") == result.gate("threshold:brier")
    assert [row["value"] for row in again.slices["region"]].count("(missing)") == 1
    assert again.baselines["production"]["version"] == "2"
    assert again.summary() == result.summary()


def test_undefined_values_become_null(holdout: pd.DataFrame) -> None:
    from sklearn.svm import LinearSVC

    frame = holdout[["age", "repaid"]]
    model = LinearSVC().fit(frame[["age"]], frame["repaid"])
    result = evaluate(
        model, frame, make_spec({"kind": "threshold", "metric": "roc_auc", "min": 0.5})
    )
    gate = result.gates[0]
    assert not gate.passed and gate.observed is None
    assert "needs predicted probabilities" in gate.message
    data = result.to_dict()
    assert data["metrics"]["roc_auc"] is None
    assert not any(isinstance(v, float) and math.isnan(v) for v in data["metrics"].values())
