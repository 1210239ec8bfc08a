"""The promotion repository: evaluations, alias policies and approvals, each audited."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from shipyard._store.tables import Base
from shipyard._store.workspace import Workspace
from shipyard.core.errors import ConflictError, NotFoundError, UsageError

OUR_TABLES = {"evaluations", "promotion_policies", "approvals"}


def _gate(name: str, passed: bool, **extra: Any) -> dict[str, Any]:
    return {"name": name, "kind": "threshold", "passed": passed, "observed": 0.8,
            "threshold": 0.75, "margin": 0.05, "message": f"{name} message", **extra}  # fmt: skip


def _register(workspace: Workspace, count: int = 1, name: str = "churn") -> None:
    for _ in range(count):
        workspace.models.create_version(
            name, package_hash="ab" * 32, flavor="python", signature=None,
            source_run_id=None, actor="trainer",
        )  # fmt: skip


def test_the_migration_creates_exactly_the_tables_the_models_declare(
    workspace: Workspace,
) -> None:
    with workspace.db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)

    def table_of(diff: Any) -> str:
        op = diff[0] if isinstance(diff, list) else diff  # modify_* come wrapped in a list
        kind, subject = op[0], op[1]
        if kind.endswith("_table"):
            return str(subject.name)
        if kind.endswith("_fk"):
            return str(subject.parent.name)
        if kind.endswith(("_index", "_constraint")):
            return str(subject.table.name)
        return str(op[2])  # add_column / modify_type …: (kind, schema, table, …)

    assert [d for d in differences if table_of(d) in OUR_TABLES] == []


def test_evaluations_are_kept_newest_first_and_audited(workspace: Workspace) -> None:
    _register(workspace, 2)
    with pytest.raises(NotFoundError, match="no version 3"):
        workspace.promotion.record_evaluation(
            "churn", 3, passed=True, gates=[], metrics={}, report_hashes={}, run_id=None,
            actor="ci",
        )  # fmt: skip
    assert workspace.promotion.latest_evaluation("churn", 1) is None

    first = workspace.promotion.record_evaluation(
        "churn", 1, passed=False, gates=[_gate("auc_min", False), _gate("size", True)],
        metrics={"auc": 0.7}, report_hashes={"markdown": "cd" * 32, "html": "ef" * 32},
        run_id=None, actor="ci",
    )  # fmt: skip
    second = workspace.promotion.record_evaluation(
        "churn", 1, passed=True, gates=[{"name": "auc_min", "passed": True}],
        metrics={"auc": 0.8}, report_hashes={}, run_id=None, actor="ci",
    )  # fmt: skip

    latest = workspace.promotion.latest_evaluation("churn", 1)
    assert latest == second
    assert latest.gates == ({"name": "auc_min", "kind": None, "passed": True, "observed": None,
                             "threshold": None, "margin": None, "message": None},)  # fmt: skip
    assert [e.id for e in workspace.promotion.evaluations("churn", 1)] == [second.id, first.id]
    assert [g["name"] for g in first.failed_gates] == ["auc_min"]
    assert first.report_hashes == {"markdown": "cd" * 32, "html": "ef" * 32}
    assert workspace.promotion.latest_evaluation("churn", 2) is None

    events = workspace.audit.list(action="version.evaluate")
    assert [(e.target, e.actor, e.after) for e in events] == [
        ("churn/1", "ci", {"passed": True, "failed_gates": [], "run": None}),
        ("churn/1", "ci", {"passed": False, "failed_gates": ["auc_min"], "run": None}),
    ]


def test_an_evaluation_names_a_real_run_and_well_formed_gates(workspace: Workspace) -> None:
    _register(workspace)
    record: dict[str, Any] = {"passed": True, "metrics": {}, "report_hashes": {}, "actor": "ci"}
    with pytest.raises(NotFoundError, match="Run nope does not exist"):
        workspace.promotion.record_evaluation("churn", 1, gates=[], run_id="nope", **record)
    with pytest.raises(UsageError, match=r"gates\[1\] has no name"):
        workspace.promotion.record_evaluation(
            "churn", 1, gates=[_gate("a", True), {"passed": True}], run_id=None, **record
        )
    with pytest.raises(UsageError, match="'a' does not say whether it passed"):
        workspace.promotion.record_evaluation(
            "churn", 1, gates=[{"name": "a", "passed": "yes"}], run_id=None, **record
        )
    with pytest.raises(UsageError, match="is not a format name and a blob hash"):
        workspace.promotion.record_evaluation(
            "churn", 1, passed=True, gates=[], metrics={}, report_hashes={"html": ""},
            run_id=None, actor="ci",
        )  # fmt: skip
    assert workspace.promotion.evaluations("churn", 1) == []

    run = workspace.runs.create(project="p", name="evaluate", kind="evaluate")
    stored = workspace.promotion.record_evaluation("churn", 1, gates=[], run_id=run.id, **record)
    assert stored.run_id == run.id


def test_a_policy_is_set_once_per_alias_and_each_change_audited(workspace: Workspace) -> None:
    policy = workspace.promotion.set_policy(
        "fraud", "production", gates=["auc_min", "auc_min", "parity"], require_approval=True,
        actor="lead",
    )  # fmt: skip
    assert (policy.model_name, policy.alias, policy.gates, policy.require_approval) == (
        "fraud", "production", ("auc_min", "parity"), True,
    )  # fmt: skip
    assert workspace.models.get_model("fraud").latest_version is None  # created on first use
    workspace.promotion.set_policy(
        "fraud", "production", gates=["auc_min", "parity"], require_approval=True, actor="x"
    )
    workspace.promotion.set_policy("fraud", "staging", gates=["*"], require_approval=False,
                                   actor="lead")  # fmt: skip
    assert workspace.promotion.get_policy("fraud", "production") == policy  # unchanged
    assert workspace.promotion.get_policy("fraud", "canary") is None
    assert [p.alias for p in workspace.promotion.list_policies("fraud")] == [
        "production", "staging",
    ]  # fmt: skip
    assert workspace.promotion.get_policy("fraud", "staging").all_gates  # type: ignore[union-attr]

    assert workspace.promotion.delete_policy("fraud", "staging", actor="lead")
    assert not workspace.promotion.delete_policy("fraud", "staging", actor="lead")

    events = workspace.audit.list(model="fraud", newest_first=False)
    assert [(e.action, e.target, e.before, e.after) for e in events] == [
        ("policy.set", "fraud@production", None,
         {"gates": ["auc_min", "parity"], "require_approval": True}),
        ("policy.set", "fraud@staging", None, {"gates": ["*"], "require_approval": False}),
        ("policy.delete", "fraud@staging", {"gates": ["*"], "require_approval": False}, None),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("gates", "message"),
    [("auc_min", "not the string"), (["*", "auc"], "list it alone"), ([" "], "empty")],
)
def test_a_malformed_policy_is_refused(workspace: Workspace, gates: Any, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        workspace.promotion.set_policy(
            "fraud", "production", gates=gates, require_approval=False, actor="x"
        )
    with pytest.raises(UsageError, match="not a valid alias"):
        workspace.promotion.set_policy("fraud", "9prod", gates=[], require_approval=False,
                                       actor="x")  # fmt: skip


def test_approvals_are_per_alias_and_a_rejected_version_cannot_be_approved(
    workspace: Workspace,
) -> None:
    _register(workspace, 2)
    workspace.promotion.approve("churn", 1, "production", actor="ana", comment="reviewed")
    workspace.promotion.approve("churn", 1, "staging", actor="bo", comment=None)
    assert [(a.alias, a.actor, a.comment) for a in
            workspace.promotion.approvals("churn", 1)] == [
        ("production", "ana", "reviewed"), ("staging", "bo", None),
    ]  # fmt: skip
    assert [a.actor for a in workspace.promotion.approvals("churn", 1, "staging")] == ["bo"]
    assert workspace.promotion.approvals("churn", 2) == []

    workspace.models.set_status("churn", 2, "rejected", actor="ci")
    with pytest.raises(ConflictError, match="churn/2 is rejected"):
        workspace.promotion.approve("churn", 2, "production", actor="ana", comment=None)
    with pytest.raises(NotFoundError, match="'ghost' is not registered"):
        workspace.promotion.approve("ghost", 1, "production", actor="ana", comment=None)

    event = workspace.audit.list(action="version.approve")[-1]
    assert (event.actor, event.target, event.after, event.reason) == (
        "ana", "churn/1", {"alias": "production"}, "reviewed",
    )  # fmt: skip


def test_the_promotion_state_gathers_what_a_check_reads(workspace: Workspace) -> None:
    _register(workspace)
    state = workspace.promotion.promotion_state("churn", 1, "production")
    assert (state.version.ref, state.policy, state.evaluation, state.approvals) == (
        "churn/1", None, None, (),
    )  # fmt: skip
    workspace.promotion.set_policy("churn", "production", gates=["*"], require_approval=True,
                                   actor="lead")  # fmt: skip
    workspace.promotion.approve("churn", 1, "production", actor="ana", comment=None)
    workspace.promotion.approve("churn", 1, "staging", actor="ana", comment=None)
    evaluation = workspace.promotion.record_evaluation(
        "churn", 1, passed=True, gates=[_gate("auc_min", True)], metrics={}, report_hashes={},
        run_id=None, actor="ci",
    )  # fmt: skip
    state = workspace.promotion.promotion_state("churn", 1, "production")
    assert state.policy is not None and state.policy.gates == ("*",)
    assert state.evaluation == evaluation
    assert [a.alias for a in state.approvals] == ["production"]
