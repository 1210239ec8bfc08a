"""Bearer tokens: a token file without a token is a startup error (it used to turn
authentication off), and /health/ready tells its details only to a caller with a token."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.services import free_port
from tests.serving.server import ROOT, Server, start_server


def test_a_token_file_without_a_token_is_a_startup_error(served_home: Path, tmp_path: Path) -> None:
    empty = tmp_path / "tokens"
    empty.write_text("# the tokens go here\n\n   \n  # none yet\n")
    command = [sys.executable, "-c", "from tests.serving.server import main; main()",
               "--home", str(served_home), "serve", "churn@production",
               "--port", str(free_port()), "--token-file", str(empty)]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SHIPYARD_CAPTURE_GIT": "false"}
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 2, done.stdout + done.stderr  # a usage error
    assert "Serving" not in done.stdout
    assert f"The token file {empty} holds no token" in done.stderr + done.stdout
    assert "Traceback" not in done.stderr


@pytest.fixture(scope="module")
def secured(served_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tokens = tmp_path_factory.mktemp("tokens") / "tokens"
    tokens.write_text("  # one per line, indented comments too\nsecret-token-1\n")
    server = start_server(served_home, "churn@production", "--token-file", str(tokens))
    yield server
    server.stop()


def test_readiness_details_need_the_token(secured: Server) -> None:
    with httpx.Client(base_url=secured.url, timeout=10) as client:
        anonymous = client.get("/health/ready")
        assert anonymous.status_code == 200 and anonymous.json() == {"status": "ready"}
        assert client.get("/v2/health/ready").json() == {"status": "ready"}
        told = client.get("/health/ready", headers={"authorization": "Bearer secret-token-1"})
        details = told.json()
        assert details["serving"][0]["model"] == "churn" and "last_error" in details
        assert details["prediction_log"]["status"] == "ok"
        assert client.get("/predict").status_code == 401  # the comment line is no token
