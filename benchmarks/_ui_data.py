"""The UI benchmark's data set and how it is written into each store in bulk (see ui.py)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

LONG_KEY = "long"
T0_MS = 1_767_225_600_000  # 2026-01-01 UTC


@dataclass(frozen=True)
class Options:
    runs: int
    params: int
    metrics: int
    steps: int
    long_steps: int
    repeats: int
    browser: bool


@dataclass(frozen=True)
class Data:
    """The runs both stores hold: ids, params and metric points (run_id, key, value, step, ms)."""

    ids: list[str]
    params: list[tuple[str, str, str]]
    points: list[tuple[str, str, float, int, int]]
    long_run: str


def make_data(options: Options) -> Data:
    rng = random.Random(19)
    ids = [f"{rng.getrandbits(128):032x}" for _ in range(options.runs)]
    params = [
        (run_id, f"p{j:02d}", str(i % 10) if j == 0 else f"{rng.random():.4f}")
        for i, run_id in enumerate(ids)
        for j in range(options.params)
    ]
    points = [
        (run_id, f"m{k}", rng.random(), step, T0_MS + i * 60_000 + step)
        for i, run_id in enumerate(ids)
        for k in range(options.metrics)
        for step in range(options.steps)
    ]
    long_run = ids[0]
    points += [
        (
            long_run,
            LONG_KEY,
            (step % 1000) / 1000 + (5.0 if step % 99_991 == 7 else 0.0),
            step,
            T0_MS + step,
        )
        for step in range(options.long_steps)
    ]
    return Data(ids, params, points, long_run)


def start_ms(index: int) -> int:
    return T0_MS + index * 60_000


# -- filling the stores in bulk ---------------------------------------------------------------


def fill_shipyard(folder: Path, data: Data) -> str:
    """A Shipyard store at ``folder`` with ``data``: runs and params inserted in bulk, metric
    points through the store's batched metric writer (which keeps each run's latest values)."""
    from sqlalchemy import insert

    from shipyard._store.tables import Param, Run
    from shipyard._store.workspace import Workspace
    from shipyard.core.settings import load_settings

    url = f"sqlite:///{(folder / 'shipyard.db').as_posix()}"
    workspace = Workspace(load_settings(home=folder, store_url=url, capture_git=False))
    when = [datetime.fromtimestamp(start_ms(i) / 1000, UTC) for i in range(len(data.ids))]
    runs = [
        {
            "id": run_id,
            "project": "bench",
            "name": f"run-{i}",
            "kind": "train",
            "status": "finished",
            "start_time": when[i],
            "end_time": when[i] + timedelta(minutes=1),
        }
        for i, run_id in enumerate(data.ids)
    ]
    params = [{"run_id": r, "key": k, "value": v} for r, k, v in data.params]
    with workspace.db.write() as session:
        connection = session.connection()
        for table, rows in ((Run, runs), (Param, params)):
            for start in range(0, len(rows), 20_000):
                connection.execute(insert(table), rows[start : start + 20_000])
    for start in range(0, len(data.points), 50_000):
        workspace.runs.log_metrics(data.points[start : start + 50_000])
    workspace.close()
    return url


def fill_mlflow(folder: Path, data: Data) -> tuple[str, str]:
    """An MLflow SQLite store at ``folder`` with ``data``: the schema made by MLflow's own
    SQLAlchemy store, then rows inserted in bulk into its tables (its run, param, tag, metric
    and latest-metric models), as ``log_batch`` would leave them. Returns (URI, experiment)."""
    from mlflow.store.tracking.dbmodels import models
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore
    from sqlalchemy import insert

    uri = f"sqlite:///{(folder / 'mlflow.db').as_posix()}"
    store = SqlAlchemyStore(uri, (folder / "artifacts").as_uri())
    experiment = store.create_experiment("bench")
    runs = [
        {
            "run_uuid": run_id,
            "name": f"run-{i}",
            "source_type": "LOCAL",
            "source_name": "bench",
            "entry_point_name": "",
            "user_id": "bench",
            "status": "FINISHED",
            "start_time": start_ms(i),
            "end_time": start_ms(i) + 60_000,
            "source_version": "",
            "lifecycle_stage": "active",
            "artifact_uri": (folder / "artifacts" / run_id).as_uri(),
            "experiment_id": int(experiment),
        }
        for i, run_id in enumerate(data.ids)
    ]
    tags = [
        {"run_uuid": run_id, "key": "mlflow.runName", "value": f"run-{i}"}
        for i, run_id in enumerate(data.ids)
    ]
    params = [{"run_uuid": r, "key": k, "value": v} for r, k, v in data.params]
    points = [
        {"run_uuid": r, "key": k, "value": v, "step": s, "timestamp": t, "is_nan": False}
        for r, k, v, s, t in data.points
    ]
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for point in points:  # the highest step wins, the last point on a tie
        held = latest.get((point["run_uuid"], point["key"]))
        if held is None or point["step"] >= held["step"]:
            latest[(point["run_uuid"], point["key"])] = point
    tables = (
        (models.SqlRun, runs),
        (models.SqlTag, tags),
        (models.SqlParam, params),
        (models.SqlMetric, points),
        (models.SqlLatestMetric, list(latest.values())),
    )
    with store.engine.begin() as connection:
        for table, rows in tables:
            for start in range(0, len(rows), 20_000):
                connection.execute(insert(table.__table__), rows[start : start + 20_000])
    store.engine.dispose()
    return uri, str(experiment)
