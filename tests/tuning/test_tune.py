"""Tuning with a real Optuna on the store's own database: every trial a tracked child run,
the study's tag on every run it produces, resuming by study name, the best params feeding
the pipeline's train step, and the configuration mistakes refused with file and line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import optuna
import pytest

import shipyard as sy
from shipyard._store.workspace import Workspace
from shipyard.pipeline.tuning import STUDY_TAG, tune
from tests.cli_process import MAIN
from tests.tuning.project import make_tuning_project


def _trial_runs(ws: Workspace, study_run_id: str) -> list[sy.RunRecord]:
    found = sy.search_runs(f"tags.`{STUDY_TAG}` = '{study_run_id}'", workspace=ws,
                           max_results=500)  # fmt: skip
    return [run for run in found.runs if run.kind == "trial"]


def test_every_trial_is_a_tagged_child_run_and_a_rerun_resumes(
    tmp_path: Path, sqlite_workspace: Workspace
) -> None:
    ws = sqlite_workspace
    config = make_tuning_project(tmp_path / "project", trials=4)
    first = tune(config, workspace=ws)
    assert first.trials == {"complete": 4}
    parent = sy.get_run(first.study_run_id, workspace=ws)
    assert parent.kind == "tune" and parent.tags[STUDY_TAG] == parent.id
    trials = _trial_runs(ws, parent.id)
    assert len(trials) == 4
    assert {run.parent_run_id for run in trials} == {parent.id}
    assert all(run.tags["shipyard.tuning.state"] == "complete" for run in trials)
    assert all({"C", "class_weight"} <= set(run.params) for run in trials)
    best = max(
        trials, key=lambda run: sy.get_metric_history(run.id, "roc_auc", workspace=ws)[0].value
    )
    assert float(best.params["C"]) == pytest.approx(first.best_params["C"])
    assert set(first.importances) == {"C", "class_weight"}
    names = {a.name for a in sy.list_artifacts(parent.id, workspace=ws)}
    assert {"tuning/history.json", "tuning/report.md", "tuning/space.json"} <= names

    again = tune(config, trials=6, workspace=ws)  # same study: two more trials
    assert again.study_run_id == first.study_run_id and again.run_id != first.run_id
    assert again.trials == {"complete": 6}
    assert len(_trial_runs(ws, parent.id)) == 6
    resumed = sy.get_run(again.run_id, workspace=ws)
    assert resumed.tags[STUDY_TAG] == parent.id


def test_the_pipeline_tunes_then_trains_with_the_best_params(
    tmp_path: Path, sqlite_workspace: Workspace
) -> None:
    ws = sqlite_workspace
    result = sy.run_pipeline(make_tuning_project(tmp_path, trials=3), workspace=ws)
    steps = [step.name for step in result.steps]
    assert steps.index("tune") == steps.index("train") - 1
    version = sy.get_model_version(result.model_ref, workspace=ws)
    train = sy.get_run(version.source_run_id, workspace=ws)
    study_run_id = train.tags[STUDY_TAG]
    study = sy.get_run(study_run_id, workspace=ws)
    assert study.kind == "tune"
    best = json.loads(study.tags["shipyard.tuning.best_params"])
    assert float(train.params["C"]) == pytest.approx(best["C"])


def test_pruned_trials_are_recorded_as_pruned(tmp_path: Path, sqlite_workspace: Workspace) -> None:
    config = make_tuning_project(tmp_path, trials=8, pruner="median")
    text = config.read_text().replace("seed: 5\n", "seed: 5\n  parallelism: 1\n")
    config.write_text(text)
    result = tune(config, workspace=sqlite_workspace)
    states = result.trials
    assert sum(states.values()) == 8
    for run in _trial_runs(sqlite_workspace, result.study_run_id):
        assert run.tags["shipyard.tuning.state"] in {"complete", "pruned"}
        assert sy.get_metric_history(run.id, "intermediate_value", workspace=sqlite_workspace)


@pytest.mark.slow
def test_a_killed_study_of_20_trials_resumes_and_records_every_trial(
    tmp_path: Path, sqlite_workspace: Workspace
) -> None:
    ws = sqlite_workspace
    config = make_tuning_project(tmp_path, trials=20, pause=0.3, rows=300)
    settings = ws.settings
    stores = [
        "--store",
        settings.resolved_store_url,
        "--artifacts",
        settings.resolved_artifacts_url,
    ]
    command = [sys.executable, "-c", MAIN, *stores, "tune", "--config", str(config)]
    env = {**os.environ, "SHIPYARD_CAPTURE_GIT": "false", "SHIPYARD_CAPTURE_PACKAGES": "false"}
    process = subprocess.Popen(command, env=env, cwd=tmp_path)
    storage = optuna.storages.RDBStorage(settings.resolved_store_url,
                                         skip_compatibility_check=True)  # fmt: skip
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline:
            try:
                study = optuna.load_study(study_name="credit-search", storage=storage)
                if len(study.get_trials(deepcopy=False)) >= 4:
                    break
            except KeyError:
                pass
            time.sleep(0.2)
        else:
            pytest.fail("the tuning process started no trials")
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    killed = len(optuna.load_study(study_name="credit-search", storage=storage).get_trials())
    assert killed < 20

    result = tune(config, workspace=ws)
    assert sum(result.trials.values()) == 20
    assert result.trials.get("running", 0) == 0
    assert result.trials.get("fail", 0) >= 1  # the trial the kill interrupted
    runs = _trial_runs(ws, result.study_run_id)
    assert len(runs) == 20
    numbers = sorted(int(run.tags["shipyard.tuning.trial"]) for run in runs)
    assert numbers == list(range(20))


_CLAIM_A_TRIAL_AND_DIE = """
import sys, optuna
from shipyard.pipeline.trial_runs import OWNER_ATTR, this_process
storage = optuna.storages.RDBStorage(sys.argv[1], skip_compatibility_check=True)
study = optuna.create_study(study_name="credit-search", storage=storage, direction="maximize")
trial = study.ask()
trial.suggest_float("C", 0.001, 10.0, log=True)
trial.set_user_attr(OWNER_ATTR, this_process())
"""


def test_a_trial_whose_process_died_before_it_named_a_run_is_failed_and_gets_a_run(
    tmp_path: Path, sqlite_workspace: Workspace
) -> None:
    ws = sqlite_workspace
    config = make_tuning_project(tmp_path, trials=3)
    url = ws.settings.resolved_store_url
    subprocess.run([sys.executable, "-c", _CLAIM_A_TRIAL_AND_DIE, url], check=True)

    result = tune(config, workspace=ws)  # at once: no grace period to wait out
    assert result.trials == {"fail": 1, "complete": 2}
    runs = {
        int(run.tags["shipyard.tuning.trial"]): run for run in _trial_runs(ws, result.study_run_id)
    }
    assert sorted(runs) == [0, 1, 2]
    assert runs[0].status == "killed"
    assert runs[0].tags["shipyard.tuning.state"] == "failed"
    assert "died" in (runs[0].error or "")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            "C: {type: float, low: 0.001, high: 10.0, log: true}",
            "C: {type: float, low: 1.0, high: 1.0}",
        ),
        ("metric: roc_auc", "metric: r2"),
    ],
)
def test_bad_search_spaces_and_metrics_are_refused(
    tmp_path: Path, sqlite_workspace: Workspace, edit: str, message: str
) -> None:
    config = make_tuning_project(tmp_path)
    config.write_text(config.read_text().replace(edit, message))
    with pytest.raises(sy.ConfigurationError) as caught:
        tune(config, workspace=sqlite_workspace)
    text = str(caught.value)
    assert "shipyard.yaml:" in text
    if "metric" in message:
        assert "does not compute 'r2'" in text
    else:
        assert "the range is empty" in text


@pytest.mark.slow
@pytest.mark.postgres
def test_two_processes_tune_one_study_on_postgresql(tmp_path: Path, postgres: Any) -> None:
    from tests.conftest import new_postgres_database

    url = new_postgres_database(postgres)
    settings = sy.load_settings(home=tmp_path / "home", store_url=url,
                                artifacts_url=(tmp_path / "artifacts").as_posix(),
                                capture_git=False, capture_packages=False)  # fmt: skip
    ws = Workspace(settings)
    config = make_tuning_project(tmp_path / "project", trials=8, pause=0.2, rows=300)
    stores = ["--store", url, "--artifacts", settings.resolved_artifacts_url]
    command = [sys.executable, "-c", MAIN, *stores, "tune", "--config", str(config)]
    env = {**os.environ, "SHIPYARD_CAPTURE_GIT": "false", "SHIPYARD_CAPTURE_PACKAGES": "false"}
    processes = [subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE) for _ in range(2)]  # fmt: skip
    outputs = [process.communicate(timeout=300) for process in processes]
    storage = None
    try:
        for process, (_, err) in zip(processes, outputs, strict=True):
            assert process.returncode == 0, err.decode()[-2000:]
        storage = optuna.storages.RDBStorage(url, skip_compatibility_check=True)
        study = optuna.load_study(study_name="credit-search", storage=storage)
        trials = study.get_trials()
        assert len(trials) >= 8
        assert all(t.state == optuna.trial.TrialState.COMPLETE for t in trials)
        study_run_id = study.user_attrs["shipyard_run_id"]
        runs = _trial_runs(ws, study_run_id)
        assert len(runs) == len(trials)
        assert len({run.parent_run_id for run in runs}) == 2  # both processes ran trials
    finally:
        if storage is not None:
            storage.engine.dispose()
        ws.close()
