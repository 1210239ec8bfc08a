from __future__ import annotations

import json
from pathlib import Path

import pytest

import shipyard as sy
from shipyard._store.workspace import Workspace
from tests.cli.conftest import Invoke
from tests.packaged import package_hash


def _seed(workspace: Workspace) -> str:
    with sy.start_run("train", workspace=workspace, params={"C": 1}) as run:
        run.log_metric("auc", 0.91)
    for _ in range(2):
        workspace.models.create_version(
            "churn", package_hash=package_hash(workspace), flavor="sklearn",
            signature={"inputs": [{"name": "age", "dtype": "integer"}]},
            source_run_id=run.id, actor="trainer",
        )  # fmt: skip
    return run.id


def test_runs_list_and_show(workspace: Workspace, shipyard_cli: Invoke) -> None:
    run_id = _seed(workspace)
    listed = shipyard_cli("runs", "list", "--json")
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert [(r["id"], r["status"], r["metrics"]) for r in rows] == [
        (run_id, "finished", {"auc": 0.91})
    ]
    table = shipyard_cli("runs", "list")
    assert "train" in table.stdout and "auc=0.91" in table.stdout

    shown = shipyard_cli("runs", "show", run_id, "--json")
    assert json.loads(shown.stdout)["params"] == {"C": "1"}
    assert "finished" in shipyard_cli("runs", "show", run_id).stdout


def test_models_promote_rollback_and_audit(workspace: Workspace, shipyard_cli: Invoke) -> None:
    _seed(workspace)
    first = shipyard_cli("promote", "churn/1", "--alias", "production", "--reason", "launch")
    assert first.exit_code == 0, first.output
    assert "nothing -> version 1" in first.stdout
    second = shipyard_cli("promote", "churn/2", "--alias", "production", "--json")
    assert json.loads(second.stdout) == {
        "model": "churn", "alias": "production", "before": 1, "after": 2,
    }  # fmt: skip
    copy = shipyard_cli("promote", "churn@production", "--alias", "staging")
    assert "version 2" in copy.stdout

    models = json.loads(shipyard_cli("models", "list", "--json").stdout)
    assert models[0]["aliases"] == {"production": 2, "staging": 2}
    versions = json.loads(shipyard_cli("models", "show", "churn", "--json").stdout)
    assert [(v["version"], v["aliases"]) for v in versions] == [
        (2, ["production", "staging"]), (1, []),
    ]  # fmt: skip
    one = json.loads(shipyard_cli("models", "show", "churn@production", "--json").stdout)
    assert one["version"] == 2

    back = shipyard_cli("rollback", "churn@production", "--reason", "latency")
    assert back.exit_code == 0, back.output
    assert "version 2 -> version 1" in back.stdout

    audit = json.loads(shipyard_cli("audit", "--model", "churn", "--json").stdout)
    moves = [(e["action"], e["target"], e["actor"], e["reason"]) for e in audit[:2]]
    assert moves == [
        ("alias.rollback", "churn@production", "cli@test", "latency"),
        ("alias.set", "churn@staging", "cli@test", None),
    ]
    assert "alias.rollback" in shipyard_cli("audit").stdout


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["models", "show", "ghost"], 1, "'ghost' is not registered"),
        (["models", "show", "churn@prod"], 1, "has no alias 'prod'"),
        (["models", "show", "churn/9"], 1, "has no version 9"),
        (["models", "show", "churn/x"], 2, "not a version number"),
        (["promote", "churn/7", "--alias", "production"], 1, "has no version 7"),
        (["promote", "churn", "--alias", "production"], 2, "does not say which version"),
        (["promote", "churn/1", "--alias", "9x"], 2, "not a valid alias"),
        (["rollback", "churn@production"], 1, "has no alias 'production'"),
        (["rollback", "churn"], 2, "names no alias"),
        (["runs", "show", "nope"], 1, "Run nope does not exist"),
        (["runs", "list", "--status", "done"], 2, "status is one of running"),
        (["runs", "list", "--filter", "metrics.auc > high"], 2, "position 15"),
        (["audit", "--model", "ghost"], 1, "'ghost' is not registered"),
        (["--set", "project", "runs", "list"], 2, "is not KEY=VALUE"),
        (["--set", "colour=blue", "runs", "list"], 2, "'colour' is not a setting"),
        (["--set", "metric_flush_interval=-1", "runs", "list"], 1, "greater than 0"),
    ],
)
def test_bad_input_is_one_clear_sentence_and_an_exit_code(
    workspace: Workspace, shipyard_cli: Invoke, args: list[str], code: int, message: str
) -> None:
    _seed(workspace)
    result = shipyard_cli(*args)
    assert result.exit_code == code, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "command",
    [
        ["runs", "list"],
        ["runs", "show", "abc"],
        ["models", "list"],
        ["models", "show", "churn"],
        ["promote", "churn/1", "--alias", "production"],
        ["rollback", "churn@production"],
        ["audit"],
        ["db", "upgrade"],
        ["db", "current"],
    ],
)
def test_an_unreachable_store_is_reported_with_a_hint(command: list[str]) -> None:
    from typer.testing import CliRunner

    from shipyard.cli.app import app

    result = CliRunner().invoke(
        app, ["--store", "postgresql+psycopg://nobody@127.0.0.1:1/none", *command]
    )
    assert result.exit_code == 1
    assert "Cannot connect to the metadata store" in result.stderr
    assert "Hint:" in result.stderr
    assert "Traceback" not in result.output


def test_the_console_script_collects_garbage_while_the_command_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc

    from shipyard.cli import launch

    seen: list[bool] = []
    ready = launch.command_ready

    def watched() -> None:
        seen.append(gc.isenabled())
        ready()
        seen.append(gc.isenabled())

    monkeypatch.setattr(launch, "command_ready", watched)
    sy.open_workspace(home=tmp_path).close()  # `runs list` reads a store; it never creates one
    monkeypatch.setattr("sys.argv", ["shipyard", "--home", str(tmp_path), "runs", "list"])
    try:
        with pytest.raises(SystemExit) as exited:
            launch.main()
        assert exited.value.code == 0
        assert seen[:2] == [False, True]  # paused while loading, on for the command
    finally:
        gc.enable()
        gc.unfreeze()
