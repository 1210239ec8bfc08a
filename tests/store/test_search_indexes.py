"""Revision 0005 adds exactly the run-search indexes the table definitions declare, on SQLite
and PostgreSQL, and removes only them."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from shipyard._store.database import Database
from shipyard._store.migrate import _config
from shipyard._store.tables import Base

INDEXES = {("runs", "ix_runs_start_time_id"), ("params", "ix_params_key"), ("tags", "ix_tags_key")}


def _indexes(db: Database) -> set[tuple[str, str]]:
    with db.engine.connect() as connection:
        inspector = inspect(connection)
        return {(table, index["name"]) for table in ("runs", "params", "tags")
                for index in inspector.get_indexes(table) if index["name"]}  # fmt: skip


def test_revision_0005_matches_the_tables_and_downgrades_cleanly(store_url: str) -> None:
    db = Database(store_url)
    with db.engine.begin() as connection:
        command.upgrade(_config(connection), "0005")
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        changes = [c for c in compare_metadata(context, Base.metadata)
                   if any(f"'{name}'" in repr(c) for _, name in INDEXES)]  # fmt: skip
    assert changes == []  # the revision and the table definitions agree on every index
    assert _indexes(db) >= INDEXES
    with db.engine.begin() as connection:
        command.downgrade(_config(connection), "0004")
    assert _indexes(db).isdisjoint(INDEXES)
    db.close()
