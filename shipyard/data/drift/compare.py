"""Compare current data (rows, or their profile) with a reference profile, feature by feature.

The reference is always a stored profile (``DatasetVersionRecord.profile``), so monitoring
never needs the reference rows. The current side may be rows (anything a dataset can be made
from, or an Arrow table), counted exactly on the reference's grid, or another profile (as
``shipyard data diff`` compares two versions).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import pyarrow as pa

from shipyard.data.drift import categorical, numeric
from shipyard.data.drift.report import DriftReport, FeatureDrift
from shipyard.data.drift.thresholds import DRIFT, OK, SKIPPED, WARNING, Thresholds, worst
from shipyard.data.errors import DataError
from shipyard.data.profile import PROBABILITIES, column_kind, finite_values, value_counts
from shipyard.data.readers import from_pandas, read_table

#: statistic name in thresholds -> key in a feature's statistics
_SCORES = {"psi": "psi", "ks": "ks", "wasserstein": "wasserstein_norm",
           "jensen_shannon": "jensen_shannon", "cramers_v": "cramers_v"}  # fmt: skip
_OF_KIND = {"numeric": ("psi", "ks", "wasserstein"),
            "categorical": ("psi", "jensen_shannon", "cramers_v")}  # fmt: skip

Profile = Mapping[str, Any]


def is_profile(value: Any) -> bool:
    return isinstance(value, Mapping) and "columns" in value and "rows" in value


def compare(
    reference: Profile,
    current: Any,
    *,
    thresholds: Thresholds | None = None,
    columns: Iterable[str] | None = None,
    reference_name: str | None = None,
    current_name: str | None = None,
) -> DriftReport:
    """Per-feature drift statistics and verdicts, and the overall verdict."""
    if not is_profile(reference):
        raise DataError("The reference must be a dataset profile (DatasetVersionRecord.profile).")
    limits = thresholds or Thresholds()
    wanted = list(columns) if columns is not None else list(reference["columns"])
    unknown = [c for c in wanted if c not in reference["columns"]]
    if unknown:
        raise DataError(f"The reference profile has no column {', '.join(map(repr, unknown))}.")
    side = _ProfileSide(current) if is_profile(current) else _RowSide(current)
    probabilities = _probabilities(reference)
    features = [
        _feature(name, reference["columns"][name], side, limits, probabilities) for name in wanted
    ]
    compared = [f for f in features if f.verdict != SKIPPED]
    drifted = [f for f in compared if f.verdict == DRIFT]
    if compared and len(drifted) / len(compared) >= limits.dataset_share:
        verdict = DRIFT
    else:
        verdict = WARNING if worst([f.verdict for f in compared]) != OK else OK
    return DriftReport(verdict, tuple(features), limits.dataset_share, reference_name,
                       current_name)  # fmt: skip


def _probabilities(profile: Profile) -> Any:
    found = profile.get("probabilities")
    return PROBABILITIES if found is None else np.asarray(found, dtype=np.float64)


def _feature(
    name: str, ref: Mapping[str, Any], side: Any, limits: Thresholds, probabilities: Any
) -> FeatureDrift:
    kind = ref.get("kind", "null")

    def skipped(reason: str) -> FeatureDrift:
        return FeatureDrift(name, kind, SKIPPED, None, None, reason=reason,
                            reference_rows=int(ref.get("count", 0)))  # fmt: skip

    if kind not in _OF_KIND:
        return skipped(f"{ref.get('dtype')} columns are not compared")
    if not side.has(name):
        return skipped("missing from the current data")
    found = side.kind(name)
    if found != kind:
        return skipped(f"was {ref.get('dtype')}, is {side.dtype(name)} now")
    if kind == "numeric":
        if not ref.get("quantiles"):
            return skipped("the reference has no valid values")
        reference = numeric.Reference.from_profile(dict(ref), probabilities)
        current = side.numeric(name, reference)
        if current is None:
            return skipped("the current data has no valid values")
        stats = numeric.statistics(reference, current)
        rows = current.rows
    else:
        counts = categorical.reference_counts(ref)
        if counts is None or categorical.is_id_like(ref):
            return skipped("too many distinct values to compare (an id-like column)")
        current_counts = side.counts(name)
        if not current_counts:
            return skipped("the current data has no valid values")
        stats = categorical.statistics(counts, current_counts)
        rows = int(sum(current_counts.values()))
    method = limits.method_for(name, kind)
    score = stats[_SCORES[method]]
    flagged = tuple(s for s in _OF_KIND[kind] if limits.verdict(s, stats[_SCORES[s]]) == DRIFT)
    return FeatureDrift(
        name, kind, limits.verdict(method, score), method, score, stats, flagged,
        reference_rows=int(ref.get("count", 0)), current_rows=rows,
        reference_null_rate=ref.get("null_rate"), current_null_rate=side.null_rate(name),
    )  # fmt: skip


class _RowSide:
    """Current rows, one column at a time (a pandas column is converted only when used)."""

    def __init__(self, data: Any) -> None:
        self._get: Callable[[str], Any]
        if type(data).__module__.startswith("pandas") and type(data).__name__ == "DataFrame":
            present = {str(c) for c in data.columns}
            self._names = present
            self._get = lambda name: from_pandas(data[[name]]).column(0)
        else:
            table = data if isinstance(data, pa.Table) else read_table(data)
            self._names = set(table.column_names)
            self._get = table.column
        self._cache: dict[str, Any] = {}

    def _column(self, name: str) -> Any:
        if name not in self._cache:
            self._cache = {name: self._get(name)}  # keep one column at a time
        return self._cache[name]

    def has(self, name: str) -> bool:
        return name in self._names

    def kind(self, name: str) -> str:
        return column_kind(self._column(name).type)

    def dtype(self, name: str) -> str:
        return str(self._column(name).type)

    def null_rate(self, name: str) -> float:
        column = self._column(name)
        return column.null_count / len(column) if len(column) else 0.0

    def numeric(self, name: str, reference: numeric.Reference) -> numeric.Current | None:
        values = finite_values(self._column(name)).values
        return numeric.current_from_values(reference, values) if len(values) else None

    def counts(self, name: str) -> dict[Any, float]:
        return {k: float(v) for k, v in value_counts(self._column(name)).items()}


class _ProfileSide:
    """A current profile."""

    def __init__(self, profile: Profile) -> None:
        self._columns: Mapping[str, Mapping[str, Any]] = profile["columns"]
        self._probabilities = _probabilities(profile)

    def has(self, name: str) -> bool:
        return name in self._columns

    def kind(self, name: str) -> str:
        return str(self._columns[name].get("kind"))

    def dtype(self, name: str) -> str:
        return str(self._columns[name].get("dtype"))

    def null_rate(self, name: str) -> float | None:
        rate = self._columns[name].get("null_rate")
        return None if rate is None else float(rate)

    def numeric(self, name: str, reference: numeric.Reference) -> numeric.Current | None:
        column = self._columns[name]
        if not column.get("quantiles"):
            return None
        return numeric.current_from_profile(reference, dict(column), self._probabilities)

    def counts(self, name: str) -> dict[Any, float]:
        return categorical.reference_counts(self._columns[name]) or {}
