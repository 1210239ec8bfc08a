"""Poison events go to the dead-letter topic or stream with their error and their original
payload, while every good event of the same batches is scored."""

from __future__ import annotations

from pathlib import Path

import httpx
import orjson
import pytest

from tests.brokers import Broker
from tests.services import free_port
from tests.serving.conftest import home_workspace
from tests.serving.models import REFUSED_AGES, register_picky
from tests.serving.stream.streams import (
    GOOD,
    Names,
    good_events,
    read,
    start_process,
    stop_process,
    wait_ready,
    worker_thread,
    write,
)

POISON = {
    "p-not-json": b"{not json",
    "p-array": b"[1, 2, 3]",
    "p-type": orjson.dumps({**GOOD, "age": "thirty"}),
    "p-category": orjson.dumps({**GOOD, "plan": "platinum"}),
    "p-missing": orjson.dumps({"plan": "pro", "age": 30}),
}


def test_poison_events_become_dead_letters_and_the_rest_flows(broker: Broker, home: Path) -> None:
    names = Names(broker).prepare()
    good = good_events(0, 40)
    events = good[:15] + list(POISON.items()) + good[15:]
    workspace = home_workspace(home)
    try:
        with worker_thread("churn@production", names, workspace):
            write(names, events)
            results = read(names, names.sink, at_least=len(good))
            letters = read(names, names.dead, at_least=len(POISON))
    finally:
        workspace.close()

    assert sorted(m.key for m in results) == sorted(key.encode() for key, _ in good)
    for message in results:
        document = message.json
        assert document["model"] == "churn" and document["version"] == 1
        assert document["prediction"] in (0, 1)
        assert message.headers["shipyard-version"] == b"1"
        assert float(message.headers["shipyard-latency-ms"]) > 0

    by_key = {m.key.decode(): m for m in letters if m.key is not None}
    assert set(by_key) == set(POISON)
    for key, payload in POISON.items():
        assert by_key[key].value == payload  # the original payload, unchanged
    error = {key: message.headers["shipyard-error"].decode() for key, message in by_key.items()}
    assert "not JSON" in error["p-not-json"]
    assert "not an object" in error["p-array"]
    assert error["p-type"].startswith("age:")
    assert "platinum" in error["p-category"]
    assert "spend" in error["p-missing"]
    assert by_key["p-type"].headers["shipyard-error-kind"] == b"validation"
    assert by_key["p-not-json"].headers["shipyard-error-kind"] == b"decode"


@pytest.mark.slow
def test_deep_huge_binary_and_refused_events_are_dead_lettered_and_the_worker_goes_on(
    broker: Broker, tmp_path: Path
) -> None:
    """A real `shipyard stream` process: no event's content stops it, every valid event
    between the bad ones is scored, and a model that raises on valid events dead-letters
    just those (kind ``prediction``), counted in their own metric."""
    home = tmp_path / "home"
    workspace = home_workspace(home)
    try:
        register_picky(workspace)  # raises on valid rows aged 41 or 77
    finally:
        workspace.close()
    names = Names(broker).prepare()
    deep = b"[" * 1000 + b"1" + b"]" * 1000
    bad = {
        "b-deep": orjson.dumps({**GOOD, "age": "DEEP"}).replace(b'"DEEP"', deep),
        "b-huge": orjson.dumps({"plan": "p" * 300_000, "age": list(range(40_000)), "spend": 1.0}),
        "b-binary": bytes(range(256)),
        "b-refused-41": orjson.dumps({**GOOD, "age": REFUSED_AGES[0]}),
        "b-refused-77": orjson.dumps({**GOOD, "age": REFUSED_AGES[1]}),
    }
    good = [(f"g{i}", orjson.dumps({**GOOD, "age": 30 + i % 10, "spend": 40.0 + i}))
            for i in range(30)]  # fmt: skip
    events = good[:6] + [(key, value) for pair in zip(bad.items(), [good[6 + i * 5 : 11 + i * 5]
             for i in range(5)], strict=True) for key, value in [pair[0], *pair[1]]]  # fmt: skip
    port = free_port()
    log = tmp_path / "worker.log"
    worker = start_process(home, "picky@production", names, log, "--max-batch", "50",
                           "--metrics-port", str(port))  # fmt: skip
    try:
        wait_ready(log, 1)
        write(names, events[:20])
        write(names, events[20:])  # the worker has met some bad events already
        results = read(names, names.sink, at_least=len(good), timeout=60)
        letters = read(names, names.dead, at_least=len(bad), timeout=30)
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
        assert worker.poll() is None, log.read_text()
    finally:
        assert stop_process(worker) == 0, log.read_text()

    assert sorted(m.key for m in results) == sorted(key.encode() for key, _ in good)
    for message in results:
        spend = orjson.loads(dict(good)[message.key.decode()])["spend"]
        assert message.json["prediction"] == int(spend > 50)
    by_key = {m.key.decode(): m for m in letters if m.key is not None}
    assert set(by_key) == set(bad)
    kinds = {key: m.headers["shipyard-error-kind"].decode() for key, m in by_key.items()}
    assert kinds == {"b-deep": "validation", "b-huge": "validation", "b-binary": "decode",
                     "b-refused-41": "prediction", "b-refused-77": "prediction"}  # fmt: skip
    for key, payload in bad.items():
        assert by_key[key].value == payload  # the original payload, unchanged
        assert len(by_key[key].headers["shipyard-error"]) <= 2000
    assert "list [[[[…]]]]" in by_key["b-deep"].headers["shipyard-error"].decode()
    assert "cannot score age 41" in by_key["b-refused-41"].headers["shipyard-error"].decode()
    assert 'shipyard_stream_model_errors_total{version="picky/1"} 2' in metrics
