"""A/B reports: per-arm traffic and metrics with confidence intervals and lift, and a check
that the traffic split itself is not broken (sample-ratio mismatch).

:func:`ab_report` reads a deployment's prediction log (online servers and stream workers
write it alike) with the feedback labels joined: each version the routes served is an arm;
a logged prediction that is null counts as a failed request; labelled rows give
``accuracy`` (1 when the prediction equals the label) and, for numbers, ``squared_error`` and
``absolute_error``; numeric predictions give ``mean_prediction``. Shadows answer nobody and
are left out. :func:`arm_report` computes the same report from figures already gathered.

A sample-ratio mismatch — arms receiving shares of traffic that differ from the configured
ones by more than chance allows — means the assignment is broken (a crashing variant, a
caching layer, sticky keys concentrated on one arm), and every other figure of the report is
suspect. It is tested with Pearson's chi-square goodness of fit of the observed counts against
the configured shares, and flagged below ``p = 0.001``, the level commonly used for it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from shipyard._store.workspace import Workspace, workspace_for
from shipyard.core.clock import utcnow
from shipyard.core.errors import UsageError
from shipyard.delivery.analysis import ArmData
from shipyard.monitoring.window import parse_duration, parse_time
from shipyard.serving.plans import read_plan
from shipyard.serving.prediction_log import PredictionLogReader

SRM_THRESHOLD = 0.001


@dataclass(frozen=True)
class Estimate:
    """A figure with its two-sided confidence interval and the number of values behind it."""

    value: float | None
    low: float | None
    high: float | None
    n: int
    standard_error: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "low": self.low, "high": self.high, "n": self.n}


@dataclass(frozen=True)
class SampleRatioCheck:
    """Observed requests per arm against the configured shares."""

    observed: Mapping[str, int]
    expected: Mapping[str, float]
    chi_square: float
    p_value: float
    flagged: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "observed": dict(self.observed),
            "expected": {k: round(v, 2) for k, v in self.expected.items()},
            "chi_square": self.chi_square,
            "p_value": self.p_value,
            "flagged": self.flagged,
        }


@dataclass(frozen=True)
class ArmReport:
    """One arm: its traffic, figures, and lift over the control arm (None for the control)."""

    arm: str
    requests: int
    share: float
    configured_share: float | None
    error_rate: Estimate
    latency_p50_ms: float | None
    latency_p99_ms: float | None
    metrics: Mapping[str, Estimate] = field(default_factory=dict)
    lift: Mapping[str, Estimate] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "arm": self.arm,
            "requests": self.requests,
            "share": self.share,
            "configured_share": self.configured_share,
            "error_rate": self.error_rate.to_dict(),
            "latency_p50_ms": self.latency_p50_ms,
            "latency_p99_ms": self.latency_p99_ms,
            "metrics": {k: v.to_dict() for k, v in self.metrics.items()},
            "lift": {k: v.to_dict() for k, v in self.lift.items()},
        }


@dataclass(frozen=True)
class ABReport:
    """Every arm of a deployment over one period, against ``control``."""

    control: str
    confidence: float
    arms: tuple[ArmReport, ...]
    sample_ratio: SampleRatioCheck | None
    deployment: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "deployment": self.deployment,
            "since": None if self.since is None else self.since.isoformat(),
            "until": None if self.until is None else self.until.isoformat(),
            "control": self.control,
            "confidence": self.confidence,
            "arms": [arm.to_dict() for arm in self.arms],
            "sample_ratio": None if self.sample_ratio is None else self.sample_ratio.to_dict(),
        }


def sample_ratio_mismatch(
    observed: Mapping[str, int],
    configured: Mapping[str, float],
    *,
    threshold: float = SRM_THRESHOLD,
) -> SampleRatioCheck | None:
    """Chi-square test of ``observed`` requests per arm against ``configured`` shares (any
    positive weights); None when there is nothing to test (one arm, or no traffic)."""
    arms = [arm for arm in configured if configured[arm] > 0]
    total = sum(observed.get(arm, 0) for arm in arms)
    if len(arms) < 2 or total == 0:
        return None
    weight = sum(configured[arm] for arm in arms)
    expected = {arm: total * configured[arm] / weight for arm in arms}
    chi_square = sum((observed.get(arm, 0) - expected[arm]) ** 2 / expected[arm] for arm in arms)
    from scipy.stats import chi2  # SciPy loads only when a report is made

    p_value = float(chi2.sf(chi_square, df=len(arms) - 1))
    return SampleRatioCheck(
        observed={arm: int(observed.get(arm, 0)) for arm in arms},
        expected=expected,
        chi_square=float(chi_square),
        p_value=p_value,
        flagged=p_value < threshold,
    )


def ab_report(
    deployment: str,
    *,
    since: str | datetime | None = None,
    until: str | datetime | None = None,
    control: str | None = None,
    confidence: float = 0.95,
    workspace: Workspace | None = None,
) -> ABReport:
    """The A/B report of ``deployment`` from its prediction log and feedback: per served
    version, traffic, error rate, latency and metrics with ``confidence`` intervals, each
    arm's lift over ``control`` (default: the heaviest route, the older version on a tie),
    and the sample-ratio-mismatch check against the shares its routes configure now.

    ``since``/``until`` bound the period: an ISO time, or a duration back from now
    (``"1h"``, ``"2d"``); by default the whole log. After a change of routes, pass ``since``
    the change, or the check compares the old traffic with the new shares."""
    ws = workspace or workspace_for()
    start = None if since is None else _moment(since)
    end = None if until is None else _moment(until)
    plan = read_plan(deployment, ws)  # an unknown deployment is a NotFoundError
    configured = {f"{plan.model}/{version}": weight for version, weight in plan.routes}
    frame = PredictionLogReader(ws.artifacts).predictions(
        deployment, since=start, until=end, with_feedback=True
    )
    arms = {name: ArmData(0) for name in configured}
    for version, rows in frame.groupby("model_version", sort=True):
        name = f"{plan.model}/{version}"
        arms[name] = _arm(rows)
    if control is None:
        heaviest = max(weight for _, weight in plan.routes)
        control = f"{plan.model}/{min(v for v, w in plan.routes if w == heaviest)}"
    elif control not in arms and "/" not in control:
        control = f"{plan.model}/{control}"  # a bare version number
    report = arm_report(arms, control=control, configured=configured, confidence=confidence)
    return ABReport(report.control, report.confidence, report.arms, report.sample_ratio,
                    deployment=deployment, since=start, until=end)  # fmt: skip


def _moment(text: str | datetime) -> datetime:
    """An ISO time, or a duration back from now."""
    if isinstance(text, str) and text[:1].isdigit() and text[-1:] in "smhdw":
        return utcnow() - parse_duration(text)
    return parse_time(text)


def _arm(rows: pd.DataFrame) -> ArmData:
    """One version's rows of the log as the figures of an arm."""
    predictions = [_plain(p) for p in rows["prediction"]]
    answered = [i for i, p in enumerate(predictions) if p is not None]
    latency = rows["latency_ms"].to_numpy(dtype=np.float64)[answered]
    outcomes: dict[str, np.ndarray[Any, Any]] = {}
    numbers = [predictions[i] for i in answered if _is_number(predictions[i])]
    if numbers and len(numbers) == len(answered):
        outcomes["mean_prediction"] = np.asarray(numbers, dtype=np.float64)
    labels = rows["label"].tolist()
    pairs = [(predictions[i], _plain(labels[i])) for i in answered if labels[i] is not None]
    if pairs:
        outcomes["accuracy"] = np.array([1.0 if p == y else 0.0 for p, y in pairs])
        if all(_is_number(p) and _is_number(y) for p, y in pairs):
            errors = np.array([float(p) - float(y) for p, y in pairs])
            outcomes["squared_error"] = errors**2
            outcomes["absolute_error"] = np.abs(errors)
    return ArmData(requests=len(rows), failures=len(rows) - len(answered), latency_ms=latency,
                   outcomes=outcomes)  # fmt: skip


