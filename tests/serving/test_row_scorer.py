"""The shared row scorer, as each serving mode reports through it: requests, rows and events
that fail validation or make the model raise are isolated; every other one is scored.

The model (``PickyScorer``) raises on any batch holding a valid row aged 41 or 77."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest

from shipyard.core.errors import InputValidationError
from shipyard.models.package import load_package, save_package
from shipyard.serving.client import Client
from shipyard.serving.row_scorer import INPUT, MODEL, ModelPredictionError, score_rows
from tests.models.pymodels import PickyScorer
from tests.serving.conftest import home_workspace
from tests.serving.models import GOOD, REFUSED_AGES, customers, register_picky
from tests.serving.server import Server, start_server


@pytest.fixture(scope="module")
def picky_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("picky") / "home"
    workspace = home_workspace(home)
    try:
        register_picky(workspace)
    finally:
        workspace.close()
    return home


@pytest.fixture(scope="module")
def picky_server(picky_home: Path) -> Iterator[Server]:
    running = start_server(picky_home, "picky@production", "--max-wait-ms", "20")
    try:
        yield running
    finally:
        running.stop()


def test_the_scorer_isolates_invalid_and_refused_rows(tmp_path: Path) -> None:
    save_package(PickyScorer(REFUSED_AGES), tmp_path / "pkg", input_example=customers().head(3))
    model = load_package(tmp_path / "pkg", trusted=["tests.models"])  # the test's own class
    rows = [{**GOOD, "age": 20 + i} for i in range(60)]
    rows[3]["age"] = "three"  # invalid: the client's problem
    scored = score_rows(model, rows)
    assert [(f.item, f.kind) for f in scored.failures] == [(3, INPUT), (21, MODEL), (57, MODEL)]
    assert scored.failures[0].problems[0].field == "age[0]"
    assert "cannot score age 41" in scored.failures[1].message
    assert isinstance(scored.failures[1].error(), ModelPredictionError)
    assert isinstance(scored.failures[0].error(), InputValidationError)
    expected = [i for i in range(60) if i not in (3, 21, 57)]
    assert scored.rows.tolist() == expected
    assert scored.frame is not None and scored.frame["age"].tolist() == [20 + i for i in expected]
    assert np.asarray(scored.predictions).tolist() == [1] * len(expected)

    clean = score_rows(model, pd.DataFrame(rows[4:20]))
    assert clean.whole and clean.rows.tolist() == list(range(16))


def post(server: Server, body: Any) -> httpx.Response:
    return httpx.post(server.url + "/predict", json=body, timeout=10)


@pytest.mark.slow
def test_online_a_model_error_is_a_500_of_its_own_and_other_requests_are_answered(
    picky_server: Server,
) -> None:
    def body(i: int) -> dict[str, Any]:
        if i % 10 == 3:  # a refused age: valid input the model raises on
            return {"instances": [GOOD, {**GOOD, "age": REFUSED_AGES[i % 2]}]}
        if i % 10 == 7:  # invalid input
            return {"instances": [GOOD, {**GOOD, "age": "old"}]}
        return {"instances": [GOOD, {**GOOD, "spend": 10.0 + i}]}

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        responses = list(pool.map(lambda i: post(picky_server, body(i)), range(80)))

    for i, response in enumerate(responses):
        if i % 10 == 3:
            assert response.status_code == 500, response.text
            error = response.json()["error"]
            assert error["type"] == "ModelPredictionError"
            assert "cannot score age" in error["message"]
        elif i % 10 == 7:
            assert response.status_code == 422, response.text
            assert response.json()["error"]["problems"][0]["field"] == "age[1]"
        else:
            assert response.status_code == 200, response.text
            assert response.json()["predictions"] == [1, int(10.0 + i > 50)]
    with Client(picky_server.url) as client, pytest.raises(ModelPredictionError, match="age 77"):
        client.predict(pd.DataFrame([{**GOOD, "age": 77}]))
    metrics = httpx.get(picky_server.url + "/metrics").text
    assert 'shipyard_model_errors_total{version="picky/1"} 17' in metrics  # 8 × 2 rows, 1 row
    assert 'status="500"} 9' in metrics and 'status="422"} 8' in metrics
