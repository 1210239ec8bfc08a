"""Monitor runs over a real prediction log: planted drift is found where it was planted and
nowhere else, data quality and service health are measured, performance follows the labels."""

from __future__ import annotations

import numpy as np
import pytest

from shipyard.core.errors import NotFoundError
from shipyard.monitoring import monitor_run, parse_config
from tests.monitoring.conftest import DEPLOYMENT, FEATURES, Monitored, make_frame, truth

NO_RULES = parse_config({})


def test_planted_drift_is_flagged_in_exactly_the_drifted_columns(monitored: Monitored) -> None:
    start, end = monitored.window(0, make_frame(4000, seed=11, drift=["income", "plan"]))
    result = monitor_run(DEPLOYMENT, since=start, until=end, config=NO_RULES,
                         workspace=monitored.workspace)  # fmt: skip
    assert result.rows == 4000
    assert result.reference == "churn-train/1"
    assert sorted(result.summary["drifted"]) == ["income", "plan"]
    features = {f["column"]: f for f in result.feature_drift["features"]}
    assert set(features) == set(FEATURES)
    assert features["income"]["method"] == "psi" and features["plan"]["method"] == "jensen_shannon"
    assert {"psi", "ks"} <= set(features["income"]["statistics"])
    assert {"jensen_shannon", "chi_square"} <= set(features["plan"]["statistics"])
    assert monitored.workspace.monitoring.results(DEPLOYMENT)[-1].id == result.id


def test_the_false_positive_rate_over_undrifted_windows_is_low(monitored: Monitored) -> None:
    flagged, compared = 0, 0
    for index in range(20):
        start, end = monitored.window(index, make_frame(1000, seed=100 + index))
        result = monitor_run(DEPLOYMENT, since=start, until=end, config=NO_RULES,
                             workspace=monitored.workspace)  # fmt: skip
        flagged += len(result.summary["drifted"])
        compared += len(FEATURES)
    rate = flagged / compared
    print(f"false-positive rate over {compared} undrifted feature-windows: {rate:.3f}")
    assert rate <= 0.02


def test_data_quality_counts_nulls_out_of_range_and_unseen_values(monitored: Monitored) -> None:
    frame = make_frame(1000, seed=5)
    frame.loc[:99, "income"] = np.nan
    frame.loc[100:149, "age"] = 150  # the reference's ages stop at 89
    frame.loc[150:179, "region"] = "mars"
    start, end = monitored.window(0, frame, predictions=[0] * len(frame))
    quality = monitor_run(DEPLOYMENT, since=start, until=end, config=NO_RULES,
                          workspace=monitored.workspace).data_quality  # fmt: skip
    features = quality["features"]
    assert features["income"]["null_rate"] == pytest.approx(0.1)
    assert features["age"]["out_of_range"] == 50
    assert features["age"]["out_of_range_rate"] == pytest.approx(0.05)
    assert features["region"]["unseen"] == 30 and features["region"]["unseen_values"] == ["mars"]
    assert features["plan"]["unseen"] == 0
    assert quality["schema_violations"] == []


def test_service_health_has_latency_percentiles_and_traffic(monitored: Monitored) -> None:
    start, end = monitored.window(0, make_frame(300, seed=1), latency_ms=12.5)
    health = monitor_run(DEPLOYMENT, since=start, until=end, config=NO_RULES,
                         workspace=monitored.workspace).service_health  # fmt: skip
    assert health["rows"] == 300 and health["error_rate"] == 0.0
    assert health["latency_ms"] == {"p50": 12.5, "p95": 12.5, "p99": 12.5}
    assert health["versions"]["1"]["share"] == 1.0


def test_performance_degrades_and_recovers_with_planted_label_shifts(
    monitored: Monitored,
) -> None:
    rng = np.random.default_rng(3)
    accuracy = []
    for index, flip in enumerate([0.0, 0.4, 0.0]):
        frame = make_frame(1500, seed=20 + index)
        labels = truth(frame)
        flipped = rng.random(len(labels)) < flip
        labels[flipped] = 1 - labels[flipped]
        start, end = monitored.window(index, frame, labels=labels)
        result = monitor_run(DEPLOYMENT, since=start, until=end, config=NO_RULES,
                             workspace=monitored.workspace)  # fmt: skip
        assert result.performance is not None
        assert result.performance["labelled_rows"] == 1500
        accuracy.append(result.performance["metrics"]["accuracy"])
        assert result.performance["metrics"]["roc_auc"] is not None
    assert accuracy[0] > 0.9 and accuracy[2] > 0.9
    assert accuracy[1] < accuracy[0] - 0.25


def test_a_window_without_traffic_or_labels(monitored: Monitored) -> None:
    _, end = monitored.window(0, make_frame(10, seed=1))
    result = monitor_run(DEPLOYMENT, since=end, until=end.replace(hour=end.hour + 1),
                         config=NO_RULES, workspace=monitored.workspace)  # fmt: skip
    assert result.rows == 0 and result.summary["verdict"] == "no-data"
    assert result.performance is None and result.service_health["rows"] == 0


def test_an_explicit_reference_and_a_missing_one(monitored: Monitored) -> None:
    start, end = monitored.window(0, make_frame(500, seed=1))
    result = monitor_run(DEPLOYMENT, since=start, until=end, reference="churn-train/1",
                         config=NO_RULES, workspace=monitored.workspace)  # fmt: skip
    assert result.reference == "churn-train/1"
    with pytest.raises(NotFoundError, match="no version 7"):
        monitor_run(DEPLOYMENT, since=start, until=end, reference="churn-train/7",
                    config=NO_RULES, workspace=monitored.workspace)  # fmt: skip
    with pytest.raises(NotFoundError, match="no deployment"):
        monitor_run("nope", config=NO_RULES, workspace=monitored.workspace)
