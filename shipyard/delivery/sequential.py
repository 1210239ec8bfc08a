"""Confidence sequences for the difference between a canary's and the stable version's means.

A rollout looks at its data again and again. A fixed-sample test looked at every interval
rejects far more often than its nominal level (the "peeking" problem); a confidence sequence
does not: it is a sequence of intervals that holds the true difference at *every* look with
probability at least ``1 - alpha``. Stopping the first time it excludes zero therefore keeps
the false-alarm rate at ``alpha``, however often the controller looks.

The boundary is Robbins' normal mixture, as used by the mixture sequential probability ratio
test (mSPRT) of Johari, Pekelis and Walsh ("Always valid inference", 2017/2022) and the
asymptotic confidence sequences of Waudby-Smith et al. ("Time-uniform central limit theory",
2023). With ``d`` the observed difference of the two arms' means and ``v`` its variance
(``s_c**2 / n_c + s_s**2 / n_s``), the mixture likelihood ratio against a true difference
``theta`` under a ``N(0, tau**2)`` mixing distribution is

    L = sqrt(v / (v + tau**2)) * exp(tau**2 * (d - theta)**2 / (2 * v * (v + tau**2)))

and the sequence is every ``theta`` with ``L < 1 / alpha``. A rollout asks two one-sided
questions — is the canary worse at all? is it worse by no more than the tolerance? — so each
end of the interval comes from a one-sided (half-normal) mixture instead, see
:func:`one_sided_radius`.

``tau`` is the scale of differences one expects to meet: the bound is tightest when the
variance of the estimate has shrunk to about ``tau**2``. The variances are estimated from the
data (the asymptotic form), with a floor so that a handful of requests with no failure does
not pass for certainty.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from shipyard.core.errors import UsageError


@dataclass(frozen=True)
class ArmSummary:
    """The count, mean and variance of one arm's per-request values for one check."""

    n: int
    mean: float
    variance: float
    binary: bool = False
    """Whether every value is 0 or 1 (a share: failures, slow requests, correct answers)."""

    @classmethod
    def of_proportion(cls, hits: int, n: int) -> ArmSummary:
        """A share (``hits`` of ``n``). The variance is taken at ``(hits + 1) / (n + 2)``, so
        that no failure in a few requests does not read as a rate known to be exactly 0."""
        if n <= 0:
            return cls(0, 0.0, 0.0, binary=True)
        smoothed = (hits + 1) / (n + 2)
        return cls(n, hits / n, smoothed * (1.0 - smoothed), binary=True)

    @classmethod
    def of_moments(cls, n: int, total: float, total_squares: float) -> ArmSummary:
        """Values summarised by their count, sum and sum of squares."""
        if n <= 0:
            return cls(0, 0.0, 0.0)
        mean = total / n
        variance = max(total_squares / n - mean * mean, 0.0) * (n / (n - 1) if n > 1 else 1.0)
        return cls(n, mean, variance)


@dataclass(frozen=True)
class DifferenceBound:
    """Bounds on ``canary - stable`` at one look, each end valid on its own at ``alpha``."""

    estimate: float
    lower: float
    upper: float
    alpha: float
    standard_error: float

    @property
    def half_width(self) -> float:
        return self.upper - self.estimate


def pooled_share_variance(canary: ArmSummary, stable: ArmSummary) -> float | None:
    """For two shares, the variance of their difference were both arms the same: the pooled
    share's, smoothed as each arm's is (None unless both arms are shares). Testing "is the
    canary worse at all?" against it is the two-proportion score test, made sequential."""
    if not (canary.binary and stable.binary) or canary.n <= 0 or stable.n <= 0:
        return None
    hits = canary.mean * canary.n + stable.mean * stable.n
    pooled = (hits + 1.0) / (canary.n + stable.n + 2.0)
    return pooled * (1.0 - pooled) * (1.0 / canary.n + 1.0 / stable.n)


def one_sided_radius(variance: float, *, alpha: float, tau: float) -> float:
    """How far above a true difference ``theta`` the estimate may lie, at any look, with
    probability at most ``alpha``: the boundary of the half-normal mixture martingale

        M(x) = 2 * sqrt(v / (v + tau**2)) * exp(tau**2 * x**2 / (2 * v * (v + tau**2)))
                 * Phi(tau * x / sqrt(v * (v + tau**2)))

    at ``M(x) = 1 / alpha`` (Ville's inequality), where ``x`` is the estimate minus ``theta``.
    Mixing over differences on one side only makes it about ``log 2`` tighter than the
    symmetric mixture, which spends half its evidence on the side nobody asked about.
    """
    if not 0.0 < alpha < 1.0:
        raise UsageError(f"alpha must lie strictly between 0 and 1, got {alpha}.")
    if tau <= 0.0:
        raise UsageError(f"tau must be positive, got {tau}.")
    if variance <= 0.0:
        return 0.0
    spread = variance + tau * tau
    target = math.log(1.0 / alpha)

    def log_m(x: float) -> float:
        z = tau * x / math.sqrt(variance * spread)
        phi = 0.5 * math.erfc(-z / math.sqrt(2.0))
        return (
            math.log(2.0)
            + 0.5 * math.log(variance / spread)
            + tau * tau * x * x / (2.0 * variance * spread)
            + math.log(max(phi, 1e-300))
        )

    # The symmetric mixture's radius bounds this one from above; bisect below it.
    high = math.sqrt(variance * spread / (tau * tau) * (2.0 * target + math.log(spread / variance)))
    low = 0.0
    for _ in range(60):
        middle = 0.5 * (low + high)
        if log_m(middle) >= target:
            high = middle
        else:
            low = middle
    return high


def difference_bound(
    canary: ArmSummary,
    stable: ArmSummary,
    *,
    alpha: float,
    tau: float,
    variance_floor: float = 0.0,
    null_variance: float | None = None,
) -> DifferenceBound:
    """The confidence-sequence interval for ``canary.mean - stable.mean``: each of its two
    ends is a one-sided sequence at level ``alpha`` (the lower end is crossed by the truth at
    some look with probability at most ``alpha``, and so is the upper end).

    ``variance_floor`` is the smallest per-request variance either arm is credited with. Both
    arms need at least one value; the caller decides how many are enough to judge at all.

    ``null_variance``, when given, is the variance of the estimate if the two arms were the
    same (for shares: the pooled share's, as the two-proportion score test uses). The lower
    end then answers "is the canary worse at all?" as a test of that null hypothesis: it lies
    above 0 with probability at most ``alpha`` at any look when the arms do not differ, and
    it is not an interval end for other differences.
    """
    if canary.n <= 0 or stable.n <= 0:
        raise UsageError("Both arms need at least one value to be compared.")
    variance = (
        max(canary.variance, variance_floor) / canary.n
        + max(stable.variance, variance_floor) / stable.n
    )
    estimate = canary.mean - stable.mean
    half = one_sided_radius(variance, alpha=alpha, tau=tau)
    below = half if null_variance is None else one_sided_radius(null_variance, alpha=alpha, tau=tau)
    return DifferenceBound(
        estimate=estimate,
        lower=estimate - below,
        upper=estimate + half,
        alpha=alpha,
        standard_error=math.sqrt(variance),
    )
