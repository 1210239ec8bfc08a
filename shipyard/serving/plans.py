"""What a deployment should serve right now, read from the store: shared by every serving mode
that follows aliases as they move (the online router, the stream worker).

A :class:`Plan` is the deployment's routes with each alias resolved to its version now, and
its shadow versions. Comparing the plan of the last poll with the plan of this one is how a
server notices that an alias moved or the routes changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shipyard.serving.deploy import deployments_of
from shipyard.store.workspace import Workspace

RETRY_SECONDS = 60.0
"""How long a plan whose versions failed to load waits before it is tried again."""


@dataclass(frozen=True)
class Plan:
    """What should be served: versions with weights, and shadow versions."""

    model: str
    routes: tuple[tuple[int, float], ...]
    shadows: tuple[int, ...]

    def describe(self) -> dict[str, Any]:
        return {"model": self.model,
                "routes": [{"version": v, "weight": w} for v, w in self.routes],
                "shadows": list(self.shadows)}  # fmt: skip


def read_plan(deployment: str, workspace: Workspace) -> Plan:
    """Read ``deployment`` and resolve its aliases now (blocking: call it off the event loop)."""
    record = deployments_of(workspace).get(deployment)
    routes = []
    for route in record.routes:
        if "alias" in route:
            target = workspace.models.resolve_alias(record.model_name, route["alias"])
            routes.append((target.version, float(route["weight"])))
        else:
            routes.append((int(route["version"]), float(route["weight"])))
    merged: dict[int, float] = {}
    for version, weight in routes:  # two routes to one version share one variant
        merged[version] = merged.get(version, 0.0) + weight
    shadows = tuple(v for v in record.shadows if v not in merged)
    return Plan(record.model_name, tuple(merged.items()), shadows)
