"""What promotion is judged by: a version's evaluations, each alias's promotion policy, and
the approvals people give. Every change writes an audit event in the same transaction:
``version.evaluate`` and ``version.approve`` (target type ``model_version``, target
``NAME/N``) and ``policy.set`` / ``policy.delete`` (target type ``policy``, target
``NAME@ALIAS``, so ``shipyard audit --model NAME`` lists them with the alias moves), and
``version.mark`` when a version earns a mark such as ``tested``. A policy's required marks are
kept in its ``gates`` column as ``require:MARK`` entries (no column of their own).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shipyard._store.audit import AuditRepository, record_event
from shipyard._store.database import Database
from shipyard._store.datasets import _check_run
from shipyard._store.evaluations import (
    check_gate,
    check_report_hashes,
    evaluation_record,
    with_importance,
)
from shipyard._store.marks import MARK_ACTION, REQUIRE, check_marks, marks_of, split_marks
from shipyard._store.models import READY, _model_row, _version_record, lock_model, version_row
from shipyard._store.records import (
    ALL_GATES,
    ApprovalRecord,
    AuditRecord,
    EvaluationRecord,
    ModelVersionRecord,
    PolicyRecord,
)
from shipyard._store.tables import (
    Approval,
    AuditEvent,
    Evaluation,
    Model,
    ModelVersion,
    PromotionPolicy,
)
from shipyard._store.upsert import insert_ignore
from shipyard.core.clock import utcnow
from shipyard.core.errors import ConflictError, UsageError
from shipyard.core.ids import new_id
from shipyard.core.names import check_alias, check_model_name
from shipyard.core.origin import observed_origin


@dataclass(frozen=True)
class PromotionState:
    """Everything a policy check reads about one version and one alias, read at one moment."""

    version: ModelVersionRecord
    alias: str
    policy: PolicyRecord | None
    evaluation: EvaluationRecord | None
    approvals: tuple[ApprovalRecord, ...]
    registered_by: Actor | None = None
    """Who registered the version: the claimed actor and the observed origin of its
    ``version.create`` event (None when the log has no such event)."""

    marks: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Actor:
    """Someone who acted: the name they claimed and the origin Shipyard observed."""

    actor: str
    origin: dict[str, Any] | None


class PromotionRepository:
    """Evaluations, promotion policies and approvals. Every method is one transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # -- evaluations -----------------------------------------------------------------------

    def record_evaluation(
        self,
        name: str,
        version: int,
        *,
        passed: bool,
        gates: Sequence[Mapping[str, Any]],
        metrics: Mapping[str, Any],
        report_hashes: Mapping[str, str],
        run_id: str | None,
        actor: str,
        feature_importance: Mapping[str, Any] | None = None,
    ) -> EvaluationRecord:
        """Store an evaluation of ``name/version``; the newest one is what policies read.
        ``feature_importance`` (a mapping) is kept beside the metrics."""
        outcomes = [check_gate(gate, index) for index, gate in enumerate(gates)]
        hashes = check_report_hashes(report_hashes)
        with self._db.write() as session:
            model = _model_row(session, name)
            target = version_row(session, model, version)
            if run_id is not None:
                _check_run(session, run_id)
            row = Evaluation(
                id=new_id(), version_id=target.id, run_id=run_id, passed=bool(passed),
                gates=outcomes, metrics=with_importance(metrics, feature_importance),
                report_hashes=hashes, created_at=utcnow(),
            )  # fmt: skip
            session.add(row)
            failed = [gate["name"] for gate in outcomes if not gate["passed"]]
            record_event(
                session, actor=actor, action="version.evaluate", target_type="model_version",
                target=f"{name}/{version}",
                after={"passed": bool(passed), "failed_gates": failed, "run": run_id},
            )  # fmt: skip
            session.flush()
            return evaluation_record(name, version, row)

    def latest_evaluation(self, name: str, version: int) -> EvaluationRecord | None:
        evaluations = self.evaluations(name, version, limit=1)
        return evaluations[0] if evaluations else None

    def evaluations(
        self, name: str, version: int, *, limit: int | None = None
    ) -> list[EvaluationRecord]:
        """The evaluations of ``name/version``, newest first."""
        with self._db.read() as session:
            target = version_row(session, _model_row(session, name), version)
            return _evaluations(session, name, target, limit)

    # -- policies --------------------------------------------------------------------------

    def set_policy(
        self,
        name: str,
        alias: str,
        *,
        gates: Sequence[str],
        require_approval: bool,
        actor: str,
        approval_distinct: bool = False,
        requires: Sequence[str] = (),
    ) -> PolicyRecord:
        """Set the policy of ``name@alias`` (the model is created on first use, so a policy can
        be declared before the first version is registered)."""
        check_model_name(name)
        check_alias(alias)
        wanted = _check_gate_names(gates) + [REQUIRE + mark for mark in check_marks(requires)]
        with self._db.write() as session:
            insert_ignore(
                session,
                Model.__table__,  # type: ignore[arg-type]
                [{"id": new_id(), "name": name, "created_at": utcnow()}],
            )
            model = lock_model(session, name)
            row = session.get(PromotionPolicy, (model.id, alias))
            before = None if row is None else _policy_state(row)
            distinct = bool(require_approval and approval_distinct)
            after = _policy_document(wanted, bool(require_approval), distinct)
            if row is not None and before == after:  # the same policy again changes nothing
                return _policy_record(name, row)
            if row is None:
                row = PromotionPolicy(model_id=model.id, alias=alias)
                session.add(row)
            row.gates, row.require_approval = wanted, bool(require_approval)
            row.approval_distinct = distinct
            row.updated_at, row.updated_by = utcnow(), actor
            record_event(
                session, actor=actor, action="policy.set", target_type="policy",
                target=f"{name}@{alias}", before=before, after=after,
            )  # fmt: skip
            session.flush()
            return _policy_record(name, row)

    def delete_policy(self, name: str, alias: str, *, actor: str) -> bool:
        """Remove the policy of ``name@alias``; returns whether there was one."""
        with self._db.write() as session:
            model = lock_model(session, name)
            row = session.get(PromotionPolicy, (model.id, alias))
            if row is None:
                return False
            record_event(
                session, actor=actor, action="policy.delete", target_type="policy",
                target=f"{name}@{alias}", before=_policy_state(row),
            )  # fmt: skip
            session.delete(row)
            return True

    def get_policy(self, name: str, alias: str) -> PolicyRecord | None:
        with self._db.read() as session:
            row = session.get(PromotionPolicy, (_model_row(session, name).id, alias))
            return None if row is None else _policy_record(name, row)

    def list_policies(self, name: str) -> list[PolicyRecord]:
        with self._db.read() as session:
            model = _model_row(session, name)
            rows = session.scalars(
                select(PromotionPolicy)
                .where(PromotionPolicy.model_id == model.id)
                .order_by(PromotionPolicy.alias)
            )
            return [_policy_record(name, row) for row in rows]

    # -- approvals -------------------------------------------------------------------------

    def approve(
        self, name: str, version: int, alias: str, *, actor: str, comment: str | None
    ) -> ApprovalRecord:
        """Record that ``actor`` approves ``name/version`` for ``alias``."""
        check_alias(alias)
        with self._db.write() as session:
            model = lock_model(session, name)
            target = version_row(session, model, version)
            if target.status != READY:
                raise ConflictError(
                    f"{name}/{version} is {target.status}; an approval would not let it through.",
                    hint="Approve another version, or promote this one with --force --reason.",
                )
            row = Approval(
                id=new_id(), version_id=target.id, alias=alias, actor=actor, comment=comment,
                created_at=utcnow(), origin=observed_origin(),
            )  # fmt: skip
            session.add(row)
            record_event(
                session, actor=actor, action="version.approve", target_type="model_version",
                target=f"{name}/{version}", after={"alias": alias}, reason=comment,
            )  # fmt: skip
            session.flush()
            return _approval_record(name, version, row)

    def approvals(self, name: str, version: int, alias: str | None = None) -> list[ApprovalRecord]:
        """Approvals of ``name/version`` (for ``alias``, or every alias), oldest first."""
        with self._db.read() as session:
            target = version_row(session, _model_row(session, name), version)
            return _approvals(session, name, target, alias)

    # -- marks ---------------------------------------------------------------------------------

    def mark(
        self, name: str, version: int, mark: str, *, actor: str, details: Mapping[str, Any]
    ) -> None:
        """Give ``name/version`` the ``mark`` (audited, with ``details`` such as the run)."""
        check_marks([mark])
        with self._db.write() as session:
            version_row(session, lock_model(session, name), version)
            record_event(
                session, actor=actor, action=MARK_ACTION, target_type="model_version",
                target=f"{name}/{version}", after={"mark": mark, **dict(details)},
            )  # fmt: skip

    def marks(self, name: str, version: int) -> list[AuditRecord]:
        """The mark events of ``name/version``, oldest first."""
        return AuditRepository(self._db).list(
            target_type="model_version", target=f"{name}/{version}", action=MARK_ACTION,
            limit=None, newest_first=False,
        )  # fmt: skip

    # -- what a policy check reads ---------------------------------------------------------

    def promotion_state(self, name: str, version: int, alias: str) -> PromotionState:
        """The version, the alias's policy, the newest evaluation and the approvals, read in
        one transaction so they are consistent with each other."""
        with self._db.read() as session:
            model = _model_row(session, name)
            target = version_row(session, model, version)
            policy = session.get(PromotionPolicy, (model.id, alias))
            evaluations = _evaluations(session, name, target, 1)
            return PromotionState(
                version=_version_record(name, target, ()),
                alias=alias,
                policy=None if policy is None else _policy_record(name, policy),
                evaluation=evaluations[0] if evaluations else None,
                approvals=tuple(_approvals(session, name, target, alias)),
                registered_by=_registrant(session, f"{name}/{version}"),
                marks=marks_of(session, f"{name}/{version}"),
            )


