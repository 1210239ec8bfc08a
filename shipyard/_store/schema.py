"""The store's schema revision through the public API: :func:`store_status` and
:func:`upgrade_store` (what ``shipyard db current`` and ``shipyard db upgrade`` call)."""

from __future__ import annotations

from dataclasses import dataclass

from shipyard._store.database import Database, redact
from shipyard._store.migrate import current_revision, head_revision, upgrade
from shipyard._store.records import Record
from shipyard.core.errors import UsageError
from shipyard.core.settings import Settings, load_settings


@dataclass(frozen=True)
class StoreStatus(Record):
    """The metadata store's URL (password hidden), its schema revision, the revision this
    Shipyard expects, and (after an upgrade) the revision it had before."""

    url: str
    revision: str | None
    head: str
    previous: str | None = None

    @property
    def up_to_date(self) -> bool:
        return self.revision == self.head


def store_status(settings: Settings | None = None) -> StoreStatus:
    """The schema revision of the store ``settings`` point at (none for an empty store); a
    store that does not exist is reported, never created."""
    db = _database(settings, create=False)
    try:
        return StoreStatus(redact(db.url), current_revision(db), head_revision())
    finally:
        db.close()


def upgrade_store(settings: Settings | None = None) -> StoreStatus:
    """Migrate the store to this Shipyard's schema (back it up first); ``previous`` is the
    revision it had."""
    db = _database(settings, create=True)
    try:
        before, after = upgrade(db)
        return StoreStatus(redact(db.url), after, head_revision(), previous=before)
    finally:
        db.close()


def _database(settings: Settings | None, *, create: bool) -> Database:
    if settings is not None and not isinstance(settings, Settings):
        raise UsageError(
            f"settings must be a Settings object, not {type(settings).__name__}.",
            hint="Pass sy.load_settings(...), or nothing for the current workspace.",
        )
    db = Database((settings or load_settings()).resolved_store_url, create=create)
    try:
        db.check_reachable()
    except BaseException:
        db.close()
        raise
    return db
