"""At least once, with real `shipyard stream` processes: a worker killed with SIGKILL in the
middle of a stream and started again loses no event; two workers of one group share the work;
SIGTERM drains (every event read is answered and acknowledged before the process exits)."""

from __future__ import annotations

import signal
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.brokers import Broker
from tests.serving.conftest import home_workspace
from tests.serving.stream.streams import (
    Names,
    good_events,
    read,
    read_all_keys,
    start_process,
    stop_process,
    wait_ready,
    write,
)


def _request_ids(messages: list) -> Counter[str]:  # type: ignore[type-arg]
    return Counter(m.json["request_id"] for m in messages)


@pytest.mark.slow
def test_a_worker_killed_mid_stream_and_restarted_loses_no_event(
    broker: Broker, home: Path, tmp_path: Path
) -> None:
    names = Names(broker).prepare()
    log = tmp_path / "worker.log"
    total = 3_000
    worker = start_process(home, "churn@production", names, log, "--max-batch", "50")
    write(names, good_events(0, 1_000))
    read(names, names.sink, at_least=200, timeout=60)  # mid-stream: some results are out
    write(names, good_events(1_000, 2_000))
    assert stop_process(worker, signal.SIGKILL) == -signal.SIGKILL
    killed_at = len(read(names, names.sink, at_least=0, timeout=0.5))
    assert killed_at < total, "the worker finished before it was killed; kill it sooner"

    restarted = start_process(home, "churn@production", names, log, "--max-batch", "50")
    try:
        results = read_all_keys(names, {str(i).encode() for i in range(total)}, timeout=90)
    finally:
        assert stop_process(restarted) == 0, log.read_text()
    seen = _request_ids(results)
    keys = {m.key for m in results}
    assert keys == {str(i).encode() for i in range(total)}  # every event has a result
    assert sum(seen.values()) >= total  # duplicates are possible, and visible by request id
    workspace = home_workspace(home)  # the restarted worker forgot the killed one
    try:
        record = workspace.deployments.get("churn-stream")
    finally:
        workspace.close()
    assert record.status == "stopped" and record.stats["workers"] == {}  # type: ignore[index]


@pytest.mark.slow
def test_sigterm_drains_and_a_second_worker_of_the_group_shares_the_work(
    broker: Broker, home: Path, tmp_path: Path
) -> None:
    names = Names(broker).prepare(partitions=2)
    log = tmp_path / "workers.log"
    first = start_process(home, "churn@production", names, log, "--max-batch", "20")
    second = start_process(home, "churn@production", names, log, "--max-batch", "20")
    wait_ready(log, 2)
    time.sleep(2)  # the Kafka group rebalances once both joined (about a second here)
    for first_event in range(0, 400, 50):  # a steady trickle, as events arrive in life
        write(names, good_events(first_event, 50))
        time.sleep(0.1)
    results = read(names, names.sink, at_least=400, timeout=60)
    workspace = home_workspace(home)
    try:
        serving = workspace.deployments.get("churn-stream")
        assert stop_process(first) == 0, log.read_text()
        one_left = workspace.deployments.get("churn-stream")  # still served by the second
        assert stop_process(second) == 0, log.read_text()
        stopped = workspace.deployments.get("churn-stream")
    finally:
        workspace.close()
    assert serving.status == "serving" and serving.stats is not None
    assert len(serving.stats["workers"]) == 2
    assert one_left.status == "serving" and len(one_left.stats["workers"]) == 1  # type: ignore[index]
    assert stopped.status == "stopped" and stopped.stats["workers"] == {}  # type: ignore[index]
    assert {m.key for m in results} >= {str(i).encode() for i in range(400)}
    text = log.read_text()
    summaries = [line for line in text.splitlines() if line.startswith("Stopped after")]
    assert len(summaries) == 2, text
    scored = [int(line.split()[4].replace(",", "")) for line in summaries]
    assert all(count > 0 for count in scored), summaries  # both workers took part
    assert sum(scored) >= 400
