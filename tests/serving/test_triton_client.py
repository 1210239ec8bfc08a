"""The Open Inference Protocol v2 as its most common client speaks it: tritonclient's default
call sends and receives binary tensors, its errors carry the server's message, and results
equal /predict's, for a classifier and a regressor."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest
import tritonclient.http as triton
from tritonclient.utils import InferenceServerException

from tests.serving.models import customers
from tests.serving.server import Server, start_server

pytestmark = pytest.mark.slow

DATATYPES = {"plan": "BYTES", "age": "INT64", "spend": "FP64"}


@pytest.fixture(scope="module")
def regressor(served_home: Path) -> Iterator[Server]:
    running = start_server(
        served_home,
        "spend/1",
        "--trust",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    )
    yield running
    running.stop()


def _inputs(frame: pd.DataFrame, *, binary: bool = True) -> list[triton.InferInput]:
    inputs = []
    for name in frame.columns:
        values = frame[name].to_numpy(dtype=object if name == "plan" else None)
        tensor = triton.InferInput(name, [len(frame)], DATATYPES[name])
        tensor.set_data_from_numpy(values, binary_data=binary)
        inputs.append(tensor)
    return inputs


def _predict(server: Server, frame: pd.DataFrame) -> list[object]:
    body = {"dataframe_split": {"columns": list(frame.columns),
                                "data": frame.to_numpy(dtype=object).tolist()}}  # fmt: skip
    answer = httpx.post(f"{server.url}/predict", json=body, timeout=10)
    assert answer.status_code == 200, answer.text
    predictions: list[object] = answer.json()["predictions"]
    return predictions


@pytest.mark.parametrize("model", ["churn", "spend"])
def test_a_default_tritonclient_call_equals_predict(
    model: str, server: Server, regressor: Server
) -> None:
    running = server if model == "churn" else regressor
    frame = customers(50, seed=11)
    if model == "spend":
        frame = frame[["age", "spend"]]
    client = triton.InferenceServerClient(url=f"127.0.0.1:{running.port}")
    try:
        assert client.is_server_live() and client.is_server_ready()
        assert "binary_tensor_data" in client.get_server_metadata()["extensions"]
        assert client.is_model_ready(model)
        binary = client.infer(model, _inputs(frame))  # binary in and out: the default
        assert binary.get_response()["outputs"][0]["parameters"]["binary_data_size"] > 0
        as_json = client.infer(
            model,
            _inputs(frame, binary=False),
            outputs=[triton.InferRequestedOutput("prediction", binary_data=False)],
        )
    finally:
        client.close()
    expected = _predict(running, frame)
    got = binary.as_numpy("prediction")
    assert got is not None and got.tolist() == expected
    assert as_json.as_numpy("prediction").tolist() == expected
    if model == "spend":
        assert got.dtype == np.float64
    else:
        assert got.dtype == np.int64


def test_a_tritonclient_error_carries_the_servers_message(server: Server) -> None:
    frame = customers(3)[["age", "spend"]]  # no plan
    client = triton.InferenceServerClient(url=f"127.0.0.1:{server.port}")
    try:
        with pytest.raises(InferenceServerException) as raised:
            client.infer("churn", _inputs(frame))
    finally:
        client.close()
    assert raised.value.status() == "422"
    assert "plan" in raised.value.message() and "missing" in raised.value.message()
