"""Rollouts: the state of each progressive rollout, kept so that a controller killed at any
moment can be resumed from the step it recorded.

A deployment has at most one *active* rollout (running or paused): the row's ``active_key``
holds the deployment's name while it is active, under a unique constraint, so a second start
fails in the database itself whatever the race. Every change writes its audit event in the
same transaction (target type ``deployment``, target the deployment's name).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shipyard._store.audit import record_event
from shipyard._store.database import Database
from shipyard._store.records import Record
from shipyard._store.tables import Rollout
from shipyard.core.clock import utcnow
from shipyard.core.errors import ConflictError, NotFoundError
from shipyard.core.ids import new_id

ACTIVE = ("running", "paused")
FINAL = ("promoted", "rolled_back", "aborted", "failed")
STATUSES = (*ACTIVE, *FINAL)


@dataclass(frozen=True)
class RolloutRecord(Record):
    """One rollout: from ``stable_version`` to ``canary_version`` of ``model`` on
    ``deployment``, at ``spec["steps"][step_index]`` percent; ``history`` holds every
    decision with the figures that drove it, oldest first."""

    id: str
    deployment: str
    model: str
    alias: str
    stable_version: int
    canary_version: int
    status: str
    step_index: int
    spec: dict[str, Any]
    state: dict[str, Any]
    history: list[dict[str, Any]]
    reason: str | None
    actor: str
    started_at: datetime
    step_started_at: datetime
    heartbeat_at: datetime | None
    finished_at: datetime | None
    updated_at: datetime

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def canary_share(self) -> int:
        """The canary's share of traffic now, in percent (0 once the rollout is over, unless
        it was promoted)."""
        if self.status == "promoted":
            return 100
        if self.status in FINAL:
            return 0
        return int(self.spec["steps"][self.step_index])

    @property
    def target(self) -> str:
        return f"{self.model}/{self.canary_version}"


@dataclass(frozen=True)
class Change:
    """What one transition of a rollout sets (None: unchanged) and the audit event it
    writes: ``action`` (``rollout.decision``…), with ``details`` and ``reason``."""

    action: str
    details: Mapping[str, Any]
    reason: str | None = None
    status: str | None = None
    step_index: int | None = None
    new_step: bool = False
    state: Mapping[str, Any] | None = None
    entry: Mapping[str, Any] | None = None
    final_reason: str | None = None


def busy(deployment: str, active: RolloutRecord | None) -> ConflictError:
    """The refusal of a second rollout while ``active`` runs."""
    which = f" ({active.id}, {active.status}, to {active.target})" if active else ""
    return ConflictError(
        f"Deployment {deployment!r} already has an active rollout{which}.",
        hint=f"Wait for it, or end it: `shipyard rollout abort {deployment}`.",
    )


class RolloutRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def create(
        self,
        *,
        deployment: str,
        model: str,
        alias: str,
        stable_version: int,
        canary_version: int,
        spec: Mapping[str, Any],
        state: Mapping[str, Any],
        actor: str,
        reason: str | None,
    ) -> RolloutRecord:
        """Record a new running rollout (audited as ``rollout.start``); a deployment with an
        active rollout refuses a second with :class:`ConflictError`."""
        now = utcnow()
        row = Rollout(
            id=new_id(), deployment=deployment, model=model, alias=alias,
            stable_version=stable_version, canary_version=canary_version, status="running",
            active_key=deployment, step_index=0, spec=dict(spec), state=dict(state), history=[],
            reason=None, actor=actor, started_at=now, step_started_at=now, heartbeat_at=now,
            finished_at=None, created_at=now, updated_at=now,
        )  # fmt: skip
        try:
            with self._db.write() as session:
                session.add(row)
                session.flush()
                record_event(
                    session, actor=actor, action="rollout.start", target_type="deployment",
                    target=deployment, reason=reason,
                    after={"rollout": row.id, "model": model, "stable_version": stable_version,
                           "canary_version": canary_version, "alias": alias,
                           "steps": list(spec.get("steps", []))},
                )  # fmt: skip
                return _record(row)
        except IntegrityError:
            raise busy(deployment, self.active(deployment)) from None

    def change(
        self, rollout_id: str, change: Change, *, actor: str, expect: Iterable[str] = ACTIVE
    ) -> RolloutRecord:
        """Apply ``change`` to a rollout whose status is one of ``expect`` (else
        :class:`ConflictError`: another process paused, resumed or ended it first)."""
        with self._db.write() as session:
            row = _lock(session, rollout_id)
            if row.status not in tuple(expect):
                raise ConflictError(
                    f"Rollout {row.id} of {row.deployment!r} is {row.status}; it cannot "
                    f"{change.action.removeprefix('rollout.')} now.",
                    hint=f"See `shipyard rollout status {row.deployment}`.",
                )
            now = utcnow()
            if change.status is not None:
                row.status = change.status
                row.active_key = row.deployment if change.status in ACTIVE else None
                if change.status in FINAL:
                    row.finished_at = now
            if change.step_index is not None:
                row.step_index = change.step_index
            if change.new_step:
                row.step_started_at = now
            if change.state is not None:
                row.state = {**row.state, **dict(change.state)}
            if change.entry is not None:
                row.history = [*row.history, {"time": now.isoformat(), **dict(change.entry)}]
            if change.final_reason is not None:
                row.reason = change.final_reason
            row.heartbeat_at = row.updated_at = now
            details = {"rollout": row.id, "model": row.model,
                       "stable_version": row.stable_version,
                       "canary_version": row.canary_version, "status": row.status,
                       "step": row.spec["steps"][row.step_index],
                       **dict(change.details)}  # fmt: skip
            record_event(session, actor=actor, action=change.action, target_type="deployment",
                         target=row.deployment, after=details, reason=change.reason)  # fmt: skip
            if change.status == "rolled_back":  # the version's own record says so, and why
                record_event(session, actor=actor, action="version.rolled_back",
                             target_type="model_version",
                             target=f"{row.model}/{row.canary_version}",
                             after={"deployment": row.deployment, "rollout": row.id},
                             reason=change.final_reason)  # fmt: skip
            session.flush()
            return _record(row)

    def heartbeat(self, rollout_id: str) -> RolloutRecord:
        """Say the controller is alive (not audited: it is a measurement)."""
        with self._db.write() as session:
            row = _lock(session, rollout_id)
            row.heartbeat_at = utcnow()
            return _record(row)

    def get(self, rollout_id: str) -> RolloutRecord:
        with self._db.read() as session:
            row = session.get(Rollout, rollout_id)
            if row is None:
                raise NotFoundError(f"There is no rollout {rollout_id!r}.",
                                    hint="List them with `shipyard rollout list`.")  # fmt: skip
            return _record(row)

    def active(self, deployment: str) -> RolloutRecord | None:
        with self._db.read() as session:
            row = session.scalars(select(Rollout).where(Rollout.active_key == deployment)).first()
            return None if row is None else _record(row)

    def list(
        self, *, deployment: str | None = None, status: str | None = None, limit: int = 100
    ) -> list[RolloutRecord]:
        """Rollouts, newest first."""
        query = select(Rollout).order_by(Rollout.started_at.desc(), Rollout.id.desc())
        if deployment is not None:
            query = query.where(Rollout.deployment == deployment)
        if status is not None:
            query = query.where(Rollout.status == status)
        with self._db.read() as session:
            return [_record(row) for row in session.scalars(query.limit(limit))]


def _lock(session: Session, rollout_id: str) -> Rollout:
    row = session.scalars(select(Rollout).where(Rollout.id == rollout_id).with_for_update()).first()
    if row is None:
        raise NotFoundError(f"There is no rollout {rollout_id!r}.")
    return row


def _record(row: Rollout) -> RolloutRecord:
    return RolloutRecord(
        id=row.id, deployment=row.deployment, model=row.model, alias=row.alias,
        stable_version=row.stable_version, canary_version=row.canary_version, status=row.status,
        step_index=row.step_index, spec=dict(row.spec), state=dict(row.state),
        history=list(row.history), reason=row.reason, actor=row.actor,
        started_at=row.started_at, step_started_at=row.step_started_at,
        heartbeat_at=row.heartbeat_at, finished_at=row.finished_at, updated_at=row.updated_at,
    )  # fmt: skip
