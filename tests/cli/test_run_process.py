"""``shipyard run`` as a user runs it, in its own process: the metrics and the top features
beside the verdict, and a model trained again to the same content reusing its version."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.process import run_shipyard
from tests.pipeline.project import make_project


def test_run_prints_its_metrics_and_an_identical_retrain_reuses_the_version(
    tmp_path: Path,
) -> None:
    path = str(make_project(tmp_path / "p"))
    home = ["--home", str(tmp_path / "home")]
    first = run_shipyard(*home, "run", "--config", path, cwd=tmp_path, timeout=180)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "PROMOTED credit/1" in first.stdout
    assert "metrics: accuracy 0." in first.stdout and "roc_auc 0." in first.stdout
    top = next(line for line in first.stdout.splitlines() if "top features:" in line)
    assert top.endswith("(roc_auc loss when shuffled)") and top.count(",") == 2

    again = run_shipyard(*home, "run", "--config", path, "--no-cache", "--json", cwd=tmp_path,
                         timeout=180)  # fmt: skip
    assert again.returncode == 0, again.stderr
    result = json.loads(again.stdout)
    assert "train" not in [s["name"] for s in result["steps"] if s["status"] == "cached"]
    assert (result["version"], result["verdict"]) == (1, "promoted")
