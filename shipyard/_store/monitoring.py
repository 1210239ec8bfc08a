"""Monitor results and alerts.

An alert is deduplicated by its fingerprint: while one is open or acknowledged its
``active_key`` holds the fingerprint under a unique constraint, so raising the same condition
again only counts another occurrence. Resolving clears the key; the next time the condition
holds a new alert opens. Acknowledging and resolving by hand are audited.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shipyard._store.audit import record_event
from shipyard._store.database import Database
from shipyard._store.records import Record
from shipyard._store.tables import Alert, MonitorResult
from shipyard.core.clock import utcnow
from shipyard.core.errors import ConflictError, NotFoundError, UsageError
from shipyard.core.ids import new_id

OPEN, ACKNOWLEDGED, RESOLVED = "open", "acknowledged", "resolved"
STATES = (OPEN, ACKNOWLEDGED, RESOLVED)
SEVERITIES = ("info", "warning", "critical")


@dataclass(frozen=True)
class MonitorResultRecord(Record):
    id: str
    deployment: str
    window_start: datetime
    window_end: datetime
    reference: str | None
    rows: int
    feature_drift: dict[str, Any]
    prediction_drift: dict[str, Any] | None
    data_quality: dict[str, Any]
    performance: dict[str, Any] | None
    service_health: dict[str, Any]
    summary: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class NewResult:
    """What :meth:`MonitoringRepository.add_result` stores."""

    deployment: str
    window_start: datetime
    window_end: datetime
    reference: str | None
    rows: int
    feature_drift: dict[str, Any]
    prediction_drift: dict[str, Any] | None
    data_quality: dict[str, Any]
    performance: dict[str, Any] | None
    service_health: dict[str, Any]
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AlertRecord(Record):
    id: str
    rule: str
    deployment: str
    severity: str
    state: str
    fingerprint: str
    message: str
    details: dict[str, Any]
    result_id: str | None
    occurrences: int
    opened_at: datetime
    last_seen_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None
    resolved_by: str | None
    retrain_requested_at: datetime | None
    triggered_run_id: str | None
    retrain_error: str | None
    delivery_attempts: int
    delivery_failures: int
    deliveries: dict[str, Any]

    @property
    def active(self) -> bool:
        return self.state != RESOLVED


class MonitoringRepository:
    """Reads and writes monitor results and alerts. Every method is one transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # -- results ---------------------------------------------------------------------------

    def add_result(self, new: NewResult) -> MonitorResultRecord:
        if new.window_end <= new.window_start:
            raise UsageError("A monitor window must end after it starts.")
        row = MonitorResult(id=new_id(), created_at=utcnow(), **new.__dict__)
        with self._db.write() as session:
            session.add(row)
            session.flush()
            return _result_record(row)

    def get_result(self, result_id: str) -> MonitorResultRecord:
        with self._db.read() as session:
            row = session.get(MonitorResult, result_id)
            if row is None:
                raise NotFoundError(f"Monitor result {result_id} does not exist.")
            return _result_record(row)

    def results(
        self,
        deployment: str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
    ) -> builtins.list[MonitorResultRecord]:
        """The deployment's results by window end, oldest first (the newest ``limit``)."""
        query = select(MonitorResult).where(MonitorResult.deployment == deployment)
        if since is not None:
            query = query.where(MonitorResult.window_end > since)
        if until is not None:
            query = query.where(MonitorResult.window_end <= until)
        query = query.order_by(MonitorResult.window_end.desc(), MonitorResult.id.desc())
        if limit is not None:
            query = query.limit(limit)
        with self._db.read() as session:
            rows = [_result_record(row) for row in session.scalars(query)]
        return rows[::-1]

    # -- alerts ----------------------------------------------------------------------------

    def raise_alert(
        self,
        *,
        rule: str,
        deployment: str,
        fingerprint: str,
        severity: str,
        message: str,
        details: dict[str, Any],
        result_id: str | None = None,
    ) -> tuple[AlertRecord, bool]:
        """Open an alert, or count another occurrence of the active one with the same
        fingerprint; returns the alert and whether it is new."""
        if severity not in SEVERITIES:
            raise UsageError(f"Severity {severity!r} is not one of {', '.join(SEVERITIES)}.")
        for _ in range(3):  # a concurrent opener may win the unique key: then update theirs
            try:
                return self._open_or_count(rule, deployment, fingerprint, severity, message,
                                           details, result_id)  # fmt: skip
            except IntegrityError:
                continue
        raise ConflictError(f"Could not open or update the alert {fingerprint}; try again.")

    def _open_or_count(
        self, rule: str, deployment: str, fingerprint: str, severity: str, message: str,
        details: dict[str, Any], result_id: str | None,
    ) -> tuple[AlertRecord, bool]:  # fmt: skip
        now = utcnow()
        with self._db.write() as session:
            row = _active(session, fingerprint)
            if row is not None:
                row.occurrences += 1
                row.last_seen_at, row.message, row.details = now, message, details
                row.result_id = result_id or row.result_id
                session.flush()
                return _alert_record(row), False
            row = Alert(
                id=new_id(), rule=rule, deployment=deployment, severity=severity, state=OPEN,
                fingerprint=fingerprint, active_key=fingerprint, message=message,
                details=details, result_id=result_id, occurrences=1, opened_at=now,
                last_seen_at=now, delivery_attempts=0, delivery_failures=0, deliveries={},
            )  # fmt: skip
            session.add(row)
            session.flush()
            return _alert_record(row), True

    def active_alert(self, fingerprint: str) -> AlertRecord | None:
        with self._db.read() as session:
            row = _active(session, fingerprint, lock=False)
            return None if row is None else _alert_record(row)

    def get_alert(self, alert_id: str) -> AlertRecord:
        with self._db.read() as session:
            return _alert_record(_require(session, alert_id))

    def list_alerts(
        self,
        *,
        deployment: str | None = None,
        state: str | None = None,
        active: bool = False,
        limit: int | None = None,
    ) -> builtins.list[AlertRecord]:
        """Alerts, newest first: of one deployment, in one state, or only active ones."""
        query = select(Alert)
        if deployment is not None:
            query = query.where(Alert.deployment == deployment)
        if state is not None:
            if state not in STATES:
                raise UsageError(f"State {state!r} is not one of {', '.join(STATES)}.")
            query = query.where(Alert.state == state)
        if active:
            query = query.where(Alert.state != RESOLVED)
        query = query.order_by(Alert.opened_at.desc(), Alert.id.desc())
        if limit is not None:
            query = query.limit(limit)
        with self._db.read() as session:
            return [_alert_record(row) for row in session.scalars(query)]

    def acknowledge(self, alert_id: str, *, actor: str, comment: str | None = None) -> AlertRecord:
        """Mark an open alert as seen by ``actor``: it stays active (no new alert opens for
        its condition) until it resolves. Audited as ``alert.acknowledge``."""
        with self._db.write() as session:
            row = _require(session, alert_id, lock=True)
            if row.state == RESOLVED:
                raise ConflictError(f"Alert {alert_id} is already resolved.")
            if row.state == OPEN:
                row.state, row.acknowledged_at, row.acknowledged_by = ACKNOWLEDGED, utcnow(), actor
                record_event(session, actor=actor, action="alert.acknowledge",
                             target_type="alert", target=alert_id, before={"state": OPEN},
                             after={"state": ACKNOWLEDGED}, reason=comment)  # fmt: skip
                session.flush()
            return _alert_record(row)

    def resolve(
        self, alert_id: str, *, actor: str, reason: str | None = None, auto: bool = False
    ) -> AlertRecord:
        """Resolve an active alert (by hand, audited as ``alert.resolve``, or automatically
        when its condition cleared). Resolving a resolved alert changes nothing."""
        with self._db.write() as session:
            row = _require(session, alert_id, lock=True)
            if row.state == RESOLVED:
                return _alert_record(row)
            before = row.state
            row.state, row.active_key = RESOLVED, None
            row.resolved_at, row.resolved_by = utcnow(), actor
            if not auto:
                record_event(session, actor=actor, action="alert.resolve", target_type="alert",
                             target=alert_id, before={"state": before},
                             after={"state": RESOLVED}, reason=reason)  # fmt: skip
            session.flush()
            return _alert_record(row)

    def record_delivery(
        self, alert_id: str, sink: str, *, attempts: int, delivered: bool, error: str | None
    ) -> AlertRecord:
        """Record how delivering the alert to ``sink`` went (after its retries)."""
        with self._db.write() as session:
            row = _require(session, alert_id, lock=True)
            row.delivery_attempts += attempts
            row.delivery_failures += 0 if delivered else 1
            row.deliveries = {
                **row.deliveries,
                sink: {"delivered": delivered, "attempts": attempts, "error": error,
                       "at": utcnow().isoformat()},
            }  # fmt: skip
            session.flush()
            return _alert_record(row)

    def claim_retrain(self, alert_id: str) -> bool:
        """Atomically claim the alert's one retrain: True for the first caller only."""
        with self._db.write() as session:
            claimed = session.execute(
                update(Alert)
                .where(Alert.id == alert_id, Alert.retrain_requested_at.is_(None))
                .values(retrain_requested_at=utcnow())
            )
            return bool(getattr(claimed, "rowcount", 0) == 1)

    def record_retrain(
        self, alert_id: str, *, run_id: str | None, error: str | None = None
    ) -> AlertRecord:
        """Link the alert to the pipeline run it triggered (or say why it failed)."""
        with self._db.write() as session:
            row = _require(session, alert_id, lock=True)
            row.triggered_run_id, row.retrain_error = run_id, error
            session.flush()
            return _alert_record(row)


