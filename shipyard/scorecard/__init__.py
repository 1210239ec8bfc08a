"""The scorecard: the ML Test Score (Breck et al., 2017), the maturity grid, Google's MLOps
level and the four delivery metrics, computed from what Shipyard recorded.

``sy.scorecard(model)`` returns a :class:`~shipyard.scorecard.record.Scorecard`;
``sy.attest(item, note)`` records a manual check worth half a point until it expires.
Evidence is read through the public library functions only (docs/scorecard.md).
"""
