"""The whole loop on S3 object storage (a real SeaweedFS server): dataset versions, model
packages, batch input and output, the prediction log and a monitor window, with nothing
written to a local artifact folder and no temporary object left behind."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

import shipyard as sy
from shipyard.core.errors import ArtifactIntegrityError
from shipyard.monitoring import monitor_run, parse_config
from shipyard.serving.batch import batch_score
from shipyard.serving.prediction_log import PredictionBatch, PredictionLog
from tests.monitoring.conftest import make_frame
from tests.scaleout.conftest import OnS3

pytestmark = pytest.mark.slow


def test_datasets_and_model_packages_live_on_s3_and_load_verified(on_s3: OnS3) -> None:
    ws = on_s3.workspace
    record = sy.get_dataset("churn-train/1", workspace=ws)
    blobs = on_s3.objects("artifacts/blobs/")
    assert any(record.artifact_hash in key for key in blobs)
    assert not any(k.rpartition("/")[2].startswith(".") for k in on_s3.objects())
    assert not (on_s3.home / "artifacts").exists()  # nothing went to a local artifact folder

    data = sy.load_dataset("churn-train/1", workspace=ws)
    assert len(data) == 4_000 and list(data.columns)[-1] == "churned"
    model = sy.load_model("churn/1", workspace=ws)
    sample = make_frame(50, seed=9)[["age", "income", "tenure"]]
    assert len(model.predict(sample)) == 50

    # a blob altered on the server is refused, by name, when the dataset is read again
    blob = next(k for k in blobs if k.endswith(record.artifact_hash))
    on_s3.server.client().put_object(Bucket=on_s3.bucket, Key=blob, Body=b"tampered")
    ws.artifacts.fs.invalidate_cache()
    for cached in (on_s3.home).rglob("*"):
        if cached.is_file() and record.artifact_hash in cached.name:
            cached.unlink()
    with pytest.raises(ArtifactIntegrityError, match="churn-train"):
        sy.load_dataset("churn-train/1", workspace=ws)


def test_a_batch_job_reads_and_writes_s3_and_equals_the_local_engine(
    on_s3: OnS3, tmp_path: Path
) -> None:
    ws = on_s3.workspace
    frame = make_frame(6_000, seed=3)[["age", "income", "tenure"]]
    frame.to_parquet(tmp_path / "in.parquet", row_group_size=2_000)
    ws.artifacts.fs.put_file(str(tmp_path / "in.parquet"), f"{on_s3.bucket}/input/in.parquet")

    remote = batch_score("churn/1", on_s3.url("input/in.parquet"), on_s3.url("output"),
                         workspace=ws, workers=2, rows_per_part=2_000)  # fmt: skip
    batch_score("churn/1", str(tmp_path / "in.parquet"), str(tmp_path / "out"),
                workspace=ws, workers=0, rows_per_part=2_000, name="churn-local")  # fmt: skip
    assert (remote.rows_scored, remote.rows_rejected, remote.parts) == (6_000, 0, 3)

    parts = sorted(k for k in on_s3.objects("output/") if k.endswith(".parquet"))
    assert [p.rpartition("/")[2].startswith("part-") for p in parts] == [True] * 3
    assert not any("/.tmp-" in key for key in on_s3.objects())  # no temporary object stays
    fs = ws.artifacts.fs
    got = pd.concat([pd.read_parquet(fs.open(f"{on_s3.bucket}/{p}", "rb")) for p in parts])
    want = pd.concat(pd.read_parquet(p) for p in sorted((tmp_path / "out").glob("part-*")))
    got, want = (f.sort_values("row_id", ignore_index=True) for f in (got, want))
    pd.testing.assert_frame_equal(got, want)

    # the job's predictions went to the prediction log on S3, where the reader finds them
    assert sy.PredictionLogReader(ws.artifacts).count("churn-batch") == 6_000


def test_a_monitor_window_reads_the_prediction_log_from_s3(on_s3: OnS3) -> None:
    ws = on_s3.workspace
    start = datetime(2026, 11, 20, tzinfo=UTC)
    shifted = make_frame(2_000, seed=4, drift=["income"])[["age", "income", "tenure"]]
    with PredictionLog(ws.artifacts, flush_interval=60) as log:
        log.write(PredictionBatch(
            deployment="churn-prod", model="churn", version=1, inputs=shifted,
            predictions=[0] * len(shifted), request_ids=[f"r{i}" for i in range(len(shifted))],
            latency_ms=2.0, time=start + timedelta(minutes=5),
        ))  # fmt: skip
    logged = on_s3.objects("artifacts/predictions/deployment=churn-prod/")
    assert logged and all(k.endswith(".parquet") for k in logged)
    result = monitor_run("churn-prod", since=start, until=start + timedelta(hours=1),
                         config=parse_config({}), workspace=ws)  # fmt: skip
    assert result.rows == 2_000
    assert result.reference == "churn-train/1"
    assert "income" in result.summary["drifted"] and "age" not in result.summary["drifted"]


def test_a_bad_credential_stops_the_cli_with_one_line_naming_the_url(
    on_s3: OnS3, tmp_path: Path
) -> None:
    make_frame(100, seed=5)[["age", "income", "tenure"]].to_parquet(tmp_path / "in.parquet")
    settings = on_s3.workspace.settings
    environment = {**os.environ, **on_s3.server.environment, "AWS_SECRET_ACCESS_KEY": "wrong"}
    shipyard = str(Path(sys.executable).parent / "shipyard")
    done = subprocess.run(
        [shipyard, "--store", settings.resolved_store_url,
         "--artifacts", settings.resolved_artifacts_url, "batch", "churn/1",
         "--input", str(tmp_path / "in.parquet"), "--output", on_s3.url("scored")],
        env=environment, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    said = done.stdout + done.stderr
    assert f"{settings.resolved_artifacts_url} refused access" in " ".join(said.split())
    assert "Traceback" not in said and "botocore" not in said
    assert on_s3.objects("scored") == []
