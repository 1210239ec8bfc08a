"""What an evaluation found: the gates' outcomes, the metrics, and the data behind the report.

Everything here is plain and JSON-ready: :meth:`EvaluationResult.to_dict` gives a dictionary
that :func:`json.dumps` accepts (NaN becomes None) and :meth:`EvaluationResult.from_dict` reads
it back, so a report can be rendered again from a stored result.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from shipyard.core.errors import NotFoundError


@dataclass(frozen=True)
class Baseline:
    """A model to compare against, and the version it is (keyed by alias in ``evaluate``)."""

    model: Any
    version: str


@dataclass(frozen=True)
class GateOutcome:
    """One gate's verdict.

    ``observed`` is what was measured and ``threshold`` the bound it was held to; ``margin`` is
    how far inside the bound it landed (negative: by how much it missed). All three are None
    when the gate could not be measured (no baseline, no slice large enough), which ``note``
    explains.
    """

    name: str
    kind: str
    passed: bool
    observed: float | None
    threshold: float | None
    margin: float | None
    message: str
    note: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from shipyard.models.plain import to_plain  # pandas: only when a result is written

        data = asdict(self)
        data["details"] = to_plain(self.details)
        for key in ("observed", "threshold", "margin"):
            data[key] = _finite(data[key])
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GateOutcome:
        return cls(
            name=str(data["name"]),
            kind=str(data["kind"]),
            passed=bool(data["passed"]),
            observed=data.get("observed"),
            threshold=data.get("threshold"),
            margin=data.get("margin"),
            message=str(data["message"]),
            note=data.get("note"),
            details=dict(data.get("details") or {}),
        )


@dataclass
class EvaluationResult:
    """The outcome of :func:`~shipyard.evaluation.evaluate`.

    ``metrics`` maps metric name to value (None when undefined); ``slices`` maps a column to
    one entry per value (``value``, ``rows``, ``metrics``); ``fairness`` maps a sensitive
    column to its groups and fairlearn's parity numbers; ``behaviour`` maps a behavioural gate's
    name to what it tried; ``baselines`` maps an alias to ``{"version", "metrics"}``; ``curves``
    holds the points the report plots (ROC, PR, calibration, confusion matrix, residuals);
    ``feature_importance`` is each feature's permutation importance when the spec asks for it
    (see :func:`shipyard.evaluation.importance.permutation_importance`).
    """

    task: str
    label: str
    rows: int
    passed: bool
    gates: list[GateOutcome]
    metrics: dict[str, float | None]
    positive_label: Any = None
    classes: list[Any] | None = None
    slices: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    fairness: dict[str, dict[str, Any]] = field(default_factory=dict)
    behaviour: dict[str, dict[str, Any]] = field(default_factory=dict)
    baselines: dict[str, dict[str, Any]] = field(default_factory=dict)
    curves: dict[str, Any] = field(default_factory=dict)
    directions: dict[str, str] = field(default_factory=dict)
    feature_importance: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed_gates(self) -> list[GateOutcome]:
        """The gates that did not pass, in declaration order."""
        return [gate for gate in self.gates if not gate.passed]

    def gate(self, name: str) -> GateOutcome:
        """The outcome of the gate called ``name``."""
        for outcome in self.gates:
            if outcome.name == name:
                return outcome
        raise NotFoundError(
            f"This evaluation has no gate called {name!r}.",
            hint=f"Its gates: {', '.join(g.name for g in self.gates) or 'none'}.",
        )

    def summary(self) -> str:
        """One line: passed, or which gates failed and by how much."""
        if self.passed:
            return f"all {len(self.gates)} gates passed"
        failed = self.failed_gates
        return f"{len(failed)} of {len(self.gates)} gates failed: " + "; ".join(
            f"{gate.name}: {gate.message}" for gate in failed
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (NaN as None)."""
        from shipyard.models.plain import to_plain  # pandas: only when a result is written

        return {
            "task": self.task,
            "label": self.label,
            "rows": self.rows,
            "passed": self.passed,
            "gates": [gate.to_dict() for gate in self.gates],
            "metrics": {key: _finite(value) for key, value in self.metrics.items()},
            "positive_label": to_plain(self.positive_label),
            "classes": to_plain(self.classes),
            "slices": to_plain(self.slices),
            "fairness": to_plain(self.fairness),
            "behaviour": to_plain(self.behaviour),
            "baselines": to_plain(self.baselines),
            "curves": to_plain(self.curves),
            "directions": dict(self.directions),
            "feature_importance": to_plain(self.feature_importance),
            "notes": list(self.notes),
            "seconds": self.seconds,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EvaluationResult:
        """Read a result written by :meth:`to_dict`."""
        return cls(
            task=str(data["task"]),
            label=str(data["label"]),
            rows=int(data["rows"]),
            passed=bool(data["passed"]),
            gates=[GateOutcome.from_dict(item) for item in data.get("gates", [])],
            metrics=dict(data.get("metrics") or {}),
            positive_label=data.get("positive_label"),
            classes=data.get("classes"),
            slices=dict(data.get("slices") or {}),
            fairness=dict(data.get("fairness") or {}),
            behaviour=dict(data.get("behaviour") or {}),
            baselines=dict(data.get("baselines") or {}),
            curves=dict(data.get("curves") or {}),
            directions=dict(data.get("directions") or {}),
            feature_importance=data.get("feature_importance"),
            notes=list(data.get("notes") or []),
            seconds=float(data.get("seconds") or 0.0),
        )


def _finite(value: Any) -> Any:
    from shipyard.models.plain import to_plain

    if isinstance(value, float) and not math.isfinite(value):
        return None
    return to_plain(value)
