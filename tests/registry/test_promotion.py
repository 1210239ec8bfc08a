from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

import shipyard as sy
from shipyard._store.workspace import Workspace
from shipyard.core.errors import ConflictError, NotFoundError, UsageError
from tests.packaged import package_hash
from tests.workers import promote_once


def _register(workspace: Workspace, count: int, name: str = "churn") -> None:
    for _ in range(count):
        workspace.models.create_version(
            name, package_hash=package_hash(workspace), flavor="python", signature=None,
            source_run_id=None, actor="trainer",
        )  # fmt: skip


def test_promote_moves_the_alias_and_resolve_follows(workspace: Workspace) -> None:
    _register(workspace, 2)
    sy.promote("churn", 1, "production", reason="first", workspace=workspace)
    assert sy.resolve("churn@production", workspace=workspace).version == 1
    move = sy.promote("churn", 2, "production", reason="better auc", workspace=workspace)
    assert (move.before, move.after) == (1, 2)
    assert sy.resolve("churn@production", workspace=workspace).version == 2
    assert sy.resolve("churn/1", workspace=workspace).version == 1
    assert sy.resolve("churn", workspace=workspace).version == 2

    event = workspace.audit.list(target_type="alias")[0]
    assert event.actor == "tester@test"
    assert (event.before, event.after, event.reason) == (
        {"version": 1},
        {"version": 2},
        "better auc",
    )


def test_rollback_walks_back_through_previous_targets(workspace: Workspace) -> None:
    _register(workspace, 3)
    for version in (1, 2, 3):
        sy.promote("churn", version, "production", workspace=workspace)

    assert sy.rollback("churn", "production", reason="bad p99", workspace=workspace).after == 2
    assert sy.rollback("churn", "production", workspace=workspace).after == 1
    with pytest.raises(ConflictError, match="no earlier version"):
        sy.rollback("churn", "production", workspace=workspace)
    assert sy.resolve("churn@production", workspace=workspace).version == 1

    history = sy.alias_history("churn", "production", workspace=workspace)
    assert [(e.action, e.after) for e in history] == [
        ("alias.set", {"version": 1}), ("alias.set", {"version": 2}),
        ("alias.set", {"version": 3}), ("alias.rollback", {"version": 2}),
        ("alias.rollback", {"version": 1}),
    ]  # fmt: skip
    assert history[3].reason == "bad p99"


def test_a_rejected_version_needs_force_and_a_reason(workspace: Workspace) -> None:
    _register(workspace, 1)
    workspace.models.set_status("churn", 1, "rejected", actor="ci", reason="gate failed")
    with pytest.raises(ConflictError, match="is rejected"):
        sy.promote("churn", 1, "production", workspace=workspace)
    with pytest.raises(UsageError, match="needs a reason"):
        sy.promote("churn", 1, "production", force=True, workspace=workspace)
    sy.promote("churn", 1, "production", force=True, reason="hotfix", workspace=workspace)
    assert workspace.audit.list(target_type="alias")[0].reason == (
        "[forced] hotfix (churn/1 is rejected)"
    )


def test_unknown_names_are_clear(workspace: Workspace) -> None:
    with pytest.raises(NotFoundError, match="'ghost' is not registered"):
        sy.promote("ghost", 1, "production", workspace=workspace)
    _register(workspace, 1)
    with pytest.raises(NotFoundError, match="no alias 'production'"):
        sy.resolve("churn@production", workspace=workspace)
    with pytest.raises(UsageError, match="not a version number"):
        sy.resolve("churn/zero", workspace=workspace)


@pytest.mark.slow
def test_ten_processes_promoting_at_once_leave_a_consistent_history(
    workspace: Workspace, tmp_path: Path
) -> None:
    _register(workspace, 10)
    url = workspace.settings.resolved_store_url
    context = multiprocessing.get_context("spawn")
    artifacts = workspace.settings.resolved_artifacts_url
    jobs = [(url, str(tmp_path / "home"), "churn", v, f"proc-{v}", artifacts) for v in range(1, 11)]
    with context.Pool(10) as pool:
        pool.starmap(promote_once, jobs)

    events = sy.alias_history("churn", "production", workspace=workspace)
    assert len(events) == 10
    assert {e.actor for e in events} == {f"proc-{v}" for v in range(1, 11)}
    previous = None
    for event in events:  # each move starts where the one before it ended
        assert event.before == (None if previous is None else {"version": previous})
        assert event.after is not None
        previous = event.after["version"]
    assert sy.resolve("churn@production", workspace=workspace).version == previous
