"""What a pipeline run returns, and the events it reports while it goes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from shipyard.evaluation.result import EvaluationResult

Verdict = Literal["promoted", "registered", "rejected"]
STEPS = ("load", "version", "validate", "train", "evaluate", "gate", "register", "promote")


@dataclass(frozen=True)
class StepEvent:
    """A step started, finished, was taken from cache, or failed (``index`` counts from 1)."""

    step: str
    index: int
    total: int
    status: Literal["started", "finished", "cached", "failed"]
    seconds: float | None = None
    detail: str | None = None


Progress = Callable[[StepEvent], None]


@dataclass(frozen=True)
class StepResult:
    """One step of a pipeline run: its own tracked run, and where its outputs came from."""

    name: str
    run_id: str
    status: Literal["finished", "cached"]
    seconds: float
    cached_from: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "run_id": self.run_id, "status": self.status,
            "seconds": round(self.seconds, 4), "cached_from": self.cached_from,
        }  # fmt: skip


@dataclass
class PipelineResult:
    """The outcome of :func:`~shipyard.pipeline.run_pipeline`.

    ``verdict`` is ``promoted`` (an alias with ``auto`` now points at the version),
    ``registered`` (the gates passed; no alias moved) or ``rejected`` (a gate failed; the
    version is registered as rejected with its report). ``reports`` maps a format
    (``markdown``, ``html``) to a local copy of the evaluation report.
    """

    run_id: str
    verdict: Verdict
    model_name: str
    model_version: int | None
    evaluation: EvaluationResult | None
    reports: dict[str, Path] = field(default_factory=dict)
    steps: list[StepResult] = field(default_factory=list)
    promoted: list[str] = field(default_factory=list)
    refused: dict[str, list[str]] = field(default_factory=dict)
    datasets: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.verdict != "rejected"

    @property
    def model_ref(self) -> str | None:
        return None if self.model_version is None else f"{self.model_name}/{self.model_version}"

    @property
    def cached_steps(self) -> list[str]:
        return [step.name for step in self.steps if step.status == "cached"]

    def summary(self) -> str:
        """One line: the verdict, the version, and which gates failed by how much."""
        ref = self.model_ref or self.model_name
        if self.verdict == "rejected":
            failed = self.evaluation.failed_gates if self.evaluation is not None else []
            detail = "; ".join(f"{gate.name}: {gate.message}" for gate in failed)
            return f"{ref} rejected: {len(failed)} gate(s) failed: {detail}"
        if self.verdict == "promoted":
            return f"{ref} promoted to {', '.join(self.promoted)}"
        waiting = "; ".join(
            f"{alias}: {', '.join(reasons)}" for alias, reasons in self.refused.items()
        )
        return f"{ref} registered; all gates passed" + (f" (not promoted: {waiting})" if waiting
                                                        else "")  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "verdict": self.verdict,
            "model": self.model_name,
            "version": self.model_version,
            "summary": self.summary(),
            "gates": [g.to_dict() for g in self.evaluation.gates] if self.evaluation else [],
            "metrics": self.evaluation.to_dict()["metrics"] if self.evaluation else {},
            "reports": {fmt: str(path) for fmt, path in self.reports.items()},
            "steps": [step.to_dict() for step in self.steps],
            "promoted": list(self.promoted),
            "refused": dict(self.refused),
            "datasets": dict(self.datasets),
            "seconds": round(self.seconds, 3),
        }
