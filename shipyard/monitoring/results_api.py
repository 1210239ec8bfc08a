"""Monitor results through the public API: each window's drift, data quality, performance and
service health, as ``shipyard monitor run`` stored them."""

from __future__ import annotations

from datetime import datetime

from shipyard._store.monitoring import MonitorResultRecord
from shipyard._store.workspace import Workspace, workspace_for
from shipyard.core.errors import UsageError
from shipyard.core.settings import Settings


def list_monitor_results(
    deployment: str,
    *,
    since: datetime | None = None,
    limit: int | None = 100,
    workspace: Workspace | None = None,
    settings: Settings | None = None,
) -> list[MonitorResultRecord]:
    """The monitored windows of ``deployment`` by window end, oldest first (the newest
    ``limit`` of them, ending after ``since``)."""
    if limit is not None and limit < 1:
        raise UsageError(f"limit must be 1 or more (or None for all), not {limit}.")
    ws = workspace or workspace_for(settings)
    return ws.monitoring.results(deployment, since=since, limit=limit)
