"""The local engine: parts scored by this process and helper worker processes, a bounded
number in flight, each finished part recorded in the job manifest as soon as it is in place.

The helpers are started before the job is planned: they spawn, import and load the model while
this process reads the inputs' footers and loads the model too, then scores parts alongside
them (it would otherwise sit waiting), so a job of N workers starts N - 1 processes.
"""

from __future__ import annotations

import collections
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from pathlib import Path

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


MODEL_FOOTPRINT = 3
"""A loaded model's memory, as a multiple of its package's size on disk (a generous guess:
compressed arrays expand, and libraries add their own buffers)."""

MEMORY_SHARE = 0.5
"""The share of the machine's available memory the workers' models may take together."""


def available_memory() -> int | None:
    """Bytes of memory available now (Linux ``MemAvailable``), or None when unknown."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def package_bytes(package_dir: Path) -> int:
    """The size on disk of a model package's files."""
    return sum(path.stat().st_size for path in package_dir.rglob("*") if path.is_file())


def memory_workers(model_bytes: int | None, memory: int | None) -> int | None:
    """How many copies of a model of ``model_bytes`` the available ``memory`` holds (half of
    it, each copy :data:`MODEL_FOOTPRINT` times the package's size); None when either is
    unknown."""
    if not model_bytes or memory is None:
        return None
    return max(1, int(memory * MEMORY_SHARE) // (model_bytes * MODEL_FOOTPRINT))


def plan_workers(
    workers: int | None,
    parts: int,
    engine: str,
    rows: int | None = None,
    *,
    model_bytes: int | None = None,
    memory: int | None = None,
) -> WorkerPlan:
    """The processes and native threads for ``parts`` parts of ``rows`` rows (None: unknown),
    of a model whose package takes ``model_bytes`` on a machine with ``memory`` bytes
    available (None: unknown).

    A job of one part runs in this process: spawning workers (each importing the ML stack
    and loading the model) costs seconds, more than a part of a million rows takes to
    score. It keeps the libraries' own thread pools (every core), except for a small job
    (one thread). Given no ``workers``, one process per core (this one and helpers), never
    more than the parts nor than the copies of the model half the available memory holds
    (:func:`memory_workers`: a large model on many cores would otherwise exhaust the
    memory before it used the cores); the cores are then shared out, each running its model's native
    pools (OpenMP, BLAS) on ``cores // workers`` threads: one with as many workers as cores.
    Left at their default, every worker's pools start a thread per core, and on a busy
    machine those threads spin waiting for each other: the same part then costs about
    twice the CPU (``benchmarks/batch.py``; Spark's Python workers get the same single
    thread from Spark, through ``OMP_NUM_THREADS``). The plan is recorded in the job's
    manifest and result.
    """
    if engine != "local":
        return WorkerPlan(0, None)
    available = cores()
    wanted = available
    if workers is None and (fits := memory_workers(model_bytes, memory)) is not None:
        wanted = min(wanted, fits)
    chosen = min(wanted if workers is None else workers, parts)
    if chosen <= 1:
        small = rows is not None and rows <= SMALL_JOB_ROWS
        return WorkerPlan(0, 1 if small else None)
    return WorkerPlan(chosen, max(1, available // chosen))


def start_pool(
    workers: int, package_dir: str, trusted: bool | tuple[str, ...], threads: int | None
) -> ProcessPoolExecutor | None:
    """``workers`` helper processes that load the model as they start; None for none. Shut
    it down when done (``shutdown(cancel_futures=True)``)."""
    if workers < 1:
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
    helpers: int,
    progress: Progress | None,
) -> None:
    """Score every task in this process, and in ``pool`` (``helpers`` processes) if any."""
    results = _in_process(tasks) if pool is None else _shared(tasks, pool, helpers)
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
        yield score_part(replace(task, threads=None))  # this process's limit is set already


def _shared(tasks: list[PartTask], pool: ProcessPoolExecutor, helpers: int) -> Iterator[PartResult]:
    """Parts scored by the helpers and by this process, which has the model loaded already
    (one process start fewer than a pool of as many workers). Each helper is kept up to two
    parts ahead, one running and one waiting, but never given the last part left: this
    process takes that one, so a job of two parts on two cores scores both at once."""
    pending = collections.deque(tasks)
    running: set[Future[PartResult]] = set()

    def refill(limit: int) -> None:
        while len(running) < limit and len(pending) > 1:
            running.add(pool.submit(score_part, pending.popleft()))

    refill(helpers)  # one each to start: this process takes the next
    while pending:
        yield from _in_process([pending.popleft()])
        finished = {future for future in running if future.done()}
        running.difference_update(finished)
        for future in finished:
            yield future.result()
        refill(2 * helpers)
    while running:
        finished, running = wait(running, return_when=FIRST_COMPLETED)
        for future in finished:
            yield future.result()
