"""Drift statistics of a categorical column (strings, categories, booleans): PSI,
Jensen–Shannon distance, and the chi-square test with Cramér's V, from the reference's stored
value counts and the current value counts.

When the reference kept only its most frequent values (the rest counted as *other*), current
values it does not list join *other* too; otherwise a value the reference never saw is a
category of its own, with a reference share of zero (and counts in ``unseen``).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

import numpy as np

from shipyard.data.drift.numeric import psi

OTHER = "<other>"


def is_id_like(column: Mapping[str, Any]) -> bool:
    """Whether a categorical column is an identifier rather than a category: too many
    distinct values to count, or more than half of its values distinct (and over 50)."""
    if not column.get("frequencies") or not column.get("distinct_exact", True):
        return True
    valid = int(column.get("count", 0)) - int(column.get("nulls", 0))
    distinct = int(column.get("distinct", 0))
    return distinct > 50 and distinct > valid / 2


def reference_counts(column: Mapping[str, Any]) -> dict[Any, float] | None:
    """The reference's value counts (with ``OTHER`` for the rest), or None when the column
    kept none."""
    frequencies = column.get("frequencies")
    if not frequencies:
        return None
    counts = {
        _key(v): float(c) for v, c in zip(frequencies["values"], frequencies["counts"], strict=True)
    }
    if column.get("other"):
        counts[OTHER] = float(column["other"])
    return counts


def statistics(reference: Mapping[Any, float], current: Mapping[Any, float]) -> dict[str, float]:
    truncated = OTHER in reference
    aligned: dict[Any, list[float]] = {k: [v, 0.0] for k, v in reference.items()}
    unseen = 0.0
    for value, count in current.items():
        key = _key(value)
        if key in aligned:
            aligned[key][1] += count
        elif truncated:
            aligned[OTHER][1] += count
        else:
            aligned[key] = [0.0, count]
            unseen += count
    table = np.array(list(aligned.values()), dtype=np.float64).T  # 2 x categories
    table = table[:, table.sum(axis=0) > 0]
    totals = table.sum(axis=1, keepdims=True)
    if table.shape[1] == 0 or not totals.all():
        return {"psi": 0.0, "jensen_shannon": 0.0, "chi_square": 0.0, "chi_square_pvalue": 1.0,
                "cramers_v": 0.0, "unseen_share": 0.0}  # fmt: skip
    shares = table / totals
    result = {
        "psi": psi(shares[0], shares[1]),
        "jensen_shannon": float(_scipy_stats().jensenshannon(shares[0], shares[1], base=2)),
        "unseen_share": unseen / float(totals[1, 0]),
    }
    if table.shape[1] < 2:
        return {**result, "chi_square": 0.0, "chi_square_pvalue": 1.0, "cramers_v": 0.0}
    chi2, pvalue, _, _ = _scipy_stats().chi2_contingency(table, correction=False)
    return {
        **result,
        "chi_square": float(chi2),
        "chi_square_pvalue": float(pvalue),
        "cramers_v": float(np.sqrt(chi2 / table.sum())),
    }


def _key(value: Any) -> Any:
    """Values as stored in JSON: booleans and numbers stay, everything else is text."""
    return value if isinstance(value, str | bool | int | float) or value is None else str(value)


@functools.cache
def _scipy_stats() -> SimpleNamespace:
    """The SciPy functions used here, imported on first use: scipy.stats takes over a second
    to import, and most commands that import Shipyard never compare a categorical column."""
    from scipy.spatial.distance import jensenshannon
    from scipy.stats import chi2_contingency

    return SimpleNamespace(jensenshannon=jensenshannon, chi2_contingency=chi2_contingency)
