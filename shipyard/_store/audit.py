"""The audit log: who did what to which target, when, and why. Append-only, and a hash chain
(``audit_chain``): every event records the claimed actor and the origin Shipyard observed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from shipyard._store.audit_chain import AuditVerdict, append, verify
from shipyard._store.database import Database
from shipyard._store.records import AuditRecord
from shipyard._store.tables import AuditEvent
from shipyard.core.clock import utcnow
from shipyard.core.origin import observed_origin


def record_event(
    session: Session,
    *,
    actor: str,
    action: str,
    target_type: str,
    target: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> None:
    """Add an audit event inside the caller's transaction, so it commits with the change; it
    is chained to the event before it, and records this process's observed origin."""
    append(
        session,
        AuditEvent(
            time=utcnow(),
            actor=actor,
            action=action,
            target_type=target_type,
            target=target,
            before=before,
            after=after,
            reason=reason,
            origin=observed_origin(),
        ),
    )


class AuditRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def list(
        self,
        *,
        target_type: str | None = None,
        target: str | None = None,
        model: str | None = None,
        action: str | None = None,
        limit: int | None = 100,
        newest_first: bool = True,
    ) -> list[AuditRecord]:
        order = AuditEvent.id.desc() if newest_first else AuditEvent.id.asc()
        query = select(AuditEvent).order_by(order)
        if target_type is not None:
            query = query.where(AuditEvent.target_type == target_type)
        if target is not None:
            query = query.where(AuditEvent.target == target)
        if model is not None:  # events about the model's versions (NAME/N) and aliases (NAME@A)
            query = query.where(
                or_(
                    AuditEvent.target.startswith(f"{model}/", autoescape=True),
                    AuditEvent.target.startswith(f"{model}@", autoescape=True),
                )
            )
        if action is not None:
            query = query.where(AuditEvent.action == action)
        if limit is not None:
            query = query.limit(limit)
        with self._db.read() as session:
            return [
                AuditRecord(
                    e.id,
                    e.time,
                    e.actor,
                    e.action,
                    e.target_type,
                    e.target,
                    e.before,
                    e.after,
                    e.reason,
                    e.origin,
                    e.hash,
                )
                for e in session.scalars(query)
            ]

    def record(
        self,
        *,
        actor: str,
        action: str,
        target_type: str,
        target: str,
        after: dict[str, Any] | None = None,
        reason: str | None = None,
    ) -> AuditRecord:
        """Append one event on its own (a statement that changes nothing else, such as a
        scorecard attestation) and return it as stored."""
        with self._db.write() as session:
            record_event(session, actor=actor, action=action, target_type=target_type,
                         target=target, after=after, reason=reason)  # fmt: skip
            event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
            assert event is not None
            return AuditRecord(event.id, event.time, event.actor, event.action,
                               event.target_type, event.target, event.before, event.after,
                               event.reason, event.origin, event.hash)  # fmt: skip

    def verify(self) -> AuditVerdict:
        """Walk the hash chain; name every changed or removed event and every alias whose
        target disagrees with the last event about it."""
        with self._db.read() as session:
            return verify(session)
