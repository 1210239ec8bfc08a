"""``shipyard ci`` end to end on a real project: every stage passes and the candidate is marked
tested (which a promotion policy requires); a change that hurts the model fails its gate; an
address that will not bind fails the integration stage; the reports say so."""

from __future__ import annotations

import subprocess
from pathlib import Path
from xml.etree import ElementTree as ET

import pandas as pd
import pytest

import shipyard as sy
from shipyard._store.workspace import Workspace
from shipyard.ci.report import to_junit, to_markdown
from shipyard.ci.runner import ci
from shipyard.core.errors import PolicyViolationError
from shipyard.registry import version_marks
from tests.pipeline.project import CONFIG, make_project

EXTRA = """\
ci:
  checks: ["python -c \\"print('lint ok')\\""]
smoke:
  - name: answers a class
    inputs: {rows}
    expect_type: integer
"""
MODEL_TEST = """\
def test_the_candidate_scores_its_evaluation_set(model, dataset):
    assert model.registered_as.ref == "credit/1"
    assert len(model.predict(dataset.drop(columns="default").head(50))) == 50
"""
POLICY = "  production: {gates: [auc, no-worse, parity], auto: true}"
TESTED = "  production: {gates: [auc], require: [tested]}"


def _project(directory: Path) -> Path:
    config = make_project(directory, config=CONFIG.replace(POLICY, TESTED))
    data = pd.read_parquet(directory / "data" / "applications.parquet").drop(columns="default")
    rows = data.head(2).to_json(orient="records", date_format="iso")
    config.write_text(config.read_text() + EXTRA.format(rows=rows))
    (directory / "tests").mkdir()
    (directory / "tests" / "test_train.py").write_text("def test_ok():\n    assert True\n")
    (directory / "tests" / "test_model.py").write_text(MODEL_TEST)
    (directory / ".gitignore").write_text("home/\n")  # the test's store, as .shipyard/ is
    git = ["git", "-c", "user.email=ci@test", "-c", "user.name=ci"]
    subprocess.run(["git", "init", "-q"], cwd=directory, check=True)
    subprocess.run([*git, "add", "-A"], cwd=directory, check=True)
    subprocess.run([*git, "commit", "-qm", "start"], cwd=directory, check=True)
    return config


@pytest.mark.slow
def test_ci_passes_marks_tested_and_the_policy_requires_it(
    tmp_path: Path, sqlite_workspace: Workspace
) -> None:
    ws = sqlite_workspace
    config = _project(tmp_path)
    result = ci(config, workspace=ws)
    assert result.passed, result.failures
    assert [s.status for s in result.stages] == ["passed"] * 10
    # The code tests run before training; the test using `model` runs on the candidate.
    assert result.stage("tests").details["summary"].startswith("1 passed, 1 deselected")
    assert result.stage("model tests").details["summary"].startswith("1 passed, 1 deselected")
    assert result.candidate == "credit/1"
    assert result.stage("integration").details["rows"] > 0
    (mark,) = version_marks("credit", 1, workspace=ws)
    assert mark.after == {"mark": "tested", "ci_run": result.run_id, "commit": result.commit}
    assert result.commit is not None and len(result.commit) == 40
    sy.promote("credit", 1, "production", workspace=ws)  # tested: the policy holds

    markdown = to_markdown(result)
    assert "| integration | ✅ passed |" in markdown
    assert "| roc_auc |" in markdown and "auc: pass" in markdown
    assert "applications/1" in markdown and ".html" in markdown
    suites = ET.fromstring(to_junit(result))
    cases = [case.get("name") for case in suites.iter("testcase")]
    assert cases[:10] == [s.name for s in result.stages]
    assert set(cases[10:]) == {"auc", "no-worse", "parity"}

    # Unchanged commit, an address that cannot be bound: cached pipeline, integration fails.
    again = ci(config, host="192.0.2.1", workspace=ws)
    assert again.stage("integration").status == "failed"
    assert again.stage("integration").message.startswith("Cannot listen on 192.0.2.1")
    assert again.stage("tag").status == "skipped"
    for name in ("checks", "tests", "package", "model tests"):  # passed before: from cache
        assert again.stage(name).message.startswith("cached from run ")
    assert again.stage("data validation").status == "passed"

    # A change that hurts the model: its gate fails, by name, and it is not tested.
    worse = config.read_text().replace("params: {C: 1.0}", "params: {features: [region]}")
    config.write_text(worse)
    failed = ci(config, workspace=ws)
    assert failed.exit_code == 1
    assert failed.stage("gates").status == "failed"
    assert failed.stage("gates").message.startswith("2 of 3 gate(s) failed: auc, no-worse (")
    assert failed.failures == [f"gates: {failed.stage('gates').message}"]
    assert "| auc | ❌ FAIL |" in to_markdown(failed)
    assert failed.baseline == "1"  # the metric table compares with credit@production
    (auc,) = [row for row in failed.metrics if row.metric == "roc_auc"]
    assert auc.change is not None and auc.change < 0 and "auc: FAIL" in auc.verdict
    version = int(str(failed.candidate).split("/")[1])
    with pytest.raises(PolicyViolationError, match="is not tested"):
        sy.promote("credit", version, "production", workspace=ws)


def test_the_parity_sample_covers_categories_extremes_and_missing_values() -> None:
    from shipyard.ci.candidate import parity_sample

    rows = 5000
    frame = pd.DataFrame({
        "plan": ["basic"] * (rows - 2) + ["rare", "gold"],
        "amount": [float(i % 97) for i in range(rows)],
        "age": [30] * rows,
    })  # fmt: skip
    frame.loc[1234, "amount"] = None
    frame.loc[4321, "age"], frame.loc[17, "age"] = 99, 1
    sample = parity_sample(frame, 40)
    assert len(sample) == 40 and sample.index.is_monotonic_increasing
    assert {rows - 2, rows - 1, 1234, 4321, 17} <= set(sample.index)  # positions are kept
    assert set(sample["plan"]) == {"basic", "rare", "gold"}
    assert sample.index.equals(parity_sample(frame, 40).index)  # the same rows every time
    assert len(parity_sample(frame, None)) == rows and len(parity_sample(frame, rows)) == rows


def test_no_model_tests_means_no_second_pytest_run(
    tmp_path: Path, sqlite_workspace: Workspace
) -> None:
    config = _project(tmp_path)
    (tmp_path / "tests" / "test_model.py").unlink()
    git = ["git", "-c", "user.email=ci@test", "-c", "user.name=ci"]
    subprocess.run([*git, "commit", "-qam", "no model test"], cwd=tmp_path, check=True)
    result = ci(config, integration=False, workspace=sqlite_workspace)
    assert result.stage("tests").details["summary"].startswith("1 passed")
    stage = result.stage("model tests")
    assert (stage.status, stage.message) == ("passed", "no test uses the model or dataset fixture")
