"""Data: dataset versions, schema and profile, validation against expectations, drift.

A dataset version is the content of a table stored as Parquet under the SHA-256 of the data
itself (layout-independent), with its schema and a profile rich enough to compare later data
with it without its rows. Log and load versions through ``shipyard.tracking`` (``sy.log_dataset``,
``sy.load_dataset``), which records them as a run's inputs; everything here works without a run.
"""

import typing as _typing

from shipyard.core.lazy import attach as _attach

if _typing.TYPE_CHECKING:
    from shipyard.data.api import (
        dataset_drift as dataset_drift,
        diff_datasets as diff_datasets,
        get_dataset as get_dataset,
    )
    from shipyard.data.config import (
        configured_expectations as configured_expectations,
        read_expectations_file as read_expectations_file,
    )
    from shipyard.data.content_hash import (
        ContentHasher as ContentHasher,
        content_hash as content_hash,
    )
    from shipyard.data.diff import (
        DatasetDiff as DatasetDiff,
        SchemaChange as SchemaChange,
        diff_versions as diff_versions,
    )
    from shipyard.data.drift import (
        DriftReport as DriftReport,
        FeatureDrift as FeatureDrift,
        Thresholds as Thresholds,
        compare as compare,
    )
    from shipyard.data.errors import (
        DataError as DataError,
        DataValidationError as DataValidationError,
    )
    from shipyard.data.expectations import (
        Check as Check,
        Column as Column,
        Expectations as Expectations,
        RowBounds as RowBounds,
    )
    from shipyard.data.infer import (
        infer_expectations as infer_expectations,
        render_yaml as render_yaml,
    )
    from shipyard.data.profile import (
        profile_table as profile_table,
    )
    from shipyard.data.readers import (
        open_source as open_source,
        read_table as read_table,
    )
    from shipyard.data.refs import (
        DatasetRef as DatasetRef,
        is_path_like as is_path_like,
        parse_dataset_ref as parse_dataset_ref,
    )
    from shipyard.data.report import (
        Failure as Failure,
        ValidationReport as ValidationReport,
    )
    from shipyard.data.schema import (
        ColumnSchema as ColumnSchema,
        DatasetSchema as DatasetSchema,
        schema_of as schema_of,
    )
    from shipyard.data.sql import (
        SqlQuery as SqlQuery,
    )
    from shipyard.data.validate import (
        validate as validate,
    )
    from shipyard.data.versions import (
        convert as convert,
        log_version as log_version,
        read_version as read_version,
        repository as repository,
        resolve as resolve,
        validate_version as validate_version,
    )

_EXPORTS = {
    "Check": "shipyard.data.expectations",
    "Column": "shipyard.data.expectations",
    "ColumnSchema": "shipyard.data.schema",
    "ContentHasher": "shipyard.data.content_hash",
    "DataError": "shipyard.data.errors",
    "DataValidationError": "shipyard.data.errors",
    "DatasetDiff": "shipyard.data.diff",
    "DatasetRef": "shipyard.data.refs",
    "DatasetSchema": "shipyard.data.schema",
    "DriftReport": "shipyard.data.drift",
    "Expectations": "shipyard.data.expectations",
    "Failure": "shipyard.data.report",
    "FeatureDrift": "shipyard.data.drift",
    "RowBounds": "shipyard.data.expectations",
    "SchemaChange": "shipyard.data.diff",
    "SqlQuery": "shipyard.data.sql",
    "Thresholds": "shipyard.data.drift",
    "ValidationReport": "shipyard.data.report",
    "compare": "shipyard.data.drift",
    "configured_expectations": "shipyard.data.config",
    "content_hash": "shipyard.data.content_hash",
    "convert": "shipyard.data.versions",
    "dataset_drift": "shipyard.data.api",
    "diff_datasets": "shipyard.data.api",
    "diff_versions": "shipyard.data.diff",
    "get_dataset": "shipyard.data.api",
    "infer_expectations": "shipyard.data.infer",
    "is_path_like": "shipyard.data.refs",
    "log_version": "shipyard.data.versions",
    "open_source": "shipyard.data.readers",
    "parse_dataset_ref": "shipyard.data.refs",
    "profile_table": "shipyard.data.profile",
    "read_expectations_file": "shipyard.data.config",
    "read_table": "shipyard.data.readers",
    "read_version": "shipyard.data.versions",
    "render_yaml": "shipyard.data.infer",
    "repository": "shipyard.data.versions",
    "resolve": "shipyard.data.versions",
    "schema_of": "shipyard.data.schema",
    "validate": "shipyard.data.validate",
    "validate_version": "shipyard.data.versions",
}
"""Each public name and the module that defines it, imported on first use."""

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = _attach(__name__, _EXPORTS)
