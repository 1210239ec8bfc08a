"""References of the serving benchmark beyond other servers: the physical limit (the model's own
``predict`` throughput in-process, on batches of the size the server forms, on as many
processes as the server has workers), cold start (process start to ``/health/ready``) and its
floor (a process that only imports the model's libraries and unpickles it)."""

from __future__ import annotations

import multiprocessing
import pickle
import re
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

BATCH_LINE = re.compile(r"^shipyard_batch_size_(sum|count)(?:\{[^}]*\})? ([0-9.e+]+)$", re.M)


def batch_totals(port: int) -> tuple[float, float]:
    """(requests, model calls) the server has batched so far, from its ``/metrics``."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
        text = answer.read().decode()
    totals = {"sum": 0.0, "count": 0.0}
    for kind, value in BATCH_LINE.findall(text):
        totals[kind] += float(value)
    return totals["sum"], totals["count"]


def _rows_per_second(model_path: str, row: dict[str, Any], batch: int, seconds: float) -> float:
    import pandas as pd
    from threadpoolctl import threadpool_limits

    with Path(model_path).open("rb") as handle:  # written by this benchmark itself
        model = pickle.load(handle)
    frame = pd.DataFrame([row] * batch)
    threadpool_limits(1)  # one native thread per process, as each server worker has
    model.predict(frame)  # warm
    rows, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        model.predict(frame)
        rows += batch
    return rows / elapsed


def predict_limit(model_path: Path, row: dict[str, Any], batch: int, processes: int,
                  seconds: float) -> float:  # fmt: skip
    """Rows/s of ``model.predict`` on batches of ``batch`` rows, ``processes`` at once."""
    # fresh interpreters: a forked child of a process whose OpenMP pool ran (the benchmark
    # trained the models) hangs in its first parallel region (HistGradientBoosting's predict)
    with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn")) as pool:
        runs = [pool.submit(_rows_per_second, str(model_path), row, batch, seconds)
                for _ in range(processes)]  # fmt: skip
        return sum(run.result() for run in runs)


def import_floor(model_path: Path, env: dict[str, str]) -> float:
    """Seconds for a fresh interpreter to import pandas and unpickle the model (which imports
    the scikit-learn modules it is made of): what any Python server serving it pays before
    its own start-up."""
    code = f"import pickle, pandas; pickle.load(open({str(model_path)!r}, 'rb'))"
    started = time.monotonic()
    subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True)
    return time.monotonic() - started
