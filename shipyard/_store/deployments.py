"""Deployments: which versions of a model a deployment serves, how traffic is shared between
them, and which versions shadow it. Every change writes an audit event in the same
transaction (target type ``deployment``, target the deployment's name).

A route is ``{"version": 3, "weight": 90}`` (a fixed version) or ``{"alias": "production",
"weight": 100}`` (whatever the alias points at, followed as it moves). Shadows are versions
that receive a copy of the traffic off the request path; their answers are only logged.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shipyard._store.audit import record_event
from shipyard._store.database import Database
from shipyard._store.tables import Alias, Deployment, Model, ModelVersion
from shipyard.core.clock import utcnow
from shipyard.core.errors import NotFoundError, UsageError
from shipyard.core.ids import new_id
from shipyard.core.names import check_alias, check_model_name

MODES = ("online", "batch", "stream")
STATUSES = ("created", "serving", "stopped", "running", "finished", "failed", "retired")


@dataclass(frozen=True)
class DeploymentRecord:
    id: str
    name: str
    mode: str
    model_name: str
    routes: list[dict[str, Any]]
    shadows: list[int]
    status: str
    config: dict[str, Any]
    stats: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "mode": self.mode, "model": self.model_name,
            "routes": self.routes, "shadows": self.shadows, "status": self.status,
            "config": self.config, "stats": self.stats,
            "created_at": self.created_at.isoformat(), "updated_at": self.updated_at.isoformat(),
        }  # fmt: skip


class DeploymentRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def apply(
        self,
        name: str,
        *,
        model: str,
        routes: Sequence[Mapping[str, Any]],
        shadows: Sequence[int] = (),
        mode: str = "online",
        config: Mapping[str, Any] | None = None,
        actor: str,
        reason: str | None = None,
    ) -> DeploymentRecord:
        """Create deployment ``name``, or change its routes, shadows and config.

        Every fixed version and alias a route names must exist, weights must be positive, and
        the model of an existing deployment cannot change. Audited as ``deployment.create``
        or ``deployment.update`` (nothing is recorded when nothing changes).
        """
        check_model_name(name)
        if mode not in MODES:
            raise UsageError(f"Mode {mode!r} is not one of {', '.join(MODES)}.")
        clean_routes = [_check_route(route) for route in routes]
        if not clean_routes:
            raise UsageError(
                f"Deployment {name!r} needs at least one route.",
                hint="For example --route churn/3=100 or --route churn@production=100.",
            )
        clean_shadows = sorted({_positive_int(v, "shadow version") for v in shadows})
        with self._db.write() as session:
            model_row = _model(session, model)
            for route in clean_routes:
                _check_target(session, model_row, route)
            for version in clean_shadows:
                _check_target(session, model_row, {"version": version})
            row = _lock(session, name)
            after = {"model": model, "mode": mode, "routes": clean_routes,
                     "shadows": clean_shadows, "config": dict(config or {})}  # fmt: skip
            now = utcnow()
            if row is None:
                row = Deployment(
                    id=new_id(), name=name, mode=mode, model_id=model_row.id,
                    routes=clean_routes, shadows=clean_shadows, status="created",
                    config=after["config"], stats=None, created_at=now, updated_at=now,
                )  # fmt: skip
                session.add(row)
                record_event(session, actor=actor, action="deployment.create",
                             target_type="deployment", target=name, after=after,
                             reason=reason)  # fmt: skip
            else:
                if row.model_id != model_row.id:
                    raise UsageError(
                        f"Deployment {name!r} serves another model; its model cannot change.",
                        hint="Choose a new deployment name for the other model.",
                    )
                before = _state(row, model)
                if before == after and row.mode == mode:
                    return _record(row, model)
                row.mode, row.routes, row.shadows = mode, clean_routes, clean_shadows
                row.config, row.updated_at = dict(config or {}), now
                record_event(session, actor=actor, action="deployment.update",
                             target_type="deployment", target=name, before=before, after=after,
                             reason=reason)  # fmt: skip
            session.flush()
            return _record(row, model)

    def set_status(
        self, name: str, status: str, *, actor: str, reason: str | None = None
    ) -> DeploymentRecord:
        """Record that a deployment is serving, stopped, … (audited as ``deployment.status``)."""
        if status not in STATUSES:
            raise UsageError(f"Status {status!r} is not one of {', '.join(STATUSES)}.")
        with self._db.write() as session:
            row = _require(session, _lock(session, name), name)
            _change_status(session, row, status, actor=actor, reason=reason)
            return _record(row, _model_name(session, row.model_id))

    def worker_started(
        self,
        name: str,
        worker: str,
        about: Mapping[str, Any],
        *,
        actor: str,
        reason: str,
        forget: Sequence[str] = (),
    ) -> DeploymentRecord:
        """Record that worker ``worker`` (``about`` it: host, pid…) now serves the deployment,
        which is then ``serving``. Several workers may serve one deployment (a stream consumer
        group); each is listed under ``stats["workers"]``. ``forget`` names workers known to
        be gone without having said so (killed)."""
        with self._db.write() as session:
            row = _require(session, _lock(session, name), name)
            workers = dict((row.stats or {}).get("workers") or {})
            for gone in forget:
                workers.pop(gone, None)
            workers[worker] = {**dict(about), "since": utcnow().isoformat()}
            row.stats = {**(row.stats or {}), "workers": workers}
            _change_status(session, row, "serving", actor=actor, reason=reason)
            row.updated_at = utcnow()
            return _record(row, _model_name(session, row.model_id))

    def worker_heartbeat(self, name: str, worker: str, about: Mapping[str, Any]) -> None:
        """Record that ``worker`` still serves the deployment (``seen``: now), listing it again
        with ``about`` if it was dropped meanwhile (not audited: a measurement)."""
        with self._db.write() as session:
            row = _require(session, _lock(session, name), name)
            workers = dict((row.stats or {}).get("workers") or {})
            now = utcnow().isoformat()
            workers[worker] = {**(workers.get(worker) or {**dict(about), "since": now}),
                               "seen": now}  # fmt: skip
            row.stats = {**(row.stats or {}), "workers": workers}

    def worker_stopped(self, name: str, worker: str, *, actor: str) -> DeploymentRecord:
        """Record that ``worker`` stopped; the deployment is ``stopped`` once no worker is
        left. A worker that was killed never says so: its entry stays until a worker started
        later finds it gone and passes it in ``forget``."""
        with self._db.write() as session:
            row = _require(session, _lock(session, name), name)
            workers = dict((row.stats or {}).get("workers") or {})
            workers.pop(worker, None)
            row.stats = {**(row.stats or {}), "workers": workers}
            if not workers:
                _change_status(session, row, "stopped", actor=actor,
                               reason=f"last worker {worker} stopped")  # fmt: skip
            row.updated_at = utcnow()
            return _record(row, _model_name(session, row.model_id))

    def update_stats(self, name: str, stats: Mapping[str, Any]) -> DeploymentRecord:
        """Merge counters into the deployment's ``stats`` (not audited: they are measurements)."""
        with self._db.write() as session:
            row = _require(session, _lock(session, name), name)
            row.stats = {**(row.stats or {}), **dict(stats)}
            row.updated_at = utcnow()
            session.flush()
            return _record(row, _model_name(session, row.model_id))

    def get(self, name: str) -> DeploymentRecord:
        with self._db.read() as session:
            row = session.scalars(select(Deployment).where(Deployment.name == name)).first()
            row = _require(session, row, name)
            return _record(row, _model_name(session, row.model_id))

    def find(self, name: str) -> DeploymentRecord | None:
        """The deployment called ``name``, or None."""
        try:
            return self.get(name)
        except NotFoundError:
            return None

    def list(self, *, mode: str | None = None, model: str | None = None) -> list[DeploymentRecord]:
        query = (
            select(Deployment, Model.name)
            .join(Model, Model.id == Deployment.model_id)
            .order_by(Deployment.name)
        )
        if mode is not None:
            query = query.where(Deployment.mode == mode)
        if model is not None:
            query = query.where(Model.name == model)
        with self._db.read() as session:
            return [_record(row, model_name) for row, model_name in session.execute(query)]


