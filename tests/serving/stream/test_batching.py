"""Batches grow while the source is backlogged and stay at ``max_batch`` while it keeps up."""

from __future__ import annotations

import time
from pathlib import Path

from shipyard.serving.stream.worker import next_batch_size
from tests.brokers import Broker
from tests.serving.conftest import home_workspace
from tests.serving.stream.streams import Names, good_events, read, worker_thread, write


def test_a_backlog_makes_batches_grow_and_a_trickle_keeps_them_small(
    broker: Broker, home: Path
) -> None:
    backlog, trickle = Names(broker).prepare(), Names(broker).prepare()
    workspace = home_workspace(home)
    try:
        write(backlog, good_events(0, 600))
        with worker_thread("churn@production", backlog, workspace, max_batch=20,
                           batch_growth=4) as worker:  # fmt: skip
            results = read(backlog, backlog.sink, at_least=600)
        grown = worker.summary.largest_batch
        with worker_thread("churn@production", trickle, workspace, max_batch=20,
                           batch_growth=4) as worker:  # fmt: skip
            for key, value in good_events(0, 30):
                write(trickle, [(key, value)])
                time.sleep(0.02)
            trickled = read(trickle, trickle.sink, at_least=30)
        kept = worker.summary.largest_batch
    finally:
        workspace.close()

    assert {m.key for m in results} == {str(i).encode() for i in range(600)}
    assert grown == 80  # 20 -> 40 -> 80, the ceiling: 4 x max_batch
    assert len({m.key for m in trickled}) == 30
    assert kept <= 20  # never past max_batch while the source keeps up


def test_batch_size_doubles_on_full_reads_and_halves_on_short_ones() -> None:
    sizes = [500]
    for read_count in (500, 1000, 2000, 2000, 1200, 300, 10, 0):
        sizes.append(next_batch_size(sizes[-1], read_count, 500, 2000))
    assert sizes == [500, 1000, 2000, 2000, 2000, 2000, 1000, 500, 500]
