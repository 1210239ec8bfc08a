"""Deployments: the list, and a deployment's routes, shadows, traffic and latency (p50, p99)
per version over time from the prediction log, its recorded stats, and recent predictions."""

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


def traffic(frame: Any) -> dict[str, Any]:
    """Requests, latency p50 and p99 per model version in up to BUCKETS time buckets (x in
    milliseconds since the epoch), ready for the chart."""
    if frame.empty:
        return {"x": [], "series": {}}
    times = frame["time"].astype("datetime64[ms]").astype("int64")
    low, high = int(times.min()), int(times.max())
    width = max((high - low) // BUCKETS + 1, 1000)
    frame = frame.assign(bucket=(times - low) // width * width + low)
    x = sorted(int(b) for b in frame["bucket"].unique())
    series: dict[str, list[list[float | None]]] = {}
    for version, rows in frame.groupby("model_version"):
        grouped = rows.groupby("bucket")["latency_ms"]
        counts, p50, p99 = grouped.count(), grouped.quantile(0.5), grouped.quantile(0.99)
        series[f"v{version}"] = [
            [float(counts.get(b, 0)) for b in x],
            [None if b not in p50 else float(p50[b]) for b in x],
            [None if b not in p99 else float(p99[b]) for b in x],
        ]
    return {"x": x, "series": series, "bucket_ms": width}


@page(
    "/deployments/{name}",
    "deployment.html",
    "A deployment: routes, shadows, traffic and "
    "latency per version over time, stats, recent predictions",
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
    return {
        "deployment": record.to_dict(),
        "hours": hours,
        "predictions": len(frame),
        "traffic": traffic(frame),
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
