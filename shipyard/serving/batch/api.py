"""``batch_score``: score files with a registered model, resumably, into an output folder."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import threadpoolctl

from shipyard._store.records import ModelVersionRecord
from shipyard._store.workspace import Workspace, workspace_for
from shipyard.core.errors import UsageError
from shipyard.core.storage_errors import storage_errors
from shipyard.models.flavors.base import Trust
from shipyard.models.manifest import Manifest
from shipyard.models.package import load_package
from shipyard.models.signature import Signature
from shipyard.models.storage import fetch_package
from shipyard.registry import resolve, trust_for
from shipyard.serving.batch.errors import BatchInputError
from shipyard.serving.batch.inputs import find_inputs, input_schema, plan_parts
from shipyard.serving.batch.job import JobFolder, JobIdentity
from shipyard.serving.batch.local import (
    WorkerPlan,
    available_memory,
    package_bytes,
    plan_workers,
    run_local,
    start_pool,
)
from shipyard.serving.batch.log import LogTarget
from shipyard.serving.batch.record import JobRecord
from shipyard.serving.batch.scoring import OUTPUT_COLUMNS, output_schema
from shipyard.serving.batch.worker import Challenger, PartTask, forget_models, seed_model

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
    workers: int = 0
    """Worker processes the job ran on (0: in the calling process, or on Spark)."""
    threads: int | None = None
    """Native threads (OpenMP, BLAS) each worker's model ran on, or this process's when it
    scored the job (None: the libraries' default, one per core; or Spark's choice)."""
    challenger: str | None = None
    """The challenger (``name/version``), when the job scored one; its counts follow."""
    challenger_rows_scored: int = 0
    challenger_rows_rejected: int = 0

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def batch_score(
    model: str,
    input: str,
    output: str,
    *,
    engine: str = "local",
    workers: int | None = None,
    batch_rows: int = 65_536,
    rows_per_part: int = 1_000_000,
    spark_master: str | None = None,
    memory_budget_mb: int | None = None,
    name: str | None = None,
    log_predictions: bool = True,
    keep: Sequence[str] = (),
    challenger: str | None = None,
    trusted: Trust = False,
    workspace: Workspace | None = None,
    progress: Callable[[int, int, int | None], None] | None = None,
) -> BatchResult:
    """Score every row of ``input`` with the model ``model`` (``name@alias`` or ``name/3``)
    into Parquet parts under ``output``; rows that fail validation go to ``output/_rejects``
    (underscored, so readers of the output folder skip it).

    Each output row holds its ``row_id`` (see :func:`batch_row_position`), the ``keep``
    input columns (a customer id, say, to join back on), the prediction and the
    ``model_version``; rejects hold the ``keep`` columns too. With ``challenger`` (another
    version, ``name/4``) every row is scored by both models in the same job, and each output
    and reject row says its ``arm``: ``champion`` or ``challenger``.

    The job is recorded as the batch deployment ``name`` (default ``<model>-batch``): its
    model version, input, output, counts and duration. With ``log_predictions`` every scored
    row (inputs and prediction) also goes to the prediction log under that deployment, where
    monitoring reads it; the row's request id is its ``row_id``.

    ``progress`` is called after each part with (input rows done, rows rejected, total input
    rows or None when unknown). Re-running the same job skips the parts already finished; a
    job already complete is recognised from its manifest, before any model loads. A job of
    one part runs in this process; larger ones on ``workers`` processes, this one and
    ``workers - 1`` helpers (default: one per core), the cores shared out among their native
    thread pools (see
    :func:`~shipyard.serving.batch.local.plan_workers`); the result and the job's manifest
    say which ``workers`` and ``threads`` ran it.
    Memory stays bounded whatever the input size: each worker holds about two record batches
    of ``batch_rows`` rows at a time, one scored while the next is read or the last written
    (or as many rows as ``memory_budget_mb`` allows, shared by all workers). Returns the
    counts.
    """
    if engine not in ENGINES:
        raise UsageError(f"Unknown engine {engine!r}.", hint="Use --engine local or spark.")
    if batch_rows < 1 or rows_per_part < 1 or (workers is not None and workers < 0):
        raise UsageError("batch_rows and rows_per_part must be positive, workers >= 0.")
    started = time.perf_counter()
    ws = workspace or workspace_for()
    version = resolve(model, workspace=ws)
    other = None if challenger is None else resolve(challenger, workspace=ws)
    if other is not None and other.package_hash == version.package_hash:
        raise UsageError(
            f"The challenger {other.ref} is the same package as {version.ref}.",
            hint="Name another version as the challenger.",
        )
    trusted = trust_for(trusted, ws)
    cache = ws.cache_dir / "packages"
    package_dir = fetch_package(version.package_hash, ws.artifacts, cache)
    other_dir = None if other is None else fetch_package(other.package_hash, ws.artifacts, cache)
    task_trust = True if trusted is True else tuple(sorted(trusted or ()))
    keep = _checked_keep(keep)
    with storage_errors(input):
        files = find_inputs(input)
    wanted = _signature_names(package_dir) + ([] if other_dir is None else
                                                _signature_names(other_dir))  # fmt: skip
    for file in files:
        _check_columns(file, list(dict.fromkeys(wanted)), keep)
    identity = JobIdentity.of(version.model_name, version.version, version.package_hash,
                              engine, rows_per_part, files, keep=keep,
                              challenger=None if other is None else other.package_hash)  # fmt: skip
    with storage_errors(output):
        folder = JobFolder.open(output, identity)
    parts = plan_parts(files, rows_per_part)
    pending = [p for p in parts if not folder.done(p.id)]
    job = name or f"{version.model_name}-batch"
    config: dict[str, Any] = {"input": input, "output": output, "engine": engine,
                              "workers": workers, "log_predictions": log_predictions}  # fmt: skip
    if keep:
        config["keep"] = list(keep)
    if other is not None:
        config["challenger"] = other.ref
    record = JobRecord.start(ws, job, version, config=config, challenger=other)
    known = [file.rows for file in files]
    total = None if any(rows is None for rows in known) else sum(r or 0 for r in known)

    def report(done: int, rejected: int) -> None:
        if progress is not None:
            progress(done, rejected, total)

    report(folder.rows_scored + folder.rows_rejected, folder.rows_rejected)
    pool: ProcessPoolExecutor | None = None
    plan = WorkerPlan(0, None)
    limits = contextlib.ExitStack()
    if pending:
        try:
            sizes = [p.rows for p in pending]
            rows = None if None in sizes else sum(r or 0 for r in sizes)
            model_bytes = package_bytes(package_dir) + (
                0 if other_dir is None else package_bytes(other_dir)
            )
            plan = plan_workers(workers, len(pending), engine, rows, model_bytes=model_bytes,
                                memory=available_memory())  # fmt: skip
            if engine == "local" and plan.workers > 1:
                # The helpers start loading the model now, while this process (which scores
                # parts too) prepares the job.
                pool = start_pool(plan.workers - 1, str(package_dir), task_trust, plan.threads)
            loaded = load_package(package_dir, trusted=trusted, warm=False)
            if engine == "local" and plan.threads is not None:
                # Parts are scored here: limit this process's pools meanwhile (once the model's
                # native libraries are loaded: threadpoolctl limits loaded ones), warm-up too.
                limits.enter_context(threadpoolctl.threadpool_limits(limits=plan.threads))
            loaded = load_package(package_dir, trusted=trusted)  # in memory now: warms it up
            if memory_budget_mb is not None:
                batch_rows = rows_within_budget(
                    memory_budget_mb, max(plan.workers, 1), len(loaded.signature.inputs)
                )
            example = orjson.loads(
                (package_dir / (loaded.manifest.input_example or "")).read_bytes()
            )
            kept = input_schema(files[0]) if keep else None
            kept = None if kept is None else pa.schema([kept.field(c) for c in keep])
            schema = output_schema(loaded, example, kept, arms=other is not None)
            if other_dir is not None:
                _check_challenger_output(other_dir, trusted, example, kept, schema)
            tasks = [
                PartTask(
                    part, folder.root, output, str(package_dir), task_trust, version.version,
                    batch_rows, schema, plan.threads if pool is not None else None,
                    _log_target(ws, job, version, log_predictions), keep,
                    None if other is None or other_dir is None else Challenger(
                        str(other_dir), other.version,
                        _log_target(ws, job, other, log_predictions)),
                )
                for part in pending
            ]  # fmt: skip
            if engine == "spark":
                from shipyard.serving.batch.spark import run_spark

                run_spark(tasks, folder, master=spark_master, progress=report)
            else:
                seed_model(str(package_dir), loaded)  # scored here too: load it once
                run_local(tasks, folder, pool=pool, helpers=plan.workers - 1, progress=report)
        except BaseException as exc:
            record.fail(folder, exc)
            raise
        finally:
            limits.close()
            if pool is not None:
                pool.shutdown(cancel_futures=True)
            if engine == "local":
                forget_models()
    result = BatchResult(
        name=job,
        model=version.model_name, version=version.version, output=output, parts=len(parts),
        parts_skipped=len(parts) - len(pending), rows_scored=folder.rows_scored,
        rows_rejected=folder.rows_rejected, seconds=round(time.perf_counter() - started, 3),
        workers=plan.workers, threads=plan.threads,
        challenger=None if other is None else other.ref,
        challenger_rows_scored=folder.total("challenger_rows"),
        challenger_rows_rejected=folder.total("challenger_rejected"),
    )  # fmt: skip
    folder.finish(result.to_dict())
    record.finish(result.to_dict())
    return result


def _log_target(
    ws: Workspace, job: str, version: ModelVersionRecord, log_predictions: bool
) -> LogTarget | None:
    if not log_predictions:
        return None
    return LogTarget(ws.settings.resolved_artifacts_url, job, version.model_name, version.version)


def _signature_names(package_dir: Path) -> list[str]:
    """The model's input columns, read from its manifest (no model loaded)."""
    return Signature.from_dict(Manifest.read(package_dir).signature).names


