"""Drift benchmark: Shipyard from a stored reference profile vs Evidently's DataDriftPreset.

Reference and current are 1M rows x 20 columns (14 numeric, 6 categorical); drift is planted
in 5 columns of the current data (a mean shift, a doubled scale, a higher Poisson rate, and two
categorical columns with new proportions). Each tool runs in its own fresh process that first
loads, from Parquet, the pandas DataFrames the tool needs, then is measured:

- Shipyard: the reference was logged beforehand with ``sy.log_dataset`` (profiling time is
  reported separately); the measured call is ``dataset_drift("reference@1", current)``, which
  reads the stored profile from the metadata store and compares the current rows with it. The
  reference rows are not loaded. Median of ``--repeats`` runs.
- Evidently: ``Report([DataDriftPreset()]).run(current, reference)`` with both DataFrames and
  the same numerical/categorical split declared; one run after a warm-up on 10,000 rows.

Memory: each worker's peak resident set size (the process high-water mark, as a user would
see it; the increase over the RSS after loading the data is reported too). Both tools use
their default thresholds; the flagged columns of each are listed and compared with the 5
planted ones.

Run with ``make bench NAME=drift``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from _common import emit_result, environment_line, fresh_dir, note, print_table, ratio, rounded

NUMERIC, CATEGORICAL = 14, 6
PLANTED = ["c0", "c1", "n0", "n1", "n2"]  # sorted, as flagged columns are listed
LEVELS = ["red", "green", "blue", "black", "white"]


def make_data(rows: int, seed: int, drift: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    columns: dict[str, Any] = {
        "n0": rng.normal(0.5 if drift else 0.0, 1.0, rows),  # mean shift of half a sd
        "n1": rng.lognormal(0.0, 0.5, rows) * (2.0 if drift else 1.0),  # doubled scale
        "n2": rng.poisson(2.5 if drift else 1.5, rows).astype(np.int64),  # higher rate
    }
    for i in range(3, NUMERIC):
        kind = i % 3
        if kind == 0:
            columns[f"n{i}"] = rng.normal(10.0, 3.0, rows)
        elif kind == 1:
            columns[f"n{i}"] = rng.exponential(2.0, rows)
        else:
            columns[f"n{i}"] = rng.integers(0, 100, rows)
    flat = [0.2] * 5
    shares = {"c0": [0.5, 0.2, 0.1, 0.1, 0.1], "c1": [0.05, 0.05, 0.3, 0.3, 0.3]}
    for i in range(CATEGORICAL):
        p = shares.get(f"c{i}", flat) if drift else flat
        columns[f"c{i}"] = rng.choice(LEVELS, rows, p=p).astype(object)
    return pd.DataFrame(columns)


# -- the workers (one fresh process each) -------------------------------------------------------


class PeakRss:
    """Samples this process's resident set size every 2 ms while running."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._page = os.sysconf("SC_PAGE_SIZE")
        self._thread = threading.Thread(target=self._run, daemon=True)

    def current(self) -> int:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * self._page

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.current())
            time.sleep(0.002)

    def __enter__(self) -> PeakRss:
        self.peak = self.current()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.current())


def worker_shipyard(data: Path, repeats: int) -> dict[str, Any]:
    from shipyard._store.workspace import Workspace
    from shipyard.core.settings import load_settings
    from shipyard.data.api import dataset_drift

    settings = load_settings(home=data / "shipyard", capture_git=False, capture_packages=False)
    workspace = Workspace(settings)
    current = pd.read_parquet(data / "current.parquet")
    dataset_drift("reference@1", current.head(10_000), workspace=workspace)  # warm-up
    baseline = PeakRss().current()
    times, report = [], None
    with PeakRss() as rss:
        for _ in range(repeats):
            start = time.perf_counter()
            report = dataset_drift("reference@1", current, workspace=workspace)
            times.append(time.perf_counter() - start)
    assert report is not None
    workspace.close()
    return {"times": times, "flagged": sorted(report.drifted), "baseline": baseline,
            "peak": rss.peak, "maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
            "verdict": report.verdict}  # fmt: skip


