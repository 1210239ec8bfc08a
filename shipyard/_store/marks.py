"""Marks a version earns (``tested``, from ``shipyard ci``) and a policy may require.

A mark is an audit event (``version.mark``) on the version; a policy keeps the marks it
requires in its gates column as ``require:MARK`` entries, split apart when read.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from shipyard._store.records import MARKS
from shipyard._store.tables import AuditEvent
from shipyard.core.errors import UsageError

REQUIRE = "require:"
MARK_ACTION = "version.mark"


def check_marks(marks: Sequence[str]) -> list[str]:
    unknown = [mark for mark in marks if mark not in MARKS]
    if unknown or isinstance(marks, str):
        raise UsageError(
            f"{unknown[0] if unknown else marks!r} is not a mark a policy can require.",
            hint=f"Marks: {', '.join(MARKS)}.",
        )
    return list(dict.fromkeys(marks))


def marks_of(session: Session, target: str) -> frozenset[str]:
    query = select(AuditEvent.after).where(
        AuditEvent.target_type == "model_version", AuditEvent.target == target,
        AuditEvent.action == MARK_ACTION,
    )  # fmt: skip
    return frozenset(str(after["mark"]) for after in session.scalars(query) if after)


def split_marks(stored: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A stored ``gates`` column as (gate names, required marks)."""
    gates = tuple(g for g in stored if not g.startswith(REQUIRE))
    return gates, tuple(g.removeprefix(REQUIRE) for g in stored if g.startswith(REQUIRE))
