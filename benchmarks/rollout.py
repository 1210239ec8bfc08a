"""Rollout benchmark: Shipyard's sequential judge against a Flagger-style threshold rule.

Simulated live traffic, no servers: both rules watch the same request streams (common random
numbers: every simulated request carries its outcome under the stable and under the canary
version, and the rule's current traffic share decides which one is seen), and both look once
per interval.

Traffic: ``--rates`` requests per 60 s interval (Poisson; 3,000, 6,000 and 12,000, i.e. 50, 100
and 200 requests/s; the ratios quote ``--rate``, 6,000), a canary going through steps 5, 25, 50 and
then 100 percent. Stable serves 1% errors, a log-normal latency (median 50 ms, p99 160 ms) and
85% accuracy, with labels for half of the requests. Scenarios for the canary:

- ``a/a``: identical to stable;
- ``errors``: error rate 1% -> 2%;
- ``p99``: p99 latency +25% (median unchanged: a heavier tail);
- ``accuracy``: accuracy 85% -> 82%.

Shipyard: ``shipyard.delivery`` as a rollout runs it: the four checks (error rate, p50 and p99
latency against stable's own, accuracy on labelled requests) on everything since the rollout
began, alpha 0.05 shared between them (for the shares — errors, slow requests, accuracy —
"worse at all?" is the two-proportion score test made sequential: its variance is the pooled
share's, as if the arms were equal),
one interval per step at least, at least 100 values per arm, non-inferiority shown before
full traffic, a maximum of ``--max-intervals`` intervals after which it rolls back.

Flagger-style rule, as Flagger documents its analysis: each interval, the canary's figures over
that interval alone against fixed thresholds (request success rate >= 98.5%, p99 <= 176 ms,
accuracy >= 83% — stable's levels plus the same tolerances Shipyard is given); a failed check
(or a metric with no data) adds one to a counter and holds the weight; rollback at
``threshold`` = 5 failed checks; otherwise the weight advances one step per interval, and the
canary is promoted once it passes at the last weight (50%).

``figures.rollback_seconds`` is the wall-clock time from a rollback decision to 100% of live
traffic on the stable version, measured once against a real server (see ``_rollback.py``).

Reported per scenario: the share rolled back and promoted, and the median number of requests
(both arms) and of canary requests until a rollback. A replication that was never rolled back
(the canary was promoted) counts as never detected, an infinite number of requests: a rule that
lets 18% of the degradations through has not caught them at its median delay, and leaving them
out would favour the rule that misses more ("never" when half or more were not rolled back).
The median over the rolled-back replications alone is shown beside it. Ratios (issue:
progressive delivery): ``detection_samples_vs_threshold_rule`` (median requests to a rollback
on a real degradation, ours / theirs, the worst of the three), ``false_rollback_rate`` (A/A
replications rolled back) and ``missed_degradation_rate`` (degraded replications promoted, the
worst of the three).

Run with ``make bench NAME=rollout`` (``--replications``, ``--rate``).
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from _common import emit_result, environment_line, fresh_dir, note, print_table, rounded
from _rollback import measure_rollback_seconds

from shipyard.delivery.analysis import ArmData, Check, judge
from shipyard.delivery.decide import StepPlan, decide

INTERVAL_S = 60.0
STEPS = (5, 25, 50, 100)
LABELLED = 0.5
MEDIAN_MS = 50.0
SIGMA = 0.5
BASE_ERRORS = 0.01
BASE_ACCURACY = 0.85
Z99 = 2.3263478740408408


@dataclass(frozen=True)
class Variant:
    errors: float = BASE_ERRORS
    sigma: float = SIGMA
    accuracy: float = BASE_ACCURACY


SCENARIOS: dict[str, Variant] = {
    "a/a": Variant(),
    "errors": Variant(errors=0.02),
    "p99": Variant(sigma=SIGMA + math.log(1.25) / Z99),
    "accuracy": Variant(accuracy=0.82),
}

CHECKS = (
    Check("error_rate", "error_rate", tolerance=0.005),
    Check("latency_p50", "latency", quantile=0.5, tolerance=0.05),
    Check("latency_p99", "latency", quantile=0.99, tolerance=0.01),
    Check("accuracy", "metric", metric="accuracy", higher_is_better=True, tolerance=0.02),
)
STABLE_P99 = MEDIAN_MS * math.exp(SIGMA * Z99)
FLAGGER = {"max_error_rate": BASE_ERRORS + 0.005, "max_p99_ms": 1.1 * STABLE_P99}
FLAGGER_MIN_ACCURACY = BASE_ACCURACY - 0.02
FLAGGER_THRESHOLD = 5


@dataclass
class Interval:
    """One interval's requests, each with its outcome under both versions."""

    assign: np.ndarray[Any, Any]
    stable_error: np.ndarray[Any, Any]
    canary_error: np.ndarray[Any, Any]
    stable_latency: np.ndarray[Any, Any]
    canary_latency: np.ndarray[Any, Any]
    labelled: np.ndarray[Any, Any]
    stable_correct: np.ndarray[Any, Any]
    canary_correct: np.ndarray[Any, Any]

    def split(
        self, share: int
    ) -> tuple[dict[str, np.ndarray[Any, Any]], dict[str, np.ndarray[Any, Any]]]:
        canary = self.assign < share / 100.0
        stable = ~canary
        return (
            {
                "error": self.canary_error[canary],
                "latency": self.canary_latency[canary],
                "correct": self.canary_correct[canary & self.labelled],
            },
            {
                "error": self.stable_error[stable],
                "latency": self.stable_latency[stable],
                "correct": self.stable_correct[stable & self.labelled],
            },
        )