def _checked_keep(keep: Sequence[str]) -> tuple[str, ...]:
    if isinstance(keep, str):
        keep = [keep]
    clashing = sorted(
        name for name in keep if name in OUTPUT_COLUMNS or name.startswith("prediction_")
    )
    if clashing:
        raise UsageError(
            f"Cannot keep {', '.join(clashing)}: the output has columns of that name.",
            hint="Rename the input column, or keep another one.",
        )
    return tuple(dict.fromkeys(keep))


def _check_challenger_output(
    package_dir: Path, trusted: Trust, example: Any, kept: pa.Schema | None, schema: pa.Schema
) -> None:
    """The challenger's answers must fit the champion's output columns (one Parquet schema)."""
    challenger = load_package(package_dir, trusted=trusted)
    theirs = output_schema(challenger, example, kept, arms=True)
    if theirs.names != schema.names:
        raise UsageError(
            "The challenger's predictions do not have the champion's columns "
            f"({', '.join(theirs.names)} against {', '.join(schema.names)}).",
            hint="Score versions of the same kind of model (both classifiers, say) together.",
        )


BYTES_PER_CELL = 64
"""A generous estimate of the memory one input cell costs while scored (Arrow, pandas, the
validated copy, the model's own arrays)."""


IN_FLIGHT = 2
"""Batches a worker holds at once: the one it scores, and the next read ahead or the last
being written (:mod:`~shipyard.serving.batch.overlap`)."""


def rows_within_budget(budget_mb: int, workers: int, columns: int) -> int:
    """Record-batch rows that keep ``workers`` workers within ``budget_mb`` of data memory."""
    if budget_mb < 1:
        raise UsageError("The memory budget must be at least 1 MB.")
    rows = budget_mb * 1_000_000 // (workers * IN_FLIGHT * max(columns, 1) * BYTES_PER_CELL)
    return int(max(1_000, rows))


def _check_columns(first: Any, wanted: list[str], keep: Sequence[str] = ()) -> None:
    present = set(input_schema(first).names)
    missing = [name for name in wanted if name not in present]
    if missing:
        raise BatchInputError(
            f"{first.url} lacks the model's input columns: {', '.join(missing)}.",
            hint="The input must carry every column of the model's signature "
            "(see `shipyard models show NAME/VERSION`).",
        )
    absent = [name for name in keep if name not in present]
    if absent:
        raise BatchInputError(
            f"{first.url} has no column {', '.join(absent)} to keep.",
            hint=f"Its columns are {', '.join(sorted(present))}.",
        )
