"""Schema migrations: fresh stores start at head; older ones are refused until upgraded."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import inspect
from typer.testing import CliRunner

from shipyard._store.database import Database
from shipyard._store.migrate import _config, current_revision, head_revision
from shipyard._store.workspace import Workspace
from shipyard.cli.app import app
from shipyard.core.errors import MigrationRequiredError
from shipyard.core.settings import Settings


def _at_first_revision(url: str) -> None:
    db = Database(url)
    with db.engine.begin() as connection:
        command.upgrade(_config(connection), "0001")
    db.close()


def test_an_older_store_is_refused_then_upgraded_by_the_command(
    settings: Settings, store_url: str
) -> None:
    _at_first_revision(store_url)
    with pytest.raises(MigrationRequiredError, match="shipyard db upgrade"):
        Workspace(settings)

    result = CliRunner().invoke(app, ["--store", store_url, "db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert f"from 0001 to {head_revision()}" in result.stdout
    workspace = Workspace(settings)
    assert current_revision(workspace.db) == head_revision()
    workspace.close()


def test_every_revision_downgrades_and_upgrades_cleanly(store_url: str) -> None:
    db = Database(store_url)
    with db.engine.begin() as connection:
        command.upgrade(_config(connection), "head")
    with db.engine.begin() as connection:
        command.downgrade(_config(connection), "base")
    with db.engine.connect() as connection:
        assert set(inspect(connection).get_table_names()) <= {"alembic_version"}
    with db.engine.begin() as connection:
        command.upgrade(_config(connection), "head")
    assert current_revision(db) == head_revision()
    db.close()


def test_the_known_head_is_the_newest_migration_script() -> None:
    from shipyard._store.migrate import HEAD, script_head

    assert script_head() == HEAD
