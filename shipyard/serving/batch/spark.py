"""The Spark engine: the same parts, the same model package, scored on Spark executors.

The package is shipped to executors with ``SparkContext.addFile``; each part becomes one task
of a ``mapInArrow`` stage, where the executor reads its slice of the input straight from storage
(any fsspec URL the executors can reach), scores it with the very code the local engine runs,
and writes the part's files into the output folder. So the output contract (row ids, rejects,
resumable parts) and the predictions are identical to the local engine's, and the rows never
travel through the JVM. Works with ``local[*]`` and with any Spark master whose executors share
the input and output storage; on a cluster the driver's ``AWS_*`` variables are passed on
to the executors, so S3 input and output need nothing more.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pyarrow as pa

from shipyard.core.errors import ConfigurationError
from shipyard.core.ids import new_id
from shipyard.serving.batch.job import JobFolder
from shipyard.serving.batch.local import Progress
from shipyard.serving.batch.worker import PartResult, PartTask, score_part

RESULT_SCHEMA = (
    "part_id string, rows long, rejected long, challenger_rows long, challenger_rejected long"
)
_RESULT = pa.schema(
    [("part_id", pa.string())]
    + [
        (name, pa.int64())
        for name in ("rows", "rejected", "challenger_rows", "challenger_rejected")
    ]
)


def spark_session(master: str | None = None) -> Any:
    """The active Spark session, or a new one on ``master`` (default ``local[*]``)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise ConfigurationError(
            "The Spark engine needs pyspark.", hint="pip install 'shipyard[spark]'"
        ) from exc
    active = SparkSession.getActiveSession()
    if active is not None and (master is None or active.sparkContext.master == master):
        return active
    chosen = master or "local[*]"
    builder = (
        SparkSession.builder.master(chosen)
        .appName("shipyard-batch")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.local.dir", tempfile.mkdtemp(prefix="shipyard-spark-"))
        .config("spark.pyspark.python", sys.executable)  # workers run this interpreter
    )
    if not chosen.startswith("local"):
        # Executors read and write object storage themselves: give them the driver's
        # AWS_* settings (endpoint, region, keys; Spark redacts secrets in its UI).
        for key, value in sorted(os.environ.items()):
            if key.startswith("AWS_"):
                builder = builder.config(f"spark.executorEnv.{key}", value)
    if chosen.startswith("local"):
        builder = builder.config("spark.driver.host", "127.0.0.1").config(
            "spark.driver.bindAddress", "127.0.0.1"
        )
    session = builder.getOrCreate()
    if "PYSPARK_PYTHON" not in os.environ:
        # PySpark hands its workers the interpreter named by PYSPARK_PYTHON (else whatever
        # `python3` is on PATH), not the config above: name this one, without touching the
        # environment, so workers can import what the driver can.
        session.sparkContext.pythonExec = sys.executable
    session.sparkContext.setLogLevel("ERROR")
    return session


def run_spark(
    tasks: list[PartTask],
    folder: JobFolder,
    *,
    master: str | None,
    progress: Progress | None,
) -> None:
    """Score ``tasks`` on Spark, a wave of tasks at a time, recording each finished part."""
    if not tasks:
        return
    spark = spark_session(master)
    context = spark.sparkContext
    context.addArchive(_package_archive(Path(tasks[0].package_dir)))
    if tasks[0].challenger is not None:
        context.addArchive(_package_archive(Path(tasks[0].challenger.package_dir)))
    wave = max(1, context.defaultParallelism * 2)
    for start in range(0, len(tasks), wave):
        chunk = tasks[start : start + wave]
        payloads = [(task.to_json(),) for task in chunk]
        frame = spark.createDataFrame(context.parallelize(payloads, len(payloads)), "task binary")
        for row in frame.mapInArrow(_score_on_executor, RESULT_SCHEMA).collect():
            result = PartResult(row["part_id"], row["rows"], row["rejected"],
                                row["challenger_rows"], row["challenger_rejected"])  # fmt: skip
            folder.record(result.part_id, result.info())
        if progress is not None:
            progress(folder.rows_scored + folder.rows_rejected, folder.rows_rejected)


def _package_archive(package: Path) -> str:
    """The package folder as a zip, which Spark ships to every executor and unpacks there (a
    cluster cannot ship a folder). The folder is named by the package's hash, so one path per
    package: adding it again in the same session is a no-op."""
    staging = Path(tempfile.gettempdir()) / "shipyard-spark-packages" / package.name
    archive = staging / f"{package.name}.zip"
    if not archive.exists():
        staging.mkdir(parents=True, exist_ok=True)
        made = shutil.make_archive(str(staging / f".{new_id()}"), "zip", root_dir=package)
        Path(made).replace(archive)
    return str(archive)


def _score_on_executor(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    from pyspark import SparkFiles

    for batch in batches:
        for payload in batch.column("task").to_pylist():
            task = PartTask.from_json(payload)
            local = SparkFiles.get(f"{Path(task.package_dir).name}.zip")
            task = replace(task, package_dir=local)
            if task.challenger is not None:
                theirs = SparkFiles.get(f"{Path(task.challenger.package_dir).name}.zip")
                task = replace(task, challenger=replace(task.challenger, package_dir=theirs))
            result = score_part(task)
            yield pa.RecordBatch.from_pylist([result.__dict__], schema=_RESULT)
