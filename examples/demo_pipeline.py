"""The pipeline part of `make demo`: scaffold a project with `shipyard init`, run its pipeline
(the first model passes its gates and becomes production), run a weaker candidate (rejected,
with its report), and reproduce the accepted run (identical).

``examples/demo.py`` calls ``run(step, first)``; ``step(number, text)`` prints a step header and
``run`` returns the next free step number. It also runs alone: ``python examples/demo_pipeline.py``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ROOT / ".demo" / "credit"


def shipyard(*args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the real `shipyard` command in the project, as a user would type it."""
    command = [str(Path(sys.executable).with_name("shipyard")), *args]
    print("$ shipyard " + " ".join(args), flush=True)
    done = subprocess.run(
        command, cwd=cwd, text=True, capture_output=True, check=False,
        env={**os.environ, "COLUMNS": "110"},
    )  # fmt: skip
    print(done.stdout, end="", flush=True)
    print(done.stderr, end="", file=sys.stderr, flush=True)
    if check and done.returncode != 0:
        raise SystemExit(f"shipyard {' '.join(args)} exited with {done.returncode}")
    return done


def commit_project() -> None:
    """Make the project its own git repository, as a real one is: runs record its commit, and
    `reproduce` checks that commit out in a temporary worktree."""
    if shutil.which("git") is None:
        print("  (git is not installed: runs will record no commit)")
        return
    identity = ["-c", "user.name=Shipyard demo", "-c", "user.email=demo@example.invalid"]
    for command in (["init", "-q"], ["add", "-A"], [*identity, "commit", "-qm", "New project"]):
        subprocess.run(["git", *command], cwd=PROJECT, check=True)
    print("  committed the project to its own git repository")


def run(step: Callable[[int, str], None], first: int) -> int:
    shutil.rmtree(PROJECT, ignore_errors=True)
    step(first, "Scaffold a pipeline project (seeded credit-risk data, gates, fairness, policy)")
    shipyard("init", str(PROJECT), cwd=PROJECT.parent if PROJECT.parent.exists() else ROOT)
    commit_project()
    step(first + 1, "Run the pipeline: the first model passes its gates and goes to production")
    output = shipyard("run", cwd=PROJECT).stdout
    run_id = next(line.split(":", 1)[1].strip() for line in output.splitlines()
                  if line.strip().startswith("pipeline run:"))  # fmt: skip
    step(first + 2, "A weaker candidate (two features only) is rejected, with its report")
    rejected = shipyard("run", "--set", "train.params.features=[age,region]", cwd=PROJECT,
                        check=False)  # fmt: skip
    assert rejected.returncode == 1, "the weaker candidate should have been rejected"
    shipyard("models", "show", "credit-risk@production", cwd=PROJECT)
    step(first + 3, "Reproduce the accepted run from its recorded data, config and seed")
    shipyard("reproduce", run_id, cwd=PROJECT)
    return first + 4


if __name__ == "__main__":
    PROJECT.parent.mkdir(parents=True, exist_ok=True)
    run(lambda number, text: print(f"\n==> [{number}] {text}", flush=True), 1)
