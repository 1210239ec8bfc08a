"""The points the report plots, kept small enough to store with the result.

Classification: ROC and precision-recall curves and a reliability (calibration) table for a
binary task with scores, and the confusion matrix. Regression: a sample of (prediction,
residual) points and a histogram of the residuals.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from shipyard.evaluation.metrics import Outputs
from shipyard.models.plain import to_plain

MAX_POINTS = 200
"""Curves are thinned to about this many points."""
CALIBRATION_BINS = 10
MAX_CONFUSION_CLASSES = 20
RESIDUAL_SAMPLE = 1000


def classification_curves(y_true: np.ndarray, outputs: Outputs) -> dict[str, Any]:
    from sklearn.metrics import (
        average_precision_score,
        confusion_matrix,
        precision_recall_curve,
        roc_curve,
    )

    curves: dict[str, Any] = {}
    classes = list(outputs.classes or ())
    if classes and len(classes) <= MAX_CONFUSION_CLASSES:
        matrix = confusion_matrix(y_true, outputs.labels, labels=classes)
        curves["confusion"] = {"labels": to_plain(classes), "matrix": matrix.tolist()}
    if not outputs.binary or outputs.scores is None:
        return curves
    truth = np.asarray(y_true == outputs.positive, dtype=int)
    if truth.min() == truth.max():  # one class only: no curves
        return curves
    scores = np.asarray(outputs.scores, dtype=float)
    fpr, tpr, _ = roc_curve(truth, scores)
    precision, recall, _ = precision_recall_curve(truth, scores)
    average_precision = float(average_precision_score(truth, scores))
    keep = _thin(len(fpr))
    curves["roc"] = {"fpr": fpr[keep].tolist(), "tpr": tpr[keep].tolist()}
    keep = _thin(len(recall))
    curves["pr"] = {
        "recall": recall[keep].tolist(),
        "precision": precision[keep].tolist(),
        "prevalence": float(truth.mean()),
        "average_precision": average_precision,
    }
    curves["calibration"] = _calibration(truth, scores)
    return curves


def regression_curves(y_true: np.ndarray, predicted: np.ndarray) -> dict[str, Any]:
    truth = np.asarray(y_true, dtype=float)
    predicted = np.asarray(predicted, dtype=float)
    residuals = truth - predicted
    rng = np.random.default_rng(0)
    sample = np.arange(len(truth))
    if len(sample) > RESIDUAL_SAMPLE:
        sample = np.sort(rng.choice(sample, RESIDUAL_SAMPLE, replace=False))
    counts, edges = np.histogram(residuals, bins=30)
    return {
        "residuals": {
            "predicted": predicted[sample].tolist(),
            "actual": truth[sample].tolist(),
            "residual": residuals[sample].tolist(),
            "histogram": {"counts": counts.tolist(), "edges": edges.tolist()},
            "mean": float(residuals.mean()),
            "std": float(residuals.std()),
        }
    }


def _thin(length: int) -> np.ndarray:
    if length <= MAX_POINTS:
        return np.arange(length)
    return np.unique(np.linspace(0, length - 1, MAX_POINTS).round().astype(int))


def _calibration(truth: np.ndarray, scores: np.ndarray) -> dict[str, Any]:
    """Mean predicted probability against the observed frequency, per equal-width bin."""
    edges = np.linspace(0.0, 1.0, CALIBRATION_BINS + 1)
    bins = np.clip(np.digitize(scores, edges[1:-1]), 0, CALIBRATION_BINS - 1)
    counts = np.bincount(bins, minlength=CALIBRATION_BINS)
    predicted = np.bincount(bins, weights=scores, minlength=CALIBRATION_BINS)
    observed = np.bincount(bins, weights=truth, minlength=CALIBRATION_BINS)
    filled = counts > 0
    return {
        "predicted": (predicted[filled] / counts[filled]).tolist(),
        "observed": (observed[filled] / counts[filled]).tolist(),
        "rows": counts[filled].tolist(),
    }
