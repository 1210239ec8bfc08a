"""The public API of Shipyard, written once: the package reads this stub at import time to
learn each public name and the module that defines it (``shipyard.core.lazy.attach_stub``), and
type checkers and editors read it for the real types. Add a public name here, and only here."""

from shipyard._store.deployments import DeploymentRecord as DeploymentRecord
from shipyard._store.monitoring import (
    AlertRecord as AlertRecord,
    MonitorResultRecord as MonitorResultRecord,
)
from shipyard._store.records import (
    AliasMove as AliasMove,
    ApprovalRecord as ApprovalRecord,
    ArtifactRecord as ArtifactRecord,
    AuditRecord as AuditRecord,
    DatasetRecord as DatasetRecord,
    DatasetVersionRecord as DatasetVersionRecord,
    EvaluationRecord as EvaluationRecord,
    MetricPoint as MetricPoint,
    MetricSeries as MetricSeries,
    ModelRecord as ModelRecord,
    ModelVersionRecord as ModelVersionRecord,
    PolicyRecord as PolicyRecord,
    RunRecord as RunRecord,
    RunUsage as RunUsage,
    ValidationRecord as ValidationRecord,
)
from shipyard._store.rollouts import RolloutRecord as RolloutRecord
from shipyard._store.schema import (
    StoreStatus as StoreStatus,
    store_status as store_status,
    upgrade_store as upgrade_store,
)
from shipyard._store.workspace import (
    Workspace as Workspace,
    open_workspace as open_workspace,
)
from shipyard.ci.runner import ci as ci
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
from shipyard.data.api import (
    dataset_drift as dataset_drift,
    dataset_usage as dataset_usage,
    diff_datasets as diff_datasets,
    get_dataset as get_dataset,
    list_dataset_versions as list_dataset_versions,
    list_datasets as list_datasets,
    list_validations as list_validations,
    run_datasets as run_datasets,
)
from shipyard.data.errors import (
    DataError as DataError,
    DataValidationError as DataValidationError,
)
from shipyard.data.expectations import (
    Check as Check,
    Column as Column,
    Expectations as Expectations,
)
from shipyard.data.sql import SqlQuery as SqlQuery
from shipyard.delivery.abtest import (
    ABReport as ABReport,
    ab_report as ab_report,
)
from shipyard.delivery.rollout import (
    abort_rollout as abort_rollout,
    get_rollout as get_rollout,
    list_rollouts as list_rollouts,
    pause_rollout as pause_rollout,
    resume_rollout as resume_rollout,
    rollout as rollout,
)
from shipyard.delivery.smoke import (
    SmokeCase as SmokeCase,
    SmokeReport as SmokeReport,
    smoke_test as smoke_test,
)
from shipyard.evaluation.evaluate import evaluate as evaluate
from shipyard.evaluation.result import EvaluationResult as EvaluationResult
from shipyard.evaluation.spec import EvaluationSpec as EvaluationSpec
from shipyard.evaluation.stored import feature_importance as feature_importance
from shipyard.models.explain import (
    Explanation as Explanation,
    explain as explain,
)
from shipyard.models.loaded import LoadedModel as LoadedModel
from shipyard.models.signature import infer_signature as infer_signature
from shipyard.monitoring.alert_api import (
    acknowledge_alert as acknowledge_alert,
    get_alert as get_alert,
    list_alerts as list_alerts,
    resolve_alert as resolve_alert,
)
from shipyard.monitoring.job import (
    monitor_run as monitor_run,
    monitor_watch as monitor_watch,
)
from shipyard.monitoring.offline_online import (
    OfflineOnline as OfflineOnline,
    offline_online as offline_online,
)
from shipyard.monitoring.results_api import list_monitor_results as list_monitor_results
from shipyard.monitoring.staleness import (
    StalenessReport as StalenessReport,
    staleness as staleness,
)
from shipyard.pipeline.lineage import (
    LineageGraph as LineageGraph,
    lineage as lineage,
)
from shipyard.pipeline.reproduce import reproduce as reproduce
from shipyard.pipeline.result import PipelineResult as PipelineResult
from shipyard.pipeline.runner import (
    retrain as retrain,
    run_pipeline as run_pipeline,
)
from shipyard.pipeline.tuning import (
    TuneResult as TuneResult,
    tune as tune,
)
from shipyard.registry.audit import (
    AuditVerdict as AuditVerdict,
    get_audit as get_audit,
    verify_audit as verify_audit,
)
from shipyard.registry.policies import (
    PolicyVerdict as PolicyVerdict,
    approve as approve,
    check_policy as check_policy,
    get_policy as get_policy,
    latest_evaluation as latest_evaluation,
    record_evaluation as record_evaluation,
    set_policy as set_policy,
)
from shipyard.registry.registry import (
    alias_history as alias_history,
    load_model as load_model,
    promote as promote,
    rollback as rollback,
)
from shipyard.registry.versions import (
    get_model as get_model,
    get_model_version as get_model_version,
    list_model_versions as list_model_versions,
    list_models as list_models,
    resolve as resolve,
)
from shipyard.scorecard.api import scorecard as scorecard
from shipyard.scorecard.attest import (
    Attestation as Attestation,
    attest as attest,
)
from shipyard.scorecard.record import Scorecard as Scorecard
from shipyard.serving.batch.api import BatchResult as BatchResult, batch_score as batch_score
from shipyard.serving.batch.job import (
    RowPosition as RowPosition,
    batch_row_position as batch_row_position,
)
from shipyard.serving.client import Client as Client
from shipyard.serving.deployments import (
    get_deployment as get_deployment,
    list_deployments as list_deployments,
)
from shipyard.serving.kubernetes import (
    KubernetesOptions as KubernetesOptions,
    kubernetes_manifests as kubernetes_manifests,
)
from shipyard.serving.online.api import serve as serve
from shipyard.serving.prediction_log import PredictionLogReader as PredictionLogReader
from shipyard.serving.stream.api import stream as stream
from shipyard.serving.traffic import (
    DeploymentTraffic as DeploymentTraffic,
    VersionTraffic as VersionTraffic,
    deployment_traffic as deployment_traffic,
)
from shipyard.tracking.datasets import (
    load_dataset as load_dataset,
    log_dataset as log_dataset,
    validate_dataset as validate_dataset,
)
from shipyard.tracking.fluent import (
    active_run as active_run,
    log_artifact as log_artifact,
    log_metric as log_metric,
    log_metrics as log_metrics,
    log_model as log_model,
    log_param as log_param,
    log_params as log_params,
    seed_everything as seed_everything,
    set_tag as set_tag,
    set_tags as set_tags,
    start_run as start_run,
)
from shipyard.tracking.liveness import reap_runs as reap_runs
from shipyard.tracking.mlflow_import import import_mlflow_model as import_mlflow_model
from shipyard.tracking.run import ActiveRun as ActiveRun
from shipyard.tracking.search import (
    RunPage as RunPage,
    get_metric_history as get_metric_history,
    get_run as get_run,
    list_artifacts as list_artifacts,
    metric_series as metric_series,
    search_runs as search_runs,
)
from shipyard.ui.server import ui as ui

__version__: str
__all__: list[str]
