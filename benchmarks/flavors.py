"""Flavors benchmark: each framework flavor served by Shipyard and by MLflow, in one run.

For each flavor the same model is saved both ways and served with 2 workers:

- ``xgb``: an XGBClassifier; ``lgbm``: an LGBMClassifier (both on four numeric columns);
- ``onnx``: the ONNX conversion of a LogisticRegression pipeline (scaler + classifier), by
  ``sy.log_model(..., as_onnx=True)`` for Shipyard and ``mlflow.onnx.save_model`` of the same
  graph for MLflow;
- ``torch``: a small PyTorch MLP (4 → 32 → 32 → 1), a ``torch.export`` program on both sides.

Shipyard runs ``serve()`` (the function behind ``shipyard serve``, default settings: batching
and the prediction log on); MLflow ``mlflow models serve --env-manager local --workers 2``.
Both servers of a flavor run side by side and are measured in alternating rounds of
single-row requests from 64 clients (``--rounds``, default 3), so the noise of a shared machine
falls on both; each side's figure is the median of its rounds. The load generator is the
serving benchmark's (raw HTTP/1.1 keep-alive connections on uvloop, in its own process).

``onnx_vs_sklearn_batch`` compares batch scoring in-process: rows per second of the ONNX
package's ``predict_array`` over a 100,000-row frame ÷ the original scikit-learn pipeline's
``predict`` on the same frame, alternated, medians.

Run with ``make bench NAME=flavors``; ``--help`` lists the options.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import warnings
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from _common import (
    emit_result,
    environment_line,
    fresh_dir,
    note,
    peer_environment,
    print_table,
    ratio,
    rounded,
)
from _http_load import free_port, run_loadgen, server

FLAVORS = ("xgb", "lgbm", "onnx", "torch")
COLUMNS = ["tenure", "charges", "calls", "age"]
ROW = {"tenure": 7.0, "charges": 81.5, "calls": 3.0, "age": 41.0}
BATCH_ROWS = 100_000


def make_data(rows: int) -> tuple[Any, Any]:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({
        "tenure": rng.integers(1, 72, rows).astype(float),
        "charges": rng.normal(70, 20, rows).round(2),
        "calls": rng.poisson(1.5, rows).astype(float),
        "age": rng.integers(18, 90, rows).astype(float),
    })  # fmt: skip
    label = (frame["calls"] * 0.6 - frame["tenure"] * 0.05 + frame["charges"] * 0.01) > 0
    return frame, label.astype(int).to_numpy()


def make_models(frame: Any, label: Any) -> dict[str, Any]:
    import lightgbm
    import torch
    import xgboost
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    torch.manual_seed(0)
    mlp = torch.nn.Sequential(torch.nn.Linear(4, 32), torch.nn.ReLU(), torch.nn.Linear(32, 32),
                              torch.nn.ReLU(), torch.nn.Linear(32, 1)).eval()  # fmt: skip
    return {
        "xgb": xgboost.XGBClassifier(n_estimators=100, max_depth=4).fit(frame, label),
        "lgbm": lightgbm.LGBMClassifier(n_estimators=100, verbose=-1).fit(frame, label),
        "onnx": make_pipeline(StandardScaler(), LogisticRegression()).fit(frame, label),
        "torch": mlp,
    }


def prepare(root: Path, frame: Any, models: dict[str, Any]) -> Any:
    """Register each model with Shipyard and save it with MLflow; return the ONNX package."""
    import numpy as np

    import shipyard as sy
    from shipyard._store.workspace import Workspace

    settings = sy.load_settings(home=root / "shipyard", capture_git=False, capture_packages=False)
    workspace = Workspace(settings)
    example = frame.head(5)
    array = example.to_numpy(dtype=np.float32)
    for name, model in models.items():
        options: dict[str, Any] = {"as_onnx": True} if name == "onnx" else {}
        given = array if name == "torch" else example
        with sy.start_run(f"bench-{name}", workspace=workspace) as run:
            run.log_model(model, f"bench-{name}", input_example=given, **options)
        sy.promote(f"bench-{name}", 1, "production", workspace=workspace)
    onnx_package = sy.load_model("bench-onnx@production", workspace=workspace)
    workspace.close()

    peer_environment()
    warnings.filterwarnings("ignore", module="mlflow")
    import mlflow

    needs = ["numpy", "pandas"]
    mlflow.xgboost.save_model(models["xgb"], str(root / "mlflow-xgb"), input_example=example,
                              pip_requirements=needs)  # fmt: skip
    mlflow.lightgbm.save_model(models["lgbm"], str(root / "mlflow-lgbm"), input_example=example,
                               pip_requirements=needs)  # fmt: skip
    mlflow.onnx.save_model(_graph(onnx_package), str(root / "mlflow-onnx"), input_example=array,
                           pip_requirements=needs)  # fmt: skip
    mlflow.pytorch.save_model(models["torch"], str(root / "mlflow-torch"), input_example=array,
                              pip_requirements=needs, serialization_format="pt2")  # fmt: skip
    return onnx_package


def _graph(package: Any) -> Any:
    """The ONNX graph Shipyard stored (the same conversion MLflow then serves)."""
    import onnx

    return onnx.load(str(package.directory / "model.onnx"))


def launch(tool: str, name: str, root: Path, workers: int) -> Any:
    port = free_port()
    env = {"SHIPYARD_HOME": str(root / "shipyard"), "SHIPYARD_CAPTURE_GIT": "false",
           "SHIPYARD_CAPTURE_PACKAGES": "false",
           "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}  # fmt: skip
    log = root / f"{tool}-{name}-{port}.log"
    if tool == "shipyard":
        code = (f"from shipyard.serving.online import serve; serve('bench-{name}@production', "
                f"workers={workers}, port={port})")  # fmt: skip
        return server([sys.executable, "-c", code], port, "/health/ready", root, env, log)
    command = [str(Path(sys.executable).with_name("mlflow")), "models", "serve", "-m",
               str(root / f"mlflow-{name}"), "--env-manager", "local", "-h", "127.0.0.1",
               "-p", str(port), "--workers", str(workers)]  # fmt: skip
    return server(command, port, "/ping", root, env, log)


def request(tool: str, name: str) -> tuple[str, str]:
    """The path and body of one single-row request."""
    values = [ROW[c] for c in COLUMNS]
    if tool == "shipyard":
        body = {"inputs": [values]} if name == "torch" else {"instances": [ROW]}
        return "/predict", json.dumps(body)
    if name in ("onnx", "torch"):
        return "/invocations", json.dumps({"inputs": [values]})
    return "/invocations", json.dumps({"dataframe_records": [ROW]})


def measure_flavor(name: str, root: Path, options: argparse.Namespace) -> dict[str, Any]:
    """Both servers up; alternating rounds at 64 clients; medians."""
    rounds: dict[str, list[dict[str, Any]]] = {"shipyard": [], "mlflow": []}
    with ExitStack() as stack:
        running = {tool: stack.enter_context(launch(tool, name, root, options.workers))
                   for tool in rounds}  # fmt: skip
        for tool, live in running.items():
            path, body = request(tool, name)
            warm = run_loadgen(live.port, path, body, 16, options.warmup)
            if warm["requests"] == 0 or warm["errors"]:
                raise RuntimeError(f"{tool}/{name} answered no requests: {warm}")
        for _ in range(options.rounds):
            for tool, live in running.items():
                path, body = request(tool, name)
                rounds[tool].append(run_loadgen(live.port, path, body, 64, options.seconds))
    note(f"  measured {name}")
    return {tool: {"rps": statistics.median(r["rps"] for r in results),
                   "p50_ms": statistics.median(r["p50_ms"] for r in results),
                   "errors": sum(r["errors"] for r in results)}
            for tool, results in rounds.items()}  # fmt: skip


def batch_rates(onnx_package: Any, pipeline: Any, rounds: int) -> dict[str, float]:
    """Rows/s of the ONNX package and the original pipeline over one big frame, alternated."""
    frame, _ = make_data(BATCH_ROWS)
    prepared = onnx_package.prepare(frame)
    onnx_package.predict_array(prepared.head(1000))
    pipeline.predict(frame.head(1000))
    seconds: dict[str, list[float]] = {"onnx": [], "sklearn": []}
    for _ in range(max(3, rounds)):
        started = time.perf_counter()
        onnx_package.predict_array(prepared)
        seconds["onnx"].append(time.perf_counter() - started)
        started = time.perf_counter()
        pipeline.predict(frame)
        seconds["sklearn"].append(time.perf_counter() - started)
    return {side: BATCH_ROWS / statistics.median(values) for side, values in seconds.items()}


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6.0, help="per round and side")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (at least 3)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--flavors", type=lambda s: s.split(","), default=list(FLAVORS))
    return parser.parse_args()


def main() -> None:
    options = parse()
    peer_environment()
    note(f"Flavors benchmark — {environment_line()}, {options.workers} workers per server, "
         f"{options.rounds} alternating rounds of {options.seconds:g} s at 64 clients")  # fmt: skip
    frame, label = make_data(5_000)
    models = make_models(frame, label)
    with fresh_dir("flavors") as root:
        onnx_package = prepare(root, frame, models)
        results = {name: measure_flavor(name, root, options) for name in options.flavors}
        batch = batch_rates(onnx_package, models["onnx"], options.rounds)
    rows = [[name, tool, f"{r[tool]['rps']:.0f}", f"{r[tool]['p50_ms']:.1f}", r[tool]["errors"]]
            for name, r in results.items() for tool in ("shipyard", "mlflow")]  # fmt: skip
    print_table("Single-row requests at 64 clients (medians of the rounds)",
                ["flavor", "server", "req/s", "p50 ms", "errors"], rows)  # fmt: skip
    per_flavor = {name: ratio(r["shipyard"]["rps"], r["mlflow"]["rps"])
                  for name, r in results.items()}  # fmt: skip
    note(
        f"Batch rows/s over {BATCH_ROWS:,} rows: ONNX package {batch['onnx']:,.0f}, "
        f"scikit-learn pipeline {batch['sklearn']:,.0f}"
    )
    note("Targets: rps_c64_vs_mlflow_min >= 3, onnx_vs_sklearn_batch >= 1")
    figures = {
        **{f"{name}_{tool}_rps_c64": rounded(r[tool]["rps"])
           for name, r in results.items() for tool in ("shipyard", "mlflow")},
        **{f"rps_c64_vs_mlflow_{name}": value for name, value in per_flavor.items()},
        "onnx_batch_rows_per_s": rounded(batch["onnx"]),
        "sklearn_batch_rows_per_s": rounded(batch["sklearn"]),
    }  # fmt: skip
    emit_result("flavors", figures, {
        "rps_c64_vs_mlflow_min": min(per_flavor.values()),
        "onnx_vs_sklearn_batch": ratio(batch["onnx"], batch["sklearn"]),
    })  # fmt: skip


if __name__ == "__main__":
    main()
