"""The metadata schema. Names are Shipyard's public vocabulary (DESIGN.md section 4).

Every change to this module comes with an Alembic revision in ``store/migrations/versions``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shipyard._store.types import JSONText, UTCDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID = String(32)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Run(Base):
    __tablename__ = "runs"
    # search_runs: newest first by default, and keyed by start time in filters
    __table_args__ = (Index("ix_runs_start_time_id", "start_time", "id"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    project: Mapped[str] = mapped_column(String(200), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(50), default="train")
    status: Mapped[str] = mapped_column(String(20), index=True)
    start_time: Mapped[datetime] = mapped_column(UTCDateTime())
    end_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    parent_run_id: Mapped[str | None] = mapped_column(ForeignKey("runs.id"), index=True)
    entrypoint: Mapped[str | None] = mapped_column(Text)
    git_commit: Mapped[str | None] = mapped_column(String(64))
    git_dirty: Mapped[bool | None] = mapped_column(Boolean)
    git_diff_hash: Mapped[str | None] = mapped_column(String(64))
    seed: Mapped[int | None] = mapped_column(BigInteger)
    environment: Mapped[dict[str, Any] | None] = mapped_column(JSONText())
    environment_lock_hash: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    # Where the run lives, so a run whose process died can be found (revision 0006).
    host: Mapped[str | None] = mapped_column(String(255))
    pid: Mapped[int | None] = mapped_column(Integer)
    process_start: Mapped[int | None] = mapped_column(BigInteger)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Param(Base):
    __tablename__ = "params"
    __table_args__ = (
        Index("ix_params_key", "key"),  # search_runs filters on params.KEY
        # ... and on its value, through this index on SQLite (revision 0008); PostgreSQL keeps
        # the key index only, as a B-tree entry cannot hold a 6000-character value
        Index("ix_params_key_value", "key", "value").ddl_if(dialect="sqlite"),
    )

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Tag(Base):
    __tablename__ = "tags"
    __table_args__ = (
        Index("ix_tags_key", "key"),  # search_runs filters on tags.KEY
        Index("ix_tags_key_value", "key", "value").ddl_if(dialect="sqlite"),  # as params
    )

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Metric(Base):
    __tablename__ = "metrics"
    __table_args__ = (Index("ix_metrics_run_key_step", "run_id", "key", "step"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(250))
    value: Mapped[float] = mapped_column(Float)
    step: Mapped[int] = mapped_column(BigInteger)
    timestamp: Mapped[int] = mapped_column(BigInteger)


class LatestMetric(Base):
    """Each run's metrics at their highest step (the newest point on a tie), kept up to date
    by ``RunRepository.log_metrics`` in the batch that logs them: what ``search_runs``
    filters, sorts and shows (revision 0008)."""

    __tablename__ = "latest_metrics"
    __table_args__ = (Index("ix_latest_metrics_key_value", "key", "value"),)

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    value: Mapped[float] = mapped_column(Float)
    step: Mapped[int] = mapped_column(BigInteger)


class Artifact(Base):
    __tablename__ = "artifacts"

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(500), primary_key=True)
    hash: Mapped[str] = mapped_column(String(64))
    uri: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(20), default="file")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Model(Base):
    __tablename__ = "models"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ModelVersion(Base):
    __tablename__ = "model_versions"
    __table_args__ = (UniqueConstraint("model_id", "version"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    model_id: Mapped[str] = mapped_column(ForeignKey("models.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    source_run_id: Mapped[str | None] = mapped_column(ForeignKey("runs.id"), index=True)
    package_hash: Mapped[str] = mapped_column(String(64))
    flavor: Mapped[str] = mapped_column(String(50))
    signature: Mapped[dict[str, Any] | None] = mapped_column(JSONText())
    status: Mapped[str] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Alias(Base):
    __tablename__ = "aliases"

    model_id: Mapped[str] = mapped_column(ForeignKey("models.id"), primary_key=True)
    alias: Mapped[str] = mapped_column(String(100), primary_key=True)
    version_id: Mapped[str] = mapped_column(ForeignKey("model_versions.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_target", "target_type", "target"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    time: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    target_type: Mapped[str] = mapped_column(String(50))
    target: Mapped[str] = mapped_column(String(300))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONText())
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONText())
    reason: Mapped[str | None] = mapped_column(Text)
    # The origin Shipyard observed and the hash chain (revision 0006, see store/audit_chain.py).
    origin: Mapped[dict[str, Any] | None] = mapped_column(JSONText())
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))


class AuditHead(Base):
    """One row: the newest audit event and its hash. Appending an event locks it, so appends
    are serialised on every database, and a removed newest event is noticed."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_id: Mapped[int | None] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(String(64))


