"""Judging a canary against the stable version on the same live traffic.

Each :class:`Check` compares one figure of the two arms over the same period: the error rate,
the share of requests slower than the stable version's p50 or p99, a model metric on labelled
requests, or how far apart the two arms' predictions lie. Comparisons use the confidence
sequences of :mod:`shipyard.delivery.sequential`, so the controller may look after every
interval without inflating false alarms; ``alpha`` is shared out evenly between the checks.

Each comparison ends in one of four states:

- ``worse``: the interval lies wholly above zero (in the direction that hurts), so the canary
  is worse with confidence ``1 - alpha``; or an absolute guard-rail was crossed;
- ``not_worse``: the interval lies wholly below the check's ``tolerance``, so the canary is at
  most ``tolerance`` worse (non-inferiority), again with confidence ``1 - alpha``;
- ``inconclusive``: neither yet — more traffic is needed;
- ``too_little_data``: fewer than ``min_samples`` values in an arm; nothing is judged.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from shipyard.core.errors import UsageError
from shipyard.delivery.divergence import jensen_shannon_distance
from shipyard.delivery.sequential import (
    ArmSummary,
    DifferenceBound,
    difference_bound,
    pooled_share_variance,
)

CheckKind = Literal["error_rate", "latency", "metric", "divergence"]
Status = Literal["worse", "not_worse", "inconclusive", "too_little_data"]
Verdict = Literal["worse", "not_worse", "inconclusive"]

_DEFAULT_TOLERANCE = {"error_rate": 0.005, "latency": 0.01, "metric": 0.02, "divergence": 0.1}


@dataclass(frozen=True)
class Check:
    """One comparison of the canary with the stable version.

    - ``error_rate``: share of failed requests (failed predictions and 5xx);
    - ``latency``: share of the canary's requests slower than the stable version's
      ``quantile`` latency (0.99 compares the p99), against the stable version's own share;
    - ``metric``: the mean of a per-request value on labelled requests (``metric`` names it in
      :attr:`ArmData.outcomes`, e.g. ``accuracy`` as 1/0 per request, ``squared_error``);
    - ``divergence``: Jensen-Shannon distance (base 2, 0..1) between the arms' predictions;
      a guard-rail only, judged ``worse`` above ``limit``.

    ``tolerance`` is how much worse, in the check's own units, the canary may be and still be
    promoted. ``limit`` is an optional absolute guard-rail on the canary's own figure (an error
    rate, a latency in ms, a metric value, a distance). ``tau`` tunes the confidence sequence
    to the size of differences expected (default: twice the tolerance).
    """

    name: str
    kind: CheckKind
    tolerance: float | None = None
    quantile: float | None = None
    metric: str | None = None
    higher_is_better: bool = False
    limit: float | None = None
    tau: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in _DEFAULT_TOLERANCE:
            raise UsageError(
                f"Check {self.name!r} has unknown kind {self.kind!r}.",
                hint=f"Use one of {', '.join(_DEFAULT_TOLERANCE)}.",
            )
        if self.kind == "latency" and not (self.quantile and 0.0 < self.quantile < 1.0):
            raise UsageError(
                f"Latency check {self.name!r} needs a quantile between 0 and 1.",
                hint="Use quantile: 0.99 for the p99, 0.5 for the median.",
            )
        if self.kind == "metric" and not self.metric:
            raise UsageError(
                f"Metric check {self.name!r} names no metric.", hint="Set metric: accuracy."
            )
        if self.tolerance is not None and self.tolerance < 0:
            raise UsageError(f"Check {self.name!r} has a negative tolerance {self.tolerance}.")

    @property
    def margin(self) -> float:
        """The tolerance in force: the declared one, else a default for the kind (for latency,
        a tenth of the share of requests beyond the quantile, at least one point)."""
        if self.tolerance is not None:
            return self.tolerance
        if self.kind == "latency" and self.quantile is not None:
            return max(0.01, 0.1 * min(self.quantile, 1.0 - self.quantile))
        return _DEFAULT_TOLERANCE[self.kind]

    @property
    def scale(self) -> float:
        return self.tau if self.tau is not None else max(2.0 * self.margin, 1e-6)


@dataclass(frozen=True)
class ArmData:
    """What one arm served over the period judged.

    ``failures`` of ``requests`` failed; ``latency_ms`` holds one figure per answered request;
    ``predictions`` the predictions (numbers or labels); ``outcomes`` one array per model
    metric with one value per labelled request.
    """

    requests: int
    failures: int = 0
    latency_ms: np.ndarray[Any, Any] = field(default_factory=lambda: np.empty(0))
    predictions: np.ndarray[Any, Any] | None = None
    outcomes: Mapping[str, np.ndarray[Any, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckResult:
    """The judgement of one check at one look, with the figures that drove it."""

    check: str
    kind: CheckKind
    status: Status
    canary_n: int
    stable_n: int
    canary_value: float | None
    stable_value: float | None
    tolerance: float
    alpha: float
    difference: float | None = None
    lower: float | None = None
    upper: float | None = None
    guardrail: bool = False
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "kind": self.kind,
            "status": self.status,
            "canary_n": self.canary_n,
            "stable_n": self.stable_n,
            "canary_value": self.canary_value,
            "stable_value": self.stable_value,
            "difference": self.difference,
            "interval": None if self.lower is None else [self.lower, self.upper],
            "tolerance": self.tolerance,
            "alpha": self.alpha,
            "guardrail": self.guardrail,
            "test": "normal-mixture confidence sequence (mSPRT)"
            if self.lower is not None
            else "guard-rail",
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Judgement:
    """All checks at one look: ``worse`` if any check is, ``not_worse`` if every check is,
    ``inconclusive`` otherwise."""

    verdict: Verdict
    checks: tuple[CheckResult, ...]

    @property
    def reasons(self) -> list[str]:
        return [f"{result.check}: {result.reason}" for result in self.checks]

    def to_dict(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "checks": [c.to_dict() for c in self.checks]}


def judge(
    checks: Sequence[Check],
    canary: ArmData,
    stable: ArmData,
    *,
    alpha: float = 0.05,
    min_samples: int = 100,
) -> Judgement:
    """Judge ``canary`` against ``stable`` on every check, sharing ``alpha`` between them."""
    if not checks:
        raise UsageError("A rollout analysis needs at least one check.")
    if not 0.0 < alpha < 1.0:
        raise UsageError(f"alpha must lie strictly between 0 and 1, got {alpha}.")
    share = alpha / len(checks)
    results = tuple(_judge_one(check, canary, stable, share, min_samples) for check in checks)
    statuses = {result.status for result in results}
    verdict: Verdict
    if "worse" in statuses:
        verdict = "worse"
    elif statuses == {"not_worse"}:
        verdict = "not_worse"
    else:
        verdict = "inconclusive"
    return Judgement(verdict, results)


def _judge_one(
    check: Check, canary: ArmData, stable: ArmData, alpha: float, min_samples: int
) -> CheckResult:
    if check.kind == "divergence":
        return _judge_divergence(check, canary, stable, alpha, min_samples)
    pair = _summaries(check, canary, stable)
    if pair is None:
        return _too_little(check, 0, 0, alpha, min_samples, "no values in either arm")
    (canary_summary, stable_summary), canary_figure, stable_figure = pair
    if canary_summary.n < min_samples or stable_summary.n < min_samples:
        return _too_little(
            check, canary_summary.n, stable_summary.n, alpha, min_samples, "waiting for traffic"
        )
    # Orient every comparison so that a positive difference means "the canary is worse".
    sign = -1.0 if check.kind == "metric" and check.higher_is_better else 1.0
    bound = difference_bound(
        ArmSummary(canary_summary.n, sign * canary_summary.mean, canary_summary.variance),
        ArmSummary(stable_summary.n, sign * stable_summary.mean, stable_summary.variance),
        alpha=alpha,
        tau=check.scale,
        variance_floor=_variance_floor(check, canary_summary, stable_summary),
        null_variance=pooled_share_variance(canary_summary, stable_summary),
    )
    base = {
        "check": check.name,
        "kind": check.kind,
        "canary_n": canary_summary.n,
        "stable_n": stable_summary.n,
        "canary_value": canary_figure,
        "stable_value": stable_figure,
        "tolerance": check.margin,
        "alpha": alpha,
        "difference": bound.estimate,
        "lower": bound.lower,
        "upper": bound.upper,
    }
    breach = _guardrail_breach(check, canary_figure)
    if breach:
        return CheckResult(status="worse", guardrail=True, reason=breach, **base)  # type: ignore[arg-type]
    status, reason = _status(check, bound)
    return CheckResult(status=status, reason=reason, **base)  # type: ignore[arg-type]


def _summaries(
    check: Check, canary: ArmData, stable: ArmData
) -> tuple[tuple[ArmSummary, ArmSummary], float, float] | None:
    if check.kind == "error_rate":
        if canary.requests <= 0 and stable.requests <= 0:
            return None
        c = ArmSummary.of_proportion(canary.failures, canary.requests)
        s = ArmSummary.of_proportion(stable.failures, stable.requests)
        return (c, s), c.mean, s.mean
    if check.kind == "latency":
        assert check.quantile is not None
        if stable.latency_ms.size == 0:
            return None
        threshold = float(np.quantile(stable.latency_ms, check.quantile))
        c = ArmSummary.of_proportion(
            int(np.count_nonzero(canary.latency_ms > threshold)), int(canary.latency_ms.size)
        )
        s = ArmSummary.of_proportion(
            int(np.count_nonzero(stable.latency_ms > threshold)), int(stable.latency_ms.size)
        )
        canary_quantile = (
            float(np.quantile(canary.latency_ms, check.quantile))
            if canary.latency_ms.size
            else math.nan
        )
        return (c, s), canary_quantile, threshold
    assert check.metric is not None
    canary_values = canary.outcomes.get(check.metric)
    stable_values = stable.outcomes.get(check.metric)
    if canary_values is None or stable_values is None:
        return None
    c = _moments(canary_values)
    s = _moments(stable_values)
    return (c, s), c.mean, s.mean


def _moments(values: np.ndarray[Any, Any]) -> ArmSummary:
    values = np.asarray(values, dtype=np.float64)
    summary = ArmSummary.of_moments(
        int(values.size), float(values.sum()), float(np.dot(values, values))
    )
    binary = bool(np.all((values == 0.0) | (values == 1.0)))
    return dataclasses.replace(summary, binary=binary)


def _variance_floor(check: Check, canary: ArmSummary, stable: ArmSummary) -> float:
    if check.kind == "metric":
        # Per-arm estimates of a metric's spread are noisy on small samples: credit each arm
        # with at least half of the pooled spread.
        pooled = (canary.variance * canary.n + stable.variance * stable.n) / (canary.n + stable.n)
        return 0.5 * pooled
    return 0.0


def _guardrail_breach(check: Check, canary_figure: float) -> str:
    if check.limit is None or math.isnan(canary_figure):
        return ""
    figure, limit = _fmt(check, canary_figure), _fmt(check, check.limit)
    if check.kind == "metric" and check.higher_is_better:
        if canary_figure < check.limit:
            return f"canary {figure} is below the guard-rail {limit}"
        return ""
    if canary_figure > check.limit:
        return f"canary {figure} is above the guard-rail {limit}"
    return ""


def _status(check: Check, bound: DifferenceBound) -> tuple[Status, str]:
    confidence = f"{(1 - bound.alpha) * 100:.4g}%"
    interval = f"[{_delta(check, bound.lower)}, {_delta(check, bound.upper)}]"
    worse_by = f"worse by {_delta(check, bound.estimate)}"
    if bound.lower > 0.0:
        return (
            "worse",
            f"canary {worse_by}; the {confidence} always-valid interval {interval} lies above 0",
        )
    if bound.upper < check.margin:
        return (
            "not_worse",
            f"canary {worse_by}; the {confidence} always-valid interval {interval} lies below "
            f"the tolerance {_delta(check, check.margin)}",
        )
    return (
        "inconclusive",
        f"canary {worse_by}; the {confidence} always-valid interval {interval} still spans "
        f"0 or the tolerance {_delta(check, check.margin)}",
    )


def _too_little(
    check: Check, canary_n: int, stable_n: int, alpha: float, min_samples: int, why: str
) -> CheckResult:
    return CheckResult(
        check=check.name,
        kind=check.kind,
        status="too_little_data",
        canary_n=canary_n,
        stable_n=stable_n,
        canary_value=None,
        stable_value=None,
        tolerance=check.margin,
        alpha=alpha,
        reason=f"{why}: {canary_n} canary and {stable_n} stable values, "
        f"{min_samples} needed in each",
    )


def _judge_divergence(
    check: Check, canary: ArmData, stable: ArmData, alpha: float, min_samples: int
) -> CheckResult:
    c = canary.predictions if canary.predictions is not None else np.empty(0)
    s = stable.predictions if stable.predictions is not None else np.empty(0)
    if c.size < min_samples or s.size < min_samples:
        return _too_little(
            check, int(c.size), int(s.size), alpha, min_samples, "waiting for traffic"
        )
    distance = jensen_shannon_distance(c, s)
    limit = check.limit if check.limit is not None else check.margin
    worse = distance > limit
    return CheckResult(
        check=check.name,
        kind=check.kind,
        status="worse" if worse else "not_worse",
        canary_n=int(c.size),
        stable_n=int(s.size),
        canary_value=distance,
        stable_value=0.0,
        tolerance=limit,
        alpha=alpha,
        guardrail=True,
        reason=f"predictions {distance:.3f} apart (Jensen-Shannon distance), "
        f"{'above' if worse else 'within'} the limit {limit:.3f}",
    )


def _delta(check: Check, value: float) -> str:
    if check.kind in ("error_rate", "latency"):
        return f"{value * 100:+.2f} pts"
    return f"{value:+.4g}"


def _fmt(check: Check, value: float) -> str:
    if check.kind == "error_rate":
        return f"{value * 100:.2f}%"
    if check.kind == "latency":
        return f"{value:.1f} ms"
    return f"{value:.4g}"
