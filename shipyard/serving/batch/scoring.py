"""Scoring one record batch through the shared row scorer: rows that fail validation, or
that the model raises on, go to rejects with their kind and reason; the rest are predicted
in one vectorised call, and the job goes on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa

from shipyard.core.reprs import bounded_repr
from shipyard.models.loaded import LoadedModel
from shipyard.models.signature import Signature
from shipyard.serving.batch.inputs import ROW_BITS
from shipyard.serving.row_scorer import INPUT, MODEL, RowFailure, score_rows

_NUMERIC = {"integer", "float"}
OUTPUT_COLUMNS = ("row_id", "arm", "prediction", "model_version")
"""The columns every output may hold besides the kept ones (and ``prediction_*``)."""


@dataclass
class Scored:
    output: pa.Table
    rejects: pa.Table | None
    inputs: pd.DataFrame | pa.RecordBatch | None = None
    """The validated rows that were scored, and their predictions (for the prediction log)."""
    predictions: Any = None


def score_batch(
    model: LoadedModel,
    batch: pa.RecordBatch,
    *,
    file_index: int,
    first_row: int,
    version: int,
    text_input: bool,
    schema: pa.Schema,
    keep: Sequence[str] = (),
    arm: str | None = None,
) -> Scored:
    """Score ``batch`` whose first row is row ``first_row`` of input file ``file_index``.

    The ``keep`` columns are copied from the batch, as read, to the output and the rejects;
    ``arm`` (champion or challenger) is written beside each output and reject row."""
    size = batch.num_rows
    row_ids = np.arange(first_row, first_row + size, dtype=np.int64) + (file_index << ROW_BITS)
    wanted = set(model.signature.names)
    frame = batch.select([c for c in batch.schema.names if c in wanted]).to_pandas()
    frame.index = pd.RangeIndex(size)
    reasons: dict[int, tuple[str, str]] = {}
    if text_input:
        frame, reasons = _parse_text(frame, model.signature)
    candidates = frame.drop(index=list(reasons)) if reasons else frame
    scored = score_rows(model, candidates, extra="ignore")
    positions = candidates.index.to_numpy()
    for failure in scored.failures:
        reasons[int(positions[failure.item])] = (failure.kind, _reason(failure))
    rows = positions[scored.rows]
    kept = _kept(batch, keep, rows)
    output = _output(scored.frame, scored.predictions, row_ids[rows], version, schema, kept, arm)
    rejects = _rejects(batch, reasons, row_ids, keep, arm) if reasons else None
    prepared = scored.frame
    logged = None if prepared is None or text_input else _arrow_inputs(batch, prepared, rows)
    return Scored(output, rejects, prepared if logged is None else logged, scored.predictions)


def _arrow_inputs(
    batch: pa.RecordBatch, prepared: pd.DataFrame, rows: np.ndarray[Any, Any]
) -> pa.RecordBatch | None:
    """The scored rows (at ``rows`` of the batch) as Arrow, taken from the batch as read
    (converting the prepared frame back would cost as much as reading it), with numbers in
    the types the model saw; None when a column is neither a number nor text (the frame is
    logged instead)."""
    columns = []
    for name in prepared.columns:
        column = batch.column(name)
        dtype = prepared[name].dtype
        if dtype.kind in "biuf":
            wanted = pa.from_numpy_dtype(dtype)
            column = column if column.type == wanted else column.cast(wanted)
        elif not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
            return None
        columns.append(column)
    inputs = pa.RecordBatch.from_arrays(columns, names=list(prepared.columns))
    if len(prepared) == batch.num_rows:
        return inputs
    return inputs.take(pa.array(rows, pa.int64()))


def _reason(failure: RowFailure) -> str:
    if failure.kind == MODEL:
        return f"the model could not predict it: {failure.message}"
    text = "; ".join(f"{p.field.split('[')[0]}: {p.problem}" for p in failure.problems)
    return text or failure.message


def _parse_text(
    frame: pd.DataFrame, signature: Signature
) -> tuple[pd.DataFrame, dict[int, tuple[str, str]]]:
    """CSV cells are text: parse numeric columns, and reject rows whose cell is not a number
    (never turning it into NaN or 0)."""
    reasons: dict[int, tuple[str, str]] = {}
    for spec in signature.inputs:
        if spec.dtype not in _NUMERIC or spec.name not in frame:
            continue
        column = frame[spec.name]
        if column.dtype != object:
            continue
        parsed = pd.to_numeric(column, errors="coerce")
        bad = parsed.isna() & column.notna()
        for row in np.flatnonzero(bad.to_numpy()).tolist():
            shown = bounded_repr(column.iloc[row])
            reasons.setdefault(row, (INPUT, f"{spec.name}: expected a number, got {shown}"))
        frame[spec.name] = parsed
    return frame, reasons


def output_schema(
    model: LoadedModel, example: Any, kept: pa.Schema | None = None, arms: bool = False
) -> pa.Schema:
    """The output columns of a job, from the model's answer to its own input example: the
    row id, the arm (when a challenger is scored too), the ``kept`` input columns, the
    predictions and the model version."""
    prepared = model.prepare(example, extra="ignore")
    predictions = model.predict_array(prepared)
    ids = np.arange(len(prepared), dtype=np.int64)
    table = _output(prepared, predictions, ids, 0, None, None, "champion" if arms else None)
    for place, field in enumerate(kept or ()):
        table = table.add_column(1 + int(arms) + place, field,
                                 pa.nulls(table.num_rows, field.type))  # fmt: skip
    return table.schema


def _kept(
    batch: pa.RecordBatch, keep: Sequence[str], rows: np.ndarray[Any, Any]
) -> pa.Table | None:
    if not keep:
        return None
    return pa.Table.from_batches([batch.select(list(keep))]).take(pa.array(rows, pa.int64()))


def _output(
    prepared: pd.DataFrame | None,
    predictions: Any,
    ids: np.ndarray[Any, Any],
    version: int,
    schema: pa.Schema | None,
    kept: pa.Table | None = None,
    arm: str | None = None,
) -> pa.Table:
    """The output rows: ``ids`` (one per prepared row), the arm, the kept columns, the
    predictions and the model version."""
    if prepared is None or prepared.empty:
        assert schema is not None
        return schema.empty_table()
    columns: dict[str, Any] = {"row_id": pa.array(ids, pa.int64())}
    if arm is not None:
        columns["arm"] = pa.array([arm] * len(ids), pa.string())
    if kept is not None:
        for name in kept.column_names:
            columns[name] = kept.column(name)
    if isinstance(predictions, pd.DataFrame):
        for name in predictions.columns:
            columns[f"prediction_{name}"] = pa.array(predictions[name].to_numpy())
    else:
        columns["prediction"] = pa.array(np.asarray(predictions))
    columns["model_version"] = pa.array(np.full(len(ids), version, dtype=np.int32))
    table = pa.table(columns)
    return table if schema is None else table.cast(schema)


def _rejects(
    batch: pa.RecordBatch,
    reasons: dict[int, tuple[str, str]],
    row_ids: np.ndarray[Any, Any],
    keep: Sequence[str] = (),
    arm: str | None = None,
) -> pa.Table:
    """A reject per failed row: its id, the arm, the kept columns, why (``kind`` input or
    model, and the reason), and the row as read, in JSON."""
    rows = sorted(reasons)
    taken = batch.take(pa.array(rows, pa.int64()))
    columns: dict[str, Any] = {"row_id": pa.array(row_ids[rows], pa.int64())}
    if arm is not None:
        columns["arm"] = pa.array([arm] * len(rows), pa.string())
    for name in keep:
        columns[name] = taken.column(name)
    columns["kind"] = pa.array([reasons[r][0] for r in rows], pa.string())
    columns["reason"] = pa.array([reasons[r][1] for r in rows], pa.string())
    dumped = [orjson.dumps(r, default=str).decode() for r in taken.to_pylist()]
    columns["row"] = pa.array(dumped, pa.string())
    return pa.table(columns)
