"""The prediction log: batched Parquet writes, DuckDB reads, feedback joins, backpressure,
and the count of what a crash could lose."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from shipyard._store.artifacts import ArtifactStore
from shipyard.core.errors import StorageUnavailableError, UsageError
from shipyard.serving.prediction_log import (
    Feedback,
    PredictionBatch,
    PredictionLog,
    PredictionLogFullError,
    PredictionLogReader,
)
from tests.services import SeaweedServer, free_port


def _batch(ids: list[str], *, version: int = 1, deployment: str = "churn-prod",
           when: datetime | None = None) -> PredictionBatch:  # fmt: skip
    frame = pd.DataFrame({"plan": ["pro"] * len(ids), "age": list(range(len(ids))),
                          "spend": [1.5] * len(ids)})  # fmt: skip
    return PredictionBatch(
        deployment=deployment, model="churn", version=version, inputs=frame,
        predictions=[i % 2 for i in range(len(ids))], request_ids=ids, latency_ms=2.5,
        **({"time": when} if when else {}),
    )  # fmt: skip


@pytest.fixture
def store(artifacts_url: str) -> ArtifactStore:
    """The log's store: a local folder, then a prefix on a real S3 server."""
    return ArtifactStore(artifacts_url)


def _files(store: ArtifactStore) -> list[str]:
    """Every file under the store's root, relative to it, hidden ones included."""
    if not store.fs.exists(store.root):
        return []
    return sorted(p.removeprefix(f"{store.root}/") for p in store.fs.find(store.root))


def test_batches_are_written_partitioned_and_read_back(store: ArtifactStore) -> None:
    yesterday = datetime.now(UTC) - timedelta(days=1)
    with PredictionLog(store, flush_interval=60) as log:
        log.write(_batch(["a", "a", "b"]))
        log.write(_batch(["c"], version=2))
        log.write(_batch(["old"], when=yesterday))
        log.write(_batch(["x"], deployment="other"))
        assert log.stats.pending == 6 and log.stats.written == 0
    assert log.stats.written == 6 and log.stats.pending == 0
    files = _files(store)
    assert all(f.rpartition("/")[2].startswith("part-") for f in files if ".parquet" in f)
    folders = sorted(f.rpartition("/")[0] for f in files if f.endswith(".parquet"))
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    assert f"predictions/deployment=churn-prod/model_version=1/date={today}" in folders
    assert f"predictions/deployment=churn-prod/model_version=2/date={today}" in folders
    assert f"predictions/deployment=other/model_version=1/date={today}" in folders
    assert len(folders) == 4

    reader = PredictionLogReader(store)
    frame = reader.predictions("churn-prod")
    assert list(frame["request_id"]) == ["old", "a", "a", "b", "c"]
    assert list(frame["row"]) == [0, 0, 1, 0, 0]
    assert list(frame["model_version"]) == [1, 1, 1, 1, 2]
    assert frame["inputs"].iloc[2] == {"plan": "pro", "age": 1, "spend": 1.5}
    assert frame["prediction"].tolist() == [0, 0, 1, 0, 0]
    assert type(frame["prediction"].iloc[0]) is int
    assert frame["latency_ms"].tolist() == [2.5] * 5
    assert len(reader.predictions("churn-prod", version=2)) == 1
    since = datetime.now(UTC) - timedelta(hours=1)
    assert len(reader.predictions("churn-prod", since=since)) == 4
    assert reader.count() == 6 and reader.count("other") == 1


def test_feedback_labels_join_by_request_id_and_row(store: ArtifactStore) -> None:
    log = PredictionLog(store, flush_interval=60)
    log.write(_batch(["r1", "r1", "r2"]))
    log.write_feedback([Feedback("churn-prod", "r1", "yes", row=1),
                        Feedback("churn-prod", "r2", {"score": 0.5})])  # fmt: skip
    log.flush()
    log.write_feedback([Feedback("churn-prod", "r2", 1)])  # a later label wins
    log.close()
    reader = PredictionLogReader(store)
    joined = reader.predictions("churn-prod", with_feedback=True)
    assert joined[["request_id", "row"]].values.tolist() == [["r1", 0], ["r1", 1], ["r2", 0]]
    assert joined["label"].tolist() == [None, "yes", 1]
    assert reader.feedback("churn-prod")["label"].tolist()[:2] in (
        ["yes", {"score": 0.5}],
        [{"score": 0.5}, "yes"],
    )


