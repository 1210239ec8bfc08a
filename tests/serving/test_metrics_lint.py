"""Every metric the online server exposes passes Prometheus's linter, with traffic of every
kind behind it (answers, refusals, feedback, a 405), so every family has samples."""

from __future__ import annotations

import httpx

from tests.serving.models import GOOD
from tests.serving.promtool import check_metrics
from tests.serving.server import Server


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
