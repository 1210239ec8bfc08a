"""``shipyard monitor report``: a deployment's monitor results and alerts as one self-contained
HTML page (figures inline) and a Markdown summary, rendered with jinja2 from one view."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from shipyard._store.monitoring import AlertRecord, MonitorResultRecord
from shipyard._store.workspace import Workspace
from shipyard.core.clock import utcnow
from shipyard.core.errors import NotFoundError
from shipyard.data.versions import resolve as resolve_dataset
from shipyard.monitoring import plots
from shipyard.monitoring.checks import describe_checks
from shipyard.reports import template, write_files

REPORT_FILES = {"html": "monitoring-report.html", "markdown": "monitoring-report.md"}
MAX_FEATURES_PLOTTED = 12


def report_view(
    ws: Workspace, deployment: str, *, since: datetime | None = None, limit: int = 500
) -> dict[str, Any]:
    """Everything the report shows, as plain data."""
    results = ws.monitoring.results(deployment, since=since, limit=limit)
    if not results:
        raise NotFoundError(
            f"Deployment {deployment!r} has no monitor results yet.",
            hint=f"Run `shipyard monitor run {deployment}` first.",
        )
    alerts = ws.monitoring.list_alerts(deployment=deployment)
    latest = results[-1]
    features = [f["column"] for f in latest.feature_drift.get("features", [])]
    return {
        "deployment": deployment,
        "generated": utcnow().strftime("%Y-%m-%d %H:%M UTC"),
        "windows": len(results),
        "first": results[0].window_start,
        "last": latest.window_end,
        "reference": latest.reference,
        "latest": _window_row(latest),
        "rows": [_window_row(r) for r in results[::-1][:50]],
        "features": [_feature_row(f) for f in latest.feature_drift.get("features", [])],
        "performance": (latest.performance or {}).get("metrics") or {},
        "health": latest.service_health,
        "checks": describe_checks(latest.service_health, latest.summary),
        "quality": latest.data_quality,
        "alerts": [_alert_row(a) for a in alerts],
        "active_alerts": sum(1 for a in alerts if a.active),
        "_results": results,
        "_features": features,
    }


def _window_row(result: MonitorResultRecord) -> dict[str, Any]:
    return {
        "start": result.window_start.strftime("%Y-%m-%d %H:%M"),
        "end": result.window_end.strftime("%Y-%m-%d %H:%M"),
        "rows": result.rows,
        "verdict": result.summary.get("verdict", "-"),
        "drifted": ", ".join(result.summary.get("drifted", [])) or "-",
        "labelled": result.summary.get("labelled_rows", 0),
    }


def _feature_row(feature: dict[str, Any]) -> dict[str, Any]:
    score = feature.get("score")
    return {
        "column": feature["column"], "kind": feature["kind"], "verdict": feature["verdict"],
        "method": feature.get("method") or "-",
        "score": "-" if score is None else f"{score:.4g}",
        "null_rate": feature.get("current_null_rate"),
        "reason": feature.get("reason") or "",
    }  # fmt: skip


def _alert_row(alert: AlertRecord) -> dict[str, Any]:
    return {
        "id": alert.id, "rule": alert.rule, "severity": alert.severity, "state": alert.state,
        "opened": alert.opened_at.strftime("%Y-%m-%d %H:%M"), "message": alert.message,
        "occurrences": alert.occurrences, "run": alert.triggered_run_id or "-",
        "failures": alert.delivery_failures,
    }  # fmt: skip


def _figures(ws: Workspace, view: dict[str, Any]) -> dict[str, Any]:
    results: list[MonitorResultRecord] = view["_results"]
    times = [r.window_end for r in results]
    names = view["_features"][:MAX_FEATURES_PLOTTED]
    drift: dict[str, list[float | None]] = {name: [] for name in names}
    for result in results:
        scores = {f["column"]: f.get("score") for f in result.feature_drift.get("features", [])}
        for name in names:
            drift[name].append(scores.get(name))
    metrics: dict[str, list[float | None]] = {}
    for index, result in enumerate(results):
        for key, value in ((result.performance or {}).get("metrics") or {}).items():
            metrics.setdefault(key, [None] * len(results))[index] = value
    figures: dict[str, Any] = {
        "drift": plots.over_time("Drift score per feature", times, drift, ylabel="score"),
        "performance": plots.over_time("Live performance", times, metrics, ylabel="value")
        if metrics else None,
        "distributions": [],
    }  # fmt: skip
    reference = _reference_columns(ws, view["reference"])
    shapes = results[-1].feature_drift.get("distributions", {})
    for name in names:
        if name in shapes and name in reference:
            figures["distributions"].append(plots.distribution(name, reference[name], shapes[name]))
    return figures


def _reference_columns(ws: Workspace, ref: str | None) -> dict[str, Any]:
    if not ref:
        return {}
    try:
        profile = resolve_dataset(ws, ref).profile or {}
    except NotFoundError:
        return {}
    columns: dict[str, Any] = profile.get("columns", {})
    return columns


def render_markdown(view: dict[str, Any]) -> str:
    return str(_template("report.md.j2").render(**view))


def render_html(ws: Workspace, view: dict[str, Any]) -> str:
    return str(_template("report.html.j2").render(**view, figures=_figures(ws, view)))


def write_report(
    ws: Workspace, deployment: str, directory: str | Path, *, since: datetime | None = None
) -> dict[str, Path]:
    """Write the HTML report and the Markdown summary into ``directory``; their paths."""
    view = report_view(ws, deployment, since=since)
    rendered = {"html": render_html(ws, view), "markdown": render_markdown(view)}
    return write_files(directory, rendered, REPORT_FILES)


def _template(name: str) -> Any:
    return template("shipyard.monitoring", name, {"num": _num})


def _num(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
