"""Every framework flavor served online and in batch, predicting what the framework predicts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from shipyard._store.workspace import Workspace
from shipyard.core.settings import load_settings
from shipyard.serving.batch import batch_score
from tests.registered_model import read_parts
from tests.serving.flavor_models import Served, build, register, same
from tests.serving.server import start_server

pytestmark = pytest.mark.slow
FLAVORS = ["xgb", "lgbm", "onnx", "torch"]


def workspace_at(home: Path) -> Workspace:
    return Workspace(load_settings(home=home, actor="tester@test", capture_git=False,
                                   capture_packages=False))  # fmt: skip


@pytest.fixture(scope="module")
def served() -> dict[str, Served]:
    return build()


@pytest.fixture(scope="module")
def flavor_home(tmp_path_factory: pytest.TempPathFactory, served: dict[str, Served]) -> Path:
    home = tmp_path_factory.mktemp("flavors") / "home"
    workspace = workspace_at(home)
    try:
        register(workspace, served)
    finally:
        workspace.close()
    return home


@pytest.fixture(scope="module", params=FLAVORS)
def online(request: pytest.FixtureRequest, flavor_home: Path) -> Iterator[tuple[str, str]]:
    name = request.param
    server = start_server(flavor_home, f"{name}@production", timeout=120)
    try:
        yield name, server.url
    finally:
        server.stop()


def test_predict_online_equals_the_framework(
    online: tuple[str, str], served: dict[str, Served]
) -> None:
    name, url = online
    item = served[name]
    body = {"instances": item.rows.to_dict(orient="records")}
    answer = httpx.post(f"{url}/predict", json=body, timeout=30)
    assert answer.status_code == 200, answer.text
    assert same(answer.json()["predictions"], item.expected(), name)
    assert answer.json()["version"] == 1


@pytest.mark.parametrize("online", ["torch"], indirect=True)
def test_tensor_payloads_reach_a_tensor_model(
    online: tuple[str, str], served: dict[str, Served]
) -> None:
    name, url = online
    rows = served[name].rows.to_numpy(dtype=np.float32)
    expected = served[name].expected()
    nested = {"inputs": rows.reshape(len(rows), 1, 2).tolist()}
    answer = httpx.post(f"{url}/predict", json=nested, timeout=30)
    assert answer.status_code == 200, answer.text
    assert same(answer.json()["predictions"], expected, name)
    v2 = {"inputs": [{"name": "input", "shape": [len(rows), 2], "datatype": "FP32",
                      "data": rows.ravel().tolist()}]}  # fmt: skip
    answer = httpx.post(f"{url}/v2/models/torch/infer", json=v2, timeout=30)
    assert answer.status_code == 200, answer.text
    assert same(answer.json()["outputs"][0]["data"], expected, name)
    bad = {"inputs": [{"name": "input", "shape": [len(rows), 3], "datatype": "FP32",
                       "data": [0.0] * (len(rows) * 3)}]}  # fmt: skip
    answer = httpx.post(f"{url}/v2/models/torch/infer", json=bad, timeout=30)
    assert answer.status_code == 422 and "input" in answer.text


@pytest.mark.parametrize("name", FLAVORS)
def test_batch_equals_the_framework(
    name: str, flavor_home: Path, served: dict[str, Served], tmp_path: Path
) -> None:
    item = served[name]
    item.rows.to_parquet(tmp_path / "in.parquet")
    workspace = workspace_at(flavor_home)
    try:
        result = batch_score(f"{name}@production", str(tmp_path / "in.parquet"),
                             str(tmp_path / "out"), workspace=workspace, workers=0)  # fmt: skip
    finally:
        workspace.close()
    assert (result.rows_scored, result.rows_rejected) == (len(item.rows), 0)
    out = read_parts(tmp_path / "out").sort_values("row_id")
    assert same(out["prediction"].tolist(), item.expected(), name)
