"""``batch_score``: score files with a registered model, resumably, into an output folder."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from shipyard._store.workspace import Workspace, workspace_for
from shipyard.core.errors import UsageError
from shipyard.core.storage_errors import storage_errors
from shipyard.models.flavors.base import Trust
from shipyard.models.package import load_package
from shipyard.models.storage import fetch_package
from shipyard.registry import resolve, trust_for
from shipyard.serving.batch.errors import BatchInputError
from shipyard.serving.batch.inputs import find_inputs, input_columns, plan_parts
from shipyard.serving.batch.job import JobFolder, JobIdentity
from shipyard.serving.batch.local import run_local, start_pool
from shipyard.serving.batch.log import LogTarget
from shipyard.serving.batch.record import JobRecord
from shipyard.serving.batch.scoring import output_schema
from shipyard.serving.batch.worker import PartTask

ENGINES = ("local", "spark")


@dataclass(frozen=True)
class BatchResult:
    name: str
    model: str
    version: int
    output: str
    parts: int
    parts_skipped: int
    rows_scored: int
    rows_rejected: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def batch_score(
    model: str,
    input: str,
    output: str,
    *,
    engine: str = "local",
    workers: int = 2,
    batch_rows: int = 65_536,
    rows_per_part: int = 1_000_000,
    spark_master: str | None = None,
    memory_budget_mb: int | None = None,
    name: str | None = None,
    log_predictions: bool = True,
    trusted: Trust = False,
    workspace: Workspace | None = None,
    progress: Callable[[int, int, int | None], None] | None = None,
) -> BatchResult:
    """Score every row of ``input`` with the model ``model`` (``name@alias`` or ``name/3``)
    into Parquet parts under ``output``; rows that fail validation go to ``output/_rejects``
    (underscored, so readers of the output folder skip it).

    The job is recorded as the batch deployment ``name`` (default ``<model>-batch``): its
    model version, input, output, counts and duration. With ``log_predictions`` every scored
    row (inputs and prediction) also goes to the prediction log under that deployment, where
    monitoring reads it; the row's request id is its ``row_id``.

    ``progress`` is called after each part with (input rows done, rows rejected, total input
    rows or None when unknown). Re-running the same job skips the parts already finished.
    Memory stays bounded whatever the input size: each worker holds one record batch of
    ``batch_rows`` rows at a time (or as many rows as ``memory_budget_mb`` allows, shared by
    all workers). Returns the counts.
    """
    if engine not in ENGINES:
        raise UsageError(f"Unknown engine {engine!r}.", hint="Use --engine local or spark.")
    if batch_rows < 1 or rows_per_part < 1 or workers < 0:
        raise UsageError("batch_rows and rows_per_part must be positive, workers >= 0.")
    started = time.perf_counter()
    ws = workspace or workspace_for()
    version = resolve(model, workspace=ws)
    trusted = trust_for(trusted, ws)
    package_dir = fetch_package(version.package_hash, ws.artifacts, ws.cache_dir / "packages")
    task_trust = True if trusted is True else tuple(sorted(trusted or ()))
    threads = threads_per_worker(workers) if engine == "local" else None
    # Workers start loading the model now, while this process plans the job.
    pool = start_pool(workers, str(package_dir), task_trust, threads) if engine == "local" else None
    try:
        loaded = load_package(package_dir, trusted=trusted)
        with storage_errors(input):
            files = find_inputs(input)
        if memory_budget_mb is not None:
            batch_rows = rows_within_budget(
                memory_budget_mb, max(workers, 1), len(loaded.signature.inputs)
            )
        for file in files:
            _check_columns(file, loaded.signature.names)
        example = orjson.loads((package_dir / (loaded.manifest.input_example or "")).read_bytes())
        schema = output_schema(loaded, example)
        identity = JobIdentity.of(version.model_name, version.version, version.package_hash,
                                  engine, rows_per_part, files)  # fmt: skip
        with storage_errors(output):
            folder = JobFolder.open(output, identity)
        job = name or f"{version.model_name}-batch"
        record = JobRecord.start(ws, job, version, config={
            "input": input, "output": output, "engine": engine, "workers": workers,
            "log_predictions": log_predictions,
        })  # fmt: skip
        log = LogTarget(ws.settings.resolved_artifacts_url, job, version.model_name,
                        version.version) if log_predictions else None  # fmt: skip
        parts = plan_parts(files, rows_per_part)
        pending = [p for p in parts if not folder.done(p.id)]
        tasks = [
            PartTask(
                part,
                folder.root,
                output,
                str(package_dir),
                task_trust,
                version.version,
                batch_rows,
                schema,
                threads,
                log,
            )
            for part in pending
        ]
        known = [file.rows for file in files]
        total = None if any(rows is None for rows in known) else sum(r or 0 for r in known)

        def report(done: int, rejected: int) -> None:
            if progress is not None:
                progress(done, rejected, total)

        report(folder.rows_scored + folder.rows_rejected, folder.rows_rejected)
        try:
            if engine == "spark":
                from shipyard.serving.batch.spark import run_spark

                run_spark(tasks, folder, master=spark_master, progress=report)
            else:
                run_local(tasks, folder, pool=pool, workers=workers, progress=report)
        except BaseException as exc:
            record.fail(folder, exc)
            raise
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    result = BatchResult(
        name=job,
        model=version.model_name, version=version.version, output=output, parts=len(parts),
        parts_skipped=len(parts) - len(pending), rows_scored=folder.rows_scored,
        rows_rejected=folder.rows_rejected, seconds=round(time.perf_counter() - started, 3),
    )  # fmt: skip
    folder.finish(result.to_dict())
    record.finish(result.to_dict())
    return result


def threads_per_worker(workers: int) -> int | None:
    """Native threads per worker process: the cores shared out, at least one."""
    if workers <= 1:
        return None  # scoring in this process: leave its thread pools alone
    return max(1, (os.cpu_count() or 1) // workers)


BYTES_PER_CELL = 64
"""A generous estimate of the memory one input cell costs while scored (Arrow, pandas, the
validated copy, the model's own arrays)."""


def rows_within_budget(budget_mb: int, workers: int, columns: int) -> int:
    """Record-batch rows that keep ``workers`` workers within ``budget_mb`` of data memory."""
    if budget_mb < 1:
        raise UsageError("The memory budget must be at least 1 MB.")
    rows = budget_mb * 1_000_000 // (workers * max(columns, 1) * BYTES_PER_CELL)
    return int(max(1_000, rows))


def _check_columns(first: Any, wanted: list[str]) -> None:
    present = set(input_columns(first))
    missing = [name for name in wanted if name not in present]
    if missing:
        raise BatchInputError(
            f"{first.url} lacks the model's input columns: {', '.join(missing)}.",
            hint="The input must carry every column of the model's signature "
            "(see `shipyard models show NAME/VERSION`).",
        )
