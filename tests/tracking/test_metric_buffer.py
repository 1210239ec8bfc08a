from __future__ import annotations

from collections.abc import Sequence

import pytest

from shipyard._store.runs import MetricRow
from shipyard.tracking.metric_buffer import MetricBuffer


class FlakyStore:
    """A store that refuses its first write, as a database might during a failover."""

    def __init__(self) -> None:
        self.rows: list[MetricRow] = []
        self.failures_left = 1

    def write(self, rows: Sequence[MetricRow]) -> None:
        if self.failures_left:
            self.failures_left -= 1
            raise ConnectionError("store unavailable")
        self.rows.extend(rows)


def test_a_failed_write_keeps_its_batch_for_the_next_flush() -> None:
    store = FlakyStore()
    buffer = MetricBuffer(store.write, interval=60, max_pending=1000)
    for step in range(10):
        buffer.add(("run", "loss", float(step), step, 0))
    with pytest.raises(ConnectionError):
        buffer.flush()
    assert buffer.pending == 10
    buffer.add(("run", "loss", 10.0, 10, 0))
    buffer.close()
    assert [row[3] for row in store.rows] == list(range(11))
    assert buffer.pending == 0


def test_a_full_buffer_is_written_without_waiting_for_the_interval() -> None:
    store = FlakyStore()
    store.failures_left = 0
    buffer = MetricBuffer(store.write, interval=60, max_pending=5)
    for step in range(5):
        buffer.add(("run", "x", 1.0, step, 0))
    import time

    deadline = time.monotonic() + 5
    while len(store.rows) < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(store.rows) == 5
    buffer.close()
