from __future__ import annotations

import pytest

from shipyard._store.aliases import move_alias
from shipyard._store.records import AliasMove
from shipyard._store.workspace import Workspace
from shipyard.core.errors import NotFoundError, UsageError

HASH = "ab" * 32


def _version(workspace: Workspace, name: str = "churn") -> int:
    record = workspace.models.create_version(
        name, package_hash=HASH, flavor="sklearn", signature={"inputs": []},
        source_run_id=None, actor="ana@laptop",
    )  # fmt: skip
    return record.version


def _move(workspace: Workspace, alias: str, version: int | None, actor: str,
          reason: str | None) -> AliasMove:  # fmt: skip
    return move_alias(workspace.db, "churn", alias, version, actor=actor, reason=reason,
                      action="alias.set")  # fmt: skip


def test_versions_are_numbered_per_model(workspace: Workspace) -> None:
    assert [_version(workspace) for _ in range(3)] == [1, 2, 3]
    assert _version(workspace, "fraud") == 1
    assert workspace.models.latest_version("churn").version == 3
    assert [v.version for v in workspace.models.list_versions("churn")] == [3, 2, 1]
    models = workspace.models.list_models()
    assert [(m.name, m.latest_version) for m in models] == [("churn", 3), ("fraud", 1)]


def test_alias_moves_are_atomic_and_audited(workspace: Workspace) -> None:
    _version(workspace)
    _version(workspace)
    first = move_alias(
        workspace.db, "churn", "production", 1, actor="ana", reason="launch", action="alias.set"
    )
    second = move_alias(
        workspace.db, "churn", "production", 2, actor="bo", reason="better", action="alias.set"
    )
    again = move_alias(
        workspace.db, "churn", "production", 2, actor="bo", reason="twice", action="alias.set"
    )

    assert (first.before, first.after) == (None, 1)
    assert (second.before, second.after) == (1, 2)
    assert (again.before, again.after) == (2, 2)
    assert workspace.models.resolve_alias("churn", "production").version == 2
    assert workspace.models.get_version("churn", 2).aliases == ("production",)
    assert workspace.models.get_model("churn").aliases == {"production": 2}

    events = workspace.audit.list(target_type="alias", newest_first=False)
    assert [(e.actor, e.before, e.after, e.reason) for e in events] == [
        ("ana", None, {"version": 1}, "launch"),
        ("bo", {"version": 1}, {"version": 2}, "better"),
    ]


def test_deleting_an_alias(workspace: Workspace) -> None:
    _version(workspace)
    _move(workspace, "staging", 1, "a", None)
    move = move_alias(
        workspace.db, "churn", "staging", None, actor="a", reason="retire", action="alias.set"
    )
    assert (move.before, move.after) == (1, None)
    with pytest.raises(NotFoundError, match="no alias 'staging'"):
        workspace.models.resolve_alias("churn", "staging")


def test_unknown_model_version_and_alias(workspace: Workspace) -> None:
    with pytest.raises(NotFoundError, match="No model is registered yet"):
        workspace.models.get_model("nope")
    _version(workspace)
    with pytest.raises(NotFoundError, match="Registered models: churn"):
        workspace.models.latest_version("nope")
    with pytest.raises(NotFoundError, match="no version 7") as info:
        workspace.models.get_version("churn", 7)
    assert "from 1 to 1" in str(info.value)
    with pytest.raises(NotFoundError, match="no version 5"):
        move_alias(
            workspace.db, "churn", "production", 5, actor="a", reason=None, action="alias.set"
        )
    with pytest.raises(UsageError, match="not a valid alias"):
        _move(workspace, "9lives", 1, "a", None)
    with pytest.raises(UsageError, match="not a valid model name"):
        _version(workspace, "bad name!")


def test_status_change_is_audited(workspace: Workspace) -> None:
    _version(workspace)
    record = workspace.models.set_status("churn", 1, "rejected", actor="ci", reason="auc low")
    assert record.status == "rejected"
    event = workspace.audit.list(action="version.status")[0]
    assert (event.before, event.after, event.reason) == (
        {"status": "ready"}, {"status": "rejected"}, "auc low",
    )  # fmt: skip
