"""Datasets, their immutable versions, the runs that read or wrote them, and validation results.

A version is identified by the content hash of its data: creating a version whose content hash
the dataset already has returns that version instead of a new one. Version numbers are given
under a lock on the dataset row, so concurrent writers never share a number.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session, defer

from shipyard._store.database import Database
from shipyard._store.records import (
    DatasetRecord,
    DatasetVersionRecord,
    RunUsage,
    ValidationRecord,
)
from shipyard._store.tables import Dataset, DatasetVersion, Run, RunDataset, ValidationResult
from shipyard._store.upsert import insert_ignore
from shipyard.core.clock import utcnow
from shipyard.core.errors import NotFoundError, UsageError
from shipyard.core.ids import new_id

_NAME_AT_VERSION = re.compile(r"^(.+)@([0-9]+)$")
"""Parents recorded before references were NAME/VERSION (``churn/1``), read as ``churn/1``."""

INPUT, OUTPUT = "input", "output"
ROLES = (INPUT, OUTPUT)


@dataclass(frozen=True)
class NewVersion:
    """What :meth:`DatasetRepository.create_version` stores (everything but the number)."""

    content_hash: str
    artifact_hash: str
    uri: str
    source: str | None
    row_count: int
    size: int
    schema: dict[str, Any]
    profile: dict[str, Any] | None
    parents: Sequence[str] = ()
    created_by_run_id: str | None = None


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


class DatasetRepository:
    """Reads and writes datasets and their versions. Every method is one transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # -- versions --------------------------------------------------------------------------

    def create_version(
        self, name: str, new: NewVersion, *, description: str | None = None
    ) -> tuple[DatasetVersionRecord, bool]:
        """Store a version of dataset ``name`` (created on first use), numbered 1, 2, 3…

        Returns the version and whether it is new: when the dataset already has a version with
        the same content hash, that version is returned and nothing is written.
        """
        with self._db.write() as session:
            insert_ignore(
                session,
                _table(Dataset),
                [{"id": new_id(), "name": name, "description": description,
                  "created_at": utcnow()}],
            )  # fmt: skip
            dataset = session.scalars(
                select(Dataset).where(Dataset.name == name).with_for_update()
            ).one()
            existing = session.scalars(
                select(DatasetVersion)
                .where(
                    DatasetVersion.dataset_id == dataset.id,
                    DatasetVersion.content_hash == new.content_hash,
                )
                .order_by(DatasetVersion.version)
                .limit(1)
            ).first()
            if existing is not None:
                return _version_record(name, existing), False
            if new.created_by_run_id is not None:
                _check_run(session, new.created_by_run_id)
            number = (
                session.scalar(
                    select(func.max(DatasetVersion.version)).where(
                        DatasetVersion.dataset_id == dataset.id
                    )
                )
                or 0
            ) + 1
            row = DatasetVersion(
                id=new_id(), dataset_id=dataset.id, version=number,
                content_hash=new.content_hash, artifact_hash=new.artifact_hash, uri=new.uri,
                source=new.source, row_count=new.row_count, size=new.size, schema=new.schema,
                profile=new.profile, parents=list(new.parents) or None,
                created_by_run_id=new.created_by_run_id, created_at=utcnow(),
            )  # fmt: skip
            session.add(row)
            if new.created_by_run_id is not None:
                session.add(
                    RunDataset(run_id=new.created_by_run_id, dataset_version_id=row.id,
                               role=OUTPUT, context=None)
                )  # fmt: skip
            session.flush()
            return _version_record(name, row), True

    def get_version(self, name: str, version: int) -> DatasetVersionRecord:
        with self._db.read() as session:
            return _version_record(name, version_row(session, _dataset_row(session, name), version))

    def latest_version(self, name: str) -> DatasetVersionRecord:
        with self._db.read() as session:
            dataset = _dataset_row(session, name)
            row = session.scalars(
                select(DatasetVersion)
                .where(DatasetVersion.dataset_id == dataset.id)
                .order_by(DatasetVersion.version.desc())
                .limit(1)
            ).first()
            if row is None:
                raise NotFoundError(f"Dataset {name!r} has no versions yet.")
            return _version_record(name, row)

    def find_by_content(self, name: str, content_hash: str) -> DatasetVersionRecord | None:
        """The earliest version of ``name`` with this content hash, if any."""
        query = (
            select(DatasetVersion)
            .join(Dataset, Dataset.id == DatasetVersion.dataset_id)
            .where(Dataset.name == name, DatasetVersion.content_hash == content_hash)
            .order_by(DatasetVersion.version)
            .limit(1)
        )
        with self._db.read() as session:
            row = session.scalars(query).first()
            return None if row is None else _version_record(name, row)

    def list_versions(self, name: str, *, profiles: bool = False) -> list[DatasetVersionRecord]:
        """Newest first; profiles (which can be large) only when asked for."""
        with self._db.read() as session:
            dataset = _dataset_row(session, name)
            query = (
                select(DatasetVersion)
                .where(DatasetVersion.dataset_id == dataset.id)
                .order_by(DatasetVersion.version.desc())
            )
            if not profiles:
                query = query.options(defer(DatasetVersion.profile))
            rows = session.scalars(query)
            return [_version_record(name, row, profile=profiles) for row in rows]

    def list_datasets(self) -> list[DatasetRecord]:
        """Every dataset, by name, with its latest version's number, rows and time."""
        latest = (
            select(
                DatasetVersion.dataset_id,
                func.count().label("versions"),
                func.max(DatasetVersion.version).label("version"),
            )
            .group_by(DatasetVersion.dataset_id)
            .subquery()
        )
        query = (
            select(Dataset, latest.c.versions, latest.c.version, DatasetVersion.row_count,
                   DatasetVersion.created_at)
            .outerjoin(latest, latest.c.dataset_id == Dataset.id)
            .outerjoin(
                DatasetVersion,
                (DatasetVersion.dataset_id == Dataset.id)
                & (DatasetVersion.version == latest.c.version),
            )
            .order_by(Dataset.name)
        )  # fmt: skip
        with self._db.read() as session:
            return [
                DatasetRecord(d.id, d.name, d.description, d.created_at, version, count or 0,
                              rows, updated)
                for d, count, version, rows, updated in session.execute(query)
            ]  # fmt: skip

    # -- lineage ---------------------------------------------------------------------------

    def record_usage(
        self, run_id: str, version_id: str, role: str = INPUT, context: str | None = None
    ) -> None:
        """Record that run ``run_id`` read (``input``) or wrote (``output``) a version.
        Recording the same use twice is harmless."""
        if role not in ROLES:
            raise UsageError(f"A dataset role is 'input' or 'output', not {role!r}.")
        with self._db.write() as session:
            _check_run(session, run_id)
            if session.get(DatasetVersion, version_id) is None:
                raise NotFoundError(f"Dataset version {version_id} does not exist.")
            insert_ignore(
                session,
                _table(RunDataset),
                [{"run_id": run_id, "dataset_version_id": version_id, "role": role,
                  "context": context}],
            )  # fmt: skip

    def usages(self, version_id: str) -> list[RunUsage]:
        """The runs that read or wrote this version, oldest run first."""
        return self._usages(RunDataset.dataset_version_id == version_id)

    def run_datasets(self, run_id: str) -> list[RunUsage]:
        """The dataset versions a run read or wrote."""
        return self._usages(RunDataset.run_id == run_id)

    def _usages(self, condition: Any) -> list[RunUsage]:
        query = (
            select(RunDataset.run_id, RunDataset.role, RunDataset.context, Dataset.name,
                   DatasetVersion.version)
            .join(DatasetVersion, DatasetVersion.id == RunDataset.dataset_version_id)
            .join(Dataset, Dataset.id == DatasetVersion.dataset_id)
            .where(condition)
            .order_by(RunDataset.run_id, Dataset.name, DatasetVersion.version, RunDataset.role)
        )  # fmt: skip
        with self._db.read() as session:
            return [
                RunUsage(run_id, role, context, f"{name}/{version}")
                for run_id, role, context, name, version in session.execute(query)
            ]

    # -- validation results ----------------------------------------------------------------

    def add_validation(
        self,
        version_id: str,
        *,
        passed: bool,
        expectations_hash: str,
        report_hash: str | None,
        summary: dict[str, Any],
        run_id: str | None = None,
    ) -> ValidationRecord:
        with self._db.write() as session:
            version = session.get(DatasetVersion, version_id)
            if version is None:
                raise NotFoundError(f"Dataset version {version_id} does not exist.")
            if run_id is not None:
                _check_run(session, run_id)
            row = ValidationResult(
                id=new_id(), dataset_version_id=version_id, passed=passed,
                expectations_hash=expectations_hash, report_hash=report_hash, summary=summary,
                run_id=run_id, created_at=utcnow(),
            )  # fmt: skip
            session.add(row)
            session.flush()
            return _validation_record(session, row)

    def validations(self, version_id: str) -> list[ValidationRecord]:
        """Validation results of a version, newest first."""
        with self._db.read() as session:
            rows = session.scalars(
                select(ValidationResult)
                .where(ValidationResult.dataset_version_id == version_id)
                .order_by(ValidationResult.created_at.desc(), ValidationResult.id.desc())
            )
            return [_validation_record(session, row) for row in rows]


