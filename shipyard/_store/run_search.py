"""Searching runs: a parsed filter and an ordering compiled to one parameterised query that
returns a single page, then the page's params, tags and latest metrics in three more queries.

Nothing loads more rows than one page (plus one, to know whether another follows). A metric's
value is its value at its highest step, read per run through the ``(run_id, key, step)``
index; params and tags are matched through their primary key ``(run_id, key)`` or the
``key`` index (revision 0005), whichever the database prefers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from shipyard._store.database import Database
from shipyard._store.records import RunRecord
from shipyard._store.run_filter import ATTRIBUTE, METRICS, PARAMS, TAGS, Clause, parse_field
from shipyard._store.runs import RunRepository, run_record
from shipyard._store.tables import Metric, Param, Run, Tag
from shipyard.core.errors import UsageError

ORDER_ATTRIBUTES = ("start_time", "end_time", "name", "status", "project", "kind", "id")


@dataclass(frozen=True)
class Ordering:
    kind: str
    key: str
    descending: bool


def parse_order_by(items: Sequence[str] | None) -> list[Ordering]:
    """``["metrics.auc DESC", "start_time"]`` as orderings (ascending unless ``DESC``)."""
    orderings: list[Ordering] = []
    for item in items or ():
        words = item.split()
        direction = words[-1].lower() if len(words) > 1 else "asc"
        if len(words) > 2 or direction not in ("asc", "desc") or not words:
            raise UsageError(
                f"Cannot order runs by {item!r}.",
                hint="Write FIELD [ASC|DESC], e.g. 'metrics.auc DESC' or 'start_time'.",
            )
        field = words[0]
        kind, key = (ATTRIBUTE, field) if field in ORDER_ATTRIBUTES else parse_field(item, 0, field)
        orderings.append(Ordering(kind, key, direction == "desc"))
    return orderings


def search(
    db: Database,
    clauses: Sequence[Clause],
    orderings: Sequence[Ordering],
    *,
    limit: int,
    offset: int,
) -> tuple[list[RunRecord], bool]:
    """One page of runs matching every clause, in ``orderings`` then newest first (the run id
    breaks ties, so pages never overlap); and whether more follow."""
    query: Select[Any] = select(Run).where(*[_condition(clause) for clause in clauses])
    order: list[Any] = []
    for ordering in orderings:
        expression = _expression(ordering.kind, ordering.key)
        order.append(expression.is_(None))  # runs without the value last, either way
        order.append(expression.desc() if ordering.descending else expression.asc())
    order += [Run.start_time.desc(), Run.id.desc()]
    query = query.order_by(*order).limit(limit + 1).offset(offset)
    with db.read() as session:
        rows = list(session.scalars(query))
        more = len(rows) > limit
        records = _with_details(session, rows[:limit])
    return records, more


def _with_details(session: Session, rows: list[Run]) -> list[RunRecord]:
    ids = [row.id for row in rows]
    params: dict[str, dict[str, str]] = {run_id: {} for run_id in ids}
    tags: dict[str, dict[str, str]] = {run_id: {} for run_id in ids}
    for run_id, key, value in session.execute(
        select(Param.run_id, Param.key, Param.value).where(Param.run_id.in_(ids))
    ):
        params[run_id][key] = value
    for run_id, key, value in session.execute(
        select(Tag.run_id, Tag.key, Tag.value).where(Tag.run_id.in_(ids))
    ):
        tags[run_id][key] = value
    metrics = RunRepository.latest_metrics_in(session, ids)
    return [
        replace(run_record(row, params[row.id], tags[row.id]), metrics=metrics[row.id])
        for row in rows
    ]


def _expression(kind: str, key: str) -> ColumnElement[Any]:
    if kind == PARAMS:
        return select(Param.value).where(Param.run_id == Run.id, Param.key == key).scalar_subquery()
    if kind == TAGS:
        return select(Tag.value).where(Tag.run_id == Run.id, Tag.key == key).scalar_subquery()
    if kind == METRICS:
        return (
            select(Metric.value)
            .where(Metric.run_id == Run.id, Metric.key == key)
            .order_by(Metric.step.desc(), Metric.id.desc())
            .limit(1)
            .scalar_subquery()
        )
    column: ColumnElement[Any] = getattr(Run, key)
    return column


def _condition(clause: Clause) -> ColumnElement[bool]:
    if clause.kind in (PARAMS, TAGS):
        table = Param if clause.kind == PARAMS else Tag
        # a run without the key matches no comparison, != included (as in MLflow)
        matching = select(table.run_id).where(
            table.key == clause.key, _compare(table.value, clause.op, clause.value)
        )
        return Run.id.in_(matching)
    return _compare(_expression(clause.kind, clause.key), clause.op, clause.value)


def _compare(expression: Any, op: str, value: Any) -> ColumnElement[bool]:
    if op == "like":
        matched: ColumnElement[bool] = expression.like(value)
        return matched
    comparisons: dict[str, Any] = {
        "=": expression.__eq__, "!=": expression.__ne__, "<": expression.__lt__,
        "<=": expression.__le__, ">": expression.__gt__, ">=": expression.__ge__,
    }  # fmt: skip
    result: ColumnElement[bool] = comparisons[op](value)
    return result
