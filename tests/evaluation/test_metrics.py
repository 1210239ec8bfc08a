"""Metrics equal scikit-learn's, know their direction, and are NaN where undefined."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn import metrics as skm

from shipyard.evaluation.catalog import METRICS, metric_names
from shipyard.evaluation.metrics import Outputs, compute

rng = np.random.default_rng(3)
TRUTH = rng.choice(["bad", "good"], 500)
SCORES = np.clip((TRUTH == "good") * 0.3 + rng.random(500) * 0.7, 0, 1)  # P("good")
LABELS = np.where(SCORES > 0.5, "good", "bad")
BINARY = Outputs(LABELS, SCORES, ("bad", "good"), "good")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("accuracy", skm.accuracy_score(TRUTH, LABELS)),
        ("balanced_accuracy", skm.balanced_accuracy_score(TRUTH, LABELS)),
        ("precision", skm.precision_score(TRUTH, LABELS, pos_label="good")),
        ("recall", skm.recall_score(TRUTH, LABELS, pos_label="good")),
        ("f1", skm.f1_score(TRUTH, LABELS, pos_label="good")),
        ("roc_auc", skm.roc_auc_score(TRUTH == "good", SCORES)),
        ("average_precision", skm.average_precision_score(TRUTH == "good", SCORES)),
        ("log_loss", skm.log_loss(TRUTH, np.column_stack([1 - SCORES, SCORES]))),
        ("brier", skm.brier_score_loss(TRUTH == "good", SCORES)),
    ],
)
def test_binary_metrics_use_the_positive_label(name: str, expected: float) -> None:
    assert compute(name, TRUTH, BINARY) == pytest.approx(expected)


def test_the_positive_label_need_not_be_the_second_class() -> None:
    flipped = Outputs(LABELS, 1 - SCORES, ("bad", "good"), "bad")
    assert compute("recall", TRUTH, flipped) == pytest.approx(
        skm.recall_score(TRUTH, LABELS, pos_label="bad")
    )
    assert compute("roc_auc", TRUTH, flipped) == pytest.approx(
        skm.roc_auc_score(TRUTH == "good", SCORES)
    )


def test_multiclass_metrics_average_over_classes() -> None:
    truth = rng.choice([0, 1, 2], 300)
    probabilities = rng.dirichlet([1, 1, 1], 300)
    probabilities[np.arange(300), truth] += 1.0
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    labels = probabilities.argmax(axis=1)
    outputs = Outputs(labels, probabilities, (0, 1, 2), None)
    assert compute("f1", truth, outputs) == pytest.approx(
        skm.f1_score(truth, labels, average="macro")
    )
    assert compute("roc_auc", truth, outputs) == pytest.approx(
        skm.roc_auc_score(truth, probabilities, multi_class="ovr")
    )
    assert compute("log_loss", truth, outputs) == pytest.approx(skm.log_loss(truth, probabilities))


def test_regression_metrics() -> None:
    truth = rng.normal(100, 10, 200)
    predicted = truth + rng.normal(0, 3, 200)
    outputs = Outputs(predicted)
    assert compute("rmse", truth, outputs) == pytest.approx(
        skm.root_mean_squared_error(truth, predicted)
    )
    assert compute("mae", truth, outputs) == pytest.approx(
        skm.mean_absolute_error(truth, predicted)
    )
    assert compute("r2", truth, outputs) == pytest.approx(skm.r2_score(truth, predicted))
    assert compute("mape", truth, outputs) == pytest.approx(
        skm.mean_absolute_percentage_error(truth, predicted)
    )


def test_directions_and_tasks() -> None:
    assert {n for n, m in METRICS.items() if not m.higher_is_better} == {
        "log_loss",
        "brier",
        "rmse",
        "mae",
        "mape",
    }
    assert metric_names("regression") == ["rmse", "mae", "r2", "mape"]
    assert METRICS["roc_auc"].better(0.8, 0.75) == pytest.approx(0.05)
    assert METRICS["rmse"].better(3.0, 2.0) == pytest.approx(-1.0)


def test_undefined_metrics_are_nan_without_warnings() -> None:
    one_class = np.array(["good"] * 10)
    outputs = Outputs(np.array(["good"] * 10), np.full(10, 0.9), ("bad", "good"), "good")
    assert math.isnan(compute("roc_auc", one_class, outputs))
    assert math.isnan(compute("roc_auc", TRUTH, Outputs(LABELS, None, ("bad", "good"), "good")))
    assert math.isnan(compute("accuracy", TRUTH[:0], BINARY.take(np.zeros(500, dtype=bool))))
