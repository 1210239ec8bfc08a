"""The deployment repository (on SQLite and PostgreSQL) and deployments as users write them."""

from __future__ import annotations

from pathlib import Path

import pytest

from shipyard._store.aliases import move_alias
from shipyard._store.deployments import DeploymentRepository
from shipyard._store.workspace import Workspace
from shipyard.core.errors import ConfigurationError, NotFoundError, UsageError
from shipyard.serving.deploy import (
    declared_deployments,
    deploy_declared,
    deploy_online,
    deployment_for_target,
    deployments_of,
    parse_route,
)
from tests.packaged import package_hash

HASH = "cd" * 32


def _versions(workspace: Workspace, name: str = "churn", count: int = 3) -> None:
    for _ in range(count):
        workspace.models.create_version(
            name, package_hash=package_hash(workspace), flavor="sklearn", signature={"inputs": []},
            source_run_id=None, actor="ana",
        )  # fmt: skip


@pytest.fixture
def repo(workspace: Workspace) -> DeploymentRepository:
    _versions(workspace)
    move_alias(workspace.db, "churn", "production", 1, actor="ana", reason=None, action="alias.set")
    return DeploymentRepository(workspace.db)


def test_create_update_and_audit(repo: DeploymentRepository, workspace: Workspace) -> None:
    created = repo.apply("churn-online", model="churn", actor="ana", reason="launch",
                         routes=[{"version": 1, "weight": 90}, {"version": 2, "weight": 10}],
                         shadows=[3], config={"max_batch_size": 16})  # fmt: skip
    assert (created.mode, created.status, created.model_name) == ("online", "created", "churn")
    assert created.routes == [{"version": 1, "weight": 90}, {"version": 2, "weight": 10}]
    assert created.shadows == [3] and created.config == {"max_batch_size": 16}

    same = repo.apply("churn-online", model="churn", actor="bo", shadows=[3],
                      routes=[{"version": 1, "weight": 90}, {"version": 2, "weight": 10}],
                      config={"max_batch_size": 16})  # fmt: skip
    assert same.updated_at == created.updated_at  # nothing changed, nothing recorded
    moved = repo.apply("churn-online", model="churn", actor="bo", reason="all in",
                       routes=[{"alias": "production", "weight": 100}])  # fmt: skip
    assert moved.routes == [{"alias": "production", "weight": 100}] and moved.shadows == []

    events = workspace.audit.list(target_type="deployment", newest_first=False)
    assert [(e.action, e.actor, e.reason) for e in events] == [
        ("deployment.create", "ana", "launch"), ("deployment.update", "bo", "all in"),
    ]  # fmt: skip
    assert events[1].before is not None and events[1].before["shadows"] == [3]
    assert events[1].after is not None and events[1].after["routes"][0]["alias"] == "production"
    assert repo.get("churn-online") == moved


def test_status_stats_list_and_find(repo: DeploymentRepository, workspace: Workspace) -> None:
    _versions(workspace, "fraud", 1)
    repo.apply("b-churn", model="churn", routes=[{"version": 1}], actor="a")
    repo.apply("a-fraud", model="fraud", routes=[{"version": 1}], mode="batch", actor="a")
    serving = repo.set_status("b-churn", "serving", actor="ops", reason="started")
    assert serving.status == "serving"
    repo.set_status("b-churn", "serving", actor="ops")  # unchanged: not audited twice
    stats = repo.update_stats("a-fraud", {"rows": 10})
    stats = repo.update_stats("a-fraud", {"rejects": 2})
    assert stats.stats == {"rows": 10, "rejects": 2}
    assert [d.name for d in repo.list()] == ["a-fraud", "b-churn"]
    assert [d.name for d in repo.list(mode="online")] == ["b-churn"]
    assert [d.name for d in repo.list(model="fraud")] == ["a-fraud"]
    assert repo.find("ghost") is None
    assert len(workspace.audit.list(action="deployment.status")) == 1
    assert repo.get("a-fraud").to_dict()["model"] == "fraud"


