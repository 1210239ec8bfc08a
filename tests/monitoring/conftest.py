"""A deployed model whose training data is logged, and helpers that write its prediction log
through the real writer (``PredictionLog``) at chosen times."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import shipyard as sy
from shipyard._store.workspace import Workspace
from shipyard.serving.prediction_log import Feedback, PredictionBatch, PredictionLog

NUMERIC = ["age", "income", "tenure", "score"]
CATEGORICAL = ["plan", "region"]
FEATURES = NUMERIC + CATEGORICAL
PLANS = ["basic", "plus", "pro"]
REGIONS = ["north", "south", "east", "west"]
DEPLOYMENT = "churn-prod"
START = datetime(2026, 11, 20, tzinfo=UTC)


def make_frame(rows: int, seed: int, *, drift: Sequence[str] = ()) -> pd.DataFrame:
    """Rows like the training data; columns in ``drift`` are shifted (income: +0.8 sd,
    plan: mostly "pro", tenure: doubled)."""
    rng = np.random.default_rng(seed)
    plan_p = [0.1, 0.2, 0.7] if "plan" in drift else [0.5, 0.3, 0.2]
    return pd.DataFrame(
        {
            "age": rng.integers(18, 90, rows),
            "income": rng.normal(62_000 if "income" in drift else 50_000, 15_000, rows).round(2),
            "tenure": rng.exponential(8.0 if "tenure" in drift else 4.0, rows),
            "score": rng.uniform(0, 1, rows),
            "plan": rng.choice(PLANS, rows, p=plan_p),
            "region": rng.choice(REGIONS, rows),
        }
    )


def truth(frame: pd.DataFrame) -> np.ndarray:
    return ((frame["age"] + 20 * (frame["plan"] == "pro")) > 60).astype(int).to_numpy()


@dataclass
class Monitored:
    workspace: Workspace
    model: Pipeline
    tmp: Path
    log: PredictionLog
    written: list[str] = field(default_factory=list)

    def window(
        self,
        index: int,
        frame: pd.DataFrame,
        *,
        labels: np.ndarray | None = None,
        latency_ms: float = 3.0,
        hours: float = 1.0,
        predictions: list[Any] | None = None,
        version: int = 1,
        log: PredictionLog | None = None,
    ) -> tuple[datetime, datetime]:
        """Log ``frame``'s predictions by ``version`` inside window ``index`` (``hours`` long
        from START), with ground-truth ``labels`` sent as feedback, through ``log`` (default:
        this workspace's writer); returns the window bounds."""
        start = START + timedelta(hours=hours * index)
        moment = start + timedelta(minutes=1)
        ids = [f"w{index}-r{i}" for i in range(len(frame))]
        if predictions is None:
            predictions = self.model.predict(frame).tolist()
        writer = log or self.log
        writer.write(
            PredictionBatch(
                deployment=DEPLOYMENT, model="churn", version=version, inputs=frame,
                predictions=predictions, request_ids=ids, latency_ms=latency_ms, time=moment,
            )
        )  # fmt: skip
        if labels is not None:
            pairs = zip(ids, labels, strict=True)
            feedback = [Feedback(DEPLOYMENT, r, int(y), time=moment) for r, y in pairs]
            writer.write_feedback(feedback)
        writer.flush()
        return start, start + timedelta(hours=hours)


@pytest.fixture
def monitored(tmp_path: Path) -> Iterator[Monitored]:
    """churn/1 trained on 10,000 rows logged as ``churn-train/1`` (context "train") and
    deployed as ``churn-prod``."""
    yield from build_monitored(tmp_path)


def build_monitored(tmp_path: Path, *, capture_packages: bool = False) -> Iterator[Monitored]:
    """The ``monitored`` fixture's setup; ``capture_packages`` records the training run's
    package lock."""
    frame = make_frame(10_000, seed=0)
    model = train(frame)
    settings = sy.load_settings(home=tmp_path / ".shipyard", capture_git=False,
                                capture_packages=capture_packages, actor="tester@test")  # fmt: skip
    workspace = Workspace(settings)
    with sy.start_run(workspace=workspace) as run:
        sy.log_dataset(frame.assign(churned=truth(frame)), "churn-train", context="train")
        run.log_model(model, "churn", input_example=frame.head(5))
    workspace.deployments.apply(DEPLOYMENT, model="churn", routes=[{"version": 1, "weight": 100}],
                                actor="tester@test")  # fmt: skip
    log = PredictionLog(workspace.artifacts, flush_interval=60)
    try:
        yield Monitored(workspace, model, tmp_path, log)
    finally:
        log.close()
        workspace.close()


def train(frame: pd.DataFrame, c: float = 1.0) -> Pipeline:
    """The churn model fitted on ``frame`` (``c``: inverse regularisation)."""
    prepare = ColumnTransformer(
        [("num", StandardScaler(), NUMERIC),
         ("cat", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL)]
    )  # fmt: skip
    model = Pipeline([("prepare", prepare), ("clf", LogisticRegression(C=c, max_iter=500))])
    model.fit(frame, truth(frame))
    return model


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Receiver:
    """An HTTP server on 127.0.0.1 that records JSON POSTs; the first ``fail`` requests (or
    all, with ``fail=-1``) are answered 500. With ``hold``, every answer waits until
    :meth:`stop` (a webhook that hangs)."""

    def __init__(self, *, fail: int = 0, hold: bool = False) -> None:
        self.bodies: list[bytes] = []
        self.requests = 0
        self.fail, self.hold = fail, hold
        self.released = threading.Event()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests += 1
                if receiver.hold:
                    receiver.released.wait(60)
                failing = receiver.fail < 0 or receiver.requests <= receiver.fail
                if not failing:
                    receiver.bodies.append(body)
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.stop()
