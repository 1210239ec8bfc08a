"""Do offline and online metrics agree (the ML Test Score's "offline and online metrics
correlate")? For each version of a model, its offline evaluation metric beside the live metric
the monitor measured from feedback labels while it served, their difference, and the
correlation across versions.

A monitor window's live metric is credited to the version behind the deployment's main route
in that window (``summary.model_version``), weighted by its labelled rows.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from shipyard._store.workspace import Workspace, workspace_for
from shipyard.core.errors import NotFoundError
from shipyard.registry import parse_ref

MIN_FOR_CORRELATION = 3
HISTORY = 10_000


@dataclass(frozen=True)
class VersionMetrics:
    version: int
    offline: float | None
    online: float | None
    labelled_rows: int
    windows: int

    @property
    def difference(self) -> float | None:
        """online - offline."""
        if self.offline is None or self.online is None:
            return None
        return self.online - self.offline


@dataclass(frozen=True)
class OfflineOnline:
    model: str
    metric: str | None
    deployments: list[str]
    versions: list[VersionMetrics] = field(default_factory=list)

    @property
    def paired(self) -> list[VersionMetrics]:
        """The versions with both an offline and an online value."""
        return [v for v in self.versions if v.difference is not None]

    @property
    def correlation(self) -> float | None:
        """Pearson correlation of offline and online values across the paired versions;
        None with fewer than three, or when either side does not vary."""
        pairs = self.paired
        if len(pairs) < MIN_FOR_CORRELATION:
            return None
        offline = np.array([v.offline for v in pairs], dtype=float)
        online = np.array([v.online for v in pairs], dtype=float)
        if offline.std() == 0 or online.std() == 0:
            return None
        return float(np.corrcoef(offline, online)[0, 1])

    @property
    def mean_abs_difference(self) -> float | None:
        found = [abs(v.difference) for v in self.paired if v.difference is not None]
        return float(np.mean(found)) if found else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model, "metric": self.metric, "deployments": self.deployments,
            "versions": [{**asdict(v), "difference": v.difference} for v in self.versions],
            "paired": len(self.paired), "correlation": self.correlation,
            "mean_abs_difference": self.mean_abs_difference,
        }  # fmt: skip


def offline_online(
    model: str,
    *,
    metric: str | None = None,
    deployment: str | None = None,
    workspace: Workspace | None = None,
) -> OfflineOnline:
    """Offline against online ``metric`` (default: the first metric both sides have) for
    every version of ``model``, over the monitor results of ``deployment`` (default: every
    deployment of the model)."""
    ws = workspace or workspace_for()
    name = parse_ref(model).name
    versions = ws.models.list_versions(name)
    deployments = ([ws.deployments.get(deployment)] if deployment
                   else ws.deployments.list(model=name))  # fmt: skip
    live: dict[int, list[tuple[dict[str, Any], int]]] = {}
    for record in deployments:
        for result in ws.monitoring.results(record.name, limit=HISTORY):
            found = (result.performance or {}).get("metrics") or {}
            number = result.summary.get("model_version")
            labelled = int((result.performance or {}).get("labelled_rows") or 0)
            if found and number is not None and labelled:
                live.setdefault(int(number), []).append((found, labelled))
    offline: dict[int, dict[str, Any]] = {}
    for version in versions:
        evaluation = ws.promotion.latest_evaluation(name, version.version)
        if evaluation is not None:
            offline[version.version] = evaluation.metrics
    chosen = metric or _common_metric(offline, live)
    if metric is not None and not any(metric in m for m in offline.values()):
        raise NotFoundError(
            f"No evaluation of {name} records the metric {metric!r}.",
            hint="Pick a metric the evaluation section measures.",
        )
    rows = []
    for version in sorted(versions, key=lambda v: v.version):
        windows = live.get(version.version, [])
        weighted = [(float(m[chosen]), n) for m, n in windows
                    if chosen is not None and m.get(chosen) is not None]  # fmt: skip
        total = sum(n for _, n in weighted)
        online = sum(v * n for v, n in weighted) / total if total else None
        value = offline.get(version.version, {}).get(chosen) if chosen else None
        rows.append(VersionMetrics(version.version, None if value is None else float(value),
                                   online, total, len(windows)))  # fmt: skip
    return OfflineOnline(name, chosen, [d.name for d in deployments], rows)


def _common_metric(
    offline: dict[int, dict[str, Any]], live: dict[int, list[tuple[dict[str, Any], int]]]
) -> str | None:
    """The first offline metric (in evaluation order) the monitor also measured."""
    measured = {key for windows in live.values() for found, _ in windows for key in found}
    for metrics in offline.values():
        for key, value in metrics.items():
            if key in measured and value is not None:
                return str(key)
    return None
