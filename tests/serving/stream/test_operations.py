"""Hot swap between batches, the metrics endpoint, the prediction log, the deployment record,
and clear errors for bad command-line input."""

from __future__ import annotations

import urllib.request
from collections import defaultdict
from pathlib import Path

import pytest
from typer.testing import CliRunner

import shipyard as sy
from shipyard.cli.app import app
from shipyard.serving.prediction_log import PredictionLogReader
from tests.brokers import Broker
from tests.serving.conftest import home_workspace
from tests.serving.promtool import check_metrics
from tests.serving.stream.streams import Names, good_events, read, worker_thread, write


def test_an_alias_move_swaps_versions_between_batches(broker: Broker, home: Path) -> None:
    names = Names(broker).prepare()
    workspace = home_workspace(home)
    try:
        with worker_thread("churn@production", names, workspace, poll_interval=0.1,
                           max_batch=20, metrics_port=0) as worker:  # fmt: skip
            write(names, good_events(0, 100))
            read(names, names.sink, at_least=100)
            sy.promote("churn", 2, "production", reason="swap test", workspace=workspace)
            deadline_reads = 0
            while worker.follower.current.primary.version != 2 and deadline_reads < 100:
                read(names, names.sink, at_least=0, timeout=0.1)
                deadline_reads += 1
            write(names, good_events(100, 100))
            results = read(names, names.sink, at_least=200)
            url = f"http://127.0.0.1:{worker.metrics_port}"
            metrics = urllib.request.urlopen(f"{url}/metrics").read().decode()
            ready = urllib.request.urlopen(f"{url}/health/ready").status
        record = workspace.deployments.get("churn-stream")
        logged = PredictionLogReader(workspace.artifacts).predictions("churn-stream")
    finally:
        workspace.close()

    version_of = {m.key: m.json["version"] for m in results}
    assert {version_of[str(i).encode()] for i in range(100)} == {1}
    assert {version_of[str(i).encode()] for i in range(100, 200)} == {2}
    by_latency: dict[bytes, set[int]] = defaultdict(set)  # a batch shares one latency header
    for message in results:
        by_latency[message.headers["shipyard-latency-ms"]].add(message.json["version"])
    assert all(len(versions) == 1 for versions in by_latency.values())  # never mixed

    assert ready == 200
    check_metrics(metrics)
    assert 'shipyard_stream_events_in_total{source="' in metrics
    assert 'shipyard_stream_events_out_total{version="churn/2"}' in metrics
    assert 'shipyard_stream_worker_events_total{event="swap"} 1' in metrics
    assert "shipyard_stream_end_to_end_seconds_bucket" in metrics
    assert "shipyard_stream_lag_events" in metrics

    assert record.mode == "stream" and record.routes == [{"alias": "production", "weight": 100}]
    assert record.status == "stopped" and record.stats is not None
    assert record.stats["events_out"] == 200 and record.stats["versions"] == ["churn/1", "churn/2"]
    assert len(logged) == 200
    assert sorted(logged["model_version"].unique().tolist()) == [1, 2]
    assert logged["request_id"].str.startswith(f"{names.source}/").all()


@pytest.mark.parametrize(
    ("arguments", "code", "message"),
    [
        (["--source", "http://127.0.0.1:1/in"], 2, "unknown scheme 'http'"),
        (["--source", "kafka://127.0.0.1:1/in"], 1, "Cannot reach the Kafka broker at 127.0.0.1:1"),
        (["--source", "redis://127.0.0.1:1/in"], 1, "Cannot reach the Redis server at 127.0.0.1:1"),
        (["--source", "kafka://127.0.0.1:1"], 2, "names no topic"),
    ],
)
def test_bad_command_lines_get_a_clear_error(home: Path, arguments: list[str], code: int,
                                             message: str) -> None:  # fmt: skip
    sink = ["--sink", "redis://127.0.0.1:1/out"]
    if arguments[1].startswith("kafka://127.0.0.1:1/"):
        sink = ["--sink", "kafka://127.0.0.1:1/out"]
    result = CliRunner().invoke(app, ["--home", str(home), "stream", "churn@production",
                                      *arguments, *sink, "--group", "g",
                                      "--connect-timeout", "1"])  # fmt: skip
    assert result.exit_code == code, result.output
    assert message in result.stderr
    assert "Hint:" in result.stderr


def test_an_unknown_alias_or_missing_topic_is_refused(kafka: Broker, home: Path) -> None:
    runner = CliRunner()
    base = ["--home", str(home), "stream"]
    unknown = runner.invoke(app, [*base, "churn@staging", "--source", kafka.url("in"),
                                  "--sink", kafka.url("out"), "--group", "g"])  # fmt: skip
    assert unknown.exit_code == 1 and "no alias 'staging'" in unknown.stderr
    missing = runner.invoke(app, [*base, "churn@production", "--source", kafka.url("nowhere"),
                                  "--sink", kafka.url("out"), "--group", "g"])  # fmt: skip
    assert missing.exit_code == 1 and "topic 'nowhere' does not exist" in missing.stderr
