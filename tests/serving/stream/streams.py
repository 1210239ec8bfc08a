"""Helpers of the stream tests: write events, read results and dead letters back, and run the
worker, in a thread of the test or as a real `shipyard stream` process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import redis

from shipyard._store.workspace import Workspace
from shipyard.serving.stream import StreamSummary, StreamWorker, stream
from tests.brokers import TEST_GROUP_SETTINGS, Broker, create_topics

GOOD = {"plan": "pro", "age": 30, "spend": 70.5}
FAST_REDIS = {"claim_idle_ms": 1000}
ROOT = Path(__file__).resolve().parents[3]
"""The checkout: worker processes import its code (and the test models, by reference)."""


@dataclass
class Message:
    key: bytes | None
    value: bytes
    headers: dict[str, bytes]

    @property
    def json(self) -> Any:
        return orjson.loads(self.value)


@dataclass
class Names:
    """A test's own source, sink and dead-letter names and group, on one broker."""

    broker: Broker
    source: str = field(default_factory=lambda: f"in-{uuid.uuid4().hex[:8]}")
    sink: str = field(default_factory=lambda: f"out-{uuid.uuid4().hex[:8]}")
    group: str = field(default_factory=lambda: f"g-{uuid.uuid4().hex[:8]}")

    @property
    def dead(self) -> str:
        return f"{self.source}.dead-letter"

    def url(self, name: str) -> str:
        return self.broker.url(name)

    def prepare(self, partitions: int = 2) -> Names:
        if self.broker.scheme == "kafka":
            create_topics(self.broker.address,
                          {self.source: partitions, self.sink: partitions,
                           self.dead: 1})  # fmt: skip
        return self

    def options(self) -> dict[str, Any]:
        """Worker options that make the tests fast (a group joins in about a second)."""
        if self.broker.scheme == "kafka":
            return {"consumer_options": dict(TEST_GROUP_SETTINGS), "max_wait_ms": 5.0}
        return {**FAST_REDIS, "max_wait_ms": 5.0}

    def cli_options(self) -> list[str]:
        if self.broker.scheme == "kafka":
            pairs = [f"{k}={v}" for k, v in TEST_GROUP_SETTINGS.items()]
            return [arg for pair in pairs for arg in ("--consumer-option", pair)]
        return ["--claim-idle-ms", str(FAST_REDIS["claim_idle_ms"])]


def write(names: Names, events: Sequence[tuple[str, bytes]]) -> None:
    """Write (key, payload) events to the source."""
    if names.broker.scheme == "kafka":
        from confluent_kafka import Producer

        producer = Producer({"bootstrap.servers": names.broker.address, "linger.ms": 1})
        for key, value in events:
            producer.produce(names.source, value, key.encode())
        assert producer.flush(10) == 0
        return
    client = redis.Redis(port=names.broker.port)
    pipeline = client.pipeline(transaction=False)
    for key, value in events:
        pipeline.xadd(names.source, {"key": key, "value": value})
    pipeline.execute()
    client.close()


def good_events(first: int, count: int) -> list[tuple[str, bytes]]:
    return [(str(i), orjson.dumps({**GOOD, "age": 20 + i % 50, "id": i}))
            for i in range(first, first + count)]  # fmt: skip


def read(names: Names, name: str, *, at_least: int, timeout: float = 20.0) -> list[Message]:
    """Every message of topic/stream ``name`` once there are ``at_least`` (or the time is up)."""
    if names.broker.scheme == "kafka":
        return _read_kafka(names.broker, name, at_least, timeout)
    return _read_redis(names.broker, name, at_least, timeout)


def read_all_keys(names: Names, keys: set[bytes], timeout: float) -> list[Message]:
    """The sink's messages once every key of ``keys`` has a result (duplicates included)."""
    deadline = time.monotonic() + timeout
    while True:
        found = read(names, names.sink, at_least=len(keys), timeout=1.0)
        if keys <= {m.key for m in found} or time.monotonic() > deadline:
            return found


