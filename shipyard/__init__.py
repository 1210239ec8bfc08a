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

import typing as _typing

from shipyard.core.lazy import attach as _attach

if _typing.TYPE_CHECKING:
    from shipyard.ci import ci as ci
    from shipyard.core.errors import (
        ArtifactError as ArtifactError,
        ArtifactIntegrityError as ArtifactIntegrityError,
        BrokerError as BrokerError,
        ConfigurationError as ConfigurationError,
        ConflictError as ConflictError,
        InputValidationError as InputValidationError,
        MigrationRequiredError as MigrationRequiredError,
        ModelError as ModelError,
        NotFoundError as NotFoundError,
        PipelineStepError as PipelineStepError,
        PolicyViolationError as PolicyViolationError,
        ShipyardError as ShipyardError,
        StoreError as StoreError,
        UnsafeModelError as UnsafeModelError,
        UsageError as UsageError,
    )
    from shipyard.core.settings import (
        Settings as Settings,
        load_settings as load_settings,
    )
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
    from shipyard.evaluation import (
        EvaluationResult as EvaluationResult,
        EvaluationSpec as EvaluationSpec,
        evaluate as evaluate,
    )
    from shipyard.models import (
        LoadedModel as LoadedModel,
        infer_signature as infer_signature,
    )
    from shipyard.monitoring import (
        monitor_run as monitor_run,
        monitor_watch as monitor_watch,
    )
    from shipyard.pipeline import (
        PipelineResult as PipelineResult,
        reproduce as reproduce,
        retrain as retrain,
        run_pipeline as run_pipeline,
    )
    from shipyard.pipeline.lineage import (
        LineageGraph as LineageGraph,
        lineage as lineage,
    )
    from shipyard.registry import (
        PolicyVerdict as PolicyVerdict,
        alias_history as alias_history,
        approve as approve,
        check_policy as check_policy,
        get_policy as get_policy,
        latest_evaluation as latest_evaluation,
        load_model as load_model,
        promote as promote,
        record_evaluation as record_evaluation,
        resolve as resolve,
        rollback as rollback,
        set_policy as set_policy,
    )
    from shipyard.serving.batch import batch_score as batch_score
    from shipyard.serving.client import Client as Client
    from shipyard.serving.online import serve as serve
    from shipyard.serving.prediction_log import PredictionLogReader as PredictionLogReader
    from shipyard.serving.stream import stream as stream
    from shipyard.store.workspace import (
        Workspace as Workspace,
        open_workspace as open_workspace,
    )
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
    "BrokerError": "shipyard.core.errors",
    "Check": "shipyard.data",
    "Client": "shipyard.serving.client",
    "Column": "shipyard.data",
    "ConfigurationError": "shipyard.core.errors",
    "ConflictError": "shipyard.core.errors",
    "DataError": "shipyard.data",
    "DataValidationError": "shipyard.data",
    "EvaluationResult": "shipyard.evaluation",
    "EvaluationSpec": "shipyard.evaluation",
    "Expectations": "shipyard.data",
    "InputValidationError": "shipyard.core.errors",
    "LineageGraph": "shipyard.pipeline.lineage",
    "LoadedModel": "shipyard.models",
    "MigrationRequiredError": "shipyard.core.errors",
    "ModelError": "shipyard.core.errors",
    "NotFoundError": "shipyard.core.errors",
    "PipelineResult": "shipyard.pipeline",
    "PipelineStepError": "shipyard.core.errors",
    "PolicyVerdict": "shipyard.registry",
    "PolicyViolationError": "shipyard.core.errors",
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
    "approve": "shipyard.registry",
    "batch_score": "shipyard.serving.batch",
    "check_policy": "shipyard.registry",
    "ci": "shipyard.ci",
    "dataset_drift": "shipyard.data",
    "diff_datasets": "shipyard.data",
    "evaluate": "shipyard.evaluation",
    "get_dataset": "shipyard.data",
    "get_policy": "shipyard.registry",
    "infer_signature": "shipyard.models",
    "latest_evaluation": "shipyard.registry",
    "lineage": "shipyard.pipeline.lineage",
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
    "monitor_run": "shipyard.monitoring",
    "monitor_watch": "shipyard.monitoring",
    "open_workspace": "shipyard.store.workspace",
    "promote": "shipyard.registry",
    "record_evaluation": "shipyard.registry",
    "reproduce": "shipyard.pipeline",
    "resolve": "shipyard.registry",
    "retrain": "shipyard.pipeline",
    "rollback": "shipyard.registry",
    "run_pipeline": "shipyard.pipeline",
    "seed_everything": "shipyard.tracking",
    "serve": "shipyard.serving.online",
    "set_policy": "shipyard.registry",
    "set_tag": "shipyard.tracking",
    "set_tags": "shipyard.tracking",
    "start_run": "shipyard.tracking",
    "stream": "shipyard.serving.stream",
    "validate_dataset": "shipyard.tracking",
}
"""Each public name and the module that defines it. Names are imported on first use, so
``import shipyard`` (and every ``shipyard`` command) starts without loading what it won't use."""

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = _attach(__name__, _EXPORTS)