def worker_evidently(data: Path, repeats: int) -> dict[str, Any]:
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    reference = pd.read_parquet(data / "reference.parquet")
    current = pd.read_parquet(data / "current.parquet")
    definition = DataDefinition(
        numerical_columns=[f"n{i}" for i in range(NUMERIC)],
        categorical_columns=[f"c{i}" for i in range(CATEGORICAL)],
    )

    def run(cur: pd.DataFrame, ref: pd.DataFrame) -> Any:
        return Report([DataDriftPreset()]).run(
            Dataset.from_pandas(cur, data_definition=definition),
            Dataset.from_pandas(ref, data_definition=definition),
        )

    run(current.head(10_000), reference.head(10_000))  # warm-up
    baseline = PeakRss().current()
    times, snapshot = [], None
    with PeakRss() as rss:
        for _ in range(repeats):
            start = time.perf_counter()
            snapshot = run(current, reference)
            times.append(time.perf_counter() - start)
    flagged = []
    for metric in snapshot.dict()["metrics"]:
        config = metric["config"]
        if config.get("type", "").endswith("ValueDrift"):
            method, score, threshold = config["method"], metric["value"], config["threshold"]
            is_pvalue = "p_value" in method.lower() or "test" in method.lower()
            if (score < threshold) if is_pvalue else (score >= threshold):
                flagged.append(config["column"])
    return {"times": times, "flagged": sorted(flagged), "baseline": baseline, "peak": rss.peak,
            "maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}  # fmt: skip


def run_worker(tool: str, data: Path, repeats: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--worker", tool, "--data", str(data),
               "--repeats", str(repeats)]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the {tool} worker failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


# -- the benchmark ------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--evidently-repeats", type=int, default=1)
    parser.add_argument("--worker", choices=["shipyard", "evidently"])
    parser.add_argument("--data", type=Path)
    options = parser.parse_args()
    if options.worker:
        worker = worker_shipyard if options.worker == "shipyard" else worker_evidently
        print(json.dumps(worker(options.data, options.repeats)))
        return

    note(f"drift benchmark: reference {options.rows:,} x 20 vs current {options.rows:,} x 20, "
         f"drift planted in {', '.join(PLANTED)}; {environment_line()}")  # fmt: skip
    with fresh_dir("drift") as data:
        make_data(options.rows, seed=1, drift=False).to_parquet(data / "reference.parquet")
        make_data(options.rows, seed=2, drift=True).to_parquet(data / "current.parquet")
        profiled = profile_reference(data)
        ours = run_worker("shipyard", data, options.repeats)
        theirs = run_worker("evidently", data, options.evidently_repeats)
    report(options, profiled, ours, theirs)


def profile_reference(data: Path) -> float:
    """Log the reference as a dataset version (Parquet, hash, schema, profile); its seconds."""
    from shipyard._store.workspace import Workspace
    from shipyard.core.settings import load_settings
    from shipyard.tracking.datasets import log_dataset

    settings = load_settings(home=data / "shipyard", capture_git=False, capture_packages=False)
    with Workspace(settings) as workspace:
        reference = pd.read_parquet(data / "reference.parquet")
        start = time.perf_counter()
        log_dataset(reference, "reference", workspace=workspace)
        return time.perf_counter() - start


def report(options: Any, profiled: float, ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    mb = 1024 * 1024
    rows = []
    for tool, found in (("shipyard", ours), ("evidently", theirs)):
        seconds = float(np.median(found["times"]))
        found["seconds"] = seconds
        rows.append([tool, seconds, found["maxrss"] / mb, (found["peak"] - found["baseline"]) / mb,
                     ", ".join(found["flagged"]), "yes" if found["flagged"] == PLANTED else "NO",
                     ", ".join(f"{t:.2f}" for t in found["times"])])  # fmt: skip
    print_table(
        f"Drift of 20 features, {options.rows:,} rows each side (median run)",
        ["tool", "seconds", "peak RSS (MB)", "peak over loaded (MB)", "flagged", "exactly the 5",
         "runs (s)"],
        rows,
    )  # fmt: skip
    note(f"\nShipyard's reference profile was computed once when the reference was logged: "
         f"{profiled:.2f} s (Parquet, content hash, schema and profile of 1M x 20).")  # fmt: skip
    figures = {
        "rows": options.rows, "columns": NUMERIC + CATEGORICAL, "planted": PLANTED,
        "shipyard_seconds": rounded(ours["seconds"]),
        "evidently_seconds": rounded(theirs["seconds"]),
        "shipyard_reference_profile_seconds": rounded(profiled),
        "shipyard_peak_rss_mb": rounded(ours["maxrss"] / mb),
        "evidently_peak_rss_mb": rounded(theirs["maxrss"] / mb),
        "shipyard_peak_over_loaded_mb": rounded((ours["peak"] - ours["baseline"]) / mb),
        "evidently_peak_over_loaded_mb": rounded((theirs["peak"] - theirs["baseline"]) / mb),
        "shipyard_flagged": ours["flagged"], "evidently_flagged": theirs["flagged"],
        "shipyard_flags_exactly_planted": ours["flagged"] == PLANTED,
        "evidently_flags_exactly_planted": theirs["flagged"] == PLANTED,
        "shipyard_verdict": ours["verdict"],
    }  # fmt: skip
    ratios = {
        "drift_speedup_vs_evidently": ratio(theirs["seconds"], ours["seconds"]),
        "drift_peak_memory_vs_evidently": ratio(ours["maxrss"], theirs["maxrss"]),
    }
    note(
        f"Shipyard is {ratios['drift_speedup_vs_evidently']}x faster (target >= 10) and uses "
        f"{ratios['drift_peak_memory_vs_evidently']}x Evidently's peak memory (target <= 1)."
    )
    emit_result("drift", figures, ratios)


if __name__ == "__main__":
    main()
