"""A rollout's hold on its deployment: which servers to watch, and moving the routes
(every change judged by the traffic policy and audited as ``deployment.update``)."""

from __future__ import annotations

import os
import socket
from typing import Any

from shipyard._store.rollouts import RolloutRecord
from shipyard._store.workspace import Workspace
from shipyard.delivery.spec import RolloutSpec, parse_spec
from shipyard.registry import authorize_traffic
from shipyard.serving.deploy import deployments_of


def spec_of(record: RolloutRecord) -> RolloutSpec:
    return parse_spec(record.spec)


def servers_of(workspace: Workspace, record: RolloutRecord) -> list[str]:
    """The servers to watch: the spec's, plus the one the deployment records."""
    urls = list(spec_of(record).servers)
    found = deployments_of(workspace).find(record.deployment)
    recorded = (found.stats or {}).get("server") if found is not None else None
    if isinstance(recorded, str) and recorded not in urls:
        urls.append(recorded)
    return urls


def controller_id() -> dict[str, Any]:
    return {"pid": os.getpid(), "host": socket.gethostname()}


def set_routes(workspace: Workspace, record: RolloutRecord, share: int | None, *, why: str) -> None:
    """Give the canary ``share`` percent of the traffic, the stable version the rest;
    ``share=None`` restores the deployment's routes from before the rollout."""
    repository = deployments_of(workspace)
    deployment = repository.get(record.deployment)
    if share is None:
        routes: list[dict[str, Any]] = list(record.state["original_routes"])
    elif share >= 100:
        routes = [{"version": record.canary_version, "weight": 100}]
    else:
        routes = [{"version": record.stable_version, "weight": 100 - share},
                  {"version": record.canary_version, "weight": share}]  # fmt: skip
    if routes == deployment.routes:
        return
    note = authorize_traffic(
        record.model, routes, deployment.shadows, before_routes=deployment.routes,
        before_shadows=deployment.shadows, force=bool(record.state.get("forced")),
        reason=record.state.get("force_reason") or why, workspace=workspace,
    )  # fmt: skip
    repository.apply(
        record.deployment, model=record.model, routes=routes, shadows=deployment.shadows,
        mode=deployment.mode, config=deployment.config, actor=workspace.actor,
        reason=f"rollout {record.id}: {why}" if note == why or not note else note,
    )  # fmt: skip
