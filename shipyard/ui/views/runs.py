"""Runs: the list (the filter language of ``sy.search_runs``, sorting by any column, server
paging with page tokens, chosen columns), a run, and one metric's downsampled series."""

from __future__ import annotations

import mimetypes
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request

import shipyard as sy
from shipyard.core.errors import NotFoundError, UsageError
from shipyard.ui.pages import download, page
from shipyard.ui.state import UiState

BASE_COLUMNS = ("name", "status", "start_time", "end_time")
DEFAULT_KEYS = 6
MAX_COLUMNS = 40


def _int(request: Request, key: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(key)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise UsageError(
            f"{key} is a whole number from {low} to {high}, not {raw!r}.",
            hint=f"For example {key}={default}.",
        )
    return value


def _columns(request: Request, runs: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """(chosen columns, every column the page's runs offer). Chosen: ``col=`` repeated or
    ``columns=a,b``; by default the base columns and the first params and metrics."""
    offered = list(BASE_COLUMNS)
    for group in ("params", "metrics", "tags"):
        keys = sorted({key for run in runs for key in run[group]})
        offered += [f"{group}.{key}" for key in keys]
    chosen = request.query_params.getlist("col")
    listed = request.query_params.get("columns")
    if listed:
        chosen += [c.strip() for c in listed.split(",") if c.strip()]
    if not chosen:
        params = [c for c in offered if c.startswith("params.")][:DEFAULT_KEYS]
        metrics = [c for c in offered if c.startswith("metrics.")][:DEFAULT_KEYS]
        chosen = [*BASE_COLUMNS, *params, *metrics]
    for column in chosen:
        if column not in offered:
            offered.append(column)
    return chosen[:MAX_COLUMNS], offered


LISTED = ("id", "project", "name", "kind", "status", "parent_run_id", "entrypoint",
          "git_commit", "git_dirty", "seed", "error")  # fmt: skip


def row(run: sy.RunRecord) -> dict[str, Any]:
    """A run as the list shows it: everything but its environment (which the run's own page
    shows), built directly rather than through ``to_dict``'s deep copy: a page has 1,000."""
    found: dict[str, Any] = {key: getattr(run, key) for key in LISTED}
    found["start_time"] = run.start_time.isoformat()
    found["end_time"] = run.end_time.isoformat() if run.end_time else None
    found["params"], found["tags"], found["metrics"] = run.params, run.tags, run.metrics
    return found


def cell(run: dict[str, Any], column: str) -> Any:
    group, _, key = column.partition(".")
    if key and group in ("params", "metrics", "tags"):
        return run[group].get(key)
    return run.get(column)


@page(
    "/runs",
    "runs.html",
    "Runs, filtered, sorted and paged on the server",
    params=("filter", "order_by", "max_results", "page_token", "col", "columns"),
)
def runs_list(request: Request, state: UiState) -> dict[str, Any]:
    query = request.query_params
    text = query.get("filter") or None
    order = [o for o in query.getlist("order_by") if o.strip()]
    size = _int(request, "max_results", 100, 1, 1000)
    found = sy.search_runs(
        text,
        order_by=order or None,
        max_results=size,
        page_token=query.get("page_token") or None,
        workspace=state.workspace(),
    )
    runs = [row(run) for run in found.runs]
    chosen, offered = _columns(request, runs)
    base = {"filter": text or "", "max_results": size, "col": chosen}
    current = order[0] if order else ""
    return {
        "runs": runs,
        "next_page_token": found.next_page_token,
        "filter": text or "",
        "order_by": order,
        "max_results": size,
        "columns": chosen,
        "offered_columns": offered,
        "rows": [[cell(run, c) for c in chosen] for run in runs],
        "links": {
            "first": _url("/runs", {**base, "order_by": order}),
            "next": _url("/runs", {**base, "order_by": order, "page_token": found.next_page_token})
            if found.next_page_token
            else None,
            "sort": {c: _url("/runs", {**base, "order_by": [_flip(c, current)]}) for c in chosen},
        },
        "sorted_by": current,
    }


def _flip(column: str, current: str) -> str:
    """The order a column's header asks for: descending first, ascending when already so."""
    return f"{column} ASC" if current == f"{column} DESC" else f"{column} DESC"


def _url(path: str, query: dict[str, Any]) -> str:
    pairs = [
        (k, v)
        for k, values in query.items()
        if values
        for v in (values if isinstance(values, list) else [values])
    ]
    return f"{path}?{urlencode(pairs)}" if pairs else path


@page(
    "/runs/{run_id}",
    "run.html",
    "A run: params, tags, environment, git, metrics, "
    "artifacts, dataset inputs, parent and children",
)
def run_page(request: Request, state: UiState) -> dict[str, Any]:
    ws = state.workspace()
    run_id = request.path_params["run_id"]
    run = sy.get_run(run_id, workspace=ws)
    children = sy.search_runs(f"parent_run_id = '{_quoted(run_id)}'", max_results=100, workspace=ws)
    parent = None
    if run.parent_run_id:
        parent = sy.get_run(run.parent_run_id, workspace=ws).to_dict()
    return {
        "run": run.to_dict(),
        "duration_seconds": run.duration_seconds,
        "artifacts": [a.to_dict() for a in sy.list_artifacts(run_id, workspace=ws)],
        "datasets": [d.to_dict() for d in sy.run_datasets(run_id, workspace=ws)],
        "parent": parent,
        "children": [child.to_dict() for child in children.runs],
        "more_children": children.next_page_token is not None,
        "metric_keys": sorted(run.metrics),
    }


def _quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "\\'")


@page(
    "/runs/{run_id}/metrics/{key:path}",
    "metric.html",
    "One metric of a run, downsampled in the store (first x, low, high and last per bucket)",
    params=("max_points", "x_axis"),
)
def metric(request: Request, state: UiState) -> dict[str, Any]:
    axis = request.query_params.get("x_axis") or "step"
    if axis not in ("step", "time"):
        raise UsageError(f"x_axis is 'step' or 'time', not {axis!r}.", hint="Use x_axis=step.")
    series = sy.metric_series(
        request.path_params["run_id"],
        request.path_params["key"],
        max_points=_int(request, "max_points", 2000, 1, 100_000),
        x_axis="time" if axis == "time" else "step",
        workspace=state.workspace(),
    )
    return series.to_dict()


@download("/runs/{run_id}/artifacts/{name:path}")
def artifact(request: Request, state: UiState) -> tuple[bytes, str, str]:
    """A file artifact's bytes, checked against its hash as they are read."""
    ws = state.workspace()
    run_id, name = request.path_params["run_id"], request.path_params["name"]
    found = [a for a in sy.list_artifacts(run_id, workspace=ws) if a.name == name]
    if not found:
        raise NotFoundError(
            f"Run {run_id} has no artifact named {name!r}.",
            hint=f"See the run's artifacts at /runs/{run_id}.",
        )
    record = found[0]
    if record.kind != "file":
        raise UsageError(
            f"Artifact {name!r} of run {run_id} is a {record.kind}, not a file.",
            hint="Only single files download from the UI.",
        )
    content = ws.artifacts.get_bytes(record.hash, name=name)
    media = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return content, name, media
