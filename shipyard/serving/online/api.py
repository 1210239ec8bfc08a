"""``serve``: the one call behind ``shipyard serve``."""

from __future__ import annotations

from typing import Any

from shipyard._store.workspace import Workspace, open_workspace
from shipyard.core.errors import UsageError
from shipyard.core.logging import get_logger
from shipyard.serving.deploy import deployment_for_target, deployments_of
from shipyard.serving.online.options import DEPLOYMENT_KEYS, ServeOptions, settings_defaults
from shipyard.serving.online.server import run_server

log = get_logger(__name__)


def plan_options(
    target: str, workspace: Workspace, *, ephemeral: bool = False, **overrides: Any
) -> ServeOptions:
    """The options to serve ``target`` with: keyword arguments first, then the deployment's
    stored ``config``, then settings, then defaults. Records the deployment if needed. An
    ``ephemeral`` server (smoke tests, CI: a random loopback port for one block) logs no
    predictions, and serves a version that has not passed its policy yet."""
    if ephemeral:
        overrides["log_predictions"] = False
    record = deployment_for_target(target, workspace=workspace, ephemeral=ephemeral)
    unknown = sorted(set(record.config) - DEPLOYMENT_KEYS)
    if unknown:
        raise UsageError(f"Deployment {record.name!r} has config keys a deployment may not set: "
                         f"{', '.join(unknown)}.",
                         hint=f"Known keys: {', '.join(sorted(DEPLOYMENT_KEYS))}.")  # fmt: skip
    values: dict[str, Any] = {**settings_defaults(workspace.settings), **record.config}
    values.update({k: v for k, v in overrides.items() if v is not None})
    for key in ("tokens", "trusted_types"):
        if key in values:
            values[key] = tuple(values[key])
    settings = workspace.settings
    location = {"store_url": settings.resolved_store_url,
                "artifacts_url": settings.resolved_artifacts_url, "home": str(settings.home),
                "actor": settings.actor, "project": settings.project,
                "trusted_types": list(settings.trusted_types)}  # fmt: skip
    return ServeOptions(deployment=record.name, settings={k: v for k, v in location.items() if v},
                        **values)  # fmt: skip


def serve(target: str, *, workspace: Workspace | None = None, **options: Any) -> None:
    """Serve ``NAME@ALIAS``, ``NAME/VERSION`` or a stored deployment until SIGTERM/SIGINT.

    Keyword arguments are :class:`ServeOptions` fields (``host``, ``port``, ``workers``,
    ``max_batch_size``, ``tokens``, …). The deployment's status is ``serving`` while the
    server runs and ``stopped`` after (both audited).
    """
    ws = workspace or open_workspace()
    try:
        resolved = plan_options(target, ws, **options)
        repository = deployments_of(ws)
        repository.set_status(resolved.deployment, "serving", actor=ws.actor,
                              reason=f"serving on {resolved.host}:{resolved.port}")  # fmt: skip
        host = "127.0.0.1" if resolved.host in ("0.0.0.0", "") else resolved.host  # noqa: S104
        repository.update_stats(resolved.deployment, {"server": f"http://{host}:{resolved.port}"})
        try:
            run_server(resolved)
        finally:
            repository.set_status(resolved.deployment, "stopped", actor=ws.actor)
    finally:
        if workspace is None:
            ws.close()
