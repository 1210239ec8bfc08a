"""Fairness over a sensitive column, computed by fairlearn.

One fairlearn ``MetricFrame`` per sensitive column holds the per-group selection rate, true
and false positive rates; the parity statistics are that frame's between-group ``difference()``
and ``ratio()``: demographic parity from the selection rate, equalized odds as the worse of the
true and false positive rates — exactly what fairlearn's ``demographic_parity_difference``,
``equalized_odds_ratio`` … return, at the cost of one frame instead of four. Labels are turned
into 0/1 against the positive label first. fairlearn is imported on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np
import pandas as pd

from shipyard.core.errors import ConfigurationError
from shipyard.evaluation.gates import bounded
from shipyard.evaluation.result import GateOutcome
from shipyard.evaluation.spec import FairnessGate

MISSING = "(missing)"


def sensitive_groups(values: pd.Series[Any]) -> pd.Series[Any]:
    """The sensitive column with nulls as their own group, ``(missing)``."""
    return values.astype(object).where(values.notna(), MISSING)


def fairness_table(
    y_true: np.ndarray, y_pred: np.ndarray, sensitive: pd.Series[Any], positive: Any
) -> dict[str, Any]:
    """fairlearn's parity statistics and the per-group rates for one sensitive column."""
    if positive is None:
        raise ConfigurationError(
            "Fairness gates need a positive label, and this classification task has more "
            "than two classes.",
            hint="Set evaluation.positive_label to the favourable outcome.",
        )
    fm = importlib.import_module("fairlearn.metrics")

    truth = np.asarray(y_true == positive, dtype=int)
    predicted = np.asarray(y_pred == positive, dtype=int)
    groups = sensitive_groups(sensitive).to_numpy()
    frame = fm.MetricFrame(
        metrics={
            "rows": fm.count,
            "selection_rate": fm.selection_rate,
            "true_positive_rate": fm.true_positive_rate,
            "false_positive_rate": fm.false_positive_rate,
        },
        y_true=truth,
        y_pred=predicted,
        sensitive_features=pd.Series(groups, name=str(sensitive.name)),
    )
    difference = frame.difference(method="between_groups")
    ratio = frame.ratio(method="between_groups")
    odds = ["true_positive_rate", "false_positive_rate"]
    statistics = {
        "demographic_parity_difference": float(difference["selection_rate"]),
        "demographic_parity_ratio": float(ratio["selection_rate"]),
        "equalized_odds_difference": float(max(difference[m] for m in odds)),
        "equalized_odds_ratio": float(min(ratio[m] for m in odds)),
    }
    by_group = frame.by_group
    rows = [
        {"group": group, **{key: _number(value) for key, value in by_group.loc[group].items()}}
        for group in by_group.index
    ]
    for row in rows:
        row["rows"] = int(row["rows"] or 0)
    overall = {key: _number(value) for key, value in frame.overall.items()}
    return {"statistics": statistics, "groups": rows, "overall": overall}


def fairness_outcome(gate: FairnessGate, table: dict[str, Any]) -> GateOutcome:
    observed = float(table["statistics"][gate.statistic])
    return bounded(
        name=str(gate.name),
        kind=gate.kind,
        what=f"{gate.statistic} over {gate.sensitive}",
        observed=observed,
        low=gate.min,
        high=gate.max,
        details={"groups": table["groups"]},
    )


def _number(value: Any) -> float | None:
    number = float(value)
    return number if np.isfinite(number) else None
