from __future__ import annotations

from pathlib import Path

import pytest

from shipyard._store.workspace import Workspace
from shipyard.core.errors import ConfigurationError, PipelineStepError
from shipyard.data.errors import DataValidationError
from shipyard.pipeline.result import STEPS, StepEvent
from shipyard.pipeline.runner import retrain, run_pipeline
from shipyard.registry import check_policy, latest_evaluation, resolve
from tests.pipeline.project import CONFIG, make_project

WEAK = ["train.params.features=[age, region]"]


def test_a_full_run_registers_evaluates_and_promotes(tmp_path: Path, workspace: Workspace) -> None:
    events: list[StepEvent] = []
    result = run_pipeline(make_project(tmp_path), workspace=workspace, progress=events.append)
    assert result.verdict == "promoted" and result.promoted == ["production"]
    assert result.model_ref == "credit/1" and result.evaluation is not None
    assert [s.name for s in result.steps] == list(STEPS)
    assert [e.status for e in events if e.step == "train"] == ["started", "finished"]
    assert resolve("credit@production", workspace=workspace).version == 1
    assert result.reports["html"].is_file() and result.reports["markdown"].read_text()
    # the pipeline run and its step runs
    pipeline = workspace.runs.get(result.run_id)
    assert pipeline.kind == "pipeline" and pipeline.status == "finished" and pipeline.seed == 11
    assert pipeline.tags["shipyard.verdict"] == "promoted"
    assert "pipeline/shipyard.yaml" in {a.name for a in workspace.runs.artifacts(pipeline.id)}
    steps = {run.name: run for run in workspace.runs.list(parent_run_id=pipeline.id)}
    assert set(steps) == {s.name for s in result.steps}
    # the version comes from the train step, whose input is the train dataset (context train)
    version = workspace.models.get_version("credit", 1)
    train_run = steps["train"]
    assert version.source_run_id == train_run.id
    assert workspace.runs.get(train_run.id).seed == 11
    usages = workspace.datasets.run_datasets(train_run.id)
    assert {(u.dataset_ref, u.context) for u in usages} >= {("applications-train/1", "train")}
    evaluation = latest_evaluation("credit", 1, workspace=workspace)
    assert evaluation is not None and evaluation.passed
    assert {g["name"] for g in evaluation.gates} == {"auc", "no-worse", "parity"}
    assert set(evaluation.report_hashes) == {"markdown", "html"}


def test_a_weaker_candidate_is_registered_as_rejected_and_not_promoted(
    tmp_path: Path, sqlite_workspace: Workspace
) -> None:
    path = make_project(tmp_path)
    run_pipeline(path, workspace=sqlite_workspace)
    result = run_pipeline(path, overrides=WEAK, workspace=sqlite_workspace)
    assert result.verdict == "rejected" and result.model_version == 2
    assert {g.name for g in result.evaluation.failed_gates} >= {"auc", "no-worse"}  # type: ignore[union-attr]
    assert "auc: roc_auc" in result.summary() and "short by" in result.summary()
    assert sqlite_workspace.models.get_version("credit", 2).status == "rejected"
    assert resolve("credit@production", workspace=sqlite_workspace).version == 1
    verdict = check_policy("credit", 2, "production", workspace=sqlite_workspace)
    assert not verdict.allowed and any("auc" in reason for reason in verdict.reasons)
    assert "FAIL" in result.reports["markdown"].read_text().upper()


def test_the_gates_judge_the_stored_package_not_the_model_in_memory(
    tmp_path: Path, sqlite_workspace: Workspace
) -> None:
    """In memory the model is the good classifier; its package keeps none of it. The
    package is what would be served, so it is what the gates judge (a cached run always
    loaded the package; a fresh one now does too)."""
    path = make_project(tmp_path, config=CONFIG.replace("train:fit", "train:forgetful"))
    result = run_pipeline(path, workspace=sqlite_workspace)
    assert result.evaluation is not None
    assert result.evaluation.metrics["roc_auc"] == 0.5  # the packaged model's, not ~0.8
    assert result.verdict == "rejected"
    assert {g.name for g in result.evaluation.failed_gates} == {"auc"}


def test_a_training_function_that_raises_fails_the_step_and_the_pipeline(
    tmp_path: Path, sqlite_workspace: Workspace
) -> None:
    path = make_project(tmp_path, config=CONFIG.replace("train:fit", "train:broken"))
    with pytest.raises(PipelineStepError) as caught:
        run_pipeline(path, workspace=sqlite_workspace)
    error = caught.value
    assert error.step == "train" and "ValueError: the training data has no rows" in error.message
    step = sqlite_workspace.runs.get(str(error.run_id))
    assert step.status == "failed" and "region 'atlantis'" in str(step.error)
    assert "train.py" in str(step.error)  # the user's traceback is kept
    pipeline = sqlite_workspace.runs.get(str(step.parent_run_id))
    assert pipeline.status == "failed"
    assert sqlite_workspace.models.list_models() == []


def test_data_failing_its_expectations_stops_before_training(
    tmp_path: Path, sqlite_workspace: Workspace
) -> None:
    path = make_project(tmp_path, config=CONFIG.replace("min: 18}", "min: 40}"))
    with pytest.raises(DataValidationError) as caught:
        run_pipeline(path, workspace=sqlite_workspace)
    assert not caught.value.report.passed
    names = {run.name for run in sqlite_workspace.runs.list(limit=20)}
    assert "validate" in names and "train" not in names


def test_a_split_on_a_column_the_data_lacks_names_it(
    tmp_path: Path, sqlite_workspace: Workspace
) -> None:
    config = CONFIG.replace("strategy: stratified,", "strategy: stratified, column: segment,")
    with pytest.raises(ConfigurationError, match=r"data\.split: the data has no column 'segment'"):
        run_pipeline(make_project(tmp_path, config=config), workspace=sqlite_workspace)
    assert sqlite_workspace.models.list_models() == []


def test_retrain_reruns_on_the_newest_data_and_is_tagged(
    tmp_path: Path, sqlite_workspace: Workspace
) -> None:
    path = make_project(tmp_path)
    first = run_pipeline(path, workspace=sqlite_workspace)
    make_project(tmp_path, seed=8)  # new data arrives
    result = retrain(path, reason="drift on income", tags={"alert": "a1"},
                     workspace=sqlite_workspace)  # fmt: skip
    tags = sqlite_workspace.runs.get(result.run_id).tags
    assert tags["shipyard.trigger"] == "retrain" and tags["shipyard.reason"] == "drift on income"
    assert tags["alert"] == "a1"
    assert result.datasets["source"] != first.datasets["source"]
    assert "train" not in result.cached_steps and result.model_version == 2
