"""A regressor end to end on scikit-learn's bundled diabetes data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sklearn.datasets import load_diabetes
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import Ridge
from sklearn.metrics import mean_absolute_error, r2_score, root_mean_squared_error

from shipyard.core.errors import DataError
from shipyard.evaluation.evaluate import evaluate
from shipyard.evaluation.report import write_report
from shipyard.evaluation.result import Baseline
from shipyard.evaluation.spec import EvaluationSpec
from shipyard.evaluation.spec_check import check_spec

SPEC = """
task: regression
label: target
slices: [sex]
gates:
  - {kind: threshold, metric: r2, min: 0.3}
  - {kind: threshold, metric: rmse, max: 60}
  - {kind: no_regression, metric: rmse, tolerance: 2.0}
  - {kind: slice, column: sex, metric: mae, max: 60, min_rows: 20}
  - {kind: invariance, columns: [s4], perturb: noise, noise: 0.01, tolerance: 5.0,
     max_changed: 0.05}
  - {kind: directional, column: bmi, delta: 0.02, expect: increase, min_share: 0.9}
  - kind: minimum_functionality
    cases:
      - {input: {bmi: 0.15, s5: 0.1}, min: 200}
      - {input: {bmi: -0.08, s5: -0.08}, max: 120}
"""


def test_a_regressor_end_to_end(tmp_path: Path) -> None:
    import yaml

    frame = load_diabetes(as_frame=True).frame
    train, holdout = frame.iloc[:330], frame.iloc[330:].reset_index(drop=True)
    features = [c for c in frame.columns if c != "target"]
    model = Ridge(alpha=0.1).fit(train[features], train["target"])
    previous = HistGradientBoostingRegressor(max_iter=50, random_state=0).fit(
        train[features], train["target"]
    )
    spec = EvaluationSpec.model_validate(yaml.safe_load(SPEC))
    check_spec(spec, dict.fromkeys(frame.columns, "float"))

    result = evaluate(model, holdout, spec, baselines={"production": Baseline(previous, "1")})
    predicted = model.predict(holdout[features])
    assert result.metrics["rmse"] == pytest.approx(
        root_mean_squared_error(holdout.target, predicted)
    )
    assert result.metrics["mae"] == pytest.approx(mean_absolute_error(holdout.target, predicted))
    assert result.metrics["r2"] == pytest.approx(r2_score(holdout.target, predicted))
    assert result.directions["rmse"] == "lower"
    outcomes = {g.name: g for g in result.gates}
    assert outcomes["threshold:r2"].passed
    rmse = outcomes["threshold:rmse"]
    assert rmse.passed and rmse.margin == pytest.approx(60 - result.metrics["rmse"])
    regression = outcomes["no_regression:rmse@production"]
    base = result.baselines["production"]["metrics"]["rmse"]
    assert regression.threshold == pytest.approx(base + 2.0)  # lower is better: a ceiling
    assert regression.passed == (result.metrics["rmse"] <= base + 2.0)
    assert outcomes["slice:sex:mae"].passed and len(result.slices["sex"]) == 2
    assert outcomes["invariance:s4"].passed
    assert outcomes["directional:bmi:increase"].observed == 1.0  # a linear model, bmi > 0
    assert outcomes["minimum_functionality"].passed, outcomes["minimum_functionality"].message
    assert result.curves["residuals"]["mean"] == pytest.approx(
        float((holdout.target - predicted).mean())
    )

    paths = write_report(result, tmp_path)
    html = paths["html"].read_text(encoding="utf-8")
    assert 'id="plot-residuals"' in html and 'id="plot-roc"' not in html
    markdown = paths["markdown"].read_text(encoding="utf-8")
    assert "## Residuals" in markdown and "## Confusion matrix" not in markdown


def test_regression_gates_fail_with_margins() -> None:
    frame = load_diabetes(as_frame=True).frame
    features = [c for c in frame.columns if c != "target"]
    model = Ridge(alpha=0.1).fit(frame[features], frame["target"])
    spec = EvaluationSpec.model_validate(
        {
            "task": "regression",
            "label": "target",
            "gates": [
                {"kind": "threshold", "metric": "mape", "max": 0.1},
                {"kind": "directional", "column": "bmi", "delta": 0.02, "expect": "decrease"},
            ],
        }
    )
    result = evaluate(model, frame, spec)
    mape, direction = result.gates
    assert not mape.passed and mape.observed is not None
    assert mape.margin == pytest.approx(0.1 - mape.observed)
    assert not direction.passed and direction.observed == 0.0


def test_a_label_of_strings_is_not_a_regression_target() -> None:
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": ["a", "b", "c"]})
    model = Ridge().fit(frame[["x"]], [1.0, 2.0, 3.0])
    with pytest.raises(DataError, match="'y' holds object values, but the task is regression"):
        evaluate(model, frame, EvaluationSpec(task="regression", label="y"))


def test_rows_without_a_label_are_left_out_with_a_note() -> None:
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "y": [1.0, None, 3.0, 4.0]})
    model = Ridge().fit(frame[["x"]], [1.0, 2.0, 3.0, 4.0])
    result = evaluate(model, frame, EvaluationSpec(task="regression", label="y"))
    assert result.rows == 3 and result.notes == ["1 rows without a label were left out."]
    with pytest.raises(DataError, match="no labelled rows"):
        evaluate(model, frame.assign(y=None), EvaluationSpec(task="regression", label="y"))
