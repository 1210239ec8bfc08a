"""Each bad input is a failed stage with one clear sentence, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

import shipyard as sy
from shipyard._store.workspace import Workspace
from shipyard.ci.candidate import check_package
from shipyard.ci.checks import StageFailed
from shipyard.ci.result import CIResult
from shipyard.ci.runner import ci
from tests.pipeline.project import CONFIG, make_project
from tests.registered_model import Registered, registered  # noqa: F401


def _statuses(result: CIResult) -> dict[str, str]:
    return {stage.name: stage.status for stage in result.stages}


def test_no_shipyard_yaml_fails_the_configuration_stage(sqlite_workspace: Workspace) -> None:
    result = ci(workspace=sqlite_workspace)
    stage = result.stage("configuration")
    assert stage.status == "failed"
    assert stage.message == "There is no shipyard.yaml here."
    assert set(_statuses(result).values()) == {"failed", "skipped"}
    assert result.exit_code == 1


def test_a_check_command_not_found_is_named(tmp_path: Path, sqlite_workspace: Workspace) -> None:
    config = make_project(tmp_path, config=CONFIG + "ci:\n  checks: [no-such-linter --strict .]\n")
    result = ci(config, run_tests=False, workspace=sqlite_workspace)
    stage = result.stage("checks")
    assert stage.status == "failed"
    assert stage.message == (
        "Check `no-such-linter --strict .`: the command 'no-such-linter' was not found."
    )
    assert result.stage("pipeline").status == "skipped"


def test_a_failing_check_reports_its_exit_code(tmp_path: Path, sqlite_workspace: Workspace) -> None:
    checks = (
        "ci:\n  checks:\n    - [python, -c, \"import sys; print('3 problems'); sys.exit(3)\"]\n"
    )
    config = make_project(tmp_path, config=CONFIG + checks)
    result = ci(config, run_tests=False, workspace=sqlite_workspace)
    assert result.stage("checks").message.endswith("failed with exit code 3: 3 problems")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("def test_ok():\n    assert 1 == 2\n", "1 failed"),
        ("import no_such_module_here\n\ndef test_ok():\n    pass\n", "1 error"),
    ],
)
def test_failing_or_erroring_tests_fail_the_tests_stage(
    tmp_path: Path, sqlite_workspace: Workspace, body: str, expected: str
) -> None:
    config = make_project(tmp_path)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_thing.py").write_text(body)
    result = ci(config, workspace=sqlite_workspace)
    stage = result.stage("tests")
    assert stage.status == "failed"
    assert stage.message.startswith(f"The tests did not pass: {expected}")
    assert "test_thing.py" in stage.message
    assert result.stage("checks").status == "passed"
    assert result.stage("pipeline").status == "skipped"


def test_an_unreachable_store_fails_the_configuration_stage(tmp_path: Path) -> None:
    config = make_project(tmp_path)
    settings = sy.load_settings(
        home=tmp_path / "h", store_url="postgresql+psycopg://u@127.0.0.1:9/x"
    )
    result = ci(config, settings=settings)
    stage = result.stage("configuration")
    assert stage.status == "failed"
    assert "127.0.0.1" in stage.message and "\n" not in stage.message
    assert result.exit_code == 1


def test_a_candidate_that_will_not_load_is_one_sentence(registered: Registered) -> None:  # noqa: F811
    ws = registered.workspace
    for blob in Path(ws.settings.resolved_artifacts_url).rglob("*"):
        if blob.is_file():
            blob.write_bytes(b"damaged")
    with pytest.raises(StageFailed) as failed:
        check_package("churn/1", trusted=False, max_mb=100, workspace=ws)
    assert failed.value.message.startswith("churn/1 does not load: ")
    assert "\n" not in failed.value.message


def test_a_tampered_audit_log_fails_the_configuration_stage(
    tmp_path: Path, sqlite_workspace: Workspace
) -> None:
    from sqlalchemy import text

    sy.set_policy("churn", "production", gates=[], workspace=sqlite_workspace)  # one event
    config = make_project(tmp_path)
    with sqlite_workspace.db.engine.begin() as connection:
        connection.execute(text("UPDATE audit_events SET actor = 'someone else'"))
    result = ci(config, run_checks=False, run_tests=False, workspace=sqlite_workspace)
    stage = result.stage("configuration")
    assert stage.status == "failed"
    assert stage.message.startswith("The store's audit log was tampered with:")
    assert result.exit_code == 1
