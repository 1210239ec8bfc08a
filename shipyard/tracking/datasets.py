"""Datasets as runs see them: ``sy.log_dataset``, ``sy.load_dataset``, ``sy.validate_dataset``.

Inside an active run a dataset logged or loaded is recorded as that run's input (or, with
``role="output"``, as what the run produced), and a validation records the run that made it.
Outside a run they work the same, without the lineage.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shipyard._store.datasets import INPUT, OUTPUT, ROLES
from shipyard._store.records import DatasetVersionRecord
from shipyard._store.workspace import Workspace, workspace_for
from shipyard.core.errors import UsageError
from shipyard.core.settings import Settings
from shipyard.data.config import configured_expectations
from shipyard.data.errors import DataValidationError
from shipyard.data.expectations import Expectations
from shipyard.data.refs import is_path_like
from shipyard.data.report import ValidationReport
from shipyard.data.validate import validate as validate_data
from shipyard.data.versions import (
    convert,
    log_version,
    read_version,
    repository,
    resolve,
    validate_version,
)
from shipyard.tracking.fluent import active_run


def _workspace(workspace: Workspace | None, settings: Settings | None) -> Workspace:
    run = active_run()
    return workspace or (run.workspace if run else None) or workspace_for(settings)


def _run_id(ws: Workspace) -> str | None:
    run = active_run()
    return run.id if run is not None and not run.ended and run.workspace is ws else None


def log_dataset(
    data: Any,
    name: str,
    *,
    description: str | None = None,
    parents: Sequence[str] = (),
    role: str = INPUT,
    context: str | None = None,
    validate: bool | Expectations = False,
    storage_options: dict[str, Any] | None = None,
    workspace: Workspace | None = None,
    settings: Settings | None = None,
) -> DatasetVersionRecord:
    """Store ``data`` as a version of dataset ``name`` and return it.

    ``data`` is a pandas or polars DataFrame, a pyarrow Table, a Parquet/CSV path, folder,
    glob or fsspec URL, or ``shipyard.data.SqlQuery(query, url)``. The version is identified
    by the content hash of the data: logging the same content again returns the existing
    version. Inside a run it is recorded as the run's input (``role="output"``: its output;
    ``context`` says how, e.g. "train"). ``parents`` names the versions it was made from.
    With ``validate=True`` the version is checked against its expectations in shipyard.yaml
    (or against the Expectations given) and DataValidationError is raised when it fails; the
    report is stored against the version either way.
    """
    if role not in ROLES:
        raise UsageError(f"role must be 'input' or 'output', not {role!r}.")
    ws = _workspace(workspace, settings)
    run_id = _run_id(ws)
    expectations = None  # resolved first: a missing declaration fails before anything is stored
    if validate is not False:
        expectations = validate if isinstance(validate, Expectations) else (
            configured_expectations(name, settings=ws.settings)
        )  # fmt: skip
    record, _ = log_version(
        ws, data, name, description=description, parents=parents,
        created_by_run_id=run_id if role == OUTPUT else None, storage_options=storage_options,
    )  # fmt: skip
    if run_id is not None:
        repository(ws).record_usage(run_id, record.id, role, context)
    if expectations is not None:
        report, _ = validate_version(ws, record, expectations, run_id=run_id)
        report.raise_for_failure()
    return record


def load_dataset(
    ref: str,
    *,
    format: str = "pandas",
    context: str | None = None,
    workspace: Workspace | None = None,
    settings: Settings | None = None,
) -> Any:
    """The data of a stored version (``name/3``, or ``name`` for the latest) as a pandas
    DataFrame, or with ``format="arrow"`` / ``"polars"`` an Arrow table / polars DataFrame.

    The stored file's SHA-256 is verified before it is read. Inside a run the version is
    recorded as the run's input.
    """
    ws = _workspace(workspace, settings)
    record = resolve(ws, ref)
    data = convert(read_version(ws, record), format)
    run_id = _run_id(ws)
    if run_id is not None:
        repository(ws).record_usage(run_id, record.id, INPUT, context)
    return data


def validate_dataset(
    target: Any,
    expectations: Expectations | None = None,
    *,
    name: str | None = None,
    raise_on_failure: bool = False,
    workspace: Workspace | None = None,
    settings: Settings | None = None,
) -> ValidationReport:
    """Check a stored version (``"name/3"``) or any data (a DataFrame, a path …) against
    ``expectations``; without them, against those shipyard.yaml declares for the dataset
    (``name`` says which, for data that is not a stored version).

    The report of a stored version is stored against it (with the active run, if any). With
    ``raise_on_failure`` a failure raises DataValidationError carrying the report.
    """
    ws = _workspace(workspace, settings)
    if isinstance(target, str) and not is_path_like(target):
        record = resolve(ws, target)
        rules = expectations or configured_expectations(
            name or record.dataset_name, settings=ws.settings
        )
        report, _ = validate_version(ws, record, rules, run_id=_run_id(ws))
    else:
        if expectations is None and name is None:
            raise UsageError(
                "Which expectations? The data is not a stored dataset version.",
                hint="Pass expectations=..., or name= of a dataset declared in shipyard.yaml.",
            )
        rules = expectations or configured_expectations(str(name), settings=ws.settings)
        label = name or (str(target) if isinstance(target, str) else None)
        report = validate_data(target, rules, dataset=label)
    if raise_on_failure and not report.passed:
        raise DataValidationError(report)
    return report


__all__ = ["load_dataset", "log_dataset", "validate_dataset"]
