"""Home (what is live, what is rolling out, what is wrong, what ran lately) and the audit
log."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

import shipyard as sy
from shipyard.core.errors import UsageError
from shipyard.ui.pages import page
from shipyard.ui.state import UiState
from shipyard.ui.views.rollouts import summary

RECENT = 10


@page(
    "/",
    "home.html",
    "Models in production and their health, active rollouts, open alerts, recent runs and failures",
)
def home(request: Request, state: UiState) -> dict[str, Any]:
    ws = state.workspace()
    models = sy.list_models(workspace=ws)
    deployments = sy.list_deployments(workspace=ws)
    live = [
        {
            "model": m.name,
            "alias": alias,
            "version": version,
            "deployments": [d.name for d in deployments if d.model_name == m.name],
        }
        for m in models
        for alias, version in sorted(m.aliases.items())
    ]
    alerts = sy.list_alerts(active=True, limit=200, workspace=ws)
    health = {}
    for deployment in deployments:
        latest = sy.list_monitor_results(deployment.name, limit=1, workspace=ws)
        health[deployment.name] = {
            "active_alerts": sum(1 for a in alerts if a.deployment == deployment.name),
            "verdict": latest[-1].summary.get("verdict") if latest else None,
            "last_window": latest[-1].window_end.isoformat() if latest else None,
        }
    rolling = [
        r
        for status in ("running", "paused")
        for r in sy.list_rollouts(status=status, limit=20, workspace=ws)
    ]
    recent = sy.search_runs(max_results=RECENT, workspace=ws)
    failed = sy.search_runs("status = 'failed'", max_results=RECENT, workspace=ws)
    return {
        "live": live,
        "alerts": [a.to_dict() for a in alerts[:20]],
        "health": health,
        "deployments": [d.to_dict() for d in deployments],
        "rollouts": [summary(r) for r in rolling],
        "recent_runs": [r.to_dict() for r in recent.runs],
        "failed_runs": [r.to_dict() for r in failed.runs],
        "models": len(models),
    }


AUDIT_FILTERS = ("model", "target", "target_type", "action")


@page(
    "/audit",
    "audit.html",
    "The audit log, newest first, filtered by model, target, target type or action",
    params=(*AUDIT_FILTERS, "limit"),
)
def audit(request: Request, state: UiState) -> dict[str, Any]:
    query = request.query_params
    chosen = {key: query.get(key) or None for key in AUDIT_FILTERS}
    raw = query.get("limit") or "200"
    if not raw.isdigit() or not 1 <= int(raw) <= 5000:
        raise UsageError(
            f"limit is a whole number from 1 to 5000, not {raw!r}.", hint="For example limit=200."
        )
    events = sy.get_audit(
        model=chosen["model"],
        target=chosen["target"],
        target_type=chosen["target_type"],
        action=chosen["action"],
        limit=int(raw),
        workspace=state.workspace(),
    )
    return {"events": [e.to_dict() for e in events], "filters": chosen, "limit": int(raw)}
