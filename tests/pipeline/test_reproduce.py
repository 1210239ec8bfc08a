from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from shipyard._store.workspace import Workspace
from shipyard.core.settings import load_settings
from shipyard.pipeline.reproduce import reproduce
from shipyard.pipeline.runner import run_pipeline
from tests.pipeline.project import CONFIG, make_project


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "HOME": str(cwd),
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t",
                        "PATH": "/usr/bin:/bin"})  # fmt: skip


def test_reproducing_a_run_from_its_stored_data_is_identical_and_current_data_diverges(
    tmp_path: Path, sqlite_workspace: Workspace
) -> None:
    path = make_project(tmp_path)
    run = run_pipeline(path, workspace=sqlite_workspace)
    make_project(tmp_path, seed=21)  # the source changes after the run
    same = reproduce(run.run_id, workspace=sqlite_workspace)
    assert same.outcome == "identical", same.summary()
    assert same.causes == [] and same.data["train"]["origin"] == "stored"
    reproduction = sqlite_workspace.runs.get(same.reproduction_run_id)
    assert (
        reproduction.kind == "reproduce" and reproduction.tags["shipyard.reproduces"] == run.run_id
    )
    today = reproduce(run.run_id, data="current", workspace=sqlite_workspace)
    assert today.outcome == "diverged"
    assert len(today.causes) == 1 and today.causes[0].startswith("data: content hash differs")


@pytest.mark.slow
def test_reproduce_uses_the_recorded_commit_and_names_code_as_the_cause(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    project = repo / "credit"
    path = make_project(project)
    (repo / ".gitignore").write_text(".shipyard/\n__pycache__/\n")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "first model")
    workspace = Workspace(load_settings(home=project / ".shipyard", capture_packages=False))
    try:
        os.chdir(project)  # runs capture the git state of the working directory
        run = run_pipeline(path, workspace=workspace)
        assert workspace.runs.get(run.run_id).git_commit is not None
        train_py = project / "train.py"
        train_py.write_text(train_py.read_text().replace('params.get("C", 1.0)', "0.001"))
        git(repo, "commit", "-q", "-am", "regularise much harder")
        recorded = reproduce(run.run_id, workspace=workspace)
        assert recorded.outcome == "identical", recorded.summary()
        assert recorded.code["worktree"] is True
        current = reproduce(run.run_id, code="current", workspace=workspace)
        assert current.outcome == "diverged"
        assert current.causes[0].startswith("code: ") and "commit" in current.causes[0]
        worktrees = subprocess.run(["git", "worktree", "list"], cwd=repo, capture_output=True,
                                   text=True, check=True).stdout  # fmt: skip
        assert len(worktrees.strip().splitlines()) == 1  # the temporary worktree is gone
    finally:
        workspace.close()


UNRECORDED_SEED = """
import os

from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import make_pipeline

FEATURES = ["age", "income", "debt_to_income", "late_payments", "credit_history_years"]


def fit(train, label):
    seed = int.from_bytes(os.urandom(4), "little")  # not the pipeline's seed: never recorded
    forest = RandomForestClassifier(n_estimators=10, max_depth=4, random_state=seed)
    model = make_pipeline(ColumnTransformer([("keep", "passthrough", FEATURES)]), forest)
    return model.fit(train[FEATURES], train[label])
"""

TINY_NOISE = """
import numpy as np

import train as logistic


def fit(train, params, label):
    model = logistic.fit(train, params, label)
    noise = np.random.default_rng().normal(0.0, 1e-9, model[-1].coef_.shape)  # unseeded
    model[-1].coef_ = model[-1].coef_ + noise
    return model
"""


def project_with(directory: Path, module: str, source: str) -> Path:
    """The test project, trained by ``module:fit`` (written from ``source``)."""
    config = CONFIG.replace("entrypoint: train:fit", f"entrypoint: {module}:fit")
    path = make_project(directory, config=config)
    (directory / f"{module}.py").write_text(source)
    return path


def test_a_training_function_seeded_from_something_unrecorded_is_named_nondeterministic(
    tmp_path: Path, sqlite_workspace: Workspace
) -> None:
    run = run_pipeline(project_with(tmp_path, "unseeded", UNRECORDED_SEED),
                       workspace=sqlite_workspace)  # fmt: skip
    again = reproduce(run.run_id, workspace=sqlite_workspace)
    assert again.outcome == "diverged", again.summary()
    assert again.code["same"] and all(facts["same"] for facts in again.data.values())
    assert len(again.causes) == 1 and again.causes[0].startswith("nondeterminism: ")
    assert again.max_score_difference is not None and again.max_score_difference > 1e-6
    recorded = sqlite_workspace.runs.get(again.reproduction_run_id)
    assert recorded.tags["shipyard.reproduce_outcome"] == "diverged"
    assert recorded.tags["shipyard.reproduce_causes"].startswith("nondeterminism")


def test_scores_that_move_less_than_the_tolerance_are_within_tolerance(
    tmp_path: Path, sqlite_workspace: Workspace
) -> None:
    run = run_pipeline(project_with(tmp_path, "noisy", TINY_NOISE), workspace=sqlite_workspace)
    close = reproduce(run.run_id, tolerance=1e-6, workspace=sqlite_workspace)
    assert close.outcome == "within_tolerance", close.summary()
    assert close.changed_predictions == 0
    assert close.max_score_difference is not None and 0 < close.max_score_difference <= 1e-6
    assert close.max_metric_difference <= 1e-6
    strict = reproduce(run.run_id, tolerance=0.0, workspace=sqlite_workspace)
    assert strict.outcome == "diverged"
    assert strict.causes[0].startswith("nondeterminism: ")


def test_a_dirty_runs_stored_diff_is_applied_to_its_commit(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    project = repo / "credit"
    path = make_project(project)
    (repo / ".gitignore").write_text(".shipyard/\n__pycache__/\n")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "first model")
    train_py = project / "train.py"
    committed = train_py.read_text()
    train_py.write_text(committed.replace('params.get("C", 1.0)', "0.001"))  # not committed
    workspace = Workspace(load_settings(home=project / ".shipyard", capture_packages=False))
    try:
        os.chdir(project)  # runs capture the git state of the working directory
        run = run_pipeline(path, workspace=workspace)
        record = workspace.runs.get(run.run_id)
        assert record.git_dirty and record.git_diff_hash is not None
        train_py.write_text(committed)  # the uncommitted change is gone from the tree
        again = reproduce(run.run_id, workspace=workspace)
        assert again.outcome == "identical", again.summary()
        assert again.code["worktree"] and again.code["dirty"] and again.code["diff_applied"]
        assert again.code["same"] and again.code["problems"] == []
        today = reproduce(run.run_id, code="current", workspace=workspace)
        assert today.outcome == "diverged"
        assert today.causes[0].startswith("code: ") and "source differs" in today.causes[0]
    finally:
        workspace.close()
