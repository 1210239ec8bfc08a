"""A deployment with a canary and a shadow: weights, sticky keys, the answering version in
the response, shadows logged off the request path, routes changed while serving; and
bearer tokens."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from shipyard._store.artifacts import ArtifactStore
from shipyard.serving.deploy import deploy_online
from shipyard.serving.prediction_log import PredictionLogReader
from tests.services import free_port
from tests.serving.conftest import home_workspace, models_home
from tests.serving.load import run_load
from tests.serving.models import GOOD
from tests.serving.server import ROOT, start_server

pytestmark = pytest.mark.slow


def test_canary_sticky_keys_shadows_and_route_changes(tmp_path: Path) -> None:
    home = models_home(tmp_path)
    workspace = home_workspace(home)
    deploy_online("churn-canary", routes=["churn/1=80", "churn/2=20"], workspace=workspace)
    server = start_server(home, "churn-canary")
    try:
        outcome = run_load(server.url, clients=16, seconds=2)
        assert set(outcome.statuses) == {200} and not outcome.errors
        share = outcome.versions["churn/2"] / outcome.ok
        assert 0.1 < share < 0.3, outcome.versions
        keyed = run_load(server.url, clients=16, seconds=1.5, keys=True)
        assert set(keyed.statuses) == {200}
        with httpx.Client(base_url=server.url) as client:
            answers = {
                key: {client.post("/predict", json={"instances": [GOOD]},
                                  headers={"x-shipyard-key": key}).headers["x-shipyard-version"]
                      for _ in range(5)}
                for key in (f"customer-{i}" for i in range(30))
            }  # fmt: skip
            assert all(len(versions) == 1 for versions in answers.values())  # sticky
            every = {v for versions in answers.values() for v in versions}
            assert every == {"churn/1", "churn/2"}

            deploy_online("churn-canary", routes=["churn/2=100"], shadows=["churn/1"],
                          reason="promote the canary", workspace=workspace)  # fmt: skip
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                ready = client.get("/health/ready").json()
                if [s["version"] for s in ready["serving"]] == [2] and ready["shadows"]:
                    break
                time.sleep(0.2)
            assert ready["shadows"] == [{"model": "churn", "version": 1, "role": "shadow",
                                         "flavor": "sklearn"}]  # fmt: skip
            shadowed = client.post("/predict", json={"instances": [GOOD, GOOD]},
                                   headers={"x-request-id": "shadowed-1"})  # fmt: skip
            assert shadowed.headers["x-shipyard-version"] == "churn/2"
            metrics = client.get("/metrics").text
            assert 'role="shadow"' in metrics
    finally:
        server.stop()
        workspace.close()
    reader = PredictionLogReader(ArtifactStore(str(home / "artifacts")))
    both = reader.predictions("churn-canary", role=None)
    rows = both[both["request_id"] == "shadowed-1"]
    assert sorted(zip(rows["role"], rows["model_version"], strict=True)) == [
        ("serve", 2), ("serve", 2), ("shadow", 1), ("shadow", 1),
    ]  # fmt: skip
    assert len(reader.predictions("churn-canary")) == len(both) - 2  # role "serve" by default


def test_bearer_tokens(tmp_path: Path) -> None:
    home = models_home(tmp_path)
    tokens = tmp_path / "tokens"
    tokens.write_text("# one per line\nsecret-token-1\nsecret-token-2\n")
    server = start_server(home, "churn/2", "--token-file", str(tokens))
    try:
        with httpx.Client(base_url=server.url) as client:
            body = {"instances": [GOOD]}
            refused = client.post("/predict", json=body)
            assert refused.status_code == 401
            assert refused.headers["www-authenticate"] == "Bearer"
            wrong = client.post("/predict", json=body, headers={"authorization": "Bearer nope"})
            assert wrong.status_code == 401
            for token in ("secret-token-1", "secret-token-2"):
                ok = client.post("/predict", json=body,
                                 headers={"authorization": f"Bearer {token}"})  # fmt: skip
                assert ok.status_code == 200 and ok.json()["version"] == 2
            assert client.get("/metrics").status_code == 401
            assert client.get("/nowhere").status_code == 401  # no probing without a token
            assert client.get("/health/live").status_code == 200  # probes need no token
            assert client.get("/health/ready").status_code == 200
            document = client.get(
                "/openapi.json", headers={"authorization": "Bearer secret-token-1"}
            ).json()
            assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    finally:
        server.stop()


def test_a_model_that_needs_trust_is_refused_clearly_then_served_when_trusted(
    tmp_path: Path,
) -> None:
    home = models_home(tmp_path)
    refused = subprocess.run(
        [sys.executable, "-c", "from tests.serving.server import main; main()", "--home",
         str(home), "serve", "spend/1", "--port", str(free_port())],
        capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"},
    )  # fmt: skip
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "The server could not start" in refused.stderr
    assert "TreePredictor" in refused.stderr
    trusted = "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"
    server = start_server(home, "spend/1", "--trust", trusted)
    try:
        answer = httpx.post(server.url + "/predict",
                            json={"instances": [{"age": 30, "spend": 70.5}]}).json()  # fmt: skip
        assert type(answer["predictions"][0]) is float  # a regressor answers a number
    finally:
        server.stop()
