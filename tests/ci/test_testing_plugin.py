"""The pytest plugin: its fixtures and the behavioural assertions, in a real pytest run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from shipyard.testing import assert_directional, assert_invariant, assert_min_functionality
from tests.registered_model import Registered, registered  # noqa: F401

PLUGIN_TEST = """
def test_workspace_is_fresh(shipyard_workspace):
    assert shipyard_workspace.models.list_models() == []

def test_model_skips_without_a_registered_model(model):
    raise AssertionError("unreachable: there is no shipyard.yaml")
"""


def _fitted() -> tuple[LogisticRegression, pd.DataFrame]:
    rows = [{"debt": d / 100, "noise": (d * 7) % 11, "label": int(d > 50)} for d in range(100)]
    data = pd.DataFrame(rows)
    model = LogisticRegression().fit(data[["debt"]], data["label"])
    return model, data


def test_assertions_hold_for_a_sensible_model() -> None:
    model, data = _fitted()
    assert assert_invariant(model, data, ["noise"], label="label").passed
    assert assert_directional(model, data, "debt", delta=0.2, expect="increase", label="label")
    cases = [{"input": {"debt": 0.99}, "expect": 1}, {"input": {"debt": 0.0}, "max": 0.5}]
    assert assert_min_functionality(model, data, cases, label="label").passed


def test_a_broken_expectation_fails_with_the_gate_message() -> None:
    model, data = _fitted()
    with pytest.raises(AssertionError, match="debt decreases the score"):
        assert_directional(model, data, "debt", delta=0.2, expect="decrease", label="label")


def test_the_plugin_fixtures_in_a_pytest_run(tmp_path: Path) -> None:
    (tmp_path / "test_plugin.py").write_text(PLUGIN_TEST)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs",
         "-p", "no:cacheprovider", "test_plugin.py"],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed, 1 skipped" in done.stdout
    assert "there is no shipyard.yaml here" in done.stdout


MODEL_TEST = """
def test_the_model_fixture_loads_the_reference(model):
    assert model.registered_as.ref == "churn/1"
    assert len(model.predict([{"age": 30, "income": 1000.0, "plan": "pro"}])) == 1
"""


def test_the_model_fixture_loads_a_reference(registered: Registered, tmp_path: Path) -> None:  # noqa: F811
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "test_model.py").write_text(MODEL_TEST)
    env = {**os.environ, "SHIPYARD_HOME": str(registered.home), "SHIPYARD_CAPTURE_GIT": "false"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q",
         "-p", "no:cacheprovider", "--shipyard-model", "churn/1"],
        cwd=folder, capture_output=True, text=True, check=False, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
