"""A failing prediction log never freezes the server: its storage is really broken (the log's
folder is a regular file), liveness answers at once, readiness and /metrics say the log is
failing, and predictions are refused at once or answered and counted, as configured."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.serving.conftest import models_home
from tests.serving.models import GOOD
from tests.serving.server import Server, start_server

pytestmark = pytest.mark.slow

PROMPT = 5.0
"""Generous, yet half the 10 s a request used to wait for a full log on the event loop."""


@pytest.fixture(scope="module")
def broken_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = models_home(tmp_path_factory.mktemp("broken-log"))
    (home / "artifacts" / "predictions").write_text("not a folder: every log write fails")
    return home


def _serve(home: Path, *options: str) -> Server:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SHIPYARD_PREDICTION_LOG_FLUSH_INTERVAL", "0.2")
        patch.setenv("SHIPYARD_PREDICTION_LOG_MAX_PENDING_ROWS", "10")
        return start_server(home, "churn@production", *options, probe="/health/live")


@pytest.fixture
def answering(broken_home: Path) -> Iterator[Server]:
    with pytest.MonkeyPatch.context() as patch:  # the setting, as --log-failure answer does
        patch.setenv("SHIPYARD_SERVE_LOG_FAILURE", "answer")
        server = _serve(broken_home)
    yield server
    server.stop()


@pytest.fixture
def refusing(broken_home: Path) -> Iterator[Server]:
    with pytest.MonkeyPatch.context() as patch:  # the option wins over the setting
        patch.setenv("SHIPYARD_SERVE_LOG_FAILURE", "answer")
        server = _serve(broken_home, "--log-failure", "refuse")
    yield server
    server.stop()


def _metric(text: str, name: str) -> float:
    values = [line.split()[-1] for line in text.splitlines() if line.startswith(name + " ")]
    assert len(values) == 1, (name, text)
    return float(values[0])


def _wait_failing(client: httpx.Client) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if _metric(client.get("/metrics").text, "shipyard_prediction_log_failing") == 1:
            return
        time.sleep(0.1)
    raise AssertionError("the log never reported failing")


def test_answer_mode_answers_promptly_and_counts_what_it_could_not_log(
    answering: Server,
) -> None:
    with httpx.Client(base_url=answering.url, timeout=PROMPT) as client:
        _wait_failing(client)
        answered = 0
        for position in range(30):  # three times what the log can hold
            reply = client.post("/predict", json={"instances": [GOOD]},
                                headers={"x-request-id": f"a-{position}"})  # fmt: skip
            answered += reply.status_code == 200
            assert client.get("/health/live").json() == {"status": "live"}
        assert answered == 30
        ready = client.get("/health/ready")
        assert ready.status_code == 200
        state = ready.json()["prediction_log"]
        assert state["status"] == "failing" and state["on_failure"] == "answer"
        assert "NotADirectoryError" in state["last_error"] or "FileExists" in state["last_error"]
        metrics = client.get("/metrics").text
    unlogged = _metric(
        metrics, "shipyard_prediction_log_unlogged_rows_total" + '{version="churn/1"}'
    )
    pending = _metric(metrics, "shipyard_prediction_log_pending_rows")
    assert unlogged > 0 and pending <= 10 and unlogged + pending == 30
    assert state["unlogged"] == unlogged
    assert _metric(metrics, "shipyard_prediction_log_written_rows_total") == 0


def test_refuse_mode_refuses_at_once_and_is_not_ready(refusing: Server) -> None:
    with httpx.Client(base_url=refusing.url, timeout=PROMPT) as client:
        _wait_failing(client)
        for _ in range(15):
            refused = client.post("/predict", json={"instances": [GOOD]})
            assert refused.status_code == 503
            assert "prediction log cannot write" in refused.json()["error"]["message"]
            assert client.get("/health/live").status_code == 200
        ready = client.get("/health/ready")
        assert ready.status_code == 503 and "prediction log" in ready.json()["error"]["message"]
        metrics = client.get("/metrics").text
    assert _metric(metrics, "shipyard_prediction_log_failing") == 1
    assert _metric(metrics, "shipyard_prediction_log_pending_rows") == 0
    assert _metric(metrics, "shipyard_prediction_log_failed_flushes_total") >= 1