def _active(session: Session, fingerprint: str, *, lock: bool = True) -> Alert | None:
    query = select(Alert).where(Alert.active_key == fingerprint)
    return session.scalars(query.with_for_update() if lock else query).first()


def _require(session: Session, alert_id: str, *, lock: bool = False) -> Alert:
    query = select(Alert).where(Alert.id == alert_id)
    row = session.scalars(query.with_for_update() if lock else query).first()
    if row is None:
        raise NotFoundError(
            f"Alert {alert_id} does not exist.", hint="List alerts with `shipyard alerts list`."
        )
    return row


def _result_record(row: MonitorResult) -> MonitorResultRecord:
    return MonitorResultRecord(
        id=row.id, deployment=row.deployment, window_start=row.window_start,
        window_end=row.window_end, reference=row.reference, rows=row.rows,
        feature_drift=row.feature_drift, prediction_drift=row.prediction_drift,
        data_quality=row.data_quality, performance=row.performance,
        service_health=row.service_health, summary=row.summary, created_at=row.created_at,
    )  # fmt: skip


def _alert_record(row: Alert) -> AlertRecord:
    return AlertRecord(
        id=row.id, rule=row.rule, deployment=row.deployment, severity=row.severity,
        state=row.state, fingerprint=row.fingerprint, message=row.message,
        details=row.details, result_id=row.result_id, occurrences=row.occurrences,
        opened_at=row.opened_at, last_seen_at=row.last_seen_at,
        acknowledged_at=row.acknowledged_at, acknowledged_by=row.acknowledged_by,
        resolved_at=row.resolved_at, resolved_by=row.resolved_by,
        retrain_requested_at=row.retrain_requested_at, triggered_run_id=row.triggered_run_id,
        retrain_error=row.retrain_error, delivery_attempts=row.delivery_attempts,
        delivery_failures=row.delivery_failures, deliveries=dict(row.deliveries),
    )  # fmt: skip
