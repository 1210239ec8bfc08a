"""Permutation importance (the ML Test Score's "all features are beneficial"): how much the
evaluation metric worsens when one feature's values are shuffled across the rows, breaking its
link with the label while keeping its distribution. A feature whose importance is not above
zero does not help the model on this data and is flagged."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from shipyard.evaluation.metrics import METRICS, compute_many
from shipyard.evaluation.spec import FeatureImportanceSpec
from shipyard.evaluation.subject import Subject


def permutation_importance(
    subject: Subject,
    features: pd.DataFrame,
    y_true: np.ndarray,
    spec: FeatureImportanceSpec,
    metric: str,
    *,
    task: str,
    classes: tuple[Any, ...] | None,
    positive: Any,
) -> dict[str, Any]:
    """The ``feature_importance`` section of an evaluation: for each model input, the mean
    and standard deviation of the metric's loss over ``spec.repeats`` shuffles, largest
    first (``features``), the means alone (``importances``: feature -> mean), and the
    features flagged (importance <= 0)."""
    rng = np.random.default_rng(spec.seed)
    if len(features) > spec.max_rows:
        keep = np.sort(rng.choice(len(features), spec.max_rows, replace=False))
        features, y_true = features.iloc[keep].reset_index(drop=True), y_true[keep]
    info = METRICS[metric]

    def score(frame: pd.DataFrame) -> float:
        outputs = subject.outputs(frame, task=task, classes=classes, positive=positive)
        return float(compute_many([metric], y_true, outputs)[metric])

    base = score(features)
    rows: list[dict[str, Any]] = []
    for column in features.columns:
        losses = []
        for _ in range(spec.repeats):
            shuffled = features.copy()
            shuffled[column] = features[column].to_numpy()[rng.permutation(len(features))]
            losses.append(info.better(base, score(shuffled)))
        finite = [x for x in losses if math.isfinite(x)]
        mean = float(np.mean(finite)) if finite else None
        std = float(np.std(finite)) if finite else None
        rows.append({"feature": str(column), "importance": mean, "std": std,
                     "flagged": mean is None or mean <= 0})  # fmt: skip
    rows.sort(key=lambda r: -math.inf if r["importance"] is None else r["importance"],
              reverse=True)  # fmt: skip
    return {
        "metric": metric, "direction": info.direction, "baseline_score": base,
        "repeats": spec.repeats, "rows": len(features), "seed": spec.seed, "features": rows,
        "importances": {r["feature"]: r["importance"] for r in rows},
        "flagged": [r["feature"] for r in rows if r["flagged"]],
    }  # fmt: skip