class Dataset(Base):
    __tablename__ = "datasets"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DatasetVersion(Base):
    """One immutable version of a dataset: Parquet in the artifact store under
    ``artifact_hash``; ``content_hash`` identifies the data itself (layout-independent)."""

    __tablename__ = "dataset_versions"
    __table_args__ = (
        UniqueConstraint("dataset_id", "version"),
        Index("ix_dataset_versions_content", "dataset_id", "content_hash"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    artifact_hash: Mapped[str] = mapped_column(String(64))
    uri: Mapped[str] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)
    row_count: Mapped[int] = mapped_column(BigInteger)
    size: Mapped[int] = mapped_column(BigInteger)
    schema: Mapped[dict[str, Any]] = mapped_column(JSONText())
    profile: Mapped[dict[str, Any] | None] = mapped_column(JSONText())
    parents: Mapped[list[str] | None] = mapped_column(JSONText())
    created_by_run_id: Mapped[str | None] = mapped_column(ForeignKey("runs.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RunDataset(Base):
    """A dataset version a run read (role ``input``) or wrote (role ``output``)."""

    __tablename__ = "run_datasets"

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    dataset_version_id: Mapped[str] = mapped_column(
        ForeignKey("dataset_versions.id"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(20), primary_key=True)
    context: Mapped[str | None] = mapped_column(String(100))


class ValidationResult(Base):
    """The outcome of validating a dataset version against a set of expectations."""

    __tablename__ = "validation_results"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    dataset_version_id: Mapped[str] = mapped_column(ForeignKey("dataset_versions.id"), index=True)
    passed: Mapped[bool] = mapped_column(Boolean)
    expectations_hash: Mapped[str] = mapped_column(String(64))
    report_hash: Mapped[str | None] = mapped_column(String(64))
    summary: Mapped[dict[str, Any]] = mapped_column(JSONText())
    run_id: Mapped[str | None] = mapped_column(ForeignKey("runs.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Deployment(Base):
    """A model deployment in one mode (online, batch, stream): which versions it serves and
    how traffic is shared. Batch and stream jobs keep their counts in ``stats``."""

    __tablename__ = "deployments"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    mode: Mapped[str] = mapped_column(String(20), index=True)
    model_id: Mapped[str] = mapped_column(ForeignKey("models.id"), index=True)
    routes: Mapped[list[dict[str, Any]]] = mapped_column(JSONText())
    shadows: Mapped[list[int]] = mapped_column(JSONText())
    status: Mapped[str] = mapped_column(String(20))
    config: Mapped[dict[str, Any]] = mapped_column(JSONText())
    stats: Mapped[dict[str, Any] | None] = mapped_column(JSONText())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


# -- Registry: evaluations, promotion policies, approvals (revision 0003) -------------------


class Evaluation(Base):
    """A model version's evaluation: each gate's outcome, the metrics, and the report's blobs.
    A version may be evaluated more than once; promotion policies read the newest."""

    __tablename__ = "evaluations"
    __table_args__ = (Index("ix_evaluations_version_created", "version_id", "created_at"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    version_id: Mapped[str] = mapped_column(ForeignKey("model_versions.id"))
    run_id: Mapped[str | None] = mapped_column(ForeignKey("runs.id"), index=True)
    passed: Mapped[bool] = mapped_column(Boolean)
    gates: Mapped[list[dict[str, Any]]] = mapped_column(JSONText())
    metrics: Mapped[dict[str, Any]] = mapped_column(JSONText())
    report_hashes: Mapped[dict[str, str]] = mapped_column(JSONText())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PromotionPolicy(Base):
    """What must hold before an alias of a model may move: gates (names, or ``["*"]`` for
    every gate) passed in the version's newest evaluation, and optionally an approval."""

    __tablename__ = "promotion_policies"

    model_id: Mapped[str] = mapped_column(ForeignKey("models.id"), primary_key=True)
    alias: Mapped[str] = mapped_column(String(100), primary_key=True)
    gates: Mapped[list[str]] = mapped_column(JSONText())
    require_approval: Mapped[bool] = mapped_column(Boolean)
    approval_distinct: Mapped[bool] = mapped_column(Boolean, server_default=false())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str] = mapped_column(String(200))


class Approval(Base):
    """A person's sign-off that a model version may go to an alias."""

    __tablename__ = "approvals"
    __table_args__ = (Index("ix_approvals_version_alias", "version_id", "alias"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    version_id: Mapped[str] = mapped_column(ForeignKey("model_versions.id"))
    alias: Mapped[str] = mapped_column(String(100))
    actor: Mapped[str] = mapped_column(String(200))
    comment: Mapped[str | None] = mapped_column(Text)
    origin: Mapped[dict[str, Any] | None] = mapped_column(JSONText())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


# -- Monitoring: monitor results and alerts (revision 0004) ---------------------------------


class MonitorResult(Base):
    """One monitor window over a deployment's prediction log, compared with its reference:
    per-feature drift, prediction drift, data quality, live performance and service health
    (each a JSON document; ``summary`` holds the headline figures alert rules read)."""

    __tablename__ = "monitor_results"
    __table_args__ = (Index("ix_monitor_results_deployment_end", "deployment", "window_end"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    deployment: Mapped[str] = mapped_column(String(200))
    window_start: Mapped[datetime] = mapped_column(UTCDateTime())
    window_end: Mapped[datetime] = mapped_column(UTCDateTime())
    reference: Mapped[str | None] = mapped_column(String(300))
    rows: Mapped[int] = mapped_column(BigInteger)
    feature_drift: Mapped[dict[str, Any]] = mapped_column(JSONText())
    prediction_drift: Mapped[dict[str, Any] | None] = mapped_column(JSONText())
    data_quality: Mapped[dict[str, Any]] = mapped_column(JSONText())
    performance: Mapped[dict[str, Any] | None] = mapped_column(JSONText())
    service_health: Mapped[dict[str, Any]] = mapped_column(JSONText())
    summary: Mapped[dict[str, Any]] = mapped_column(JSONText())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Alert(Base):
    """An alert raised by a rule for a deployment. While it is open or acknowledged its
    ``active_key`` holds the dedup fingerprint (unique), so one condition is one alert; the
    key is cleared when it resolves."""

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_deployment_state", "deployment", "state"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    rule: Mapped[str] = mapped_column(String(200))
    deployment: Mapped[str] = mapped_column(String(200))
    severity: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20))
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    active_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    message: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSONText())
    result_id: Mapped[str | None] = mapped_column(ForeignKey("monitor_results.id"))
    occurrences: Mapped[int] = mapped_column(Integer)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by: Mapped[str | None] = mapped_column(String(200))
    retrain_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    triggered_run_id: Mapped[str | None] = mapped_column(String(32))
    retrain_error: Mapped[str | None] = mapped_column(Text)
    delivery_attempts: Mapped[int] = mapped_column(Integer)
    delivery_failures: Mapped[int] = mapped_column(Integer)
    deliveries: Mapped[dict[str, Any]] = mapped_column(JSONText())


# -- Delivery: rollouts (revision 0007) ------------------------------------------------------


class Rollout(Base):
    """A progressive rollout of a deployment from its stable version to a canary: the plan,
    the step it stands at, and every decision with its figures (``history``). While it is
    running or paused, ``active_key`` holds the deployment's name (unique), so a deployment
    has at most one active rollout."""

    __tablename__ = "rollouts"
    __table_args__ = (Index("ix_rollouts_deployment_started", "deployment", "started_at"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    deployment: Mapped[str] = mapped_column(String(200))
    model: Mapped[str] = mapped_column(String(200))
    alias: Mapped[str] = mapped_column(String(100))
    stable_version: Mapped[int] = mapped_column(Integer)
    canary_version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), index=True)
    active_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    step_index: Mapped[int] = mapped_column(Integer)
    spec: Mapped[dict[str, Any]] = mapped_column(JSONText())
    state: Mapped[dict[str, Any]] = mapped_column(JSONText())
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSONText())
    reason: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    step_started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
