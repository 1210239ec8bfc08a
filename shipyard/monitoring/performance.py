"""Live performance: the deployment's predictions scored against the labels sent back as
feedback (joined by request id and row), with the metrics of ``shipyard.evaluation``."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from shipyard.evaluation.metrics import Outputs, Task, compute_many

REPORTED: dict[Task, tuple[str, ...]] = {
    "classification": ("accuracy", "f1", "roc_auc", "balanced_accuracy"),
    "regression": ("rmse", "mae", "r2"),
}
_SCORE_KEYS = ("probability", "score", "proba")


def task_of(output: Mapping[str, Any], declared: str | None = None) -> Task:
    """The declared task, else what the model's output spec says (classes or a float)."""
    if declared in ("classification", "regression"):
        return "classification" if declared == "classification" else "regression"
    if output.get("classes"):
        return "classification"
    return "regression" if output.get("dtype", "float") == "float" else "classification"


def live_performance(
    pairs: Sequence[tuple[Any, Any]],
    *,
    task: Task,
    classes: Sequence[Any] | None = None,
    positive: Any = None,
) -> dict[str, Any] | None:
    """Metrics over (prediction, label) pairs; None when no label has arrived yet."""
    kept = [(p, y) for p, y in pairs if y is not None and p is not None]
    if not kept:
        return None
    if task == "regression":
        labels = np.array([_number(p) for p, _ in kept], dtype=np.float64)
        truth = np.array([_number(y) for _, y in kept], dtype=np.float64)
        metrics = compute_many(REPORTED[task], truth, Outputs(labels))
        return _result(metrics, len(kept), "labels")
    predicted = [prediction_label(p) for p, _ in kept]
    truth_values = [y for _, y in kept]
    known = list(classes) if classes else sorted({*predicted, *truth_values}, key=str)
    positive = positive if positive is not None else (known[-1] if len(known) == 2 else None)
    scores, source = _scores(kept, predicted, positive, len(known) == 2)
    outputs = Outputs(np.asarray(predicted), scores, tuple(known), positive)
    metrics = compute_many(REPORTED[task], np.asarray(truth_values), outputs)
    return _result(metrics, len(kept), source)


def _result(metrics: Mapping[str, float], rows: int, scores: str) -> dict[str, Any]:
    clean = {k: (None if math.isnan(v) else v) for k, v in metrics.items()}
    return {"labelled_rows": rows, "metrics": clean, "scores": scores}


def _scores(
    pairs: Sequence[tuple[Any, Any]], predicted: list[Any], positive: Any, binary: bool
) -> tuple[np.ndarray | None, str]:
    """Positive-class scores from logged probabilities, else the predicted labels as 0/1
    (AUC is then that of a hard classifier); None for a multiclass task without them."""
    found = [_score(p) for p, _ in pairs]
    if all(s is not None for s in found):
        return np.array(found, dtype=np.float64), "probabilities"
    if binary:
        return np.array([1.0 if p == positive else 0.0 for p in predicted]), "labels"
    return None, "labels"


def _score(prediction: Any) -> float | None:
    if isinstance(prediction, Mapping):
        for key in _SCORE_KEYS:
            if isinstance(prediction.get(key), int | float):
                return float(prediction[key])
    return None


def prediction_label(prediction: Any) -> Any:
    if isinstance(prediction, Mapping):
        return prediction.get("label", prediction.get("prediction"))
    if isinstance(prediction, list) and len(prediction) == 1:
        return prediction[0]
    return prediction


def _number(value: Any) -> float:
    value = prediction_label(value)
    return float(value) if isinstance(value, int | float) else math.nan
