"""The scorecard part of `make demo`: after CI, the ML Test Score of the CI project, computed
from what Shipyard recorded (its pipeline runs, gates, CI runs and tested mark, the audit
log), with one item attested by hand, the maturity grid, the MLOps level and the delivery
metrics; and the same card as an HTML heatmap.

``examples/demo.py`` calls ``run(step, first)`` after the CI step; it also runs alone (after
``python examples/demo_ci.py``): ``python examples/demo_scorecard.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from demo_pipeline import shipyard

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ROOT / ".demo" / "ci-credit"


def run(step: Callable[[int, str], None], first: int) -> int:
    step(first, "The scorecard: ML Test Score, maturity grid and delivery metrics, from records")
    shipyard("scorecard", "attest", "DATA-5", "--note",
             "Privacy review of the credit data pipeline: no direct identifiers are kept",
             "--link", "https://wiki.example.com/privacy/credit", cwd=PROJECT)  # fmt: skip
    shipyard("scorecard", cwd=PROJECT)
    shipyard("scorecard", "--html", "-o", "scorecard", cwd=PROJECT)
    return first + 1


if __name__ == "__main__":
    run(lambda number, text: print(f"\n==> [{number}] {text}", flush=True), 1)
