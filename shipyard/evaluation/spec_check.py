"""Checking an :class:`~shipyard.evaluation.spec.EvaluationSpec` against the columns of the
evaluation data before anything is trained: unknown metrics, metrics of the other task,
unknown columns and gates that cannot apply fail with the key path of the YAML."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from shipyard.core.errors import ConfigurationKeyError
from shipyard.evaluation.catalog import METRICS, Task, metric_names
from shipyard.evaluation.spec import (
    DirectionalGate,
    EvaluationSpec,
    FairnessGate,
    InvarianceGate,
    KeyPath,
)

NUMERIC_DTYPES = frozenset({"integer", "float", "decimal", "number", "boolean"})


def check_spec(
    spec: EvaluationSpec,
    columns: Mapping[str, str],
    *,
    prefix: Sequence[str | int] = ("evaluation",),
) -> None:
    """Check ``spec`` against the evaluation data's ``columns`` (name -> logical dtype).

    Raises ConfigurationKeyError (a ConfigurationError) at the first unknown metric, metric
    that does not fit the task, unknown column, or gate that cannot apply to the task or to
    the column's type; its ``key_path`` is the YAML position (``evaluation.gates[2].metric``)
    and its message names the gate.
    """
    root = tuple(prefix)
    known = set(columns)
    if spec.label not in known:
        _fail((*root, "label"), f"the label column {spec.label!r} is not in the data", columns)
    for i, metric in enumerate(spec.metrics):
        _check_metric(metric, spec.task, (*root, "metrics", i), "")
    for i, column in enumerate(spec.slices):
        if column not in known:
            _fail((*root, "slices", i), f"unknown slice column {column!r}", columns)
    if spec.feature_importance is not None and spec.feature_importance.metric is not None:
        where = (*root, "feature_importance", "metric")
        _check_metric(spec.feature_importance.metric, spec.task, where, " in feature_importance")
    for i, gate in enumerate(spec.gates):
        where = (*root, "gates", i)
        about = f" in gate {gate.name!r}"
        for key, metric in gate.metric_refs():
            _check_metric(metric, spec.task, (*where, key), about)
        for key_path, column in gate.column_refs():
            if column not in known:
                _fail(where + key_path, f"unknown column {column!r}{about}", columns)
            if column == spec.label:
                raise ConfigurationKeyError(
                    f"gate {gate.name!r} uses the label column {spec.label!r} as an input.",
                    key_path=where + key_path,
                    hint="Perturb, slice or fix only feature columns.",
                )
        _check_gate_fits(gate, spec.task, columns, where)


def _check_metric(metric: str, task: Task, key_path: KeyPath, about: str) -> None:
    info = METRICS.get(metric)
    if info is None:
        raise ConfigurationKeyError(
            f"unknown metric {metric!r}{about} (known for {task}: "
            f"{', '.join(metric_names(task))}).",
            key_path=key_path,
            hint="Use one of the known metric names.",
        )
    if info.task != task:
        raise ConfigurationKeyError(
            f"metric {metric!r}{about} is a {info.task} metric but the task is {task} "
            f"(known for {task}: {', '.join(metric_names(task))}).",
            key_path=key_path,
            hint="Pick a metric for the task, or correct `evaluation.task`.",
        )


def _check_gate_fits(gate: Any, task: Task, columns: Mapping[str, str], where: KeyPath) -> None:
    if isinstance(gate, FairnessGate) and task != "classification":
        raise ConfigurationKeyError(
            f"fairness gate {gate.name!r} needs a classification task "
            "(demographic parity and equalized odds compare predicted labels).",
            key_path=(*where, "kind"),
            hint="Use a slice gate to bound a regression metric per group.",
        )
    numeric_only: list[tuple[KeyPath, str]] = []
    if isinstance(gate, DirectionalGate):
        numeric_only = [(("column",), gate.column)]
    elif isinstance(gate, InvarianceGate) and gate.perturb == "noise":
        numeric_only = gate.column_refs()
    for key_path, column in numeric_only:
        dtype = columns.get(column)
        if dtype not in NUMERIC_DTYPES - {"boolean"}:
            raise ConfigurationKeyError(
                f"gate {gate.name!r} changes {column!r} arithmetically, but it is a "
                f"{dtype} column.",
                key_path=where + key_path,
                hint="Use a numeric column, or `perturb: resample` for other columns.",
            )


def _fail(key_path: KeyPath, message: str, columns: Mapping[str, str]) -> None:
    shown = ", ".join(sorted(columns)[:30])
    raise ConfigurationKeyError(
        f"{message} (columns: {shown}).", key_path=key_path, hint="Check the column's spelling."
    )
