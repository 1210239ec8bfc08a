"""Rollouts of a stream deployment, watched through its real `shipyard stream` workers: each
worker records where its metrics are, the controller reads their readiness and their model
errors per version, and with keyed events flowing through Kafka and through Redis Streams an
identical canary is promoted and a canary that raises on some events is rolled back."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import orjson
import pytest

import shipyard as sy
from shipyard._store.workspace import Workspace
from shipyard.serving.stream import StreamOptions, record_stream
from tests.brokers import start_redis, start_tansu
from tests.delivery.models import AGES, Threshold, example
from tests.delivery.test_rollout import ERRORS, FAST, open_home
from tests.serving.stream.streams import Names, start_process, stop_process, wait_ready, write

WORKERS = 2
pytestmark = pytest.mark.slow  # two worker processes, three rollouts: about 30 s per broker


@dataclass
class StreamShop:
    home: Path
    workspace: Workspace
    names: Names


@pytest.fixture(scope="module", params=["kafka", "redis"])
def shop(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StreamShop]:
    """churn/1 and churn/2 (identical), churn/3 (refuses ages ERRORS); the stream deployment
    ``shop-stream`` follows churn@production -> 1, served by two real stream workers reading
    from Kafka or from Redis Streams."""
    root = tmp_path_factory.mktemp(f"stream-rollout-{request.param}")
    ws = open_home(root / "home")
    for model in (Threshold(), Threshold(), Threshold(refused=ERRORS)):
        with sy.start_run("train", workspace=ws) as run:
            run.log_model(model, "churn", input_example=example())
    sy.promote("churn", 1, "production", workspace=ws)
    broker = start_tansu() if request.param == "kafka" else start_redis()
    names = Names(broker).prepare()
    record_stream(
        "churn@production",
        "shop-stream",
        StreamOptions(
            source=names.url(names.source), sink=names.url(names.sink), group=names.group
        ),
        ws,
    )
    log = root / "workers.log"
    workers = [start_process(ws.settings.home, "shop-stream", names, log, "--metrics-port", "0")
               for _ in range(WORKERS)]  # fmt: skip
    try:
        wait_ready(log, WORKERS)
        yield StreamShop(ws.settings.home, ws, names)
    finally:
        for worker in workers:
            stop_process(worker)
        ws.close()
        broker.stop()


class KeyedEvents:
    """Events keyed by customer written to the source until stopped (about 250 a second)."""

    def __init__(self, names: Names) -> None:
        self.names = names
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        rng = np.random.default_rng(7)
        while not self.stop.wait(0.1):
            events = []
            for _ in range(25):
                event = {"age": int(rng.integers(*AGES)),
                         "spend": round(float(rng.normal(50.0, 12.0)), 2)}  # fmt: skip
                events.append((f"customer-{rng.integers(5000)}", orjson.dumps(event)))
            write(self.names, events)

    def __enter__(self) -> KeyedEvents:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join(10)


def test_each_stream_worker_records_where_its_metrics_are(shop: StreamShop) -> None:
    stats = sy.get_deployment("shop-stream", workspace=shop.workspace).stats or {}
    urls = [about["metrics_url"] for about in stats["workers"].values()]
    assert len(urls) == WORKERS
    for url in urls:
        assert httpx.get(f"{url}/health/ready").json()["serving"] == ["churn/1"]


def test_an_identical_canary_of_a_stream_deployment_is_promoted(shop: StreamShop) -> None:
    with KeyedEvents(shop.names):
        done = sy.rollout("shop-stream", to="churn/2", workspace=shop.workspace, **FAST)
    assert done.status == "promoted", done.history[-1]
    assert sy.resolve("churn@production", workspace=shop.workspace).version == 2
    check = done.history[-1]["analysis"]["checks"][0]
    assert check["status"] == "not_worse" and check["canary_n"] >= 60


def test_a_stream_canary_with_planted_model_errors_is_rolled_back(shop: StreamShop) -> None:
    stable = sy.resolve("churn@production", workspace=shop.workspace).version
    with KeyedEvents(shop.names):
        done = sy.rollout("shop-stream", to="churn/3", workspace=shop.workspace, **FAST)
    assert done.status == "rolled_back", done.history[-1]
    assert sy.resolve("churn@production", workspace=shop.workspace).version == stable
    check = done.history[-1]["analysis"]["checks"][0]
    # the canary's failures are never in the prediction log: they come from the workers'
    # shipyard_stream_model_errors_total
    assert check["kind"] == "error_rate" and check["canary_value"] > check["stable_value"], check
    # and the workers log the events the model raised on, for the error rate over time
    deadline = time.monotonic() + 30
    while (
        not (traffic := sy.deployment_traffic("shop-stream", hours=1, workspace=shop.workspace))
        .versions[-1]
        .errors
    ):
        assert time.monotonic() < deadline, "no error rows were logged"
        time.sleep(0.5)
    assert traffic.versions[-1].version == 3 and sum(traffic.versions[-1].errors) > 0
    assert all(sum(v.errors) == 0 for v in traffic.versions[:-1])


def test_a_stream_worker_that_does_not_answer_pauses_the_rollout(shop: StreamShop) -> None:
    stats = sy.get_deployment("shop-stream", workspace=shop.workspace).stats or {}
    frozen = next(iter(stats["workers"].values()))
    os.kill(frozen["pid"], signal.SIGSTOP)  # alive, listed, heartbeat fresh, but silent
    try:
        paused = sy.rollout("shop-stream", to="churn/1", workspace=shop.workspace, **FAST)
    finally:
        os.kill(frozen["pid"], signal.SIGCONT)
    assert paused.status == "paused", paused.history[-1]
    why = paused.history[-1]["reason"]
    assert "nothing is judged" in why and frozen["metrics_url"] in why, why
    aborted = sy.abort_rollout("shop-stream", workspace=shop.workspace)
    assert aborted.status == "aborted"
    assert sy.get_deployment("shop-stream", workspace=shop.workspace).routes == [
        {"alias": "production", "weight": 100}
    ]
