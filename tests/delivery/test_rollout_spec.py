"""The `rollout:` section of shipyard.yaml: defaults, options laid over the file key by key,
and mistakes named with their file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from shipyard.core.errors import ConfigurationError
from shipyard.delivery.spec import load_spec, parse_spec, spec_with

SECTION = """\
project: shop
rollout:
  steps: [10, 50, 100]
  interval: 30s
  max_duration: 1h
  on_failure: pause
  approval: true
  labels: optional
  checks:
    - {kind: error_rate, tolerance: 0.01, max: 0.05}
    - {kind: latency, quantile: 0.99, max_ms: 300}
    - {kind: metric, metric: accuracy, min: 0.8}
    - {kind: metric, metric: squared_error, max: 4.0}
"""


def test_the_section_is_read_and_options_win_key_by_key(tmp_path: Path) -> None:
    (tmp_path / "shipyard.yaml").write_text(SECTION)
    spec = load_spec(tmp_path / "shipyard.yaml")
    assert spec is not None
    plan = spec.plan
    assert plan.steps == (10, 50, 100) and plan.min_interval_s == 30 and plan.max_duration_s == 3600
    assert plan.on_failure == "pause" and plan.approval_before_last and not plan.labels_required
    accuracy, squared = plan.checks[2], plan.checks[3]
    assert accuracy.name == "accuracy" and accuracy.higher_is_better and accuracy.limit == 0.8
    assert squared.name == "squared_error" and not squared.higher_is_better
    assert plan.checks[1].limit == 300 and plan.checks[1].quantile == 0.99
    merged = spec_with(spec, {"interval": 0.5, "steps": [50, 100], "alpha": None})
    assert merged.plan.min_interval_s == 0.5 and merged.plan.steps == (50, 100)
    assert merged.plan.checks == plan.checks and merged.plan.alpha == plan.alpha
    assert parse_spec(merged.to_dict()) == merged  # what the store keeps reads back the same
    assert load_spec(tmp_path / "missing.yaml") is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("  steps: [10, 50]\n", r"shipyard.yaml:3 rollout.steps: Rollout steps must end at 100"),
        ("  interval: soon\n", r"shipyard.yaml:3 rollout.interval: 'soon' is not a duration"),
        ("  checks:\n    - {kind: latency}\n", r"shipyard.yaml:4 rollout.checks\[0\]: Latency"),
        ("  checks:\n    - {kind: metric, metric: accuracy, max: 1}\n",
         r"shipyard.yaml:4 rollout.checks\[0\].max: a metric check's guard-rail is min"),
        ("  on_failur: pause\n", r"shipyard.yaml:3 rollout.on_failur: unknown key"),
    ],
)  # fmt: skip
def test_mistakes_name_the_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "shipyard.yaml").write_text("project: shop\nrollout:\n" + text)
    with pytest.raises(ConfigurationError, match=message):
        load_spec(tmp_path / "shipyard.yaml")
