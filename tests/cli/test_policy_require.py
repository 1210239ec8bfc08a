"""``shipyard models policy --require tested``: set, shown, and kept when other parts change."""

from __future__ import annotations

import json

from shipyard import registry
from shipyard._store.workspace import Workspace
from tests.cli.conftest import Invoke
from tests.registry.test_policies import _register


def test_require_is_set_shown_and_kept(shipyard_cli: Invoke, workspace: Workspace) -> None:
    _register(workspace, 1)
    result = shipyard_cli("models", "policy", "churn", "--alias", "production", "--gate", "*",
                          "--require", "tested")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "tested" in result.output
    result = shipyard_cli("models", "policy", "churn", "--alias", "production", "--gate", "auc")
    assert result.exit_code == 0, result.output
    policy = registry.get_policy("churn", "production", workspace=workspace)
    assert policy is not None and (policy.gates, policy.requires) == (("auc",), ("tested",))
    shown = json.loads(shipyard_cli("models", "policy", "churn", "--json").stdout)
    assert shown[0]["requires"] == ["tested"]
    result = shipyard_cli("models", "policy", "churn", "--alias", "production", "--require", "x")
    assert result.exit_code == 2 and "'x' is not a mark" in result.output
