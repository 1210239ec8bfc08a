"""Monitor benchmark: one monitor window over a prediction log vs Evidently's DataDriftPreset.

The prediction log holds ``--rows`` logged predictions x 20 features (14 numeric, 6
categorical) spread over one day, written by Shipyard's own ``PredictionLog`` writer (Parquet,
partitioned by deployment, model version and date, 90 % of traffic on version 1 and 10 % on
version 2, exactly as serving writes it); drift is planted in 5 features. The reference is a
1M-row training dataset logged with ``sy.log_dataset`` (its stored profile is what Shipyard
compares with; Evidently gets its rows).

Each side runs in its own fresh process, measured from outside (wall time and the peak
resident set of the process tree, sampled every 50 ms), over the same day-long window:

- Shipyard: ``monitor_run(deployment, since, until)``: DuckDB streams the window's inputs as
  Arrow batches into the profiler, then per-feature drift, prediction drift, data quality and
  service health are computed and the MonitorResult is stored.
- Evidently: read the same window's inputs from the same Parquet files into pandas (as it
  needs them), read the reference rows, and run ``Report([DataDriftPreset()])``. Reading is
  part of the job on both sides; the report-only time is reported too.

If Evidently cannot finish within ``--timeout`` seconds (default 15 minutes) or runs out of
memory, that is said, and both tools are compared on the largest window (a shorter time span
of the same log) Evidently does finish; that size is reported.

``ratios.monitor_peak_memory_vs_window`` is Shipyard's peak RSS divided by the window's
in-memory size (the Arrow size of its 20 input columns, summed file by file).

Run with ``make bench NAME=monitor`` (``--rows 200000`` for a quick development run).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from _common import (
    _tree_rss_bytes,
    emit_result,
    environment_line,
    fresh_dir,
    note,
    print_table,
    ratio,
    rounded,
)

NUMERIC, CATEGORICAL = 14, 6
PLANTED = ["c0", "c1", "n0", "n1", "n2"]
LEVELS = ["red", "green", "blue", "black", "white"]
DEPLOYMENT = "bench-monitor"
DAY = datetime(2026, 11, 20, tzinfo=UTC)
CHUNK = 250_000
MB = 1024 * 1024


def make_data(rows: int, seed: int, drift: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    columns: dict[str, Any] = {
        "n0": rng.normal(0.5 if drift else 0.0, 1.0, rows),
        "n1": rng.lognormal(0.0, 0.5, rows) * (2.0 if drift else 1.0),
        "n2": rng.poisson(2.5 if drift else 1.5, rows).astype(np.int64),
    }
    for i in range(3, NUMERIC):
        kind = i % 3
        if kind == 0:
            columns[f"n{i}"] = rng.normal(10.0, 3.0, rows)
        elif kind == 1:
            columns[f"n{i}"] = rng.exponential(2.0, rows)
        else:
            columns[f"n{i}"] = rng.integers(0, 100, rows)
    shares = {"c0": [0.5, 0.2, 0.1, 0.1, 0.1], "c1": [0.05, 0.05, 0.3, 0.3, 0.3]}
    for i in range(CATEGORICAL):
        p = shares.get(f"c{i}", [0.2] * 5) if drift else [0.2] * 5
        columns[f"c{i}"] = rng.choice(LEVELS, rows, p=p)
    return pd.DataFrame(columns)


# -- set-up: the reference, a deployed model, the prediction log ------------------------------


def prepare(folder: Path, rows: int) -> dict[str, Any]:
    from sklearn.dummy import DummyClassifier

    import shipyard as sy
    from shipyard.serving.prediction_log import PredictionBatch, PredictionLog

    os.environ["SHIPYARD_HOME"] = str(folder / "shipyard")
    reference = make_data(1_000_000, seed=1, drift=False)
    reference.to_parquet(folder / "reference.parquet")
    started = time.perf_counter()
    with sy.start_run("reference") as run:
        sy.log_dataset(reference, "reference", context="train")
        model = DummyClassifier(strategy="prior").fit(reference.head(100), [0, 1] * 50)
        run.log_model(model, "bench", input_example=reference.head(3))
    profiled = time.perf_counter() - started
    with sy.open_workspace() as ws:
        ws.deployments.apply(DEPLOYMENT, model="bench", actor="bench",
                             routes=[{"version": 1, "weight": 100}])  # fmt: skip
        log = PredictionLog(ws.artifacts, flush_interval=3600, max_pending_rows=2 * CHUNK)
        written, chunk = 0, 0
        started = time.perf_counter()
        while written < rows:
            size = min(CHUNK, rows - written)
            frame = make_data(size, seed=100 + chunk, drift=True)
            moment = DAY + timedelta(seconds=86_399 * (written + size / 2) / rows)
            version = 2 if chunk % 10 == 9 else 1
            log.write(PredictionBatch(
                deployment=DEPLOYMENT, model="bench", version=version, inputs=frame,
                predictions=np.random.default_rng(chunk).integers(0, 2, size),
                request_ids=[f"{chunk}-{i}" for i in range(size)], latency_ms=2.0, time=moment,
            ))  # fmt: skip
            log.flush()
            written += size
            chunk += 1
        log.close()
        logged = time.perf_counter() - started
        root = Path(ws.artifacts.root) / "predictions" / f"deployment={DEPLOYMENT}"
    return {"reference_profile_seconds": profiled, "log_write_seconds": logged,
            "log_root": str(root)}  # fmt: skip


def window_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.parquet"))


def window_bytes(root: Path, until: datetime) -> tuple[int, int]:
    """Rows and Arrow in-memory bytes of the window's 20 input columns (file by file)."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    rows = size = 0
    for path in window_files(root):
        table = pq.read_table(path, columns=["time", "inputs"])
        table = table.filter(pc.less(table["time"], until.replace(tzinfo=None)))
        rows += table.num_rows
        size += sum(child.nbytes for child in table.column("inputs").combine_chunks().flatten())
    return rows, size


