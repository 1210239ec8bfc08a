"""Promotion policies: which evaluation gates must hold, and whether a person must approve,
before an alias of a model may move to a version.

A policy belongs to one alias (``churn@production``). ``check_policy`` judges a version
against it from what the store records: the version's status, its newest evaluation and its
approvals for that alias. With no policy for an alias, anything ready may be promoted.
A policy may also require marks a version earns elsewhere: ``tested``, given by
``shipyard ci`` when every stage passed (:func:`mark_version`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shipyard._store.models import READY
from shipyard._store.promotion import Actor, PromotionState
from shipyard._store.records import (
    ApprovalRecord,
    AuditRecord,
    EvaluationRecord,
    PolicyRecord,
)
from shipyard._store.workspace import Workspace, workspace_for
from shipyard.core.errors import UsageError
from shipyard.core.origin import observed_origin, person
from shipyard.models.plain import to_plain
from shipyard.registry.refs import needs_alias, version_ref


@dataclass(frozen=True)
class PolicyVerdict:
    """Whether ``model/version`` may go to ``alias``, and if not, every reason why not."""

    allowed: bool
    reasons: tuple[str, ...]
    model: str = ""
    version: int = 0
    alias: str = ""
    status: str = ""
    policy: PolicyRecord | None = None
    evaluation: EvaluationRecord | None = None
    approvals: tuple[ApprovalRecord, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "allowed": self.allowed, "reasons": list(self.reasons), "model": self.model,
            "version": self.version, "alias": self.alias, "status": self.status,
            "policy": None if self.policy is None else self.policy.to_dict(),
            "evaluation": None if self.evaluation is None else self.evaluation.to_dict(),
            "approvals": [approval.to_dict() for approval in self.approvals],
        }  # fmt: skip


def record_evaluation(
    name: str,
    version: int | None = None,
    *,
    passed: bool,
    gates: Sequence[Any],
    metrics: Mapping[str, Any],
    report_hashes: Mapping[str, str],
    run_id: str | None,
    actor: str | None = None,
    workspace: Workspace | None = None,
    feature_importance: Mapping[str, Any] | None = None,
) -> EvaluationRecord:
    """Store the evaluation of ``name/version``: each gate's outcome (a mapping, or an object
    with ``to_dict()``, with at least ``name`` and ``passed``), the metrics, the report blobs
    (``{"markdown": hash, "html": hash}``), the run that evaluated it, and the evaluation's
    ``feature_importance`` section when it measured one."""
    name, number = version_ref(name, version)
    ws = workspace or workspace_for()
    return ws.promotion.record_evaluation(
        name, number, passed=passed, gates=[_gate_dict(gate) for gate in gates],
        metrics=to_plain(dict(metrics)), report_hashes=report_hashes, run_id=run_id,
        actor=actor or ws.actor,
        feature_importance=None if feature_importance is None else to_plain(feature_importance),
    )  # fmt: skip


def latest_evaluation(
    name: str, version: int | None = None, *, workspace: Workspace | None = None
) -> EvaluationRecord | None:
    """The newest evaluation of ``name/version`` (or of ``name`` = ``"churn/3"``), or None
    when it was never evaluated."""
    name, number = version_ref(name, version)
    return (workspace or workspace_for()).promotion.latest_evaluation(name, number)


def set_policy(
    name: str,
    alias: str,
    *,
    gates: Sequence[str],
    require_approval: bool = False,
    distinct_approver: bool = False,
    requires: Sequence[str] = (),
    actor: str | None = None,
    workspace: Workspace | None = None,
) -> PolicyRecord:
    """Require ``gates`` (names, or ``["*"]`` for every gate) to have passed in a version's
    newest evaluation, with ``require_approval`` an approval, and the marks in ``requires``
    (``["tested"]``), before ``name@alias`` may move to it. With ``distinct_approver`` (four
    eyes) only an approval by someone other than who registered the version and who promotes
    it counts: they must differ both in the actor they claim and in the OS user and host
    Shipyard observed. Setting the same policy again changes nothing."""
    ws = workspace or workspace_for()
    return ws.promotion.set_policy(
        name, alias, gates=gates, require_approval=require_approval, requires=requires,
        actor=actor or ws.actor, approval_distinct=distinct_approver,
    )  # fmt: skip


def mark_version(
    name: str,
    version: int,
    mark: str = "tested",
    *,
    details: Mapping[str, Any] | None = None,
    actor: str | None = None,
    workspace: Workspace | None = None,
) -> None:
    """Give ``name/version`` a mark (audited as ``version.mark`` with ``details``, e.g. the CI
    run's id and commit) that promotion policies can require."""
    ws = workspace or workspace_for()
    ws.promotion.mark(
        name, version, mark, actor=actor or ws.actor, details=to_plain(dict(details or {}))
    )


def version_marks(
    name: str, version: int, *, workspace: Workspace | None = None
) -> list[AuditRecord]:
    """The marks ``name/version`` earned, oldest first (each an audit event)."""
    return (workspace or workspace_for()).promotion.marks(name, version)


def get_policy(name: str, alias: str, *, workspace: Workspace | None = None) -> PolicyRecord | None:
    """The policy of ``name@alias``, or None when promotion to it is unrestricted."""
    return (workspace or workspace_for()).promotion.get_policy(name, alias)


def list_policies(name: str, *, workspace: Workspace | None = None) -> list[PolicyRecord]:
    """Every alias policy of model ``name``, by alias."""
    return (workspace or workspace_for()).promotion.list_policies(name)


def delete_policy(
    name: str, alias: str, *, actor: str | None = None, workspace: Workspace | None = None
) -> bool:
    """Lift the policy of ``name@alias``; returns whether there was one."""
    ws = workspace or workspace_for()
    return ws.promotion.delete_policy(name, alias, actor=actor or ws.actor)


def approve(
    name: str,
    version: int | None = None,
    alias: str | None = None,
    *,
    comment: str | None = None,
    actor: str | None = None,
    workspace: Workspace | None = None,
) -> ApprovalRecord:
    """Record ``actor``'s approval of ``name/version`` for ``alias`` (audited); the version may
    be given in ``name``: ``approve("churn/3", alias="production")``."""
    name, number = version_ref(name, version)
    ws = workspace or workspace_for()
    return ws.promotion.approve(name, number, needs_alias(alias, name, number),
                                actor=actor or ws.actor, comment=comment)  # fmt: skip


def check_policy(
    name: str,
    version: int | None = None,
    alias: str | None = None,
    *,
    actor: str | None = None,
    workspace: Workspace | None = None,
) -> PolicyVerdict:
    """Judge ``name/version`` against the policy of ``name@alias`` (``name`` may be
    ``"churn/3"``), as promoted by ``actor`` (default: the workspace's actor) from this
    process."""
    name, number = version_ref(name, version)
    ws = workspace or workspace_for()
    promoter = Actor(actor or ws.actor, observed_origin())
    return judge(
        ws.promotion.promotion_state(name, number, needs_alias(alias, name, number)), promoter
    )


def judge(state: PromotionState, promoter: Actor | None = None) -> PolicyVerdict:
    """The verdict on what the store records: every unmet requirement is one reason."""
    policy, evaluation, ref = state.policy, state.evaluation, state.version.ref
    reasons: list[str] = []
    if policy is not None:
        if state.version.status != READY:
            reasons.append(f"{ref} is {state.version.status}")
        if policy.gates:
            reasons.extend(_gate_reasons(policy, evaluation, ref))
        if policy.require_approval and not state.approvals:
            reasons.append(f"{ref} has no approval for {state.alias!r}")
        elif policy.require_approval and policy.approval_distinct:
            reasons.extend(_four_eyes(state, promoter))
        reasons.extend(f"{ref} is not {mark}" for mark in policy.requires
                       if mark not in state.marks)  # fmt: skip
    return PolicyVerdict(
        allowed=not reasons, reasons=tuple(reasons), model=state.version.model_name,
        version=state.version.version, alias=state.alias, status=state.version.status,
        policy=policy, evaluation=evaluation,
        approvals=state.approvals,
    )  # fmt: skip


def _gate_reasons(policy: PolicyRecord, evaluation: EvaluationRecord | None, ref: str) -> list[str]:
    if evaluation is None:
        return [f"no evaluation is recorded for {ref}"]
    outcomes = {str(gate["name"]): gate for gate in evaluation.gates}
    required = list(outcomes) if policy.all_gates else list(policy.gates)
    reasons: list[str] = []
    for name in required:
        outcome = outcomes.get(name)
        if outcome is None:
            reasons.append(f"gate {name!r} was not evaluated")
        elif not outcome.get("passed"):
            message = outcome.get("message")
            reasons.append(f"gate {name!r} failed" + (f": {message}" if message else ""))
    if policy.all_gates and not required:
        reasons.append(f"the evaluation of {ref} ran no gates")
    if policy.all_gates and not evaluation.passed and not reasons:
        reasons.append(f"the evaluation of {ref} did not pass")
    return reasons


def _four_eyes(state: PromotionState, promoter: Actor | None) -> list[str]:
    """Unless an approval comes from someone other than the registrant and the promoter (by
    claimed actor and by observed ``user@host``), the one reason why not."""
    others = [who for who in (state.registered_by, promoter) if who is not None]
    for approval in state.approvals:
        approver = Actor(approval.actor, approval.origin)
        if person(approver.origin) is not None and all(_distinct(approver, o) for o in others):
            return []
    names = ", ".join(f"{a.actor} ({person(a.origin) or 'origin unknown'})" for a in
                      state.approvals)  # fmt: skip
    return [
        f"{state.version.ref} needs an approval for {state.alias!r} by a second person, not who "
        f"registered or promotes it; approved only by {names}"
    ]


def _distinct(one: Actor, other: Actor) -> bool:
    return one.actor != other.actor and person(one.origin) != person(other.origin)


def _gate_dict(gate: Any) -> dict[str, Any]:
    """A gate outcome as plain JSON values, whatever shape the evaluation gave it."""
    if isinstance(gate, Mapping):
        raw = dict(gate)
    elif callable(getattr(gate, "to_dict", None)):
        raw = gate.to_dict()
    elif dataclasses.is_dataclass(gate) and not isinstance(gate, type):
        raw = dataclasses.asdict(gate)
    else:
        raise UsageError(
            f"A gate outcome is a {type(gate).__name__}, not a mapping.",
            hint="Pass dicts with name, kind, passed, observed, threshold, margin, message.",
        )
    plain: dict[str, Any] = to_plain(raw)
    return plain
