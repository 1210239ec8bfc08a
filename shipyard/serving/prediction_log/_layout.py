"""What the prediction log holds, where its files live, and how a group of batches becomes
one Arrow table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from shipyard.core.errors import FieldProblem, InputValidationError, UsageError
from shipyard.core.names import check_model_name
from shipyard.models.flavors import framework_versions

PREDICTIONS = "predictions"
FEEDBACK = "feedback"
WRITERS = "_writers"
ERROR = "error"
"""The role of a row the model raised on (answered 500 online, dead-lettered in a stream): its
validated inputs, a null prediction, and the version that failed. Readers that ask for the
``serve`` role (the default, and monitoring's) never see these rows; old files have none."""
ROLES = ("serve", "shadow", ERROR)

REJECTS = "_rejects"
PACKAGES_KEY = b"shipyard.packages"
"""Key of a prediction file's metadata naming the framework versions its writer ran."""
ROW_MAX = 2**31 - 1
"""The largest row position the log holds: its ``row`` column is a 32-bit integer."""

PREDICTION_COLUMNS = ("request_id", "row", "time", "model", "role", "latency_ms", "prediction")
"""Columns of every prediction file besides ``inputs`` (a struct of the model's input columns)
and the partition columns ``deployment``, ``model_version`` and ``date``."""


@dataclass(frozen=True)
class PredictionBatch:
    """Predictions made together for one deployment by one model version.

    ``inputs`` is the validated frame the model saw (one row per prediction; an Arrow record
    batch of the same columns is taken as it is, sparing a conversion); ``predictions``
    are plain JSON values, one per row; ``request_ids`` name the request of each row and
    ``rows`` its position in that request (0, 1, … per request when not given);
    ``latency_ms`` is one figure for all rows or one per row.
    """

    deployment: str
    model: str
    version: int
    inputs: pd.DataFrame | pa.RecordBatch
    predictions: Sequence[Any] | np.ndarray[Any, Any]
    request_ids: Sequence[str] | np.ndarray[Any, Any]
    latency_ms: float | Sequence[float] = 0.0
    rows: Sequence[int] | np.ndarray[Any, Any] | None = None
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
        problems = []
        if type(self.row) is not int or not 0 <= self.row <= ROW_MAX:
            problems.append(FieldProblem("row", f"must be a whole number from 0 to {ROW_MAX}"))
        try:
            orjson.dumps(self.label, option=orjson.OPT_SERIALIZE_NUMPY)
        except (TypeError, orjson.JSONEncodeError) as exc:
            problems.append(FieldProblem("label", f"cannot be stored as JSON ({exc})"))
        if problems:
            raise InputValidationError(
                problems, hint="A label is any JSON value nested at most 254 deep; row is the "
                "position of the labelled row in its request."
            )  # fmt: skip

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
    rejected: int = 0

    @property
    def failing(self) -> bool:
        """The last attempt to write to the log's storage failed."""
        return self.last_error is not None


def partition_dir(root: str, kind: str, deployment: str, version: int | None, date: str) -> str:
    parts = [root, kind, f"deployment={deployment}"]
    if version is not None:
        parts.append(f"model_version={version}")
    parts.append(f"date={date}")
    return "/".join(parts)


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def _json(values: Sequence[Any] | np.ndarray[Any, Any]) -> list[str]:
    dumps = orjson.dumps
    return [dumps(value, option=orjson.OPT_SERIALIZE_NUMPY).decode() for value in values]


def json_array(values: Sequence[Any] | np.ndarray[Any, Any]) -> pa.Array:
    """One JSON text per value. A numeric or boolean array whose values are all finite is
    converted in one vectorised cast (its text is valid JSON); anything else value by value."""
    if isinstance(values, np.ndarray) and values.ndim == 1 and values.dtype.kind in "biuf":
        array = pa.array(values)
        if values.dtype.kind != "f" or bool(np.isfinite(values).all()):
            return pc.cast(array, pa.string())
    return pa.array(_json(values), pa.string())


def _strings(values: Sequence[Any] | np.ndarray[Any, Any]) -> pa.Array:
    if isinstance(values, np.ndarray) and values.dtype.kind in "iu":
        return pc.cast(pa.array(values), pa.string())
    return pa.array(values, pa.string())


def _columns(batch: PredictionBatch) -> dict[str, pa.Array]:
    """The non-input columns of one batch, built from arrays (no per-row Python objects on the
    batch path, where request ids and predictions arrive as NumPy arrays)."""
    n = len(batch)
    latency = batch.latency_ms
    rows = batch.rows if batch.rows is not None else _positions(batch.request_ids)
    return {
        "request_id": _strings(batch.request_ids),
        "row": pa.array(rows, pa.int32()),
        "time": pa.array(np.full(n, np.datetime64(_naive_utc(batch.time), "us"))),
        "model": pa.repeat(pa.scalar(batch.model, pa.string()), n),
        "role": pa.repeat(pa.scalar(batch.role, pa.string()), n),
        "latency_ms": pa.array(
            np.full(n, float(latency)) if isinstance(latency, int | float) else latency,
            pa.float64(),
        ),
        "prediction": json_array(batch.predictions),
    }


def _listed(batch: PredictionBatch) -> bool:
    return not isinstance(batch.request_ids, np.ndarray) and not isinstance(
        batch.predictions, np.ndarray
    )


def _joined_columns(batches: Sequence[PredictionBatch]) -> dict[str, pa.Array]:
    """The non-input columns of many batches whose ids and predictions are Python lists (an
    online server's), each built in one call rather than one per batch: a writer thread that
    calls into Arrow a few times per file, not a few hundred, takes the interpreter from the
    request path that many times less."""
    counts = [len(b) for b in batches]
    request_ids = [r for b in batches for r in b.request_ids]
    rows = [
        i for b in batches for i in (b.rows if b.rows is not None else _positions(b.request_ids))
    ]
    times = np.array([np.datetime64(_naive_utc(b.time), "us") for b in batches])
    latency = [
        np.full(len(b), float(b.latency_ms))
        if isinstance(b.latency_ms, int | float)
        else np.asarray(b.latency_ms, np.float64)
        for b in batches
    ]
    return {
        "request_id": pa.array(request_ids, pa.string()),
        "row": pa.array(rows, pa.int32()),
        "time": pa.array(np.repeat(times, counts)),
        "model": _repeated([b.model for b in batches], counts),
        "role": _repeated([b.role for b in batches], counts),
        "latency_ms": pa.array(np.concatenate(latency), pa.float64()),
        "prediction": pa.array(_json([p for b in batches for p in b.predictions]), pa.string()),
    }


def _repeated(values: list[str], counts: list[int]) -> pa.Array:
    return pa.array(np.repeat(np.array(values, object), counts), pa.string())


def predictions_table(
    batches: Sequence[PredictionBatch], *, packages: Mapping[str, str] | None = None
) -> pa.Table:
    """One table of every row of ``batches`` (same deployment and version), in order. Its
    schema's metadata names the framework versions of the process that made the predictions
    (``packages``, default: this process's), which every file written from it keeps."""
    inputs = _inputs([b.inputs for b in batches])
    if len(batches) == 1:  # the batch engine's case: its arrays as they are, not copied
        columns = _columns(batches[0])
    elif all(_listed(b) for b in batches):  # a server's many small batches: one pass each
        columns = _joined_columns(batches)
    else:
        parts = [_columns(b) for b in batches]
        columns = {name: pa.concat_arrays([p[name] for p in parts]) for name in PREDICTION_COLUMNS}
    columns["inputs"] = pa.StructArray.from_arrays(inputs.columns, names=inputs.schema.names)
    found = framework_versions() if packages is None else packages
    metadata = {PACKAGES_KEY: orjson.dumps(dict(found), option=orjson.OPT_SORT_KEYS)}
    return pa.table(columns).replace_schema_metadata(metadata)


def _inputs(parts: list[pd.DataFrame | pa.RecordBatch]) -> pa.RecordBatch:
    """The inputs of several batches as one record batch: record batches of one schema are
    joined in Arrow; frames (or record batches whose types differ) go through pandas."""
    first = parts[0]
    if isinstance(first, pa.RecordBatch) and all(
        isinstance(p, pa.RecordBatch) and p.schema.equals(first.schema) for p in parts
    ):
        return first if len(parts) == 1 else pa.concat_batches(parts)
    frames = [p.to_pandas() if isinstance(p, pa.RecordBatch) else p for p in parts]
    return pa.RecordBatch.from_pandas(pd.concat(frames, ignore_index=True), preserve_index=False)


def open_log_writer(sink: Any, schema: pa.Schema) -> pq.ParquetWriter:
    """A Parquet writer for log files: zstd at a fast level, dictionary pages only for text
    and integer columns (real-valued features rarely repeat, and trying a dictionary on them
    costs time for nothing), and min/max statistics only for the log's own columns, which
    queries filter on (time, request id, role); no reader filters on an input feature, and
    their statistics were a seventh of a batch log's writing time."""
    return pq.ParquetWriter(
        sink, schema, compression="zstd", compression_level=1,
        use_dictionary=_discrete_columns(schema),
        write_statistics=[name for name in PREDICTION_COLUMNS if name in schema.names],
    )  # fmt: skip


def write_log_table(table: pa.Table, sink: Any) -> None:
    with open_log_writer(sink, table.schema) as writer:
        writer.write_table(table)


_DISCRETE = (pa.types.is_string, pa.types.is_large_string, pa.types.is_integer, pa.types.is_boolean)


def _discrete_columns(schema: pa.Schema | pa.StructType, prefix: str = "") -> list[str]:
    names: list[str] = []
    for member in schema:
        path = f"{prefix}{member.name}"
        kind = member.type
        if pa.types.is_struct(kind):
            names.extend(_discrete_columns(kind, f"{path}."))
        elif any(test(kind) for test in _DISCRETE):
            names.append(path)
    return names


def _positions(request_ids: Sequence[str] | np.ndarray[Any, Any]) -> list[int]:
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
