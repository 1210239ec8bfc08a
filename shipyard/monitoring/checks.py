"""The checks of a window beyond drift and quality: dependency changes, model age, numerical
stability, and computing performance against the previous version.

- **Dependencies**: every prediction file records the framework versions of the serving
  process that wrote it; they are compared with the lock of the run that trained the version,
  for each package the version's flavor depends on (scikit-learn's minor version is the classic
  silent bug). Rule metric ``dependency_mismatch``: how many packages differ.
- **Model age**: days since the version behind the main route was registered (``model_age``).
- **Numerical stability**: predictions that are not finite, and numeric predictions outside
  the training label's range (or a probability outside [0, 1]) (``nonfinite_predictions``,
  ``out_of_range_predictions``, and their ``_rate``).
- **Computing performance**: the version's p99 latency and served rows per second against the
  previous version's, from this window when both served in it, else from the newest stored
  window where the previous one did (``latency_regression``, ``throughput_ratio``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from shipyard._store.records import ModelVersionRecord
from shipyard._store.workspace import Workspace
from shipyard.core.errors import ArtifactError, NotFoundError
from shipyard.models.flavors import flavor_packages
from shipyard.monitoring.logscan import LogWindow
from shipyard.monitoring.window import Window

Level = Literal["major", "minor", "exact"]
SECONDS_PER_DAY = 86400.0
HISTORY = 100


def training_packages(ws: Workspace, version: ModelVersionRecord) -> dict[str, str] | None:
    """``{package: version}`` of the run that produced ``version`` (its package lock and its
    Python), or None when that run recorded no lock."""
    if version.source_run_id is None:
        return None
    try:
        run = ws.runs.get(version.source_run_id)
    except NotFoundError:
        return None
    if run.environment_lock_hash is None:
        return None
    try:
        lock = ws.artifacts.get_bytes(run.environment_lock_hash, name="package lock").decode()
    except ArtifactError:
        return None
    found: dict[str, str] = {}
    for line in lock.splitlines():
        name, sep, number = line.strip().partition("==")
        if sep and not name.startswith("#"):
            found[_normal(name)] = number.strip()
    python = (run.environment or {}).get("python")
    if python:
        found["python"] = str(python)
    return found


def _normal(name: str) -> str:
    return name.lower().replace("_", "-")


def _cut(number: str, level: Level) -> str:
    """The part of a version number compared at ``level``: ``1.3`` of ``1.3.2`` (minor)."""
    if level == "exact":
        return number
    parts = number.split("+")[0].split(".")
    return ".".join(parts[: 1 if level == "major" else 2])


def dependency_check(
    ws: Workspace, source: LogWindow, version: ModelVersionRecord, level: Level
) -> dict[str, Any] | None:
    """The packages of ``version``'s flavor whose serving version differs from its training
    version at ``level``; None when the training lock or the serving versions are unknown."""
    serving = source.packages().get(str(version.version))
    training = training_packages(ws, version)
    if not serving or training is None:
        return None
    served = {_normal(k): v for k, v in serving.items()}
    mismatches, checked = [], []
    for package in flavor_packages(version.flavor):
        trained, running = training.get(_normal(package)), served.get(_normal(package))
        if trained is None or not running:
            continue
        checked.append(package)
        differing = [v for v in running if _cut(v, level) != _cut(trained, level)]
        if differing:
            mismatches.append({"package": package, "training": trained, "serving": differing})
    return {"version": version.version, "level": level, "checked": checked,
            "mismatches": mismatches, "count": len(mismatches)}  # fmt: skip


def model_age(version: ModelVersionRecord, now: datetime) -> float:
    """Days from the version's registration to ``now``."""
    return max((now - version.created_at).total_seconds(), 0.0) / SECONDS_PER_DAY


