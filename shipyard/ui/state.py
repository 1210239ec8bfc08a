"""What every request of one running UI shares: the settings, the workspace (opened on first
use, and again after the store was unreachable), the guard and whether actions are allowed."""

from __future__ import annotations

import contextlib
import threading
from typing import TYPE_CHECKING

from starlette.requests import Request

from shipyard.core.errors import ShipyardError
from shipyard.core.settings import Settings
from shipyard.ui.security import ACTOR_COOKIE, Guard

#: The public functions whose modules the pages import (lazily, on first use).
WARM = ("search_runs", "metric_series", "list_models", "check_policy", "lineage",
        "list_deployments", "PredictionLogReader", "list_alerts", "list_monitor_results",
        "get_audit", "list_datasets", "diff_datasets", "list_rollouts", "scorecard")  # fmt: skip

if TYPE_CHECKING:
    from shipyard import Workspace


class UiState:
    def __init__(
        self,
        settings: Settings,
        *,
        guard: Guard,
        read_only: bool = False,
        workspace: Workspace | None = None,
    ) -> None:
        self.settings = settings
        self.guard = guard
        self.read_only = read_only
        self._workspace = workspace
        self._owned = workspace is None
        self._lock = threading.Lock()

    def workspace(self) -> Workspace:
        """The workspace; a store that is unreachable or missing raises its StoreError (a 503
        page with the hint), and the next request tries again."""
        with self._lock:
            if self._workspace is None:
                from shipyard import open_workspace

                self._workspace = open_workspace(self.settings, create=False)
            return self._workspace

    def warm(self) -> None:
        """Import what the pages call and open the workspace before the first request, so
        nobody waits for a cold start (an unusable store is reported when a page asks)."""
        import shipyard as sy

        for name in WARM:
            getattr(sy, name)
        with contextlib.suppress(ShipyardError):
            self.workspace()

    def actor(self, request: Request) -> str:
        """Who acts, for the audit log: the name given at login, else the workspace's actor;
        always marked as coming through the UI."""
        name = (request.cookies.get(ACTOR_COOKIE) or "").strip()[:100]
        return f"{name or self.workspace().actor} (ui)"

    def close(self) -> None:
        with self._lock:
            if self._workspace is not None and self._owned:
                self._workspace.close()
            self._workspace = None
