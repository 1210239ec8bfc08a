"""Drift statistics of a numeric column: PSI, Kolmogorov–Smirnov and Wasserstein distance,
computed from the reference's stored profile (its quantiles, decile bins and, for columns of
few distinct values, its exact value counts) and the current sample, given as rows or as its
own profile.

Both distributions are compared on a grid: the reference's stored quantiles (or its distinct
values), where the reference CDF is known. The current CDF is counted there exactly (from
rows: one sort, then a binary search per grid point) or interpolated (from a profile). KS is
the largest gap between the two on the grid, the Wasserstein-1 distance integrates the gap
over it plus the exact tails beyond the reference's range, and PSI compares the shares in
the reference's bins.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

Floats = NDArray[np.float64]
EPSILON = 1e-4
"""Shares are clipped to this before PSI's logarithm (an empty bin would be infinite)."""


@dataclass(frozen=True)
class Reference:
    """What the stored profile says about a numeric column."""

    grid: Floats  # sorted points: quantiles, or the distinct values
    cdf: Floats  # reference CDF at each grid point
    discrete: bool
    edges: Floats  # PSI bins: (-inf, e1], (e1, e2], …, (ek, inf)
    shares: Floats
    rows: int
    std: float

    @classmethod
    def from_profile(cls, column: dict[str, Any], probabilities: Floats) -> Reference:
        rows, std = int(column.get("valid", column["count"])), float(column.get("std") or 0.0)
        values = column.get("values")
        if values:
            grid = np.asarray(values["values"], dtype=np.float64)
            counts = np.asarray(values["counts"], dtype=np.float64)
            shares = np.concatenate([counts, [0.0]]) / counts.sum()
            return cls(grid, np.cumsum(counts) / counts.sum(), True, grid, shares, rows, std)
        quantiles = np.asarray(column["quantiles"], dtype=np.float64)
        grid, cdf = _right_continuous(quantiles, probabilities)
        bins = column["bins"]
        return cls(
            grid, cdf, False, np.asarray(bins["edges"], dtype=np.float64),
            np.asarray(bins["proportions"], dtype=np.float64), rows, std,
        )  # fmt: skip


@dataclass(frozen=True)
class Current:
    """The current sample, seen on the reference's grid."""

    cdf: Floats  # current CDF at each grid point
    shares: Floats  # share in each PSI bin of the reference
    below: float  # ∫ F_cur over (-inf, grid[0]): the mass below the reference's range
    above: float  # ∫ (1 - F_cur) over (grid[-1], inf)
    rows: int


def current_from_values(reference: Reference, values: Floats) -> Current:
    """Count the current rows (finite float64 values) on the reference's grid, exactly: one
    sort, then a binary search per grid point."""
    m = len(values)
    ordered = np.sort(values)
    cdf = _count_at_most(reference.grid, ordered) / m
    at_edges = _count_at_most(reference.edges, ordered)
    shares = np.diff(np.concatenate([[0.0], at_edges, [m]])) / m
    low, high = float(reference.grid[0]), float(reference.grid[-1])
    under = int(np.searchsorted(ordered, low, side="left"))
    over = int(np.searchsorted(ordered, high, side="right"))
    below = float(low * under - ordered[:under].sum()) / m
    above = float(ordered[over:].sum() - high * (m - over)) / m
    return Current(cdf, shares, below, above, m)


def current_from_profile(
    reference: Reference, column: dict[str, Any], probabilities: Floats
) -> Current:
    """Place a profiled current column on the reference's grid (interpolating its CDF)."""
    rows = int(column.get("valid", column["count"]))
    values = column.get("values")
    if values:
        points = np.asarray(values["values"], dtype=np.float64)
        counts = np.asarray(values["counts"], dtype=np.float64)
        cumulative = np.cumsum(counts) / counts.sum()

        def cdf(x: Floats) -> Floats:
            index = np.searchsorted(points, x, side="right")
            return np.concatenate([[0.0], cumulative])[index]

        sample, weights = points, counts / counts.sum()
    else:
        quantiles = np.asarray(column["quantiles"], dtype=np.float64)
        grid, at = _right_continuous(quantiles, probabilities)

        def cdf(x: Floats) -> Floats:
            return np.interp(x, grid, at, left=0.0, right=1.0)

        spacing = np.diff(probabilities)
        sample = quantiles
        weights = (np.concatenate([[0.0], spacing]) + np.concatenate([spacing, [0.0]])) / 2
    edges_cdf = cdf(reference.edges)
    shares = np.diff(np.concatenate([[0.0], edges_cdf, [1.0]]))
    low, high = reference.grid[0], reference.grid[-1]
    below = float((np.maximum(low - sample, 0.0) * weights).sum())
    above = float((np.maximum(sample - high, 0.0) * weights).sum())
    return Current(cdf(reference.grid), shares, below, above, rows)


def statistics(reference: Reference, current: Current) -> dict[str, float]:
    """PSI, KS (with its asymptotic p-value) and Wasserstein (raw and normalised)."""
    gap = np.abs(reference.cdf - current.cdf)
    ks = float(gap.max()) if len(gap) else 0.0
    widths = np.diff(reference.grid)
    if reference.discrete:
        inside = float((gap[:-1] * widths).sum())
    else:
        inside = float(((gap[:-1] + gap[1:]) / 2 * widths).sum())
    wasserstein = inside + current.below + current.above
    n, m = reference.rows, current.rows
    effective = n * m / (n + m) if n + m else 0.0
    return {
        "psi": psi(reference.shares, current.shares),
        "ks": ks,
        "ks_pvalue": float(_kolmogorov(ks * np.sqrt(effective))) if effective else 1.0,
        "wasserstein": wasserstein,
        "wasserstein_norm": wasserstein / reference.std if reference.std > 0 else wasserstein,
    }


def psi(expected: Floats, actual: Floats) -> float:
    """Population stability index of two share vectors over the same bins."""
    e = np.clip(expected, EPSILON, None)
    a = np.clip(actual, EPSILON, None)
    return float(((a - e) * np.log(a / e)).sum())


def _count_at_most(points: Floats, ordered: Floats) -> Floats:
    """How many of the (sorted) values are <= each point."""
    return np.searchsorted(ordered, points, side="right").astype(np.float64)


def _right_continuous(quantiles: Floats, probabilities: Floats) -> tuple[Floats, Floats]:
    """Distinct quantile values with the CDF at each: the largest probability reaching it."""
    values, first = np.unique(quantiles[::-1], return_index=True)
    return values, probabilities[len(quantiles) - 1 - first]


def _kolmogorov(statistic: float) -> float:
    """The Kolmogorov distribution's survival function (SciPy, imported on first use: it is
    slow to import and most commands never compare a numeric column)."""
    from scipy.special import kolmogorov

    return float(kolmogorov(statistic))
