"""Verdicts for the metric gates: thresholds, no regression against an alias, slices.

Every verdict says what was measured, the bound it was held to and by how much it cleared or
missed it: ``roc_auc 0.712 < min 0.750 (short by 0.038)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from shipyard.evaluation.catalog import METRICS
from shipyard.evaluation.result import GateOutcome
from shipyard.evaluation.spec import BaselineGate, NoRegressionGate, SliceGate, ThresholdGate

EPSILON = 1e-12
"""Rounding slack: a value equal to its bound passes."""


def fmt(value: float | None) -> str:
    """A number as the reports show it."""
    if value is None or not math.isfinite(value):
        return "n/a"
    if abs(value) >= 1000:
        return f"{value:,.1f}"
    return f"{value:.3f}"


def bounded(
    *,
    name: str,
    kind: str,
    what: str,
    observed: float,
    low: float | None,
    high: float | None,
    details: dict[str, Any] | None = None,
    note: str | None = None,
    explain: str | None = None,
) -> GateOutcome:
    """The verdict for ``observed`` against [low, high], the tighter bound reported;
    ``explain`` says where the bound comes from (shown after it in brackets)."""
    details = details or {}
    if not math.isfinite(observed):
        return GateOutcome(
            name,
            kind,
            False,
            None,
            low if low is not None else high,
            None,
            f"{what} could not be computed" + (f": {note}" if note else ""),
            note=note,
            details=details,
        )
    candidates: list[tuple[float, float, str]] = []
    if low is not None:
        candidates.append((observed - low, low, "min"))
    if high is not None:
        candidates.append((high - observed, high, "max"))
    margin, threshold, side = min(candidates)
    passed = margin >= -EPSILON
    bound = f"{side} {fmt(threshold)}" + (f" [{explain}]" if explain else "")
    if passed:
        sign = ">=" if side == "min" else "<="
        message = f"{what} {fmt(observed)} {sign} {bound} (margin {fmt(margin)})"
    else:
        sign, gap = ("<", "short by") if side == "min" else (">", "over by")
        message = f"{what} {fmt(observed)} {sign} {bound} ({gap} {fmt(-margin)})"
    return GateOutcome(name, kind, passed, observed, threshold, margin, message, note, details)


def threshold_outcome(gate: ThresholdGate, metrics: Mapping[str, float]) -> GateOutcome:
    observed = metrics.get(gate.metric, math.nan)
    return bounded(
        name=str(gate.name),
        kind=gate.kind,
        what=gate.metric,
        observed=observed,
        low=gate.min,
        high=gate.max,
        note=None if math.isfinite(observed) else _undefined(gate.metric),
    )


def no_regression_outcome(
    gate: NoRegressionGate,
    metrics: Mapping[str, float],
    baselines: Mapping[str, Mapping[str, Any]],
) -> GateOutcome:
    name, info = str(gate.name), METRICS[gate.metric]
    observed = metrics.get(gate.metric, math.nan)
    baseline = baselines.get(gate.against)
    if baseline is None:
        note = "no baseline"
        return GateOutcome(
            name,
            gate.kind,
            True,
            _finite_or_none(observed),
            None,
            None,
            f"no baseline: no version is behind alias {gate.against!r}, nothing to compare",
            note=note,
        )
    version = baseline.get("version")
    if baseline.get("error"):
        return GateOutcome(
            name,
            gate.kind,
            False,
            _finite_or_none(observed),
            None,
            None,
            f"the {gate.against} version {version} could not be evaluated on this data: "
            f"{baseline['error']}",
        )
    reference = baseline["metrics"].get(gate.metric, math.nan)
    if reference is None or not math.isfinite(reference):
        return GateOutcome(
            name,
            gate.kind,
            True,
            _finite_or_none(observed),
            None,
            None,
            f"no baseline value: {gate.metric} is undefined for the {gate.against} version "
            f"{version}",
            note="no baseline",
        )
    details = {
        "against": gate.against,
        "version": version,
        "baseline": reference,
        "tolerance": gate.tolerance,
    }
    if info.higher_is_better:
        low, high, sign = reference - gate.tolerance, None, "-"
    else:
        low, high, sign = None, reference + gate.tolerance, "+"
    explain = f"{gate.against} v{version} {fmt(reference)}"
    if gate.tolerance:
        explain += f" {sign} tolerance {fmt(gate.tolerance)}"
    return bounded(
        name=name,
        kind=gate.kind,
        what=gate.metric,
        observed=observed,
        low=low,
        high=high,
        details=details,
        note=None if math.isfinite(observed) else _undefined(gate.metric),
        explain=explain,
    )


def baseline_outcome(
    gate: BaselineGate, metrics: Mapping[str, float], baselines: Mapping[str, Mapping[str, Any]]
) -> GateOutcome:
    """The candidate against the simple model of its kind: better by at least ``margin``."""
    name, info = str(gate.name), METRICS[gate.metric]
    observed = metrics.get(gate.metric, math.nan)
    entry = baselines.get(f"baseline:{gate.model}") or {}
    reference = (entry.get("metrics") or {}).get(gate.metric)
    if entry.get("error") or reference is None or not math.isfinite(reference):
        why = entry.get("error") or f"{gate.metric} is undefined for it"
        return GateOutcome(name, gate.kind, False, _finite_or_none(observed), None, None,
                           f"the {gate.model} baseline could not be measured: {why}",
                           note="no baseline value")  # fmt: skip
    details = {"model": gate.model, "estimator": entry.get("model"), "baseline": reference,
               "margin": gate.margin, "train_rows": entry.get("train_rows")}  # fmt: skip
    if info.higher_is_better:
        low, high, sign = reference + gate.margin, None, "+"
    else:
        low, high, sign = None, reference - gate.margin, "-"
    explain = f"{gate.model} baseline {fmt(reference)}"
    if gate.margin:
        explain += f" {sign} margin {fmt(gate.margin)}"
    return bounded(name=name, kind=gate.kind, what=gate.metric, observed=observed, low=low,
                   high=high, details=details, explain=explain,
                   note=None if math.isfinite(observed) else _undefined(gate.metric))  # fmt: skip


def slice_outcome(gate: SliceGate, table: list[dict[str, Any]]) -> GateOutcome:
    """The worst eligible slice decides; slices under ``min_rows`` are listed, not gated."""
    name = str(gate.name)
    eligible = [row for row in table if row["rows"] >= gate.min_rows]
    skipped = [row["value"] for row in table if row["rows"] < gate.min_rows]
    if not eligible:
        note = f"no value of {gate.column!r} has {gate.min_rows} rows or more"
        return GateOutcome(
            name,
            gate.kind,
            True,
            None,
            None,
            None,
            f"not checked: {note}",
            note=note,
            details={"skipped": skipped},
        )
    verdicts = []
    for row in eligible:
        value = row["metrics"].get(gate.metric)
        observed = math.nan if value is None else float(value)
        verdict = bounded(
            name=name,
            kind=gate.kind,
            what=f"{gate.metric} on {gate.column}={row['value']!r}",
            observed=observed,
            low=gate.min,
            high=gate.max,
        )
        verdicts.append((row, verdict))
    failing = [v for _, v in verdicts if not v.passed]
    worst = min(
        (v for _, v in verdicts),
        key=lambda v: -math.inf if v.margin is None else v.margin,
    )
    details = {
        "slices": [
            {"value": row["value"], "rows": row["rows"], "observed": v.observed, "passed": v.passed}
            for row, v in verdicts
        ],
        "skipped": skipped,
        "column": gate.column,
        "metric": gate.metric,
        "min": gate.min,
        "max": gate.max,
    }
    message = worst.message
    if failing:
        message += f"; {len(failing)} of {len(verdicts)} slices fail"
    else:
        message += f"; all {len(verdicts)} slices pass"
    return GateOutcome(
        name,
        gate.kind,
        not failing,
        worst.observed,
        worst.threshold,
        worst.margin,
        message,
        note=f"{len(skipped)} slices under {gate.min_rows} rows not checked" if skipped else None,
        details=details,
    )


def _undefined(metric: str) -> str:
    if METRICS[metric].needs_scores:
        return f"{metric} needs predicted probabilities (predict_proba) and both classes present"
    return f"{metric} is undefined on this data"


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None
