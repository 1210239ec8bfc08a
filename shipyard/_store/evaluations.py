"""How an evaluation is stored: its gate outcomes and report hashes checked on the way in,
its permutation importance kept in the metrics column (every metric is a number, the
importance a mapping) and read back as a field of its own."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shipyard._store.records import EvaluationRecord
from shipyard._store.tables import Evaluation
from shipyard.core.errors import UsageError

GATE_FIELDS = ("name", "kind", "passed", "observed", "threshold", "margin", "message")


def check_gate(gate: Mapping[str, Any], index: int) -> dict[str, Any]:
    if not isinstance(gate, Mapping):
        raise UsageError(f"gates[{index}] is a {type(gate).__name__}, not a mapping.")
    name = gate.get("name")
    if not isinstance(name, str) or not name:
        raise UsageError(f"gates[{index}] has no name.", hint="Every gate outcome needs a name.")
    if not isinstance(gate.get("passed"), bool):
        raise UsageError(f"Gate {name!r} does not say whether it passed (passed: true/false).")
    outcome = {field: gate.get(field) for field in GATE_FIELDS}
    outcome.update({key: value for key, value in gate.items() if key not in outcome})
    return outcome


def check_report_hashes(hashes: Mapping[str, str]) -> dict[str, str]:
    """``{format: sha256}``; the formats are usually ``markdown`` and ``html``."""
    for key, value in hashes.items():
        if not isinstance(key, str) or not key or not isinstance(value, str) or not value:
            raise UsageError(
                f"Report hash {key!r}: {value!r} is not a format name and a blob hash.",
                hint='Pass {"markdown": HASH, "html": HASH}.',
            )
    return dict(hashes)


IMPORTANCE = "feature_importance"
"""The evaluation's permutation importance, stored in the metrics column under this key (a
mapping, where every metric is a number) and read back as its own field."""


def with_importance(
    metrics: Mapping[str, Any], importance: Mapping[str, Any] | None
) -> dict[str, Any]:
    found = {k: v for k, v in metrics.items() if not (k == IMPORTANCE and isinstance(v, dict))}
    return found if importance is None else {**found, IMPORTANCE: dict(importance)}


def evaluation_record(name: str, version: int, row: Evaluation) -> EvaluationRecord:
    metrics = dict(row.metrics)
    importance = metrics.pop(IMPORTANCE) if isinstance(metrics.get(IMPORTANCE), dict) else None
    return EvaluationRecord(
        id=row.id, model_name=name, version=version, run_id=row.run_id, passed=row.passed,
        gates=tuple(row.gates), metrics=metrics, report_hashes=row.report_hashes,
        created_at=row.created_at, feature_importance=importance,
    )  # fmt: skip
