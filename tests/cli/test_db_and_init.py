from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from shipyard._store.database import Database
from shipyard._store.migrate import head_revision
from shipyard.cli.app import app


def test_db_upgrade_creates_a_fresh_store_and_current_reports_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    runner = CliRunner()
    upgraded = runner.invoke(app, ["--store", url, "db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert f"from empty to {head_revision()}" in upgraded.stdout
    again = runner.invoke(app, ["--store", url, "db", "upgrade"])
    assert "already at revision" in again.stdout
    current = json.loads(runner.invoke(app, ["--store", url, "db", "current", "--json"]).stdout)
    assert current["up_to_date"] is True and current["revision"] == head_revision()


def test_a_store_written_by_a_newer_shipyard_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'newer.db'}"
    runner = CliRunner()
    runner.invoke(app, ["--store", url, "db", "upgrade"])
    db = Database(url)
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    db.close()
    result = runner.invoke(app, ["--store", url, "runs", "list"])
    assert result.exit_code == 1
    assert "a newer Shipyard wrote it" in result.stderr


def test_init_scaffolds_a_project_and_refuses_to_overwrite(tmp_path: Path) -> None:
    runner = CliRunner()
    created = runner.invoke(app, ["init", str(tmp_path / "proj"), "--rows", "800"])
    assert created.exit_code == 0, created.output
    for name in ("shipyard.yaml", "train.py", "tests/test_model.py", "conftest.py",
                 "data/applications.parquet"):  # fmt: skip
        assert (tmp_path / "proj" / name).is_file()
    assert "name: credit-risk" in (tmp_path / "proj" / "shipyard.yaml").read_text()
    again = runner.invoke(app, ["init", str(tmp_path / "proj")])
    assert again.exit_code == 1 and "--force" in again.stderr
    bad = runner.invoke(app, ["init", str(tmp_path / "x"), "--model", "no spaces"])
    assert bad.exit_code == 2


@pytest.mark.slow
def test_the_scaffolded_project_runs_its_pipeline_and_passes_its_tests(tmp_path: Path) -> None:
    project = tmp_path / "demo"
    CliRunner().invoke(app, ["init", str(project)])
    shipyard = str(Path(sys.executable).parent / "shipyard")
    ran = subprocess.run([shipyard, "run"], cwd=project, capture_output=True, text=True,
                         check=False)  # fmt: skip
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "PROMOTED credit-risk/1" in ran.stdout
    assert (project / ".shipyard" / "shipyard.db").is_file()  # the store shipyard.yaml names
    shown = subprocess.run(
        [shipyard, "models", "show", "credit-risk@production", "--json"],
        cwd=project, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["version"] == 1
    weaker = subprocess.run([shipyard, "run", "--set", "train.params.features=[age,region]"],
                            cwd=project, capture_output=True, text=True, check=False)  # fmt: skip
    assert weaker.returncode == 1 and "REJECTED credit-risk/2" in weaker.stdout
    tested = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert tested.returncode == 0, tested.stdout + tested.stderr
