"""Promotion policies: gates and approvals an alias requires, enforced by ``promote``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from shipyard import registry
from shipyard._store.workspace import Workspace
from shipyard.core.errors import ConflictError, PolicyViolationError, UsageError
from tests.packaged import package_hash


def _register(workspace: Workspace, count: int, name: str = "churn") -> None:
    for _ in range(count):
        workspace.models.create_version(
            name, package_hash=package_hash(workspace), flavor="python", signature=None,
            source_run_id=None, actor="trainer",
        )  # fmt: skip


def _evaluate(workspace: Workspace, version: int, **gates: bool) -> None:
    outcomes = [
        {"name": name, "kind": "threshold", "passed": passed, "observed": 0.7,
         "threshold": 0.75, "margin": -0.05 if not passed else 0.05,
         "message": "roc_auc 0.700 < min 0.750 (short by 0.050)" if not passed else "ok"}
        for name, passed in gates.items()
    ]  # fmt: skip
    registry.record_evaluation(
        "churn", version, passed=all(gates.values()), gates=outcomes, metrics={"roc_auc": 0.7},
        report_hashes={"markdown": "ab" * 32}, run_id=None, workspace=workspace,
    )  # fmt: skip


def _alias_target(workspace: Workspace, alias: str = "production") -> int | None:
    return workspace.models.get_model("churn").aliases.get(alias)


def test_without_a_policy_promotion_is_unrestricted(workspace: Workspace) -> None:
    _register(workspace, 1)
    verdict = registry.check_policy("churn", 1, "production", workspace=workspace)
    assert (verdict.allowed, verdict.reasons, verdict.policy) == (True, (), None)
    registry.promote("churn", 1, "production", workspace=workspace)
    assert _alias_target(workspace) == 1


def test_every_gate_must_pass_in_the_newest_evaluation(workspace: Workspace) -> None:
    _register(workspace, 2)
    registry.set_policy("churn", "production", gates=["*"], workspace=workspace)

    with pytest.raises(PolicyViolationError, match="no evaluation is recorded for churn/1") as e:
        registry.promote("churn", 1, "production", workspace=workspace)
    assert e.value.reasons == ["no evaluation is recorded for churn/1"]

    _evaluate(workspace, 1, auc_min=False, fairness=True)
    with pytest.raises(PolicyViolationError) as e:
        registry.promote("churn", 1, "production", workspace=workspace)
    assert e.value.reasons == ["gate 'auc_min' failed: roc_auc 0.700 < min 0.750 (short by 0.050)"]
    assert "does not meet the promotion policy of churn@production" in e.value.message
    assert _alias_target(workspace) is None

    _evaluate(workspace, 1, auc_min=True, fairness=True)  # re-evaluated: the newest counts
    registry.promote("churn", 1, "production", reason="passes", workspace=workspace)
    assert _alias_target(workspace) == 1
    assert workspace.audit.list(target_type="alias")[0].reason == "passes"


def test_only_the_named_gates_are_required(workspace: Workspace) -> None:
    _register(workspace, 1)
    registry.set_policy("churn", "staging", gates=["auc_min", "latency"], workspace=workspace)
    _evaluate(workspace, 1, auc_min=True, fairness=False)
    verdict = registry.check_policy("churn", 1, "staging", workspace=workspace)
    assert (verdict.allowed, verdict.reasons) == (False, ("gate 'latency' was not evaluated",))

    registry.set_policy("churn", "staging", gates=["auc_min"], workspace=workspace)
    assert registry.check_policy("churn", 1, "staging", workspace=workspace).allowed
    registry.promote("churn", 1, "staging", workspace=workspace)  # fairness failed: not required
    assert _alias_target(workspace, "staging") == 1


def test_an_approval_for_that_alias_is_required_when_the_policy_says_so(
    workspace: Workspace,
) -> None:
    _register(workspace, 1)
    registry.set_policy("churn", "production", gates=[], require_approval=True,
                        workspace=workspace)  # fmt: skip
    registry.approve("churn", 1, "staging", workspace=workspace)  # another alias: no use here
    with pytest.raises(PolicyViolationError, match="churn/1 has no approval for 'production'"):
        registry.promote("churn", 1, "production", workspace=workspace)

    approval = registry.approve("churn", 1, "production", comment="checked the report",
                                actor="ana", workspace=workspace)  # fmt: skip
    assert (approval.actor, approval.comment) == ("ana", "checked the report")
    verdict = registry.check_policy("churn", 1, "production", workspace=workspace)
    assert verdict.allowed and [a.actor for a in verdict.approvals] == ["ana"]
    registry.promote("churn", 1, "production", workspace=workspace)
    assert _alias_target(workspace) == 1


def test_a_rejected_version_fails_a_policy_with_every_reason(workspace: Workspace) -> None:
    _register(workspace, 1)
    registry.set_policy("churn", "production", gates=["*"], require_approval=True,
                        workspace=workspace)  # fmt: skip
    _evaluate(workspace, 1, auc_min=False)
    workspace.models.set_status("churn", 1, "rejected", actor="ci", reason="gate failed")
    verdict = registry.check_policy("churn", 1, "production", workspace=workspace)
    assert verdict.reasons == (
        "churn/1 is rejected",
        "gate 'auc_min' failed: roc_auc 0.700 < min 0.750 (short by 0.050)",
        "churn/1 has no approval for 'production'",
    )
    assert verdict.to_dict()["reasons"] == list(verdict.reasons)
    assert verdict.to_dict()["evaluation"]["metrics"] == {"roc_auc": 0.7}
    with pytest.raises(ConflictError):  # a PolicyViolationError is a conflict, exit code 1
        registry.promote("churn", 1, "production", workspace=workspace)


def test_a_forced_promotion_needs_a_reason_and_the_log_keeps_what_it_overrode(
    workspace: Workspace,
) -> None:
    _register(workspace, 1)
    registry.set_policy("churn", "production", gates=["*"], require_approval=True,
                        workspace=workspace)  # fmt: skip
    _evaluate(workspace, 1, auc_min=False)
    with pytest.raises(UsageError, match="needs a reason"):
        registry.promote("churn", 1, "production", force=True, workspace=workspace)
    move = registry.promote("churn", 1, "production", force=True, reason="outage fix",
                            actor="oncall", workspace=workspace)  # fmt: skip
    assert (move.before, move.after) == (None, 1)
    event = workspace.audit.list(target_type="alias")[0]
    assert event.actor == "oncall"
    assert event.reason == (
        "[forced] outage fix (policy not met: gate 'auc_min' failed: roc_auc 0.700 < min 0.750 "
        "(short by 0.050); churn/1 has no approval for 'production')"
    )


def test_rollback_goes_through_the_policy_and_says_what_it_bypassed(
    workspace: Workspace,
) -> None:
    _register(workspace, 2)
    _evaluate(workspace, 1, auc_min=True)
    _evaluate(workspace, 2, auc_min=True)
    registry.promote("churn", 1, "production", workspace=workspace)
    registry.promote("churn", 2, "production", workspace=workspace)
    registry.set_policy("churn", "production", gates=["*"], require_approval=True,
                        workspace=workspace)  # fmt: skip

    move = registry.rollback("churn", "production", reason="p99 doubled", workspace=workspace)
    assert (move.before, move.after) == (2, 1)
    event = workspace.audit.list(target_type="alias")[0]
    assert event.action == "alias.rollback"
    assert event.reason == "p99 doubled (policy not met: churn/1 has no approval for 'production')"


def test_a_rollback_that_meets_the_policy_keeps_its_reason_as_given(
    workspace: Workspace,
) -> None:
    _register(workspace, 2)
    registry.promote("churn", 1, "production", workspace=workspace)
    registry.promote("churn", 2, "production", workspace=workspace)
    registry.set_policy("churn", "production", gates=[], workspace=workspace)
    registry.rollback("churn", "production", reason="p99 doubled", workspace=workspace)
    assert workspace.audit.list(target_type="alias")[0].reason == "p99 doubled"


@dataclass
class _Outcome:
    name: str
    kind: str
    passed: bool
    observed: Any
    threshold: Any
    margin: Any
    message: str


class _WithToDict:
    def to_dict(self) -> dict[str, Any]:
        return {"name": "parity", "kind": "fairness", "passed": np.bool_(True),
                "observed": np.float64(0.04), "threshold": 0.1, "margin": 0.06,
                "message": "ok"}  # fmt: skip


def test_gate_outcomes_may_be_objects_and_numpy_values_are_stored_plainly(
    workspace: Workspace,
) -> None:
    _register(workspace, 1)
    gates = [_Outcome("auc_min", "threshold", True, np.float32(0.5), 0.4, 0.1, "ok"),
             _WithToDict()]  # fmt: skip
    stored = registry.record_evaluation(
        "churn", 1, passed=True, gates=gates,
        metrics={"roc_auc": np.float64(0.81), "confusion": np.array([[1, 2], [3, 4]])},
        report_hashes={"html": "ef" * 32}, run_id=None, workspace=workspace,
    )  # fmt: skip
    latest = registry.latest_evaluation("churn", 1, workspace=workspace)
    assert latest == stored
    assert latest.metrics == {"roc_auc": 0.81, "confusion": [[1, 2], [3, 4]]}
    assert [(g["name"], g["passed"], g["observed"]) for g in latest.gates] == [
        ("auc_min", True, 0.5), ("parity", True, 0.04),
    ]  # fmt: skip
    with pytest.raises(UsageError, match="is a int, not a mapping"):
        registry.record_evaluation("churn", 1, passed=True, gates=[3], metrics={},
                                   report_hashes={}, run_id=None, workspace=workspace)  # fmt: skip


def test_policies_are_listed_and_lifted(workspace: Workspace) -> None:
    _register(workspace, 1)
    registry.set_policy("churn", "production", gates=["*"], require_approval=True,
                        workspace=workspace)  # fmt: skip
    registry.set_policy("churn", "staging", gates=["auc_min"], workspace=workspace)
    assert [(p.alias, p.gates) for p in registry.list_policies("churn", workspace=workspace)] == [
        ("production", ("*",)), ("staging", ("auc_min",)),
    ]  # fmt: skip
    assert registry.delete_policy("churn", "production", workspace=workspace)
    assert registry.get_policy("churn", "production", workspace=workspace) is None
    registry.promote("churn", 1, "production", workspace=workspace)  # unrestricted again


def test_the_error_tells_what_to_do() -> None:
    error = PolicyViolationError("churn/2 does not meet the policy.", reasons=["x"])
    assert error.exit_code == 1
    assert error.http_status == 409
    assert error.hint is not None
    assert "shipyard approve" in error.hint and "--force --reason" in error.hint
