"""Workspace-level reads of datasets: resolve a reference, compare data with a stored version,
diff two versions. (Logging, loading and validating, which a run records, are in
``shipyard.tracking``.)"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from shipyard._store.records import (
    DatasetRecord,
    DatasetVersionRecord,
    RunUsage,
    ValidationRecord,
)
from shipyard._store.workspace import Workspace, workspace_for
from shipyard.core.settings import Settings
from shipyard.data.diff import DatasetDiff, diff_versions
from shipyard.data.drift import DriftReport, Thresholds, compare
from shipyard.data.errors import DataError
from shipyard.data.refs import is_path_like
from shipyard.data.versions import resolve


def get_dataset(
    ref: str, *, workspace: Workspace | None = None, settings: Settings | None = None
) -> DatasetVersionRecord:
    """The stored version ``ref`` names (``name/3``, or ``name`` for the latest): its hashes,
    row count, schema, profile and lineage."""
    return resolve(workspace or workspace_for(settings), ref)


def list_datasets(
    *, workspace: Workspace | None = None, settings: Settings | None = None
) -> list[DatasetRecord]:
    """Every dataset, by name, with its number of versions and its latest version's rows."""
    return (workspace or workspace_for(settings)).datasets.list_datasets()


def list_dataset_versions(
    name: str, *, workspace: Workspace | None = None, settings: Settings | None = None
) -> list[DatasetVersionRecord]:
    """Every version of dataset ``name``, newest first (without their profiles)."""
    return (workspace or workspace_for(settings)).datasets.list_versions(name)


def dataset_usage(
    ref: str, *, workspace: Workspace | None = None, settings: Settings | None = None
) -> list[RunUsage]:
    """The runs that read (``input``) or wrote (``output``) the version ``ref`` names."""
    ws = workspace or workspace_for(settings)
    return ws.datasets.usages(resolve(ws, ref).id)


def run_datasets(
    run_id: str, *, workspace: Workspace | None = None, settings: Settings | None = None
) -> list[RunUsage]:
    """The dataset versions run ``run_id`` read (``input``) or wrote (``output``)."""
    return (workspace or workspace_for(settings)).datasets.run_datasets(run_id)


def list_validations(
    ref: str, *, workspace: Workspace | None = None, settings: Settings | None = None
) -> list[ValidationRecord]:
    """The stored validations of the version ``ref`` names, newest first."""
    ws = workspace or workspace_for(settings)
    return ws.datasets.validations(resolve(ws, ref).id)


def dataset_drift(
    reference: str,
    current: Any,
    *,
    thresholds: Thresholds | None = None,
    columns: Iterable[str] | None = None,
    workspace: Workspace | None = None,
    settings: Settings | None = None,
) -> DriftReport:
    """Drift of ``current`` (rows, a profile, or another version's reference ``name/N``) from
    the stored profile of the version ``reference`` names; the reference rows are not read."""
    ws = workspace or workspace_for(settings)
    base = resolve(ws, reference)
    if not base.profile:
        raise DataError(f"Dataset {base.ref} has no stored profile to compare with.")
    current_name = None
    if isinstance(current, str) and not is_path_like(current):
        other = resolve(ws, current)
        current, current_name = other.profile, other.ref
    return compare(
        base.profile, current, thresholds=thresholds, columns=columns,
        reference_name=base.ref, current_name=current_name,
    )  # fmt: skip


def diff_datasets(
    before: str,
    after: str,
    *,
    thresholds: Thresholds | None = None,
    workspace: Workspace | None = None,
    settings: Settings | None = None,
) -> DatasetDiff:
    """Schema changes, row counts and per-column distribution shift between two versions."""
    ws = workspace or workspace_for(settings)
    return diff_versions(resolve(ws, before), resolve(ws, after), thresholds=thresholds)