def test_the_background_thread_flushes_every_interval(store: ArtifactStore) -> None:
    log = PredictionLog(store, flush_interval=0.05)
    log.write(_batch(["a"]))
    deadline = time.monotonic() + 10
    while log.stats.written < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert log.stats.written == 1
    assert PredictionLogReader(store).count() == 1
    log.close()


def test_a_full_queue_waits_instead_of_dropping_and_nothing_is_lost(tmp_path: Path) -> None:
    store = ArtifactStore(str(tmp_path / "artifacts"))
    blocker = Path(store.root) / "predictions"
    blocker.parent.mkdir(parents=True)
    blocker.write_text("not a folder: every write fails")
    log = PredictionLog(store, flush_interval=0.02, max_pending_rows=4)
    log.write(_batch(["a", "b", "c"]))
    with pytest.raises(PredictionLogFullError, match="no room"):
        log.write(_batch(["d", "e"]), timeout=0.2)
    stats = log.stats
    assert stats.pending == 3 and stats.failed_flushes >= 1 and stats.last_error
    assert stats.waits == 1

    def unblock() -> None:
        time.sleep(0.2)
        blocker.unlink()

    threading.Thread(target=unblock).start()
    log.write(_batch(["d", "e"]), timeout=10)  # waits until the store works again
    log.close()
    assert log.stats.accepted == log.stats.written == 5
    assert sorted(PredictionLogReader(store).predictions()["request_id"]) == list("abcde")


