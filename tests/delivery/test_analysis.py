"""The rollout judge: confidence sequences that stay valid however often they are read, and
checks that find a worse canary, clear an identical one, and wait when data is short."""

from __future__ import annotations

import numpy as np
import pytest

from shipyard.core.errors import UsageError
from shipyard.delivery.analysis import ArmData, Check, judge
from shipyard.delivery.divergence import jensen_shannon_distance
from shipyard.delivery.sequential import ArmSummary, difference_bound, one_sided_radius


def _arm(rng: np.random.Generator, n: int, error_rate: float, sigma: float = 0.5) -> ArmData:
    errors = rng.random(n) < error_rate
    return ArmData(
        requests=n,
        failures=int(errors.sum()),
        latency_ms=50.0 * np.exp(sigma * rng.standard_normal(n)),
    )


def test_peeking_after_every_interval_keeps_false_alarms_within_alpha() -> None:
    # 400 A/A experiments, each read after every one of 40 intervals: a fixed-sample test read
    # that often would cry "worse" in far more than alpha of them.
    rng = np.random.default_rng(7)
    alpha, alarms = 0.05, 0
    for _ in range(400):
        canary = rng.random((40, 200)) < 0.02
        stable = rng.random((40, 2000)) < 0.02
        c_hits, s_hits = np.cumsum(canary.sum(axis=1)), np.cumsum(stable.sum(axis=1))
        for look in range(40):
            bound = difference_bound(
                ArmSummary.of_proportion(int(c_hits[look]), 200 * (look + 1)),
                ArmSummary.of_proportion(int(s_hits[look]), 2000 * (look + 1)),
                alpha=alpha,
                tau=0.01,
            )
            if bound.lower > 0:
                alarms += 1
                break
    assert alarms / 400 <= alpha


def test_the_one_sided_radius_is_tighter_than_the_symmetric_mixture_and_shrinks_with_data() -> None:
    wide = one_sided_radius(1e-4, alpha=0.05, tau=0.01)
    narrow = one_sided_radius(1e-6, alpha=0.05, tau=0.01)
    assert 0 < narrow < wide
    # the symmetric mixture at the same alpha needs more: sqrt(v(v+t2)/t2 (2 log 20 + log 2))
    symmetric = np.sqrt(1e-4 * 2e-4 / 1e-4 * (2 * np.log(20) + np.log(2)))
    assert wide < symmetric


def test_a_canary_with_more_errors_is_found_worse_with_the_figures_that_decided_it() -> None:
    rng = np.random.default_rng(1)
    judgement = judge(
        [Check("error_rate", "error_rate")],
        _arm(rng, 4000, 0.04),
        _arm(rng, 20000, 0.01),
    )
    assert judgement.verdict == "worse"
    result = judgement.checks[0]
    assert result.status == "worse" and result.lower is not None and result.lower > 0
    assert result.canary_n == 4000 and result.stable_n == 20000
    assert "lies above 0" in result.reason
    assert result.to_dict()["test"].startswith("normal-mixture")


def test_an_identical_canary_is_shown_not_worse_once_there_is_enough_traffic() -> None:
    rng = np.random.default_rng(2)
    checks = [Check("error_rate", "error_rate"), Check("p99", "latency", quantile=0.99)]
    judgement = judge(checks, _arm(rng, 30000, 0.01), _arm(rng, 30000, 0.01))
    assert judgement.verdict == "not_worse", judgement.reasons


def test_a_heavier_latency_tail_is_worse_on_the_p99_and_not_on_the_median() -> None:
    rng = np.random.default_rng(3)
    canary, stable = _arm(rng, 20000, 0.01, sigma=0.62), _arm(rng, 20000, 0.01)
    judgement = judge(
        [Check("p50", "latency", quantile=0.5), Check("p99", "latency", quantile=0.99)],
        canary,
        stable,
    )
    by_name = {r.check: r.status for r in judgement.checks}
    assert by_name["p99"] == "worse"
    assert by_name["p50"] != "worse"


def test_accuracy_on_labelled_requests_is_compared_in_the_right_direction() -> None:
    rng = np.random.default_rng(4)
    check = Check("accuracy", "metric", metric="accuracy", higher_is_better=True)
    better = ArmData(10000, outcomes={"accuracy": (rng.random(10000) < 0.90).astype(float)})
    worse = ArmData(10000, outcomes={"accuracy": (rng.random(10000) < 0.80).astype(float)})
    assert judge([check], worse, better).verdict == "worse"
    assert judge([check], better, worse).verdict == "not_worse"


def test_too_little_traffic_is_never_a_verdict_of_worse() -> None:
    rng = np.random.default_rng(5)
    judgement = judge([Check("error_rate", "error_rate")], _arm(rng, 20, 1.0), _arm(rng, 5000, 0.0))
    assert judgement.verdict == "inconclusive"
    assert judgement.checks[0].status == "too_little_data"
    assert "100 needed" in judgement.checks[0].reason


def test_a_guard_rail_fails_the_canary_on_its_own_figure() -> None:
    rng = np.random.default_rng(6)
    slow = ArmData(1000, latency_ms=np.full(1000, 400.0))
    stable = ArmData(1000, latency_ms=np.full(1000, 400.0) + rng.random(1000))
    result = judge([Check("p99", "latency", quantile=0.99, limit=300.0)], slow, stable).checks[0]
    assert result.status == "worse" and result.guardrail
    assert "above the guard-rail 300.0 ms" in result.reason


def test_prediction_divergence() -> None:
    same = np.array([0, 1] * 500)
    assert jensen_shannon_distance(same, same) == pytest.approx(0.0)
    assert jensen_shannon_distance(np.zeros(100), np.ones(100)) == pytest.approx(1.0)
    rng = np.random.default_rng(8)
    shifted = judge(
        [Check("predictions", "divergence", limit=0.2)],
        ArmData(2000, predictions=rng.normal(3.0, 1.0, 2000)),
        ArmData(2000, predictions=rng.normal(0.0, 1.0, 2000)),
    )
    assert shifted.verdict == "worse"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "x", "kind": "speed"}, "unknown kind"),
        ({"name": "x", "kind": "latency"}, "needs a quantile"),
        ({"name": "x", "kind": "metric"}, "names no metric"),
        ({"name": "x", "kind": "error_rate", "tolerance": -1.0}, "negative tolerance"),
    ],
)
def test_bad_checks_are_refused_with_a_hint(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        Check(**kwargs)  # type: ignore[arg-type]