def test_a_deployment_served_by_several_workers_stops_with_the_last(
    repo: DeploymentRepository, workspace: Workspace
) -> None:
    repo.apply(
        "churn-stream", model="churn", routes=[{"alias": "production"}], mode="stream", actor="a"
    )
    repo.worker_started("churn-stream", "w1", {"pid": 1}, actor="ops", reason="group g")
    both = repo.worker_started("churn-stream", "w2", {"pid": 2}, actor="ops", reason="group g")
    assert both.status == "serving" and set(both.stats["workers"]) == {"w1", "w2"}  # type: ignore[index]
    assert both.stats["workers"]["w2"]["pid"] == 2  # type: ignore[index]
    one = repo.worker_stopped("churn-stream", "w1", actor="ops")
    assert one.status == "serving" and set(one.stats["workers"]) == {"w2"}  # type: ignore[index]
    none = repo.worker_stopped("churn-stream", "w2", actor="ops")
    assert none.status == "stopped" and none.stats["workers"] == {}  # type: ignore[index]
    moves = [(e.before, e.after) for e in workspace.audit.list(action="deployment.status")]
    assert sorted(m[1]["status"] for m in moves) == ["serving", "stopped"]  # once each
    repo.worker_started("churn-stream", "w3", {"pid": 3}, actor="ops", reason="group g")
    again = repo.worker_started("churn-stream", "w4", {}, actor="ops", reason="g", forget=["w3"])
    assert set(again.stats["workers"]) == {"w4"}  # type: ignore[index]


def test_workers_whose_process_is_gone_are_found_on_their_own_host_only() -> None:
    import os
    import subprocess
    import sys

    from shipyard.serving.stream.presence import gone_workers

    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()  # reaped: its pid now names no process
    workers = {
        "alive": {"host": "here", "pid": os.getpid()},
        "dead": {"host": "here", "pid": ended.pid},
        "elsewhere": {"host": "there", "pid": ended.pid},
        "unknown": {"host": "here"},
    }
    assert gone_workers(workers, "here") == ["dead"]


def test_a_rollout_watches_the_stream_workers_heard_from_lately(repo: DeploymentRepository) -> None:
    from datetime import timedelta

    from shipyard.core.clock import utcnow
    from shipyard.serving.stream.presence import STALE_AFTER_S, metrics_urls

    repo.apply(
        "churn-stream", model="churn", routes=[{"alias": "production"}], mode="stream", actor="a"
    )
    repo.worker_started("churn-stream", "w1", {"metrics_url": "http://127.0.0.1:1"},
                        actor="ops", reason="group g")  # fmt: skip
    repo.worker_started("churn-stream", "w2", {"metrics_url": "http://127.0.0.1:2"},
                        actor="ops", reason="group g")  # fmt: skip
    stats = repo.get("churn-stream").stats
    assert metrics_urls(stats, "here") == ["http://127.0.0.1:1", "http://127.0.0.1:2"]
    later = utcnow() + timedelta(seconds=STALE_AFTER_S + 1)
    assert metrics_urls(stats, "here", now=later) == []  # both went silent
    old = (utcnow() - timedelta(seconds=STALE_AFTER_S + 1)).isoformat()
    workers = {name: {**about, "since": old} for name, about in (stats or {})["workers"].items()}
    repo.update_stats("churn-stream", {"workers": workers})
    repo.worker_heartbeat("churn-stream", "w2", {})  # w2 beats, w1 stays silent
    assert metrics_urls(repo.get("churn-stream").stats, "here") == ["http://127.0.0.1:2"]


@pytest.mark.parametrize(
    ("routes", "shadows", "error", "message"),
    [
        ([], [], UsageError, "at least one route"),
        ([{"version": 9}], [], NotFoundError, "no version 9"),
        ([{"alias": "staging"}], [], NotFoundError, "no alias 'staging'"),
        ([{"version": 1, "weight": 0}], [], UsageError, "positive number"),
        ([{"version": 1, "weight": "x"}], [], UsageError, "positive number"),
        ([{"version": 1, "alias": "production"}], [], UsageError, "either a version or"),
        ([{"version": 0}], [], UsageError, "positive whole number"),
        ([{"version": 1}], [7], NotFoundError, "no version 7"),
    ],
)
def test_bad_deployments_are_refused(
    repo: DeploymentRepository,
    routes: list[dict[str, object]],
    shadows: list[int],
    error: type[Exception],
    message: str,
) -> None:
    with pytest.raises(error, match=message):
        repo.apply("churn-online", model="churn", routes=routes, shadows=shadows, actor="a")
    assert repo.find("churn-online") is None


