"""POST /explain on a real server: off unless enabled, attributions for /predict's payloads
with the version named, rate-limited on its own, and a 4xx naming the reason for a model with
no explainer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest
import xgboost
from sklearn.datasets import make_classification
from sklearn.naive_bayes import GaussianNB

import shipyard as sy
from shipyard._store.workspace import Workspace
from shipyard.core.settings import load_settings
from tests.serving.server import start_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("explain") / "home"
    ws = Workspace(load_settings(home=root, actor="tester@test", capture_git=False,
                                 capture_packages=False))  # fmt: skip
    X, y = make_classification(n_samples=300, n_features=4, random_state=3)
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    models = {"boosted": xgboost.XGBClassifier(n_estimators=10).fit(frame, y),
              "neighbours": GaussianNB().fit(frame, y)}  # fmt: skip
    try:
        for name, model in models.items():
            with sy.start_run("train", workspace=ws) as run:
                run.log_model(model, name, input_example=frame.head(10))
            sy.promote(name, 1, "production", workspace=ws)
    finally:
        ws.close()
    return root


@pytest.fixture(scope="module")
def explaining(home: Path) -> Iterator[str]:
    server = start_server(home, "boosted@production", "--explain", "--explain-rate", "2")
    try:
        yield server.url
    finally:
        server.stop()


ROWS = [{"a": 0.1, "b": -1.2, "c": 0.3, "d": 2.0}, {"a": 1.5, "b": 0.2, "c": -0.7, "d": 0.0}]


def test_explain_answers_attributions_with_the_version(explaining: str) -> None:
    reply = httpx.post(f"{explaining}/explain", json={"instances": ROWS}, timeout=30)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["model"] == "boosted" and body["version"] == 1
    assert reply.headers["x-shipyard-version"] == "boosted/1"
    assert body["method"] == "shap-tree"
    assert [sorted(row) for row in body["attributions"]] == [["a", "b", "c", "d"]] * 2
    document = httpx.get(f"{explaining}/openapi.json", timeout=30).json()
    answered = document["paths"]["/explain"]["post"]["responses"]
    assert set(body) >= set(document["components"]["schemas"]["ExplainResponse"]["required"])
    assert {"200", "422", "429"} <= set(answered)
    split = {"dataframe_split": {"columns": list(ROWS[0]), "data": [list(ROWS[0].values())]}}
    again = httpx.post(f"{explaining}/explain", json=split, timeout=30).json()
    assert again["attributions"][0] == pytest.approx(body["attributions"][0])


def test_explain_is_rate_limited_on_its_own(explaining: str) -> None:
    with httpx.Client(timeout=30) as client:
        codes = [client.post(f"{explaining}/explain", json={"instances": ROWS[:1]}).status_code
                 for _ in range(8)]  # fmt: skip
        assert 429 in codes
        limited = client.post(f"{explaining}/explain", json={"instances": ROWS[:1]})
        while limited.status_code == 200:  # drain the bucket to read the refusal
            limited = client.post(f"{explaining}/explain", json={"instances": ROWS[:1]})
        assert "explanations a second" in limited.text
        assert client.post(f"{explaining}/predict", json={"instances": ROWS}).status_code == 200


def test_explain_is_off_unless_enabled_and_names_a_missing_explainer(home: Path) -> None:
    server = start_server(home, "neighbours@production")
    try:
        off = httpx.post(f"{server.url}/explain", json={"instances": ROWS}, timeout=30)
        assert off.status_code == 404 and "off for deployment" in off.text
        document = httpx.get(f"{server.url}/openapi.json", timeout=30).json()
        assert "/explain" not in document["paths"]  # off: not offered
    finally:
        server.stop()
    server = start_server(home, "neighbours@production", "--explain")
    try:
        refused = httpx.post(f"{server.url}/explain", json={"instances": ROWS}, timeout=30)
        assert refused.status_code == 422
        assert "no fast explainer" in refused.text and "GaussianNB" in refused.text
    finally:
        server.stop()
