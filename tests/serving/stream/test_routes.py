"""A stream worker serving a deployment honours its routes as an online server does: a 50/50
split sticky by message key, a shadow scored and logged but never answered, each result
naming its version, and a change of routes followed while it runs."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from pathlib import Path

import orjson
from typer.testing import CliRunner

import shipyard as sy
from shipyard.cli.app import app
from shipyard.serving.deploy import deploy_online
from shipyard.serving.prediction_log import PredictionLogReader
from shipyard.serving.stream.follow import ModelFollower
from tests.brokers import Broker
from tests.serving.conftest import home_workspace
from tests.serving.models import REFUSED_AGES, classifier, customers
from tests.serving.stream.streams import GOOD, Names, read, worker_thread, write

EVENTS = 10_000


def _wait_for_plan(follower: ModelFollower, served: list[str], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while follower.current.describe()["serving"] != served:
        assert time.monotonic() < deadline, f"the worker still serves {follower.current}"
        time.sleep(0.05)


def test_a_deployment_splits_by_key_shadows_and_follows_its_routes(
    broker: Broker, home: Path
) -> None:
    names = Names(broker).prepare()
    workspace = home_workspace(home)
    try:
        with sy.start_run("train", workspace=workspace) as run:  # churn/3, the shadow
            run.log_model(classifier(0.3), "churn", input_example=customers().head(3))
        deploy_online("churn-ab", routes=["churn/1=50", "churn/2=50"], shadows=["churn/3"],
                      workspace=workspace)  # fmt: skip
        keyed = [(f"customer-{i}", orjson.dumps({**GOOD, "age": 18 + i % 60}))
                 for i in range(EVENTS)]  # fmt: skip
        with worker_thread("churn-ab", names, workspace, poll_interval=0.1) as worker:
            write(names, keyed)
            write(names, keyed[:1000])  # the same keys again: they keep their version
            first = read(names, names.sink, at_least=EVENTS + 1000, timeout=60)
            deploy_online("churn-ab", routes=["churn/2=100"], workspace=workspace)
            _wait_for_plan(worker.follower, ["churn/2"])
            write(names, keyed[:500])
            seen = {m.json["request_id"] for m in first}
            every = read(names, names.sink, at_least=EVENTS + 1500, timeout=30)
            after = [m for m in every if m.json["request_id"] not in seen]  # any order
        reader = PredictionLogReader(workspace.artifacts)
        shadow = reader.predictions("churn-ab", role="shadow")
        served = reader.predictions("churn-ab")
    finally:
        workspace.close()

    versions: dict[bytes | None, set[int]] = defaultdict(set)
    for message in first:
        assert message.headers["shipyard-version"] == str(message.json["version"]).encode()
        versions[message.key].add(message.json["version"])
    assert len(versions) == EVENTS
    assert all(len(found) == 1 for found in versions.values())  # sticky by key
    split = Counter(next(iter(found)) for found in versions.values())
    assert set(split) == {1, 2}  # the shadow never answers
    assert abs(split[1] / EVENTS - 0.5) <= 0.02

    assert {m.json["version"] for m in after} == {2}  # the route change was followed
    assert len({m.key for m in after}) == 500

    assert set(shadow["model_version"]) == {3}
    assert len(shadow) >= EVENTS + 1000  # it scored what the routes answered, and logged it
    assert set(served["model_version"]) == {1, 2}


def test_a_shadow_that_raises_logs_its_errors_and_the_served_answers_flow(
    broker: Broker, home: Path
) -> None:
    from tests.models.pymodels import PickyScorer

    names = Names(broker).prepare()
    workspace = home_workspace(home)
    try:
        with sy.start_run("train", workspace=workspace) as run:  # churn/3 raises on some ages
            run.log_model(PickyScorer(REFUSED_AGES), "churn", input_example=customers().head(3))
        deploy_online("churn-picky", routes=["churn/1=100"], shadows=["churn/3"],
                      workspace=workspace)  # fmt: skip
        events = [(f"c-{i}", orjson.dumps({**GOOD, "age": 30 + i})) for i in range(60)]
        with worker_thread("churn-picky", names, workspace, trusted=True):  # a tests class
            write(names, events)
            results = read(names, names.sink, at_least=len(events), timeout=60)
        reader = PredictionLogReader(workspace.artifacts)
        errors = reader.predictions("churn-picky", role="error")
        shadow = reader.predictions("churn-picky", role="shadow")
    finally:
        workspace.close()

    assert sorted(m.key for m in results) == sorted(key.encode() for key, _ in events)
    assert {m.json["version"] for m in results} == {1}  # the shadow's failures cost nothing
    assert sorted(errors["model_version"]) == [3, 3]  # ages 41 and 77
    assert errors["prediction"].isna().all()
    assert len(shadow) == len(events) - 2


def test_streaming_an_unknown_deployment_or_a_bare_model_name_is_explained(
    kafka: Broker, home: Path
) -> None:
    runner = CliRunner()
    base = ["--home", str(home), "stream"]
    where = ["--source", kafka.url("in"), "--sink", kafka.url("out"), "--group", "g"]
    model = runner.invoke(app, [*base, "churn", *where])  # a model, not a deployment
    assert model.exit_code == 2, model.output
    assert "'churn' is a model, not a deployment: say which version to stream." in model.stderr
    assert "churn@production" in model.stderr and ".." not in model.stderr
    unknown = runner.invoke(app, [*base, "nowhere", *where])
    assert unknown.exit_code == 1, unknown.output
    assert "There is no deployment called 'nowhere'." in unknown.stderr
    assert "shipyard stream nowhere@production" in unknown.stderr
