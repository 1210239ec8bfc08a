"""The distribution of one numeric column, summarised with bounded memory.

Values are buffered up to a budget; while the whole column fits, every figure is exact (one
sort, then indexing). A column larger than the budget is cut into blocks: each block is sorted
and kept as ``POINTS`` weighted points at evenly spaced ranks, which bounds the rank error of
any quantile by 1/``POINTS`` of the data. Moments, minimum and maximum are always exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

POINTS = 4096
DISCRETE_LIMIT = 30
"""A numeric column with at most this many distinct values also keeps its value counts."""

Floats = NDArray[np.float64]


@dataclass(frozen=True)
class Distribution:
    """Sorted values with weights (all 1 when exact): enough for quantiles, CDFs, histograms."""

    values: Floats
    weights: Floats
    exact: bool

    @property
    def total(self) -> float:
        return float(self.weights.sum())

    def quantiles(self, probabilities: Floats) -> Floats:
        if self.exact:
            n = len(self.values)
            position = probabilities * (n - 1)
            low = np.floor(position).astype(np.int64)
            high = np.minimum(low + 1, n - 1)
            fraction = position - low
            return self.values[low] * (1 - fraction) + self.values[high] * fraction
        cumulative = np.cumsum(self.weights) - self.weights / 2
        return np.interp(probabilities * self.total, cumulative, self.values)

    def count_at_most(self, edges: Floats) -> Floats:
        """How many values are <= each edge."""
        if self.exact:
            return np.searchsorted(self.values, edges, side="right").astype(np.float64)
        cumulative = np.concatenate([[0.0], np.cumsum(self.weights)])
        return cumulative[np.searchsorted(self.values, edges, side="right")]


class NumericSketch:
    """Accumulates finite float values; :meth:`distribution` summarises them."""

    def __init__(self, budget: int) -> None:
        self._budget = max(budget, POINTS * 4)
        self._buffer: list[Floats] = []
        self._buffered = 0
        self._blocks: list[tuple[Floats, Floats]] = []
        self._counts: dict[float, float] | None = {}

    def add(self, values: Floats) -> None:
        if not len(values):
            return
        self._buffer.append(values)
        self._buffered += len(values)
        if self._buffered >= self._budget:
            self._compress()

    def _compress(self) -> None:
        block = np.sort(np.concatenate(self._buffer))
        self._buffer, self._buffered = [], 0
        self._track_counts(block)
        n = len(block)
        ranks = (np.arange(POINTS) + 0.5) * n / POINTS
        self._blocks.append((block[ranks.astype(np.int64)], np.full(POINTS, n / POINTS)))

    def _track_counts(self, sorted_values: Floats) -> None:
        if self._counts is None:
            return
        found = _value_counts(sorted_values)
        if found is None:
            self._counts = None
            return
        for value, count in zip(*found, strict=True):
            self._counts[float(value)] = self._counts.get(float(value), 0.0) + float(count)
        if len(self._counts) > DISCRETE_LIMIT:
            self._counts = None

    def distribution(self) -> tuple[Distribution | None, tuple[Floats, Floats] | None]:
        """The summary, and for a column of few distinct values their exact counts."""
        if not self._blocks:
            if not self._buffer:
                return None, None
            values = np.sort(np.concatenate(self._buffer))
            exact = Distribution(values, np.ones(len(values)), exact=True)
            return exact, _value_counts(values)
        if self._buffer:
            self._compress()
        points = np.concatenate([v for v, _ in self._blocks])
        weights = np.concatenate([w for _, w in self._blocks])
        order = np.argsort(points, kind="stable")
        summary = Distribution(points[order], weights[order], exact=False)
        if self._counts is None:
            return summary, None
        values = np.array(sorted(self._counts))
        return summary, (values, np.array([self._counts[v] for v in values.tolist()]))


def _value_counts(sorted_values: Floats) -> tuple[Floats, Floats] | None:
    starts = np.flatnonzero(np.diff(sorted_values)) + 1
    if len(starts) + 1 > DISCRETE_LIMIT:
        return None
    bounds = np.concatenate([[0], starts, [len(sorted_values)]])
    return sorted_values[bounds[:-1]], np.diff(bounds).astype(np.float64)
