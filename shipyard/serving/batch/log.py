"""Batch predictions in the prediction log, written the way online and stream serving write
them (``shipyard.serving.prediction_log``), so monitoring reads every mode alike.

Each part writes one log file with a name derived from the part, so a part redone after an
interruption replaces its file: the log holds exactly one row per scored input row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from shipyard.models.plain import to_plain
from shipyard.serving.prediction_log import (
    PREDICTIONS,
    PredictionBatch,
    open_log_writer,
    partition_dir,
    predictions_table,
)


@dataclass(frozen=True)
class LogTarget:
    """Where a job's predictions are logged: the artifact root and the deployment name."""

    root_url: str
    deployment: str
    model: str
    version: int


class PartLog:
    """The prediction-log file of one part, written as the part is scored."""

    def __init__(self, fs: Any, target: LogTarget, part_id: str) -> None:
        self._fs = fs
        self._target = target
        self._started = datetime.now(UTC)
        root = fs._strip_protocol(target.root_url).rstrip("/")
        directory = partition_dir(root, PREDICTIONS, target.deployment, target.version,
                                  self._started.strftime("%Y-%m-%d"))  # fmt: skip
        self.path = f"{directory}/part-batch-{part_id}.parquet"
        self.temporary = f"{directory}/.tmp-batch-{part_id}.parquet"
        self._writer: pq.ParquetWriter | None = None
        self._handle: Any = None

    def write(
        self, inputs: pd.DataFrame | pa.RecordBatch, predictions: Any, row_ids: Any, seconds: float
    ) -> None:
        if len(inputs) == 0:
            return
        batch = PredictionBatch(
            deployment=self._target.deployment, model=self._target.model,
            version=self._target.version, inputs=_plain_index(inputs),
            predictions=_flat(predictions), request_ids=row_ids,
            latency_ms=1000.0 * seconds / len(inputs), rows=np.zeros(len(inputs), np.int32),
            time=self._started,
        )  # fmt: skip
        table = predictions_table([batch])
        if self._writer is None:
            self._fs.makedirs(self.path.rpartition("/")[0], exist_ok=True)
            self._handle = self._fs.open(self.temporary, "wb")
            self._writer = open_log_writer(self._handle, table.schema)
        self._writer.write_table(table.cast(self._writer.schema))

    def commit(self) -> None:
        if self._writer is None:
            return
        self._writer.close()
        self._handle.close()
        self._fs.mv(self.temporary, self.path)

    def discard(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._handle.close()
            if self._fs.exists(self.temporary):
                self._fs.rm(self.temporary)


def _plain_index(inputs: pd.DataFrame | pa.RecordBatch) -> pd.DataFrame | pa.RecordBatch:
    return inputs.reset_index(drop=True) if isinstance(inputs, pd.DataFrame) else inputs


def _flat(predictions: Any) -> Any:
    """Predictions as the log takes them: a 1-D array as it is (cast to JSON text in one go),
    anything else (a frame, a 2-D array) as plain values."""
    if isinstance(predictions, pd.Series):
        predictions = predictions.to_numpy()
    if isinstance(predictions, np.ndarray) and predictions.ndim == 1:
        return predictions
    return to_plain(predictions)