def _check_gate_names(gates: Sequence[str]) -> list[str]:
    if isinstance(gates, str):
        raise UsageError(
            f"gates must be a list of gate names, not the string {gates!r}.",
            hint='Write gates=["auc_min"], or gates=["*"] for every gate.',
        )
    names = [str(gate).strip() for gate in gates]
    if any(not name for name in names):
        raise UsageError("A gate name in a promotion policy is empty.")
    if any(name.startswith(REQUIRE) for name in names):
        raise UsageError("A gate name may not start with 'require:'.", hint="Pass requires=[...].")
    if ALL_GATES in names and len(names) > 1:
        raise UsageError('"*" already means every gate; list it alone.', hint='Write gates=["*"].')
    return list(dict.fromkeys(names))


def _evaluations(
    session: Session, name: str, target: ModelVersion, limit: int | None
) -> list[EvaluationRecord]:
    query = (
        select(Evaluation)
        .where(Evaluation.version_id == target.id)
        .order_by(Evaluation.created_at.desc(), Evaluation.id.desc())
        .limit(limit)
    )
    return [evaluation_record(name, target.version, row) for row in session.scalars(query)]


def _approvals(
    session: Session, name: str, target: ModelVersion, alias: str | None
) -> list[ApprovalRecord]:
    query = select(Approval).where(Approval.version_id == target.id)
    if alias is not None:
        query = query.where(Approval.alias == alias)
    query = query.order_by(Approval.created_at, Approval.id)
    return [_approval_record(name, target.version, row) for row in session.scalars(query)]


