from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from shipyard.cli.app import app
from tests.registered_model import Registered, make_frame


def test_the_batch_command_scores_and_reports(registered: Registered, tmp_path: Path) -> None:
    make_frame(3_000).to_parquet(tmp_path / "in.parquet")
    runner = CliRunner()
    base = ["--home", str(registered.home), "batch", "churn/1",
            "--input", str(tmp_path / "in.parquet"), "--output", str(tmp_path / "out")]  # fmt: skip
    shown = runner.invoke(app, [*base, "--workers", "0"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    assert "Scored 3,000 rows with churn/1" in shown.stdout
    assert "in this process (1 native thread)" in shown.stdout  # a small job: one thread
    resumed = runner.invoke(app, [*base, "--json"])
    assert json.loads(resumed.stdout)["parts_skipped"] == 1


def test_the_batch_command_refuses_bad_input(registered: Registered, tmp_path: Path) -> None:
    runner = CliRunner()
    home = ["--home", str(registered.home)]
    missing = runner.invoke(app, [*home, "batch", "churn/1", "--input", "nope.parquet",
                                  "--output", str(tmp_path / "o")])  # fmt: skip
    assert missing.exit_code == 1 and "No input files match" in missing.stderr
    unknown = runner.invoke(app, [*home, "batch", "churn@production", "--input", "x",
                                  "--output", "y"])  # fmt: skip
    assert unknown.exit_code == 1 and "no alias 'production'" in unknown.stderr
    engine = runner.invoke(app, [*home, "batch", "churn/1", "--input", "x", "--output", "y",
                                 "--engine", "dask"])  # fmt: skip
    assert engine.exit_code == 2 and "Unknown engine" in engine.stderr
