"""Behavioural tests: invariance, directional expectations and minimum functionality.

They probe the model with edited copies of the evaluation rows, already in the form the model
takes (for a registered model: validated by its signature once, then edited), so a test
measures the model and not input validation. Each returns a :class:`GateOutcome` whose
``details`` hold the counts and a few example rows.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from shipyard.core.errors import ConfigurationKeyError, ShipyardError
from shipyard.evaluation.gates import EPSILON, bounded, fmt
from shipyard.evaluation.metrics import Outputs
from shipyard.evaluation.result import GateOutcome
from shipyard.evaluation.spec import (
    DirectionalGate,
    InvarianceGate,
    MinimumFunctionalityGate,
)
from shipyard.evaluation.subject import Subject
from shipyard.models.plain import to_plain_scalar

EXAMPLES = 5


@dataclass(frozen=True)
class Probe:
    """The model, the rows it is probed on, and its answers for them unchanged."""

    subject: Subject
    features: pd.DataFrame
    outputs: Outputs
    task: str

    def answer(self, features: pd.DataFrame) -> Outputs:
        return self.subject.outputs(
            features,
            task=self.task,
            classes=self.outputs.classes,
            positive=self.outputs.positive,
        )


def invariance(gate: InvarianceGate, probe: Probe) -> GateOutcome:
    """Share of predictions that change when ``gate.columns`` are perturbed."""
    present = [c for c in gate.columns if c in probe.features.columns]
    name = str(gate.name)
    if not present:
        note = f"{', '.join(gate.columns)} are not inputs of the model"
        return GateOutcome(
            name,
            gate.kind,
            True,
            0.0,
            gate.max_changed,
            gate.max_changed,
            f"invariant: {note}",
            note=note,
        )
    rng = np.random.default_rng(gate.seed)
    edited = probe.features.copy()
    for column in present:
        edited[column] = _perturb(edited[column], gate, rng)
    before = probe.outputs.labels
    after = probe.subject.predict(edited)
    if probe.task == "regression":
        changed = np.abs(after.astype(float) - before.astype(float)) > gate.tolerance + EPSILON
    else:
        changed = np.asarray(after != before)
    share = float(changed.mean()) if len(changed) else 0.0
    examples = [
        {
            "row": to_plain_scalar(probe.features.index[i]),
            "changes": {
                c: [to_plain_scalar(probe.features[c].iloc[i]), to_plain_scalar(edited[c].iloc[i])]
                for c in present
            },
            "prediction": [to_plain_scalar(before[i]), to_plain_scalar(after[i])],
        }
        for i in np.flatnonzero(changed)[:EXAMPLES]
    ]
    details = {
        "columns": present,
        "perturb": gate.perturb,
        "rows": len(changed),
        "changed": int(changed.sum()),
        "examples": examples,
    }
    return bounded(
        name=name,
        kind=gate.kind,
        what=f"share of predictions changed by perturbing {', '.join(present)}",
        observed=share,
        low=None,
        high=gate.max_changed,
        details=details,
    )


def _perturb(values: pd.Series[Any], gate: InvarianceGate, rng: np.random.Generator) -> Any:
    if gate.perturb == "noise":
        numbers = values.astype(float)
        spread = float(numbers.std()) or 1.0
        noisy = numbers + rng.normal(0.0, gate.noise * spread, len(numbers))
        noisy = noisy.clip(numbers.min(), numbers.max())
        if pd.api.types.is_integer_dtype(values.dtype):
            return noisy.round().astype(values.dtype)
        return noisy.astype(values.dtype)
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    if len(uniques) < 2:
        return values
    shift = rng.integers(1, len(uniques), len(codes))  # always another observed value
    replaced = uniques.take((codes + shift) % len(uniques))
    return pd.Series(replaced, index=values.index).astype(values.dtype)


def directional(gate: DirectionalGate, probe: Probe) -> GateOutcome:
    """Share of rows whose score moves the expected way (or, unless strict, stays put)."""
    name = str(gate.name)
    if gate.column not in probe.features.columns:
        note = f"{gate.column} is not an input of the model"
        return GateOutcome(
            name, gate.kind, False, None, gate.min_share, None, f"cannot test: {note}", note=note
        )
    edited = probe.features.copy()
    original = edited[gate.column]
    if gate.delta is not None:
        changed_values = original + gate.delta
    else:
        changed_values = original * float(gate.factor or 1.0)
    if pd.api.types.is_integer_dtype(original.dtype) and (changed_values % 1 == 0).all():
        changed_values = changed_values.astype(original.dtype)
    edited[gate.column] = changed_values
    before = _score(gate, probe, probe.outputs)
    after = _score(gate, probe, probe.answer(edited))
    sign = 1.0 if gate.expect == "increase" else -1.0
    moved = (after - before) * sign
    right = moved > EPSILON
    still = np.abs(moved) <= EPSILON
    wrong = moved < -EPSILON
    complying = right if gate.strict else right | still
    share = float(complying.mean()) if len(moved) else 0.0
    change = f"+{gate.delta:g}" if gate.delta is not None else f"x{gate.factor:g}"
    examples = [
        {
            "row": to_plain_scalar(probe.features.index[i]),
            "value": [to_plain_scalar(original.iloc[i]), to_plain_scalar(changed_values.iloc[i])],
            "score": [float(before[i]), float(after[i])],
        }
        for i in np.flatnonzero(wrong)[:EXAMPLES]
    ]
    details = {
        "column": gate.column,
        "change": change,
        "expect": gate.expect,
        "rows": len(moved),
        "moved_as_expected": int(right.sum()),
        "unchanged": int(still.sum()),
        "moved_against": int(wrong.sum()),
        "examples": examples,
    }
    return bounded(
        name=name,
        kind=gate.kind,
        what=f"share of scores that {gate.expect} (or hold) with {gate.column} {change}"
        if not gate.strict
        else f"share of scores that {gate.expect} with {gate.column} {change}",
        observed=share,
        low=gate.min_share,
        high=None,
        details=details,
    )


def _score(gate: DirectionalGate, probe: Probe, outputs: Outputs) -> np.ndarray:
    if probe.task == "regression":
        return outputs.labels.astype(float)
    target = gate.score_of if gate.score_of is not None else outputs.positive
    classes = list(outputs.classes or ())
    if outputs.scores is not None:
        if outputs.binary and (target is None or target == outputs.positive):
            return np.asarray(outputs.scores, dtype=float)
        if outputs.binary:
            return 1.0 - np.asarray(outputs.scores, dtype=float)
        if target in classes:
            return np.asarray(outputs.scores, dtype=float)[:, classes.index(target)]
    if target is None:
        raise ShipyardError(
            f"Gate {gate.name!r} needs `score_of`: the class whose score should move.",
            hint="Set score_of (or evaluation.positive_label) to one of the classes.",
        )
    return np.asarray(outputs.labels == target, dtype=float)


def minimum_functionality(
    gate: MinimumFunctionalityGate, probe: Probe, data: pd.DataFrame, position: int
) -> GateOutcome:
    """Share of the declared cases the model gets right."""
    rows = _case_rows(gate, probe, data, position)
    outputs = probe.answer(rows)
    results = []
    for i, case in enumerate(gate.cases):
        label = outputs.labels[i]
        score = _case_score(outputs, i, probe.task)
        reasons = []
        if case.expect is not None and not _same(label, case.expect):
            reasons.append(f"predicted {to_plain_scalar(label)!r}, expected {case.expect!r}")
        for bound, within in ((case.min, _at_least), (case.max, _at_most)):
            if bound is None:
                continue
            if score is None:
                reasons.append("the model gives no score to compare with min/max")
                break
            elif not within(score, bound):
                reasons.append(f"score {fmt(score)} outside [{fmt(case.min)}, {fmt(case.max)}]")
        results.append(
            {
                "case": case.name or f"case {i + 1}",
                "input": case.input,
                "predicted": to_plain_scalar(label),
                "score": score,
                "passed": not reasons,
                "reason": "; ".join(reasons) or None,
            }
        )
    share = sum(r["passed"] for r in results) / len(results)
    failed = [f"{r['case']}: {r['reason']}" for r in results if not r["passed"]]
    outcome = bounded(
        name=str(gate.name),
        kind=gate.kind,
        what="share of cases passed",
        observed=share,
        low=gate.min_pass,
        high=None,
        details={"cases": results},
    )
    if failed:
        shown = "; ".join(failed[:3]) + ("; …" if len(failed) > 3 else "")
        outcome = replace(outcome, message=f"{outcome.message} — {shown}")
    return outcome


def _case_rows(
    gate: MinimumFunctionalityGate, probe: Probe, data: pd.DataFrame, position: int
) -> pd.DataFrame:
    typical = {column: _typical(probe.features[column]) for column in probe.features.columns}
    records = [{**typical, **case.input} for case in gate.cases]
    frame = pd.DataFrame.from_records(records)
    try:
        prepared = probe.subject.features(frame)
    except ShipyardError as exc:
        raise ConfigurationKeyError(
            f"a case of gate {gate.name!r} is not a valid input for the model: {exc.message}",
            key_path=("evaluation", "gates", position, "cases"),
            hint="Give each case values of the types and categories the model accepts.",
        ) from exc
    if set(probe.features.columns) <= set(prepared.columns):
        prepared = prepared[list(probe.features.columns)]
    for column in prepared.columns:
        if column in probe.features.columns:
            with contextlib.suppress(TypeError, ValueError):  # else leave it as given
                prepared[column] = prepared[column].astype(probe.features[column].dtype)
    return prepared


def _typical(values: pd.Series[Any]) -> Any:
    non_null = values.dropna()
    if non_null.empty:
        return None
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        median = float(non_null.median())
        return round(median) if pd.api.types.is_integer_dtype(values.dtype) else median
    return non_null.mode().iloc[0]


def _case_score(outputs: Outputs, i: int, task: str) -> float | None:
    if task == "regression":
        return float(outputs.labels[i])
    if outputs.scores is None or not outputs.binary:
        return None
    return float(outputs.scores[i])


def _same(predicted: Any, expected: Any) -> bool:
    return bool(predicted == expected) or str(to_plain_scalar(predicted)) == str(expected)


def _at_least(score: float, bound: float) -> bool:
    return score >= bound - EPSILON


def _at_most(score: float, bound: float) -> bool:
    return score <= bound + EPSILON
