"""The batch benchmark's cluster row: a Spark standalone master with two one-core workers and a
SeaweedFS S3 server, both started the way the test fixtures start them (``tests/services.py``,
on loopback, stopped by their pids), and the two jobs scored on them from S3 into S3.

Spark's own S3 connector (``hadoop-aws`` and the AWS SDK bundle) is not in the ``pyspark``
wheel and cannot be fetched here, so ``spark.read.parquet("s3a://…")`` is not available to the
MLflow job. It reads and writes S3 the way Shipyard's executors do, from Python on the
executors (pyarrow over s3fs, each task one row group in and one Parquet object out), and
scores in between with ``mlflow.pyfunc.spark_udf`` itself.
"""

from __future__ import annotations

import contextlib
import os
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

MLFLOW_UDF_S3 = textwrap.dedent(
    """
    import os, sys, tempfile
    import mlflow.pyfunc
    import pyarrow as pa
    import pyarrow.parquet as pq
    import s3fs
    from pyspark import TaskContext
    from pyspark.sql import SparkSession
    from pyspark.sql.functions import struct

    model, source, target, master, expected = sys.argv[1:6]
    builder = (SparkSession.builder.master(master).appName("mlflow-udf-s3")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.local.dir", tempfile.mkdtemp())
               .config("spark.pyspark.python", sys.executable))
    for key, value in sorted(os.environ.items()):  # the executors read and write S3 too
        if key.startswith("AWS_"):
            builder = builder.config(f"spark.executorEnv.{key}", value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    source, target = source.removeprefix("s3://"), target.removeprefix("s3://")
    with s3fs.S3FileSystem().open(source, "rb") as handle:
        metadata = pq.ParquetFile(handle)
        groups, arrow = metadata.num_row_groups, metadata.schema_arrow
    ddl = ", ".join(f"{f.name} {'string' if pa.types.is_string(f.type) else 'double'}"
                    for f in arrow)

    def read(batches):
        fs = s3fs.S3FileSystem()
        for batch in batches:
            for group in batch.column("group").to_pylist():
                with fs.open(source, "rb") as handle:
                    yield from pq.ParquetFile(handle).read_row_group(group).to_batches()

    def write(batches):
        table = pa.Table.from_batches(list(batches), schema=pa.schema([("prediction", pa.int64())]))
        part = f"{target}/part-{TaskContext.get().partitionId():05d}.parquet"
        with s3fs.S3FileSystem().open(part, "wb") as out:
            pq.write_table(table, out)
        yield pa.RecordBatch.from_pylist([{"rows": table.num_rows}])

    tasks = spark.sparkContext.parallelize([(g,) for g in range(groups)], groups)
    frame = spark.createDataFrame(tasks, "group int").mapInArrow(read, ddl)
    udf = mlflow.pyfunc.spark_udf(spark, model, result_type="long", env_manager="local")
    scored = frame.withColumn("prediction", udf(struct(*frame.columns))).select("prediction")
    rows = sum(row["rows"] for row in scored.mapInArrow(write, "rows long").collect())
    spark.stop()
    if rows != int(expected):
        sys.exit(f"scored {rows} rows of {expected}")
    """
)


@contextlib.contextmanager
def cluster_and_s3() -> Iterator[tuple[Any, Any]]:
    """A 2-worker Spark standalone cluster and a SeaweedFS S3 server, stopped afterwards."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from tests.services import start_seaweedfs, start_spark_cluster

    s3 = start_seaweedfs()
    try:
        cluster = start_spark_cluster(workers=2)
        try:
            yield cluster, s3
        finally:
            cluster.stop()
    finally:
        s3.stop()


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """``values`` set in ``os.environ`` for the block (this process's S3 calls), then undone."""
    before = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
