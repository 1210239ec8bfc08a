"""What the prediction log holds, where its files live, and how a group of batches becomes
one Arrow table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
import pandas as pd
import pyarrow as pa

from shipyard.core.errors import UsageError
from shipyard.core.names import check_model_name

PREDICTIONS = "predictions"
FEEDBACK = "feedback"
WRITERS = "_writers"
ROLES = ("serve", "shadow")

PREDICTION_COLUMNS = ("request_id", "row", "time", "model", "role", "latency_ms", "prediction")
"""Columns of every prediction file besides ``inputs`` (a struct of the model's input columns)
and the partition columns ``deployment``, ``model_version`` and ``date``."""


@dataclass(frozen=True)
class PredictionBatch:
    """Predictions made together for one deployment by one model version.

    ``inputs`` is the validated frame the model saw (one row per prediction); ``predictions``
    are plain JSON values, one per row; ``request_ids`` name the request of each row and
    ``rows`` its position in that request (0, 1, … per request when not given);
    ``latency_ms`` is one figure for all rows or one per row.
    """

    deployment: str
    model: str
    version: int
    inputs: pd.DataFrame
    predictions: Sequence[Any]
    request_ids: Sequence[str]
    latency_ms: float | Sequence[float] = 0.0
    rows: Sequence[int] | None = None
    role: str = "serve"
    time: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __post_init__(self) -> None:
        check_model_name(self.deployment)
        if self.role not in ROLES:
            raise UsageError(f"role must be one of {ROLES}, got {self.role!r}.")
        count = len(self.inputs)
        sizes = [len(self.predictions), len(self.request_ids)]
        if self.rows is not None:
            sizes.append(len(self.rows))
        if not isinstance(self.latency_ms, int | float):
            sizes.append(len(self.latency_ms))
        if any(size != count for size in sizes):
            raise UsageError(
                f"A prediction batch needs one prediction, request id, row and latency per "
                f"input row; got {count} rows and sizes {sizes}."
            )

    def __len__(self) -> int:
        return len(self.inputs)

    @property
    def date(self) -> str:
        return self.time.astimezone(UTC).strftime("%Y-%m-%d")


@dataclass(frozen=True)
class Feedback:
    """A ground-truth label for the prediction of request ``request_id`` (row ``row``)."""

    deployment: str
    request_id: str
    label: Any
    row: int = 0
    time: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __post_init__(self) -> None:
        check_model_name(self.deployment)
        if not isinstance(self.request_id, str) or not self.request_id:
            raise UsageError("Feedback needs the request id of the prediction it labels.")

    @property
    def date(self) -> str:
        return self.time.astimezone(UTC).strftime("%Y-%m-%d")


@dataclass(frozen=True)
class LogStats:
    """Counters of one writer. ``pending`` rows are accepted but not yet in a file: what a
    crash would lose now. Nothing is ever dropped, so ``accepted == written + pending``."""

    accepted: int
    written: int
    pending: int
    files: int
    flushes: int
    failed_flushes: int
    waits: int
    wait_seconds: float
    last_error: str | None


def partition_dir(root: str, kind: str, deployment: str, version: int | None, date: str) -> str:
    parts = [root, kind, f"deployment={deployment}"]
    if version is not None:
        parts.append(f"model_version={version}")
    parts.append(f"date={date}")
    return "/".join(parts)


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def _json(values: Sequence[Any]) -> list[str]:
    dumps = orjson.dumps
    return [dumps(value, option=orjson.OPT_SERIALIZE_NUMPY).decode() for value in values]


def predictions_table(batches: Sequence[PredictionBatch]) -> pa.Table:
    """One table of every row of ``batches`` (same deployment and version), in order."""
    frame = pd.concat([b.inputs for b in batches], ignore_index=True)
    inputs = pa.RecordBatch.from_pandas(frame, preserve_index=False)
    request_ids: list[str] = []
    rows: list[int] = []
    times: list[datetime] = []
    latency: list[float] = []
    predictions: list[Any] = []
    for b in batches:
        n = len(b)
        request_ids.extend(b.request_ids)
        rows.extend(b.rows if b.rows is not None else _positions(b.request_ids))
        times.extend([_naive_utc(b.time)] * n)
        latency.extend(
            [float(b.latency_ms)] * n if isinstance(b.latency_ms, int | float) else b.latency_ms
        )
        predictions.extend(b.predictions)
    first = batches[0]
    return pa.table(
        {
            "request_id": pa.array(request_ids, pa.string()),
            "row": pa.array(rows, pa.int32()),
            "time": pa.array(times, pa.timestamp("us")),
            "model": pa.array([first.model] * len(request_ids), pa.string()),
            "role": pa.array([b.role for b in batches for _ in range(len(b))], pa.string()),
            "latency_ms": pa.array(latency, pa.float64()),
            "prediction": pa.array(_json(predictions), pa.string()),
            "inputs": pa.StructArray.from_arrays(inputs.columns, names=inputs.schema.names),
        }
    )


def _positions(request_ids: Sequence[str]) -> list[int]:
    seen: dict[str, int] = {}
    positions = []
    for request_id in request_ids:
        position = seen.get(request_id, 0)
        positions.append(position)
        seen[request_id] = position + 1
    return positions


def feedback_table(items: Sequence[Feedback]) -> pa.Table:
    return pa.table(
        {
            "request_id": pa.array([f.request_id for f in items], pa.string()),
            "row": pa.array([f.row for f in items], pa.int32()),
            "time": pa.array([_naive_utc(f.time) for f in items], pa.timestamp("us")),
            "label": pa.array(_json([f.label for f in items]), pa.string()),
        }
    )