def _check_route(route: Mapping[str, Any]) -> dict[str, Any]:
    weight = route.get("weight", 100)
    if (
        isinstance(weight, bool)
        or not isinstance(weight, int | float)
        or not math.isfinite(weight)
        or weight <= 0
    ):
        raise UsageError(f"Route {dict(route)} has weight {weight!r}; use a positive number.")
    has_version, has_alias = "version" in route, "alias" in route
    if has_version == has_alias:
        raise UsageError(
            f"Route {dict(route)} must name either a version or an alias.",
            hint="For example {'version': 3, 'weight': 90} or {'alias': 'production'}.",
        )
    if has_version:
        return {"version": _positive_int(route["version"], "route version"), "weight": weight}
    return {"alias": check_alias(str(route["alias"])), "weight": weight}


def _positive_int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise UsageError(f"The {what} {value!r} is not a positive whole number.")
    return value


def _model(session: Session, name: str) -> Model:
    row = session.scalars(select(Model).where(Model.name == name)).first()
    if row is None:
        known = list(session.scalars(select(Model.name).order_by(Model.name).limit(10)))
        raise NotFoundError(
            f"Model {name!r} is not registered.",
            hint=f"Registered models: {', '.join(known)}." if known else "Register one first.",
        )
    return row


def _model_name(session: Session, model_id: str) -> str:
    return session.get_one(Model, model_id).name


