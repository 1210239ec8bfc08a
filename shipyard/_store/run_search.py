"""Searching runs: a parsed filter and an ordering compiled to one parameterised query that
returns a single page, then the page's params, tags and latest metrics in three more queries.

Nothing loads more rows than one page (plus one, to know whether another follows). A metric's
value is its value at its highest step, read from ``latest_metrics`` (revision 0008, kept by
the batch that logs the points) through its primary key ``(run_id, key)`` or its
``(key, value)`` index; params and tags are matched through their primary key
``(run_id, key)`` or the ``key`` index (revision 0005), whichever the database prefers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session, aliased

from shipyard._store.database import Database
from shipyard._store.records import RunRecord
from shipyard._store.run_filter import ATTRIBUTE, METRICS, PARAMS, TAGS, Clause, parse_field
from shipyard._store.runs import RunRepository, run_record
from shipyard._store.tables import LatestMetric, Param, Run, Tag
from shipyard.core.errors import UsageError

ORDER_ATTRIBUTES = ("start_time", "end_time", "name", "status", "project", "kind", "id")
_TABLES: dict[str, type[Param] | type[Tag] | type[LatestMetric]] = {
    PARAMS: Param, TAGS: Tag, METRICS: LatestMetric
}  # fmt: skip


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
    query: Select[Any] = select(Run.id).where(*[_condition(clause) for clause in clauses])
    order: list[Any] = []
    for ordering in orderings:
        query, expression = _ordered_by(query, ordering.kind, ordering.key)
        order.append(expression.is_(None))  # runs without the value last, either way
        order.append(expression.desc() if ordering.descending else expression.asc())
    order += [Run.start_time.desc(), Run.id.desc()]
    # The sort carries ids only; the page's rows are read by primary key afterwards.
    query = query.order_by(*order).limit(limit + 1).offset(offset)
    with db.read() as session:
        ids = list(session.scalars(query))
        more = len(ids) > limit
        by_id = {row.id: row for row in session.scalars(select(Run).where(Run.id.in_(ids)))}
        records = _with_details(session, [by_id[run_id] for run_id in ids[:limit]])
    return records, more


def _ordered_by(query: Select[Any], kind: str, key: str) -> tuple[Select[Any], Any]:
    """``query`` joined to what orders it (a param, tag or latest metric, each by its primary
    key ``(run_id, key)``; a run without it is kept) and the expression to sort on."""
    if kind == ATTRIBUTE:
        return query, getattr(Run, key)
    table = aliased(_TABLES[kind])
    joined = query.outerjoin(table, (table.run_id == Run.id) & (table.key == key))
    return joined, table.value


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


def _condition(clause: Clause) -> ColumnElement[bool]:
    if clause.kind == ATTRIBUTE:
        return _compare(getattr(Run, clause.key), clause.op, clause.value)
    table = _TABLES[clause.kind]
    # a run without the key matches no comparison, != included (as in MLflow)
    matching = select(table.run_id).where(
        table.key == clause.key, _compare(table.value, clause.op, clause.value)
    )
    return Run.id.in_(matching)


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
