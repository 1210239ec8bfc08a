"""The ``tested`` mark: audited with its details, and required by a policy's ``requires``."""

from __future__ import annotations

import pytest

from shipyard import registry
from shipyard._store.workspace import Workspace
from shipyard.core.errors import PolicyViolationError, UsageError
from tests.registry.test_policies import _evaluate, _register


def test_a_policy_can_require_the_tested_mark(workspace: Workspace) -> None:
    _register(workspace, 2)
    policy = registry.set_policy(
        "churn", "production", gates=["*"], requires=["tested"], workspace=workspace
    )
    assert (policy.gates, policy.requires) == (("*",), ("tested",))
    _evaluate(workspace, 1, auc_min=True)
    with pytest.raises(PolicyViolationError) as refused:
        registry.promote("churn", 1, "production", workspace=workspace)
    assert refused.value.reasons == ["churn/1 is not tested"]

    registry.mark_version("churn", 1, "tested", details={"ci_run": "r1", "commit": "c" * 40},
                          actor="ci@test", workspace=workspace)  # fmt: skip
    registry.promote("churn", 1, "production", workspace=workspace)
    (mark,) = registry.version_marks("churn", 1, workspace=workspace)
    assert (mark.actor, mark.action, mark.target) == ("ci@test", "version.mark", "churn/1")
    assert mark.after == {"mark": "tested", "ci_run": "r1", "commit": "c" * 40}
    assert registry.version_marks("churn", 2, workspace=workspace) == []
    # the policy reads back the same, and its audit event says what it requires
    assert registry.get_policy("churn", "production", workspace=workspace) == policy
    (event,) = workspace.audit.list(action="policy.set")
    assert event.after == {"gates": ["*"], "require_approval": False, "requires": ["tested"]}


def test_unknown_marks_are_refused(workspace: Workspace) -> None:
    _register(workspace, 1)
    with pytest.raises(UsageError, match="'reviewed' is not a mark"):
        registry.set_policy("churn", "production", gates=["*"], requires=["reviewed"],
                            workspace=workspace)  # fmt: skip
    with pytest.raises(UsageError, match="'reviewed' is not a mark"):
        registry.mark_version("churn", 1, "reviewed", workspace=workspace)
    with pytest.raises(UsageError, match="may not start with 'require:'"):
        registry.set_policy("churn", "production", gates=["require:tested"], workspace=workspace)
