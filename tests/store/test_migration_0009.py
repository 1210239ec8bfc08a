"""Revision 0009 (latest_metrics kept by the batch that logs metrics): after the upgrade no
trigger is left on ``metrics``, ``log_metrics`` keeps ``latest_metrics`` exactly right (the
highest step wins, the last point of a batch on a tie, a lower step changes nothing, several
runs and keys in one batch), and the downgrade puts 0008's trigger back; on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import insert, select, text

from shipyard._store.database import Database
from shipyard._store.migrate import _config
from shipyard._store.runs import RunRepository
from shipyard._store.tables import LatestMetric, Metric, Run

A, B = "a" * 32, "b" * 32


def _latest(db: Database) -> dict[tuple[str, str], tuple[float, int]]:
    with db.read() as session:
        rows = session.execute(select(LatestMetric.run_id, LatestMetric.key, LatestMetric.value,
                                      LatestMetric.step))  # fmt: skip
        return {(run_id, key): (value, step) for run_id, key, value, step in rows}


def _triggers(db: Database) -> list[str]:
    query = (
        "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
        if db.dialect == "postgresql"
        else "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    )
    with db.engine.connect() as connection:
        return [row[0] for row in connection.execute(text(query))]


def _insert_points(db: Database, points: list[tuple[str, str, float, int]]) -> None:
    """Rows written straight into ``metrics``, as a store at 0008 would take them."""
    with db.engine.begin() as connection:
        connection.execute(insert(Metric), [
            {"run_id": r, "key": k, "value": v, "step": s, "timestamp": 0} for r, k, v, s in points
        ])  # fmt: skip


def test_revision_0009_keeps_latest_metrics_in_the_batch_and_downgrades(store_url: str) -> None:
    db = Database(store_url)
    with db.engine.begin() as connection:
        command.upgrade(_config(connection), "0008")
        connection.execute(insert(Run), [
            {"id": run_id, "project": "p", "name": run_id, "kind": "train", "status": "running",
             "start_time": datetime(2026, 3, 1, tzinfo=UTC)} for run_id in (A, B)
        ])  # fmt: skip
    _insert_points(db, [(A, "loss", 0.9, 0), (A, "loss", 0.3, 5)])  # 0008's trigger keeps it
    assert _triggers(db) == ["tr_metrics_latest"]
    with db.engine.begin() as connection:
        command.upgrade(_config(connection), "0009")
    assert _triggers(db) == []
    assert _latest(db) == {(A, "loss"): (0.3, 5)}

    runs = RunRepository(db)
    runs.log_metrics([
        (A, "loss", 0.05, 4, 0),  # a lower step than the stored one changes nothing
        (B, "auc", 0.7, 1, 0), (B, "auc", 0.85, 3, 0), (B, "auc", 0.83, 3, 0),  # tie: last wins
        (B, "auc", 0.5, 2, 0),  # later in the batch but a lower step
        (B, "f1", 0.6, 0, 0),
    ])  # fmt: skip
    assert _latest(db) == {(A, "loss"): (0.3, 5), (B, "auc"): (0.83, 3), (B, "f1"): (0.6, 0)}
    runs.log_metrics([(A, "loss", 0.2, 5, 0), (B, "f1", 0.4, 7, 0)])  # a tie across batches
    assert runs.latest_metrics([A, B]) == {A: {"loss": 0.2}, B: {"auc": 0.83, "f1": 0.4}}
    assert runs.count_metrics(B) == 6

    with db.engine.begin() as connection:
        command.downgrade(_config(connection), "0008")
    assert _triggers(db) == ["tr_metrics_latest"]
    _insert_points(db, [(A, "loss", 0.1, 6)])
    assert _latest(db)[A, "loss"] == (0.1, 6)
    db.close()
