"""A stream worker that cannot load a newly promoted version because of trust (a single
DecisionTreeClassifier holds sklearn.tree._tree.Tree, which skops does not trust by default)
goes on scoring with the version it has, and says so: in its metrics, in its health, on the
deployment, and through an alert when a monitoring rule asks; `shipyard stream --trust TYPE`
loads that version."""

from __future__ import annotations

import json
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

from sklearn.pipeline import Pipeline
from sklearn.tree import DecisionTreeClassifier

import shipyard as sy
from shipyard.core.clock import utcnow
from shipyard.monitoring import monitor_run, parse_config
from tests.brokers import Broker
from tests.serving.conftest import home_workspace
from tests.serving.models import classifier, customers
from tests.serving.promtool import check_metrics
from tests.serving.stream.streams import (
    Names,
    good_events,
    read,
    start_process,
    stop_process,
    wait_ready,
    worker_thread,
    write,
)

TREE = "sklearn.tree._tree.Tree"


def _register_tree(workspace: sy.Workspace) -> None:
    """churn/3: the churn pipeline ending in a single decision tree."""
    data = customers()
    pipeline = classifier(1.0)
    single = DecisionTreeClassifier(max_depth=3, random_state=0)
    tree = Pipeline([("features", pipeline.named_steps["features"]), ("classify", single)])
    tree.fit(data, pipeline.predict(data))
    with sy.start_run("train", workspace=workspace) as run:
        sy.log_dataset(data, "customers", context="train")
        run.log_model(tree, "churn", input_example=data.head(3))


def test_an_untrusted_promotion_is_reported_and_trust_loads_it(
    redis_server: Broker, home: Path, tmp_path: Path
) -> None:
    names = Names(redis_server).prepare()
    workspace = home_workspace(home)
    began = utcnow() - timedelta(minutes=1)
    try:
        _register_tree(workspace)
        with worker_thread("churn@production", names, workspace, poll_interval=0.1,
                           metrics_port=0) as worker:  # fmt: skip
            sy.promote("churn", 3, "production", reason="a tree", workspace=workspace)
            deadline = time.monotonic() + 30
            while worker.follower.failure is None:
                assert time.monotonic() < deadline, "the worker never tried churn/3"
                time.sleep(0.05)
            write(names, good_events(0, 50))
            results = read(names, names.sink, at_least=50)
            url = f"http://127.0.0.1:{worker.metrics_port}"
            metrics = urllib.request.urlopen(f"{url}/metrics").read().decode()
            with urllib.request.urlopen(f"{url}/health/ready") as answer:
                health = json.loads(answer.read())
            record = workspace.deployments.get("churn-stream")
            rules = parse_config({"rules": [{"name": "stale-model", "metric": "load_failures",
                                             "above": 0, "severity": "critical"}]})  # fmt: skip
            monitor_run("churn-stream", since=began, until=utcnow() + timedelta(minutes=1),
                        reference="customers", config=rules, workspace=workspace)  # fmt: skip
            alerts = sy.list_alerts(deployment="churn-stream", workspace=workspace)
        stopped = workspace.deployments.get("churn-stream")
    finally:
        workspace.close()

    assert {m.json["version"] for m in results} == {1}  # churn/1 went on scoring
    check_metrics(metrics)
    assert "shipyard_stream_load_failing 1" in metrics
    assert 'shipyard_stream_worker_events_total{event="trust_failure"} 1' in metrics
    assert health["status"] == "ready" and health["serving"] == ["churn/1"]
    assert health["load_failure"]["kind"] == "trust" and TREE in health["load_failure"]["error"]
    failure = (record.stats or {})["load_failure"]
    assert failure["kind"] == "trust" and failure["plan"]["routes"][0]["version"] == 3
    assert [a.rule for a in alerts] == ["stale-model"] and alerts[0].severity == "critical"
    assert (stopped.stats or {})["load_failure"] is None  # its worker no longer runs

    trusted = Names(redis_server).prepare()  # the command line, trusting the tree's type
    log = tmp_path / "trusted.log"
    process = start_process(home, "churn@production", trusted, log, "--trust", TREE)
    try:
        wait_ready(log, 1)
        write(trusted, good_events(0, 20))
        scored = read(trusted, trusted.sink, at_least=20)
    finally:
        assert stop_process(process) == 0, log.read_text()
    assert {m.json["version"] for m in scored} == {3}
