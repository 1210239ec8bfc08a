"""The result of a drift comparison: a verdict per feature and overall, as text and JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from shipyard.data.drift.thresholds import DRIFT, SKIPPED, WARNING


@dataclass(frozen=True)
class FeatureDrift:
    column: str
    kind: str  # numeric or categorical (or the kind of a skipped column)
    verdict: str  # drift, warning, ok or skipped
    method: str | None  # the statistic that decided the verdict
    score: float | None  # its value
    statistics: dict[str, float] = field(default_factory=dict)
    flagged: tuple[str, ...] = ()  # every statistic above its drift level
    reference_rows: int = 0
    current_rows: int = 0
    reference_null_rate: float | None = None
    current_null_rate: float | None = None
    reason: str | None = None  # why a column was skipped

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["flagged"] = list(self.flagged)
        return data


@dataclass(frozen=True)
class DriftReport:
    verdict: str  # drift, warning or ok
    features: tuple[FeatureDrift, ...]
    dataset_share: float  # the share of compared features that must drift for "drift"
    reference: str | None = None
    current: str | None = None

    @property
    def compared(self) -> list[FeatureDrift]:
        return [f for f in self.features if f.verdict != SKIPPED]

    @property
    def drifted(self) -> list[str]:
        """The columns whose verdict is drift."""
        return [f.column for f in self.features if f.verdict == DRIFT]

    @property
    def drift_share(self) -> float:
        compared = self.compared
        return len(self.drifted) / len(compared) if compared else 0.0

    def feature(self, column: str) -> FeatureDrift:
        for found in self.features:
            if found.column == column:
                return found
        raise KeyError(column)

    def headline(self) -> str:
        compared = len(self.compared)
        drifted = self.drifted
        warned = [f.column for f in self.features if f.verdict == WARNING]
        text = f"Drift verdict: {self.verdict} — {len(drifted)} of {compared} features drifted"
        if drifted:
            text += f" ({', '.join(drifted)})"
        if warned:
            text += f"; {len(warned)} warn ({', '.join(warned)})"
        return text + "."

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "drifted": self.drifted,
            "drift_share": self.drift_share,
            "dataset_share": self.dataset_share,
            "reference": self.reference,
            "current": self.current,
            "features": [f.to_dict() for f in self.features],
        }

    def to_text(self) -> str:
        lines = [self.headline()]
        width = max([len(f.column) for f in self.features] + [6])
        for f in self.features:
            if f.verdict == SKIPPED:
                lines.append(f"  {f.column.ljust(width)}  skipped  {f.reason}")
                continue
            others = ", ".join(
                f"{k}={v:.3g}" for k, v in f.statistics.items() if k != f.method
                and not k.endswith("pvalue")
            )  # fmt: skip
            lines.append(
                f"  {f.column.ljust(width)}  {f.verdict:<7}  {f.method}={f.score:.3g}  ({others})"
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()
