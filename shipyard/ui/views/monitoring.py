"""Monitoring: every deployment's alerts (acknowledge, resolve), and a deployment's windows —
drift per feature over time as a heatmap, data quality, live performance and service health."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

import shipyard as sy
from shipyard.core.errors import UsageError
from shipyard.ui.charts import heatmap
from shipyard.ui.pages import action, form_text, page
from shipyard.ui.state import UiState
from shipyard.ui.views.quality import quality_table

WINDOWS = 30
STATES = ("open", "acknowledged", "resolved")


@page(
    "/monitoring",
    "monitoring.html",
    "Alerts of every deployment, with acknowledge and resolve",
    params=("state", "deployment"),
)
def monitoring(request: Request, state: UiState) -> dict[str, Any]:
    ws = state.workspace()
    chosen = request.query_params.get("state") or None
    if chosen is not None and chosen not in STATES:
        raise UsageError(
            f"An alert state is one of {', '.join(STATES)}, not {chosen!r}.",
            hint="For example state=open.",
        )
    deployment = request.query_params.get("deployment") or None
    alerts = sy.list_alerts(deployment=deployment, state=chosen, limit=200, workspace=ws)
    return {
        "alerts": [a.to_dict() for a in alerts],
        "state": chosen,
        "deployment": deployment,
        "deployments": [d.name for d in sy.list_deployments(workspace=ws)],
    }


def drift_grid(results: list[sy.MonitorResultRecord]) -> dict[str, Any]:
    """Features x windows of drift scores (None where a feature was not measured)."""
    features: list[str] = []
    for result in results:
        for item in result.feature_drift.get("features", []):
            if item["column"] not in features:
                features.append(item["column"])
    windows = [r.window_end.strftime("%m-%d %H:%M") for r in results]
    scores: list[list[float | None]] = []
    for feature in features:
        row: list[float | None] = []
        for result in results:
            found = [f for f in result.feature_drift.get("features", []) if f["column"] == feature]
            score = found[0].get("score") if found else None
            row.append(None if score is None else float(score))
        scores.append(row)
    return {"features": features, "windows": windows, "scores": scores}


@page(
    "/monitoring/{deployment}",
    "monitor.html",
    "A deployment's monitored windows: drift heatmap, data quality per feature (failing checks "
    "marked), live performance, service health and alerts",
)
def monitor(request: Request, state: UiState) -> dict[str, Any]:
    ws = state.workspace()
    record = sy.get_deployment(request.path_params["deployment"], workspace=ws)
    results = sy.list_monitor_results(record.name, limit=WINDOWS, workspace=ws)
    grid = drift_grid(results)
    highest = max((s for row in grid["scores"] for s in row if s is not None), default=0.0)
    newest = results[-1].to_dict() if results else None
    alerts = [a.to_dict() for a in sy.list_alerts(deployment=record.name, workspace=ws)]
    performance: dict[str, list[float | None]] = {}
    for index, result in enumerate(results):
        for key, value in ((result.performance or {}).get("metrics") or {}).items():
            if isinstance(value, int | float):
                performance.setdefault(key, [None] * len(results))[index] = float(value)
    return {
        "performance": {
            "x": [int(r.window_end.timestamp() * 1000) for r in results],
            "series": performance if performance else {},
        },
        "deployment": record.name,
        "windows": [r.to_dict() for r in results[::-1]],
        "drift": grid,
        "heatmap_svg": heatmap(
            grid["features"],
            grid["windows"],
            grid["scores"],
            title="Drift score per feature and window",
            scale_max=max(highest, 0.2),
            unit="score",
        ),
        "latest": newest,
        "quality": quality_table(newest, alerts),
        "alerts": alerts,
    }


def _alert_back(form: dict[str, str]) -> str:
    back = form.get("back") or "/monitoring"
    return back if back.startswith("/") and not back.startswith("//") else "/monitoring"


@action("/alerts/{alert_id}/acknowledge", "Acknowledge an alert (audited)", fields=("comment",))
def acknowledge(
    request: Request, state: UiState, form: dict[str, str]
) -> tuple[str, dict[str, Any]]:
    alert = sy.acknowledge_alert(
        request.path_params["alert_id"],
        comment=form_text(form, "comment"),
        actor=state.actor(request),
        workspace=state.workspace(),
    )
    result = alert.to_dict()
    result["message"] = f"Alert {alert.rule} on {alert.deployment} acknowledged."
    return _alert_back(form), result


@action("/alerts/{alert_id}/resolve", "Resolve an alert by hand (audited)", fields=("reason",))
def resolve(request: Request, state: UiState, form: dict[str, str]) -> tuple[str, dict[str, Any]]:
    alert = sy.resolve_alert(
        request.path_params["alert_id"],
        reason=form_text(form, "reason"),
        actor=state.actor(request),
        workspace=state.workspace(),
    )
    result = alert.to_dict()
    result["message"] = f"Alert {alert.rule} on {alert.deployment} resolved."
    return _alert_back(form), result
