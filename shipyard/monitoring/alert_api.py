"""Alerts through the public API: list and read them, acknowledge and resolve them (audited)."""

from __future__ import annotations

from shipyard._store.monitoring import AlertRecord
from shipyard._store.workspace import Workspace, workspace_for
from shipyard.core.settings import Settings


def list_alerts(
    *,
    deployment: str | None = None,
    state: str | None = None,
    active: bool = False,
    limit: int | None = 100,
    workspace: Workspace | None = None,
    settings: Settings | None = None,
) -> list[AlertRecord]:
    """Alerts, newest first: of one ``deployment``, in one ``state`` (open, acknowledged,
    resolved), or only the ``active`` ones (not resolved)."""
    ws = workspace or workspace_for(settings)
    return ws.monitoring.list_alerts(deployment=deployment, state=state, active=active,
                                     limit=limit)  # fmt: skip


def get_alert(
    alert_id: str, *, workspace: Workspace | None = None, settings: Settings | None = None
) -> AlertRecord:
    """One alert by id; an unknown id raises :class:`NotFoundError`."""
    return (workspace or workspace_for(settings)).monitoring.get_alert(alert_id)


def acknowledge_alert(
    alert_id: str,
    *,
    comment: str | None = None,
    actor: str | None = None,
    workspace: Workspace | None = None,
    settings: Settings | None = None,
) -> AlertRecord:
    """Mark an open alert as seen: it stays active (no new alert opens for its condition)
    until it resolves. Audited as ``alert.acknowledge`` with ``actor`` (default: the
    workspace's)."""
    ws = workspace or workspace_for(settings)
    return ws.monitoring.acknowledge(alert_id, actor=actor or ws.actor, comment=comment)


def resolve_alert(
    alert_id: str,
    *,
    reason: str | None = None,
    actor: str | None = None,
    workspace: Workspace | None = None,
    settings: Settings | None = None,
) -> AlertRecord:
    """Resolve an alert by hand (the monitor also resolves it when its condition clears).
    Audited as ``alert.resolve``."""
    ws = workspace or workspace_for(settings)
    return ws.monitoring.resolve(alert_id, actor=actor or ws.actor, reason=reason)
