"""Global feature importance, recorded by every evaluation (the ``feature_importance``
section; ``evaluation.feature_importance`` in shipyard.yaml tunes it or switches it off).

Permutation importance (the ML Test Score's "all features are beneficial") is scikit-learn's
:func:`~sklearn.inspection.permutation_importance`: how much the evaluation metric worsens when
one feature's values are shuffled across the rows, breaking its link with the label while
keeping its distribution. A feature whose importance is not above zero does not help the model
on this data and is flagged. SHAP importance is the mean absolute SHAP value per feature
(:meth:`~shipyard.models.explain.Explanation.global_importance`), from the fast explainers of
:mod:`shipyard.models.explain`; the per-row values of the strongest features are kept for the
report's beeswarm. Both read one seeded sample of the evaluation rows, so their cost is bounded
whatever the size of the evaluation set.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import pandas as pd

from shipyard.core.errors import ShipyardError
from shipyard.evaluation.metrics import METRICS, compute_many
from shipyard.evaluation.spec import FeatureImportanceSpec
from shipyard.evaluation.subject import Subject

SHAP_CHUNK = 25
"""SHAP explains the sample this many rows at a time, checking its time budget in between."""
BEESWARM_FEATURES = 20
"""The report's beeswarm shows at most this many features (the strongest by SHAP)."""
BEESWARM_ROWS = 200
"""… and at most this many rows of the SHAP sample, one dot each."""


def importance_sample(rows: int, max_rows: int, seed: int) -> np.ndarray:
    """Positions of the evaluation rows importance is measured on: all of them when there are
    at most ``max_rows``, else ``max_rows`` drawn without replacement by ``seed``, in order."""
    if rows <= max_rows:
        return np.arange(rows)
    return np.sort(np.random.default_rng(seed).choice(rows, max_rows, replace=False))


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
    and standard deviation of the metric's loss over ``spec.repeats`` shuffles (scikit-learn's
    ``permutation_importance`` with ``random_state=spec.seed``) on the sample
    :func:`importance_sample` picks, largest first (``features``), the means alone
    (``importances``: feature -> mean), and the features flagged (importance <= 0)."""
    from sklearn.inspection import permutation_importance as sklearn_permutation_importance

    keep = importance_sample(len(features), spec.max_rows, spec.seed)
    features, y_true = features.iloc[keep].reset_index(drop=True), y_true[keep]
    info = METRICS[metric]
    sign = 1.0 if info.direction == "higher" else -1.0

    def score(_: Any, frame: pd.DataFrame, labels: np.ndarray) -> float:
        """The metric, made larger-is-better as scikit-learn's scorers are."""
        outputs = subject.outputs(frame, task=task, classes=classes, positive=positive,
                                  only="scores" if info.needs_scores else "labels")  # fmt: skip
        return sign * float(compute_many([metric], labels, outputs)[metric])

    found = sklearn_permutation_importance(
        _Fitted(), features, y_true, scoring=score, n_repeats=spec.repeats,
        random_state=spec.seed,
    )  # fmt: skip
    base = sign * score(subject, features, y_true)
    rows: list[dict[str, Any]] = []
    for column, losses in zip(features.columns, found.importances, strict=True):
        finite = [float(x) for x in losses if math.isfinite(x)]
        mean = float(np.mean(finite)) if finite else None
        std = float(np.std(finite)) if finite else None
        rows.append({"feature": str(column), "importance": mean, "std": std,
                     "flagged": mean is None or mean <= 0})  # fmt: skip
    rows.sort(key=lambda r: -math.inf if r["importance"] is None else r["importance"],
              reverse=True)  # fmt: skip
    return {
        "method": "permutation", "metric": metric, "direction": info.direction,
        "baseline_score": base, "repeats": spec.repeats, "rows": len(features),
        "seed": spec.seed, "features": rows,
        "importances": {r["feature"]: r["importance"] for r in rows},
        "flagged": [r["feature"] for r in rows if r["flagged"]],
    }  # fmt: skip


class _Fitted:
    """What scikit-learn takes as the estimator (it checks for ``fit``, which is never
    called): the scorer asks the subject itself, as the rest of the evaluation does."""

    def fit(self, *_: Any) -> _Fitted:
        return self


