"""The metrics Shipyard knows: name, task, direction and whether each needs probability
scores. Plain data (no NumPy), so configuration can be checked without the ML stack."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Task = Literal["classification", "regression"]
TASKS: tuple[Task, ...] = ("classification", "regression")


@dataclass(frozen=True)
class MetricInfo:
    """One metric: its task, whether higher is better, and whether it needs scores."""

    name: str
    task: Task
    higher_is_better: bool
    needs_scores: bool
    description: str

    @property
    def direction(self) -> Literal["higher", "lower"]:
        return "higher" if self.higher_is_better else "lower"

    def better(self, observed: float, reference: float) -> float:
        """How much better ``observed`` is than ``reference`` (negative when worse)."""
        return observed - reference if self.higher_is_better else reference - observed


METRICS: dict[str, MetricInfo] = {
    m.name: m
    for m in (
        MetricInfo("accuracy", "classification", True, False, "share of correct labels"),
        MetricInfo("balanced_accuracy", "classification", True, False, "mean recall over classes"),
        MetricInfo("precision", "classification", True, False, "precision of the positive label"),
        MetricInfo("recall", "classification", True, False, "recall of the positive label"),
        MetricInfo("f1", "classification", True, False, "harmonic mean of precision and recall"),
        MetricInfo("roc_auc", "classification", True, True, "area under the ROC curve"),
        MetricInfo("average_precision", "classification", True, True, "area under the PR curve"),
        MetricInfo("log_loss", "classification", False, True, "cross-entropy of the probabilities"),
        MetricInfo("brier", "classification", False, True, "mean squared probability error"),
        MetricInfo("rmse", "regression", False, False, "root mean squared error"),
        MetricInfo("mae", "regression", False, False, "mean absolute error"),
        MetricInfo("r2", "regression", True, False, "coefficient of determination"),
        MetricInfo("mape", "regression", False, False, "mean absolute percentage error"),
    )
}

DEFAULT_METRICS: dict[Task, tuple[str, ...]] = {
    "classification": ("accuracy", "balanced_accuracy", "f1", "roc_auc", "log_loss"),
    "regression": ("rmse", "mae", "r2"),
}


def metric_names(task: Task) -> list[str]:
    """The metrics known for ``task``, in registry order."""
    return [name for name, info in METRICS.items() if info.task == task]
