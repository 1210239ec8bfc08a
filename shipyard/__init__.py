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

import importlib as _importlib
import typing as _typing

if _typing.TYPE_CHECKING:
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

_EXPORTS = {
    "ActiveRun": "shipyard.tracking",
    "ArtifactError": "shipyard.core.errors",
    "ArtifactIntegrityError": "shipyard.core.errors",
    "Check": "shipyard.data",
    "Client": "shipyard.serving.client",
    "Column": "shipyard.data",
    "ConfigurationError": "shipyard.core.errors",
    "ConflictError": "shipyard.core.errors",
    "DataError": "shipyard.data",
    "DataValidationError": "shipyard.data",
    "Expectations": "shipyard.data",
    "InputValidationError": "shipyard.core.errors",
    "LoadedModel": "shipyard.models",
    "MigrationRequiredError": "shipyard.core.errors",
    "ModelError": "shipyard.core.errors",
    "NotFoundError": "shipyard.core.errors",
    "PredictionLogReader": "shipyard.serving.prediction_log",
    "Settings": "shipyard.core.settings",
    "ShipyardError": "shipyard.core.errors",
    "SqlQuery": "shipyard.data",
    "StoreError": "shipyard.core.errors",
    "UnsafeModelError": "shipyard.core.errors",
    "UsageError": "shipyard.core.errors",
    "Workspace": "shipyard.store.workspace",
    "active_run": "shipyard.tracking",
    "alias_history": "shipyard.registry",
    "batch_score": "shipyard.serving.batch",
    "dataset_drift": "shipyard.data",
    "diff_datasets": "shipyard.data",
    "get_dataset": "shipyard.data",
    "infer_signature": "shipyard.models",
    "load_dataset": "shipyard.tracking",
    "load_model": "shipyard.registry",
    "load_settings": "shipyard.core.settings",
    "log_artifact": "shipyard.tracking",
    "log_dataset": "shipyard.tracking",
    "log_metric": "shipyard.tracking",
    "log_metrics": "shipyard.tracking",
    "log_model": "shipyard.tracking",
    "log_param": "shipyard.tracking",
    "log_params": "shipyard.tracking",
    "open_workspace": "shipyard.store.workspace",
    "promote": "shipyard.registry",
    "resolve": "shipyard.registry",
    "rollback": "shipyard.registry",
    "seed_everything": "shipyard.tracking",
    "serve": "shipyard.serving.online",
    "set_tag": "shipyard.tracking",
    "set_tags": "shipyard.tracking",
    "start_run": "shipyard.tracking",
    "validate_dataset": "shipyard.tracking",
}
"""Each public name and the module that defines it. Names are imported on first use, so
``import shipyard`` (and every ``shipyard`` command) starts without loading what it won't use."""

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> _typing.Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'shipyard' has no attribute {name!r}")
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
