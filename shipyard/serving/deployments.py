"""Reading deployments back: :func:`list_deployments` and :func:`get_deployment`."""

from __future__ import annotations

from shipyard._store.deployments import DeploymentRecord
from shipyard._store.workspace import Workspace, workspace_for
from shipyard.core.settings import Settings


def list_deployments(
    *,
    mode: str | None = None,
    model: str | None = None,
    workspace: Workspace | None = None,
    settings: Settings | None = None,
) -> list[DeploymentRecord]:
    """Every deployment (of one ``mode``: online, batch or stream; of one ``model``), by name,
    with its routes, shadows, status and latest stats."""
    return (workspace or workspace_for(settings)).deployments.list(mode=mode, model=model)


def get_deployment(
    name: str, *, workspace: Workspace | None = None, settings: Settings | None = None
) -> DeploymentRecord:
    """One deployment; an unknown name raises :class:`NotFoundError`."""
    return (workspace or workspace_for(settings)).deployments.get(name)
