"""Datasets: the list, a dataset's versions, a version (schema, profile histograms,
validations, the runs that used it) and the diff of two versions."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

import shipyard as sy
from shipyard.core.errors import UsageError
from shipyard.ui.charts import bars
from shipyard.ui.pages import page
from shipyard.ui.state import UiState


@page("/datasets", "datasets.html", "Every dataset with its versions and latest row count")
def datasets(request: Request, state: UiState) -> dict[str, Any]:
    return {"datasets": [d.to_dict() for d in sy.list_datasets(workspace=state.workspace())]}


@page("/datasets/{name}", "dataset.html", "A dataset's versions, newest first")
def dataset(request: Request, state: UiState) -> dict[str, Any]:
    ws = state.workspace()
    name = request.path_params["name"]
    latest = sy.get_dataset(name, workspace=ws)  # an unknown name is a 404 naming it
    versions = sy.list_dataset_versions(name, workspace=ws)
    return {"name": latest.dataset_name, "versions": [v.to_dict(profile=False) for v in versions]}


def _histogram(column: str, stats: dict[str, Any]) -> str:
    if stats.get("histogram"):
        edges, counts = stats["histogram"]["edges"], stats["histogram"]["counts"]
        labels = [f"{edges[i]:.3g}" for i in range(len(counts))]
        return bars(
            labels,
            counts,
            title=f"{column}: histogram",
            xlabel=f"{column} (bin start)",
            ylabel="rows",
        )
    if stats.get("frequencies"):
        freq = stats["frequencies"]
        return bars(
            [str(v) for v in freq["values"]],
            freq["counts"],
            title=f"{column}: top values",
            xlabel=column,
            ylabel="rows",
        )
    return f'<p class="empty">{column}: no distribution in the profile.</p>'


@page(
    "/datasets/{name}/diff",
    "dataset_diff.html",
    "Schema changes, row counts and drift between two versions of a dataset",
    params=("before", "after"),
)
def dataset_diff(request: Request, state: UiState) -> dict[str, Any]:
    name = request.path_params["name"]
    before, after = request.query_params.get("before"), request.query_params.get("after")
    if not before or not after:
        raise UsageError(
            "A diff needs two versions: before and after.",
            hint=f"For example /datasets/{name}/diff?before=1&after=2.",
        )
    found = sy.diff_datasets(f"{name}/{before}", f"{name}/{after}", workspace=state.workspace())
    return {"name": name, "diff": found.to_dict(), "before": before, "after": after}


@page(
    "/datasets/{name}/{version}",
    "dataset_version.html",
    "A dataset version: schema, profile with histograms, validations and the runs that used it",
)
def dataset_version(request: Request, state: UiState) -> dict[str, Any]:
    ws = state.workspace()
    ref = f"{request.path_params['name']}/{request.path_params['version']}"
    record = sy.get_dataset(ref, workspace=ws)
    columns = (record.profile or {}).get("columns", {})
    return {
        "version": record.to_dict(),
        "histograms": {name: _histogram(name, stats) for name, stats in columns.items()},
        "validations": [v.to_dict() for v in sy.list_validations(ref, workspace=ws)],
        "usage": [u.to_dict() for u in sy.dataset_usage(ref, workspace=ws)],
    }
