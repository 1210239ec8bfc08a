"""What a rollout does next, given where it stands and what the analysis found.

The rule, in plain words:

1. If any check finds the canary worse (with confidence) or crosses a guard-rail, the rollout
   fails at once: it rolls back, or pauses, as the plan says.
2. If the rollout has run for its maximum duration without the evidence to go on, it fails
   the same way, saying so.
3. A step lasts at least its minimum interval. While any check has fewer than the minimum
   number of values in an arm, the step is extended: too little traffic never fails a step.
4. Before the last step (full traffic, then the alias moves), every check must show the
   canary is not worse than stable by more than its tolerance. Earlier steps advance as soon
   as nothing is wrong: more traffic at the next step brings the evidence sooner.

Model-metric checks wait for labels unless the plan says labels are optional, in which case a
metric check with no labelled requests is left out and the operational checks decide.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from shipyard.core.errors import UsageError
from shipyard.delivery.analysis import Check, CheckResult, Judgement

Action = Literal["wait", "advance", "promote", "rollback", "pause"]
FailureAction = Literal["rollback", "pause"]


@dataclass(frozen=True)
class StepPlan:
    """How traffic moves and how long each step is watched.

    ``steps`` are the canary's traffic shares in percent, ending at 100; ``min_interval_s``
    is the shortest time at each step, ``min_samples`` the fewest values per arm for a check
    to be judged, ``max_duration_s`` the longest the whole rollout may take.
    """

    steps: tuple[int, ...] = (5, 25, 50, 100)
    checks: tuple[Check, ...] = field(
        default_factory=lambda: (
            Check("error_rate", "error_rate"),
            Check("latency_p99", "latency", quantile=0.99),
        )
    )
    min_interval_s: float = 60.0
    min_samples: int = 100
    max_duration_s: float = 3600.0
    alpha: float = 0.05
    on_failure: FailureAction = "rollback"
    labels_required: bool = True
    approval_before_last: bool = False

    def __post_init__(self) -> None:
        steps = tuple(self.steps)
        if not steps or steps[-1] != 100:
            raise UsageError(
                f"Rollout steps must end at 100, got {list(steps)}.",
                hint="Write the traffic shares in percent, e.g. steps: [5, 25, 50, 100].",
            )
        if any(not 0 < share <= 100 for share in steps) or list(steps) != sorted(set(steps)):
            raise UsageError(
                f"Rollout steps must rise strictly between 1 and 100, got {list(steps)}."
            )
        if self.on_failure not in ("rollback", "pause"):
            raise UsageError(f"on_failure must be rollback or pause, got {self.on_failure!r}.")
        if self.min_samples < 1 or self.min_interval_s < 0 or self.max_duration_s <= 0:
            raise UsageError(
                "min_samples must be at least 1, min_interval non-negative and "
                "max_duration positive."
            )
        if not self.checks:
            raise UsageError("A rollout needs at least one check.")

    def is_last_analysed(self, step_index: int) -> bool:
        """Whether the step after ``step_index`` gives the canary all the traffic."""
        return step_index + 1 >= len(self.steps) - 1


@dataclass(frozen=True)
class Decision:
    """One decision of the controller, with the reason in plain words and the analysis."""

    action: Action
    reason: str
    judgement: Judgement | None = None


def decide(
    plan: StepPlan,
    judgement: Judgement,
    *,
    step_index: int,
    step_elapsed_s: float,
    total_elapsed_s: float,
) -> Decision:
    """The next action of a rollout at ``steps[step_index]`` (see the module's rule)."""
    results = [
        result
        for result in judgement.checks
        if plan.labels_required
        or not (result.kind == "metric" and result.status == "too_little_data")
    ]
    worse = [r for r in results if r.status == "worse"]
    if worse:
        return Decision(plan.on_failure, _join("canary is worse", worse), judgement)
    if total_elapsed_s >= plan.max_duration_s:
        pending = [r for r in results if r.status != "not_worse"]
        return Decision(
            plan.on_failure,
            f"maximum duration of {plan.max_duration_s:g} s reached without the evidence to "
            f"go on; " + "; ".join(f"{r.check}: {r.reason}" for r in pending),
            judgement,
        )
    if step_elapsed_s < plan.min_interval_s:
        return Decision(
            "wait",
            f"step at {plan.steps[step_index]}% has run {step_elapsed_s:.0f} s of its "
            f"{plan.min_interval_s:g} s",
            judgement,
        )
    short = [r for r in results if r.status == "too_little_data"]
    if short:
        return Decision("wait", _join("step extended, too little data", short), judgement)
    if plan.is_last_analysed(step_index):
        pending = [r for r in results if r.status != "not_worse"]
        if pending:
            return Decision(
                "wait", _join("not yet shown to be as good as stable", pending), judgement
            )
        return Decision(
            "promote",
            "every check shows the canary no worse than stable beyond its tolerance: "
            + "; ".join(f"{r.check}: {r.reason}" for r in results),
            judgement,
        )
    return Decision(
        "advance",
        f"no check finds the canary worse at {plan.steps[step_index]}%: "
        + "; ".join(f"{r.check}: {r.reason}" for r in results),
        judgement,
    )


def _join(prefix: str, results: Sequence[CheckResult]) -> str:
    return f"{prefix}: " + "; ".join(f"{r.check}: {r.reason}" for r in results)