def _check_target(session: Session, model: Model, route: Mapping[str, Any]) -> None:
    if "alias" in route:
        if session.get(Alias, (model.id, route["alias"])) is None:
            raise NotFoundError(
                f"Model {model.name!r} has no alias {route['alias']!r}.",
                hint=f"Promote a version first: shipyard promote {model.name}/N "
                f"--alias {route['alias']}",
            )
        return
    found = session.scalars(
        select(ModelVersion.id).where(
            ModelVersion.model_id == model.id, ModelVersion.version == route["version"]
        )
    ).first()
    if found is None:
        raise NotFoundError(f"Model {model.name!r} has no version {route['version']}.")


def _change_status(
    session: Session, row: Deployment, status: str, *, actor: str, reason: str | None
) -> None:
    """Set the status, with an audit event when it changes."""
    if row.status == status:
        return
    before = row.status
    row.status, row.updated_at = status, utcnow()
    record_event(session, actor=actor, action="deployment.status", target_type="deployment",
                 target=row.name, before={"status": before}, after={"status": status},
                 reason=reason)  # fmt: skip
    session.flush()


def _lock(session: Session, name: str) -> Deployment | None:
    return session.scalars(
        select(Deployment).where(Deployment.name == name).with_for_update()
    ).first()


def _require(session: Session, row: Deployment | None, name: str) -> Deployment:
    if row is None:
        known = list(session.scalars(select(Deployment.name).order_by(Deployment.name).limit(10)))
        raise NotFoundError(
            f"There is no deployment called {name!r}.",
            hint=f"Deployments: {', '.join(known)}." if known else
            "Create one with `shipyard deploy online NAME --route MODEL/VERSION=100`.",
        )  # fmt: skip
    return row


def _state(row: Deployment, model: str) -> dict[str, Any]:
    return {"model": model, "mode": row.mode, "routes": row.routes, "shadows": row.shadows,
            "config": row.config}  # fmt: skip


def _record(row: Deployment, model: str) -> DeploymentRecord:
    return DeploymentRecord(
        id=row.id, name=row.name, mode=row.mode, model_name=model, routes=list(row.routes),
        shadows=list(row.shadows), status=row.status, config=dict(row.config),
        stats=None if row.stats is None else dict(row.stats), created_at=row.created_at,
        updated_at=row.updated_at,
    )  # fmt: skip