def make_intervals(
    rng: np.random.Generator, variant: Variant, rate: int, count: int
) -> list[Interval]:
    intervals = []
    for _ in range(count):
        n = int(rng.poisson(rate))
        e = rng.random(n)
        z = rng.standard_normal(n)
        c = rng.random(n)
        intervals.append(
            Interval(
                assign=rng.random(n),
                stable_error=e < BASE_ERRORS,
                canary_error=e < variant.errors,
                stable_latency=MEDIAN_MS * np.exp(SIGMA * z),
                canary_latency=MEDIAN_MS * np.exp(variant.sigma * z),
                labelled=rng.random(n) < LABELLED,
                stable_correct=(c < BASE_ACCURACY).astype(np.float64),
                canary_correct=(c < variant.accuracy).astype(np.float64),
            )
        )
    return intervals


@dataclass(frozen=True)
class Outcome:
    action: str  # "promote" or "rollback"
    requests: int
    canary_requests: int


def run_shipyard(intervals: list[Interval], plan: StepPlan) -> Outcome:
    step = 0
    step_started = 0.0
    seen = {"canary": [], "stable": []}  # type: dict[str, list[dict[str, np.ndarray[Any, Any]]]]
    requests = canary_requests = 0
    for index, interval in enumerate(intervals):
        canary, stable = interval.split(STEPS[step])
        seen["canary"].append(canary)
        seen["stable"].append(stable)
        requests += len(interval.assign)
        canary_requests += len(canary["error"])
        now = (index + 1) * INTERVAL_S
        judgement = judge(
            plan.checks,
            _arm(seen["canary"]),
            _arm(seen["stable"]),
            alpha=plan.alpha,
            min_samples=plan.min_samples,
        )
        decision = decide(
            plan,
            judgement,
            step_index=step,
            step_elapsed_s=now - step_started,
            total_elapsed_s=now,
        )
        if decision.action in ("rollback", "pause"):
            return Outcome("rollback", requests, canary_requests)
        if decision.action == "promote":
            return Outcome("promote", requests, canary_requests)
        if decision.action == "advance":
            step += 1
            step_started = now
    return Outcome("rollback", requests, canary_requests)


