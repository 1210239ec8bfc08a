"""Batch scoring: a registered model over Parquet/CSV files, locally or on Spark, resumable,
with rejects and a job record (DESIGN.md section 6)."""

from shipyard.serving.batch.api import ENGINES, BatchResult, batch_score
from shipyard.serving.batch.errors import BatchInputError, OutputInUseError

__all__ = ["ENGINES", "BatchInputError", "BatchResult", "OutputInUseError", "batch_score"]
