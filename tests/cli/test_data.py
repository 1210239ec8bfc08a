"""`shipyard data ...` in-process, against SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

import shipyard as sy
from shipyard._store.workspace import Workspace
from shipyard.cli import data as data_cli
from shipyard.cli.app import app
from tests.cli.conftest import Invoke
from tests.data.conftest import churn_frame

if not any(group.name == "data" for group in app.registered_groups):
    app.add_typer(data_cli.app, name="data")  # until shipyard/cli/app.py registers it


@pytest.fixture
def two_versions(workspace: Workspace, tmp_path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    before = churn_frame(2_000, seed=1)
    after = churn_frame(2_500, seed=2)
    after["monthly_charges"] += 30
    after = after.drop(columns=["churned"])
    before.to_parquet(tmp_path / "before.parquet")
    with sy.start_run("train", workspace=workspace):
        sy.log_dataset(tmp_path / "before.parquet", "churn", workspace=workspace)
    sy.log_dataset(after, "churn", workspace=workspace)
    return before, after


def test_list_and_show(two_versions: object, shipyard_cli: Invoke) -> None:
    listed = shipyard_cli("data", "list", "--json")
    assert listed.exit_code == 0, listed.output
    assert [(d["name"], d["latest_version"], d["latest_rows"]) for d in json.loads(listed.stdout)] \
        == [("churn", 2, 2_500)]  # fmt: skip
    assert "churn" in shipyard_cli("data", "list").stdout

    versions = json.loads(shipyard_cli("data", "show", "churn", "--json").stdout)
    assert [v["version"] for v in versions] == [2, 1]
    assert "before.parquet" in shipyard_cli("data", "show", "churn").stdout

    one = json.loads(shipyard_cli("data", "show", "churn/1", "--json").stdout)
    assert one["row_count"] == 2_000 and one["runs"][0]["role"] == "input"
    table = shipyard_cli("data", "show", "churn/1")
    assert table.exit_code == 0, table.output
    assert "monthly_charges" in table.stdout and "3 distinct" in table.stdout
    assert "(input)" in table.stdout


def test_diff(two_versions: object, shipyard_cli: Invoke) -> None:
    found = json.loads(shipyard_cli("data", "diff", "churn/1", "/2", "--json").stdout)
    assert found["rows"] == {"before": 2_000, "after": 2_500, "change": 500}
    assert found["schema_changes"] == [
        {"column": "churned", "change": "removed", "before": "boolean", "after": None}
    ]
    assert found["drift"]["drifted"] == ["monthly_charges"]
    text = shipyard_cli("data", "diff", "churn/1", "churn/2")
    assert text.exit_code == 0, text.output
    assert "2,000 -> 2,500 rows (+500)" in text.stdout
    assert "removed (was boolean)" in text.stdout
    assert "1 of 4 features drifted (monthly_charges)" in text.stdout


def test_infer_schema_then_validate(
    two_versions: object, shipyard_cli: Invoke, tmp_path: Path
) -> None:
    written = shipyard_cli("data", "infer-schema", "churn/1", "--output", "rules.yaml")
    assert written.exit_code == 0, written.output
    rules = yaml.safe_load(Path("rules.yaml").read_text())["datasets"]["churn"]
    assert rules["columns"]["plan"]["allowed"] == ["basic", "premium", "standard"]
    assert rules["columns"]["customer_id"] == {"dtype": "string", "nullable": False,
                                               "unique": True}  # fmt: skip
    assert shipyard_cli("data", "infer-schema", "churn/1", "-o", "rules.yaml").exit_code == 1
    printed = shipyard_cli("data", "infer-schema", str(tmp_path / "before.parquet"))
    assert "datasets:\n  before:\n" in printed.stdout

    ok = shipyard_cli("data", "validate", "churn/1", "--expectations", "rules.yaml")
    assert ok.exit_code == 0, ok.output
    assert "PASSED" in ok.stdout

    bad = shipyard_cli("data", "validate", "churn/2", "--expectations", "rules.yaml")
    assert bad.exit_code == 1
    assert "FAILED" in bad.stdout and "monthly_charges" in bad.stdout
    assert "churned" in bad.stdout and "present" in bad.stdout
    assert "Error: churn/2 failed" in bad.stderr
    as_json = shipyard_cli("data", "validate", "churn/2", "--expectations", "rules.yaml",
                           "--json")  # fmt: skip
    assert as_json.exit_code == 1 and json.loads(as_json.stdout)["passed"] is False
    shown = json.loads(shipyard_cli("data", "show", "churn/2", "--json").stdout)
    assert [v["passed"] for v in shown["validations"]] == [False, False]

    path = shipyard_cli("data", "validate", str(tmp_path / "before.parquet"),
                        "--expectations", "rules.yaml")  # fmt: skip
    assert path.exit_code == 0, path.output


def test_validate_uses_shipyard_yaml(
    workspace: Workspace, shipyard_cli: Invoke, tmp_path: Path
) -> None:
    sy.log_dataset(churn_frame(300), "churn", workspace=workspace)
    Path("shipyard.yaml").write_text(
        "datasets:\n  churn:\n    columns:\n      tenure_months: {min: 10}\n"
    )
    result = shipyard_cli("data", "validate", "churn")
    assert result.exit_code == 1
    assert "tenure_months" in result.stdout and "range" in result.stdout
    assert "row " in result.stdout  # examples of failing rows


def test_log_from_the_command_line(workspace: Workspace, shipyard_cli: Invoke) -> None:
    churn_frame(100).to_csv("batch.csv", index=False)
    logged = shipyard_cli("data", "log", "batch.csv", "--name", "batch", "--json")
    assert logged.exit_code == 0, logged.output
    assert json.loads(logged.stdout)["ref"] == "batch/1"
    again = shipyard_cli("data", "log", "batch.csv", "--name", "batch")
    assert "batch/1: 100 rows" in again.stdout


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["data", "show", "ghost"], 1, "Dataset 'ghost' does not exist"),
        (["data", "show", "ghost@x"], 2, "dataset versions have no aliases"),
        (["data", "show", "ghost/²"], 2, "not a version number"),
        (["data", "validate", "missing.parquet", "--name", "x"], 1, "No expectations for"),
        (["data", "validate", "x.csv", "--expectations", "no.yaml"], 1, "no.yaml does not exist"),
        (["data", "validate", "data.csv"], 2, "Which expectations apply"),
        (["data", "diff", "ghost/1", "ghost/2"], 1, "does not exist"),
        (["data", "log", "nothing.csv", "--name", "n"], 1, "No data file matches"),
        (["data", "infer-schema", "ghost"], 1, "does not exist"),
    ],
)
def test_errors_exit_with_a_message(
    shipyard_cli: Invoke, args: list[str], code: int, message: str
) -> None:
    result = shipyard_cli(*args)
    assert result.exit_code == code, result.output
    assert message in result.stderr