_CRASH = """
import os, signal, sys
sys.path.insert(0, {root!r})
from shipyard._store.artifacts import ArtifactStore
from shipyard.serving.prediction_log import PredictionLog
from tests.serving.test_prediction_log import _batch
log = PredictionLog(ArtifactStore({store!r}), flush_interval=60, writer_id="crashed")
log.write(_batch(["b"]))
log.flush()
log.write(_batch(["c", "d"]))
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_writers_report_what_a_crash_could_lose(store: ArtifactStore) -> None:
    clean = PredictionLog(store, flush_interval=60, writer_id="clean")
    clean.write(_batch(["a"]))
    clean.close()
    root = str(Path(__file__).resolve().parents[2])
    script = _CRASH.format(root=root, store=store.url)
    died = subprocess.run([sys.executable, "-c", script], check=False, capture_output=True)
    assert died.returncode == -signal.SIGKILL, died.stderr
    reports = {r.writer: r for r in PredictionLogReader(store).writers()}
    assert reports["clean"].clean and reports["clean"].at_risk == 0
    crashed = reports["crashed"]
    assert not crashed.clean
    assert (crashed.accepted, crashed.written, crashed.pending) == (1, 1, 0)
    assert crashed.at_risk >= 0 and crashed.rows_per_second > 0
    assert PredictionLogReader(store).count() == 2  # a, b: c and d died with the process


def test_reading_an_empty_log(store: ArtifactStore) -> None:
    reader = PredictionLogReader(store)
    assert reader.predictions().empty
    assert reader.predictions(with_feedback=True).columns[-1] == "label"
    assert reader.feedback().empty and reader.count() == 0 and reader.writers() == []


def test_a_remote_filesystem_works_through_fsspec(tmp_path: Path) -> None:
    store = ArtifactStore("memory://shipyard-test-log")
    with PredictionLog(store, flush_interval=60) as log:
        log.write(_batch(["m1", "m2"]))
    assert PredictionLogReader(store).predictions()["request_id"].tolist() == ["m1", "m2"]
    store.fs.rm(store.root, recursive=True)


def test_bad_batches_are_refused() -> None:
    frame = pd.DataFrame({"a": [1, 2]})
    with pytest.raises(UsageError, match="one prediction"):
        PredictionBatch("d", "m", 1, frame, [1], ["r", "r"])
    with pytest.raises(UsageError, match="role"):
        PredictionBatch("d", "m", 1, frame, [1, 2], ["r", "r"], role="canary")
    with pytest.raises(UsageError, match="not a valid model name"):
        PredictionBatch("bad name", "m", 1, frame, [1, 2], ["r", "r"])
    with pytest.raises(UsageError, match="request id"):
        Feedback("d", "", 1)


def test_array_predictions_and_ids_are_logged_as_the_same_json_as_plain_values() -> None:
    """The batch path hands NumPy arrays over (one vectorised cast); what lands in the log is
    the JSON a plain list would give, non-finite numbers included (null, never 'nan')."""
    import json

    import numpy as np
    import pyarrow as pa

    from shipyard.serving.prediction_log import PredictionBatch, predictions_table

    inputs = pa.RecordBatch.from_pydict({"x": [1.0, 2.0, 3.0]})
    cases = {
        "float": (np.array([0.25, 1e-07, 3.0]), [0.25, 1e-07, 3.0]),
        "int": (np.array([0, 1, 7]), [0, 1, 7]),
        "bool": (np.array([True, False, True]), [True, False, True]),
        "nan": (np.array([0.5, np.nan, np.inf]), [0.5, None, None]),
        "text": (np.array(["a", 'b"', "c"], dtype=object), ["a", 'b"', "c"]),
    }
    for name, (values, expected) in cases.items():
        batch = PredictionBatch(deployment="d", model="m", version=1, inputs=inputs,
                                predictions=values, request_ids=np.array([10, 11, 12]),
                                rows=np.zeros(3, np.int32))  # fmt: skip
        table = predictions_table([batch])
        assert [json.loads(v) for v in table.column("prediction").to_pylist()] == expected, name
        assert table.column("request_id").to_pylist() == ["10", "11", "12"]
        assert table.column("inputs").to_pylist() == [{"x": 1.0}, {"x": 2.0}, {"x": 3.0}]


def test_record_batches_of_one_flush_are_joined_in_order_whatever_their_types() -> None:
    """Stream workers hand their inputs over as Arrow record batches; a flush joins them in
    Arrow when their types agree, through pandas when they do not (a column all null in one
    batch), and mixes them with pandas frames (online serving) just as well."""
    import pyarrow as pa

    from shipyard.serving.prediction_log import PredictionBatch, predictions_table

    def batch(inputs: pd.DataFrame | pa.RecordBatch, first: int) -> PredictionBatch:
        ids = [f"r{first + i}" for i in range(len(inputs))]
        return PredictionBatch(deployment="d", model="m", version=1, inputs=inputs,
                               predictions=[0] * len(ids), request_ids=ids)  # fmt: skip

    one = pa.RecordBatch.from_pydict({"plan": ["pro", "free"], "age": [30, 40]})
    two = pa.RecordBatch.from_pydict({"plan": ["team"], "age": [50]})
    nulls = pa.RecordBatch.from_pydict({"plan": [None], "age": [60]})
    frame = pd.DataFrame({"plan": ["pro"], "age": [70]})
    expected = [{"plan": "pro", "age": 30}, {"plan": "free", "age": 40},
                {"plan": "team", "age": 50}]  # fmt: skip

    joined = predictions_table([batch(one, 0), batch(two, 2)])
    assert joined.column("inputs").to_pylist() == expected
    assert joined.column("request_id").to_pylist() == ["r0", "r1", "r2"]
    assert joined.schema.field("inputs").type == pa.struct(one.schema)

    mixed = predictions_table([batch(one, 0), batch(two, 2), batch(nulls, 3), batch(frame, 4)])
    assert mixed.column("inputs").to_pylist() == [
        *expected, {"plan": None, "age": 60}, {"plan": "pro", "age": 70},
    ]  # fmt: skip


def test_a_flush_of_many_listed_batches_logs_what_one_batch_at_a_time_would() -> None:
    """An online server's flush joins hundreds of small batches (ids and predictions as Python
    lists) column by column in one pass; every value must be what the general path, one
    batch at a time and concatenated, gives: rows counted per request, times, roles,
    per-row and per-batch latencies, and JSON predictions of any shape."""
    import pyarrow as pa

    from shipyard.serving.prediction_log import PredictionBatch, predictions_table

    start = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    batches = [
        PredictionBatch(
            deployment="d",
            model="churn" if i % 3 else "other",
            version=1,
            inputs=pd.DataFrame({"age": [i, i + 1, i + 2]}),
            predictions=[i, {"p": [0.5, None]}, "yes"],
            request_ids=[f"a{i}", f"a{i}", f"b{i}"],
            latency_ms=[1.0, 2.0, 3.5] if i % 2 else 7.25,
            role="error" if i == 4 else "serve",
            rows=[5, 6, 0] if i == 7 else None,
            time=start + timedelta(seconds=i),
        )
        for i in range(12)
    ]
    joined = predictions_table(batches, packages={})
    one_by_one = pa.concat_tables([predictions_table([b], packages={}) for b in batches])
    assert joined.schema.equals(one_by_one.schema)
    assert joined.to_pylist() == one_by_one.to_pylist()
    assert joined.column("row").to_pylist()[:3] == [0, 1, 0]
    assert joined.column("row").to_pylist()[21:24] == [5, 6, 0]


_ANOTHER_WRITER = """
import sys
sys.path.insert(0, {root!r})
from shipyard._store.artifacts import ArtifactStore
from shipyard.serving.prediction_log import PredictionLog
from tests.serving.test_prediction_log import _batch
with PredictionLog(ArtifactStore({store!r}), flush_interval=60) as log:
    log.write(_batch(["from-elsewhere"]))
