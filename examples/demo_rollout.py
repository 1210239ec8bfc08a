"""The rollout part of `make demo`: a good candidate reaches users step by step and is promoted
by itself, a worse one (a model trained on shuffled labels, caught on feedback accuracy) is
rolled back by itself, and the audit trail of both is printed.

``examples/demo.py`` calls ``run(step, first)`` from inside the demo workspace
(``SHIPYARD_HOME`` set). It registers its own model, ``upsell``, serves it on a real server,
sends it live traffic with the true label of each answer as feedback, takes three steps
numbered from ``first``, and returns the next step's number.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import chdir, contextmanager
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

import shipyard as sy

Step = Callable[[int, str], None]
STEPS = 3
DEPLOYMENT = "upsell-online"
SPEC = {
    "steps": [20, 50, 100], "interval": 0.5, "min_samples": 60, "max_duration": 120,
    "checks": [{"name": "errors", "kind": "error_rate", "tolerance": 0.03},
               {"name": "accuracy", "kind": "metric", "metric": "accuracy", "tolerance": 0.1}],
}  # fmt: skip


def _customers(rows: int, rng: np.random.Generator) -> pd.DataFrame:
    return pd.DataFrame({"age": rng.integers(18, 80, rows).astype(float),
                         "spend": rng.normal(50.0, 12.0, rows).round(2)})  # fmt: skip


def _buys(frame: pd.DataFrame) -> np.ndarray:
    """The truth the feedback reports: big spenders buy, the more so the younger."""
    return (frame["spend"] - 0.3 * (frame["age"] - 50) > 50).to_numpy().astype(int)


def _shipyard(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("shipyard")), *args]


def _cli(*args: str) -> None:
    print("$ shipyard " + " ".join(args), flush=True)
    subprocess.run(_shipyard(*args), check=True, env={**os.environ, "COLUMNS": "110"})


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _server(port: int) -> Iterator[str]:
    url = f"http://127.0.0.1:{port}"
    print(f"$ shipyard serve {DEPLOYMENT} --port {port} --poll-interval 0.25 &", flush=True)
    env = {**os.environ, "SHIPYARD_PREDICTION_LOG_FLUSH_INTERVAL": "0.25"}
    with Path("rollout-server.log").open("wb") as log:
        server = subprocess.Popen(
            _shipyard("serve", DEPLOYMENT, "--port", str(port), "--poll-interval", "0.25"),
            stdout=log, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{url}/health/ready", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the server did not start; see rollout-server.log")
            time.sleep(0.2)
        yield url
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)


@contextmanager
def _traffic(url: str) -> Iterator[None]:
    """Two clients sending one customer per request, then the truth as feedback."""
    stop = threading.Event()

    def send(seed: int) -> None:
        rng = np.random.default_rng(seed)
        with httpx.Client(base_url=url, timeout=10) as client:
            while not stop.is_set():
                frame = _customers(1, rng)
                answer = client.post("/predict", json={"instances": frame.to_dict("records")})
                if answer.status_code == 200:
                    client.post("/feedback", json={"request_id": answer.json()["request_id"],
                                                   "label": int(_buys(frame)[0])})  # fmt: skip

    threads = [threading.Thread(target=send, args=(seed,), daemon=True) for seed in (1, 2)]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=15)


def _register() -> None:
    rng = np.random.default_rng(0)
    frame = _customers(2000, rng)
    truth = _buys(frame)
    shuffled = rng.permutation(truth)  # the worse model learnt from shuffled labels
    for name, labels in (("first", truth), ("retrained", truth), ("broken", shuffled)):
        with sy.start_run(f"upsell-{name}", tags={"demo": "true"}) as run:
            run.log_model(LogisticRegression(C=1.0).fit(frame, labels), "upsell",
                          input_example=frame.head(3))  # fmt: skip
    sy.promote("upsell", 1, "production", reason="first upsell model")


def _show(record: sy.RolloutRecord) -> None:
    print(f"  rollout {record.id}: upsell/{record.stable_version} -> {record.target}: "
          f"{record.status.upper()}")  # fmt: skip
    for entry in record.history:
        checks = (entry.get("analysis") or {}).get("checks", [])
        figures = ", ".join(
            f"{c['check']} {c['status']} (n={c['canary_n']}/{c['stable_n']})" for c in checks
        )
        print(f"    {entry['action']:8} at {entry['step']:>3}%  {figures}")
    print(f"  why: {(record.reason or '')[:400]}")


def run(step: Step, first: int = 1) -> int:
    folder = Path("rollout")
    folder.mkdir(exist_ok=True)
    with chdir(folder):  # a folder of its own: no other part's shipyard.yaml applies
        return _run(step, first)


def _run(step: Step, first: int) -> int:
    _register()
    _cli("deploy", "online", DEPLOYMENT, "--route", "upsell@production=100")
    with _server(_free_port()) as url, _traffic(url):
        step(first, "Roll out a retrained upsell model: smoke tests, then 20% -> 50% -> all")
        good = sy.rollout(DEPLOYMENT, to="upsell/2", **SPEC)
        _show(good)
        print(f"  upsell@production is now version {sy.resolve('upsell@production').version}")

        step(first + 1, "Roll out a worse model: the live comparison rolls it back by itself")
        bad = sy.rollout(DEPLOYMENT, to="upsell/3", **SPEC)
        _show(bad)
        routes = sy.get_deployment(DEPLOYMENT).routes
        print(f"  routes are back to {routes}; upsell@production stays on version "
              f"{sy.resolve('upsell@production').version}")  # fmt: skip

    step(first + 2, "The audit trail of both rollouts, with every decision and alias move")
    events = sy.get_audit(target=DEPLOYMENT, target_type="deployment", limit=None,
                          newest_first=False)  # fmt: skip
    events += sy.get_audit(model="upsell", action="alias.set", limit=None, newest_first=False)
    events += sy.get_audit(model="upsell", action="version.rolled_back", limit=None)
    for event in sorted(events, key=lambda e: e.id):
        after = event.after or {}
        what = after.get("canary_version") or after.get("version") or ""
        print(f"  {event.time:%H:%M:%S} {event.actor:22.22} {event.action:21} {event.target:15} "
              f"{what!s:3} {(event.reason or '')[:70]}")  # fmt: skip
    _cli("rollout", "list", "--deployment", DEPLOYMENT)
    return first + STEPS