def _arm(parts: list[dict[str, np.ndarray[Any, Any]]]) -> ArmData:
    errors = np.concatenate([p["error"] for p in parts])
    return ArmData(
        requests=int(errors.size),
        failures=int(errors.sum()),
        latency_ms=np.concatenate([p["latency"] for p in parts]),
        outcomes={"accuracy": np.concatenate([p["correct"] for p in parts])},
    )


def run_flagger(intervals: list[Interval]) -> Outcome:
    weights = STEPS[:-1]
    step = 0
    failed = 0
    requests = canary_requests = 0
    for interval in intervals:
        canary, _ = interval.split(weights[step])
        requests += len(interval.assign)
        canary_requests += len(canary["error"])
        if _flagger_passes(canary):
            if step == len(weights) - 1:
                return Outcome("promote", requests, canary_requests)
            step += 1
        else:
            failed += 1
            if failed >= FLAGGER_THRESHOLD:
                return Outcome("rollback", requests, canary_requests)
    return Outcome("rollback", requests, canary_requests)


def _flagger_passes(canary: dict[str, np.ndarray[Any, Any]]) -> bool:
    # A query over an interval with no canary traffic returns no value, which Flagger counts
    # as a failed check.
    if canary["error"].size == 0 or canary["correct"].size == 0:
        return False
    success_rate_ok = canary["error"].mean() <= FLAGGER["max_error_rate"]
    p99_ok = float(np.quantile(canary["latency"], 0.99)) <= FLAGGER["max_p99_ms"]
    accuracy_ok = canary["correct"].mean() >= FLAGGER_MIN_ACCURACY
    return bool(success_rate_ok and p99_ok and accuracy_ok)


def simulate(
    name: str,
    variant: Variant,
    rule: Callable[[list[Interval]], Outcome],
    replications: int,
    rate: int,
    max_intervals: int,
    seed: int,
) -> list[Outcome]:
    outcomes = []
    for replication in range(replications):
        rng = np.random.default_rng([seed, replication, list(SCENARIOS).index(name)])
        outcomes.append(rule(make_intervals(rng, variant, rate, max_intervals)))
    return outcomes


def _median_to_rollback(values: list[float]) -> float | None:
    """The median, where a replication that was never rolled back counts as never (infinite):
    a rule that lets a degradation through has not detected it at any number of requests.
    None when the median itself is never (half or more were not rolled back)."""
    if not values:
        return None
    middle = statistics.median(values)
    return None if math.isinf(middle) else middle


def summarise(outcomes: list[Outcome]) -> dict[str, float | None]:
    rolled = [o for o in outcomes if o.action == "rollback"]
    never = math.inf
    return {
        "rollback_share": len(rolled) / len(outcomes),
        "promote_share": sum(o.action == "promote" for o in outcomes) / len(outcomes),
        "median_requests_to_rollback": _median_to_rollback(
            [o.requests if o.action == "rollback" else never for o in outcomes]
        ),
        "median_canary_requests_to_rollback": _median_to_rollback(
            [o.canary_requests if o.action == "rollback" else never for o in outcomes]
        ),
        "median_requests_when_rolled_back": statistics.median(o.requests for o in rolled)
        if rolled
        else None,
    }


