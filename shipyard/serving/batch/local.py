"""The local engine: parts scored across worker processes, a bounded number in flight, each
finished part recorded in the job manifest as soon as it is in place.

The pool is started before the job is planned: worker processes spawn, import and load the
model while the parent reads the inputs' footers, so a job's start-up is paid once, not twice.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from shipyard.core.errors import ShipyardError
from shipyard.serving.batch.job import JobFolder
from shipyard.serving.batch.worker import PartResult, PartTask, model_for, score_part

Progress = Callable[[int, int], None]
"""Called with (input rows done so far, of which rejected) after each finished part."""


@dataclass(frozen=True)
class WorkerPlan:
    """How a job is run: ``workers`` processes (0: in this process), each allowed
    ``threads`` native threads (None: the libraries' own default)."""

    workers: int
    threads: int | None


SMALL_JOB_ROWS = 100_000
"""A job of at most this many rows, scored in this process, runs its model on one native
thread: starting a team of OpenMP threads for each small call costs more than it saves."""


def cores() -> int:
    """The cores this process may run on (its CPU affinity, else the machine's count)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def plan_workers(
    workers: int | None, parts: int, engine: str, rows: int | None = None
) -> WorkerPlan:
    """The processes and native threads for ``parts`` parts of ``rows`` rows (None: unknown).

    A job of one part runs in this process: spawning workers (each importing the ML stack
    and loading the model) costs seconds, more than a part of a million rows takes to
    score. It keeps the libraries' own thread pools (every core), except for a small job
    (one thread). Given no ``workers``, one process per core, never more than the parts;
    the cores are then shared out, each worker running its model's native pools (OpenMP,
    BLAS) on ``cores // workers`` threads: one on a machine with as many workers as cores.
    Left at their default, every worker's pools start a thread per core, and on a busy
    machine those threads spin waiting for each other: the same part then costs about
    twice the CPU (``benchmarks/batch.py``; Spark's Python workers get the same single
    thread from Spark, through ``OMP_NUM_THREADS``). The plan is recorded in the job's
    manifest and result.
    """
    if engine != "local":
        return WorkerPlan(0, None)
    available = cores()
    chosen = min(available if workers is None else workers, parts)
    if chosen <= 1:
        small = rows is not None and rows <= SMALL_JOB_ROWS
        return WorkerPlan(0, 1 if small else None)
    return WorkerPlan(chosen, max(1, available // chosen))


def start_pool(
    workers: int, package_dir: str, trusted: bool | tuple[str, ...], threads: int | None
) -> ProcessPoolExecutor | None:
    """Worker processes that load the model as they start; None for ``workers <= 1``
    (scoring in this process). Shut it down when done (``shutdown(cancel_futures=True)``)."""
    if workers <= 1:
        return None
    # spawn: workers start clean (no inherited threads or open database connections)
    pool = ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("spawn"),
        initializer=model_for, initargs=(package_dir, trusted, threads),
    )  # fmt: skip
    for _ in range(workers):  # a pool spawns a process per submitted task, up to `workers`
        pool.submit(os.getpid)
    return pool


def run_local(
    tasks: list[PartTask],
    folder: JobFolder,
    *,
    pool: ProcessPoolExecutor | None,
    workers: int,
    progress: Progress | None,
) -> None:
    """Score every task in ``pool`` (``workers`` processes), or in this process without one."""
    results = _in_process(tasks) if pool is None else _in_pool(tasks, pool, workers)
    try:
        for result in results:
            folder.record(result.part_id, result.info())
            if progress is not None:
                progress(folder.rows_scored + folder.rows_rejected, folder.rows_rejected)
    except BrokenProcessPool as exc:
        raise ShipyardError(
            "A batch worker process died; the parts finished so far are kept.",
            hint="Re-run the same command to resume. In a script, call batch_score under "
            "`if __name__ == '__main__':` (worker processes re-import the script), or pass "
            "workers=1; a worker killed for memory needs a smaller batch_rows.",
        ) from exc


def _in_process(tasks: list[PartTask]) -> Iterator[PartResult]:
    for task in tasks:
        yield score_part(task)


def _in_pool(
    tasks: list[PartTask], pool: ProcessPoolExecutor, workers: int
) -> Iterator[PartResult]:
    window = workers * 2
    queue = iter(tasks)
    running: set[Future[PartResult]] = set()
    for task in queue:
        running.add(pool.submit(score_part, task))
        if len(running) >= window:
            break
    while running:
        finished, running = wait(running, return_when=FIRST_COMPLETED)
        for future in finished:
            yield future.result()
            following = next(queue, None)
            if following is not None:
                running.add(pool.submit(score_part, following))