def _check_run(session: Session, run_id: str) -> None:
    if session.get(Run, run_id) is None:
        raise NotFoundError(
            f"Run {run_id} does not exist.", hint="List runs with `shipyard runs list`."
        )


def _dataset_row(session: Session, name: str) -> Dataset:
    dataset = session.scalars(select(Dataset).where(Dataset.name == name)).first()
    if dataset is None:
        known = list(session.scalars(select(Dataset.name).order_by(Dataset.name).limit(10)))
        hint = f"Known datasets: {', '.join(known)}." if known else "No dataset is logged yet."
        raise NotFoundError(f"Dataset {name!r} does not exist.", hint=hint)
    return dataset


def version_row(session: Session, dataset: Dataset, version: int) -> DatasetVersion:
    row = session.scalars(
        select(DatasetVersion).where(
            DatasetVersion.dataset_id == dataset.id, DatasetVersion.version == version
        )
    ).first()
    if row is None:
        latest = session.scalar(
            select(func.max(DatasetVersion.version)).where(DatasetVersion.dataset_id == dataset.id)
        )
        raise NotFoundError(
            f"Dataset {dataset.name!r} has no version {version}.",
            hint=f"Its versions run from 1 to {latest}." if latest else "It has no versions.",
        )
    return row


def _version_record(
    name: str, row: DatasetVersion, *, profile: bool = True
) -> DatasetVersionRecord:
    return DatasetVersionRecord(
        id=row.id, dataset_name=name, version=row.version, content_hash=row.content_hash,
        artifact_hash=row.artifact_hash, uri=row.uri, source=row.source,
        row_count=row.row_count, size=row.size, schema=row.schema,
        profile=row.profile if profile else None,
        parents=tuple(_NAME_AT_VERSION.sub(r"\1/\2", p) for p in row.parents or ()),
        created_by_run_id=row.created_by_run_id, created_at=row.created_at,
    )  # fmt: skip


def _validation_record(session: Session, row: ValidationResult) -> ValidationRecord:
    version = session.get_one(DatasetVersion, row.dataset_version_id)
    dataset = session.get_one(Dataset, version.dataset_id)
    return ValidationRecord(
        id=row.id, dataset_ref=f"{dataset.name}/{version.version}", passed=row.passed,
        expectations_hash=row.expectations_hash, report_hash=row.report_hash,
        summary=row.summary, run_id=row.run_id, created_at=row.created_at,
    )  # fmt: skip
