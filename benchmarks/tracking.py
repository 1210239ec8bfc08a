"""Tracking benchmark: metric-logging throughput and run start/end latency, Shipyard vs MLflow.

Both tools use their fluent API (what users write) with default settings on a SQLite store,
each in a fresh temporary folder, measured in this same process:

- throughput: ``log_metric(key, value, step=i)`` in a loop, timed from the first call until
  the run has ended (so until every value is durably stored: Shipyard's final flush, MLflow's
  async queue drained), then the stored rows are counted to prove nothing was lost. Shipyard
  makes 100,000 calls; MLflow (sync; async; async with its batching knob) as many as fit in
  about 20 s including the end of the run (at most 100,000). Each tool and mode is warmed up
  with one short run (not timed), then measured 3 times; the median run is quoted.
- run overhead: ``with start_run(): pass`` repeated 40 times after 3 warm-up runs; median.

Run with ``make bench NAME=tracking``; see README.md for what the figures and ratios mean.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sqlite3
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from _common import (
    Sample,
    call_loop,
    emit_result,
    environment_line,
    fresh_dir,
    median_sample,
    note,
    peer_environment,
    percentile,
    print_table,
    ratio,
    repeat,
    rounded,
)

CALLS = 100_000
MLFLOW_BUDGET_SECONDS = 20.0
THROUGHPUT_REPEATS = 3
WARMUP_CALLS = 1_000
OVERHEAD_REPEATS = 40
OVERHEAD_WARMUPS = 3
KEY = "loss"


def value_at(step: int) -> float:
    return 1.0 / (step + 1)


@dataclass(frozen=True)
class Options:
    calls: int
    budget: float
    repeats: int
    overhead_repeats: int
    only: str | None


@dataclass
class Throughput:
    tool: str
    mode: str  # its row in the table
    name: str  # prefix of its figures
    samples: list[Sample]

    @property
    def median(self) -> Sample:
        return median_sample(self.samples)


@dataclass
class Overhead:
    tool: str
    seconds: list[float]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.seconds) * 1000


def check_stored(tool: str, calls: int, stored: int) -> None:
    if stored != calls:
        raise RuntimeError(f"{tool}: {calls} log_metric calls but {stored} metric rows stored")


# -- Shipyard -------------------------------------------------------------------------------


def bench_shipyard(root: Path, options: Options) -> tuple[list[Throughput], Overhead]:
    import shipyard as sy
    from shipyard._store.workspace import Workspace
    from shipyard.core.settings import load_settings

    settings = load_settings(
        home=root,
        store_url=f"sqlite:///{(root / 'shipyard.db').as_posix()}",
        artifacts_url=(root / "artifacts").as_posix(),
    )
    workspace = Workspace(settings)

    def throughput(calls: int, fluent: bool) -> Sample:
        with sy.start_run("bench-throughput", workspace=workspace) as run:
            log: Callable[..., None] = sy.log_metric if fluent else run.log_metric
            start = time.perf_counter()
            made = call_loop(lambda i: log(KEY, value_at(i), step=i), max_calls=calls)
        seconds = time.perf_counter() - start  # the block's end flushed and ended the run
        stored = workspace.runs.count_metrics(run.id)
        check_stored("shipyard", made, stored)
        return Sample(seconds, made, {"stored": stored})

    results = []
    modes = (
        (True, "sy.log_metric (fluent)", "shipyard"),
        (False, "run.log_metric (method)", "shipyard_run_method"),
    )
    for fluent, mode, name in modes:
        throughput(WARMUP_CALLS, fluent)
        samples = repeat(
            lambda fluent=fluent: throughput(options.calls, fluent),
            repeats=options.repeats,
            warmups=0,
        )
        results.append(Throughput("shipyard", mode, name, samples))

    def empty_run() -> Sample:
        start = time.perf_counter()
        with sy.start_run("bench-overhead", workspace=workspace):
            pass
        return Sample(time.perf_counter() - start)

    overhead = repeat(empty_run, repeats=options.overhead_repeats, warmups=OVERHEAD_WARMUPS)
    workspace.close()
    return results, Overhead("shipyard", [s.seconds for s in overhead])


# -- MLflow ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MlflowMode:
    name: str  # prefix of its figures
    label: str  # its row in the table
    asynchronous: bool
    environment: dict[str, str]


MLFLOW_MODES = (
    MlflowMode("mlflow_sync", "sync (default)", False, {}),
    MlflowMode("mlflow_async", "async (enable_async_logging)", True, {}),
    # MLflow's own knob to batch the async queue (else it writes one metric per transaction)
    MlflowMode(
        "mlflow_async_buffered",
        "async + ASYNC_LOGGING_BUFFERING_SECONDS=1",
        True,
        {"MLFLOW_ASYNC_LOGGING_BUFFERING_SECONDS": "1"},
    ),
)


def mlflow_version() -> str:
    import mlflow

    return str(mlflow.__version__)


def use_mlflow_store(root: Path) -> Path:
    """Point MLflow's fluent API at a new SQLite store in ``root`` with artifacts in ``root``
    (not ./mlruns); return the database path."""
    import mlflow

    logging.getLogger("mlflow").setLevel(logging.WARNING)  # not "Creating … database tables"
    database = root / "mlflow.db"
    mlflow.set_tracking_uri(f"sqlite:///{database.as_posix()}")
    experiment = mlflow.create_experiment(
        "bench", artifact_location=(root / "artifacts").resolve().as_uri()
    )
    mlflow.set_experiment(experiment_id=experiment)
    return database


def count_mlflow_metrics(database: Path, run_id: str) -> int:
    """Metric rows MLflow stored for ``run_id``, read straight from its SQLite file."""
    with contextlib.closing(sqlite3.connect(database)) as connection:
        row = connection.execute(
            "SELECT count(*) FROM metrics WHERE run_uuid = ?", (run_id,)
        ).fetchone()
    return int(row[0])


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def bench_mlflow_throughput(database: Path, options: Options, mode: MlflowMode) -> Throughput:
    import mlflow

    def throughput(calls: int, budget: float | None) -> Sample:
        with mlflow.start_run(run_name="bench-throughput") as run:
            start = time.perf_counter()
            made = call_loop(
                lambda i: mlflow.log_metric(KEY, value_at(i), step=i),
                max_calls=calls,
                budget_seconds=budget,
            )
        # leaving the block ended the run, which (async modes) waits for the queue to drain
        seconds = time.perf_counter() - start
        stored = count_mlflow_metrics(database, run.info.run_id)
        check_stored(f"mlflow {mode.label}", made, stored)
        return Sample(seconds, made, {"stored": stored})

    mlflow.config.enable_async_logging(mode.asynchronous)
    try:
        with environment(mode.environment):
            warm = throughput(WARMUP_CALLS, None)
            # as many calls as fit in the budget including the end of the run (an async queue
            # can take far longer to drain than to fill), sized from the warm-up run's rate
            calls = min(options.calls, max(WARMUP_CALLS, int(warm.rate * options.budget)))
            samples = repeat(
                lambda: throughput(calls, options.budget), repeats=options.repeats, warmups=0
            )
    finally:
        mlflow.config.enable_async_logging(False)
    return Throughput("mlflow", mode.label, mode.name, samples)


def bench_mlflow_overhead(options: Options) -> Overhead:
    import mlflow

    def empty_run() -> Sample:
        start = time.perf_counter()
        with mlflow.start_run(run_name="bench-overhead"):
            pass
        return Sample(time.perf_counter() - start)

    samples = repeat(empty_run, repeats=options.overhead_repeats, warmups=OVERHEAD_WARMUPS)
    return Overhead("mlflow", [s.seconds for s in samples])


def bench_mlflow(root: Path, options: Options) -> tuple[list[Throughput], Overhead]:
    database = use_mlflow_store(root)
    throughputs = [bench_mlflow_throughput(database, options, mode) for mode in MLFLOW_MODES]
    return throughputs, bench_mlflow_overhead(options)


# -- report ---------------------------------------------------------------------------------


def report(options: Options, throughputs: list[Throughput], overheads: list[Overhead]) -> None:
    print_table(
        f"Metric logging throughput: log_metric(key, value, step) until the run has ended and "
        f"every value is stored.\nMedian run of {options.repeats} per row, after one warm-up "
        f"run of {WARMUP_CALLS:,} calls per tool and mode (not timed: excludes imports and "
        f"first connections).\nShipyard: {options.calls:,} calls. MLflow: as many as fit in "
        f"about {options.budget:g} s including the end of the run (count sized from the "
        f"warm-up run's rate, at most {options.calls:,}).\nstored = metric rows counted in "
        f"the database after the run ended (must equal calls).",
        ["tool", "mode", "calls", "stored", "seconds", "calls/s", "runs (calls/s)"],
        [
            [
                t.tool,
                t.mode,
                t.median.operations,
                t.median.extra["stored"],
                round(t.median.seconds, 3),
                round(t.median.rate),
                " / ".join(f"{s.rate:,.0f}" for s in t.samples),
            ]
            for t in throughputs
        ],
    )
    print_table(
        f"Run overhead: `with start_run(): pass` (start + end of an empty run), "
        f"{options.overhead_repeats} runs after {OVERHEAD_WARMUPS} warm-up runs.",
        ["tool", "median ms", "min ms", "p90 ms", "max ms"],
        [
            [
                o.tool,
                round(o.median_ms, 2),
                round(min(o.seconds) * 1000, 2),
                round(percentile(o.seconds, 0.9) * 1000, 2),
                round(max(o.seconds) * 1000, 2),
            ]
            for o in overheads
        ],
    )

    figures: dict[str, float] = {}
    rates = {}
    for t in throughputs:
        rates[t.name] = t.median.rate
        figures[f"{t.name}_log_metric_calls"] = t.median.operations
        figures[f"{t.name}_log_metric_seconds"] = rounded(t.median.seconds)
        figures[f"{t.name}_log_metric_calls_per_s"] = rounded(t.median.rate)
    for o in overheads:
        figures[f"{o.tool}_run_overhead_ms"] = rounded(o.median_ms)

    ratios: dict[str, float] = {}
    async_rates = [rates[k] for k in ("mlflow_async", "mlflow_async_buffered") if k in rates]
    if "shipyard" in rates and "mlflow_sync" in rates:
        ratios["log_metric_speedup_vs_mlflow"] = ratio(rates["shipyard"], rates["mlflow_sync"])
    if "shipyard" in rates and async_rates:
        # against MLflow's faster async configuration, so the ratio never flatters Shipyard
        ratios["log_metric_speedup_vs_mlflow_async"] = ratio(rates["shipyard"], max(async_rates))
    medians = {o.tool: o.median_ms for o in overheads}
    if "shipyard" in medians and "mlflow" in medians:
        ratios["run_overhead_vs_mlflow"] = ratio(medians["shipyard"], medians["mlflow"])

    print()
    note(
        "Ratios (targets): log_metric_speedup_vs_mlflow = Shipyard calls/s / MLflow sync "
        "calls/s (>= 100); log_metric_speedup_vs_mlflow_async = Shipyard / the faster MLflow "
        "async row (>= 2); run_overhead_vs_mlflow = Shipyard median start+end ms / MLflow's "
        "(<= 1.0)."
    )
    emit_result("tracking", figures, ratios)


def parse_options() -> Options:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=CALLS, help="log_metric calls per run")
    parser.add_argument(
        "--budget", type=float, default=MLFLOW_BUDGET_SECONDS, help="MLflow seconds per run"
    )
    parser.add_argument("--repeats", type=int, default=THROUGHPUT_REPEATS)
    parser.add_argument("--overhead-repeats", type=int, default=OVERHEAD_REPEATS)
    parser.add_argument(
        "--only", choices=["shipyard", "mlflow"], help="measure one side (no complete ratios)"
    )
    args = parser.parse_args()
    return Options(args.calls, args.budget, args.repeats, args.overhead_repeats, args.only)


def main() -> None:
    options = parse_options()
    peer_environment()
    throughputs: list[Throughput] = []
    overheads: list[Overhead] = []
    header = f"Tracking benchmark — {environment_line()}"
    if options.only != "shipyard":
        header += f", MLflow {mlflow_version()}"
    note(header)
    if options.only != "mlflow":
        with fresh_dir("shipyard") as root:
            shipyard_throughputs, shipyard_overhead = bench_shipyard(root, options)
        throughputs += shipyard_throughputs
        overheads.append(shipyard_overhead)
    if options.only != "shipyard":
        with fresh_dir("mlflow") as root:
            mlflow_throughputs, mlflow_overhead = bench_mlflow(root, options)
        throughputs += mlflow_throughputs
        overheads.append(mlflow_overhead)
    report(options, throughputs, overheads)


if __name__ == "__main__":
    main()
