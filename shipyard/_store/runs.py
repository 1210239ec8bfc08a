"""Runs and everything recorded against them: params, tags, metrics, artifacts."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.orm import Session

from shipyard._store.database import Database
from shipyard._store.records import ArtifactRecord, MetricPoint, RunRecord
from shipyard._store.tables import Artifact, LatestMetric, Metric, Param, Run, Tag
from shipyard._store.upsert import insert_ignore, upsert
from shipyard.core.clock import utcnow
from shipyard.core.errors import ConflictError, NotFoundError
from shipyard.core.ids import new_id

RUNNING, FINISHED, FAILED, KILLED = "running", "finished", "failed", "killed"
RUN_STATUSES = (RUNNING, FINISHED, FAILED, KILLED)

#: (run_id, key, value, step, timestamp in ms)
MetricRow = tuple[str, str, float, int, int]
#: (host, pid, process start time in clock ticks since boot)
ProcessIdentity = tuple[str, int, int | None]


class RunningProcess(NamedTuple):
    """A running run and the process that said it runs it."""

    run_id: str
    host: str
    pid: int
    process_start: int | None
    heartbeat_at: datetime | None


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


class RunRepository:
    """Reads and writes runs. Every method is one transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def create(
        self,
        *,
        project: str,
        name: str | None = None,
        kind: str = "train",
        parent_run_id: str | None = None,
        entrypoint: str | None = None,
        process: ProcessIdentity | None = None,
    ) -> RunRecord:
        """Start a run; ``process`` (host, pid, process start time) says where it lives, so a
        run whose process dies can be reaped."""
        run_id = new_id()
        with self._db.write() as session:
            if parent_run_id is not None and session.get(Run, parent_run_id) is None:
                raise NotFoundError(
                    f"Parent run {parent_run_id} does not exist.",
                    hint="List runs with `shipyard runs list`.",
                )
            row = Run(
                id=run_id,
                project=project,
                name=name or f"run-{run_id[-6:]}",
                kind=kind,
                status=RUNNING,
                start_time=utcnow(),
                parent_run_id=parent_run_id,
                entrypoint=entrypoint,
            )
            if process is not None:
                row.host, row.pid, row.process_start = process
                row.heartbeat_at = row.start_time
            session.add(row)
            session.flush()
            return run_record(row, {}, {})

    def create_finished(
        self,
        *,
        project: str,
        name: str,
        kind: str,
        parent_run_id: str,
        tags: Mapping[str, str],
        artifacts: Sequence[ArtifactRecord],
    ) -> str:
        """Record a run that is over as it starts (what a pipeline records for a step taken
        from an earlier run's results), with its tags and artifacts, in one transaction;
        returns its id."""
        run_id, now = new_id(), utcnow()
        with self._db.write() as session:
            _get_row(session, parent_run_id)
            session.add(Run(id=run_id, project=project, name=name, kind=kind, status=FINISHED,
                            start_time=now, end_time=now, parent_run_id=parent_run_id))  # fmt: skip
            session.flush()
            rows = [{"run_id": run_id, "key": k, "value": v} for k, v in tags.items()]
            insert_ignore(session, _table(Tag), rows)
            insert_ignore(session, _table(Artifact), [
                {"run_id": run_id, "name": a.name, "hash": a.hash, "uri": a.uri, "size": a.size,
                 "kind": a.kind, "created_at": now}
                for a in artifacts
            ])  # fmt: skip
        return run_id

    def record_capture(self, run_id: str, **fields: Any) -> None:
        """Store captured context: git commit/dirty/diff hash, environment, lock hash, seed."""
        _check_capture_fields(fields)
        if fields:
            with self._db.write() as session:
                session.execute(update(Run).where(Run.id == run_id).values(**fields))

    def finish(
        self,
        run_id: str,
        status: str,
        *,
        error: str | None = None,
        capture: Mapping[str, Any] | None = None,
    ) -> RunRecord:
        """End a running run with ``status`` (and store ``capture`` fields in the same
        transaction); ending an ended run is a conflict."""
        if status not in (FINISHED, FAILED, KILLED):
            raise ValueError(f"a run ends as finished, failed or killed, not {status!r}")
        _check_capture_fields(capture or {})
        with self._db.write() as session:
            row = _get_row(session, run_id)
            if row.status != RUNNING:
                raise ConflictError(f"Run {run_id} already ended as {row.status}.")
            row.status, row.end_time, row.error = status, utcnow(), error
            for name, value in (capture or {}).items():
                setattr(row, name, value)
            session.flush()
            return run_record(row, *_params_and_tags(session, run_id))

    # -- liveness --------------------------------------------------------------------------

    def heartbeat(self, run_ids: Sequence[str]) -> None:
        """Record that the running runs ``run_ids`` are alive now."""
        if run_ids:
            with self._db.write() as session:
                session.execute(
                    update(Run)
                    .where(Run.id.in_(list(run_ids)), Run.status == RUNNING)
                    .values(heartbeat_at=utcnow())
                )

    def running_with_process(self) -> builtins.list[RunningProcess]:
        """Every running run that recorded its process: (id, host, pid, start, heartbeat)."""
        query = select(Run.id, Run.host, Run.pid, Run.process_start, Run.heartbeat_at).where(
            Run.status == RUNNING, Run.host.is_not(None), Run.pid.is_not(None)
        )
        with self._db.read() as session:
            return [
                RunningProcess(run_id, str(host), int(pid or 0), start, seen)
                for run_id, host, pid, start, seen in session.execute(query)
            ]

    def mark_killed(self, run_id: str, *, last_seen: datetime | None, error: str) -> bool:
        """End a run that is still running as ``killed``, at the time it was last seen alive;
        returns False when it had ended meanwhile."""
        with self._db.write() as session:
            row = _get_row(session, run_id)
            if row.status != RUNNING:
                return False
            row.status, row.end_time, row.error = KILLED, last_seen or row.start_time, error
            return True

    def get(self, run_id: str) -> RunRecord:
        with self._db.read() as session:
            row = _get_row(session, run_id)
            return run_record(row, *_params_and_tags(session, run_id))

    def list(
        self,
        *,
        project: str | None = None,
        status: str | None = None,
        parent_run_id: str | None = None,
        limit: int = 50,
    ) -> list[RunRecord]:
        """Newest first."""
        query = select(Run).order_by(Run.start_time.desc(), Run.id.desc()).limit(limit)
        if project is not None:
            query = query.where(Run.project == project)
        if status is not None:
            query = query.where(Run.status == status)
        if parent_run_id is not None:
            query = query.where(Run.parent_run_id == parent_run_id)
        with self._db.read() as session:
            return [run_record(row, {}, {}) for row in session.scalars(query)]

    def ids_with_tag(
        self, key: str, value: str, *, kind: str, status: str, limit: int
    ) -> builtins.list[str]:
        """The ids of the newest ``limit`` runs of ``kind`` and ``status`` tagged ``key=value``
        (the pipeline's step cache looks its keys up this way)."""
        query = (
            select(Run.id)
            .join(Tag, Tag.run_id == Run.id)
            .where(Run.kind == kind, Run.status == status, Tag.key == key, Tag.value == value)
            .order_by(Run.start_time.desc(), Run.id.desc())
            .limit(limit)
        )
        with self._db.read() as session:
            return list(session.scalars(query))

    # -- params and tags -------------------------------------------------------------------

    def log_params(self, run_id: str, params: Mapping[str, str]) -> None:
        """Record params; a param, once logged, keeps its value (a different one conflicts)."""
        if not params:
            return
        with self._db.write() as session:
            _get_row(session, run_id)
            existing = {
                key: value
                for key, value in session.execute(
                    select(Param.key, Param.value).where(
                        Param.run_id == run_id, Param.key.in_(list(params))
                    )
                )
            }
            changed = {k: (existing[k], v) for k, v in params.items() if k in existing}
            changed = {k: pair for k, pair in changed.items() if pair[0] != pair[1]}
            if changed:
                key, (old, new) = next(iter(changed.items()))
                raise ConflictError(
                    f"Param {key!r} of run {run_id} is already {old!r}; cannot change it to "
                    f"{new!r}.",
                    hint="Params describe how a run was made and never change; use a tag.",
                )
            rows = [{"run_id": run_id, "key": k, "value": v} for k, v in params.items()]
            insert_ignore(session, _table(Param), rows)

    def set_tags(self, run_id: str, tags: Mapping[str, str]) -> None:
        if not tags:
            return
        with self._db.write() as session:
            _get_row(session, run_id)
            rows = [{"run_id": run_id, "key": k, "value": v} for k, v in tags.items()]
            upsert(session, _table(Tag), rows, keys=["run_id", "key"], update=["value"])

    # -- metrics ---------------------------------------------------------------------------

    def log_metrics(self, rows: Sequence[MetricRow]) -> None:
        """Insert many metric points in one transaction (the buffered writer calls this), and
        in it one upsert of ``latest_metrics`` per (run, key) of the batch."""
        if not rows:
            return
        table = _table(Metric)
        latest: dict[tuple[str, str], dict[str, Any]] = {}
        for run_id, key, value, step, _ in rows:  # the highest step; the last point on a tie
            found = latest.get((run_id, key))
            if found is None or step >= found["step"]:
                latest[run_id, key] = {"run_id": run_id, "key": key, "value": value, "step": step}
        with self._db.write() as session:
            # Core executemany on the table: no ORM unit of work for a hot, append-only path.
            session.connection().execute(
                insert(table),
                [
                    {"run_id": r, "key": k, "value": v, "step": s, "timestamp": t}
                    for r, k, v, s, t in rows
                ],
            )
            # in key order: two writers of the same runs lock their rows in the same order
            upsert(
                session,
                _table(LatestMetric),
                [latest[k] for k in sorted(latest)],
                keys=["run_id", "key"],
                update=["value", "step"],
                unless_lower="step",
            )

    def metric_history(self, run_id: str, key: str | None = None) -> builtins.list[MetricPoint]:
        query = select(Metric.key, Metric.value, Metric.step, Metric.timestamp).where(
            Metric.run_id == run_id
        )
        if key is not None:
            query = query.where(Metric.key == key)
        query = query.order_by(Metric.key, Metric.step, Metric.timestamp, Metric.id)
        with self._db.read() as session:
            return [MetricPoint(*row) for row in session.execute(query)]

    def latest_metrics(self, run_ids: Iterable[str]) -> dict[str, dict[str, float]]:
        """For each run, each metric's value at its highest step (the newest on a tie)."""
        with self._db.read() as session:
            return self.latest_metrics_in(session, list(run_ids))

    @staticmethod
    def latest_metrics_in(session: Session, ids: builtins.list[str]) -> dict[str, dict[str, float]]:
        """Read from ``latest_metrics``, which :meth:`log_metrics` keeps (revisions 0008, 0009)."""
        result: dict[str, dict[str, float]] = {run_id: {} for run_id in ids}
        if ids:
            query = select(LatestMetric.run_id, LatestMetric.key, LatestMetric.value).where(
                LatestMetric.run_id.in_(ids)
            )
            for run_id, key, value in session.execute(query):
                result[run_id][key] = value
        return result

    def count_metrics(self, run_id: str) -> int:
        with self._db.read() as session:
            query = select(func.count()).select_from(Metric).where(Metric.run_id == run_id)
            return int(session.scalar(query) or 0)

    # -- artifacts -------------------------------------------------------------------------

    def add_artifact(
        self, run_id: str, *, name: str, hash: str, uri: str, size: int, kind: str = "file"
    ) -> ArtifactRecord:
        """Record an artifact; logging the same name again replaces it."""
        created = utcnow()
        row = {
            "run_id": run_id, "name": name, "hash": hash, "uri": uri,
            "size": size, "kind": kind, "created_at": created,
        }  # fmt: skip
        with self._db.write() as session:
            _get_row(session, run_id)
            upsert(
                session,
                _table(Artifact),
                [row],
                keys=["run_id", "name"],
                update=["hash", "uri", "size", "kind", "created_at"],
            )
        return ArtifactRecord(run_id, name, hash, uri, size, kind, created)

    def artifacts(self, run_id: str) -> builtins.list[ArtifactRecord]:
        query = select(Artifact).where(Artifact.run_id == run_id).order_by(Artifact.name)
        with self._db.read() as session:
            return [
                ArtifactRecord(a.run_id, a.name, a.hash, a.uri, a.size, a.kind, a.created_at)
                for a in session.scalars(query)
            ]


