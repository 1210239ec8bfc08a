"""When a statistic counts as drift: effect-size thresholds, not p-values.

With the sample sizes monitoring sees (thousands to millions of rows) every p-value is tiny
for shifts nobody cares about, so verdicts compare effect sizes with fixed thresholds. Each
statistic has a ``warning`` and a ``drift`` level (a value strictly above a level reaches it):

=================  =======  =====  ==========================================================
statistic          warning  drift  meaning
=================  =======  =====  ==========================================================
psi                0.1      0.2    population stability index over the reference's decile
                                   bins (numbers) or categories; the industry's usual levels
ks                 0.05     0.1    Kolmogorov–Smirnov statistic D: largest gap between CDFs
wasserstein        0.05     0.1    Wasserstein-1 distance divided by the reference's standard
                                   deviation (so 0.1 is a tenth of a standard deviation)
jensen_shannon     0.05     0.1    Jensen–Shannon distance with base-2 logarithms, in [0, 1]
cramers_v          0.05     0.1    Cramér's V of the chi-square test reference vs current
=================  =======  =====  ==========================================================

A feature's verdict is that of its *method*: ``psi`` for numbers and ``jensen_shannon`` for
categories by default (any statistic of the kind may be chosen). The others are still
computed and reported. The overall verdict is ``drift`` when at least ``dataset_share`` of
the compared features drift, ``warning`` when any feature drifts or warns, else ``ok``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shipyard.core.errors import UsageError

NUMERIC_STATISTICS = ("psi", "ks", "wasserstein")
CATEGORICAL_STATISTICS = ("psi", "jensen_shannon", "cramers_v")
DRIFT, WARNING, OK, SKIPPED = "drift", "warning", "ok", "skipped"
_SEVERITY = {OK: 0, WARNING: 1, DRIFT: 2}


@dataclass(frozen=True)
class Level:
    warning: float
    drift: float

    def verdict(self, value: float) -> str:
        if value > self.drift:
            return DRIFT
        return WARNING if value > self.warning else OK


def _levels() -> dict[str, Level]:
    return {
        "psi": Level(0.1, 0.2),
        "ks": Level(0.05, 0.1),
        "wasserstein": Level(0.05, 0.1),
        "jensen_shannon": Level(0.05, 0.1),
        "cramers_v": Level(0.05, 0.1),
    }


@dataclass(frozen=True)
class Thresholds:
    """Drift thresholds and the statistic that decides each kind of feature."""

    levels: dict[str, Level] = field(default_factory=_levels)
    numeric_method: str = "psi"
    categorical_method: str = "jensen_shannon"
    dataset_share: float = 0.5
    methods: dict[str, str] = field(default_factory=dict)  # per column, overrides the kind's

    def __post_init__(self) -> None:
        levels = {**_levels(), **self.levels}
        object.__setattr__(self, "levels", levels)
        if self.numeric_method not in NUMERIC_STATISTICS:
            raise UsageError(f"numeric_method must be one of {', '.join(NUMERIC_STATISTICS)}.")
        if self.categorical_method not in CATEGORICAL_STATISTICS:
            raise UsageError(
                f"categorical_method must be one of {', '.join(CATEGORICAL_STATISTICS)}."
            )
        if not 0 < self.dataset_share <= 1:
            raise UsageError("dataset_share must be in (0, 1].")
        for column, method in self.methods.items():
            if method not in levels:
                raise UsageError(f"The method for column {column!r} is unknown: {method!r}.")

    def method_for(self, column: str, kind: str) -> str:
        if column in self.methods:
            allowed = NUMERIC_STATISTICS if kind == "numeric" else CATEGORICAL_STATISTICS
            if self.methods[column] in allowed:
                return self.methods[column]
        return self.numeric_method if kind == "numeric" else self.categorical_method

    def verdict(self, statistic: str, value: float) -> str:
        return self.levels[statistic].verdict(value)


def worst(verdicts: list[str]) -> str:
    graded = [v for v in verdicts if v in _SEVERITY]
    return max(graded, key=_SEVERITY.__getitem__) if graded else OK
