"""How far apart two samples of predictions lie: the Jensen-Shannon distance, a guard-rail
of the rollout analysis and a figure of A/B reports."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def jensen_shannon_distance(
    canary: np.ndarray[Any, Any], stable: np.ndarray[Any, Any], *, bins: int = 10
) -> float:
    """Jensen-Shannon distance (base 2, between 0 and 1) of two samples of predictions:
    labels are compared as categories, numbers over deciles of the stable sample."""
    if stable.dtype.kind != "f" or np.unique(stable).size <= 20:
        values = np.union1d(np.unique(canary), np.unique(stable))
        p = np.array([np.count_nonzero(canary == v) for v in values], dtype=np.float64)
        q = np.array([np.count_nonzero(stable == v) for v in values], dtype=np.float64)
    else:
        edges = np.unique(np.quantile(stable, np.linspace(0, 1, bins + 1)[1:-1]))
        p = np.bincount(np.searchsorted(edges, canary), minlength=edges.size + 1).astype(float)
        q = np.bincount(np.searchsorted(edges, stable), minlength=edges.size + 1).astype(float)
    p /= p.sum()
    q /= q.sum()
    m = 0.5 * (p + q)

    def kl(a: np.ndarray[Any, Any]) -> float:
        mask = a > 0
        return float(np.sum(a[mask] * np.log2(a[mask] / m[mask])))

    return math.sqrt(max(0.5 * kl(p) + 0.5 * kl(q), 0.0))