def run_rate(
    rate: int, plan: StepPlan, replications: int, max_intervals: int, seed: int
) -> dict[str, dict[str, dict[str, float | None]]]:
    results: dict[str, dict[str, dict[str, float | None]]] = {}
    for name, variant in SCENARIOS.items():
        started = time.perf_counter()
        ours = summarise(
            simulate(
                name,
                variant,
                lambda i: run_shipyard(i, plan),
                replications,
                rate,
                max_intervals,
                seed,
            )
        )
        theirs = summarise(
            simulate(name, variant, run_flagger, replications, rate, max_intervals, seed)
        )
        results[name] = {"shipyard": ours, "threshold_rule": theirs}
        print(f"  {rate}/interval {name}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return results


def detection_ratios(results: dict[str, dict[str, dict[str, float | None]]]) -> dict[str, float]:
    ratios = {}
    for name in SCENARIOS:
        if name == "a/a":
            continue
        ours_n = results[name]["shipyard"]["median_requests_to_rollback"]
        theirs_n = results[name]["threshold_rule"]["median_requests_to_rollback"]
        if ours_n is None:  # we let most degraded canaries through
            ratios[name] = math.inf
        else:  # 0 when the threshold rule let most of them through
            ratios[name] = ours_n / theirs_n if theirs_n is not None else 0.0
    return ratios


def _or_never(value: float | None) -> float | str:
    return "never" if value is None else value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=200)
    parser.add_argument(
        "--rates",
        type=int,
        nargs="+",
        default=[3000, 6000, 12000],
        help="requests per interval to simulate (the ratios are quoted at --rate)",
    )
    parser.add_argument("--rate", type=int, default=6000, help="the traffic the ratios quote")
    parser.add_argument("--max-intervals", type=int, default=30)
    parser.add_argument("--seed", type=int, default=20261206)
    args = parser.parse_args()
    rates = sorted(set(args.rates) | {args.rate})
    note(environment_line())
    plan = StepPlan(
        steps=STEPS,
        checks=CHECKS,
        min_interval_s=INTERVAL_S,
        min_samples=100,
        max_duration_s=args.max_intervals * INTERVAL_S,
        alpha=0.05,
    )
    figures: dict[str, Any] = {
        "replications": args.replications,
        "max_intervals": args.max_intervals,
        "interval_s": INTERVAL_S,
        "quoted_requests_per_interval": args.rate,
    }
    rows = []
    by_rate = {}
    for rate in rates:
        results = run_rate(rate, plan, args.replications, args.max_intervals, args.seed)
        by_rate[rate] = results
        detection = detection_ratios(results)
        for name in SCENARIOS:
            for label, key in (("shipyard", "shipyard"), ("threshold rule", "threshold_rule")):
                summary = results[name][key]
                rows.append(
                    [
                        rate,
                        name,
                        label,
                        f"{summary['rollback_share']:.3f}",
                        f"{summary['promote_share']:.3f}",
                        _or_never(summary["median_requests_to_rollback"]),
                        _or_never(summary["median_canary_requests_to_rollback"]),
                        _or_never(summary["median_requests_when_rolled_back"]),
                        f"{detection[name]:.2f}"
                        if name in detection and label == "shipyard"
                        else "",
                    ]
                )
        figures[f"rate_{rate}"] = {
            "scenarios": results,
            "detection_ratio": {k: rounded(v) for k, v in detection.items()},
        }
    print_table(
        "Rollout decisions over simulated live traffic (requests per 60 s interval)",
        [
            "traffic",
            "scenario",
            "rule",
            "rolled back",
            "promoted",
            "median requests to rollback",
            "median canary requests",
            "… when rolled back",
            "ours/theirs",
        ],
        rows,
    )
    quoted = by_rate[args.rate]
    degraded = [name for name in SCENARIOS if name != "a/a"]
    figures["threshold_rule_false_rollback_rate"] = quoted["a/a"]["threshold_rule"][
        "rollback_share"
    ]
    with fresh_dir("rollback") as root:
        figures["rollback_seconds"] = rounded(measure_rollback_seconds(root))
    note(f"rollback to 100% stable took {figures['rollback_seconds']} s (server follow interval "
         f"2 s)")  # fmt: skip
    emit_result(
        "rollout",
        figures,
        {
            "detection_samples_vs_threshold_rule": rounded(max(detection_ratios(quoted).values())),
            "false_rollback_rate": rounded(quoted["a/a"]["shipyard"]["rollback_share"] or 0.0),
            "missed_degradation_rate": rounded(
                max(quoted[name]["shipyard"]["promote_share"] or 0.0 for name in degraded)
            ),
        },
    )


if __name__ == "__main__":
    main()
