"""sy.list_monitor_results: a deployment's stored windows, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import shipyard as sy
from shipyard._store.monitoring import NewResult
from shipyard._store.workspace import Workspace
from shipyard.core.clock import utcnow


def test_list_monitor_results_gives_the_newest_windows_oldest_first(
    workspace: Workspace,
) -> None:
    end = utcnow()
    for hours in (3, 2, 1):
        stop = end - timedelta(hours=hours)
        workspace.monitoring.add_result(NewResult(
            deployment="shop", window_start=stop - timedelta(hours=1), window_end=stop,
            reference=None, rows=hours, feature_drift={}, prediction_drift=None,
            data_quality={}, performance=None, service_health={}, summary={},
        ))  # fmt: skip
    newest = sy.list_monitor_results("shop", limit=2, workspace=workspace)
    assert [r.rows for r in newest] == [2, 1]
    assert sy.list_monitor_results("elsewhere", workspace=workspace) == []