def shap_importance(
    subject: Subject, features: pd.DataFrame, spec: FeatureImportanceSpec
) -> dict[str, Any]:
    """The ``shap`` part of the section: ``status`` ``computed`` with the mean absolute SHAP
    value per feature (``importances``, largest first), the rows explained and the beeswarm's
    points; or ``skipped`` with the ``reason`` (SHAP switched off or not installed, no fast
    explainer for this model). The rows are the first ``spec.shap_rows`` of the permutation
    sample, explained :data:`SHAP_CHUNK` at a time (with ``spec.shap_seconds`` set, until that
    time has passed since the explainer was started, at least one chunk). A linear model is
    explained against the same rows (their mean is its baseline)."""
    if not spec.shap:
        return {"status": "skipped", "reason": "SHAP is switched off (feature_importance.shap)."}
    from shipyard.models.explain import Explanation, frame_explainer, import_shap

    keep = importance_sample(len(features), spec.max_rows, spec.seed)[: spec.shap_rows]
    sample = features.iloc[keep].reset_index(drop=True)
    try:
        import_shap()
        started = time.perf_counter()  # the budget: building the explainer and explaining
        explainer = frame_explainer(native_model(subject), sample)
        parts: list[Explanation] = []
        for start in range(0, len(sample), SHAP_CHUNK):
            if (
                spec.shap_seconds is not None
                and parts
                and time.perf_counter() - started > spec.shap_seconds
            ):
                break
            parts.append(explainer.explain(sample.iloc[start : start + SHAP_CHUNK]))
    except ShipyardError as exc:
        reason = exc.message if exc.hint is None else f"{exc.message} {exc.hint}"
        return {"status": "skipped", "reason": reason}
    values = [row for part in parts for row in _rows(part.values, part.classes)]
    explained = sample.iloc[: len(values)]
    first = parts[0]
    merged = Explanation(first.method, first.features, _merge(parts), first.base_value,
                         first.output, classes=first.classes)  # fmt: skip
    importances = merged.global_importance()
    return {
        "status": "computed", "method": first.method, "output": first.output,
        "rows": len(explained), "seed": spec.seed, "importances": importances,
        "beeswarm": None if first.classes is not None else _beeswarm(explained, values,
                                                                     list(importances)),
    }  # fmt: skip


def native_model(subject: Subject) -> Any:
    """The estimator the subject predicts with, unwrapped (``__wrapped__``) from any wrapper
    that only adds behaviour around it, such as the pipeline's remembered predictions."""
    model = subject.estimator
    while getattr(model, "__wrapped__", None) is not None:
        model = model.__wrapped__
    return model


def _rows(values: list[Any], classes: list[Any] | None) -> list[Any]:
    """One entry per explained row (a multiclass explanation holds one table per class)."""
    return list(values) if classes is None else list(zip(*values, strict=True))


def _merge(parts: list[Any]) -> list[Any]:
    """The chunks' values as one explanation's (per class for a multiclass model)."""
    if parts[0].classes is None:
        return [row for part in parts for row in part.values]
    return [[row for part in parts for row in part.values[k]]
            for k in range(len(parts[0].classes))]  # fmt: skip


def _beeswarm(sample: pd.DataFrame, values: list[Any], ranked: list[str]) -> dict[str, Any]:
    """Per feature (strongest first), each row's SHAP value and where the feature's value lies
    in its range over the sample (0 lowest, 1 highest; None for a value that is not a number),
    as SHAP's summary plot colours it."""
    array = np.asarray(values, dtype=float)[:BEESWARM_ROWS]
    columns = list(sample.columns)
    points = []
    for feature in ranked[:BEESWARM_FEATURES]:
        column = sample[feature].iloc[: len(array)]
        points.append({"feature": feature,
                       "shap": [_round(v) for v in array[:, columns.index(feature)]],
                       "value": _positions(column)})  # fmt: skip
    return {"rows": len(array), "points": points}


def _positions(column: pd.Series[Any]) -> list[float | None]:
    """Each value's place between the sample's 5th and 95th percentiles, clipped to [0, 1]."""
    if not pd.api.types.is_numeric_dtype(column.dtype):
        return [None] * len(column)
    numbers = column.to_numpy(dtype=float, na_value=np.nan)
    finite = numbers[np.isfinite(numbers)]
    if finite.size == 0:
        return [None] * len(numbers)
    low, high = np.percentile(finite, [5, 95])
    span = high - low
    if span <= 0:
        low, span = float(finite.min()), float(finite.max() - finite.min()) or 1.0
    return [None if not math.isfinite(v) else round(float(min(1.0, max(0.0, (v - low) / span))), 3)
            for v in numbers]  # fmt: skip


def _round(value: float) -> float | None:
    return float(f"{value:.4g}") if math.isfinite(value) else None  # enough to plot
