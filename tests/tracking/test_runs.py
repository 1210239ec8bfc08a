from __future__ import annotations

import random
import subprocess
import time
from pathlib import Path

import pytest

import shipyard as sy
from shipyard._store.workspace import Workspace
from shipyard.core.errors import ConflictError, UsageError


def test_a_run_records_params_metrics_and_tags(workspace: Workspace) -> None:
    with sy.start_run("baseline", workspace=workspace, params={"C": 1.0}) as run:
        sy.log_param("depth", 3)
        sy.set_tag("stage", "dev")
        for step in range(5):
            sy.log_metric("loss", 1.0 / (step + 1), step=step)
        run.log_metrics({"auc": 0.9, "acc": 0.8})

    record = workspace.runs.get(run.id)
    assert record.status == "finished"
    assert record.params == {"C": "1.0", "depth": "3"}
    assert record.tags == {"stage": "dev"}
    assert [p.step for p in workspace.runs.metric_history(run.id, "loss")] == [0, 1, 2, 3, 4]
    assert workspace.runs.latest_metrics([run.id])[run.id] == {
        "loss": pytest.approx(0.2), "auc": 0.9, "acc": 0.8,
    }  # fmt: skip
    assert sy.active_run() is None


def test_an_exception_marks_the_run_failed_with_the_error(workspace: Workspace) -> None:
    with pytest.raises(ZeroDivisionError), sy.start_run(workspace=workspace) as run:
        sy.log_metric("before", 1.0)
        _ = 1 / 0
    record = workspace.runs.get(run.id)
    assert record.status == "failed"
    assert record.error is not None and "ZeroDivisionError" in record.error
    assert workspace.runs.count_metrics(run.id) == 1  # what was logged before is kept


def test_runs_nest_as_parent_and_child(workspace: Workspace) -> None:
    with sy.start_run("pipeline", workspace=workspace) as parent:
        with sy.start_run("train") as child:
            assert sy.active_run() is child
        assert sy.active_run() is parent
    assert workspace.runs.get(child.id).parent_run_id == parent.id
    assert workspace.runs.get(parent.id).parent_run_id is None


def test_metrics_reach_the_store_in_the_background(settings_fast_flush: Workspace) -> None:
    workspace = settings_fast_flush
    with sy.start_run(workspace=workspace) as run:
        for step in range(100):
            run.log_metric("x", step, step=step)
        deadline = time.monotonic() + 10
        while workspace.runs.count_metrics(run.id) < 100 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert workspace.runs.count_metrics(run.id) == 100  # written before the run ended


def test_nothing_is_logged_without_an_active_run() -> None:
    with pytest.raises(UsageError, match="No run is active"):
        sy.log_metric("loss", 1.0)


def test_bad_values_and_logging_after_the_end_are_refused(workspace: Workspace) -> None:
    with sy.start_run(workspace=workspace) as run:
        with pytest.raises(UsageError, match="not a number"):
            run.log_metric("loss", "high")  # type: ignore[arg-type]
        with pytest.raises(UsageError, match="not a valid metric key"):
            run.log_metric("bad\nkey", 1.0)
        run.log_param("lr", 0.1)
        with pytest.raises(ConflictError, match=r"already '0\.1'"):
            run.log_param("lr", 0.2)
    with pytest.raises(ConflictError, match="has ended"):
        run.log_metric("loss", 1.0)
    with pytest.raises(ConflictError, match="already ended"):
        run.end()


def test_file_and_folder_artifacts_round_trip(workspace: Workspace, tmp_path: Path) -> None:
    report = tmp_path / "report.md"
    report.write_text("# Report\n")
    folder = tmp_path / "plots"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("a")
    (folder / "sub" / "b.txt").write_text("b")
    with sy.start_run(workspace=workspace) as run:
        sy.log_artifact(report)
        run.log_artifact(folder, name="figures")

    from shipyard.tracking.artifacts import download_artifact

    records = {a.name: a for a in workspace.runs.artifacts(run.id)}
    assert set(records) == {"report.md", "figures"}
    assert records["figures"].kind == "folder" and records["figures"].size == 2
    out = download_artifact(workspace.artifacts, records["figures"], tmp_path / "back")
    assert (out / "sub" / "b.txt").read_text() == "b"
    copy = download_artifact(workspace.artifacts, records["report.md"], tmp_path / "r.md")
    assert copy.read_text() == "# Report\n"
    with pytest.raises(UsageError, match="is not a file"):
        run_again = sy.start_run(workspace=workspace)
        try:
            run_again.log_artifact(tmp_path / "missing.txt")
        finally:
            run_again.end()


def test_seed_everything_seeds_and_is_recorded(workspace: Workspace) -> None:
    with sy.start_run(workspace=workspace) as run:
        sy.seed_everything(123)
        first = random.random()
        sy.seed_everything(123)
        assert random.random() == first
    assert workspace.runs.get(run.id).seed == 123


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def test_git_state_environment_and_packages_are_captured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "config", "user.email", "t@example.com")
    _git(repo, "config", "user.name", "t")
    (repo / "train.py").write_text("print('v1')\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "first")
    (repo / "train.py").write_text("print('v2')\n")
    monkeypatch.chdir(repo)

    workspace = Workspace(sy.load_settings(home=tmp_path / "home"))
    with sy.start_run(workspace=workspace) as run, sy.start_run("step") as child:
        pass
    record = workspace.runs.get(run.id)
    nested = workspace.runs.get(child.id)  # a child run records what its parent captured
    assert nested.parent_run_id == run.id
    assert (nested.git_commit, nested.git_dirty, nested.git_diff_hash) == (
        record.git_commit, record.git_dirty, record.git_diff_hash)  # fmt: skip
    assert nested.environment == record.environment
    assert nested.environment_lock_hash == record.environment_lock_hash
    head = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    assert record.git_commit == head
    assert record.git_dirty is True
    assert record.git_diff_hash is not None
    diff = workspace.artifacts.get_bytes(record.git_diff_hash).decode()
    assert "+print('v2')" in diff
    assert record.environment is not None and record.environment["python"].count(".") == 2
    assert record.environment_lock_hash is not None
    lock = workspace.artifacts.get_bytes(record.environment_lock_hash).decode()
    assert "numpy==" in lock and "SQLAlchemy==" in lock
    workspace.close()


def test_a_run_left_open_is_ended_when_the_script_exits(tmp_path: Path) -> None:
    script = tmp_path / "script.py"
    script.write_text(
        "import shipyard as sy\n"
        "run = sy.start_run('forgotten')\n"
        "for step in range(1000):\n"
        "    sy.log_metric('loss', 1.0, step=step)\n"
        "print(run.id)\n"
    )
    import sys

    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    workspace = Workspace(sy.load_settings(home=tmp_path / ".shipyard"))
    run_id = done.stdout.strip()
    assert workspace.runs.get(run_id).status == "finished"
    assert workspace.runs.count_metrics(run_id) == 1000
    workspace.close()
