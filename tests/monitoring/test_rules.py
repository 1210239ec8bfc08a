"""Alert rules from the ``monitoring:`` section: checked at load time, fired after N
consecutive windows, deduplicated while open, resolved when the condition clears."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from shipyard.core.errors import ConfigurationError
from shipyard.monitoring import load_config, monitor_run, parse_config
from tests.monitoring.conftest import DEPLOYMENT, Monitored, make_frame, truth


def _config(*rules: dict[str, Any], **extra: Any) -> Any:
    return parse_config({"rules": list(rules), **extra})


def test_rules_with_unknown_metrics_or_sinks_are_rejected_at_load_time(tmp_path: Path) -> None:
    (tmp_path / "shipyard.yaml").write_text(
        "monitoring:\n  rules:\n    - {name: auc, metric: roc_aucc, below: 0.7}\n"
    )
    with pytest.raises(ConfigurationError) as error:
        load_config(tmp_path / "shipyard.yaml")
    assert "shipyard.yaml:3 monitoring.rules[0].metric: unknown metric 'roc_aucc'" in str(
        error.value
    )
    assert "roc_auc" in str(error.value)
    with pytest.raises(ConfigurationError, match=r"rules\[0\].sinks\[1\]: unknown sink 'pager'"):
        _config({"name": "a", "metric": "drift", "above": 0.2, "sinks": ["log", "pager"]})
    with pytest.raises(ConfigurationError, match="exactly one of 'above' or 'below'"):
        _config({"name": "a", "metric": "drift"})
    with pytest.raises(
        ConfigurationError, match=r"monitoring.rules\[0\].severity: Input should be"
    ):
        _config({"name": "a", "metric": "drift", "above": 1, "severity": "loud"})
    with pytest.raises(ConfigurationError, match="not per feature"):
        _config({"name": "a", "metric": "roc_auc", "below": 0.7, "features": ["age"]})
    with pytest.raises(ConfigurationError, match="needs a url"):
        parse_config({"sinks": {"ops": {"type": "webhook"}}})
    assert load_config(tmp_path / "missing.yaml").rules == []


def test_rules_naming_unknown_features_are_rejected_before_monitoring(
    monitored: Monitored,
) -> None:
    start, end = monitored.window(0, make_frame(100, seed=1))
    config = _config({"name": "nulls", "metric": "null_rate", "features": ["income", "incme"],
                      "above": 0.1})  # fmt: skip
    with pytest.raises(ConfigurationError) as error:
        monitor_run(DEPLOYMENT, since=start, until=end, config=config,
                    workspace=monitored.workspace)  # fmt: skip
    assert "rules[0].features[1]: unknown feature 'incme'" in str(error.value)
    assert "known: age, income" in str(error.value)
    assert monitored.workspace.monitoring.results(DEPLOYMENT) == []


def test_drift_for_two_windows_fires_once_then_resolves(monitored: Monitored) -> None:
    config = _config({"name": "drift", "metric": "drift", "above": 0.2, "for": 2,
                      "severity": "critical"})  # fmt: skip
    plan = [(), ("income",), ("income",), ("income",), ()]
    states = []
    for index, drift in enumerate(plan):
        start, end = monitored.window(index, make_frame(2000, seed=index, drift=drift))
        monitor_run(DEPLOYMENT, since=start, until=end, config=config,
                    workspace=monitored.workspace)  # fmt: skip
        states.append(
            [(a.state, a.occurrences) for a in monitored.workspace.monitoring.list_alerts()]
        )
    assert states == [
        [],
        [],  # one drifted window is not enough
        [("open", 1)],
        [("open", 2)],  # the same alert, seen again
        [("resolved", 2)],  # the condition cleared: resolved on its own
    ]
    alert = monitored.workspace.monitoring.list_alerts()[0]
    assert alert.severity == "critical" and alert.resolved_by == "shipyard-monitor"
    assert alert.details["features"] == ["income"]
    assert "drift > 0.2 for 2 windows on 1 feature(s): income=" in alert.message


def test_performance_and_quality_rules(monitored: Monitored) -> None:
    config = _config(
        {"name": "accuracy-floor", "metric": "accuracy", "below": 0.8},
        {"name": "auc-floor", "metric": "roc_auc", "below": 0.7},
        {"name": "income-nulls", "metric": "null_rate", "features": ["income"], "above": 0.05},
    )
    frame = make_frame(1000, seed=3)
    labels = 1 - truth(frame)  # every label contradicts the model
    frame.loc[:199, "income"] = np.nan
    start, end = monitored.window(0, frame, labels=labels, predictions=[0] * 1000)
    monitor_run(DEPLOYMENT, since=start, until=end, config=config, workspace=monitored.workspace)
    fired = {a.rule: a for a in monitored.workspace.monitoring.list_alerts(active=True)}
    assert set(fired) == {"accuracy-floor", "auc-floor", "income-nulls"}
    assert fired["income-nulls"].details["values"] == {"income": pytest.approx(0.2)}

    frame = make_frame(1000, seed=4)
    start, end = monitored.window(1, frame, labels=truth(frame))
    monitor_run(DEPLOYMENT, since=start, until=end, config=config, workspace=monitored.workspace)
    assert monitored.workspace.monitoring.list_alerts(active=True) == []


def test_an_unknown_metric_value_neither_fires_nor_resolves(monitored: Monitored) -> None:
    config = _config({"name": "accuracy-floor", "metric": "accuracy", "below": 0.8})
    frame = make_frame(500, seed=3)
    start, end = monitored.window(0, frame, labels=1 - truth(frame))
    monitor_run(DEPLOYMENT, since=start, until=end, config=config, workspace=monitored.workspace)
    start, end = monitored.window(1, make_frame(500, seed=4))  # no labels yet
    monitor_run(DEPLOYMENT, since=start, until=end, config=config, workspace=monitored.workspace)
    assert [a.state for a in monitored.workspace.monitoring.list_alerts()] == ["open"]


def test_a_label_the_reference_lacks_is_rejected(monitored: Monitored) -> None:
    start, end = monitored.window(0, make_frame(100, seed=1))
    with pytest.raises(ConfigurationError, match=r"monitoring\.label: the reference data has no"):
        monitor_run(DEPLOYMENT, since=start, until=end, config=parse_config({"label": "churn"}),
                    workspace=monitored.workspace)  # fmt: skip
    result = monitor_run(DEPLOYMENT, since=start, until=end,
                         config=parse_config({"label": "churned"}),
                         workspace=monitored.workspace)  # fmt: skip
    assert result.prediction_drift is not None
    assert result.prediction_drift["reference"] == "churn-train/1 column churned"


def test_every_problem_of_a_monitoring_section_is_named_at_its_key_in_words() -> None:
    with pytest.raises(ConfigurationError) as error:
        parse_config({"rules": [{"metric": "drift", "above": 1, "colour": "red"}]})
    text = str(error.value)
    assert "monitoring.rules[0].name: required key is missing" in text
    assert "monitoring.rules[0].colour: unknown key (not allowed here)" in text
    with pytest.raises(ConfigurationError) as error:
        _config({"name": "a", "metric": "drift"})
    assert "Value error" not in str(error.value)
