"""The audit log as a hash chain: each event carries the SHA-256 of its own content and the
hash of the event before it, and the ``audit_head`` row holds the newest event's hash.

Canonical serialisation (what is hashed, and must never change): the UTF-8 bytes of the JSON
object with the keys ``time`` (UTC, ISO 8601 with microseconds), ``actor``,
``origin``, ``action``, ``target_type``, ``target``, ``before``, ``after``, ``reason`` and
``prev_hash``, keys sorted at every level, no whitespace (orjson's ``OPT_SORT_KEYS``). The first
event's ``prev_hash`` is :data:`GENESIS`.

An event changed in place no longer matches its hash; a removed event breaks the link of the
one after it; a removed newest event no longer matches the head. Appends lock the head row
(``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite writers already hold the database's write
lock), so concurrent writers build one chain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Connection, column, delete, func, insert, select, table, update
from sqlalchemy.orm import Session

from shipyard._store.tables import Alias, AuditEvent, AuditHead, Model, ModelVersion
from shipyard._store.types import JSONText, UTCDateTime
from shipyard.core.hashing import sha256_bytes

GENESIS = "0" * 64
HEAD_ID = 1


def canonical(
    *,
    time: datetime,
    actor: str,
    origin: dict[str, Any] | None,
    action: str,
    target_type: str,
    target: str,
    before: Any,
    after: Any,
    reason: str | None,
    prev_hash: str | None,
) -> bytes:
    """The bytes an audit event's hash is taken over (see the module docstring)."""
    before, after, origin = _as_stored(before), _as_stored(after), _as_stored(origin)
    document = {
        "time": time.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": actor, "origin": origin, "action": action, "target_type": target_type,
        "target": target, "before": before, "after": after, "reason": reason,
        "prev_hash": prev_hash,
    }  # fmt: skip
    return orjson.dumps(document, option=orjson.OPT_SORT_KEYS)


def _as_stored(value: Any) -> Any:
    """A JSON value as the database gives it back (tuples become lists, and so on)."""
    return None if value is None else orjson.loads(orjson.dumps(value))


def event_hash(event: AuditEvent) -> str:
    """The hash an event's content has now (compare with the hash it carries)."""
    return sha256_bytes(
        canonical(
            time=event.time, actor=event.actor, origin=event.origin,
            action=event.action, target_type=event.target_type, target=event.target,
            before=event.before, after=event.after, reason=event.reason,
            prev_hash=event.prev_hash,
        )
    )  # fmt: skip


def lock_head(session: Session) -> AuditHead:
    """The head row, locked until the transaction ends (created when missing)."""
    head = session.scalars(
        select(AuditHead).where(AuditHead.id == HEAD_ID).with_for_update()
    ).first()
    if head is None:
        head = AuditHead(id=HEAD_ID, last_id=None, last_hash=GENESIS)
        session.add(head)
        session.flush()
    return head


def append(session: Session, event: AuditEvent) -> None:
    """Add ``event`` to the chain inside the caller's transaction. The event row is only ever
    inserted, never updated, so the application's role needs no UPDATE right on it."""
    head = lock_head(session)
    event.prev_hash = head.last_hash
    event.hash = event_hash(event)
    session.add(event)
    session.flush()  # assigns the id the head names
    head.last_id, head.last_hash = event.id, event.hash


_EVENTS = table(
    "audit_events",
    column("id"), column("time", UTCDateTime()), column("actor"), column("origin", JSONText()),
    column("action"), column("target_type"), column("target"), column("before", JSONText()),
    column("after", JSONText()), column("reason"), column("prev_hash"), column("hash"),
)  # fmt: skip
"""The columns the chain covers, as a plain table: the upgrade that chains existing events
must not depend on the ORM model of a later schema."""


def chain_existing(connection: Connection) -> int:
    """Hash every event in id order, from the genesis (the upgrade of a store whose events
    predate the chain); returns how many were chained."""
    previous, last_id, count = GENESIS, None, 0
    fields = [c for c in _EVENTS.c if c.name not in ("id", "hash")]
    rows = connection.execute(select(_EVENTS.c.id, *fields).order_by(_EVENTS.c.id)).all()
    for row in rows:
        content = {c.name: value for c, value in zip(fields, row[1:], strict=True)}
        digest = sha256_bytes(canonical(**{**content, "prev_hash": previous}))
        connection.execute(
            update(_EVENTS).where(_EVENTS.c.id == row[0]).values(prev_hash=previous, hash=digest)
        )
        previous, last_id, count = digest, row[0], count + 1
    heads = table("audit_head", column("id"), column("last_id"), column("last_hash"))
    connection.execute(delete(heads))
    connection.execute(insert(heads).values(id=HEAD_ID, last_id=last_id, last_hash=previous))
    return count


