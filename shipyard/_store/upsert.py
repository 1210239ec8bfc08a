"""Portable INSERT … ON CONFLICT for the two databases Shipyard supports."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import Session


def insert_ignore(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows, skipping any whose key already exists."""
    if rows:
        session.execute(_insert(session, table).on_conflict_do_nothing(), list(rows))


def upsert(
    session: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    keys: Sequence[str],
    update: Sequence[str],
    unless_lower: str | None = None,
) -> None:
    """Insert rows, or update the ``update`` columns of those whose ``keys`` already exist;
    with ``unless_lower``, a stored row keeps its values where that column of the new row is
    lower than its own."""
    if not rows:
        return
    statement = _insert(session, table)
    statement = statement.on_conflict_do_update(
        index_elements=list(keys),
        set_={column: statement.excluded[column] for column in update},
        where=None
        if unless_lower is None
        else statement.excluded[unless_lower] >= table.c[unless_lower],
    )
    session.execute(statement, list(rows))


def _insert(session: Session, table: Table) -> Any:
    # Each dialect's insert is imported when its database is in use: the PostgreSQL dialect
    # costs a SQLite-only command line a twentieth of a second to import.
    name = session.get_bind().dialect.name
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(table)
    if name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table)
    raise NotImplementedError(f"Shipyard supports SQLite and PostgreSQL, not {name}.")
