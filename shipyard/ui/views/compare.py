"""Compare runs: params that differ side by side, latest metrics, values at a chosen step,
metric charts overlaid, and a parallel-coordinates plot over the params and one metric."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

import shipyard as sy
from shipyard.core.errors import UsageError
from shipyard.ui.charts import parallel_coordinates
from shipyard.ui.pages import page
from shipyard.ui.state import UiState

MAX_RUNS = 20


def _run_ids(request: Request) -> list[str]:
    ids: list[str] = []
    for value in request.query_params.getlist("runs"):
        ids += [part.strip() for part in value.split(",") if part.strip()]
    ids = list(dict.fromkeys(ids))
    if not ids:
        raise UsageError(
            "Choose the runs to compare.", hint="Tick runs on the runs page, or pass ?runs=ID1,ID2."
        )
    if len(ids) > MAX_RUNS:
        raise UsageError(
            f"Compare at most {MAX_RUNS} runs at once, not {len(ids)}.",
            hint="Narrow the selection with a filter.",
        )
    return ids


def _value_at(history: list[sy.MetricPoint], step: int) -> float | None:
    """The value logged at ``step``, or the last one before it."""
    found = None
    for point in history:
        if point.step > step:
            break
        found = point.value
    return found


@page(
    "/compare",
    "compare.html",
    "Runs side by side: differing params, metrics, values at a step, overlaid charts and "
    "parallel coordinates",
    params=("runs", "step", "metric", "all"),
)
def compare(request: Request, state: UiState) -> dict[str, Any]:
    ws = state.workspace()
    runs = [sy.get_run(run_id, workspace=ws) for run_id in _run_ids(request)]
    keys = sorted({key for run in runs for key in run.params})
    differing = [k for k in keys if len({run.params.get(k) for run in runs}) > 1]
    shown = keys if request.query_params.get("all") else differing
    metric_keys = sorted({key for run in runs for key in run.metrics})
    raw_step = request.query_params.get("step") or ""
    at_step: dict[str, list[float | None]] | None = None
    if raw_step:
        if not raw_step.lstrip("-").isdigit():
            raise UsageError(
                f"step is a whole number, not {raw_step!r}.", hint="For example step=100."
            )
        step = int(raw_step)
        at_step = {key: [] for key in metric_keys}
        for run in runs:
            history = sy.get_metric_history(run.id, workspace=ws)
            for key in metric_keys:
                at_step[key].append(_value_at([p for p in history if p.key == key], step))
    chosen = request.query_params.get("metric") or (metric_keys[0] if metric_keys else "")
    if chosen and chosen not in metric_keys:
        raise UsageError(
            f"None of these runs logged the metric {chosen!r}.",
            hint=f"Choose one of: {', '.join(metric_keys) or 'none'}.",
        )
    axes = [f"params.{k}" for k in differing] + ([f"metrics.{chosen}"] if chosen else [])
    rows = [
        {
            **{f"params.{k}": v for k, v in run.params.items()},
            **{f"metrics.{k}": v for k, v in run.metrics.items()},
        }
        for run in runs
    ]
    names = [f"{run.name} (…{run.id[-8:]})" for run in runs]
    return {
        "runs": [run.to_dict() for run in runs],
        "params": [
            {"key": k, "values": [run.params.get(k) for run in runs], "differs": k in differing}
            for k in shown
        ],
        "metrics": [
            {"key": k, "values": [run.metrics.get(k) for run in runs]} for k in metric_keys
        ],
        "step": int(raw_step) if raw_step else None,
        "at_step": None
        if at_step is None
        else [{"key": k, "values": v} for k, v in at_step.items()],
        "metric": chosen,
        "charts": [
            {
                "key": k,
                "sources": [
                    {"url": f"/api/runs/{run.id}/metrics/{k}", "name": name}
                    for run, name in zip(runs, names, strict=True)
                    if k in run.metrics
                ],
            }
            for k in metric_keys
        ],
        "parallel_svg": parallel_coordinates(
            rows, axes, names=names, title=f"Params and {chosen or 'a metric'} by run"
        ),
        "show_all": bool(request.query_params.get("all")),
    }


def _rows(table: dict[str, list[float | None]] | None) -> list[dict[str, Any]] | None:
    return None if table is None else [{"key": k, "values": v} for k, v in table.items()]


def _overlay(key: str, runs: list[sy.RunRecord], names: list[str]) -> dict[str, Any]:
    """One chart of ``key`` with a series per run that logged it."""
    sources = [
        {"url": f"/api/runs/{run.id}/metrics/{key}", "name": name}
        for run, name in zip(runs, names, strict=True)
        if key in run.metrics
    ]
    return {"key": key, "sources": sources}
