"""Threshold, no-regression and slice gates: each passing and failing with the right margin."""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.pipeline import Pipeline

from shipyard.core.errors import NotFoundError
from shipyard.evaluation.evaluate import evaluate
from shipyard.evaluation.result import Baseline

from .conftest import fit, make_spec


def auc_of(model: Pipeline, frame: pd.DataFrame) -> float:
    scores = model.predict_proba(frame.drop(columns=["repaid"]))[:, 1]
    return float(skm.roc_auc_score(frame["repaid"], scores))


def test_threshold_gates_pass_and_fail_by_the_right_margin(
    biased_model: Pipeline, holdout: pd.DataFrame
) -> None:
    auc = auc_of(biased_model, holdout)
    spec = make_spec(
        {"kind": "threshold", "metric": "roc_auc", "min": auc - 0.02},
        {"kind": "threshold", "metric": "roc_auc", "min": auc + 0.05, "name": "ambitious"},
        {"kind": "threshold", "metric": "log_loss", "max": 0.1},
    )
    result = evaluate(biased_model, holdout, spec)
    assert result.metrics["roc_auc"] == pytest.approx(auc)
    easy, ambitious, loss = result.gates
    assert easy.passed and easy.margin == pytest.approx(0.02)
    assert easy.message == f"roc_auc {auc:.3f} >= min {auc - 0.02:.3f} (margin 0.020)"
    assert not ambitious.passed and ambitious.margin == pytest.approx(-0.05)
    assert ambitious.threshold == pytest.approx(auc + 0.05)
    assert ambitious.message == f"roc_auc {auc:.3f} < min {auc + 0.05:.3f} (short by 0.050)"
    assert not loss.passed and loss.observed is not None
    assert loss.margin == pytest.approx(0.1 - loss.observed)
    assert "> max 0.100 (over by" in loss.message
    assert not result.passed
    assert [gate.name for gate in result.failed_gates] == ["ambitious", "threshold:log_loss"]
    assert "2 of 3 gates failed" in result.summary()


def test_no_regression_against_the_alias(
    biased_model: Pipeline, weak_model: Pipeline, holdout: pd.DataFrame
) -> None:
    strong, weak = auc_of(biased_model, holdout), auc_of(weak_model, holdout)
    spec = make_spec(
        {"kind": "no_regression", "metric": "roc_auc", "tolerance": 0.01},
        {"kind": "no_regression", "metric": "log_loss", "against": "staging"},
    )
    # a weaker candidate against a stronger production version fails by the gap
    result = evaluate(
        weak_model, holdout, spec, baselines={"production": Baseline(biased_model, "7")}
    )
    gate = result.gate("no_regression:roc_auc@production")
    assert not gate.passed
    with pytest.raises(NotFoundError, match="no gate called 'no_such_gate'"):
        result.gate("no_such_gate")
    assert gate.threshold == pytest.approx(strong - 0.01)
    assert gate.margin == pytest.approx(weak - (strong - 0.01))
    assert gate.message.startswith(f"roc_auc {weak:.3f} < min {strong - 0.01:.3f} [production v7")
    assert gate.details["version"] == "7"
    assert result.baselines["production"]["version"] == "7"
    assert result.baselines["production"]["metrics"]["roc_auc"] == pytest.approx(strong)
    # no version behind staging: passes, saying so
    staging = result.gate("no_regression:log_loss@staging")
    assert staging.passed and staging.note == "no baseline"
    assert staging.threshold is None and staging.margin is None

    # the stronger model against the weaker one passes; lower-is-better metrics look down
    result = evaluate(
        biased_model,
        holdout,
        spec,
        baselines={"production": Baseline(weak_model, "6"), "staging": Baseline(weak_model, "6")},
    )
    assert result.gate("no_regression:roc_auc@production").margin == pytest.approx(
        strong - weak + 0.01
    )
    loss = result.gate("no_regression:log_loss@staging")
    assert loss.passed and loss.observed is not None and loss.threshold is not None
    assert loss.observed < loss.threshold
    assert loss.margin == pytest.approx(loss.threshold - loss.observed)


def test_a_baseline_that_cannot_score_the_data_fails_the_gate(
    biased_model: Pipeline, holdout: pd.DataFrame
) -> None:
    """The production model needs a column the evaluation data no longer has."""
    older = holdout.rename(columns={"income": "salary"})
    production = fit(older, ["region"], numbers=["salary", "age"])
    spec = make_spec({"kind": "no_regression", "metric": "roc_auc"})
    result = evaluate(
        biased_model, holdout, spec, baselines={"production": Baseline(production, "2")}
    )
    gate = result.gates[0]
    assert not gate.passed
    assert "production version 2 could not be evaluated" in gate.message
    assert "salary" in gate.message
    assert "salary" in result.baselines["production"]["error"]


def test_slice_gates_hold_every_value_with_enough_rows(
    biased_model: Pipeline, holdout: pd.DataFrame
) -> None:
    predicted = biased_model.predict(holdout.drop(columns=["repaid"]))
    recall = {
        region: skm.recall_score(holdout["repaid"][rows], predicted[rows])
        for region, rows in holdout.groupby("region").groups.items()
    }
    sizes = holdout["region"].value_counts()
    worst = min(recall, key=lambda r: recall[r])
    second = sorted(recall.values())[1]
    bar = (recall[worst] + second) / 2
    spec = make_spec(
        {"kind": "slice", "column": "region", "metric": "recall", "min": bar, "min_rows": 1},
        {"kind": "slice", "column": "region", "metric": "recall", "min": bar - 0.2},
        {
            "kind": "slice",
            "column": "region",
            "metric": "recall",
            "min": 0.99,
            "min_rows": 10_000,
            "name": "too-few",
        },
    )
    result = evaluate(biased_model, holdout, spec)
    strict, lenient, skipped = result.gates
    assert not strict.passed
    assert strict.observed == pytest.approx(recall[worst])
    assert strict.margin == pytest.approx(recall[worst] - bar)
    assert (
        f"recall on region={worst!r}" in strict.message and "1 of 4 slices fail" in strict.message
    )
    failing = [s["value"] for s in strict.details["slices"] if not s["passed"]]
    assert failing == [worst]
    assert lenient.passed and lenient.margin == pytest.approx(recall[worst] - bar + 0.2)
    assert skipped.passed and skipped.observed is None and "not checked" in skipped.message
    # the per-slice table is in the result, largest slice first
    table = result.slices["region"]
    assert [row["value"] for row in table] == list(sizes.index)
    assert table[0]["metrics"]["recall"] == pytest.approx(recall[sizes.index[0]])


def test_min_rows_keeps_small_slices_out_of_the_verdict(
    biased_model: Pipeline, holdout: pd.DataFrame
) -> None:
    frame = holdout.copy()
    frame.loc[frame.index[:5], "region"] = "tiny"
    frame.loc[frame.index[:5], "repaid"] = 1 - biased_model.predict(
        frame.drop(columns=["repaid"]).iloc[:5]
    )  # every prediction in the tiny slice is wrong
    spec = make_spec(
        {"kind": "slice", "column": "region", "metric": "accuracy", "min": 0.5, "min_rows": 30}
    )
    gate = evaluate(biased_model, frame, spec).gates[0]
    assert gate.passed
    assert gate.details["skipped"] == ["tiny"]
    assert gate.note == "1 slices under 30 rows not checked"
