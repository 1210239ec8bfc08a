"""Behavioural assertions for model tests. Each builds the gate the evaluation package would
build from ``shipyard.yaml`` and runs the same check (:mod:`shipyard.evaluation.behaviour`),
raising ``AssertionError`` with the gate's message when it does not hold."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import pandas as pd

from shipyard.evaluation.behaviour import Probe, directional, invariance, minimum_functionality
from shipyard.evaluation.result import GateOutcome
from shipyard.evaluation.spec import (
    Case,
    DirectionalGate,
    InvarianceGate,
    MinimumFunctionalityGate,
)
from shipyard.evaluation.subject import Subject, resolve_classes

Task = Literal["classification", "regression"]


def assert_invariant(
    model: Any,
    data: pd.DataFrame,
    columns: Sequence[str],
    *,
    label: str,
    task: Task = "classification",
    max_changed: float = 0.0,
    perturb: Literal["resample", "noise"] = "resample",
    positive_label: Any = None,
) -> GateOutcome:
    """Perturbing ``columns`` of ``data`` changes at most ``max_changed`` of the predictions."""
    gate = InvarianceGate(
        kind="invariance",
        name=f"invariant to {', '.join(columns)}",
        columns=list(columns),
        max_changed=max_changed,
        perturb=perturb,
    )
    return _hold(invariance(gate, _probe(model, data, label, task, positive_label)))


def assert_directional(
    model: Any,
    data: pd.DataFrame,
    column: str,
    *,
    expect: Literal["increase", "decrease"],
    label: str,
    delta: float | None = None,
    factor: float | None = None,
    min_share: float = 0.95,
    task: Task = "classification",
    positive_label: Any = None,
) -> GateOutcome:
    """Changing ``column`` by ``delta`` (or ``factor``) moves the score as ``expect``-ed for at
    least ``min_share`` of the rows."""
    gate = DirectionalGate(
        kind="directional",
        name=f"{column} {expect}s the score",
        column=column,
        delta=delta,
        factor=factor,
        expect=expect,
        min_share=min_share,
    )
    return _hold(directional(gate, _probe(model, data, label, task, positive_label)))


def assert_min_functionality(
    model: Any,
    data: pd.DataFrame,
    cases: Sequence[Mapping[str, Any]],
    *,
    label: str,
    min_pass: float = 1.0,
    task: Task = "classification",
    positive_label: Any = None,
) -> GateOutcome:
    """The model answers each case as declared (``{"input": {...}, "expect" | "min" | "max"}``;
    columns left out take a typical value of ``data``)."""
    gate = MinimumFunctionalityGate(
        kind="minimum_functionality",
        name="minimum functionality",
        cases=[Case(**dict(c)) for c in cases],
        min_pass=min_pass,
    )
    probe = _probe(model, data, label, task, positive_label)
    return _hold(minimum_functionality(gate, probe, data, 0))


def _probe(model: Any, data: pd.DataFrame, label: str, task: str, positive_label: Any) -> Probe:
    subject = Subject(model, label=label)
    classes = positive = None
    if task == "classification":
        classes, positive = resolve_classes(subject, data[label], positive_label)
    features = subject.features(data)
    outputs = subject.outputs(features, task=task, classes=classes, positive=positive)
    return Probe(subject, features, outputs, task)


def _hold(outcome: GateOutcome) -> GateOutcome:
    if not outcome.passed:
        raise AssertionError(f"{outcome.name}: {outcome.message}")
    return outcome
