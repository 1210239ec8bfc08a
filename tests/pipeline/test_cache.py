from __future__ import annotations

from pathlib import Path

import pytest

from shipyard._store.workspace import Workspace
from shipyard.pipeline.runner import run_pipeline
from tests.pipeline.project import CONFIG, make_project

ALL_CACHED = ["version", "validate", "train", "evaluate", "register"]


def test_an_unchanged_pipeline_is_taken_from_cache_and_no_cache_recomputes(
    tmp_path: Path, workspace: Workspace
) -> None:
    path = make_project(tmp_path)
    first = run_pipeline(path, workspace=workspace)
    second = run_pipeline(path, workspace=workspace)
    assert second.cached_steps == ALL_CACHED
    assert second.model_version == first.model_version == 1 and second.verdict == "promoted"
    assert second.evaluation.to_dict()["metrics"] == first.evaluation.to_dict()["metrics"]  # type: ignore[union-attr]
    train = next(s for s in second.steps if s.name == "train")
    record = workspace.runs.get(train.run_id)
    assert record.tags["shipyard.cached_from"] and record.tags["shipyard.cache_key"]
    assert record.status == "finished" and record.parent_run_id == second.run_id
    assert record.kind == "step" and record.end_time is not None
    assert [a.name for a in workspace.runs.artifacts(train.run_id)] == ["step-outputs.json"]
    usage = workspace.datasets.run_datasets(train.run_id)
    assert sorted(u.context for u in usage) == ["eval", "train"]
    fresh = run_pipeline(path, workspace=workspace, no_cache=True)
    assert fresh.cached_steps == []
    # retrained to the same content: the version is reused, not copied (docs/pipeline.md)
    assert fresh.model_version == 1
    assert len(workspace.models.list_versions("credit")) == 1


@pytest.mark.slow
def test_a_change_of_params_code_or_data_recomputes_what_depends_on_it(
    tmp_path: Path, sqlite_workspace: Workspace
) -> None:
    path = make_project(tmp_path)
    run_pipeline(path, workspace=sqlite_workspace)
    run_pipeline(path, workspace=sqlite_workspace)  # settles the baseline comparison
    params = run_pipeline(path, overrides=["train.params.C=0.3"], workspace=sqlite_workspace)
    assert params.cached_steps == ["version", "validate"]
    train_py = tmp_path / "train.py"
    train_py.write_text(train_py.read_text() + "\n# a comment is a code change\n")
    code = run_pipeline(path, workspace=sqlite_workspace)
    assert code.cached_steps == ["version", "validate"]
    again = run_pipeline(path, workspace=sqlite_workspace)
    assert "train" in again.cached_steps
    make_project(tmp_path, seed=99)
    data = run_pipeline(path, workspace=sqlite_workspace)
    assert data.cached_steps == []


def test_a_cached_step_whose_outputs_are_gone_is_computed_again(
    tmp_path: Path, sqlite_workspace: Workspace
) -> None:
    path = make_project(tmp_path, config=CONFIG.replace("auto: true", "auto: false"))
    first = run_pipeline(path, workspace=sqlite_workspace)
    assert first.verdict == "registered"
    train = next(s for s in first.steps if s.name == "train")
    package = next(a for a in sqlite_workspace.runs.artifacts(train.run_id) if a.kind == "model")
    Path(sqlite_workspace.artifacts.uri(package.hash)).unlink()  # lost from the artifact store
    second = run_pipeline(path, workspace=sqlite_workspace)
    assert "train" not in second.cached_steps and "version" in second.cached_steps


def test_a_fully_cached_run_loads_no_data_or_model_library(tmp_path: Path) -> None:
    """What keeps `shipyard run` on an unchanged project quick: deciding that every step is
    cached needs the store, never pandas, NumPy, pyarrow or scikit-learn."""
    import subprocess
    import sys

    make_project(tmp_path)
    heavy = ("pandas", "numpy", "pyarrow", "sklearn", "scipy", "matplotlib")
    code = (
        "import sys\n"
        "from shipyard.pipeline.runner import run_pipeline\n"
        "result = run_pipeline()\n"
        f"print(result.verdict, len(result.cached_steps), [m for m in {heavy} if m in sys.modules])"
    )
    env = {"SHIPYARD_CAPTURE_GIT": "false", "PATH": "/usr/bin:/bin"}

    def run() -> str:
        done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                              capture_output=True, text=True, check=False)  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    assert run().startswith("promoted 0 ")  # computed: the libraries load
    assert run() == "promoted 5 []"
