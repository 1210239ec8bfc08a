"""The metrics Shipyard computes, by task, each with the direction that counts as better.

The registry itself is plain data (importing this module stays cheap: ``shipyard.yaml`` is
checked against it before anything is trained); scikit-learn's metric functions are imported
the first time a metric is computed.

Classification metrics read the predicted labels, or the scores from ``predict_proba`` for the
ranking and probability metrics (``roc_auc``, ``average_precision``, ``log_loss``, ``brier``):
for a binary task the probability of the positive label, for a multiclass task the whole
probability matrix (one-vs-rest macro averages; ``precision``, ``recall`` and ``f1`` are macro
averages too). A metric that is undefined on the data given (one class only, no scores) is NaN.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from shipyard.evaluation.catalog import (
    DEFAULT_METRICS as DEFAULT_METRICS,
    METRICS as METRICS,
    TASKS as TASKS,
    MetricInfo as MetricInfo,
    Task as Task,
    metric_names as metric_names,
)


@dataclass(frozen=True)
class Outputs:
    """What a model said about some rows, ready for the metric functions.

    ``labels`` are the predicted labels (or values, for regression). ``scores`` is None when the
    model gives no probabilities; else ``(n,)`` positive-label probabilities for a binary task,
    ``(n, k)`` probabilities in ``classes`` order for a multiclass one.
    """

    labels: np.ndarray
    scores: np.ndarray | None = None
    classes: tuple[Any, ...] | None = None
    positive: Any = None

    def take(self, mask: np.ndarray) -> Outputs:
        """The outputs for the rows where ``mask`` holds."""
        scores = None if self.scores is None else self.scores[mask]
        return Outputs(self.labels[mask], scores, self.classes, self.positive)

    @property
    def binary(self) -> bool:
        return self.classes is not None and len(self.classes) == 2


def compute(name: str, y_true: np.ndarray, outputs: Outputs) -> float:
    """The value of metric ``name``; NaN when it is undefined for these rows or outputs."""
    info = METRICS[name]
    if len(y_true) == 0 or (info.needs_scores and outputs.scores is None):
        return math.nan
    function = _FUNCTIONS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # undefined metrics (one class, no positives) are NaN
        try:
            value = float(function(y_true, outputs))
        except ValueError:
            return math.nan
    return value if math.isfinite(value) else math.nan


def compute_many(names: Sequence[str], y_true: np.ndarray, outputs: Outputs) -> dict[str, float]:
    """Every metric in ``names``, in order."""
    return {name: compute(name, y_true, outputs) for name in names}


def _skm() -> Any:
    import sklearn.metrics

    return sklearn.metrics


def _label_kwargs(outputs: Outputs) -> dict[str, Any]:
    if outputs.binary:
        return {"pos_label": outputs.positive, "average": "binary", "zero_division": 0}
    return {"average": "macro", "zero_division": 0}


def _binary_truth(y_true: np.ndarray, outputs: Outputs) -> np.ndarray:
    return np.asarray(y_true == outputs.positive, dtype=int)


def _roc_auc(y_true: np.ndarray, outputs: Outputs) -> float:
    if outputs.binary:
        return float(_skm().roc_auc_score(_binary_truth(y_true, outputs), outputs.scores))
    return float(
        _skm().roc_auc_score(
            y_true, outputs.scores, multi_class="ovr", average="macro", labels=outputs.classes
        )
    )


def _average_precision(y_true: np.ndarray, outputs: Outputs) -> float:
    if outputs.binary:
        truth = _binary_truth(y_true, outputs)
        return float(_skm().average_precision_score(truth, outputs.scores))
    from sklearn.preprocessing import label_binarize

    indicator = label_binarize(y_true, classes=list(outputs.classes or ()))
    return float(_skm().average_precision_score(indicator, outputs.scores, average="macro"))


def _probabilities(outputs: Outputs) -> np.ndarray:
    scores = np.asarray(outputs.scores, dtype=float)
    if outputs.binary and scores.ndim == 1:
        return np.column_stack([1.0 - scores, scores])
    return scores


def _ordered_classes(outputs: Outputs) -> list[Any]:
    """The classes in the order of the columns of :func:`_probabilities`."""
    classes = list(outputs.classes or ())
    if outputs.binary:
        negative = next(c for c in classes if c != outputs.positive)
        return [negative, outputs.positive]
    return classes


def _log_loss(y_true: np.ndarray, outputs: Outputs) -> float:
    probabilities = _probabilities(outputs)
    classes = _ordered_classes(outputs)
    position = {value: index for index, value in enumerate(classes)}
    codes = np.array([position.get(value, -1) for value in y_true.tolist()], dtype=int)
    if (codes < 0).any():
        return math.nan
    clipped = np.clip(probabilities[np.arange(len(codes)), codes], 1e-15, 1.0)
    return float(-np.mean(np.log(clipped)))


def _brier(y_true: np.ndarray, outputs: Outputs) -> float:
    if outputs.binary:
        truth = _binary_truth(y_true, outputs)
        return float(_skm().brier_score_loss(truth, outputs.scores))
    labels = list(outputs.classes or ())
    return float(_skm().brier_score_loss(y_true, outputs.scores, labels=labels))


_Function = Callable[[np.ndarray, Outputs], float]

_FUNCTIONS: dict[str, _Function] = {
    "accuracy": lambda y, o: _skm().accuracy_score(y, o.labels),
    "balanced_accuracy": lambda y, o: _skm().balanced_accuracy_score(y, o.labels),
    "precision": lambda y, o: _skm().precision_score(y, o.labels, **_label_kwargs(o)),
    "recall": lambda y, o: _skm().recall_score(y, o.labels, **_label_kwargs(o)),
    "f1": lambda y, o: _skm().f1_score(y, o.labels, **_label_kwargs(o)),
    "roc_auc": _roc_auc,
    "average_precision": _average_precision,
    "log_loss": _log_loss,
    "brier": _brier,
    "rmse": lambda y, o: _skm().root_mean_squared_error(y, o.labels),
    "mae": lambda y, o: _skm().mean_absolute_error(y, o.labels),
    "r2": lambda y, o: _skm().r2_score(y, o.labels),
    "mape": lambda y, o: _skm().mean_absolute_percentage_error(y, o.labels),
}
