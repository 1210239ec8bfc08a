from __future__ import annotations

import json
from pathlib import Path

from shipyard._store.workspace import Workspace
from shipyard.registry import latest_evaluation
from tests.cli.conftest import Invoke
from tests.pipeline.project import make_project


def test_shipyard_run_shows_each_step_and_exits_1_naming_the_failed_gate(
    tmp_path: Path, shipyard_cli: Invoke
) -> None:
    path = str(make_project(tmp_path / "p"))
    first = shipyard_cli("run", "--config", path)
    assert first.exit_code == 0, first.output
    assert "[4/8] train" in first.stdout and "PROMOTED credit/1" in first.stdout
    assert "report (html):" in first.stdout
    weak = shipyard_cli("run", "--config", path, "--set", "train.params.features=[age]")
    assert weak.exit_code == 1
    assert "REJECTED credit/2" in weak.stdout and "auc: roc_auc" in weak.stdout
    assert "short by" in weak.stdout and "cached" in weak.stdout
    data = json.loads(shipyard_cli("run", "--config", path, "--json").stdout)
    assert data["verdict"] == "promoted" and data["version"] == 1
    assert "train" in [s["name"] for s in data["steps"] if s["status"] == "cached"]
    again = json.loads(shipyard_cli("reproduce", data["run_id"], "--json").stdout)
    assert again["outcome"] == "identical"


def test_shipyard_run_reports_a_configuration_error_with_its_line(
    tmp_path: Path, shipyard_cli: Invoke
) -> None:
    path = make_project(tmp_path / "p")
    path.write_text(path.read_text().replace("entrypoint: train:fit", "entrypoint: train"))
    result = shipyard_cli("run", "--config", str(path))
    assert result.exit_code == 1
    assert "shipyard.yaml:12 train.entrypoint: entrypoint 'train' is not `module:function`" in (
        result.stderr.replace("\n", " ")
    )


def test_the_diabetes_example_is_a_regression_through_gates_and_registration(
    tmp_path: Path, shipyard_cli: Invoke, workspace: Workspace
) -> None:
    folder = tmp_path / "diabetes"
    created = shipyard_cli("init", str(folder), "--example", "diabetes")
    assert created.exit_code == 0, created.output
    assert (folder / "data" / "diabetes.parquet").is_file()
    path = str(folder / "shipyard.yaml")
    first = json.loads(shipyard_cli("run", "--config", path, "--json").stdout)
    assert (first["verdict"], first["model"], first["version"]) == (
        "promoted", "diabetes-progression", 1
    )  # fmt: skip
    production = workspace.models.resolve_alias("diabetes-progression", "production")
    assert production.version == 1
    recorded = latest_evaluation("diabetes-progression", 1, workspace=workspace)
    assert recorded is not None and recorded.passed
    assert {"r2", "mae", "rmse"} <= set(recorded.metrics)

    weak = shipyard_cli("run", "--config", path, "--set", "train.params.features=[age,sex]")
    assert weak.exit_code == 1
    assert "REJECTED diabetes-progression/2" in weak.stdout
    assert "explains-progression: r2" in weak.stdout and "short by" in weak.stdout
    assert workspace.models.get_version("diabetes-progression", 2).status == "rejected"
    assert workspace.models.resolve_alias("diabetes-progression", "production").version == 1
