"""`shipyard deploy online`, `shipyard deployments list|show` and `shipyard serve` errors."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from shipyard._store.aliases import move_alias
from shipyard._store.workspace import Workspace
from tests.cli.conftest import Invoke
from tests.packaged import package_hash
from tests.serving.server import register_commands

register_commands()

HASH = "ab" * 32


def _seed(workspace: Workspace) -> None:
    digest = package_hash(workspace)
    for _ in range(3):
        workspace.models.create_version(
            "churn", package_hash=digest, flavor="sklearn", signature={"inputs": []},
            source_run_id=None, actor="trainer",
        )  # fmt: skip
    move_alias(workspace.db, "churn", "production", 1, actor="a", reason=None, action="alias.set")


def test_deploy_list_and_show(workspace: Workspace, shipyard_cli: Invoke) -> None:
    _seed(workspace)
    made = shipyard_cli("deploy", "online", "churn-online", "--route", "churn/1=90",
                        "--route", "churn/2=10", "--shadow", "churn/3",
                        "--config", "max_batch_size=16", "--reason", "canary")  # fmt: skip
    assert made.exit_code == 0, made.output
    assert "churn/1=90, churn/2=10; shadows churn/3" in made.stdout
    changed = shipyard_cli("deploy", "online", "churn-online", "--route", "churn@production",
                           "--json")  # fmt: skip
    record = json.loads(changed.stdout)
    assert record["routes"] == [{"alias": "production", "weight": 100}]
    assert record["shadows"] == [] and record["config"] == {}

    listed = json.loads(shipyard_cli("deployments", "list", "--json").stdout)
    assert [(d["name"], d["mode"], d["status"]) for d in listed] == [
        ("churn-online", "online", "created")]  # fmt: skip
    table = shipyard_cli("deployments", "list").stdout
    assert "churn-online" in table and "churn@production=100" in table
    shown = shipyard_cli("deployments", "show", "churn-online", "--json")
    assert json.loads(shown.stdout)["model"] == "churn"
    assert "churn@production=100" in shipyard_cli("deployments", "show", "churn-online").stdout
    audit = json.loads(shipyard_cli("audit", "--action", "deployment.create", "--json").stdout)
    assert audit[0]["target"] == "churn-online" and audit[0]["reason"] == "canary"
    assert "none yet" in shipyard_cli("deployments", "list", "--mode", "batch").stdout


def test_deploy_from_shipyard_yaml(
    workspace: Workspace, shipyard_cli: Invoke, tmp_path: Path
) -> None:
    _seed(workspace)
    (tmp_path / "shipyard.yaml").write_text(
        "deployments:\n  churn-yaml:\n    routes: {churn/2: 50, churn/3: 50}\n"
    )
    made = shipyard_cli("deploy", "online", "churn-yaml", "--json")
    assert made.exit_code == 0, made.output
    assert [r["version"] for r in json.loads(made.stdout)["routes"]] == [2, 3]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["deploy", "online", "x", "--route", "ghost/1=5"], 1, "'ghost' is not registered"),
        (["deploy", "online", "x", "--route", "churn/9=5"], 1, "no version 9"),
        (["deploy", "online", "x", "--route", "churn=5"], 2, "does not say which version"),
        (["deploy", "online", "x", "--route", "churn/1=0"], 2, "positive number"),
        (["deploy", "online", "x", "--route", "churn/1", "--config", "oops"], 2, "KEY=VALUE"),
        (
            ["deploy", "online", "x", "--route", "churn/1", "--config", "speed=9"],
            2,
            "Unknown serving option(s) in the config: speed",
        ),
        (["deploy", "online", "x"], 1, "not declared in shipyard.yaml"),
        (["deployments", "show", "ghost"], 1, "no deployment called 'ghost'"),
        (["serve", "ghost@production"], 1, "'ghost' is not registered"),
        (["serve", "churn@staging"], 1, "no alias 'staging'"),
        (["serve", "churn"], 1, "no deployment called 'churn'"),
        (["serve", "churn/1", "--extra", "maybe"], 2, "extra must be"),
    ],
)
def test_errors_are_one_sentence_and_an_exit_code(
    workspace: Workspace, shipyard_cli: Invoke, args: list[str], code: int, message: str
) -> None:
    _seed(workspace)
    result = shipyard_cli(*args)
    assert result.exit_code == code, result.output
    assert message in result.output


def test_serve_refuses_a_port_in_use(workspace: Workspace, shipyard_cli: Invoke) -> None:
    _seed(workspace)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = shipyard_cli("serve", "churn/1", "--port", port)
    assert result.exit_code == 1, result.output
    assert "Cannot listen on 127.0.0.1" in result.output
    status = json.loads(shipyard_cli("deployments", "show", "churn-v1", "--json").stdout)
    assert status["status"] == "stopped"
