"""Plain, immutable records the repositories return: no session, no lazy loading."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class RunRecord:
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

    @property
    def duration_seconds(self) -> float | None:
        if self.end_time is None:
            return None
        return (self.end_time - self.start_time).total_seconds()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["start_time"] = self.start_time.isoformat()
        data["end_time"] = self.end_time.isoformat() if self.end_time else None
        return data


@dataclass(frozen=True)
class MetricPoint:
    key: str
    value: float
    step: int
    timestamp: int


@dataclass(frozen=True)
class ArtifactRecord:
    run_id: str
    name: str
    hash: str
    uri: str
    size: int
    kind: str
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat()
        return data


@dataclass(frozen=True)
class ModelRecord:
    id: str
    name: str
    description: str | None
    created_at: datetime
    latest_version: int | None
    aliases: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat()
        return data


@dataclass(frozen=True)
class ModelVersionRecord:
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

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat()
        data["aliases"] = list(self.aliases)
        return data


@dataclass(frozen=True)
class AuditRecord:
    id: int
    time: datetime
    actor: str
    action: str
    target_type: str
    target: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str | None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["time"] = self.time.isoformat()
        return data
