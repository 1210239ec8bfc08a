"""Drift statistics: is the current data still distributed like the reference?

``compare(reference_profile, current)`` works from a stored reference profile, so the reference
rows are never needed: numbers get PSI (over the reference's decile bins), the two-sample
Kolmogorov–Smirnov statistic and the Wasserstein distance; categories get PSI, Jensen–Shannon
distance and the chi-square test with Cramér's V. Verdicts compare effect sizes with the
thresholds of :class:`Thresholds` (see ``thresholds.py`` for the levels and why).
"""

from shipyard.data.drift.compare import compare, is_profile
from shipyard.data.drift.report import DriftReport, FeatureDrift
from shipyard.data.drift.thresholds import (
    CATEGORICAL_STATISTICS,
    DRIFT,
    NUMERIC_STATISTICS,
    OK,
    SKIPPED,
    WARNING,
    Level,
    Thresholds,
)

__all__ = [
    "CATEGORICAL_STATISTICS",
    "DRIFT",
    "NUMERIC_STATISTICS",
    "OK",
    "SKIPPED",
    "WARNING",
    "DriftReport",
    "FeatureDrift",
    "Level",
    "Thresholds",
    "compare",
    "is_profile",
]
