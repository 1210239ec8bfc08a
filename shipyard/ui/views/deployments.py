"""Deployments: the list, and a deployment's routes, shadows, traffic, latency (p50, p99) and
error rate per version over time (``sy.deployment_traffic``, from the prediction log), its
recorded stats, and recent predictions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.requests import Request

import shipyard as sy
from shipyard.core.clock import utcnow
from shipyard.core.errors import UsageError
from shipyard.ui.pages import page
from shipyard.ui.state import UiState

BUCKETS = 60
SAMPLE = 20


@page("/deployments", "deployments.html", "Every deployment: mode, model, routes and status")
def deployments(request: Request, state: UiState) -> dict[str, Any]:
    found = sy.list_deployments(workspace=state.workspace())
    return {"deployments": [d.to_dict() for d in found]}


def _hours(request: Request) -> int:
    raw = request.query_params.get("hours") or "168"
    if not raw.isdigit() or not 1 <= int(raw) <= 24 * 90:
        raise UsageError(
            f"hours is a whole number from 1 to 2160, not {raw!r}.", hint="For example hours=24."
        )
    return int(raw)


def traffic(found: sy.DeploymentTraffic) -> dict[str, Any]:
    """The charts' data: per version, rows, latency p50 and p99 (``series``, picked by index)
    and the error rate in % (``errors``), per time bucket (x in ms since the epoch)."""
    series = {f"v{v.version}": [[float(n) for n in v.rows], v.p50_ms, v.p99_ms]
              for v in found.versions}  # fmt: skip
    errors = {f"v{v.version} error rate": v.error_rate for v in found.versions}
    return {"x": found.x, "series": series, "errors": errors, "bucket_ms": found.bucket_ms}


@page(
    "/deployments/{name}",
    "deployment.html",
    "A deployment: routes, shadows, traffic, latency and error rate per version over time, "
    "stats, recent predictions",
    params=("hours",),
)
def deployment(request: Request, state: UiState) -> dict[str, Any]:
    ws = state.workspace()
    record = sy.get_deployment(request.path_params["name"], workspace=ws)
    hours = _hours(request)
    reader = sy.PredictionLogReader(ws.artifacts)
    frame = reader.predictions(record.name, since=utcnow() - timedelta(hours=hours), role=None)
    recent = frame.tail(SAMPLE).iloc[::-1]
    sample = [_sample(dict(row)) for _, row in recent.iterrows()]
    found = sy.deployment_traffic(record.name, hours=hours, buckets=BUCKETS, workspace=ws)
    return {
        "deployment": record.to_dict(),
        "hours": hours,
        "predictions": len(frame),
        "traffic": traffic(found),
        "recent": sample,
        "alerts": [
            a.to_dict() for a in sy.list_alerts(deployment=record.name, active=True, workspace=ws)
        ],
    }


def _sample(row: dict[Any, Any]) -> dict[str, Any]:
    moment = row["time"]
    return {
        "time": moment.isoformat() if hasattr(moment, "isoformat") else str(moment),
        "version": int(row["model_version"]),
        "role": row["role"],
        "latency_ms": float(row["latency_ms"]),
        "inputs": row["inputs"],
        "prediction": row["prediction"],
    }
