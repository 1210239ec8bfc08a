"""Alembic environment: runs on the connection Shipyard hands over, never on a URL of its own."""

from __future__ import annotations

from alembic import context

from shipyard._store.migrate import include_object
from shipyard._store.tables import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_object=include_object(connection.dialect.name),
)
with context.begin_transaction():
    context.run_migrations()