def _plain(value: Any) -> Any:
    """A prediction's label: ``{"label": …}`` or a one-element list stand for their value."""
    if isinstance(value, Mapping):
        return value.get("label", value.get("prediction"))
    if isinstance(value, list) and len(value) == 1:
        return value[0]
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def arm_report(
    arms: Mapping[str, ArmData],
    *,
    control: str,
    configured: Mapping[str, float] | None = None,
    higher_is_better: Mapping[str, bool] | None = None,
    confidence: float = 0.95,
) -> ABReport:
    """Per-arm figures with ``confidence`` intervals, and each arm's lift over ``control``:
    the relative difference of each metric (error rate, and every outcome in ``ArmData``)."""
    if control not in arms:
        raise UsageError(
            f"The control arm {control!r} has no traffic.",
            hint=f"Arms with traffic: {', '.join(sorted(arms)) or 'none'}.",
        )
    if not 0.5 <= confidence < 1.0:
        raise UsageError(f"confidence must lie in [0.5, 1), got {confidence}.")
    z = _z(confidence)
    total = sum(arm.requests for arm in arms.values())
    base = arms[control]
    reports = []
    for name, data in arms.items():
        error = _proportion(data.failures, data.requests, z)
        metrics = {key: _mean(values, z) for key, values in data.outcomes.items()}
        lift: dict[str, Estimate] = {}
        if name != control:
            lift["error_rate"] = _lift(error, _proportion(base.failures, base.requests, z), z)
            for key, estimate in metrics.items():
                if key in base.outcomes:
                    lift[key] = _lift(estimate, _mean(base.outcomes[key], z), z)
        latency = data.latency_ms
        reports.append(
            ArmReport(
                arm=name,
                requests=data.requests,
                share=data.requests / total if total else 0.0,
                configured_share=None if configured is None else _share(configured, name),
                error_rate=error,
                latency_p50_ms=float(np.quantile(latency, 0.5)) if latency.size else None,
                latency_p99_ms=float(np.quantile(latency, 0.99)) if latency.size else None,
                metrics=metrics,
                lift=lift,
            )
        )
    srm = None
    if configured is not None:
        srm = sample_ratio_mismatch({k: v.requests for k, v in arms.items()}, configured)
    return ABReport(control, confidence, tuple(reports), srm)


