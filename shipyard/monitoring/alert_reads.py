"""Reading alerts back: :func:`list_alerts` and :func:`get_alert`."""

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
