"""No public route moves an alias around the promotion policy or the audit log: the old route
through the workspace is gone, the store is private, and the public moves are checked."""

from __future__ import annotations

import inspect
import pkgutil

import pytest

import shipyard as sy
from shipyard._store.workspace import Workspace
from shipyard.registry import register_version, set_policy
from tests.packaged import package_hash


def _two_versions(workspace: Workspace) -> None:
    stored = package_hash(workspace)  # promotion verifies a version's blobs: store real ones
    for _ in range(2):
        register_version("churn", package_hash=stored, flavor="python", signature=None,
                         source_run_id=None, workspace=workspace)  # fmt: skip


def test_the_workspace_route_is_gone(sqlite_workspace: Workspace) -> None:
    _two_versions(sqlite_workspace)
    with sy.open_workspace(sqlite_workspace.settings) as workspace:
        assert not hasattr(workspace.models, "move_alias")  # the old route
        for name in ("runs", "models", "audit", "datasets", "deployments", "promotion",
                     "monitoring"):  # fmt: skip
            methods = [m for m in dir(getattr(workspace, name)) if not m.startswith("_")]
            assert not [m for m in methods if "alias" in m and m != "resolve_alias"], name
    packages = {module.name for module in pkgutil.iter_modules(sy.__path__)}
    assert "store" not in packages and "_store" in packages  # the store is private


def test_every_public_name_that_moves_an_alias_checks_the_policy(
    sqlite_workspace: Workspace,
) -> None:
    ws = sqlite_workspace
    _two_versions(ws)
    sy.promote("churn", 1, "production", reason="launch", workspace=ws)
    set_policy("churn", "production", gates=[], require_approval=True, workspace=ws)
    with pytest.raises(sy.PolicyViolationError, match="no approval"):
        sy.promote("churn", 2, "production", workspace=ws)
    with pytest.raises(sy.UsageError, match="needs a reason"):
        sy.promote("churn", 2, "production", force=True, workspace=ws)
    assert sy.resolve("churn@production", workspace=ws).version == 1
    moves = sy.get_audit(target="churn@production", target_type="alias", workspace=ws)
    assert [(e.action, e.after, e.reason) for e in moves] == [
        ("alias.set", {"version": 1}, "launch")
    ]
    forced = sy.promote("churn", 2, "production", force=True, reason="hotfix", actor="ana",
                        workspace=ws)  # fmt: skip
    assert (forced.before, forced.after) == (1, 2)
    newest = sy.get_audit(target="churn@production", action="alias.set", limit=1, workspace=ws)[0]
    assert newest.actor == "ana" and newest.reason is not None
    assert newest.reason.startswith("[forced] hotfix (policy not met: ")


def test_the_public_api_names_no_unchecked_alias_move() -> None:
    """The public functions that take an alias are reads, or the checked moves."""
    checked = {
        "promote",
        "rollback",
        "approve",
        "check_policy",
        "set_policy",
        "get_policy",
        "rollout",
    }  # a rollout checks the policy first and moves the alias by promote
    for name in sy.__all__:
        value = getattr(sy, name)
        if inspect.isfunction(value) and "alias" in inspect.signature(value).parameters:
            assert name in checked | {"alias_history"}, name
