"""What a scorecard is made of: the 28 items of the ML Test Score, their sections, the maturity
grid, the MLOps level and the delivery metrics. Frozen records with ``to_dict()`` for JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

SECTIONS = ("DATA", "MODEL", "INFRA", "MON")
SECTION_TITLES = {"DATA": "Data", "MODEL": "Model", "INFRA": "Infrastructure",
                  "MON": "Monitoring"}  # fmt: skip

#: The 28 tests of Breck et al. (2017), in the paper's order.
TITLES: dict[str, str] = {
    "DATA-1": "Feature expectations are captured in a schema",
    "DATA-2": "All features are beneficial",
    "DATA-3": "No feature's cost is too much",
    "DATA-4": "Features adhere to meta-level requirements",
    "DATA-5": "The data pipeline has appropriate privacy controls",
    "DATA-6": "New features can be added quickly",
    "DATA-7": "All input feature code is tested",
    "MODEL-1": "Model specs are reviewed and submitted",
    "MODEL-2": "Offline and online metrics correlate",
    "MODEL-3": "All hyperparameters have been tuned",
    "MODEL-4": "The impact of model staleness is known",
    "MODEL-5": "A simpler model is not better",
    "MODEL-6": "Model quality is sufficient on important data slices",
    "MODEL-7": "The model is tested for considerations of inclusion",
    "INFRA-1": "Training is reproducible",
    "INFRA-2": "Model specs are unit tested",
    "INFRA-3": "The ML pipeline is integration tested",
    "INFRA-4": "Model quality is validated before serving",
    "INFRA-5": "The model is debuggable",
    "INFRA-6": "Models are canaried before serving",
    "INFRA-7": "Serving models can be rolled back",
    "MON-1": "Dependency changes result in notification",
    "MON-2": "Data invariants hold for inputs",
    "MON-3": "Training and serving are not skewed",
    "MON-4": "Models are not too stale",
    "MON-5": "Models are numerically stable",
    "MON-6": "Computing performance has not regressed",
    "MON-7": "Prediction quality has not regressed",
}
ITEMS = tuple(TITLES)
ORGANISATIONAL = ("DATA-3", "DATA-4", "DATA-5")
"""Items no record can show: only an attestation earns them (half a point)."""

#: Table V of the paper: each reading with the highest score it covers (0; (0, 1]; (1, 2];
#: (2, 3]; (3, 5]; above 5).
READINGS = (
    (0.0, "More of a research project than a productionized system."),
    (1.0, "Not totally untested, but it is worth considering the possibility of serious holes "
          "in reliability."),
    (2.0, "There's been first pass at basic productionization, but additional investment may "
          "be needed."),
    (3.0, "Reasonably tested, but it's possible that more of those tests and procedures may be "
          "automated."),
    (5.0, "Strong levels of automated testing and monitoring, appropriate for mission-critical "
          "systems."),
    (float("inf"), "Exceptional levels of automated testing and monitoring."),
)  # fmt: skip


def reading(score: float) -> str:
    """Table V's reading of a final score (0: a research project … above 5: exceptional)."""
    return next(text for ceiling, text in READINGS if score <= ceiling)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


class _Record:
    def to_dict(self) -> dict[str, Any]:
        return {key: _plain(value) for key, value in asdict(self).items()}  # type: ignore[call-overload]


@dataclass(frozen=True)
class Item(_Record):
    """One test of the rubric: its points (0, 0.5 or 1), the records behind them (``evidence``:
    ``run:ID``, ``evaluation:ID``, ``rule:NAME``, ``alert:ID``, ``audit:ID`` …), why it scored
    that, and the one action that earns the next half point (None at 1)."""

    id: str
    title: str
    points: float
    evidence: tuple[str, ...]
    why: str
    next_action: str | None
    automatic: bool = False
    attested: bool = False

    @property
    def section(self) -> str:
        return self.id.split("-")[0]


@dataclass(frozen=True)
class GridCell(_Record):
    """One aspect (code, model or data) of one principle, at maturity 1, 2 or 3."""

    principle: str
    aspect: str
    level: int
    rule: str
    why: str


@dataclass(frozen=True)
class MlopsLevel(_Record):
    """Google's MLOps level: 0 manual, 1 ML pipeline automation, 2 CI/CD pipeline automation."""

    level: int
    reason: str
    missing: str | None


@dataclass(frozen=True)
class DeliveryMetric(_Record):
    """One of the four delivery metrics over the window, with the events it came from."""

    name: str
    value: float | None
    unit: str
    detail: str
    events: tuple[str, ...]


@dataclass(frozen=True)
class Scorecard(_Record):
    """The ML Test Score of a model (or the whole project), the maturity grid, the MLOps level
    and the delivery metrics, as of ``computed_at`` over the window from ``since``."""

    model: str | None
    computed_at: datetime
    since: datetime
    items: tuple[Item, ...]
    grid: tuple[GridCell, ...]
    mlops: MlopsLevel
    delivery: tuple[DeliveryMetric, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def sections(self) -> dict[str, float]:
        """Each section's sum of points, in the paper's order."""
        return {name: sum(i.points for i in self.items if i.section == name) for name in SECTIONS}

    @property
    def score(self) -> float:
        """The final score: the minimum of the four section sums."""
        return min(self.sections.values())

    @property
    def reading(self) -> str:
        return reading(self.score)

    def item(self, item_id: str) -> Item:
        return next(i for i in self.items if i.id == item_id)

    def summary(self) -> str:
        """One line: the score, each section, and Table V's reading."""
        parts = ", ".join(f"{SECTION_TITLES[k].lower()} {v:g}" for k, v in self.sections.items())
        return (f"ML Test Score {self.score:g} (minimum of {parts}): {self.reading} MLOps "
                f"level {self.mlops.level}.")  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data.update(score=self.score, sections=self.sections, reading=self.reading,
                    summary=self.summary())  # fmt: skip
        return data
