"""Evaluate a model on held-out data and hold it to the gates of an :class:`EvaluationSpec`.

The model predicts once over the whole data; metrics, slices, fairness and the report's curves
all read those predictions. Baselines (the versions behind aliases) predict once each, and every
behavioural test costs one more prediction over the rows.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from shipyard.core.errors import DataError, ShipyardError, UsageError
from shipyard.evaluation import behaviour, fairness, gates
from shipyard.evaluation.curves import classification_curves, regression_curves
from shipyard.evaluation.importance import permutation_importance, shap_importance
from shipyard.evaluation.metrics import METRICS, Outputs, compute_many
from shipyard.evaluation.result import Baseline, EvaluationResult, GateOutcome
from shipyard.evaluation.simple import SimpleKind, describe, fit_simple
from shipyard.evaluation.spec import (
    BEHAVIOURAL_KINDS,
    BaselineGate,
    EvaluationSpec,
    FairnessGate,
    SliceGate,
)
from shipyard.evaluation.subject import Subject, resolve_classes
from shipyard.models.plain import to_plain_scalar

MAX_SLICES = 50
"""Per column, the largest this many values are sliced; the rest are noted."""
MAX_BEHAVIOUR_ROWS = 20_000
"""Behavioural tests probe at most this many rows (a seeded sample)."""
_NO_BASELINES: Mapping[str, Baseline] = {}
SIMPLE = "baseline:"
"""Key prefix of a simple model's entry in ``EvaluationResult.baselines``."""


def evaluate(
    model: Any,
    data: pd.DataFrame,
    spec: EvaluationSpec,
    *,
    baselines: Mapping[str, Baseline] = _NO_BASELINES,
    train: pd.DataFrame | None = None,
) -> EvaluationResult:
    """Measure ``model`` on ``data`` (features and the label column) and apply every gate.

    ``model`` is a fitted estimator (``predict``, optionally ``predict_proba``) or a
    :class:`~shipyard.models.LoadedModel`. ``baselines`` maps an alias to the version behind it;
    a ``no_regression`` gate whose alias is absent passes with the note "no baseline". ``train``
    (the training data, features and label) is what ``baseline`` gates fit their simple model
    on. Failing gates do not raise: the result says which failed and by how much.
    """
    started = time.perf_counter()
    if not isinstance(spec, EvaluationSpec):
        raise UsageError(
            f"spec must be an EvaluationSpec, not {type(spec).__name__}.",
            hint="Build one with EvaluationSpec(task=..., label=..., gates=[...]).",
        )
    if not isinstance(data, pd.DataFrame):
        raise UsageError(
            f"The evaluation data must be a pandas DataFrame, not {type(data).__name__}.",
            hint="Pass the features and the label column as one DataFrame.",
        )
    if spec.label not in data.columns:
        raise DataError(
            f"The evaluation data has no label column {spec.label!r}.",
            hint="Set evaluation.label to the column holding the true labels.",
        )
    notes: list[str] = []
    unlabelled = int(data[spec.label].isna().sum())
    if unlabelled:
        data = data[data[spec.label].notna()]
        notes.append(f"{unlabelled} rows without a label were left out.")
    if data.empty:
        raise DataError("The evaluation data has no labelled rows.",
                        hint="Hold out some labelled rows to evaluate.")  # fmt: skip
    if spec.task == "regression" and not pd.api.types.is_numeric_dtype(data[spec.label].dtype):
        raise DataError(
            f"The label column {spec.label!r} holds {data[spec.label].dtype} values, but the "
            "task is regression.",
            hint="Regression needs a numeric label; for categories set evaluation.task to "
            "classification.",
        )
    data = data.reset_index(drop=True)
    y_true = data[spec.label].to_numpy()
    subject = Subject(model, label=spec.label)
    classes: tuple[Any, ...] | None = None
    positive = None
    if spec.task == "classification":
        classes, positive = resolve_classes(subject, data[spec.label], spec.positive_label)
    features = subject.features(data)
    outputs = subject.outputs(features, task=spec.task, classes=classes, positive=positive)
    needed = spec.metrics_needed()
    metrics = compute_many(needed, y_true, outputs)
    if spec.task == "classification" and outputs.scores is None:
        notes.append("The model gives no probabilities: score metrics and curves are skipped.")

    slice_columns = list(
        dict.fromkeys([*spec.slices, *(g.column for g in spec.gates if isinstance(g, SliceGate))])
    )
    slices = {c: _slice_table(data[c], y_true, outputs, needed, notes) for c in slice_columns}
    fairness_tables: dict[str, dict[str, Any]] = {}
    for gate in spec.gates:
        if isinstance(gate, FairnessGate) and gate.sensitive not in fairness_tables:
            fairness_tables[gate.sensitive] = fairness.fairness_table(
                y_true, outputs.labels, data[gate.sensitive], positive
            )
    baseline_metrics = {
        alias: _baseline_metrics(baseline, data, spec, y_true, positive, needed)
        for alias, baseline in baselines.items()
    }
    labelled = features.assign(**{spec.label: y_true})
    for kind in sorted({g.model for g in spec.gates if isinstance(g, BaselineGate)}):
        baseline_metrics[f"{SIMPLE}{kind}"] = _simple_metrics(
            kind, subject, train, labelled, spec, y_true, positive, needed
        )
    importance = _importance(subject, features, y_true, spec, metrics, task=spec.task,
                             classes=classes, positive=positive, notes=notes)  # fmt: skip

    probe = _probe(subject, features, outputs, spec.task)
    outcomes: list[GateOutcome] = []
    behaviour_details: dict[str, dict[str, Any]] = {}
    for position, gate in enumerate(spec.gates):
        context = GateContext(
            metrics, baseline_metrics, slices, fairness_tables, probe, data, position
        )
        outcome = CHECKS[gate.kind](gate, context)
        if gate.kind in BEHAVIOURAL_KINDS:
            behaviour_details[outcome.name] = {
                "kind": gate.kind,
                "passed": outcome.passed,
                "observed": outcome.observed,
                "threshold": outcome.threshold,
                "message": outcome.message,
                **outcome.details,
            }
        outcomes.append(outcome)

    if spec.task == "classification":
        curves = classification_curves(y_true, outputs)
    else:
        curves = regression_curves(y_true, outputs.labels)
    return EvaluationResult(
        task=spec.task,
        label=spec.label,
        rows=len(data),
        passed=all(outcome.passed for outcome in outcomes),
        gates=outcomes,
        metrics={name: (None if math.isnan(v) else v) for name, v in metrics.items()},
        positive_label=to_plain_scalar(positive),
        classes=None if classes is None else [to_plain_scalar(c) for c in classes],
        slices=slices,
        fairness=fairness_tables,
        behaviour=behaviour_details,
        baselines=baseline_metrics,
        curves=curves,
        directions={name: METRICS[name].direction for name in needed},
        feature_importance=importance,
        notes=notes,
        seconds=time.perf_counter() - started,
    )


