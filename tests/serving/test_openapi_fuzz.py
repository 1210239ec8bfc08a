"""Schemathesis generates requests from the server's own OpenAPI document (valid ones and
deliberately invalid ones): no input may produce a server error."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings, strategies as st
from schemathesis.checks import not_a_server_error

from tests.serving.server import Server, start_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fuzzed_server(served_home: Path) -> Iterator[Server]:
    running = start_server(served_home, "churn@production", "--max-body", "65536")
    try:
        yield running
    finally:
        running.stop()


@pytest.mark.parametrize("mode", list(schemathesis.GenerationMode))
def test_no_generated_input_makes_the_server_fail(
    fuzzed_server: Server, mode: schemathesis.GenerationMode
) -> None:
    schema = schemathesis.openapi.from_url(f"{fuzzed_server.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 7
    strategy = st.one_of([operation.as_strategy(generation_mode=mode) for operation in operations])
    seen: set[str] = set()

    @given(case=strategy)
    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck),
              database=None)  # fmt: skip
    def call(case: schemathesis.Case) -> None:
        seen.add(case.operation.label)
        case.call_and_validate(base_url=fuzzed_server.url, checks=[not_a_server_error])

    call()
    assert {"POST /predict", "POST /v2/models/{model_name}/infer", "POST /feedback"} <= seen
