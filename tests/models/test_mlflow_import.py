"""MLflow import, on model directories written by a real MLflow in its own environment
(``tests/mlflow_env.py``): each flavor is converted, registered, and predicts as MLflow's own
``pyfunc`` did on the input example; pickled and custom code needs trust; bad sources are
refused with a reason."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

import shipyard as sy
from shipyard._store.workspace import Workspace
from shipyard.models.manifest import Manifest
from shipyard.models.mlflow_model import input_example, read_mlflow_model
from shipyard.models.storage import fetch_package
from tests.cli_process import shipyard
from tests.mlflow_env import run_with_mlflow

pytestmark = pytest.mark.slow

WRITER = Path(__file__).with_name("mlflow_writer.py")
FLAVORS = {"sklearn": "sklearn", "xgboost": "xgboost", "lightgbm": "lightgbm",
           "onnx": "onnx", "pytorch": "torch"}  # fmt: skip


@pytest.fixture(scope="module")
def mlflow_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("mlflow-models")
    done = run_with_mlflow(str(WRITER), str(out))
    assert done.returncode == 0, done.stderr[-3000:]
    return out


def _mlflow_predictions(models: Path, name: str) -> np.ndarray:
    return np.asarray(json.loads((models / f"{name}.predictions.json").read_text())).ravel()


@pytest.mark.parametrize("name", sorted(FLAVORS))
def test_an_imported_model_predicts_as_mlflow_pyfunc_did(
    mlflow_models: Path, sqlite_workspace: Workspace, name: str
) -> None:
    ws = sqlite_workspace
    version = sy.import_mlflow_model(mlflow_models / name, f"imported-{name}", workspace=ws)
    assert version.flavor == FLAVORS[name]
    loaded = sy.load_model(version.ref, workspace=ws)
    example = input_example(read_mlflow_model(mlflow_models / name))
    got = np.asarray(loaded.predict(example)).ravel()
    np.testing.assert_allclose(got, _mlflow_predictions(mlflow_models, name), rtol=1e-5)

    manifest = Manifest.read(fetch_package(version.package_hash, ws.artifacts, ws.cache_dir))
    source = manifest.extra["mlflow"]
    mlmodel = yaml.safe_load((mlflow_models / name / "MLmodel").read_text())
    assert source["uri"] == str(mlflow_models / name)
    assert source["serving_input_path"] == mlmodel["saved_input_example_info"]["serving_input_path"]
    assert source["mlflow_version"] == mlmodel["mlflow_version"]
    assert "numpy" in source["requirements"]
    run = sy.get_run(version.source_run_id, workspace=ws)
    assert run.kind == "import"
    assert run.tags["shipyard.imported_from"] == str(mlflow_models / name)


def test_the_cli_imports_a_folder(mlflow_models: Path, sqlite_workspace: Workspace) -> None:
    done = shipyard(sqlite_workspace, "models", "import", str(mlflow_models / "xgboost"),
                    "--name", "boosted", "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["flavor"] == "xgboost"
    assert sy.get_model_version("boosted/1", workspace=sqlite_workspace).flavor == "xgboost"


def test_custom_python_code_needs_trust(mlflow_models: Path, sqlite_workspace: Workspace) -> None:
    with pytest.raises(sy.UnsafeModelError, match="custom code"):
        sy.import_mlflow_model(mlflow_models / "pyfunc", "custom", workspace=sqlite_workspace)
    # trusted, it runs through MLflow's pyfunc, which this environment does not have
    with pytest.raises(sy.ModelError, match="MLflow, which is not installed"):
        sy.import_mlflow_model(
            mlflow_models / "pyfunc", "custom", trusted=True, workspace=sqlite_workspace
        )
    assert sy.list_models(workspace=sqlite_workspace) == []


def test_a_trusted_custom_model_is_served_through_mlflow(
    mlflow_models: Path, sqlite_workspace: Workspace
) -> None:
    script = (
        "import sys, json, numpy as np, shipyard as sy\n"
        "from shipyard.models.mlflow_model import input_example, read_mlflow_model\n"
        "ws = sy.open_workspace(home=sys.argv[2])\n"
        "v = sy.import_mlflow_model(sys.argv[1], 'custom', trusted=True, workspace=ws)\n"
        "m = sy.load_model(v.ref, trusted=True, workspace=ws)\n"
        "print(json.dumps(np.asarray(m.predict(input_example(read_mlflow_model(sys.argv[1]))))"
        ".tolist()))\n"
    )
    home = sqlite_workspace.settings.home
    done = run_with_mlflow("-c", script, str(mlflow_models / "pyfunc"), str(home))
    assert done.returncode == 0, done.stderr[-3000:]
    got = np.asarray(json.loads(done.stdout.strip().splitlines()[-1])).ravel()
    np.testing.assert_allclose(got, _mlflow_predictions(mlflow_models, "pyfunc"))


def test_a_run_uri_brings_the_runs_params_metrics_and_tags(
    mlflow_models: Path, sqlite_workspace: Workspace
) -> None:
    run_id = json.loads((mlflow_models / "logged.json").read_text())["run_id"]
    settings = sqlite_workspace.settings
    done = run_with_mlflow(
        "-c", "from shipyard.cli.app import main; main()",
        "--store", settings.resolved_store_url, "--artifacts", settings.resolved_artifacts_url,
        "models", "import", f"runs:/{run_id}/model", "--name", "from-run",
        "--tracking-uri", f"sqlite:///{mlflow_models / 'mlflow.db'}",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    version = sy.get_model_version("from-run/1", workspace=sqlite_workspace)
    run = sy.get_run(version.source_run_id, workspace=sqlite_workspace)
    assert run.params == {"C": "0.5"}
    assert run.tags["mlflow.tag.team"] == "risk"
    assert run.tags["shipyard.mlflow_run_id"] == run_id
    [accuracy] = sy.get_metric_history(run.id, "accuracy", workspace=sqlite_workspace)
    assert 0.5 < accuracy.value <= 1.0


def test_bad_sources_are_refused_with_the_reason(
    mlflow_models: Path, sqlite_workspace: Workspace, tmp_path: Path
) -> None:
    ws = sqlite_workspace
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(sy.ModelError, match="no MLmodel file"):
        sy.import_mlflow_model(empty, "m", workspace=ws)
    unknown = tmp_path / "tf"
    shutil.copytree(mlflow_models / "sklearn", unknown)
    mlmodel = yaml.safe_load((unknown / "MLmodel").read_text())
    mlmodel["flavors"] = {"tensorflow": {"saved_model_dir": "tfmodel"},
                          "python_function": {"loader_module": "mlflow.tensorflow"}}  # fmt: skip
    (unknown / "MLmodel").write_text(yaml.safe_dump(mlmodel))
    with pytest.raises(sy.ModelError, match=r"tensorflow.*Shipyard imports onnx, xgboost"):
        sy.import_mlflow_model(unknown, "m", workspace=ws)
    with pytest.raises(sy.UsageError, match="no MLflow model"):
        sy.import_mlflow_model(tmp_path / "missing", "m", workspace=ws)
    done = shipyard(ws, "models", "import", str(empty), "--name", "m")
    assert done.returncode == 1
    assert "no MLmodel file" in done.stdout + done.stderr