def test_unknown_names(repo: DeploymentRepository, workspace: Workspace) -> None:
    with pytest.raises(NotFoundError, match="'ghost' is not registered"):
        repo.apply("x", model="ghost", routes=[{"version": 1}], actor="a")
    with pytest.raises(NotFoundError, match="no deployment called 'nope'"):
        repo.get("nope")
    with pytest.raises(NotFoundError, match="no deployment"):
        repo.set_status("nope", "serving", actor="a")
    with pytest.raises(UsageError, match="not one of"):
        repo.set_status("nope", "dancing", actor="a")
    with pytest.raises(UsageError, match="not a valid model name"):
        repo.apply("bad name", model="churn", routes=[{"version": 1}], actor="a")
    _versions(workspace, "fraud", 1)
    repo.apply("x", model="churn", routes=[{"version": 1}], actor="a")
    with pytest.raises(UsageError, match="model cannot change"):
        repo.apply("x", model="fraud", routes=[{"version": 1}], actor="a")


def test_routes_as_users_write_them(repo: DeploymentRepository, workspace: Workspace) -> None:
    assert parse_route("churn/3=90") == ("churn", {"version": 3, "weight": 90})
    assert parse_route("churn@production = 2.5") == ("churn", {"alias": "production",
                                                               "weight": 2.5})  # fmt: skip
    assert parse_route("churn/4") == ("churn", {"version": 4, "weight": 100})
    for bad in ("churn=5", "churn/x=5", "=5"):
        with pytest.raises(UsageError):
            parse_route(bad)
    shadows = ["churn@production", "churn/3"]
    record = deploy_online("canary", routes=["churn/1=90", "churn/2=10"], shadows=shadows,
                           workspace=workspace)  # fmt: skip
    assert record.shadows == [1, 3]
    with pytest.raises(UsageError, match="serves one model"):
        _versions(workspace, "fraud", 1)
        deploy_online("mixed", routes=["churn/1=50", "fraud/1=50"], workspace=workspace)
    assert deployments_of(workspace).get("canary").routes[1] == {"version": 2, "weight": 10}


def test_serving_a_reference_records_a_deployment(
    repo: DeploymentRepository, workspace: Workspace
) -> None:
    first = deployment_for_target("churn@production", workspace=workspace)
    assert (first.name, first.routes) == ("churn-production", [{"alias": "production",
                                                                "weight": 100}])  # fmt: skip
    assert deployment_for_target("churn@production", workspace=workspace).id == first.id
    assert deployment_for_target("churn/2", workspace=workspace).name == "churn-v2"
    assert deployment_for_target("churn-v2", workspace=workspace).routes[0]["version"] == 2
    with pytest.raises(NotFoundError, match="no deployment called 'churn'"):
        deployment_for_target("churn", workspace=workspace)
    with pytest.raises(NotFoundError, match="no alias 'staging'"):
        deployment_for_target("churn@staging", workspace=workspace)


def test_deployments_declared_in_shipyard_yaml(
    repo: DeploymentRepository, workspace: Workspace, tmp_path: Path
) -> None:
    config = tmp_path / "shipyard.yaml"
    config.write_text(
        "project: churn\n"
        "deployments:\n"
        "  churn-online:\n"
        "    routes: {churn/1: 90, churn/2: 10}\n"
        "    shadows: [churn/3]\n"
        "    config: {max_batch_size: 8}\n"
    )
    assert set(declared_deployments(config)) == {"churn-online"}
    record = deploy_declared("churn-online", config_file=config, reason="yaml",
                             workspace=workspace)  # fmt: skip
    assert record.routes == [{"version": 1, "weight": 90}, {"version": 2, "weight": 10}]
    assert record.shadows == [3] and record.config == {"max_batch_size": 8}
    with pytest.raises(NotFoundError, match="not declared"):
        deploy_declared("other", config_file=config, reason=None, workspace=workspace)
    config.write_text("deployments: [1, 2]\n")
    with pytest.raises(ConfigurationError, match=r"shipyard\.yaml:1 deployments: must map names"):
        declared_deployments(config)
    bad_keys = {
        "    route: {churn/1: 100}\n": r":3 deployments\.d\.route: unknown key",
        "    routes: {churn/x: 100}\n": r":3 deployments\.d\.routes\.churn/x: 'churn/x' names",
        "    routes: [churn/1=100]\n    config: {max_batch: 8}\n": (
            r":4 deployments\.d\.config\.max_batch: unknown serving option"
        ),
        "    routes: [churn/1]\n    routes: [churn/2]\n": r":4 deployments\.d\.routes: duplicated",
    }
    for body, message in bad_keys.items():
        config.write_text("deployments:\n  d:\n" + body)
        with pytest.raises(ConfigurationError, match=r"shipyard\.yaml" + message):
            declared_deployments(config)
    assert declared_deployments(None) == {}
