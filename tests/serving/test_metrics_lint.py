"""Every metric the online server exposes passes Prometheus's linter, with traffic of every
kind behind it (answers, refusals, feedback, a 405), so every family has samples; with several
workers, every worker answers for all of them."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import pytest

import shipyard as sy
from shipyard._store.artifacts import ArtifactStore
from tests.serving.conftest import home_workspace, models_home
from tests.serving.models import GOOD, REFUSED_AGES, register_picky
from tests.serving.promtool import check_metrics
from tests.serving.server import Server, start_server


def test_the_online_servers_metrics_pass_promtool(server: Server) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        check_metrics(client.get("/metrics").text)  # before any traffic
        assert client.post("/predict", json={"instances": [GOOD, GOOD]}).status_code == 200
        assert client.post("/predict", json={"instances": [{"age": 1}]}).status_code == 422
        assert client.post("/feedback", json={"request_id": "r", "label": 1}).status_code == 202
        assert client.get("/predict").status_code == 405
        text = client.get("/metrics").text
    check_metrics(text)
    for name in ("shipyard_prediction_log_written_rows_total",
                 "shipyard_prediction_log_failed_flushes_total", "shipyard_ready",
                 "shipyard_prediction_log_pending_rows"):  # fmt: skip
        assert f"# HELP {name} " in text


def samples(text: str, name: str) -> dict[str, float]:
    """The samples of metric ``name`` in an exposition, by their label text."""
    found = {}
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            labels, _, value = line[len(name) :].rpartition(" ")
            found[labels] = float(value)
    return found


def scrape(url: str) -> str:
    """``/metrics`` over a new connection, so the kernel picks any of the workers."""
    with httpx.Client(base_url=url, timeout=10) as client:
        return client.get("/metrics").text


@pytest.mark.slow
def test_every_worker_answers_metrics_for_all_workers_even_dead_ones(tmp_path: Path) -> None:
    home = models_home(tmp_path)
    workspace = home_workspace(home)
    try:
        register_picky(workspace)
    finally:
        workspace.close()
    server = start_server(home, "picky@production", "--workers", "2", timeout=90)
    try:
        ages = [REFUSED_AGES[i % 2] if i % 5 == 0 else 30 + i % 7 for i in range(40)]
        for age in ages:  # each on a new connection: both workers answer some
            with httpx.Client(base_url=server.url, timeout=10) as client:
                client.post("/predict", json={"instances": [{**GOOD, "age": age}]})
        errors = sum(age in REFUSED_AGES for age in ages)
        full = {'{endpoint="/predict",version="picky/1",status="200"}': len(ages) - errors,
                '{endpoint="/predict",version="-",status="500"}': errors}  # fmt: skip
        workers = set()
        for _ in range(8):
            text = scrape(server.url)
            requests = samples(text, "shipyard_requests_total")
            assert {k: v for k, v in requests.items() if "/predict" in k} == full, text
            assert samples(text, "shipyard_model_errors_total") == {'{version="picky/1"}': errors}
            ready = samples(text, "shipyard_ready")
            assert len(ready) == 2 and set(ready.values()) == {1.0}, ready
            workers |= set(ready)
        check_metrics(text)
        # the rows the model raised on are in the prediction log too, for their rate over time
        # (flushed before a worker is killed: a SIGKILL loses what a worker has not flushed)
        reader = sy.PredictionLogReader(ArtifactStore(str(home / "artifacts")))
        deadline = time.monotonic() + 30
        while len(failed := reader.predictions("picky-production", role="error")) < errors:
            assert time.monotonic() < deadline, f"{len(failed)} of {errors} error rows logged"
            time.sleep(0.3)
        assert len(failed) == errors and failed["prediction"].isna().all()
        assert set(failed["inputs"].map(lambda row: row["age"])) == set(REFUSED_AGES)
        # a worker killed outright: its counts stay in the sums, and its successor joins in
        killed = int(sorted(workers)[0].split('"')[1])
        os.kill(killed, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            text = scrape(server.url)
            ready = samples(text, "shipyard_ready")
            if len(ready) == 2 and str(killed) not in " ".join(ready):
                break
            time.sleep(0.3)
        assert str(killed) not in " ".join(ready) and len(ready) == 2, text
        requests = samples(text, "shipyard_requests_total")
        assert {k: v for k, v in requests.items() if "/predict" in k} == full, text
        check_metrics(text)
    finally:
        server.stop()
