"""The CI part of `make demo`: `shipyard ci` on a project whose production model exists, once
on an unchanged commit (every stage passes, the candidate is marked tested) and once on a
branch with a change that hurts the model (a gate fails, exit 1), printing the report's metric
table each time.

``examples/demo.py`` calls ``run(step, first)``; it also runs alone:
``python examples/demo_ci.py``.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from demo_pipeline import shipyard

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ROOT / ".demo" / "ci-credit"
GIT = ["git", "-c", "user.name=Shipyard demo", "-c", "user.email=demo@example.invalid"]


def metric_table(report: Path) -> str:
    """The report's metric table and gates (what a pull-request comment shows first)."""
    text = report.read_text()
    start = text.index("### Metrics")
    end = text.index("### Data validation") if "### Data validation" in text else len(text)
    return text[start:end].strip()


def run(step: Callable[[int, str], None], first: int) -> int:
    shutil.rmtree(PROJECT, ignore_errors=True)
    PROJECT.parent.mkdir(parents=True, exist_ok=True)
    step(first, "CI on a pull request: a project with a model in production")
    shipyard("init", str(PROJECT), cwd=PROJECT.parent)
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "New project"]):
        subprocess.run([*GIT, *args], cwd=PROJECT, check=True)
    shipyard("run", cwd=PROJECT)  # production: version 1
    print("  generated CI definitions: .github/workflows/shipyard.yml, .gitlab-ci.yml")

    step(first + 1, "`shipyard ci` on an unchanged commit: every stage passes, marked tested")
    shipyard("ci", "--report", "report.md", "--junit", "ci.xml", cwd=PROJECT)
    print(metric_table(PROJECT / "report.md"))

    step(first + 2, "A branch that drops most features: `shipyard ci` fails the gate, exit 1")
    subprocess.run([*GIT, "checkout", "-qb", "fewer-features"], cwd=PROJECT, check=True)
    config = PROJECT / "shipyard.yaml"
    config.write_text(config.read_text().replace(
        "params: {model: logistic, C: 1.0}", "params: {model: logistic, features: [region]}"
    ))  # fmt: skip
    subprocess.run([*GIT, "commit", "-qam", "Only the region"], cwd=PROJECT, check=True)
    failed = shipyard("ci", "--report", "report.md", cwd=PROJECT, check=False)
    assert failed.returncode == 1, "the weaker candidate should fail CI"
    print(metric_table(PROJECT / "report.md"))
    return first + 3


if __name__ == "__main__":
    run(lambda number, text: print(f"\n==> [{number}] {text}", flush=True), 1)
