"""The controller's rule: roll back on evidence, wait on too little data, promote only once
the canary is shown as good, and fail the declared way when time runs out."""

from __future__ import annotations

import numpy as np
import pytest

from shipyard.core.errors import UsageError
from shipyard.delivery.analysis import ArmData, Check, Judgement, judge
from shipyard.delivery.decide import StepPlan, decide

CHECKS = (Check("error_rate", "error_rate"),)


def _judged(canary_errors: float, n: int, seed: int = 0) -> Judgement:
    rng = np.random.default_rng(seed)
    canary = rng.random(n) < canary_errors
    stable = rng.random(n * 4) < 0.01
    return judge(
        CHECKS,
        ArmData(n, int(canary.sum())),
        ArmData(n * 4, int(stable.sum())),
    )


def test_worse_rolls_back_or_pauses_as_the_plan_says() -> None:
    judgement = _judged(0.05, 3000)
    rollback = decide(
        StepPlan(checks=CHECKS), judgement, step_index=0, step_elapsed_s=1, total_elapsed_s=1
    )
    assert rollback.action == "rollback" and "canary is worse" in rollback.reason
    paused = decide(
        StepPlan(checks=CHECKS, on_failure="pause"),
        judgement,
        step_index=0,
        step_elapsed_s=1,
        total_elapsed_s=1,
    )
    assert paused.action == "pause"


def test_too_little_data_extends_the_step_until_the_maximum_duration() -> None:
    plan = StepPlan(checks=CHECKS, min_interval_s=60, max_duration_s=600)
    judgement = _judged(0.01, 20)
    waiting = decide(plan, judgement, step_index=0, step_elapsed_s=120, total_elapsed_s=120)
    assert waiting.action == "wait" and "too little data" in waiting.reason
    expired = decide(plan, judgement, step_index=0, step_elapsed_s=600, total_elapsed_s=600)
    assert expired.action == "rollback" and "maximum duration" in expired.reason


def test_an_early_step_advances_when_nothing_is_wrong_and_the_last_needs_proof() -> None:
    plan = StepPlan(steps=(5, 50, 100), checks=CHECKS, min_interval_s=60)
    unsure = _judged(0.01, 400)
    assert unsure.verdict == "inconclusive"
    assert decide(plan, unsure, step_index=0, step_elapsed_s=60, total_elapsed_s=60).action == (
        "advance"
    )
    assert decide(plan, unsure, step_index=1, step_elapsed_s=60, total_elapsed_s=120).action == (
        "wait"
    )
    sure = _judged(0.01, 40000)
    promoted = decide(plan, sure, step_index=1, step_elapsed_s=60, total_elapsed_s=120)
    assert promoted.action == "promote" and "no worse than stable" in promoted.reason


def test_a_step_lasts_its_minimum_interval() -> None:
    plan = StepPlan(checks=CHECKS, min_interval_s=300)
    decision = decide(
        plan, _judged(0.01, 40000), step_index=0, step_elapsed_s=30, total_elapsed_s=30
    )
    assert decision.action == "wait" and "30 s of its 300 s" in decision.reason


def test_labels_may_be_optional() -> None:
    checks = (*CHECKS, Check("accuracy", "metric", metric="accuracy", higher_is_better=True))
    rng = np.random.default_rng(3)
    judgement = judge(
        checks,
        ArmData(40000, int((rng.random(40000) < 0.01).sum())),
        ArmData(40000, int((rng.random(40000) < 0.01).sum())),
    )
    strict = StepPlan(steps=(50, 100), checks=checks)
    lenient = StepPlan(steps=(50, 100), checks=checks, labels_required=False)
    args = {"step_index": 0, "step_elapsed_s": 100.0, "total_elapsed_s": 100.0}
    assert decide(strict, judgement, **args).action == "wait"  # type: ignore[arg-type]
    assert decide(lenient, judgement, **args).action == "promote"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("steps", "message"),
    [((5, 50), "must end at 100"), ((50, 5, 100), "rise strictly"), ((0, 100), "rise strictly")],
)
def test_bad_steps_are_refused(steps: tuple[int, ...], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        StepPlan(steps=steps)
