"""The rollback clock of the rollout benchmark: the wall-clock time from a rollback decision
to 100% of live traffic answered by the stable version, measured once against a real server.

A real ``shipyard serve`` subprocess (default follow interval, 2 s) serves deployment
``clock`` while a rollout holds the canary at 50%; a client sends requests without pause. The
clock starts when the controller acts on a rollback decision (the same call a failed check
makes: routes restored, record and audit written, alert sent) and stops at the first answer
from which every later answer, for three follow intervals, names the stable version.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

FOLLOW_S = 2.0
ROW = {"age": 41.0, "spend": 55.0}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def measure_rollback_seconds(root: Path) -> float:
    import shipyard as sy
    from shipyard._store.workspace import Workspace
    from shipyard.delivery.outcomes import roll_back
    from shipyard.delivery.routes import spec_of
    from shipyard.serving.deploy import deploy_online

    home = root / "home"
    ws = Workspace(sy.load_settings(home=home, capture_git=False, capture_packages=False))
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"age": rng.integers(18, 80, 300).astype(float),
                          "spend": rng.normal(50, 12, 300)})  # fmt: skip
    label = (frame["spend"] > 50).astype(int)
    for c in (1.0, 0.5):
        with sy.start_run("clock", workspace=ws) as run:
            run.log_model(LogisticRegression(C=c).fit(frame, label), "clock",
                          input_example=frame.head(3))  # fmt: skip
    sy.promote("clock", 1, "production", workspace=ws)
    deploy_online("clock", routes=["clock@production=100"], workspace=ws)
    port = _free_port()
    log = (root / "server.log").open("wb")
    code = f"from shipyard.serving.online import serve; serve('clock', port={port})"
    env = {**os.environ, "SHIPYARD_HOME": str(home), "SHIPYARD_CAPTURE_GIT": "false"}
    process = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=log,
                               stderr=subprocess.STDOUT)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    answers: list[tuple[float, str]] = []
    stop = threading.Event()

    def send() -> None:
        with httpx.Client(base_url=url, timeout=10) as client:
            while not stop.is_set():
                try:
                    response = client.post("/predict", json={"instances": [ROW]})
                except httpx.HTTPError:
                    time.sleep(0.05)
                    continue
                answers.append((time.perf_counter(),
                                response.headers.get("x-shipyard-version", "")))  # fmt: skip

    try:
        _wait_ready(url, process, root / "server.log")
        record = sy.rollout("clock", to="clock/2", steps=[50, 100], smoke=False, wait=False,
                            interval=3600, workspace=ws)  # fmt: skip
        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        deadline = time.monotonic() + 60
        while not any(v == "clock/2" for _, v in answers[-50:]):  # the canary serves
            if time.monotonic() > deadline:
                raise RuntimeError("the canary never served")
            time.sleep(0.05)
        started = time.perf_counter()
        roll_back(ws, record, spec_of(record), "benchmark: rollback decision",
                  {"action": "rollback", "step": 50, "reason": "benchmark"})  # fmt: skip
        time.sleep(3 * FOLLOW_S + 1.0)
        stop.set()
        sender.join(timeout=15)
        after = [(t, v) for t, v in answers if t >= started]
        last_canary = max((t for t, v in after if v != "clock/1"), default=started)
        first_stable = min((t for t, v in after if t > last_canary), default=last_canary)
        return first_stable - started
    finally:
        stop.set()
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        ws.close()


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/health/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server was not ready in 300 s:\n{log.read_text()[-3000:]}")
