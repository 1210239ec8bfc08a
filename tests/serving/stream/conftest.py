"""Real brokers for the stream tests: one tansu (Kafka protocol) broker and one redis-server for
the whole session, on random loopback ports, stopped by pid after every client is closed.
Each test uses its own topics, streams and groups, so tests never see each other's events."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.brokers import Broker, start_redis, start_tansu
from tests.serving.conftest import models_home


@pytest.fixture(scope="session")
def kafka() -> Iterator[Broker]:
    broker = start_tansu()
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[Broker]:
    broker = start_redis()
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture(params=["kafka", "redis"])
def broker(request: pytest.FixtureRequest) -> Broker:
    """Each test that takes it runs once on Kafka, once on Redis Streams."""
    name = "kafka" if request.param == "kafka" else "redis_server"
    found: Broker = request.getfixturevalue(name)
    return found


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A fresh Shipyard home with churn/1, churn/2 (churn@production -> 1) and spend/1."""
    return models_home(tmp_path)