def _read_redis(broker: Broker, name: str, at_least: int, timeout: float) -> list[Message]:
    client = redis.Redis(port=broker.port)
    deadline = time.monotonic() + timeout
    while True:
        entries = client.xrange(name)
        if len(entries) >= at_least or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    client.close()
    messages = []
    for _, fields in entries:
        fields = dict(fields)
        key, value = fields.pop(b"key", None), fields.pop(b"value")
        messages.append(Message(key, value, {k.decode(): v for k, v in fields.items()}))
    return messages


def _read_kafka(broker: Broker, topic: str, at_least: int, timeout: float) -> list[Message]:
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": broker.address, "group.id": uuid.uuid4().hex,
                         "enable.auto.commit": False})  # fmt: skip
    partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
    found: list[Message] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            for message in consumer.consume(500, 0.1 if len(found) < at_least else 0.3):
                if message.error() is None:
                    headers = dict(message.headers() or [])
                    found.append(Message(message.key(), message.value(), headers))
            if len(found) >= at_least:  # and a little longer, for duplicates or strays
                break
        while more := consumer.consume(500, 0.3):  # the rest: duplicates, strays
            found += [Message(m.key(), m.value(), dict(m.headers() or []))
                      for m in more if m.error() is None]  # fmt: skip
    finally:
        consumer.close()
    return found


@contextmanager
def worker_thread(target: str, names: Names, workspace: Workspace,
                  **options: Any) -> Iterator[StreamWorker]:  # fmt: skip
    """A worker in a thread of the test; stopped (drained) when the block ends."""
    stop = threading.Event()
    ready = threading.Event()
    started: list[StreamWorker] = []
    outcome: list[StreamSummary | BaseException] = []

    def on_ready(worker: StreamWorker) -> None:
        started.append(worker)
        ready.set()

    def run() -> None:
        try:
            outcome.append(stream(target, source=names.url(names.source),
                                  sink=names.url(names.sink), group=names.group,
                                  workspace=workspace, stop=stop, on_ready=on_ready,
                                  **{**names.options(), **options}))  # fmt: skip
        except BaseException as exc:
            outcome.append(exc)
            ready.set()

    thread = threading.Thread(target=run, name="stream-worker-under-test")
    thread.start()
    ready.wait(60)
    if outcome and isinstance(outcome[0], BaseException):
        thread.join()
        raise outcome[0]
    try:
        yield started[0]
    finally:
        stop.set()
        thread.join(60)
        assert not thread.is_alive(), "the worker did not drain"
        if outcome and isinstance(outcome[0], BaseException):
            raise outcome[0]


def shipyard_command() -> str:
    return str(Path(sys.executable).with_name("shipyard"))


def start_process(home: Path, target: str, names: Names, log: Path,
                  *extra: str) -> subprocess.Popen[bytes]:  # fmt: skip
    """A real `shipyard stream` worker process."""
    command = [shipyard_command(), "--home", str(home), "stream", target,
               "--source", names.url(names.source), "--sink", names.url(names.sink),
               "--group", names.group, "--max-wait-ms", "5", "--poll-interval", "0.2",
               *names.cli_options(), *extra]  # fmt: skip
    env = {**os.environ, "SHIPYARD_CAPTURE_GIT": "false", "PYTHONPATH": str(ROOT),
           "SHIPYARD_TRUSTED_MODULES": '["tests"]'}  # the tests' own model classes  # fmt: skip
    with log.open("ab") as handle:
        return subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, env=env)


def stop_process(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> int:
    if process.poll() is None:
        process.send_signal(sig)
    return process.wait(timeout=60)


def wait_ready(log: Path, workers: int, timeout: float = 60.0) -> None:
    """Wait until ``workers`` processes writing to ``log`` said they are streaming."""
    deadline = time.monotonic() + timeout
    while log.read_text(errors="replace").count("Streaming ") < workers:
        if time.monotonic() > deadline:
            raise AssertionError(f"the workers did not start:\n{log.read_text()}")
        time.sleep(0.1)