def _registrant(session: Session, target: str) -> Actor | None:
    event = session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.target_type == "model_version",
            AuditEvent.target == target,
            AuditEvent.action == "version.create",
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).first()
    return None if event is None else Actor(event.actor, event.origin)


def _policy_state(row: PromotionPolicy) -> dict[str, Any]:
    return _policy_document(list(row.gates), row.require_approval, bool(row.approval_distinct))


def _policy_document(stored: Sequence[str], approval: bool, distinct: bool) -> dict[str, Any]:
    """A policy as the audit log records it (``requires`` and ``approval_distinct`` only when
    set); ``stored`` is the gates column, which also holds the required marks."""
    gates, requires = split_marks(stored)
    document: dict[str, Any] = {"gates": list(gates), "require_approval": approval}
    if requires:
        document["requires"] = list(requires)
    if distinct:
        document["approval_distinct"] = True
    return document


def _policy_record(name: str, row: PromotionPolicy) -> PolicyRecord:
    gates, requires = split_marks(row.gates)
    return PolicyRecord(
        model_name=name, alias=row.alias, gates=gates, requires=requires,
        require_approval=row.require_approval, updated_at=row.updated_at,
        updated_by=row.updated_by, approval_distinct=bool(row.approval_distinct),
    )  # fmt: skip


def _approval_record(name: str, version: int, row: Approval) -> ApprovalRecord:
    return ApprovalRecord(
        id=row.id, model_name=name, version=version, alias=row.alias, actor=row.actor,
        comment=row.comment, created_at=row.created_at, origin=row.origin,
    )  # fmt: skip
