"""Who did it: the audit log keeps the claimed actor beside the origin Shipyard observed, a
four-eyes policy compares observed origins, and only an evaluation that ran the policy's gates
satisfies it."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

import shipyard as sy
from shipyard._store.workspace import Workspace
from shipyard.core.errors import PolicyViolationError
from shipyard.core.origin import os_user
from tests.cli_process import shipyard, shipyard_as
from tests.packaged import register

pytestmark = pytest.mark.slow


def _others_can_read(path: Path) -> bool:
    """Whether another OS user can reach ``path``: every folder on the way is o+rx."""
    return all(p.stat().st_mode & 0o005 == 0o005 for p in [path, *path.parents])


_CODE_READABLE = _others_can_read(Path(__file__).resolve().parents[2]) and _others_can_read(
    Path(sys.prefix)
)


def test_a_claimed_actor_is_kept_beside_the_observed_origin(workspace: Workspace) -> None:
    register(workspace, 1)
    sy.promote("churn", 1, "production", actor="the-ceo", workspace=workspace)
    event = workspace.audit.list(action="alias.set", limit=1)[0]
    assert event.actor == "the-ceo"
    assert event.origin is not None
    assert (event.origin["user"], event.origin["pid"]) == (os_user(), os.getpid())


@pytest.mark.skipif(os.geteuid() != 0, reason="runs a command as another OS user (needs root)")
@pytest.mark.skipif(
    not _CODE_READABLE, reason="the checkout or its environment is private to its owner"
)
@pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)
def test_four_eyes_compares_observed_origins_not_only_names(workspace: Workspace) -> None:
    register(workspace, 1, actor="ana")
    set_ = shipyard(workspace, "models", "policy", "churn", "--alias", "production",
                    "--distinct-approver", "--json")  # fmt: skip
    assert set_.returncode == 0, set_.stdout + set_.stderr
    policy = json.loads(set_.stdout)[0]
    assert (policy["require_approval"], policy["approval_distinct"]) == (True, True)
    # the same OS user approving under another name is not a second person
    sy.approve("churn", 1, "production", actor="bob", workspace=workspace)
    refused = shipyard(workspace, "promote", "churn/1", "--alias", "production", actor="carol")
    assert refused.returncode == 1
    assert "needs an approval for 'production' by a second person" in refused.stdout

    approved = shipyard_as("nobody", workspace, "approve", "churn/1", "--alias", "production",
                           actor="dave")  # fmt: skip
    assert approved.returncode == 0, approved.stdout + approved.stderr
    approval = sy.check_policy("churn", 1, "production", workspace=workspace).approvals[-1]
    assert approval.actor == "dave" and approval.origin is not None
    assert approval.origin["user"] == "nobody"
    # the approver cannot also be the one who promotes
    own = shipyard_as("nobody", workspace, "promote", "churn/1", "--alias", "production",
                      actor="erin")  # fmt: skip
    assert own.returncode == 1 and "second person" in own.stdout
    promoted = shipyard(workspace, "promote", "churn/1", "--alias", "production", actor="carol")
    assert promoted.returncode == 0, promoted.stdout + promoted.stderr


def test_an_evaluation_that_ran_no_gates_does_not_meet_a_gate_policy(
    workspace: Workspace,
) -> None:
    register(workspace, 1)
    sy.set_policy("churn", "production", gates=["*"], workspace=workspace)
    sy.record_evaluation("churn", 1, passed=True, gates=[], metrics={}, report_hashes={},
                         run_id=None, workspace=workspace)  # fmt: skip
    refused = shipyard(workspace, "promote", "churn/1", "--alias", "production")
    assert refused.returncode == 1
    assert "the evaluation of churn/1 ran no gates" in refused.stdout
    sy.set_policy("churn", "production", gates=["auc_min"], workspace=workspace)
    with pytest.raises(PolicyViolationError, match="gate 'auc_min' was not evaluated"):
        sy.promote("churn", 1, "production", workspace=workspace)
