"""Revision 0004 creates exactly the monitoring tables, matching the models, and drops only
them (on SQLite and PostgreSQL)."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from shipyard._store.database import Database
from shipyard._store.migrate import _config
from shipyard._store.tables import Base

MINE = {"monitor_results", "alerts"}


def test_revision_0004_adds_and_removes_only_the_monitoring_tables(store_url: str) -> None:
    db = Database(store_url)
    with db.engine.begin() as connection:
        command.upgrade(_config(connection), "0004")
    with db.engine.connect() as connection:
        at_head = set(inspect(connection).get_table_names())
        context = MigrationContext.configure(connection)
        changes = [c for c in compare_metadata(context, Base.metadata) if _touches_mine(c)]
    assert at_head >= MINE
    assert changes == []  # the revision matches the models exactly
    with db.engine.begin() as connection:
        command.downgrade(_config(connection), "0003")
    with db.engine.connect() as connection:
        before = set(inspect(connection).get_table_names())
    assert before == at_head - MINE
    with db.engine.begin() as connection:
        command.upgrade(_config(connection), "0004")
    db.close()


def _touches_mine(change: object) -> bool:
    items = change if isinstance(change, list) else [change]
    text = repr(items)
    return any(f"'{table}'" in text or f"Table('{table}'" in text for table in MINE)
