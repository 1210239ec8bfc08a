"""The metadata database: engine set-up for SQLite and PostgreSQL, and transactions.

SQLite is opened in WAL mode with foreign keys on and a busy timeout; transactions that write
start with ``BEGIN IMMEDIATE`` so concurrent writers queue on the busy timeout instead of
failing with "database is locked" when a read lock cannot be upgraded.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError, DatabaseError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from shipyard.core.errors import (
    ConfigurationError,
    StoreError,
    StoreMissingError,
    StoreUnreachableError,
)

SQLITE_BUSY_TIMEOUT_MS = 60_000
_WRITE = "shipyard_write"


def redact(url: str | URL) -> str:
    """The URL with any password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return str(url)


class Database:
    """An engine plus read and write transactions. Cheap to pass around; open once."""

    def __init__(self, url: str, *, create: bool = True) -> None:
        """Open the store at ``url``; with ``create=False`` a SQLite file that does not exist
        is refused (:class:`StoreMissingError`) instead of being created, folders and all."""
        self.url = url
        if not create:
            _check_exists(url)
        self.engine = _create_engine(url)
        self._write_engine = self.engine.execution_options(**{_WRITE: True})
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(self._write_engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; nothing it does is committed."""
        with self._read() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session whose work commits at the end of the block, or rolls back on error."""
        with self._write() as session, session.begin():
            yield session

    def check_reachable(self) -> None:
        """Connect once; raise :class:`StoreUnreachableError` naming the URL if that fails."""
        try:
            with self.engine.connect():
                pass
        except OperationalError as exc:
            raise StoreUnreachableError(
                f"Cannot connect to the metadata store at {redact(self.url)}: "
                f"{_first_line(exc.orig)}",
                hint="Check SHIPYARD_STORE_URL (or --store) and that the database server runs.",
            ) from None
        except DatabaseError as exc:  # a file that is not a SQLite database
            raise StoreError(
                f"The metadata store {_sqlite_path(self.url) or redact(self.url)} cannot be "
                f"opened: {_first_line(exc.orig)}.",
                hint="Point --store (or SHIPYARD_STORE_URL) at a Shipyard store, or at a new "
                "file name to create one.",
            ) from None

    def close(self) -> None:
        self.engine.dispose()


def _sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for other databases, memory and ``file:`` URIs)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    return None if database.startswith("file:") else Path(database).expanduser()


def _check_exists(url: str) -> None:
    path = _sqlite_path(url)
    if path is not None and not path.exists():
        raise StoreMissingError(
            f"There is no Shipyard store at {path}.",
            hint="Check --store (or SHIPYARD_STORE_URL, or --home); to create one there, run "
            f"`shipyard --store sqlite:///{path.as_posix()} db upgrade` (or log a run).",
        )


def _first_line(error: object) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _create_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigurationError(
            f"The store URL {url!r} is not a database URL.",
            hint="Use sqlite:///path/to/shipyard.db or postgresql+psycopg://user@host/db.",
        ) from exc
    backend = parsed.get_backend_name()
    try:
        if backend == "sqlite":
            return _sqlite_engine(parsed)
        if backend == "postgresql" and parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        engine = create_engine(parsed, pool_pre_ping=True, pool_size=5, max_overflow=10)
        # Many rows go as multi-row INSERTs, not one statement each (a batch of metrics).
        engine.dialect.use_insertmanyvalues_wo_returning = True
        return engine
    except (NoSuchModuleError, ModuleNotFoundError) as exc:
        raise ConfigurationError(
            f"No database driver for {redact(parsed)}.",
            hint="For PostgreSQL install the extra: pip install 'shipyard[postgres]'.",
        ) from exc


def _sqlite_engine(url: URL) -> Engine:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's begin event issue BEGIN, not the sqlite3 module.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get(_WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine
