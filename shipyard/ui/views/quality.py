"""Data quality of a monitored window as a table: per feature, each check the monitor records
(missing share against the reference's, out-of-range values, unseen categories, the logged
type and presence), with the failing ones marked.

A check fails when an alert rule breached it on that window (an alert of the window names the
feature and the metric), or else by the data's own evidence: any value out of the reference's
range, any category the reference never had, a type or presence problem, or a missing share
more than ``NULL_MARGIN`` above the reference's.
"""

from __future__ import annotations

from typing import Any

NULL_MARGIN = 0.01
"""How far above the reference's missing share a window's may be before it fails."""

CHECKS = (
    ("missing", "Missing share", "null_rate"),
    ("out_of_range", "Out of range", "out_of_range_rate"),
    ("unseen", "Unseen categories", "unseen_rate"),
    ("schema", "Type and presence", None),
)
"""Each column of the table: its key, its heading, and the alert-rule metric that reads it."""


def quality_table(latest: dict[str, Any] | None, alerts: list[dict[str, Any]]) -> dict[str, Any]:
    """The rows of the table for the newest window (``latest``, a monitor result as a dict),
    the columns logged that are no model input, and how many checks fail."""
    if latest is None:
        return {"checks": _headings(), "rows": [], "extra": [], "failing": 0}
    quality = latest.get("data_quality") or {}
    features: dict[str, Any] = dict(quality.get("features") or {})
    schema: dict[str, list[str]] = {}
    extra: list[str] = []
    for text in quality.get("schema_violations") or []:
        name, _, problem = str(text).partition(": ")
        if problem == "logged but not a model input":
            extra.append(name)
        else:
            schema.setdefault(name, []).append(problem)
            features.setdefault(name, {})
    breached = _breached(latest.get("id"), alerts)
    rows = [_row(name, features[name], schema.get(name, []), breached) for name in sorted(features)]
    failing = sum(1 for row in rows for cell in row["cells"] if cell["fails"])
    return {"checks": _headings(), "rows": rows, "extra": extra, "failing": failing}


def _headings() -> list[dict[str, str]]:
    return [{"key": key, "title": title} for key, title, _ in CHECKS]


def _breached(result_id: Any, alerts: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """(feature, metric) pairs an alert rule found breached on the window ``result_id``."""
    found: set[tuple[str, str]] = set()
    for alert in alerts:
        details = alert.get("details") or {}
        if result_id is None or result_id not in (alert.get("result_id"), details.get("result_id")):
            continue
        for feature in details.get("features") or []:
            found.add((str(feature), str(details.get("metric"))))
    return found


def _row(
    name: str, entry: dict[str, Any], schema: list[str], breached: set[tuple[str, str]]
) -> dict[str, Any]:
    null_rate, reference = entry.get("null_rate"), entry.get("reference_null_rate")
    cells = {
        "missing": {
            "value": null_rate,
            "rate": True,
            "note": None if reference is None else f"reference {100 * float(reference):.2g}%",
            "fails": null_rate is not None
            and float(null_rate) > float(reference or 0.0) + NULL_MARGIN,
        },
        "out_of_range": _counted(entry, "out_of_range", "out_of_range_rate"),
        "unseen": _counted(entry, "unseen", "unseen_rate", entry.get("unseen_values")),
        "schema": {"value": "; ".join(schema) or "as in the reference", "fails": bool(schema)},
    }
    for key, _, metric in CHECKS:
        if metric is not None and (name, metric) in breached:
            cells[key]["fails"] = cells[key]["breached"] = True
    ordered = [{"key": key, **cells[key]} for key, _, _ in CHECKS]
    return {"feature": name, "cells": ordered, "fails": any(c["fails"] for c in ordered)}


def _counted(
    entry: dict[str, Any], count: str, rate: str, examples: list[Any] | None = None
) -> dict[str, Any]:
    """A count check (out of range for numbers, unseen for categories): absent where it does
    not apply."""
    if count not in entry:
        return {"value": None, "fails": False, "note": "not checked"}
    number = int(entry[count] or 0)
    note = f"{100 * float(entry.get(rate) or 0.0):.2g}% of values"
    if examples:
        note += ": " + ", ".join(str(v) for v in examples[:5])
    return {"value": number, "note": note, "fails": number > 0}
