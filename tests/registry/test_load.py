"""Loading registered models back: exact predictions, verified hashes, clear failures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import shipyard as sy
from shipyard._store.workspace import Workspace
from shipyard.core.errors import ArtifactIntegrityError, ArtifactMissingError, UnsafeModelError

TREES = "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"


def test_a_workspace_can_trust_a_type_once_in_its_settings(tmp_path: Path) -> None:
    frame, _ = _data()
    numbers = frame[["age", "income"]]
    model = HistGradientBoostingRegressor(max_iter=5).fit(numbers, numbers["age"])
    settings = sy.load_settings(home=tmp_path / "ws", trusted_types=[TREES])
    workspace = Workspace(settings)
    _log(workspace, model, numbers)
    assert sy.load_model("churn/1", workspace=workspace).predict(numbers.head(2))
    workspace.close()


def _data(rows: int = 300) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "age": rng.integers(18, 80, rows),
            "income": rng.normal(50_000, 12_000, rows),
            "city": rng.choice(["paris", "lyon", "nice"], rows),
        }
    )
    label = ((frame["age"] > 40) ^ (frame["city"] == "nice")).to_numpy().astype(int)
    return frame, label


def _pipeline() -> Pipeline:
    prepare = ColumnTransformer(
        [("num", StandardScaler(), ["age", "income"]), ("cat", OneHotEncoder(), ["city"])]
    )
    return Pipeline([("prepare", prepare), ("model", LogisticRegression())])


def _log(workspace: Workspace, model: object, example: pd.DataFrame) -> sy.ActiveRun:
    with sy.start_run(workspace=workspace) as run:
        run.log_model(model, "churn", input_example=example.head(5))
    return run


def test_a_pipeline_round_trips_through_the_registry_exactly(workspace: Workspace) -> None:
    frame, label = _data()
    model = _pipeline().fit(frame, label)
    _log(workspace, model, frame)
    sy.promote("churn", 1, "production", workspace=workspace)

    loaded = sy.load_model("churn@production", workspace=workspace)
    assert loaded.registered_as is not None and loaded.registered_as.version == 1
    predictions = loaded.predict(frame)
    assert predictions == model.predict(frame).tolist()
    assert all(type(p) is int for p in predictions)
    records = frame.head(3).to_dict(orient="records")
    assert loaded.predict(records) == model.predict(frame.head(3)).tolist()
    assert orjson.loads(orjson.dumps(predictions)) == predictions


def test_a_regressor_answers_json_numbers(workspace: Workspace) -> None:
    frame, _ = _data()
    numbers = frame[["age", "income"]]
    target = numbers["income"] / 1000 + numbers["age"]
    model = HistGradientBoostingRegressor(max_iter=20).fit(numbers, target)
    _log(workspace, model, numbers)
    with pytest.raises(UnsafeModelError, match="TreePredictor"):
        sy.load_model("churn/1", workspace=workspace)
    loaded = sy.load_model("churn/1", workspace=workspace, trusted=[TREES])
    predictions = loaded.predict(numbers.head(10))
    assert predictions == model.predict(numbers.head(10)).tolist()
    assert all(type(p) is float for p in predictions)


def _package_blobs(workspace: Workspace) -> dict[str, Path]:
    version = workspace.models.get_version("churn", 1)
    manifest = orjson.loads(workspace.artifacts.get_bytes(version.package_hash))
    return {
        member: Path(workspace.artifacts.uri(entry["sha256"]))
        for member, entry in manifest["files"].items()
    }


def test_a_corrupted_artifact_is_refused_and_nothing_is_loaded(workspace: Workspace) -> None:
    frame, label = _data()
    _log(workspace, _pipeline().fit(frame, label), frame)
    blobs = _package_blobs(workspace)
    model_file = next(name for name in blobs if name != "input_example.json")
    blobs[model_file].write_bytes(b"not the model")

    with pytest.raises(ArtifactIntegrityError, match=f"{model_file} of model package"):
        sy.load_model("churn/1", workspace=workspace)
    cache = workspace.cache_dir / "packages"
    assert not cache.exists() or [p for p in cache.iterdir() if not p.name.startswith(".")] == []


def test_a_missing_artifact_is_named(workspace: Workspace) -> None:
    frame, label = _data()
    _log(workspace, _pipeline().fit(frame, label), frame)
    blobs = _package_blobs(workspace)
    blobs["input_example.json"].unlink()
    with pytest.raises(ArtifactMissingError, match=r"input_example\.json"):
        sy.load_model("churn/1", workspace=workspace)


def test_a_damaged_local_copy_is_fetched_again_from_the_store(workspace: Workspace) -> None:
    frame, label = _data()
    model = _pipeline().fit(frame, label)
    _log(workspace, model, frame)
    first = sy.load_model("churn/1", workspace=workspace)
    cached = next(p for p in first.directory.iterdir() if p.name != "shipyard-model.json")
    cached.write_bytes(b"bit rot")

    again = sy.load_model("churn/1", workspace=workspace)
    assert again.predict(frame) == model.predict(frame).tolist()
