"""Feature drift, prediction drift and data quality of one window, from one streaming pass.

The window's inputs are profiled exactly as a dataset version is (``shipyard.data.profile``),
batch by batch, so memory stays at the profiler's bounded sketches; the drift statistics are
then those of ``shipyard.data.drift.compare`` between the reference's stored profile and the
window's profile. Values outside the reference's range are counted in the same pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from shipyard.data.drift import SKIPPED, DriftReport, Thresholds, compare
from shipyard.data.profile import Profiler, column_kind
from shipyard.monitoring.logscan import PREDICTION

UNSEEN_SHOWN = 10
TOP_SHOWN = 20


@dataclass
class WindowProfile:
    """What one pass over the window found."""

    rows: int
    profile: dict[str, Any]  # every input column and ``__prediction``
    out_of_range: dict[str, int] = field(default_factory=dict)
    schema: dict[str, str] = field(default_factory=dict)  # column -> kind, as logged


def profile_window(
    batches: Iterable[pa.RecordBatch], reference_columns: Mapping[str, Mapping[str, Any]]
) -> WindowProfile:
    """Profile the batches (the first fixes the schema) and count out-of-range values."""
    profiler: Profiler | None = None
    bounds: dict[str, tuple[float, float]] = {}
    outside: dict[str, int] = {}
    schema: dict[str, str] = {}
    for batch in batches:
        if profiler is None:
            profiler = Profiler(batch.schema)
            for name, arrow_type in zip(batch.schema.names, batch.schema.types, strict=True):
                schema[name] = column_kind(arrow_type)
                ref = reference_columns.get(name, {})
                if schema[name] == "numeric" and ref.get("kind") == "numeric" and "min" in ref:
                    bounds[name] = (float(ref["min"]), float(ref["max"]))
                    outside[name] = 0
        profiler.update(batch)
        for name, (low, high) in bounds.items():
            values = batch.column(name)
            found = pc.sum(pc.or_(pc.less(values, low), pc.greater(values, high))).as_py()
            outside[name] += int(found or 0)
    if profiler is None:
        return WindowProfile(0, {"rows": 0, "columns": {}})
    profile = profiler.finish()
    schema.pop(PREDICTION, None)
    return WindowProfile(int(profile["rows"]), profile, outside, schema)


def feature_drift(
    reference: Mapping[str, Any],
    window: WindowProfile,
    features: list[str],
    thresholds: Thresholds,
    reference_name: str,
) -> DriftReport:
    """Drift of every feature the reference and the window both hold."""
    present = [f for f in features if f in reference.get("columns", {})]
    return compare(reference, window.profile, thresholds=thresholds, columns=present,
                   reference_name=reference_name, current_name="window")  # fmt: skip


def prediction_drift(
    reference_column: Mapping[str, Any] | None,
    window: WindowProfile,
    thresholds: Thresholds,
    reference_name: str,
) -> dict[str, Any] | None:
    """Drift of the predictions from the reference's label column (or a baseline window's
    predictions); None when there is nothing to compare with."""
    current = window.profile.get("columns", {}).get(PREDICTION)
    if reference_column is None or current is None:
        return None
    rows = reference_column.get("count", 0)
    reference = {"rows": rows, "columns": {PREDICTION: reference_column}}
    report = compare(reference, {"rows": window.rows, "columns": {PREDICTION: current}},
                     thresholds=thresholds, reference_name=reference_name)  # fmt: skip
    found = report.features[0]
    if found.verdict == SKIPPED:
        return {"verdict": SKIPPED, "reason": found.reason, "reference": reference_name}
    return {"verdict": found.verdict, "method": found.method, "score": found.score,
            "statistics": found.statistics, "reference": reference_name}  # fmt: skip


def data_quality(
    reference_columns: Mapping[str, Mapping[str, Any]],
    window: WindowProfile,
    features: list[str],
) -> dict[str, Any]:
    """Null rates, out-of-range values, unseen categories and schema violations."""
    columns = window.profile.get("columns", {})
    per_feature: dict[str, Any] = {}
    violations: list[str] = []
    for name in features:
        ref = reference_columns.get(name, {})
        current = columns.get(name)
        if current is None:
            if window.rows:
                violations.append(f"{name}: expected, missing from the log")
            continue
        kind = window.schema.get(name)
        if ref.get("kind") not in (None, kind):
            violations.append(f"{name}: was {ref.get('kind')}, is {kind} now")
        valid = int(current.get("count", 0)) - int(current.get("nulls", 0))
        entry: dict[str, Any] = {
            "null_rate": float(current.get("null_rate", 0.0)),
            "reference_null_rate": ref.get("null_rate"),
        }
        if name in window.out_of_range:
            entry["out_of_range"] = window.out_of_range[name]
            entry["out_of_range_rate"] = window.out_of_range[name] / valid if valid else 0.0
        unseen = _unseen(ref, current)
        if unseen is not None:
            entry["unseen"], entry["unseen_rate"], entry["unseen_values"] = (
                unseen[0], unseen[0] / valid if valid else 0.0, unseen[1]
            )  # fmt: skip
        per_feature[name] = entry
    extra = sorted(set(window.schema) - set(features))
    violations += [f"{name}: logged but not a model input" for name in extra]
    return {"features": per_feature, "schema_violations": violations}


def _unseen(ref: Mapping[str, Any], current: Mapping[str, Any]) -> tuple[int, list[Any]] | None:
    """How many current values the reference never saw (only when the reference kept every
    one of its values), and the most frequent of them."""
    if ref.get("kind") != "categorical" or current.get("kind") != "categorical":
        return None
    known, found = ref.get("frequencies"), current.get("frequencies")
    if not known or not found or ref.get("other"):
        return None
    seen = set(known["values"])
    unseen = [(v, c) for v, c in zip(found["values"], found["counts"], strict=True)
              if v not in seen]  # fmt: skip
    return sum(c for _, c in unseen), [v for v, _ in unseen[:UNSEEN_SHOWN]]


def distributions(profile: Mapping[str, Any], features: list[str]) -> dict[str, Any]:
    """A compact copy of each feature's distribution in the window (for reports): the
    histogram of a number, the most frequent values of a category."""
    found: dict[str, Any] = {}
    for name in features:
        column = profile.get("columns", {}).get(name)
        if not column:
            continue
        if column.get("histogram"):
            found[name] = {"histogram": column["histogram"]}
        elif column.get("frequencies"):
            top = column["frequencies"]
            found[name] = {"frequencies": {"values": top["values"][:TOP_SHOWN],
                                           "counts": top["counts"][:TOP_SHOWN]}}  # fmt: skip
    return found
