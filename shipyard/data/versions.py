"""Dataset versions in a workspace: log (hash, store, describe), resolve, load, validate.

Writes go artifact first, metadata second: the Parquet blob (and a validation report) is in the
artifact store, content-addressed and complete, before the one transaction that records the
version. A failure on the way leaves no metadata, and at most an unreferenced blob.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.parquet as pq

from shipyard._store.datasets import DatasetRepository, NewVersion
from shipyard._store.records import DatasetVersionRecord, ValidationRecord
from shipyard._store.workspace import Workspace
from shipyard.core.errors import UsageError
from shipyard.core.hashing import sha256_file
from shipyard.core.logging import get_logger
from shipyard.data.errors import DataError
from shipyard.data.expectations import Expectations
from shipyard.data.ingest import ingest
from shipyard.data.readers import open_source
from shipyard.data.refs import DatasetRef, check_dataset_name, parse_dataset_ref
from shipyard.data.report import ValidationReport
from shipyard.data.validate import validate

Format = Literal["pandas", "arrow", "polars"]
FORMATS = ("pandas", "arrow", "polars")
log = get_logger(__name__)


def repository(workspace: Workspace) -> DatasetRepository:
    """The workspace's dataset repository."""
    found = getattr(workspace, "datasets", None)
    return found if isinstance(found, DatasetRepository) else DatasetRepository(workspace.db)


def log_version(
    workspace: Workspace,
    data: Any,
    name: str,
    *,
    description: str | None = None,
    parents: Sequence[str] = (),
    created_by_run_id: str | None = None,
    storage_options: dict[str, Any] | None = None,
) -> tuple[DatasetVersionRecord, bool]:
    """Store ``data`` as a version of dataset ``name``; returns it and whether it is new (the
    same content logged again returns the existing version)."""
    check_dataset_name(name)
    repo = repository(workspace)
    parent_refs = [resolve(workspace, p).ref for p in parents]
    source = open_source(data, **(storage_options or {}))
    with ingest(source) as ingested:
        existing = repo.find_by_content(name, ingested.content_hash)
        if existing is not None:
            log.info("dataset %s: content unchanged, %s", name, existing.ref)
            return existing, False
        blob = workspace.artifacts.put_file(ingested.path)
    new = NewVersion(
        content_hash=ingested.content_hash, artifact_hash=blob.hash, uri=blob.uri,
        source=ingested.source, row_count=ingested.rows, size=blob.size,
        schema=ingested.schema.to_dict(), profile=ingested.profile, parents=parent_refs,
        created_by_run_id=created_by_run_id,
    )  # fmt: skip
    record, created = repo.create_version(name, new, description=description)
    log.info("dataset %s: %s %s", name, "stored" if created else "unchanged", record.ref)
    return record, created


def resolve(workspace: Workspace, ref: str | DatasetRef) -> DatasetVersionRecord:
    """The version ``ref`` names: ``name/3``, or ``name`` / ``name@latest`` for the latest."""
    parsed = ref if isinstance(ref, DatasetRef) else parse_dataset_ref(ref)
    repo = repository(workspace)
    if parsed.version is None:
        return repo.latest_version(parsed.name)
    return repo.get_version(parsed.name, parsed.version)


def local_copy(workspace: Workspace, record: DatasetVersionRecord) -> Path:
    """A verified local copy of the version's Parquet file (cached; re-verified every time)."""
    target = workspace.cache_dir / "datasets" / f"{record.artifact_hash}.parquet"
    if target.exists():
        found, _ = sha256_file(target)
        if found == record.artifact_hash:
            return target
        target.unlink()  # a damaged cache copy: fetch it again, verified
    return workspace.artifacts.download(record.artifact_hash, target, name=f"dataset {record.ref}")


def read_version(workspace: Workspace, record: DatasetVersionRecord) -> pa.Table:
    path = local_copy(workspace, record)
    try:
        return pq.read_table(path, memory_map=True)
    except (OSError, pa.ArrowException) as exc:
        raise DataError(f"Cannot read dataset {record.ref}: {exc}") from exc


def convert(table: pa.Table, format: str) -> Any:
    """An Arrow table as a pandas DataFrame, a polars DataFrame or itself."""
    if format == "arrow":
        return table
    if format == "pandas":
        return table.to_pandas()
    if format == "polars":
        try:
            import polars
        except ImportError as exc:
            raise UsageError("format='polars' needs polars: pip install polars") from exc
        return polars.from_arrow(table)
    raise UsageError(f"format={format!r} is not one of {', '.join(FORMATS)}.")


def validate_version(
    workspace: Workspace,
    record: DatasetVersionRecord,
    expectations: Expectations,
    *,
    run_id: str | None = None,
) -> tuple[ValidationReport, ValidationRecord]:
    """Validate a stored version and store the report against it (report blob first)."""
    report = validate(read_version(workspace, record), expectations, dataset=record.ref)
    blob = workspace.artifacts.put_bytes(report.to_json())
    stored = repository(workspace).add_validation(
        record.id, passed=report.passed, expectations_hash=report.expectations_hash,
        report_hash=blob.hash, summary=report.summary(), run_id=run_id,
    )  # fmt: skip
    return report, stored
