"""The serving part of `make demo`: serve churn@production over HTTP, send it traffic, move 20%
of it to the next version as a canary (no restart: the server picks the new routes up), and
read logged predictions back with their feedback labels.

``examples/demo.py`` calls ``run(step, first)`` once a version of ``churn`` is in production and
another version exists, from inside the demo workspace (``SHIPYARD_HOME`` set, working
directory ``.demo/``). It takes three steps, numbered from ``first``, and returns the next
step's number.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

import shipyard as sy
from shipyard.serving.client import Client
from shipyard.serving.prediction_log import PredictionLogReader

Step = Callable[[int, str], None]
STEPS = 3


def _customers(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "tenure_months": rng.integers(1, 72, rows),
            "monthly_charges": rng.normal(70, 20, rows).round(2),
            "support_calls": rng.poisson(1.5, rows),
            "plan": rng.choice(["basic", "standard", "premium"], rows),
        }
    )


def _shipyard(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("shipyard")), *args]


def _cli(*args: str) -> None:
    print("$ shipyard " + " ".join(args), flush=True)
    subprocess.run(_shipyard(*args), check=True, env={**os.environ, "COLUMNS": "110"})


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(port: int, log: Path) -> subprocess.Popen[bytes]:
    print(f"$ shipyard serve churn@production --port {port} &", flush=True)
    with log.open("wb") as handle:
        server = subprocess.Popen(_shipyard("serve", "churn@production", "--port", str(port)),
                                  stdout=handle, stderr=subprocess.STDOUT)  # fmt: skip
    client = Client(f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 90
    while not client.ready():
        if server.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the server did not start; see {log}")
        time.sleep(0.2)
    client.close()
    return server


def run(step: Step, first: int = 8) -> int:
    with sy.open_workspace() as workspace:
        production = sy.resolve("churn@production", workspace=workspace).version
        versions = [v.version for v in workspace.models.list_versions("churn")]
    candidate = max(v for v in versions if v != production)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"

    step(first, "Serve churn@production over HTTP (micro-batched, every prediction logged)")
    server = _start(port, Path("server.log"))
    try:
        with Client(url) as client:
            rows = _customers(400, seed=11).to_dict(orient="records")
            started = time.perf_counter()
            with ThreadPoolExecutor(16) as pool:
                answers = list(pool.map(lambda row: client.infer([row]), rows))
            seconds = time.perf_counter() - started
            print(f"  {len(answers)} single-row requests from 16 clients in {seconds:.2f} s "
                  f"({len(answers) / seconds:.0f} req/s), all answered by "
                  f"{sorted({f'churn/{a.version}' for a in answers})}")  # fmt: skip
            print(f"  POST /predict {rows[0]} -> {answers[0].predictions}")
            try:
                client.predict([{"tenure_months": "two", "monthly_charges": 80.0, "plan": "gold"}])
            except sy.InputValidationError as error:
                print("  a bad request gets a 422 naming each field:")
                for problem in error.problems:
                    print(f"    {problem}")

            step(first + 1, f"Canary: send 20% of traffic to version {candidate}")
            _cli("deploy", "online", "churn-production", "--route", "churn@production=80",
                 "--route", f"churn/{candidate}=20", "--reason", "canary")  # fmt: skip
            deadline = time.monotonic() + 30
            while len(client.metadata()["serving"]) < 2 and time.monotonic() < deadline:
                time.sleep(0.2)
            with ThreadPoolExecutor(16) as pool:
                canary = list(pool.map(lambda row: client.infer([row]), rows))
            shares = Counter(f"churn/{a.version}" for a in canary)
            print(f"  the running server picked the new routes up; {len(canary)} requests: "
                  f"{dict(sorted(shares.items()))}")  # fmt: skip
            sticky = {client.infer([rows[0]], key="customer-42").version for _ in range(10)}
            print(f"  a request key is sticky: customer-42 always gets churn/{sticky.pop()}")
            for answer in canary[:50]:  # ground truth arrives later, by request id
                client.feedback(answer.request_id, int(answer.predictions[0]))
        _cli("deployments", "list")
    finally:
        server.send_signal(signal.SIGTERM)  # graceful: in-flight answered, log flushed
        server.wait(timeout=60)

    step(first + 2, "Read logged predictions back (Parquet under the artifact root, DuckDB)")
    with sy.open_workspace() as workspace:
        reader = PredictionLogReader(workspace.artifacts)
        logged = reader.predictions("churn-production", with_feedback=True)
    by_version = logged.groupby("model_version").size().to_dict()
    print(f"  {len(logged)} predictions logged, by version: {by_version}; "
          f"{int(logged['label'].notna().sum())} with a feedback label")  # fmt: skip
    shown = logged[logged["label"].notna()].head(3)
    columns = ["request_id", "model_version", "latency_ms", "prediction", "label", "inputs"]
    with pd.option_context("display.width", 160, "display.max_colwidth", 90):
        print(shown[columns].to_string(index=False))
    return first + STEPS
