"""Revision 0006 (audit hash chain and origins, four-eyes flag, run liveness) matches the
models, and downgrades to 0004 cleanly (on SQLite and PostgreSQL)."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from shipyard._store.database import Database
from shipyard._store.migrate import _config
from shipyard._store.tables import Base

MINE = {"audit_events", "audit_head", "approvals", "promotion_policies", "runs"}


def test_revision_0006_matches_the_models_and_downgrades(store_url: str) -> None:
    db = Database(store_url)
    with db.engine.begin() as connection:
        command.upgrade(_config(connection), "0006")
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        changes = [c for c in compare_metadata(context, Base.metadata) if _touches_mine(c)]
    assert changes == []
    with db.engine.begin() as connection:
        command.downgrade(_config(connection), "0004")
    with db.engine.connect() as connection:
        inspector = inspect(connection)
        assert "audit_head" not in inspector.get_table_names()
        assert "hash" not in {c["name"] for c in inspector.get_columns("audit_events")}
        assert "heartbeat_at" not in {c["name"] for c in inspector.get_columns("runs")}
    with db.engine.begin() as connection:
        command.upgrade(_config(connection), "head")
    db.close()


def _touches_mine(change: object) -> bool:
    text = repr(change if isinstance(change, list) else [change])
    return any(f"'{table}'" in text for table in MINE)
