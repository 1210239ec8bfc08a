"""A/B reports: intervals and lift per arm, and the sample-ratio-mismatch check."""

from __future__ import annotations

import numpy as np
import pytest

from shipyard.core.errors import UsageError
from shipyard.delivery.abtest import ab_report, sample_ratio_mismatch
from shipyard.delivery.analysis import ArmData


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
    report = ab_report(
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
        ab_report({"churn/3": ArmData(10)}, control="churn/9")