"""


def test_a_reader_sees_what_another_process_wrote_after_its_first_read(
    store: ArtifactStore,
) -> None:
    """A monitor keeps one reader while servers elsewhere keep writing: no stale listing."""
    with PredictionLog(store, flush_interval=60) as log:
        log.write(_batch(["here"]))
    reader = PredictionLogReader(store)
    assert reader.count() == 1 and len(reader.writers()) == 1
    root = str(Path(__file__).resolve().parents[2])
    script = _ANOTHER_WRITER.format(root=root, store=store.url)
    subprocess.run([sys.executable, "-c", script], check=True, capture_output=True)
    assert reader.count() == 2 and len(reader.writers()) == 2
    assert reader.predictions()["request_id"].tolist() == ["here", "from-elsewhere"]


def test_a_log_on_object_storage_that_is_down_fails_clearly_and_keeps_its_rows(
    seaweedfs: SeaweedServer, s3_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    down = {"endpoint_url": f"http://127.0.0.1:{free_port()}"}
    store = ArtifactStore(f"{s3_url}/log", client_kwargs=down)
    log = PredictionLog(store, flush_interval=60)
    log.write(_batch(["a", "b"]))
    with pytest.raises(StorageUnavailableError, match=f"Cannot use the storage at {s3_url}/log"):
        log.flush()
    assert log.stats.pending == 2 and log.stats.failed_flushes == 1
    assert "Could not connect" in (log.stats.last_error or "")
    with pytest.raises(StorageUnavailableError):
        log.close()
    assert seaweedfs.keys(s3_url.removeprefix("s3://")) == []  # nothing half-written


def test_a_log_with_a_bad_credential_fails_clearly(seaweedfs: SeaweedServer, s3_url: str) -> None:
    store = ArtifactStore(f"{s3_url}/log", key="shipyard-test-key", secret="not-the-secret")
    log = PredictionLog(store, flush_interval=60)
    log.write(_batch(["a"]))
    with pytest.raises(StorageUnavailableError, match=f"{s3_url}/log refused access"):
        log.flush()
    with pytest.raises(StorageUnavailableError):
        log.close()
    assert seaweedfs.keys(s3_url.removeprefix("s3://")) == []
