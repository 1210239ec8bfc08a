"""Data: dataset versions, schema and profile, validation against expectations, drift.

A dataset version is the content of a table stored as Parquet under the SHA-256 of the data
itself (layout-independent), with its schema and a profile rich enough to compare later data
with it without its rows. Log and load versions through ``shipyard.tracking`` (``sy.log_dataset``,
``sy.load_dataset``), which records them as a run's inputs; everything here works without a run.
"""

from shipyard.data.api import dataset_drift, diff_datasets, get_dataset
from shipyard.data.config import configured_expectations, read_expectations_file
from shipyard.data.content_hash import ContentHasher, content_hash
from shipyard.data.diff import DatasetDiff, SchemaChange, diff_versions
from shipyard.data.drift import DriftReport, FeatureDrift, Thresholds, compare
from shipyard.data.errors import DataError, DataValidationError
from shipyard.data.expectations import Check, Column, Expectations, RowBounds
from shipyard.data.infer import infer_expectations, render_yaml
from shipyard.data.profile import profile_table
from shipyard.data.readers import open_source, read_table
from shipyard.data.refs import DatasetRef, is_path_like, parse_dataset_ref
from shipyard.data.report import Failure, ValidationReport
from shipyard.data.schema import ColumnSchema, DatasetSchema, schema_of
from shipyard.data.sql import SqlQuery
from shipyard.data.validate import validate
from shipyard.data.versions import (
    convert,
    log_version,
    read_version,
    repository,
    resolve,
    validate_version,
)

__all__ = [
    "Check",
    "Column",
    "ColumnSchema",
    "ContentHasher",
    "DataError",
    "DataValidationError",
    "DatasetDiff",
    "DatasetRef",
    "DatasetSchema",
    "DriftReport",
    "Expectations",
    "Failure",
    "FeatureDrift",
    "RowBounds",
    "SchemaChange",
    "SqlQuery",
    "Thresholds",
    "ValidationReport",
    "compare",
    "configured_expectations",
    "content_hash",
    "convert",
    "dataset_drift",
    "diff_datasets",
    "diff_versions",
    "get_dataset",
    "infer_expectations",
    "is_path_like",
    "log_version",
    "open_source",
    "parse_dataset_ref",
    "profile_table",
    "read_expectations_file",
    "read_table",
    "read_version",
    "render_yaml",
    "repository",
    "resolve",
    "schema_of",
    "validate",
    "validate_version",
]
