"""Consumer groups at scale: three real `shipyard stream` processes share a 6-partition Kafka
topic (or one Redis stream); one is killed with SIGKILL mid-stream. The other two take over its
partitions (Redis: claim the entries it left pending): every event gets a result, each key's
results keep the order of its partition, and the duplicates are counted and bounded by one
batch of the killed worker (Kafka and Redis alike)."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter, defaultdict
from pathlib import Path

import orjson
import pytest
import redis

from tests.brokers import Broker
from tests.serving.stream.streams import (
    GOOD,
    Message,
    Names,
    read,
    start_process,
    stop_process,
    wait_ready,
    write,
)

WORKERS, PARTITIONS, KEYS, BATCH = 3, 6, 60, 20
TOTAL, HALF = 2_400, 1_200
"""Events: KEYS keys, each with its own sequence number, spread over every partition."""


def _events(first: int, count: int) -> list[tuple[str, bytes]]:
    return [(f"k{i % KEYS}", orjson.dumps({**GOOD, "age": 20 + i % 50, "seq": i}))
            for i in range(first, first + count)]  # fmt: skip


def _position(message: Message) -> tuple[str, int]:
    """(partition, offset) of the event a result answers (Redis: the stream, the entry id)."""
    where, _, offset = message.json["request_id"].rpartition("/")
    if "-" in offset:  # a Redis entry id: milliseconds-sequence
        millis, _, sequence = offset.partition("-")
        return where, int(millis) * 1_000_000 + int(sequence)
    return where, int(offset)


def _freeze_holding_events(process: object, names: Names) -> None:
    """Stop the worker (SIGSTOP) at a moment it holds events it read but did not acknowledge,
    so the SIGKILL that follows leaves work behind for the others to take over."""
    pid = process.pid  # type: ignore[attr-defined]
    for _ in range(400):
        os.kill(pid, signal.SIGSTOP)
        if names.broker.scheme == "kafka" or _pending_of(names, pid) > 0:
            return
        os.kill(pid, signal.SIGCONT)
        time.sleep(0.005)
    raise AssertionError("the worker never held a pending event; write more events")


def _pending_of(names: Names, pid: int) -> int:
    client = redis.Redis(port=names.broker.port)
    try:
        consumers = client.xinfo_consumers(names.source, names.group)
    finally:
        client.close()
    return sum(c["pending"] for c in consumers if f"-{pid}-" in c["name"].decode())


def _every_result(names: Names, timeout: float = 90.0) -> list[Message]:
    """The sink's messages once every event has a result (duplicates included)."""
    deadline = time.monotonic() + timeout
    while True:
        found = read(names, names.sink, at_least=TOTAL, timeout=2.0)
        if len({m.json["request_id"] for m in found}) >= TOTAL or time.monotonic() > deadline:
            time.sleep(0.5)  # late duplicates, if any, are counted too
            return read(names, names.sink, at_least=len(found), timeout=2.0)


@pytest.mark.slow
def test_a_group_of_three_loses_no_event_when_one_worker_is_killed(
    broker: Broker, models: Path, tmp_path: Path
) -> None:
    names = Names(broker).prepare(partitions=PARTITIONS)
    log = tmp_path / "workers.log"
    options = ("--max-batch", str(BATCH), "--batch-growth", "1")
    workers = [start_process(models, "churn@production", names, log, *options)
               for _ in range(WORKERS)]  # fmt: skip
    try:
        wait_ready(log, WORKERS, timeout=240)  # three processes start on a busy machine
        write(names, _events(0, 150))  # the group settles (Kafka: 2 partitions each)
        read(names, names.sink, at_least=150, timeout=60)
        write(names, _events(150, HALF - 150))  # the workers are busy with these when
        victim = workers[0]  # one of them is frozen holding some, then killed
        _freeze_holding_events(victim, names)
        assert stop_process(victim, signal.SIGKILL) == -signal.SIGKILL
        write(names, _events(HALF, TOTAL - HALF))  # on every partition, the victim's too
        results = _every_result(names)
    finally:
        codes = [stop_process(worker, signal.SIGKILL if worker is workers[0] else signal.SIGTERM)
                 for worker in workers]  # fmt: skip
    assert codes[1:] == [0, 0], log.read_text()  # the survivors drained and left the group

    answered = Counter(m.json["request_id"] for m in results)
    sequences = {orjson.loads(v)["seq"] for _, v in _events(0, TOTAL)}
    assert len(answered) == TOTAL == len(sequences)  # no event lost
    duplicates = sum(answered.values()) - TOTAL  # counted: a redelivery repeats its request id
    # bounded by one batch of the killed worker: it sends a batch's results only once the
    # batch before is acknowledged (Kafka: its offsets committed; Redis: XACKed), and its
    # batches hold BATCH events at most (no growth)
    assert 0 <= duplicates <= BATCH, f"{duplicates} duplicates for one killed worker"
    if broker.scheme == "kafka":  # each key's results in the order of its partition
        by_key: dict[bytes | None, list[tuple[str, int]]] = defaultdict(list)
        for message in results:
            by_key[message.key].append(_position(message))
        for key, positions in by_key.items():
            first_seen = list(dict.fromkeys(positions))  # a redelivery repeats, never reorders
            assert len({p for p, _ in first_seen}) == 1, key
            assert first_seen == sorted(first_seen), key
        assert len({_position(m)[0] for m in results}) == PARTITIONS
    else:  # the entries the dead consumer held were claimed and acknowledged
        client = redis.Redis(port=broker.port)
        try:
            assert client.xpending(names.source, names.group)["pending"] == 0
        finally:
            client.close()
