"""Plain, immutable records the repositories return: no session, no lazy loading."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, cast


class Record:
    """Base of the records: ``to_dict`` gives JSON-ready values (ISO times, lists)."""

    def to_dict(self) -> dict[str, Any]:
        return {key: _plain(value) for key, value in asdict(cast(Any, self)).items()}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


@dataclass(frozen=True)
class RunRecord(Record):
    """A run: what was run (project, name, kind, entrypoint), how it went (status, times,
    error), what it was made from (git, seed, environment) and what it logged."""

    id: str
    project: str
    name: str
    kind: str
    status: str
    start_time: datetime
    end_time: datetime | None
    parent_run_id: str | None
    entrypoint: str | None
    git_commit: str | None
    git_dirty: bool | None
    git_diff_hash: str | None
    seed: int | None
    environment: dict[str, Any] | None
    environment_lock_hash: str | None
    error: str | None
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    """Each metric's latest value (at its highest step); filled by ``get_run`` and
    ``search_runs``, empty where a run is listed without them."""
    host: str | None = None
    pid: int | None = None
    heartbeat_at: datetime | None = None
    """When the run's process last said it was alive (None: it never did, e.g. a cached step)."""

    @property
    def duration_seconds(self) -> float | None:
        if self.end_time is None:
            return None
        return (self.end_time - self.start_time).total_seconds()


@dataclass(frozen=True)
class MetricPoint(Record):
    key: str
    value: float
    step: int
    timestamp: int


@dataclass(frozen=True)
class MetricSeries(Record):
    """A metric's history ready to draw: ``x`` holds each bucket's first step (or time in ms),
    ``low``/``high`` its extremes and ``last`` its last-logged value; ``points`` counts every
    logged point. With no more points than buckets, each point is its own bucket."""

    run_id: str
    key: str
    x_axis: str
    points: int
    x: tuple[float, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]
    last: tuple[float, ...]


@dataclass(frozen=True)
class ArtifactRecord(Record):
    run_id: str
    name: str
    hash: str
    uri: str
    size: int
    kind: str
    created_at: datetime


@dataclass(frozen=True)
class ModelRecord(Record):
    id: str
    name: str
    description: str | None
    created_at: datetime
    latest_version: int | None
    aliases: dict[str, int]


@dataclass(frozen=True)
class ModelVersionRecord(Record):
    id: str
    model_name: str
    version: int
    source_run_id: str | None
    package_hash: str
    flavor: str
    signature: dict[str, Any] | None
    status: str
    description: str | None
    created_at: datetime
    aliases: tuple[str, ...] = ()

    @property
    def ref(self) -> str:
        return f"{self.model_name}/{self.version}"


@dataclass(frozen=True)
class AliasMove(Record):
    """What an alias pointed at before and after a move (None: it did not exist)."""

    model: str
    alias: str
    before: int | None
    after: int | None


@dataclass(frozen=True)
class AuditRecord(Record):
    id: int
    time: datetime
    actor: str
    action: str
    target_type: str
    target: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str | None
    origin: dict[str, Any] | None = None
    """Where Shipyard observed the action come from (OS user, host, pid), beside the claimed
    ``actor``."""
    hash: str | None = None


@dataclass(frozen=True)
class DatasetRecord(Record):
    id: str
    name: str
    description: str | None
    created_at: datetime
    latest_version: int | None
    versions: int
    latest_rows: int | None
    updated_at: datetime | None


@dataclass(frozen=True)
class DatasetVersionRecord(Record):
    id: str
    dataset_name: str
    version: int
    content_hash: str
    artifact_hash: str
    uri: str
    source: str | None
    row_count: int
    size: int
    schema: dict[str, Any]
    profile: dict[str, Any] | None
    parents: tuple[str, ...]
    created_by_run_id: str | None
    created_at: datetime

    @property
    def ref(self) -> str:
        return f"{self.dataset_name}/{self.version}"

    def to_dict(self, *, profile: bool = True) -> dict[str, Any]:
        data = super().to_dict()
        data["ref"] = self.ref
        if not profile:
            del data["profile"]
        return data


@dataclass(frozen=True)
class RunUsage(Record):
    """A run that read (``input``) or wrote (``output``) a dataset version."""

    run_id: str
    role: str
    context: str | None
    dataset_ref: str


@dataclass(frozen=True)
class ValidationRecord(Record):
    id: str
    dataset_ref: str
    passed: bool
    expectations_hash: str
    report_hash: str | None
    summary: dict[str, Any]
    run_id: str | None
    created_at: datetime


# -- Registry: evaluations, promotion policies, approvals ----------------------------------


@dataclass(frozen=True)
class EvaluationRecord(Record):
    """A version's evaluation. Each gate is ``{name, kind, passed, observed, threshold, margin,
    message}``; ``report_hashes`` maps a report format (``markdown``, ``html``) to its blob."""

    id: str
    model_name: str
    version: int
    run_id: str | None
    passed: bool
    gates: tuple[dict[str, Any], ...]
    metrics: dict[str, Any]
    report_hashes: dict[str, str]
    created_at: datetime
    feature_importance: dict[str, Any] | None = None
    """Permutation importance, when the evaluation measured it: ``metric``, ``importances``
    (feature -> mean loss of the metric when shuffled), ``features`` and ``flagged``."""

    @property
    def ref(self) -> str:
        return f"{self.model_name}/{self.version}"

    @property
    def failed_gates(self) -> tuple[dict[str, Any], ...]:
        return tuple(gate for gate in self.gates if not gate.get("passed"))


ALL_GATES = "*"
#: Marks a version can carry (``version.mark`` audit events) and a policy can require.
MARKS = ("tested",)


@dataclass(frozen=True)
class PolicyRecord(Record):
    """What must hold before ``model_name@alias`` may move: ``gates`` passed (``("*",)`` for
    every gate the evaluation has) and, with ``require_approval``, an approval."""

    model_name: str
    alias: str
    gates: tuple[str, ...]
    require_approval: bool
    updated_at: datetime
    updated_by: str
    approval_distinct: bool = False
    """Four eyes: the approval must come from someone other than who registered the version
    and who promotes it (compared by claimed actor and by observed origin)."""
    requires: tuple[str, ...] = ()

    @property
    def all_gates(self) -> bool:
        return ALL_GATES in self.gates


@dataclass(frozen=True)
class ApprovalRecord(Record):
    id: str
    model_name: str
    version: int
    alias: str
    actor: str
    comment: str | None
    created_at: datetime
    origin: dict[str, Any] | None = None