def numerical_check(
    source: LogWindow, label_column: Mapping[str, Any] | None, has_probability: bool
) -> dict[str, Any]:
    """Non-finite and out-of-range predictions of the window, with the range they were held
    to: the training label's (``label_column``, a numeric column's profile), else, for a
    classifier (``has_probability``), [0, 1] for the ``probability`` its predictions hold."""
    low = high = None
    probability = False
    if label_column and label_column.get("kind") == "numeric" and "min" in label_column:
        low, high = float(label_column["min"]), float(label_column["max"])
    elif has_probability:
        low, high, probability = 0.0, 1.0, True
    counts = source.prediction_checks(low, high, probability=probability)
    rows = counts["rows"]
    nonfinite = counts["nonfinite"] if rows else None  # no traffic: unknown, not zero
    outside = counts["out_of_range"] if rows and low is not None else None
    return {
        "rows": rows, "nonfinite": nonfinite, "out_of_range": outside,
        "nonfinite_rate": None if nonfinite is None else nonfinite / rows,
        "out_of_range_rate": None if outside is None else outside / rows,
        "range": None if low is None else [low, high],
    }  # fmt: skip


def performance_change(
    ws: Workspace, deployment: str, span: Window, health: Mapping[str, Any], version: int
) -> dict[str, Any] | None:
    """p99 latency and served rows per second of ``version`` against the previous version;
    None when either has no figures."""
    versions = health.get("versions") or {}
    current = versions.get(str(version))
    if not current or not current.get("latency_ms"):
        return None
    seconds = span.duration.total_seconds()
    older = [int(v) for v in versions if int(v) < version and versions[v].get("latency_ms")]
    if older:
        previous, entry, where = max(older), versions[str(max(older))], "this window"
        previous_seconds = seconds
    else:
        found = _previous_window(ws, deployment, span, version)
        if found is None:
            return None
        previous, entry, where, previous_seconds = found
    now_p99, then_p99 = current["latency_ms"]["p99"], entry["latency_ms"]["p99"]
    now_rate, then_rate = current["rows"] / seconds, entry["rows"] / previous_seconds
    return {
        "version": version, "previous": previous, "from": where,
        "latency_p99": now_p99, "previous_latency_p99": then_p99,
        "latency_regression": now_p99 / then_p99 if then_p99 > 0 else None,
        "throughput": now_rate, "previous_throughput": then_rate,
        "throughput_ratio": now_rate / then_rate if then_rate > 0 else None,
    }  # fmt: skip


def _previous_window(
    ws: Workspace, deployment: str, span: Window, version: int
) -> tuple[int, dict[str, Any], str, float] | None:
    """The newest stored window where a version older than ``version`` served."""
    for result in reversed(ws.monitoring.results(deployment, until=span.start, limit=HISTORY)):
        versions = result.service_health.get("versions") or {}
        older = [int(v) for v in versions if int(v) < version and versions[v].get("latency_ms")]
        if older:
            seconds = (result.window_end - result.window_start).total_seconds()
            return max(older), versions[str(max(older))], f"result {result.id}", seconds
    return None


def describe_checks(health: Mapping[str, Any], summary: Mapping[str, Any]) -> list[str]:
    """One sentence per check of a stored window, for reports."""
    lines = []
    age = summary.get("model_age_days")
    if age is not None:
        lines.append(f"Model v{summary.get('model_version')} is {age:.1f} days old.")
    deps = health.get("dependencies")
    if deps is None:
        lines.append("Dependencies: unknown (no training lock, or no logged package versions).")
    elif deps["mismatches"]:
        shown = "; ".join(f"{m['package']} trained {m['training']}, served "
                          f"{', '.join(m['serving'])}" for m in deps["mismatches"])  # fmt: skip
        lines.append(f"Dependencies differ at the {deps['level']} version: {shown}.")
    else:
        lines.append(f"Dependencies match training ({', '.join(deps['checked'])}).")
    numerical = health.get("numerical") or {}
    if numerical.get("nonfinite") is not None:
        outside = numerical.get("out_of_range")
        lines.append(f"{numerical['nonfinite']} non-finite prediction(s)"
                     + ("" if outside is None else f", {outside} outside {numerical['range']}")
                     + ".")  # fmt: skip
    comparison = health.get("comparison")
    if comparison and comparison.get("latency_regression") is not None:
        lines.append(
            f"p99 latency {comparison['latency_p99']:.3g} ms vs "
            f"{comparison['previous_latency_p99']:.3g} ms for v{comparison['previous']} "
            f"(x{comparison['latency_regression']:.2f}); throughput "
            f"x{comparison['throughput_ratio'] or 0:.2f}."
        )
    return lines
