"""The prediction log, shared by online, batch and stream serving (DESIGN.md section 4).

Every prediction's inputs, output, model version, latency and request id is written as
Parquet under the artifact root, partitioned by deployment, model version and date::

    <root>/predictions/deployment=<name>/model_version=<n>/date=<YYYY-MM-DD>/part-….parquet
    <root>/feedback/deployment=<name>/date=<YYYY-MM-DD>/part-….parquet

:class:`PredictionLog` is the background writer: ``write`` queues a batch and returns at once,
a thread writes the queue every flush interval, memory is bounded (a full queue makes
``write`` wait: backpressure, never a silent drop), ``close`` writes everything left, and
``stats.pending`` is what a crash would lose now. :class:`PredictionLogReader` queries the
files with DuckDB and joins the feedback labels sent by request id. Rows the model raised on
are logged too, with the role ``error`` and a null prediction (readers of the ``serve`` role,
the default, never see them).
"""

from shipyard.serving.prediction_log._layout import (
    ERROR,
    FEEDBACK,
    PACKAGES_KEY,
    PREDICTIONS,
    ROW_MAX,
    Feedback,
    LogStats,
    PredictionBatch,
    open_log_writer,
    partition_dir,
    predictions_table,
)
from shipyard.serving.prediction_log._reader import PredictionLogReader, WriterReport
from shipyard.serving.prediction_log._writer import PredictionLog, PredictionLogFullError

__all__ = [
    "ERROR",
    "FEEDBACK",
    "PACKAGES_KEY",
    "PREDICTIONS",
    "ROW_MAX",
    "Feedback",
    "LogStats",
    "PredictionBatch",
    "PredictionLog",
    "PredictionLogFullError",
    "PredictionLogReader",
    "WriterReport",
    "open_log_writer",
    "partition_dir",
    "predictions_table",
]
