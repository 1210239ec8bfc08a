"""Smoke tests against a real server: an ephemeral one for a version nobody else can reach,
or one already running; the response contract and each declared case are checked."""

from __future__ import annotations

import httpx
import pytest

import shipyard as sy
from shipyard.core.errors import ConfigurationError
from shipyard.delivery.ephemeral import ephemeral_server
from shipyard.delivery.smoke import SmokeCase, smoke_test
from tests.cli.process import run_shipyard
from tests.registered_model import Registered
from tests.services import free_port

ROW = {"age": 70, "income": 40_000.0, "plan": "basic"}


def test_a_version_passes_its_input_example_and_declared_cases(registered: Registered) -> None:
    expected = int(registered.model.predict(__import__("pandas").DataFrame([ROW]))[0])
    report = smoke_test(
        "churn/1",
        [
            {"name": "old basic customer", "inputs": [ROW], "expect": expected},
            {"name": "labels", "inputs": [ROW, ROW], "expect_range": [0, 1],
             "expect_type": "integer"},
        ],
        workspace=registered.workspace,
    )  # fmt: skip
    assert report.passed, report.failures
    assert [r.case for r in report.results] == ["input example", "old basic customer", "labels"]
    assert report.results[0].predictions is not None and len(report.results[0].predictions) == 5
    assert report.to_dict()["expected_version"] == "churn/1"


def test_failed_cases_say_what_was_wrong(registered: Registered) -> None:
    report = smoke_test(
        "churn/1",
        [
            SmokeCase("wrong label", (ROW,), expect="yes"),
            SmokeCase("unknown plan", ({**ROW, "plan": "gold"},)),
            SmokeCase("too slow", (ROW,), latency_ms=0.001),
        ],
        workspace=registered.workspace,
    )
    assert not report.passed
    failures = "\n".join(report.failures)
    assert "wrong label: row 0: predicted" in failures and "expected 'yes'" in failures
    assert "unknown plan: status 422" in failures and "plan" in failures
    assert "too slow: took" in failures and "over its budget" in failures
    assert report.results[0].passed  # the input example itself is fine


def test_a_server_answering_for_another_version_fails_the_contract(
    registered: Registered,
) -> None:
    with sy.start_run(workspace=registered.workspace) as run:
        run.log_model(registered.model, "churn", input_example=registered.frame.head(5))
    with ephemeral_server("churn/2", workspace=registered.workspace) as url:
        assert httpx.get(f"{url}/health/ready").status_code == 200
        report = smoke_test("churn/1", url=url, workspace=registered.workspace)
    assert not report.passed
    assert any("x-shipyard-version is 'churn/2', expected 'churn/1'" in f for f in report.failures)


def test_a_server_that_is_not_there_is_reported_not_raised(registered: Registered) -> None:
    report = smoke_test(
        "churn/1",
        url=f"http://127.0.0.1:{free_port()}",
        workspace=registered.workspace,
        ready_timeout_s=0.5,
    )
    assert not report.ready and not report.passed
    assert "was not ready within 0.5 s" in report.failures[0]


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ({"inputs": []}, "expected a list of records"),
        ({"inputs": [ROW], "expect_range": [1, 0]}, "low <= high"),
        ({"inputs": [ROW], "expect_type": "decimal"}, "unknown type"),
        ({"inputs": [ROW], "latency_ms": -5}, "positive number"),
        ({"inputs": [ROW], "expect": [1, 2]}, "2 values for 1 input rows"),
        ({"inputs": [ROW], "budget": 5}, "unknown key 'budget'"),
    ],
)
def test_malformed_cases_are_refused_before_any_request(
    case: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        SmokeCase.from_mapping(case, where="smoke[0]")


def test_the_smoke_command_reads_the_cases_of_shipyard_yaml(registered: Registered) -> None:
    project = registered.home.parent
    config = project / "shipyard.yaml"
    config.write_text(
        "smoke:\n"
        "  - name: a probability\n"
        "    inputs: [{age: 70, income: 40000.0, plan: basic}]\n"
        "    expect_range: [0, 1]\n"
        "  - name: a label that never comes\n"
        "    inputs: [{age: 70, income: 40000.0, plan: basic}]\n"
        "    expect: maybe\n"
    )
    failed = run_shipyard("--home", str(registered.home), "smoke", "churn/1", cwd=project,
                          timeout=180)  # fmt: skip
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "a label that never comes" in failed.stdout and "FAIL" in failed.stdout
    config.write_text("smoke:\n  - name: x\n    inputs: [{age: 70}]\n    budget: 3\n")
    refused = run_shipyard("--home", str(registered.home), "smoke", "churn/1", cwd=project)
    assert refused.returncode == 1
    assert "shipyard.yaml:4 smoke[0].budget: unknown key 'budget'" in refused.stderr, refused.stderr
