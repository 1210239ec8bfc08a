"""A rollout's hold on its deployment: which servers and stream workers to watch, and moving
the routes (every change judged by the traffic policy and audited as ``deployment.update``)."""

from __future__ import annotations

import os
import socket
from typing import Any

from shipyard._store.rollouts import RolloutRecord
from shipyard._store.workspace import Workspace
from shipyard.delivery.spec import RolloutSpec, parse_spec
from shipyard.registry import authorize_traffic
from shipyard.serving.deploy import deployments_of
from shipyard.serving.stream.presence import metrics_urls


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


def stream_workers_of(workspace: Workspace, record: RolloutRecord) -> list[str]:
    """The metrics URLs of the stream workers serving the deployment now (each records its
    own and beats a heartbeat; one gone silent drops out)."""
    found = deployments_of(workspace).find(record.deployment)
    return [] if found is None else metrics_urls(found.stats, socket.gethostname())


def watched(workspace: Workspace, record: RolloutRecord) -> list[str]:
    """Everything whose readiness and model errors the rollout reads: the online servers
    (:func:`servers_of`) and the stream workers (:func:`stream_workers_of`)."""
    servers = servers_of(workspace, record)
    return servers + [url for url in stream_workers_of(workspace, record) if url not in servers]


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