# -- the workers (fresh processes) ---------------------------------------------------------------


def worker_shipyard(folder: Path, until: datetime) -> dict[str, Any]:
    from shipyard._store.workspace import open_workspace
    from shipyard.monitoring import monitor_run, parse_config

    os.environ["SHIPYARD_HOME"] = str(folder / "shipyard")
    with open_workspace() as ws:
        started = time.perf_counter()
        result = monitor_run(DEPLOYMENT, since=DAY, until=until, config=parse_config({}),
                             workspace=ws)  # fmt: skip
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows": result.rows, "flagged": sorted(result.summary["drifted"])}


def worker_evidently(folder: Path, until: datetime) -> dict[str, Any]:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    root = Path(json.loads((folder / "setup.json").read_text())["log_root"])
    started = time.perf_counter()
    parts = []
    for path in window_files(root):
        table = pq.read_table(path, columns=["time", "inputs"])
        table = table.filter(pc.less(table["time"], until.replace(tzinfo=None)))
        parts.append(table.column("inputs").combine_chunks().flatten())
    names = [f"n{i}" for i in range(NUMERIC)] + [f"c{i}" for i in range(CATEGORICAL)]
    current = pd.concat(
        [pd.DataFrame({n: a.to_numpy(zero_copy_only=False) for n, a in zip(names, p, strict=True)})
         for p in parts], ignore_index=True,
    )  # fmt: skip
    reference = pd.read_parquet(folder / "reference.parquet")
    loaded = time.perf_counter()
    definition = DataDefinition(numerical_columns=names[:NUMERIC],
                                categorical_columns=names[NUMERIC:])  # fmt: skip
    snapshot = Report([DataDriftPreset()]).run(
        Dataset.from_pandas(current, data_definition=definition),
        Dataset.from_pandas(reference, data_definition=definition),
    )
    done = time.perf_counter()
    flagged = []
    for metric in snapshot.dict()["metrics"]:
        config = metric["config"]
        if config.get("type", "").endswith("ValueDrift"):
            method, score, threshold = config["method"], metric["value"], config["threshold"]
            is_pvalue = "p_value" in method.lower() or "test" in method.lower()
            if (score < threshold) if is_pvalue else (score >= threshold):
                flagged.append(config["column"])
    return {"seconds": done - started, "report_seconds": done - loaded, "rows": len(current),
            "flagged": sorted(flagged)}  # fmt: skip


def measured(tool: str, folder: Path, until: datetime, timeout: float) -> dict[str, Any]:
    """Run a worker in a fresh process; its JSON plus peak tree RSS, or why it failed."""
    command = [sys.executable, __file__, "--worker", tool, "--data", str(folder),
               "--until", until.isoformat()]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak, done = 0, threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_bytes(process.pid))
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        return {"failed": f"did not finish within {timeout:.0f} s"}
    finally:
        done.set()
        sampler.join()
    if process.returncode != 0:
        killed = process.returncode in (-9, 137)
        reason = "out of memory (killed)" if killed else err.strip().splitlines()[-1:]
        return {"failed": str(reason), "peak": peak}
    return {**json.loads(out.strip().splitlines()[-1]), "peak": peak}


