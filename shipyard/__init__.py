"""Shipyard: continuous delivery for machine learning.

    import shipyard as sy

    with sy.start_run("baseline") as run:
        sy.seed_everything(42)
        sy.log_params({"C": 1.0})
        sy.log_metric("auc", 0.91)
        version = run.log_model(model, "churn", input_example=X.head())
    sy.promote("churn", version.version, "production", reason="beats baseline")
    model = sy.load_model("churn@production")
    model.predict(rows)

Everything public is listed in ``__all__``; anything else is internal and may change.
"""

from shipyard.core.errors import (
    ArtifactError as ArtifactError,
    ArtifactIntegrityError as ArtifactIntegrityError,
    ConfigurationError as ConfigurationError,
    ConflictError as ConflictError,
    InputValidationError as InputValidationError,
    MigrationRequiredError as MigrationRequiredError,
    ModelError as ModelError,
    NotFoundError as NotFoundError,
    ShipyardError as ShipyardError,
    StoreError as StoreError,
    UnsafeModelError as UnsafeModelError,
    UsageError as UsageError,
)
from shipyard.core.settings import Settings as Settings, load_settings as load_settings
from shipyard.data import (
    Check as Check,
    Column as Column,
    DataError as DataError,
    DataValidationError as DataValidationError,
    Expectations as Expectations,
    SqlQuery as SqlQuery,
    dataset_drift as dataset_drift,
    diff_datasets as diff_datasets,
    get_dataset as get_dataset,
)
from shipyard.models import LoadedModel as LoadedModel, infer_signature as infer_signature
from shipyard.registry import (
    alias_history as alias_history,
    load_model as load_model,
    promote as promote,
    resolve as resolve,
    rollback as rollback,
)
from shipyard.serving.batch import batch_score as batch_score
from shipyard.serving.client import Client as Client
from shipyard.serving.online import serve as serve
from shipyard.serving.prediction_log import PredictionLogReader as PredictionLogReader
from shipyard.store.workspace import Workspace as Workspace, open_workspace as open_workspace
from shipyard.tracking import (
    ActiveRun as ActiveRun,
    active_run as active_run,
    load_dataset as load_dataset,
    log_artifact as log_artifact,
    log_dataset as log_dataset,
    log_metric as log_metric,
    log_metrics as log_metrics,
    log_model as log_model,
    log_param as log_param,
    log_params as log_params,
    seed_everything as seed_everything,
    set_tag as set_tag,
    set_tags as set_tags,
    start_run as start_run,
    validate_dataset as validate_dataset,
)

__version__ = "0.1.0"

__all__ = [
    "ActiveRun",
    "ArtifactError",
    "ArtifactIntegrityError",
    "Check",
    "Client",
    "Column",
    "ConfigurationError",
    "ConflictError",
    "DataError",
    "DataValidationError",
    "Expectations",
    "InputValidationError",
    "LoadedModel",
    "MigrationRequiredError",
    "ModelError",
    "NotFoundError",
    "PredictionLogReader",
    "Settings",
    "ShipyardError",
    "SqlQuery",
    "StoreError",
    "UnsafeModelError",
    "UsageError",
    "Workspace",
    "active_run",
    "alias_history",
    "batch_score",
    "dataset_drift",
    "diff_datasets",
    "get_dataset",
    "infer_signature",
    "load_dataset",
    "load_model",
    "load_settings",
    "log_artifact",
    "log_dataset",
    "log_metric",
    "log_metrics",
    "log_model",
    "log_param",
    "log_params",
    "open_workspace",
    "promote",
    "resolve",
    "rollback",
    "seed_everything",
    "serve",
    "set_tag",
    "set_tags",
    "start_run",
    "validate_dataset",
]