@dataclass(frozen=True)
class AuditProblem:
    """One thing the audit log and the store disagree about."""

    kind: str  # "changed", "removed", "unchained" or "alias"
    message: str
    event_id: int | None = None
    target: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, "event_id": self.event_id,
                "target": self.target}  # fmt: skip


@dataclass(frozen=True)
class AuditVerdict:
    """The outcome of walking the chain: ``ok`` when nothing was changed or removed and every
    alias points where its last event says."""

    events: int
    head_hash: str
    problems: tuple[AuditProblem, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_problem(self) -> AuditProblem | None:
        return self.problems[0] if self.problems else None

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "events": self.events, "head_hash": self.head_hash,
                "problems": [problem.to_dict() for problem in self.problems]}  # fmt: skip


def verify(session: Session) -> AuditVerdict:
    """Walk the chain and compare every alias with the last event about it."""
    problems: list[AuditProblem] = []
    expected, last_id, count = GENESIS, None, 0
    query = select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=1000)
    for event in session.scalars(query):
        count += 1
        problems.extend(_check_event(event, expected, last_id))
        expected, last_id = event.hash or event_hash(event), event.id
    head = session.get(AuditHead, HEAD_ID)
    if head is None:
        problems.append(AuditProblem("removed", "The audit log's head record is missing."))
    elif head.last_hash != expected:
        after = f"after event #{last_id}" if last_id is not None else "from the start"
        problems.append(
            AuditProblem(
                "removed",
                f"Events {after} were removed: the log's head names event #{head.last_id}, "
                "which is not the newest event left.",
                event_id=head.last_id,
            )
        )
    problems.extend(_alias_problems(session))
    return AuditVerdict(events=count, head_hash=expected, problems=tuple(problems))


def _check_event(event: AuditEvent, expected: str, previous_id: int | None) -> list[AuditProblem]:
    if event.hash is None:
        return [AuditProblem("unchained", f"Event #{event.id} carries no hash: it was written "
                             "outside Shipyard.", event.id, event.target)]  # fmt: skip
    if event_hash(event) != event.hash:
        return [AuditProblem("changed", f"Event #{event.id} ({event.action} {event.target}) was "
                             "changed: its content no longer matches its hash.", event.id,
                             event.target)]  # fmt: skip
    if event.prev_hash != expected:
        where = f"after event #{previous_id}" if previous_id is not None else "at the start"
        return [AuditProblem("removed", f"An event was removed {where}, before event "
                             f"#{event.id}: the chain is broken there.", event.id,
                             event.target)]  # fmt: skip
    return []


def _alias_problems(session: Session) -> list[AuditProblem]:
    """Every alias whose current target disagrees with the newest event about it."""
    newest = (
        select(func.max(AuditEvent.id))
        .where(AuditEvent.target_type == "alias")
        .group_by(AuditEvent.target)
    )
    logged: dict[str, tuple[int, int | None]] = {}
    for event in session.scalars(select(AuditEvent).where(AuditEvent.id.in_(newest))):
        after = event.after if isinstance(event.after, dict) else None
        version = after.get("version") if after else None
        logged[event.target] = (event.id, None if version is None else int(version))
    current = {
        f"{name}@{alias}": version
        for name, alias, version in session.execute(
            select(Model.name, Alias.alias, ModelVersion.version)
            .join(Alias, Alias.model_id == Model.id)
            .join(ModelVersion, ModelVersion.id == Alias.version_id)
        )
    }
    problems = []
    for target in sorted(set(logged) | set(current)):
        event_id, said = logged.get(target, (None, None))
        now = current.get(target)
        if said == now:
            continue
        if event_id is None:
            text = f"Alias {target} points at version {now}, but no audit event records a move."
        else:
            was = "deleted" if said is None else f"at version {said}"
            is_ = "deleted" if now is None else f"at version {now}"
            text = f"Alias {target} is {is_}, but its last audit event (#{event_id}) left it {was}."
        problems.append(AuditProblem("alias", text, event_id, target))
    return problems
