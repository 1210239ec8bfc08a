"""Poison events go to the dead-letter topic or stream with their error and their original
payload, while every good event of the same batches is scored."""

from __future__ import annotations

from pathlib import Path

import orjson

from tests.brokers import Broker
from tests.serving.conftest import home_workspace
from tests.serving.stream.streams import GOOD, Names, good_events, read, worker_thread, write

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