# -- the benchmark -------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--worker", choices=["shipyard", "evidently"])
    parser.add_argument("--data", type=Path)
    parser.add_argument("--until", type=datetime.fromisoformat)
    options = parser.parse_args()
    if options.worker:
        worker = worker_shipyard if options.worker == "shipyard" else worker_evidently
        print(json.dumps(worker(options.data, options.until)))
        return

    note(f"monitor benchmark: a window of {options.rows:,} logged predictions x 20 features, "
         f"drift planted in {', '.join(PLANTED)}; {environment_line()}")  # fmt: skip
    with fresh_dir("monitor") as folder:
        setup = prepare(folder, options.rows)
        (folder / "setup.json").write_text(json.dumps(setup))
        root = Path(setup["log_root"])
        full = DAY + timedelta(days=1)
        rows, size = window_bytes(root, full)
        ours = measured("shipyard", folder, full, options.timeout)
        if "failed" in ours:
            raise RuntimeError(f"Shipyard's monitor failed: {ours['failed']}")
        theirs, span, attempts = compare_evidently(folder, full, options.timeout)
        same = ours if span == full else measured("shipyard", folder, span, options.timeout)
        span_rows, _ = window_bytes(root, span) if span != full else (rows, size)
    report(options, setup, rows, size, ours, theirs, same, span_rows, attempts)


def compare_evidently(
    folder: Path, full: datetime, timeout: float
) -> tuple[dict[str, Any], datetime, list[tuple[int, str]]]:
    """Evidently on the full window, else on halved spans until it finishes."""
    attempts: list[tuple[int, str]] = []
    hours = 24.0
    while hours >= 0.75:
        until = DAY + timedelta(hours=hours)
        found = measured("evidently", folder, until, timeout)
        if "failed" not in found:
            return found, until, attempts
        attempts.append((int(hours * 3600), found["failed"]))
        hours /= 2
    raise RuntimeError(f"Evidently failed at every size tried: {attempts}")


def report(options: Any, setup: dict[str, Any], rows: int, size: int, ours: dict[str, Any],
           theirs: dict[str, Any], same: dict[str, Any], span_rows: int,
           attempts: list[tuple[int, str]]) -> None:  # fmt: skip
    table = [
        ["shipyard", ours["rows"], ours["seconds"], ours["peak"] / MB,
         ", ".join(ours["flagged"]), "yes" if ours["flagged"] == PLANTED else "NO"],
    ]  # fmt: skip
    if same is not ours:
        table.append(["shipyard (Evidently's size)", same["rows"], same["seconds"],
                      same["peak"] / MB, ", ".join(same["flagged"]), "-"])  # fmt: skip
    table.append(
        [
            "evidently",
            theirs["rows"],
            theirs["seconds"],
            theirs["peak"] / MB,
            ", ".join(theirs["flagged"]),
            "yes" if theirs["flagged"] == PLANTED else "NO",
        ]
    )
    print_table(
        "One monitor window (wall seconds include reading the Parquet log)",
        ["tool", "rows", "seconds", "peak RSS (MB)", "flagged", "exactly the 5"], table,
    )  # fmt: skip
    for seconds, why in attempts:
        note(f"Evidently on a {seconds / 3600:g} h window: {why}")
    note(f"\nEvidently's report alone (data already in pandas): {theirs['report_seconds']:.1f} s."
         f"\nWindow in memory (Arrow, 20 input columns): {size / MB:,.0f} MB for {rows:,} rows;"
         f" reference profile logged once in {setup['reference_profile_seconds']:.1f} s; log "
         f"written in {setup['log_write_seconds']:.1f} s.")  # fmt: skip
    speedup = ratio(theirs["seconds"], same["seconds"])
    memory = ratio(ours["peak"], size)
    figures = {
        "rows": rows, "features": NUMERIC + CATEGORICAL, "planted": PLANTED,
        "window_in_memory_mb": rounded(size / MB),
        "shipyard_seconds": rounded(ours["seconds"]),
        "shipyard_peak_rss_mb": rounded(ours["peak"] / MB),
        "shipyard_flagged": ours["flagged"],
        "evidently_rows": theirs["rows"], "evidently_seconds": rounded(theirs["seconds"]),
        "evidently_report_seconds": rounded(theirs["report_seconds"]),
        "evidently_peak_rss_mb": rounded(theirs["peak"] / MB),
        "evidently_flagged": theirs["flagged"],
        "compared_at_rows": span_rows, "evidently_failures": [w for _, w in attempts],
        "shipyard_seconds_at_compared_size": rounded(same["seconds"]),
    }  # fmt: skip
    ratios = {"monitor_speedup_vs_evidently": speedup, "monitor_peak_memory_vs_window": memory}
    note(f"Shipyard is {speedup}x faster than Evidently at {span_rows:,} rows (target >= 10) and "
         f"peaks at {memory}x the window's in-memory size (target <= 1.0).")  # fmt: skip
    emit_result("monitor", figures, ratios)


if __name__ == "__main__":
    main()
