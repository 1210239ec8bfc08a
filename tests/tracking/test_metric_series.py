"""sy.metric_series: a long metric history downsampled in the store, on SQLite and
PostgreSQL, keeps every spike (min/max per bucket) and the last value, and refuses bad input."""

from __future__ import annotations

import pytest
from sqlalchemy import insert

import shipyard as sy
from shipyard._store.tables import Metric
from shipyard._store.workspace import Workspace


def _long_metric(workspace: Workspace, points: int) -> str:
    with sy.start_run("long", workspace=workspace) as run:
        pass
    rows = [{"run_id": run.id, "key": "loss", "value": 1.0, "step": step, "timestamp": step * 10}
            for step in range(points)]  # fmt: skip
    rows[12_345]["value"], rows[54_321]["value"] = 50.0, -7.0  # one spike up, one down
    rows[-1]["value"] = 0.25
    with workspace.db.write() as session:
        session.connection().execute(insert(Metric), rows)
    return run.id


def test_a_long_series_is_bucketed_in_the_store_and_keeps_its_spikes(
    workspace: Workspace,
) -> None:
    run_id = _long_metric(workspace, 100_000)
    series = sy.metric_series(run_id, "loss", max_points=500, workspace=workspace)
    assert isinstance(series, sy.MetricSeries)
    assert series.points == 100_000 and len(series.x) == 500
    assert list(series.x[:3]) == [0.0, 200.0, 400.0]  # each bucket's first step
    assert max(series.high) == 50.0 and min(series.low) == -7.0
    assert series.high.index(50.0) == 12_345 // 200 and series.low.index(-7.0) == 54_321 // 200
    assert series.last[-1] == 0.25
    by_time = sy.metric_series(run_id, "loss", max_points=10, x_axis="time", workspace=workspace)
    assert len(by_time.x) == 10 and by_time.x[1] == 100_000.0  # ms: 10 per step


def test_a_short_series_is_returned_point_by_point(sqlite_workspace: Workspace) -> None:
    with sy.start_run("short", workspace=sqlite_workspace) as run:
        for step, value in enumerate([0.9, 0.5, 0.7]):
            sy.log_metric("loss", value, step=step)
    series = sy.metric_series(run.id, "loss", workspace=sqlite_workspace)
    assert (series.x, series.low, series.high, series.last) == (
        (0.0, 1.0, 2.0), (0.9, 0.5, 0.7), (0.9, 0.5, 0.7), (0.9, 0.5, 0.7),
    )  # fmt: skip
    empty = sy.metric_series(run.id, "never-logged", workspace=sqlite_workspace)
    assert empty.points == 0 and empty.x == ()


def test_bad_arguments_are_usage_errors(sqlite_workspace: Workspace) -> None:
    with sy.start_run("short", workspace=sqlite_workspace) as run:
        sy.log_metric("loss", 1.0)
    with pytest.raises(sy.UsageError, match="max_points"):
        sy.metric_series(run.id, "loss", max_points=0, workspace=sqlite_workspace)
    with pytest.raises(sy.UsageError, match="x_axis"):
        sy.metric_series(run.id, "loss", x_axis="epoch", workspace=sqlite_workspace)  # type: ignore[arg-type]
    with pytest.raises(sy.NotFoundError):
        sy.metric_series("nope", "loss", workspace=sqlite_workspace)
