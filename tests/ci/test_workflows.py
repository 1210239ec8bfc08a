"""The generated CI definitions validate against the schemas check-jsonschema vendors, and the
generated job, run in a fresh repository imitating a pull request, fails on a change that
hurts the model, naming the gate."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from shipyard.ci.workflows import PATHS
from shipyard.cli.app import app

SCHEMAS = {"github": "vendor.github-workflows", "gitlab": "vendor.gitlab-ci"}


def _validate(path: Path, provider: str) -> None:
    tool = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
    assert tool is not None, "check-jsonschema is in the dev extra"
    done = subprocess.run([tool, "--builtin-schema", SCHEMAS[provider], str(path)],
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("provider", ["github", "gitlab"])
def test_printed_workflow_validates(provider: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["ci", "--print-workflow", provider])
    assert result.exit_code == 0
    path = tmp_path / f"{provider}.yml"
    path.write_text(result.stdout)
    _validate(path, provider)
    assert "shipyard ci --report" in result.stdout


def test_an_unknown_provider_is_a_usage_error() -> None:
    result = CliRunner().invoke(app, ["ci", "--print-workflow", "jenkins"])
    assert result.exit_code == 2
    assert "Unknown CI provider 'jenkins'" in result.output


def test_init_writes_both_definitions(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["init", str(tmp_path / "p"), "--rows", "500"])
    assert result.exit_code == 0, result.output
    for provider, relative in PATHS.items():
        _validate(tmp_path / "p" / relative, provider)


@pytest.mark.slow
def test_the_generated_job_fails_a_pull_request_that_hurts_the_model(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    assert CliRunner().invoke(app, ["init", str(repo), "--rows", "1500"]).exit_code == 0
    git = ["git", "-c", "user.email=dev@test", "-c", "user.name=dev"]
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "project"],
                 ["checkout", "-qb", "worse-features"]):  # fmt: skip
        subprocess.run([*git, *args], cwd=repo, check=True)
    config = repo / "shipyard.yaml"
    worse = "params: {model: logistic, features: [region]}"
    config.write_text(config.read_text().replace("params: {model: logistic, C: 1.0}", worse))
    subprocess.run([*git, "commit", "-qam", "use only the region"], cwd=repo, check=True)
    workflow = yaml.safe_load((repo / PATHS["github"]).read_text())
    (step,) = [s for s in workflow["jobs"]["ci"]["steps"] if s.get("name") == "shipyard ci"]
    # the job runs `shipyard` as CI would, from the environment it was installed into
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    env = {**os.environ, "PATH": path, "PYTHONPATH": os.environ.get("PYTHONPATH", "")}
    done = subprocess.run(["bash", "-c", step["run"]], cwd=repo, env=env, capture_output=True,
                          text=True, check=False)  # fmt: skip
    assert done.returncode == 1, done.stderr
    report = (repo / "shipyard-report.md").read_text()
    assert "| auc | ❌ FAIL |" in report
    assert json.loads((repo / "shipyard-ci.json").read_text())["passed"] is False
    assert 'failures="1"' in (repo / "shipyard-junit.xml").read_text()
