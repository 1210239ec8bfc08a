"""The window checks the ML Test Score asks for: dependency changes, model age, numerical
stability and computing performance. Each fires on planted data and stays quiet on clean
data, through real prediction-log files written by the real writer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import shipyard as sy
from shipyard.core.clock import utcnow
from shipyard.core.errors import ConfigurationError
from shipyard.models.flavors import framework_versions
from shipyard.monitoring import load_config, monitor_run, parse_config
from shipyard.monitoring.report import write_report
from shipyard.serving.prediction_log import PredictionLog
from tests.monitoring.conftest import (
    DEPLOYMENT,
    Monitored,
    build_monitored,
    make_frame,
    train,
    truth,
)


@pytest.fixture
def locked(tmp_path: Path) -> Iterator[Monitored]:
    """The monitored deployment, its training run having recorded its package lock."""
    yield from build_monitored(tmp_path, capture_packages=True)


def _run(monitored: Monitored, window: tuple[Any, Any], *rules: dict[str, Any], **extra: Any):
    config = parse_config({"rules": list(rules), **extra})
    return monitor_run(DEPLOYMENT, since=window[0], until=window[1], config=config,
                       workspace=monitored.workspace)  # fmt: skip


def _open(monitored: Monitored) -> dict[str, Any]:
    return {a.rule: a for a in monitored.workspace.monitoring.list_alerts(state="open")}


def test_a_scikit_learn_minor_version_mismatch_raises_an_alert(locked: Monitored) -> None:
    rule = {"name": "deps", "metric": "dependency_mismatch", "above": 0, "severity": "critical"}
    clean = _run(locked, locked.window(0, make_frame(200, seed=1)), rule)
    assert clean.service_health["dependencies"]["count"] == 0
    assert "scikit-learn" in clean.service_health["dependencies"]["checked"]
    assert _open(locked) == {}

    installed = framework_versions()
    major, minor = installed["scikit-learn"].split(".")[:2]
    elsewhere = {**installed, "scikit-learn": f"{major}.{int(minor) + 1}.0"}
    with PredictionLog(locked.workspace.artifacts, flush_interval=60, packages=elsewhere) as log:
        planted = _run(locked, locked.window(1, make_frame(200, seed=2), log=log), rule)
    found = planted.service_health["dependencies"]
    assert found["mismatches"] == [{"package": "scikit-learn", "training": installed[
        "scikit-learn"], "serving": [f"{major}.{int(minor) + 1}.0"]}]  # fmt: skip
    alert = _open(locked)["deps"]
    assert alert.severity == "critical" and "dependency_mismatch 1 > 0" in alert.message
    written = write_report(locked.workspace, DEPLOYMENT, locked.tmp / "report")
    shown = written["markdown"].read_text()
    assert "- Dependencies differ at the minor version: scikit-learn trained" in shown
    assert "Dependencies differ" in written["html"].read_text()


def test_a_patch_release_is_not_a_mismatch_unless_asked(locked: Monitored) -> None:
    installed = framework_versions()
    patched = installed["numpy"].rsplit(".", 1)[0] + ".999"
    rule = {"name": "deps", "metric": "dependency_mismatch", "above": 0}
    with PredictionLog(locked.workspace.artifacts, packages={**installed, "numpy": patched}) as log:
        window = locked.window(0, make_frame(100, seed=1), log=log)
    assert _run(locked, window, rule).service_health["dependencies"]["count"] == 0
    exact = _run(locked, window, rule, dependency_level="exact")
    assert exact.service_health["dependencies"]["mismatches"][0]["package"] == "numpy"


def test_without_a_training_lock_the_check_is_unknown_not_quiet(monitored: Monitored) -> None:
    rule = {"name": "deps", "metric": "dependency_mismatch", "above": 0}
    result = _run(monitored, monitored.window(0, make_frame(100, seed=1)), rule)
    assert result.service_health["dependencies"] is None
    assert _open(monitored) == {}


def test_nan_and_out_of_range_predictions_are_counted_and_alert(monitored: Monitored) -> None:
    rules = (
        {"name": "nan", "metric": "nonfinite_predictions", "above": 0},
        {"name": "range", "metric": "out_of_range_predictions", "above": 5},
    )
    frame = make_frame(300, seed=1)
    clean = _run(monitored, monitored.window(0, frame), *rules, label="churned")
    assert clean.service_health["numerical"] == {
        "rows": 300, "nonfinite": 0, "out_of_range": 0, "nonfinite_rate": 0.0,
        "out_of_range_rate": 0.0, "range": [0.0, 1.0],
    }  # fmt: skip
    assert _open(monitored) == {}

    predictions: list[Any] = monitored.model.predict(frame).tolist()
    predictions[:4] = [float("nan"), float("inf"), None, float("-inf")]
    predictions[4:14] = [7] * 10  # outside the training label's range [0, 1]
    planted = _run(monitored, monitored.window(1, frame, predictions=predictions), *rules,
                   label="churned")  # fmt: skip
    numerical = planted.service_health["numerical"]
    assert (numerical["nonfinite"], numerical["out_of_range"]) == (4, 10)
    assert set(_open(monitored)) == {"nan", "range"}

    scored = [{"label": 1, "probability": 0.8}] * 20 + [{"label": 1, "probability": 1.7}] * 3
    window = monitored.window(2, frame.head(23), predictions=scored)
    found = _run(monitored, window, *rules).service_health["numerical"]  # no label: [0, 1]
    assert (found["out_of_range"], found["range"]) == (3, [0.0, 1.0])


def test_a_p99_latency_regression_against_the_previous_version_alerts(
    monitored: Monitored,
) -> None:
    ws, frame = monitored.workspace, make_frame(2_000, seed=3)
    with sy.start_run(workspace=ws) as run:
        sy.log_dataset(frame.assign(churned=truth(frame)), "churn-train", context="train")
        run.log_model(train(frame, c=0.5), "churn", input_example=frame.head(5))
    rules = (
        {"name": "slower", "metric": "latency_regression", "above": 1.5},
        {"name": "throughput", "metric": "throughput_ratio", "below": 0.5},
    )
    first = _run(monitored, monitored.window(0, make_frame(200, seed=1), latency_ms=4.0), *rules)
    assert first.service_health["comparison"] is None  # nothing older to compare with
    ws.deployments.apply(DEPLOYMENT, model="churn", routes=[{"version": 2, "weight": 100}],
                         actor="tester@test")  # fmt: skip
    same = _run(monitored, monitored.window(1, make_frame(200, seed=2), latency_ms=4.2,
                                            version=2), *rules)  # fmt: skip
    comparison = same.service_health["comparison"]
    assert (comparison["version"], comparison["previous"]) == (2, 1)
    assert comparison["latency_regression"] == pytest.approx(1.05)
    assert comparison["throughput_ratio"] == pytest.approx(1.0)
    assert _open(monitored) == {}

    slow = _run(monitored, monitored.window(2, make_frame(60, seed=4), latency_ms=12.0,
                                            version=2), *rules)  # fmt: skip
    assert slow.service_health["comparison"]["latency_regression"] == pytest.approx(3.0)
    assert set(_open(monitored)) == {"slower", "throughput"}


def test_a_model_older_than_its_maximum_age_alerts(monitored: Monitored, tmp_path: Path) -> None:
    (tmp_path / "shipyard.yaml").write_text(
        "monitoring:\n  rules:\n    - {name: stale, metric: model_age, above: 30d}\n"
    )
    config = load_config(tmp_path / "shipyard.yaml")
    assert config.rules[0].above == 30.0
    now = utcnow()
    fresh = monitor_run(DEPLOYMENT, since=now - timedelta(hours=1), until=now, config=config,
                        workspace=monitored.workspace)  # fmt: skip
    assert fresh.summary["model_age_days"] < 1 and _open(monitored) == {}
    later = now + timedelta(days=45)
    old = monitor_run(DEPLOYMENT, since=later - timedelta(hours=1), until=later, config=config,
                      workspace=monitored.workspace)  # fmt: skip
    assert old.summary["model_age_days"] == pytest.approx(45, abs=0.1)
    assert "model_age 45 > 30" in _open(monitored)["stale"].message

    (tmp_path / "shipyard.yaml").write_text(
        "monitoring:\n  rules:\n    - {name: stale, metric: model_age, above: 30 days}\n"
    )
    with pytest.raises(ConfigurationError, match=r"shipyard.yaml:3 monitoring.rules\[0\]"):
        load_config(tmp_path / "shipyard.yaml")


def test_a_batch_job_records_its_framework_versions_for_the_monitor(
    locked: Monitored, tmp_path: Path
) -> None:
    make_frame(300, seed=7).to_parquet(tmp_path / "input.parquet")
    sy.batch_score("churn/1", str(tmp_path / "input.parquet"), str(tmp_path / "scored"),
                   workers=1, name="churn-nightly", workspace=locked.workspace)  # fmt: skip
    now = utcnow()
    result = monitor_run("churn-nightly", since=now - timedelta(hours=1),
                         until=now + timedelta(minutes=1), config=parse_config({}),
                         workspace=locked.workspace)  # fmt: skip
    assert result.rows == 300
    found = result.service_health["dependencies"]
    assert found["count"] == 0 and {"python", "scikit-learn", "numpy"} <= set(found["checked"])