def _share(configured: Mapping[str, float], name: str) -> float | None:
    weight = sum(configured.values())
    return configured[name] / weight if name in configured and weight else None


def _z(confidence: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(0.5 + confidence / 2.0))


def _proportion(hits: int, n: int, z: float) -> Estimate:
    """Wilson's interval: sound near 0 and 1, where failure rates live."""
    if n <= 0:
        return Estimate(None, None, None, 0)
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    smoothed = (hits + 1) / (n + 2)
    return Estimate(
        p, max(0.0, centre - half), min(1.0, centre + half), n,
        math.sqrt(smoothed * (1 - smoothed) / n),
    )  # fmt: skip


def _mean(values: np.ndarray[Any, Any], z: float) -> Estimate:
    values = np.asarray(values, dtype=np.float64)
    n = int(values.size)
    if n == 0:
        return Estimate(None, None, None, 0)
    mean = float(values.mean())
    if n == 1:
        return Estimate(mean, None, None, 1)
    standard_error = float(values.std(ddof=1)) / math.sqrt(n)
    half = z * standard_error
    return Estimate(mean, mean - half, mean + half, n, standard_error)


def _lift(arm: Estimate, control: Estimate, z: float) -> Estimate:
    """Relative difference ``arm / control - 1`` with a delta-method interval."""
    if arm.value is None or control.value is None or control.value == 0:
        return Estimate(None, None, None, arm.n)
    ratio = arm.value / control.value
    if arm.standard_error is None or control.standard_error is None:
        return Estimate(ratio - 1.0, None, None, arm.n)
    relative = math.hypot(
        arm.standard_error / control.value, ratio * control.standard_error / control.value
    )
    return Estimate(
        ratio - 1.0, ratio - 1.0 - z * relative, ratio - 1.0 + z * relative, arm.n, relative
    )
