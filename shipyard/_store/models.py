"""Registered models, their versions and aliases. Every change writes an audit event in the
same transaction. Aliases are read here and moved only by :mod:`shipyard._store.aliases`, which
the registry calls once the promotion policy holds.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from shipyard._store.audit import record_event
from shipyard._store.database import Database
from shipyard._store.records import ModelRecord, ModelVersionRecord
from shipyard._store.tables import Alias, Model, ModelVersion
from shipyard._store.upsert import insert_ignore
from shipyard.core.clock import utcnow
from shipyard.core.errors import NotFoundError
from shipyard.core.ids import new_id
from shipyard.core.names import check_model_name

READY, REJECTED, ARCHIVED = "ready", "rejected", "archived"
VERSION_STATUSES = (READY, REJECTED, ARCHIVED)


class ModelRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    # -- models and versions ---------------------------------------------------------------

    def create_version(
        self,
        name: str,
        *,
        package_hash: str,
        flavor: str,
        signature: dict[str, Any] | None,
        source_run_id: str | None,
        actor: str,
        status: str = READY,
        description: str | None = None,
    ) -> ModelVersionRecord:
        """Register a new version of ``name`` (created on first use), numbered 1, 2, 3…"""
        check_model_name(name)
        with self._db.write() as session:
            insert_ignore(
                session,
                Model.__table__,  # type: ignore[arg-type]
                [{"id": new_id(), "name": name, "created_at": utcnow()}],
            )
            model = lock_model(session, name)
            number = (
                session.scalar(
                    select(func.max(ModelVersion.version)).where(ModelVersion.model_id == model.id)
                )
                or 0
            ) + 1
            row = ModelVersion(
                id=new_id(), model_id=model.id, version=number, source_run_id=source_run_id,
                package_hash=package_hash, flavor=flavor, signature=signature, status=status,
                description=description, created_at=utcnow(),
            )  # fmt: skip
            session.add(row)
            record_event(
                session, actor=actor, action="version.create", target_type="model_version",
                target=f"{name}/{number}",
                after={"version": number, "package_hash": package_hash, "run": source_run_id},
            )  # fmt: skip
            session.flush()
            return _version_record(name, row, ())

    def set_status(
        self, name: str, version: int, status: str, *, actor: str, reason: str | None = None
    ) -> ModelVersionRecord:
        if status not in VERSION_STATUSES:
            raise ValueError(f"status must be one of {VERSION_STATUSES}")
        with self._db.write() as session:
            model = lock_model(session, name)
            row = version_row(session, model, version)
            before = row.status
            row.status = status
            record_event(
                session, actor=actor, action="version.status", target_type="model_version",
                target=f"{name}/{version}", before={"status": before}, after={"status": status},
                reason=reason,
            )  # fmt: skip
            session.flush()
            return _version_record(name, row, _aliases_of(session, row.id))

    def get_model(self, name: str) -> ModelRecord:
        with self._db.read() as session:
            return self._model_records(session, select(Model).where(Model.name == name), name)[0]

    def list_models(self) -> list[ModelRecord]:
        with self._db.read() as session:
            return self._model_records(session, select(Model).order_by(Model.name), None)

    def _model_records(
        self, session: Session, query: Select[Any], wanted: str | None
    ) -> list[ModelRecord]:
        models: list[Model] = list(session.scalars(query))
        if wanted is not None and not models:
            raise _unknown_model(session, wanted)
        ids = [m.id for m in models]
        latest = {
            model_id: number
            for model_id, number in session.execute(
                select(ModelVersion.model_id, func.max(ModelVersion.version))
                .where(ModelVersion.model_id.in_(ids))
                .group_by(ModelVersion.model_id)
            )
        }
        aliases: dict[str, dict[str, int]] = defaultdict(dict)
        for model_id, alias, version in session.execute(
            select(Alias.model_id, Alias.alias, ModelVersion.version)
            .join(ModelVersion, ModelVersion.id == Alias.version_id)
            .where(Alias.model_id.in_(ids))
        ):
            aliases[model_id][alias] = version
        return [
            ModelRecord(m.id, m.name, m.description, m.created_at, latest.get(m.id), aliases[m.id])
            for m in models
        ]

    def get_version(self, name: str, version: int) -> ModelVersionRecord:
        with self._db.read() as session:
            model = _model_row(session, name)
            row = version_row(session, model, version)
            return _version_record(name, row, _aliases_of(session, row.id))

    def latest_version(self, name: str) -> ModelVersionRecord:
        with self._db.read() as session:
            model = _model_row(session, name)
            row = session.scalars(
                select(ModelVersion)
                .where(ModelVersion.model_id == model.id)
                .order_by(ModelVersion.version.desc())
                .limit(1)
            ).first()
            if row is None:
                raise NotFoundError(f"Model {name!r} has no versions yet.")
            return _version_record(name, row, _aliases_of(session, row.id))

    def list_versions(self, name: str) -> list[ModelVersionRecord]:
        with self._db.read() as session:
            model = _model_row(session, name)
            rows = list(
                session.scalars(
                    select(ModelVersion)
                    .where(ModelVersion.model_id == model.id)
                    .order_by(ModelVersion.version.desc())
                )
            )
            by_version: dict[str, list[str]] = defaultdict(list)
            for alias, version_id in session.execute(
                select(Alias.alias, Alias.version_id).where(Alias.model_id == model.id)
            ):
                by_version[version_id].append(alias)
            return [_version_record(name, r, tuple(sorted(by_version[r.id]))) for r in rows]

    # -- aliases (moved only by ``shipyard._store.aliases``) ----------------------------------

    def resolve_alias(self, name: str, alias: str) -> ModelVersionRecord:
        with self._db.read() as session:
            model = _model_row(session, name)
            row = session.get(Alias, (model.id, alias))
            if row is None:
                known = sorted(
                    session.scalars(select(Alias.alias).where(Alias.model_id == model.id))
                )
                raise NotFoundError(
                    f"Model {name!r} has no alias {alias!r}.",
                    hint=f"Its aliases: {', '.join(known)}." if known else
                    f"Promote a version first: shipyard promote {name} VERSION --alias {alias}",
                )  # fmt: skip
            version = session.get_one(ModelVersion, row.version_id)
            return _version_record(name, version, _aliases_of(session, version.id))


def _model_row(session: Session, name: str) -> Model:
    model = session.scalars(select(Model).where(Model.name == name)).first()
    if model is None:
        raise _unknown_model(session, name)
    return model


def lock_model(session: Session, name: str) -> Model:
    """The model row, locked for the rest of the transaction (SQLite already holds a write lock
    from ``BEGIN IMMEDIATE``; PostgreSQL takes a row lock)."""
    model = session.scalars(select(Model).where(Model.name == name).with_for_update()).first()
    if model is None:
        raise _unknown_model(session, name)
    return model


def _unknown_model(session: Session, name: str) -> NotFoundError:
    known = list(session.scalars(select(Model.name).order_by(Model.name).limit(10)))
    hint = f"Registered models: {', '.join(known)}." if known else "No model is registered yet."
    return NotFoundError(f"Model {name!r} is not registered.", hint=hint)


def version_row(session: Session, model: Model, version: int) -> ModelVersion:
    row = session.scalars(
        select(ModelVersion).where(
            ModelVersion.model_id == model.id, ModelVersion.version == version
        )
    ).first()
    if row is None:
        latest = session.scalar(
            select(func.max(ModelVersion.version)).where(ModelVersion.model_id == model.id)
        )
        raise NotFoundError(
            f"Model {model.name!r} has no version {version}.",
            hint=f"Its versions run from 1 to {latest}." if latest else "It has no versions.",
        )
    return row


def _aliases_of(session: Session, version_id: str) -> tuple[str, ...]:
    return tuple(sorted(session.scalars(select(Alias.alias).where(Alias.version_id == version_id))))


def _version_record(name: str, row: ModelVersion, aliases: tuple[str, ...]) -> ModelVersionRecord:
    return ModelVersionRecord(
        id=row.id, model_name=name, version=row.version, source_run_id=row.source_run_id,
        package_hash=row.package_hash, flavor=row.flavor, signature=row.signature,
        status=row.status, description=row.description, created_at=row.created_at,
        aliases=aliases,
    )  # fmt: skip
