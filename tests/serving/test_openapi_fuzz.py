"""The OpenAPI document tells the truth. Schemathesis, run as a user runs it, generates requests
from the server's own document (valid and deliberately invalid ones, every documented
operation and the methods it does not list) and checks every answer: no server error, only
documented status codes, bodies and content types that match their schemas, a 405 with an
``Allow`` header. The requests it once found accepted by the spec but refused by the server
(or the other way round) are replayed, and the spec and the server must agree on each.

Not checked here: that every spec-valid request is accepted. Some rules span two fields (a v2
tensor's ``shape`` against its ``data``, a ``dataframe_split`` row against its ``columns``)
and JSON Schema cannot say them; the server refuses those with a documented 422."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from tests.serving.server import Server, start_server

pytestmark = pytest.mark.slow

CHECKS = ",".join([
    "not_a_server_error", "status_code_conformance", "content_type_conformance",
    "response_schema_conformance", "response_headers_conformance", "unsupported_method",
    "allow_header_conformance", "missing_required_header",
])  # fmt: skip


@pytest.fixture(scope="module")
def fuzzed_server(served_home: Path) -> Iterator[Server]:
    running = start_server(served_home, "churn@production", "--max-body", "65536")
    try:
        yield running
    finally:
        running.stop()


def test_schemathesis_finds_no_disagreement_with_the_document(
    fuzzed_server: Server, tmp_path: Path
) -> None:
    command = [sys.executable, "-m", "schemathesis.cli", "run",
               f"{fuzzed_server.url}/openapi.json", "--checks", CHECKS,
               "--phases", "examples,coverage,fuzzing", "--max-examples", "50",
               "--workers", "1", "--no-color", "--seed", "1"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-20_000:] + done.stderr[-5_000:]
    assert re.search(r"Tested: 7\b", done.stdout), done.stdout  # every operation


GOOD = {"plan": "pro", "age": 30, "spend": 70.5}
V2 = [{"name": "plan", "datatype": "BYTES", "shape": [1], "data": ["pro"]},
      {"name": "age", "datatype": "INT64", "shape": [1], "data": [30]},
      {"name": "spend", "datatype": "FP64", "shape": [1], "data": [70.5]}]  # fmt: skip


def _v2(position: int, **changes: Any) -> dict[str, Any]:
    tensors = [dict(tensor) for tensor in V2]
    tensors[position].update(changes)
    return {"inputs": tensors}


CASES = [  # path, schema, body, whether the spec (and so the server) accepts it
    ("/predict", "PredictRequest", {"instances": [{**GOOD, "age": 2**63 - 1}]}, True),
    ("/predict", "PredictRequest", {"instances": [{**GOOD, "age": 2**63}]}, False),
    ("/predict", "PredictRequest", {"instances": [{**GOOD, "age": -(2**63) - 1}]}, False),
    ("/predict", "PredictRequest",
     {"dataframe_split": {"columns": list(GOOD), "data": [list(GOOD.values())], "index": [7]}},
     True),
    ("/predict", "PredictRequest",
     {"dataframe_split": {"columns": list(GOOD), "data": [list(GOOD.values())], "x": 1}}, False),
    ("/predict", "PredictRequest",
     {"dataframe_split": {"columns": list(GOOD), "data": [list(GOOD.values())], "index": {}}},
     False),
    ("/feedback", "Feedback", {"request_id": "r", "label": 1, "row": 3.0}, True),
    ("/feedback", "Feedback", {"request_id": "r", "label": 1, "row": 1.5}, False),
    ("/feedback", "Feedback", {"request_id": "r", "label": 1, "row": 2**31}, False),
    ("/feedback", "Feedback", {"request_id": "r", "label": 1, "extra": 2}, False),
    ("/feedback", "Feedback", {"feedback": [{"request_id": "r", "label": 1}]}, True),
    ("/feedback", "Feedback", {"feedback": [{"request_id": "r", "label": 1}], "x": 1}, False),
    ("/v2/models/churn/infer", "InferRequest", _v2(2, datatype="INT32", data=[70]), True),
    ("/v2/models/churn/infer", "InferRequest", _v2(0, datatype="FP64", data=[1.0]), False),
    ("/v2/models/churn/infer", "InferRequest", _v2(1, datatype="FP32", data=[30.0]), False),
    ("/v2/models/churn/infer", "InferRequest", _v2(1, shape=[1.0]), True),
    ("/v2/models/churn/infer", "InferRequest", {"inputs": V2[:2]}, False),
]  # fmt: skip


def test_the_spec_and_the_server_agree_on_what_they_found_apart(fuzzed_server: Server) -> None:
    with httpx.Client(base_url=fuzzed_server.url, timeout=10) as client:
        document = client.get("/openapi.json").json()
        for path, schema, body, valid in CASES:
            validator = jsonschema.Draft202012Validator(
                {"$ref": f"#/components/schemas/{schema}", "components": document["components"]}
            )
            assert validator.is_valid(body) == valid, (schema, body)
            answer = client.post(path, json=body)
            assert answer.is_success == valid, (path, body, answer.text)
            if not valid:
                assert answer.status_code == 422, (path, body, answer.text)


def test_a_405_says_which_methods_the_path_takes(fuzzed_server: Server) -> None:
    with httpx.Client(base_url=fuzzed_server.url, timeout=10) as client:
        for method, path, allowed in [("GET", "/predict", "POST"), ("TRACE", "/metrics", "GET"),
                                      ("PUT", "/v2/models/churn/infer", "POST"),
                                      ("POST", "/v2/models/churn", "GET")]:  # fmt: skip
            answer = client.request(method, path)
            assert answer.status_code == 405 and answer.headers["allow"] == allowed
