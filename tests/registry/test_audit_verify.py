"""The audit log is a hash chain: an event changed or removed with raw SQL, or an alias moved
behind the log's back, is named by `shipyard audit verify` (on SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

import shipyard as sy
from shipyard._store.database import Database
from shipyard._store.migrate import _config, head_revision
from shipyard._store.workspace import Workspace
from tests.cli_process import shipyard
from tests.packaged import register
from tests.workers import promote_once

pytestmark = pytest.mark.slow


def _history(workspace: Workspace) -> None:
    """churn/1..3, production moved 1 -> 2 -> 3."""
    register(workspace, 3)
    for version in (1, 2, 3):
        sy.promote("churn", version, "production", reason=f"v{version}", workspace=workspace)


def _sql(workspace: Workspace, statement: str, **params: object) -> None:
    with workspace.db.engine.begin() as connection:
        connection.execute(text(statement), params)


def _event_id(workspace: Workspace, action: str, after_version: int) -> int:
    events = workspace.audit.list(action=action, limit=None, newest_first=False)
    return next(e.id for e in events if (e.after or {}).get("version") == after_version)


def test_an_untouched_log_verifies(workspace: Workspace) -> None:
    _history(workspace)
    done = shipyard(workspace, "audit", "verify")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "intact" in done.stdout
    verdict = sy.verify_audit(workspace=workspace)
    assert verdict.ok and verdict.events == len(workspace.audit.list(limit=None))
    event = workspace.audit.list(limit=1)[0]
    assert event.actor == "tester@test" and event.origin is not None
    assert event.origin["pid"] > 0 and event.origin["user"]  # observed, beside the claim


def test_an_event_edited_with_raw_sql_is_named(workspace: Workspace) -> None:
    _history(workspace)
    edited = _event_id(workspace, "alias.set", 2)
    _sql(workspace, "UPDATE audit_events SET reason = 'routine' WHERE id = :id", id=edited)

    done = shipyard(workspace, "audit", "verify")
    assert done.returncode == 1
    assert f"Event #{edited} (alias.set churn@production) was changed" in done.stdout
    verdict = sy.verify_audit(workspace=workspace)
    assert verdict.first_problem is not None
    assert (verdict.first_problem.kind, verdict.first_problem.event_id) == ("changed", edited)


def test_a_deleted_event_is_named(workspace: Workspace) -> None:
    _history(workspace)
    removed = _event_id(workspace, "alias.set", 2)
    _sql(workspace, "DELETE FROM audit_events WHERE id = :id", id=removed)

    done = shipyard(workspace, "audit", "verify", "--json")
    assert done.returncode == 1
    problems = json.loads(done.stdout)["problems"]
    assert problems[0]["kind"] == "removed"
    assert f"before event #{removed + 1}" in problems[0]["message"]


def test_deleting_the_newest_events_is_noticed(workspace: Workspace) -> None:
    _history(workspace)
    newest = workspace.audit.list(limit=1)[0].id
    _sql(workspace, "DELETE FROM audit_events WHERE id = :id", id=newest)

    done = shipyard(workspace, "audit", "verify")
    assert done.returncode == 1
    assert f"Events after event #{newest - 1} were removed" in done.stdout


def test_an_alias_moved_with_raw_sql_is_named(workspace: Workspace) -> None:
    _history(workspace)
    _sql(
        workspace,
        "UPDATE aliases SET version_id = (SELECT id FROM model_versions WHERE version = 1)",
    )
    done = shipyard(workspace, "audit", "verify")
    assert done.returncode == 1
    assert "Alias churn@production is at version 1, but its last audit event" in done.stdout
    assert "left it at version 3" in done.stdout


def test_concurrent_writers_build_one_chain(workspace: Workspace, tmp_path: Path) -> None:
    register(workspace, 6)
    settings = workspace.settings
    jobs = [(settings.resolved_store_url, str(tmp_path / "home"), "churn", v, f"proc-{v}",
             settings.resolved_artifacts_url) for v in range(1, 7)]  # fmt: skip
    with multiprocessing.get_context("spawn").Pool(6) as pool:
        pool.starmap(promote_once, jobs)
    verdict = sy.verify_audit(workspace=workspace)
    assert verdict.ok, verdict.problems
    assert verdict.events == 12  # six registrations, six moves


def test_the_upgrade_chains_the_events_already_there(store_url: str, tmp_path: Path) -> None:
    db = Database(store_url)
    with db.engine.begin() as connection:
        command.upgrade(_config(connection), "0004")
        for number in (1, 2):
            connection.execute(
                text("INSERT INTO audit_events (time, actor, action, target_type, target, "
                     "before, after, reason) VALUES (:time, 'old', 'alias.set', 'note', "
                     ":target, NULL, :after, NULL)"),
                {"time": f"2026-01-0{number} 10:00:00.000001", "target": f"n{number}",
                 "after": json.dumps({"version": number})},
            )  # fmt: skip
    with db.engine.begin() as connection:
        command.upgrade(_config(connection), "head")
    db.close()
    settings = sy.load_settings(home=tmp_path / "home", store_url=store_url)
    with Workspace(settings) as workspace:
        verdict = sy.verify_audit(workspace=workspace)
        assert verdict.ok and verdict.events == 2, verdict.problems
        _sql(workspace, "UPDATE audit_events SET actor = 'someone else' WHERE target = 'n1'")
        first = sy.verify_audit(workspace=workspace).first_problem
        assert first is not None and first.kind == "changed" and first.target == "n1"
    assert int(head_revision()) >= 6  # the chain the upgrade ran holds revision 0006
