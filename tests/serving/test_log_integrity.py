"""The prediction log is never poisoned and never writes twice: a record it cannot store is set
aside, a flush that partly succeeded requeues only what it did not write, and the server
refuses feedback the log could not store, so every answered prediction is logged once."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pandas as pd
import pytest

from shipyard._store.artifacts import ArtifactStore
from shipyard.serving.prediction_log import (
    Feedback,
    PredictionBatch,
    PredictionLog,
    PredictionLogReader,
)
from tests.serving.conftest import models_home
from tests.serving.models import GOOD
from tests.serving.server import Server, start_server
from tests.serving.test_prediction_log import _batch


@pytest.fixture
def store(tmp_path: Path) -> ArtifactStore:
    return ArtifactStore(str(tmp_path / "artifacts"))


def _invariant(log: PredictionLog) -> None:
    stats = log.stats
    assert stats.accepted == stats.written + stats.pending + stats.rejected


def test_a_record_the_log_cannot_store_is_set_aside_and_the_rest_is_written(
    store: ArtifactStore,
) -> None:
    mixed = PredictionBatch(
        deployment="churn-prod", model="churn", version=1,
        inputs=pd.DataFrame({"plan": ["pro", 3], "age": [1, 2], "spend": [1.5, 2.5]}),
        predictions=[0, 1], request_ids=["mixed", "mixed"],
    )  # fmt: skip
    deep: object = 1
    for _ in range(300):
        deep = [deep]
    too_deep = PredictionBatch(
        deployment="churn-prod", model="churn", version=1, inputs=pd.DataFrame({"plan": ["pro"],
        "age": [1], "spend": [1.5]}), predictions=[deep], request_ids=["deep"],
    )  # fmt: skip
    log = PredictionLog(store, flush_interval=60)
    log.write(_batch(["a", "b"]))
    log.write(mixed)
    log.write(_batch(["c"]))
    log.write(too_deep)
    log.write(_batch(["d", "e", "f"]))
    log.write_feedback([Feedback("churn-prod", "a", 1), Feedback("churn-prod", "b", 0)])
    log.flush()  # does not raise: nothing is wrong with the storage
    _invariant(log)
    stats = log.stats
    assert (stats.written, stats.pending, stats.rejected) == (8, 0, 3)
    assert stats.last_error is None
    assert sorted(PredictionLogReader(store).predictions()["request_id"]) == list("abcdef")
    rejects = sorted((Path(store.root) / "predictions" / "_rejects").glob("*.json"))
    described = [orjson.loads(path.read_bytes()) for path in rejects]
    assert sorted(d["request_ids"][0] for d in described) == ["deep", "mixed"]
    assert all(d["error"] for d in described)
    log.write(_batch(["g"]))  # the log keeps working
    log.close()
    _invariant(log)
    assert log.stats.written == 9


def test_a_flush_that_partly_succeeded_never_writes_twice(store: ArtifactStore) -> None:
    blocked = Path(store.root) / "predictions" / "deployment=b"
    blocked.parent.mkdir(parents=True)
    blocked.write_text("not a folder: this partition cannot be written")
    log = PredictionLog(store, flush_interval=60)
    log.write(_batch(["a1", "a2"], deployment="a"))
    log.write(_batch(["b1"], deployment="b"))
    log.write(_batch(["a3"], deployment="a", version=2))
    with pytest.raises(OSError):
        log.flush()
    stats = log.stats
    assert stats.last_error and stats.failed_flushes == 1
    _invariant(log)
    assert stats.written + stats.pending == 4 and stats.written >= 2
    blocked.unlink()
    log.flush()
    log.flush()
    log.close()
    _invariant(log)
    assert log.stats.written == 4 and log.stats.last_error is None
    ids = PredictionLogReader(store).predictions()["request_id"].tolist()
    assert sorted(ids) == ["a1", "a2", "a3", "b1"]


# -- the real server ---------------------------------------------------------------------


def _nested(depth: int) -> object:
    value: object = 1
    for _ in range(depth):
        value = [value]
    return value


BAD_FEEDBACK = [
    ({"request_id": "p-0", "label": 1, "row": 3_000_000_000}, "row"),
    ({"request_id": "p-0", "label": 1, "row": 2**64 - 1}, "row"),
    ({"request_id": "p-0", "label": 1, "row": 1e29}, "row"),
    ({"request_id": "p-0", "label": 1, "row": 1.5}, "row"),
    ({"request_id": "p-0", "label": _nested(300)}, "label"),
    ({"feedback": [{"request_id": "p-1", "label": 1}, {"request_id": "p-1", "label": 0,
                                                        "row": 2**31}]}, "feedback[1].row"),
]  # fmt: skip


@pytest.fixture(scope="module")
def logging_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Server, ArtifactStore]]:
    home = models_home(tmp_path_factory.mktemp("log-integrity"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SHIPYARD_PREDICTION_LOG_FLUSH_INTERVAL", "0.2")
        running = start_server(home, "churn@production")
    try:
        yield running, ArtifactStore(str(home / "artifacts"))
    finally:
        running.stop()


@pytest.mark.slow
def test_feedback_the_log_cannot_store_is_refused_and_every_answer_is_logged_once(
    logging_server: tuple[Server, ArtifactStore],
) -> None:
    server, store = logging_server
    answered = 0
    with httpx.Client(base_url=server.url, timeout=10) as client:
        for position in range(10):
            reply = client.post("/predict", json={"instances": [GOOD]},
                                headers={"x-request-id": f"p-{position}"})  # fmt: skip
            answered += reply.status_code == 200
        for body, field in BAD_FEEDBACK:
            refused = client.post("/feedback", content=json.dumps(body),  # orjson stops at 254
                                  headers={"content-type": "application/json"})  # fmt: skip
            assert refused.status_code == 422, (body, refused.text)
            assert refused.json()["error"]["problems"][0]["field"].endswith(field)
        labelled = client.post(
            "/feedback",
            json={
                "feedback": [
                    {"request_id": "p-2", "label": 1},
                    {"request_id": "p-3", "label": 0, "row": 0.0},
                ]
            },
        )
        assert labelled.status_code == 202
        for position in range(10, 40):
            reply = client.post("/predict", json={"instances": [GOOD]},
                                headers={"x-request-id": f"p-{position}"})  # fmt: skip
            answered += reply.status_code == 200
    assert answered == 40
    reader = PredictionLogReader(store)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and reader.count() < answered:
        time.sleep(0.2)
    time.sleep(0.5)  # two more flush intervals: nothing may be written twice
    frame = reader.predictions("churn-production", with_feedback=True)
    assert len(frame) == answered
    assert sorted(frame["request_id"]) == sorted(f"p-{i}" for i in range(40))
    labels = frame.set_index("request_id")["label"]
    assert labels["p-2"] == 1 and labels["p-3"] == 0 and pd.isna(labels["p-1"])