@dataclass(frozen=True)
class GateContext:
    """What every gate check may read: computed once per evaluation, shared by all gates."""

    metrics: Mapping[str, float]
    baselines: Mapping[str, Mapping[str, Any]]
    slices: Mapping[str, list[dict[str, Any]]]
    fairness: Mapping[str, dict[str, Any]]
    probe: behaviour.Probe
    data: pd.DataFrame
    position: int


GateCheck = Callable[[Any, GateContext], GateOutcome]

CHECKS: dict[str, GateCheck] = {
    "threshold": lambda gate, c: gates.threshold_outcome(gate, c.metrics),
    "no_regression": lambda gate, c: gates.no_regression_outcome(gate, c.metrics, c.baselines),
    "slice": lambda gate, c: gates.slice_outcome(gate, c.slices[gate.column]),
    "fairness": lambda gate, c: fairness.fairness_outcome(gate, c.fairness[gate.sensitive]),
    "invariance": lambda gate, c: behaviour.invariance(gate, c.probe),
    "directional": lambda gate, c: behaviour.directional(gate, c.probe),
    "minimum_functionality": lambda gate, c: behaviour.minimum_functionality(
        gate, c.probe, c.data, c.position
    ),
    "baseline": lambda gate, c: gates.baseline_outcome(gate, c.metrics, c.baselines),
}
"""The check of each gate kind: one function from the gate and the context to its outcome."""


