"""The grants docs/audit.md documents make the audit table append-only for the application's
role on a real PostgreSQL server: Shipyard works, tampering is refused."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import ProgrammingError

import shipyard as sy
from shipyard._store.workspace import Workspace
from tests.conftest import new_postgres_database
from tests.packaged import register
from tests.services import PostgresServer

pytestmark = pytest.mark.slow

DOC = Path(__file__).parents[2] / "docs" / "audit.md"


def _documented_grants(role: str) -> list[str]:
    block = re.search(r"```sql\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert block is not None, "docs/audit.md lost its grants"
    return [line.replace("shipyard_app", role) for line in block[1].strip().splitlines()]


def test_the_documented_grants_make_the_audit_table_append_only(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    owner_url = new_postgres_database(postgres)
    settings = sy.load_settings(home=tmp_path / "home", store_url=owner_url, actor="owner",
                                artifacts_url=(tmp_path / "artifacts").as_posix())  # fmt: skip
    with Workspace(settings) as owner:  # the owner creates the schema
        register(owner, 2)
    role = f"app_{uuid.uuid4().hex[:8]}"
    engine = create_engine(owner_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE ROLE "{role}" LOGIN'))
        for statement in _documented_grants(role):
            connection.execute(text(statement))
    engine.dispose()

    app_url = owner_url.replace("postgres@", f"{role}@", 1)
    app_settings = settings.model_copy(update={"store_url": app_url, "actor": "app"})
    with Workspace(app_settings) as app:
        sy.promote("churn", 1, "production", reason="first", workspace=app)
        sy.approve("churn", 2, "production", workspace=app)
        sy.promote("churn", 2, "production", reason="second", workspace=app)
        for tamper in ("UPDATE audit_events SET reason = 'nothing'",
                       "DELETE FROM audit_events", "TRUNCATE audit_events",
                       "DELETE FROM audit_head"):  # fmt: skip
            with (
                pytest.raises(ProgrammingError, match="permission denied"),
                app.db.engine.begin() as connection,
            ):
                connection.execute(text(tamper))
        assert sy.verify_audit(workspace=app).ok
