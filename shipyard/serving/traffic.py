"""A deployment's traffic over time, per model version, from its prediction log:
:func:`deployment_traffic` gives, per time bucket, the rows each version answered or failed,
its error rate, and its latency p50 and p99.

Rows the model raised on (answered 500 online, dead-lettered in a stream) are in the log with
the role ``error`` and a null prediction, so the error rate over time is read from the same
place as the traffic; a log written before these rows were logged simply shows none.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from shipyard._store.workspace import Workspace, workspace_for
from shipyard.core.clock import utcnow
from shipyard.core.errors import UsageError
from shipyard.core.settings import Settings
from shipyard.serving.prediction_log import ERROR, PredictionLogReader

MIN_BUCKET_MS = 1000


@dataclass(frozen=True)
class VersionTraffic:
    """One version's figures per bucket (aligned with :attr:`DeploymentTraffic.x`)."""

    version: int
    rows: list[int]
    """Rows answered or failed (served, shadowed, or raised on)."""
    errors: list[int]
    """Rows the model raised on."""
    error_rate: list[float | None]
    """``errors`` as a percentage of ``rows``; None in a bucket without rows."""
    p50_ms: list[float | None]
    p99_ms: list[float | None]
    """Latency of the answered rows (ms); None in a bucket without answers."""


@dataclass(frozen=True)
class DeploymentTraffic:
    deployment: str
    since: datetime
    until: datetime
    x: list[int]
    """Start of each bucket, in milliseconds since the epoch (UTC)."""
    bucket_ms: int
    versions: list[VersionTraffic]

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "since": self.since.isoformat(), "until": self.until.isoformat()}


def deployment_traffic(
    deployment: str,
    *,
    hours: float = 168.0,
    until: datetime | None = None,
    buckets: int = 60,
    workspace: Workspace | None = None,
    settings: Settings | None = None,
) -> DeploymentTraffic:
    """Per version of ``deployment``, over the ``hours`` before ``until`` (default now), in up
    to ``buckets`` equal time buckets spanning the logged rows: rows, errors, error rate (%)
    and latency p50/p99. An unknown deployment raises :class:`NotFoundError`."""
    if not 0 < hours <= 24 * 366 or not 1 <= buckets <= 10_000:
        raise UsageError(f"hours must be in (0, 8784] and buckets in [1, 10000], not {hours} "
                         f"and {buckets}.", hint="For example hours=24, buckets=60.")  # fmt: skip
    ws = workspace or workspace_for(settings)
    ws.deployments.get(deployment)  # an unknown name fails clearly
    end = until or utcnow()
    start = end - timedelta(hours=hours)
    frame = PredictionLogReader(ws.artifacts).predictions(
        deployment, since=start, until=end, role=None
    )
    return DeploymentTraffic(deployment, start, end, *_buckets(frame, buckets))


def _buckets(frame: pd.DataFrame, buckets: int) -> tuple[list[int], int, list[VersionTraffic]]:
    if frame.empty:
        return [], MIN_BUCKET_MS, []
    times = frame["time"].astype("datetime64[ms]").astype("int64")
    low, high = int(times.min()), int(times.max())
    width = max((high - low) // buckets + 1, MIN_BUCKET_MS)
    frame = frame.assign(bucket=(times - low) // width * width + low,
                         failed=frame["role"] == ERROR)  # fmt: skip
    x = sorted(int(b) for b in frame["bucket"].unique())
    versions = []
    for key, rows in frame.groupby("model_version"):
        counts = rows.groupby("bucket").size()
        errors = rows[rows["failed"]].groupby("bucket").size()
        latency = rows[~rows["failed"]].groupby("bucket")["latency_ms"]
        p50, p99 = latency.quantile(0.5), latency.quantile(0.99)
        total = [int(counts.get(b, 0)) for b in x]
        failed = [int(errors.get(b, 0)) for b in x]
        versions.append(VersionTraffic(
            version=int(str(key)), rows=total, errors=failed,
            error_rate=[100.0 * f / n if n else None for f, n in zip(failed, total, strict=True)],
            p50_ms=[float(p50[b]) if b in p50.index else None for b in x],
            p99_ms=[float(p99[b]) if b in p99.index else None for b in x],
        ))  # fmt: skip
    return x, width, versions
