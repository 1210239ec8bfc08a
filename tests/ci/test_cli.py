"""``shipyard ci`` from the command line: exit codes, the Markdown report (also appended to
GITHUB_STEP_SUMMARY), JUnit XML and JSON."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from typer.testing import CliRunner

from shipyard.cli.app import app


def test_a_failed_stage_exits_1_with_every_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    home = ["--home", str(tmp_path / "home")]
    result = CliRunner().invoke(
        app, [*home, "ci", "--report", "out/report.md", "--junit", "out/ci.xml", "--json"]
    )
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["passed"] is False
    assert data["stages"][0] == {
        "name": "configuration", "status": "failed", "seconds": data["stages"][0]["seconds"],
        "message": "There is no shipyard.yaml here.",
        "hint": "Pass --config PATH, or create one with `shipyard init`.", "details": {},
    }  # fmt: skip
    report = Path("out/report.md").read_text()
    assert "| configuration | ❌ failed |" in report and "There is no shipyard.yaml here." in report
    assert summary.read_text() == "earlier step\n" + report
    suites = ET.parse("out/ci.xml").getroot()
    stages = suites.find("testsuite")
    assert stages is not None and stages.get("tests") == "10" and stages.get("failures") == "1"
    assert stages.get("skipped") == "9"


def test_the_table_output_names_the_failure(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["--home", str(tmp_path / "h"), "ci"])
    assert result.exit_code == 1
    assert "configuration" in result.output and "There is no shipyard.yaml here." in result.output
    assert "Traceback" not in result.output


def test_a_usage_error_exits_2() -> None:
    assert CliRunner().invoke(app, ["ci", "--no-such-option"]).exit_code == 2
