"""What ``shipyard ci`` returns: one result per stage (timed), the gates, the metric table in
the shape of ``dvc metrics diff``, the data-validation summary, and the report paths."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Status = Literal["passed", "failed", "skipped"]

#: The stages in the order they run.
STAGES = (
    "configuration",
    "checks",
    "tests",
    "data validation",
    "pipeline",
    "gates",
    "package",
    "model tests",
    "integration",
    "tag",
)


@dataclass
class StageResult:
    """One stage: its status, how long it took, one sentence saying why it failed (or what it
    found), the hint for a failure, and the figures behind it."""

    name: str
    status: Status
    seconds: float = 0.0
    message: str = ""
    hint: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.status != "failed"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "status": self.status, "seconds": round(self.seconds, 3),
            "message": self.message, "hint": self.hint, "details": self.details,
        }  # fmt: skip


@dataclass(frozen=True)
class MetricRow:
    """One line of the metric table: the version behind the alias, the candidate, the change,
    and the verdicts of the gates on this metric (``""`` when no gate reads it)."""

    metric: str
    baseline: float | None
    candidate: float | None
    verdict: str = ""

    @property
    def change(self) -> float | None:
        if self.baseline is None or self.candidate is None:
            return None
        return self.candidate - self.baseline

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric, "baseline": self.baseline, "candidate": self.candidate,
            "change": self.change, "verdict": self.verdict,
        }  # fmt: skip


@dataclass
class CIResult:
    """The outcome of :func:`~shipyard.ci.ci`; ``passed`` when no stage and no gate failed."""

    stages: list[StageResult] = field(default_factory=list)
    run_id: str | None = None
    commit: str | None = None
    candidate: str | None = None
    against: str = "production"
    baseline: str | None = None
    gates: list[dict[str, Any]] = field(default_factory=list)
    metrics: list[MetricRow] = field(default_factory=list)
    validation: dict[str, Any] = field(default_factory=dict)
    reports: dict[str, Path] = field(default_factory=dict)
    pipeline_run_id: str | None = None

    @property
    def passed(self) -> bool:
        return all(stage.passed for stage in self.stages) and all(g["passed"] for g in self.gates)

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1

    @property
    def failures(self) -> list[str]:
        """Each failed stage, one line each (the gates stage names every failed gate)."""
        return [f"{s.name}: {s.message}" for s in self.stages if s.status == "failed"]

    def stage(self, name: str) -> StageResult:
        return next(stage for stage in self.stages if stage.name == name)

    def summary(self) -> str:
        if self.passed:
            return f"CI passed: {self.candidate or 'no candidate'} is tested."
        return f"CI failed: {'; '.join(self.failures)}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed, "summary": self.summary(), "run_id": self.run_id,
            "commit": self.commit, "candidate": self.candidate, "against": self.against,
            "baseline": self.baseline, "pipeline_run_id": self.pipeline_run_id,
            "stages": [s.to_dict() for s in self.stages], "gates": list(self.gates),
            "metrics": [m.to_dict() for m in self.metrics], "validation": self.validation,
            "reports": {fmt: str(path) for fmt, path in self.reports.items()},
        }  # fmt: skip