_CAPTURE_FIELDS = frozenset(
    {"git_commit", "git_dirty", "git_diff_hash", "environment", "environment_lock_hash", "seed",
     "entrypoint"}
)  # fmt: skip


def _check_capture_fields(fields: Mapping[str, Any]) -> None:
    unknown = set(fields) - _CAPTURE_FIELDS
    if unknown:
        raise ValueError(f"not capture fields: {sorted(unknown)}")


def _get_row(session: Session, run_id: str) -> Run:
    row = session.get(Run, run_id)
    if row is None:
        raise NotFoundError(
            f"Run {run_id} does not exist.", hint="List runs with `shipyard runs list`."
        )
    return row


def _params_and_tags(session: Session, run_id: str) -> tuple[dict[str, str], dict[str, str]]:
    params = session.execute(select(Param.key, Param.value).where(Param.run_id == run_id))
    tags = session.execute(select(Tag.key, Tag.value).where(Tag.run_id == run_id))
    return {k: v for k, v in params}, {k: v for k, v in tags}


def run_record(row: Run, params: dict[str, str], tags: dict[str, str]) -> RunRecord:
    start: datetime = row.start_time
    return RunRecord(
        id=row.id, project=row.project, name=row.name, kind=row.kind, status=row.status,
        start_time=start, end_time=row.end_time, parent_run_id=row.parent_run_id,
        entrypoint=row.entrypoint, git_commit=row.git_commit, git_dirty=row.git_dirty,
        git_diff_hash=row.git_diff_hash, seed=row.seed, environment=row.environment,
        environment_lock_hash=row.environment_lock_hash, error=row.error,
        params=params, tags=tags, host=row.host, pid=row.pid, heartbeat_at=row.heartbeat_at,
    )  # fmt: skip
