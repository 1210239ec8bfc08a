"""A/B reports: intervals and lift per arm, and the sample-ratio-mismatch check."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import numpy as np
import pytest
from typer.testing import CliRunner

import shipyard as sy
from shipyard.cli.app import app
from shipyard.core.errors import UsageError
from shipyard.delivery.abtest import arm_report, sample_ratio_mismatch
from shipyard.delivery.analysis import ArmData
from shipyard.serving.deploy import deploy_online
from tests.serving.conftest import home_workspace, models_home
from tests.serving.models import GOOD
from tests.serving.server import start_server


def _arm(rng: np.random.Generator, n: int, errors: float, accuracy: float) -> ArmData:
    return ArmData(
        requests=n,
        failures=int((rng.random(n) < errors).sum()),
        latency_ms=rng.lognormal(3.9, 0.5, n),
        outcomes={"accuracy": (rng.random(n // 2) < accuracy).astype(float)},
    )


def test_an_even_split_is_not_flagged_and_a_broken_one_is() -> None:
    fair = sample_ratio_mismatch({"a": 5_020, "b": 4_980}, {"a": 50, "b": 50})
    assert fair is not None and not fair.flagged and fair.p_value > 0.5
    broken = sample_ratio_mismatch({"a": 5_300, "b": 4_700}, {"a": 50, "b": 50})
    assert broken is not None and broken.flagged and broken.p_value < 1e-6
    assert broken.expected == {"a": 5000.0, "b": 5000.0}
    assert sample_ratio_mismatch({"a": 10}, {"a": 100}) is None


def test_the_report_gives_intervals_that_hold_the_truth_and_the_lift() -> None:
    rng = np.random.default_rng(11)
    report = arm_report(
        {"churn/3": _arm(rng, 40_000, 0.02, 0.85), "churn/4": _arm(rng, 40_000, 0.01, 0.90)},
        control="churn/3",
        configured={"churn/3": 50, "churn/4": 50},
    )
    control, challenger = report.arms
    assert control.lift == {}
    assert control.error_rate.low < 0.02 < control.error_rate.high  # type: ignore[operator]
    accuracy = challenger.metrics["accuracy"]
    assert accuracy.low < 0.90 < accuracy.high  # type: ignore[operator]
    lift = challenger.lift["accuracy"]
    assert lift.value == pytest.approx(0.90 / 0.85 - 1, abs=0.01)
    assert lift.low > 0  # type: ignore[operator]
    errors = challenger.lift["error_rate"]
    assert errors.high < 0  # type: ignore[operator]
    assert report.sample_ratio is not None and not report.sample_ratio.flagged
    assert report.to_dict()["arms"][1]["configured_share"] == 0.5


def test_an_unknown_control_arm_is_refused() -> None:
    with pytest.raises(UsageError, match="control arm 'churn/9' has no traffic"):
        arm_report({"churn/3": ArmData(10)}, control="churn/9")


REQUESTS = 200


def test_a_served_deployment_reports_its_arms_and_a_broken_split(tmp_path: Path) -> None:
    """A real server splits a deployment 50/50 by key; labels come back as feedback. The
    report gives each arm's traffic, accuracy and lift; once the configured shares no longer
    match the traffic (90/10 against a 50/50 log), the split is flagged."""
    home = models_home(tmp_path)
    workspace = home_workspace(home)
    try:
        deploy_online("churn-ab", routes=["churn/1=50", "churn/2=50"], workspace=workspace)
        server = start_server(home, "churn-ab")
        try:
            with httpx.Client(base_url=server.url, timeout=10) as client:
                labels = []
                for i in range(REQUESTS):
                    row = {**GOOD, "age": 18 + i % 60, "spend": 20.0 + i % 70}
                    answer = client.post("/predict", json={"instances": [row]},
                                         headers={"x-shipyard-key": f"customer-{i}",
                                                  "x-request-id": f"r{i}"})  # fmt: skip
                    assert answer.status_code == 200, answer.text
                    labels.append({"request_id": f"r{i}", "label": i % 2})
                assert client.post("/feedback", json={"feedback": labels}).status_code == 202
        finally:
            server.stop()  # SIGTERM: the log is flushed
        report = sy.ab_report("churn-ab", workspace=workspace)
        deploy_online("churn-ab", routes=["churn/1=90", "churn/2=10"], workspace=workspace)
        broken = sy.ab_report("churn-ab", since="1h", workspace=workspace)
    finally:
        workspace.close()

    control, challenger = report.arms
    assert (control.arm, challenger.arm, report.control) == ("churn/1", "churn/2", "churn/1")
    assert control.requests + challenger.requests == REQUESTS
    assert 0.4 < control.share < 0.6 and control.configured_share == 0.5
    assert report.sample_ratio is not None and not report.sample_ratio.flagged
    accuracy = challenger.metrics["accuracy"]
    assert accuracy.n == challenger.requests
    assert accuracy.low < accuracy.value < accuracy.high  # type: ignore[operator]
    assert "accuracy" in challenger.lift and control.lift == {}
    assert control.latency_p50_ms is not None and control.error_rate.value == 0.0

    assert broken.sample_ratio is not None and broken.sample_ratio.flagged

    result = CliRunner().invoke(app, ["--home", str(home), "ab", "report", "churn-ab", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["sample_ratio"]["flagged"] is True
    assert [arm["arm"] for arm in document["arms"]] == ["churn/1", "churn/2"]
    table = CliRunner().invoke(app, ["--home", str(home), "ab", "report", "churn-ab"])
    assert table.exit_code == 0 and "Sample ratio mismatch" in table.stdout
    unknown = CliRunner().invoke(app, ["--home", str(home), "ab", "report", "nowhere"])
    assert unknown.exit_code == 1 and "nowhere" in unknown.stderr
