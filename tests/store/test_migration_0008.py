"""Revision 0008 (each run's latest metrics, for searching runs): upgrading a 0006 store fills
``latest_metrics`` from the metrics already there, it is kept as points are logged (at head
by the batch writer of revision 0009; the highest step wins, the newest point on a tie), the
schema matches the models, and it downgrades cleanly; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert, inspect, select

from shipyard._store.database import Database
from shipyard._store.migrate import _config, include_object
from shipyard._store.runs import RunRepository
from shipyard._store.tables import Base, LatestMetric, Metric, Run

MINE = ("latest_metrics", "ix_params_key_value", "ix_tags_key_value")


def _latest(db: Database) -> dict[tuple[str, str], tuple[float, int]]:
    with db.read() as session:
        rows = session.execute(select(LatestMetric.run_id, LatestMetric.key, LatestMetric.value,
                                      LatestMetric.step))  # fmt: skip
        return {(run_id, key): (value, step) for run_id, key, value, step in rows}


def test_revision_0008_backfills_then_keeps_latest_metrics(store_url: str) -> None:
    db = Database(store_url)
    with db.engine.begin() as connection:
        command.upgrade(_config(connection), "0006")
        start = datetime(2026, 3, 1, tzinfo=UTC)
        connection.execute(insert(Run), [
            {"id": run_id, "project": "p", "name": run_id, "kind": "train", "status": "finished",
             "start_time": start} for run_id in ("a" * 32, "b" * 32)
        ])  # fmt: skip
        connection.execute(
            insert(Metric),
            [
                {"run_id": "a" * 32, "key": "loss", "value": value, "step": step, "timestamp": 0}
                for value, step in ((0.9, 0), (0.1, 5), (0.5, 2), (0.3, 5), (0.7, 1))
            ]
            + [{"run_id": "b" * 32, "key": "auc", "value": 0.8, "step": 0, "timestamp": 0}],
        )
    with db.engine.begin() as connection:
        command.upgrade(_config(connection), "head")
    # the highest step wins; of the two points at step 5, the one logged last
    assert _latest(db) == {("a" * 32, "loss"): (0.3, 5), ("b" * 32, "auc"): (0.8, 0)}

    RunRepository(db).log_metrics([
        ("a" * 32, "loss", 0.05, 4, 0),  # a lower step changes nothing
        ("b" * 32, "auc", 0.85, 3, 0), ("b" * 32, "auc", 0.83, 3, 0),  # a tie: the last wins
        ("b" * 32, "f1", 0.6, 0, 0),
    ])  # fmt: skip
    assert _latest(db) == {
        ("a" * 32, "loss"): (0.3, 5), ("b" * 32, "auc"): (0.83, 3), ("b" * 32, "f1"): (0.6, 0),
    }  # fmt: skip
    assert RunRepository(db).latest_metrics(["a" * 32]) == {"a" * 32: {"loss": 0.3}}

    with db.engine.connect() as connection:
        hook = include_object(connection.dialect.name)
        context = MigrationContext.configure(connection, opts={"include_object": hook})
        changes = [c for c in compare_metadata(context, Base.metadata)
                   if any(name in repr(c) for name in MINE)]  # fmt: skip
    assert changes == []
    with db.engine.begin() as connection:
        command.downgrade(_config(connection), "0006")
    with db.engine.connect() as connection:
        assert "latest_metrics" not in inspect(connection).get_table_names()
    with db.engine.begin() as connection:  # no trigger left behind
        connection.execute(insert(Metric), [
            {"run_id": "a" * 32, "key": "loss", "value": 0.2, "step": 9, "timestamp": 0}
        ])  # fmt: skip
    db.close()
