"""Schema migrations: a fresh store is created at head; an older one is refused until
``shipyard db upgrade`` is run. The store is never silently migrated.
"""

from __future__ import annotations

import fcntl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, inspect, text
from sqlalchemy.exc import DBAPIError

from shipyard._store.database import Database, redact
from shipyard.core.errors import MigrationRequiredError, StoreError

if TYPE_CHECKING:
    from alembic.config import Config

HEAD = "0009"
"""The newest schema revision this Shipyard knows (a test holds it equal to the newest file
in ``migrations/versions``). Opening a store at this revision reads one row and never imports
Alembic, which is slow to import."""

_MIGRATIONS = Path(__file__).with_name("migrations")
_PG_LOCK_KEY = 0x5348_4950  # "SHIP": one advisory lock for schema changes


def _config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", _MIGRATIONS.as_posix())
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def include_object(dialect: str) -> Callable[..., bool]:
    """Alembic's ``include_object`` hook for ``dialect``: it leaves out what the models create
    on another database only (an index declared with ``.ddl_if(dialect=...)``), so comparing
    a store with the models sees only what that store should have."""

    def include(item: object, *_: object) -> bool:
        condition = getattr(item, "_ddl_if", None)  # SQLAlchemy's record of ddl_if()
        only_on = getattr(condition, "dialect", None)
        return only_on is None or only_on == dialect

    return include


def head_revision() -> str:
    """The newest schema revision this Shipyard knows."""
    return HEAD


def script_head() -> str | None:
    """The newest revision among the migration scripts (what ``HEAD`` must equal)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config()).get_current_head()


def current_revision(db: Database) -> str | None:
    """The store's schema revision, or None for a store that has no Shipyard tables yet."""
    with db.engine.connect() as connection:
        try:
            row = connection.execute(text("SELECT version_num FROM alembic_version")).first()
        except DBAPIError:  # no version table: a fresh store
            return None
    return None if row is None else str(row[0])


def _upgrade_to_head(connection: Connection) -> None:
    from alembic import command

    command.upgrade(_config(connection), "head")


def upgrade(db: Database) -> tuple[str | None, str]:
    """Bring the store to the newest revision; returns (revision before, revision after)."""
    with _schema_lock(db):
        before = current_revision(db)
        _check_known(db, before)
        with db.engine.begin() as connection:
            _upgrade_to_head(connection)
        return before, head_revision()


def ensure_schema(db: Database) -> None:
    """Create a fresh store at head; refuse an out-of-date one with a clear error."""
    revision = current_revision(db)
    head = head_revision()
    if revision == head:
        return
    with _schema_lock(db):
        revision = current_revision(db)
        if revision == head:
            return
        if revision is None and not _has_shipyard_tables(db):
            with db.engine.begin() as connection:
                _upgrade_to_head(connection)
            return
        _check_known(db, revision)
        raise MigrationRequiredError(
            f"The metadata store at {redact(db.url)} is at schema revision {revision}, "
            f"older than this Shipyard's {head}.",
            hint="Back it up, then run `shipyard db upgrade`.",
        )


def _check_known(db: Database, revision: str | None) -> None:
    if revision is None:
        return
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_config())
    known = {rev.revision for rev in script.walk_revisions()}
    if revision not in known:
        raise StoreError(
            f"The metadata store at {redact(db.url)} is at schema revision {revision}, "
            "which this Shipyard does not know: a newer Shipyard wrote it.",
            hint="Upgrade Shipyard (pip install -U shipyard).",
        )


def _has_shipyard_tables(db: Database) -> bool:
    with db.engine.connect() as connection:
        return "runs" in inspect(connection).get_table_names()


@contextmanager
def _schema_lock(db: Database) -> Iterator[None]:
    """Serialise schema changes between processes (a file lock or an advisory lock)."""
    if db.dialect == "sqlite":
        database = db.engine.url.database
        if not database or database == ":memory:":
            yield
            return
        lock_path = Path(database).with_name(Path(database).name + ".migrate-lock")
        with lock_path.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return
    if db.dialect == "postgresql":
        with db.engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _PG_LOCK_KEY})
            connection.commit()
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _PG_LOCK_KEY})
                connection.commit()
        return
    yield
