"""A real server (`shipyard serve churn@production` in a subprocess): every payload shape, every
bad input as a 4xx naming the field, the operational endpoints, feedback and the client."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import orjson
import pandas as pd
import pytest

from shipyard._store.artifacts import ArtifactStore
from shipyard.core.errors import InputValidationError, NotFoundError
from shipyard.serving.client import Client
from shipyard.serving.prediction_log import PredictionLogReader
from tests.serving.models import GOOD, customers
from tests.serving.server import Server


def post(server: Server, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
    if body is not None:
        kwargs["json"] = body
    return httpx.post(server.url + path, timeout=10, **kwargs)


def test_predictions_in_every_shape_are_plain_json_and_name_the_version(server: Server) -> None:
    rows = [GOOD, {"plan": "basic", "age": 70, "spend": 10.0}]
    shapes = [
        {"instances": rows},
        {"instances": [["pro", 30, 70.5], ["basic", 70, 10.0]]},
        {"dataframe_records": rows},
        {"dataframe_split": {"columns": ["plan", "age", "spend"],
                             "data": [["pro", 30, 70.5], ["basic", 70, 10.0]]}},
        {"inputs": {"plan": ["pro", "basic"], "age": [30, 70], "spend": [70.5, 10.0]}},
    ]  # fmt: skip
    answers = []
    for body in shapes:
        for path in ("/predict", "/invocations"):
            response = post(server, path, body)
            assert response.status_code == 200, response.text
            answers.append(response.json()["predictions"])
            assert response.headers["x-shipyard-version"] == "churn/1"
    assert all(answer == answers[0] for answer in answers)
    assert all(type(p) is int for p in answers[0])
    data = response.json()
    assert (data["model"], data["version"]) == ("churn", 1)
    assert response.headers["x-request-id"] == data["request_id"]
    named = post(server, "/predict", {"instances": [GOOD]}, headers={"x-request-id": "mine-1"})
    assert named.json()["request_id"] == "mine-1"
    assert post(server, "/predict", {"instances": []}).json()["predictions"] == []


def test_a_missing_column_is_named(server: Server) -> None:
    response = post(server, "/predict", {"instances": [{"plan": "pro", "age": 30}]})
    assert response.status_code == 422
    assert response.json()["error"]["problems"] == [
        {"field": "spend", "problem": "is missing; the model's signature requires this column"}
    ]


@pytest.mark.parametrize(
    ("record", "field", "problem"),
    [
        ({"plan": "pro", "age": "thirty", "spend": 1.0}, "age[0]", "expected an integer"),
        ({"plan": "pro", "age": 30}, "spend[0]", "is absent from this record"),
        ({"plan": "pro", "age": 30, "spend": 1.0, "tenure": 3}, "tenure", "not an input"),
        ({"plan": "pro", "age": None, "spend": 1.0}, "age[0]", "does not allow nulls"),
        ({"plan": "gold", "age": 30, "spend": 1.0}, "plan[0]", "unknown category 'gold'"),
        ({"plan": "pro", "age": 30, "spend": "1.0"}, "spend[0]", "expected a number"),
        ({"plan": "pro", "age": 30.5, "spend": 1.0}, "age[0]", "expected an integer"),
        ({"plan": "pro", "age": True, "spend": 1.0}, "age[0]", "expected an integer"),
        ({"plan": 3, "age": 30, "spend": 1.0}, "plan[0]", "expected a string"),
        ({"plan": "pro", "age": [1], "spend": 1.0}, "age[0]", "expected an integer"),
    ],
)
def test_every_bad_value_is_a_422_naming_the_field(
    server: Server, record: dict[str, Any], field: str, problem: str
) -> None:
    response = post(server, "/predict", {"instances": [GOOD, record]})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["type"] == "InputValidationError"
    fields = {p["field"].replace("[1]", "[0]"): p["problem"] for p in error["problems"]}
    assert field in fields and problem in fields[field], fields


@pytest.mark.parametrize(
    ("content", "status", "kind"),
    [
        (b'{"instances": [{"plan": ', 400, "MalformedRequestError"),
        (b"\xff\xfe", 400, "MalformedRequestError"),
        (b"[1, 2]", 422, "InputValidationError"),
        (b'{"instances": "x"}', 422, "InputValidationError"),
        (b'{"rows": []}', 422, "InputValidationError"),
        (b"x" * 70_000, 413, "PayloadTooLargeError"),
    ],
)
def test_malformed_and_oversized_bodies(
    server: Server, content: bytes, status: int, kind: str
) -> None:
    response = post(server, "/predict", content=content)
    assert response.status_code == status, response.text
    assert response.json()["error"]["type"] == kind


def test_an_oversized_streamed_body_is_refused(server: Server) -> None:
    def chunks() -> Any:
        for _ in range(100):
            yield b" " * 1000

    response = httpx.post(server.url + "/predict", content=chunks(), timeout=10)
    assert response.status_code == 413


def test_unknown_paths_and_methods(server: Server) -> None:
    assert httpx.get(server.url + "/nowhere").status_code == 404
    assert httpx.get(server.url + "/predict").status_code == 405
    assert httpx.get(server.url + "/v2/models/churn/infer").status_code == 405
    assert httpx.get(server.url + "/v2/models/other").status_code == 404
    assert httpx.get(server.url + "/v2/models/churn/versions/9").status_code == 404


@pytest.mark.parametrize("version", ["%C2%B2", "1" * 5000, "9" * 25, "0", "-1", "1.0", "%EF%BC%91"])
def test_a_version_that_is_not_ascii_digits_in_range_is_a_400(server: Server, version: str) -> None:
    response = httpx.get(f"{server.url}/v2/models/churn/versions/{version}")
    assert response.status_code == 400, response.text
    assert response.json()["detail"]["type"] == "UsageError"  # the protocol's error shape
    infer = httpx.post(f"{server.url}/v2/models/churn/versions/{version}/infer", json={})
    assert infer.status_code == 400, infer.text


def test_a_bad_request_in_a_batch_does_not_fail_the_others(server: Server) -> None:
    import concurrent.futures

    bodies = [{"instances": [GOOD]} if i % 3 else {"instances": [{"plan": "x"}]}
              for i in range(60)]  # fmt: skip
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(lambda b: post(server, "/predict", b).status_code, bodies))
    assert statuses == [200 if i % 3 else 422 for i in range(60)]


def test_open_inference_protocol_v2(server: Server) -> None:
    body = {"id": "v2-1", "inputs": [
        {"name": "plan", "shape": [2], "datatype": "BYTES", "data": ["pro", "basic"]},
        {"name": "age", "shape": [2, 1], "datatype": "INT64", "data": [[30], [70]]},
        {"name": "spend", "shape": [2], "datatype": "FP32", "data": [70.5, 10.0]},
    ]}  # fmt: skip
    response = post(server, "/v2/models/churn/infer", body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["model_name"], answer["model_version"], answer["id"]) == ("churn", "1", "v2-1")
    assert answer["outputs"][0]["shape"] == [2] and answer["outputs"][0]["datatype"] == "INT64"
    pinned = post(server, "/v2/models/churn/versions/1/infer", body)
    assert pinned.json()["outputs"] == answer["outputs"]
    body["inputs"][1]["datatype"] = "BYTES"
    wrong = post(server, "/v2/models/churn/infer", body)
    assert wrong.status_code == 422 and wrong.json()["detail"]["problems"][0]["field"] == "age"
    assert wrong.json()["error"].startswith("Input does not match")  # the protocol's shape
    metadata = httpx.get(server.url + "/v2/models/churn").json()
    assert [i["name"] for i in metadata["inputs"]] == ["plan", "age", "spend"]
    assert metadata["versions"] == ["1"]
    assert httpx.get(server.url + "/v2/models/churn/ready").json()["ready"] is True
    assert httpx.get(server.url + "/v2").json()["name"] == "shipyard"
    assert httpx.get(server.url + "/v2/health/ready").status_code == 200


def test_health_metrics_and_openapi(server: Server) -> None:
    assert httpx.get(server.url + "/health/live").json() == {"status": "live"}
    ready = httpx.get(server.url + "/health/ready").json()
    assert ready["serving"][0]["version"] == 1 and ready["deployment"] == "churn-production"
    post(server, "/predict", {"instances": [GOOD]})
    metrics = httpx.get(server.url + "/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    assert 'shipyard_requests_total{endpoint="/predict",version="churn/1",status="200"}' in text
    assert 'shipyard_request_duration_seconds_bucket{endpoint="/predict",version="churn/1",' in text
    assert 'shipyard_batch_size_count{version="churn/1",role="serve"}' in text
    assert "shipyard_prediction_log_pending_rows" in text
    document = httpx.get(server.url + "/openapi.json").json()
    record = document["components"]["schemas"]["Record"]
    assert record["properties"]["plan"] == {"type": "string", "enum": ["basic", "plus", "pro"]}
    assert record["properties"]["age"] == {"type": "integer", "minimum": -(2**63),
                                           "maximum": 2**63 - 1}  # fmt: skip
    assert record["required"] == ["plan", "age", "spend"]
    assert "/v2/models/{model_name}/infer" in document["paths"]


def test_predictions_and_feedback_reach_the_prediction_log(
    server: Server, served_home: Path
) -> None:
    answer = post(server, "/predict", {"instances": [GOOD, GOOD]},
                  headers={"x-request-id": "logged-1"})  # fmt: skip
    assert answer.status_code == 200
    accepted = post(server, "/feedback", {"feedback": [
        {"request_id": "logged-1", "label": 1}, {"request_id": "logged-1", "row": 1, "label": 0},
    ]})  # fmt: skip
    assert accepted.status_code == 202 and accepted.json() == {"accepted": 2}
    for bad, field in [({"label": 1}, "request_id"), ({"request_id": "x"}, "label"),
                       ({"request_id": "x", "label": 1, "row": -1}, "row"),
                       ({"request_id": "x", "label": 1, "why": 2}, "why"),
                       ({"feedback": []}, "feedback")]:  # fmt: skip
        refused = post(server, "/feedback", bad)
        assert refused.status_code == 422, bad
        assert field in refused.json()["error"]["problems"][0]["field"]
    reader = PredictionLogReader(ArtifactStore(str(served_home / "artifacts")))
    deadline = time.monotonic() + 15
    rows = pd.DataFrame()
    while time.monotonic() < deadline:
        frame = reader.predictions("churn-production", with_feedback=True)
        rows = frame[frame["request_id"] == "logged-1"]
        if len(rows) == 2 and rows["label"].notna().all():
            break
        time.sleep(0.2)
    assert rows["label"].tolist() == [1, 0]
    assert rows["inputs"].iloc[0] == GOOD
    assert rows["model_version"].tolist() == [1, 1] and (rows["latency_ms"] > 0).all()
    assert rows["prediction"].tolist() == answer.json()["predictions"]


def test_the_python_client(server: Server) -> None:
    frame = customers(5)
    with Client(server.url) as client:
        assert client.ready()
        predictions = client.predict(frame)
        assert len(predictions) == 5 and all(type(p) is int for p in predictions)
        assert client.predict(GOOD) == client.predict([GOOD])
        result = client.infer([GOOD], request_id="client-1", key="customer-9")
        assert (result.model, result.version, result.request_id) == ("churn", 1, "client-1")
        client.feedback("client-1", 1)
        with pytest.raises(InputValidationError) as info:
            client.predict(frame.drop(columns=["age"]))
        assert info.value.problems[0].field == "age"
        assert client.metadata()["deployment"] == "churn-production"
    with (
        Client(server.url.replace("127.0.0.1", "localhost") + "/nope") as lost,
        pytest.raises(NotFoundError),
    ):
        lost.predict([GOOD])


@pytest.mark.parametrize("field", ["plan", "age", "spend"])
def test_a_field_nested_a_thousand_lists_deep_is_a_422_naming_it(
    server: Server, field: str
) -> None:
    deep = b"[" * 1000 + b"1" + b"]" * 1000  # deeper than any JSON encoder writes
    record = orjson.dumps({**GOOD, field: "DEEP"}).replace(b'"DEEP"', deep)
    body = b'{"instances": [' + orjson.dumps(GOOD) + b", " + record + b"]}"
    response = post(server, "/predict", content=body)
    assert response.status_code == 422, response.text
    (problem,) = response.json()["error"]["problems"]
    assert problem["field"] == f"{field}[1]"
    assert "list [[[[…]]]]" in problem["problem"] and len(problem["problem"]) < 100
    assert post(server, "/predict", {"instances": [GOOD]}).status_code == 200
