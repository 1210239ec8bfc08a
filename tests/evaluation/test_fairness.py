"""Fairness gates report exactly what fairlearn's own functions compute."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fairlearn import metrics as fm
from sklearn.pipeline import Pipeline

from shipyard.core.errors import ConfigurationError
from shipyard.evaluation.evaluate import evaluate

from .conftest import make_spec

FUNCTIONS = {
    "demographic_parity_difference": fm.demographic_parity_difference,
    "demographic_parity_ratio": fm.demographic_parity_ratio,
    "equalized_odds_difference": fm.equalized_odds_difference,
    "equalized_odds_ratio": fm.equalized_odds_ratio,
}


def all_fairness_gates(**bounds: float) -> list[dict[str, object]]:
    return [
        {"kind": "fairness", "sensitive": "sex", "constraint": c, "measure": m, **bounds}
        for c in ("demographic_parity", "equalized_odds")
        for m in ("difference", "ratio")
    ]


def test_numbers_equal_fairlearns_on_a_planted_bias(
    biased_model: Pipeline, holdout: pd.DataFrame
) -> None:
    predicted = biased_model.predict(holdout.drop(columns=["repaid"]))
    result = evaluate(biased_model, holdout, make_spec(*all_fairness_gates()))
    statistics = result.fairness["sex"]["statistics"]
    for name, function in FUNCTIONS.items():
        expected = function(holdout["repaid"], predicted, sensitive_features=holdout["sex"])
        assert statistics[name] == pytest.approx(expected, abs=1e-12), name
        assert result.gate(f"fairness:sex:{name}").observed == pytest.approx(expected, abs=1e-12)
    frame = fm.MetricFrame(
        metrics=fm.selection_rate,
        y_true=holdout["repaid"],
        y_pred=predicted,
        sensitive_features=holdout["sex"],
    )
    groups = {row["group"]: row for row in result.fairness["sex"]["groups"]}
    for group, rate in frame.by_group.items():
        assert groups[group]["selection_rate"] == pytest.approx(rate)
        assert groups[group]["rows"] == int((holdout["sex"] == group).sum())
    # the planted bias is large: every default bound fails, and says by how much
    assert [g.passed for g in result.gates] == [False] * 4
    parity = result.gate("fairness:sex:demographic_parity_difference")
    assert parity.threshold == 0.1
    assert parity.margin == pytest.approx(0.1 - statistics["demographic_parity_difference"])
    assert "over sex" in parity.message and "> max 0.100 (over by" in parity.message


def test_a_model_blind_to_the_attribute_narrows_the_gap(
    biased_model: Pipeline, blind_model: Pipeline, holdout: pd.DataFrame
) -> None:
    gates = [
        {"kind": "fairness", "sensitive": "sex", "constraint": "demographic_parity", "max": 0.15}
    ]
    biased = evaluate(biased_model, holdout, make_spec(*gates)).gates[0]
    blind = evaluate(blind_model, holdout, make_spec(*gates)).gates[0]
    assert not biased.passed and blind.passed
    assert blind.observed is not None and biased.observed is not None
    assert blind.observed < biased.observed


def test_positive_label_decides_what_selection_means(
    biased_model: Pipeline, holdout: pd.DataFrame
) -> None:
    """With 0 as the favourable outcome, rates are of predicting 0."""
    predicted = biased_model.predict(holdout.drop(columns=["repaid"]))
    spec = make_spec(*all_fairness_gates(), positive_label=0)
    result = evaluate(biased_model, holdout, spec)
    expected = fm.demographic_parity_ratio(
        1 - holdout["repaid"], 1 - predicted, sensitive_features=holdout["sex"]
    )
    assert result.fairness["sex"]["statistics"]["demographic_parity_ratio"] == pytest.approx(
        expected
    )


def test_missing_sensitive_values_are_their_own_group(
    biased_model: Pipeline, holdout: pd.DataFrame
) -> None:
    frame = holdout.copy()
    frame["sex"] = frame["sex"].where(np.arange(len(frame)) % 10 != 0, None)
    spec = make_spec({"kind": "fairness", "sensitive": "sex", "constraint": "equalized_odds"})
    result = evaluate(biased_model, frame.assign(sex=frame["sex"]), spec)
    assert {row["group"] for row in result.fairness["sex"]["groups"]} == {
        "female",
        "male",
        "(missing)",
    }


def test_multiclass_fairness_needs_a_positive_label(holdout: pd.DataFrame) -> None:
    from sklearn.tree import DecisionTreeClassifier

    frame = holdout.assign(repaid=holdout["age"] // 20)  # three or four classes
    model = DecisionTreeClassifier(max_depth=3, random_state=0).fit(
        frame[["age", "income"]], frame["repaid"]
    )
    spec = make_spec({"kind": "fairness", "sensitive": "sex", "constraint": "equalized_odds"})
    with pytest.raises(ConfigurationError, match="positive label"):
        evaluate(model, frame, spec)