def _slice_table(
    values: pd.Series[Any],
    y_true: np.ndarray,
    outputs: Outputs,
    metric_names: list[str],
    notes: list[str],
) -> list[dict[str, Any]]:
    """One entry per value of a column, largest first: its rows and its metrics."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    counts = np.bincount(codes, minlength=len(uniques))
    order = np.argsort(-counts, kind="stable")
    if len(order) > MAX_SLICES:
        notes.append(
            f"{values.name!r} has {len(order)} values; only the {MAX_SLICES} largest are sliced."
        )
        order = order[:MAX_SLICES]
    table = []
    for code in order:
        mask = codes == code
        value = uniques[code]
        table.append(
            {
                "value": "(missing)" if pd.isna(value) else to_plain_scalar(value),
                "rows": int(counts[code]),
                "metrics": compute_many(metric_names, y_true[mask], outputs.take(mask)),
            }
        )
    return table


def _baseline_metrics(
    baseline: Baseline,
    data: pd.DataFrame,
    spec: EvaluationSpec,
    y_true: np.ndarray,
    positive: Any,
    names: list[str],
) -> dict[str, Any]:
    entry: dict[str, Any] = {"version": str(baseline.version), "metrics": {}}
    try:
        subject = Subject(baseline.model, label=spec.label)
        classes = None
        if spec.task == "classification":
            classes, positive = resolve_classes(subject, data[spec.label], positive)
        outputs = subject.outputs(
            subject.features(data), task=spec.task, classes=classes, positive=positive
        )
    except ShipyardError as exc:
        entry["error"] = exc.message
        return entry
    entry["metrics"] = {
        name: (None if math.isnan(value) else value)
        for name, value in compute_many(names, y_true, outputs).items()
    }
    return entry


def _simple_metrics(
    kind: SimpleKind,
    subject: Subject,
    train: pd.DataFrame | None,
    labelled: pd.DataFrame,
    spec: EvaluationSpec,
    y_true: np.ndarray,
    positive: Any,
    names: list[str],
) -> dict[str, Any]:
    """The simple ``kind`` model fitted on ``train`` (the candidate's input columns) and
    measured on the evaluation rows the candidate was (``labelled``: its features and label)."""
    if train is None:
        raise UsageError(
            f"A baseline gate fits a {kind} model on the training data, and none was given.",
            hint="Pass train=TRAINING_FRAME to evaluate (the pipeline passes its train data).",
        )
    if spec.label not in train.columns:
        raise DataError(f"The training data has no label column {spec.label!r}.",
                        hint="Pass the training features and label as one DataFrame.")  # fmt: skip
    rows = train[train[spec.label].notna()]
    try:
        model = fit_simple(kind, spec.task, subject.features(rows), rows[spec.label])
    except ShipyardError as exc:
        return {"version": kind, "simple": True, "metrics": {}, "error": exc.message}
    except ValueError as exc:  # scikit-learn refusing the data
        return {"version": kind, "simple": True, "metrics": {}, "error": str(exc)}
    entry = _baseline_metrics(Baseline(model, kind), labelled, spec, y_true, positive, names)
    return {**entry, "simple": True, "model": describe(model), "train_rows": len(rows)}


def _importance(
    subject: Subject,
    features: pd.DataFrame,
    y_true: np.ndarray,
    spec: EvaluationSpec,
    metrics: Mapping[str, float],
    *,
    task: str,
    classes: tuple[Any, ...] | None,
    positive: Any,
    notes: list[str],
) -> dict[str, Any] | None:
    """Permutation and SHAP importance (None when ``feature_importance: false``). Without a
    configured metric, the first declared one the model could be scored on is used (a model
    without probabilities has no roc_auc)."""
    options = spec.feature_importance
    if options is None or spec.importance_metric is None:
        return None
    metric = spec.importance_metric
    if options.metric is None and not math.isfinite(metrics.get(metric, math.nan)):
        metric = next((m for m in spec.metrics if math.isfinite(metrics.get(m, math.nan))), metric)
    found = permutation_importance(subject, features, y_true, options, metric, task=task,
                                   classes=classes, positive=positive)  # fmt: skip
    if found["flagged"]:
        notes.append("Features that do not improve " + found["metric"] + " (permutation "
                     "importance <= 0): " + ", ".join(found["flagged"]) + ".")  # fmt: skip
    return {**found, "shap": shap_importance(subject, features, options)}


def _probe(
    subject: Subject, features: pd.DataFrame, outputs: Outputs, task: str
) -> behaviour.Probe:
    if len(features) > MAX_BEHAVIOUR_ROWS:
        rng = np.random.default_rng(0)
        rows = np.sort(rng.choice(len(features), MAX_BEHAVIOUR_ROWS, replace=False))
        mask = np.zeros(len(features), dtype=bool)
        mask[rows] = True
        return behaviour.Probe(subject, features[mask], outputs.take(mask), task)
    return behaviour.Probe(subject, features, outputs, task)
