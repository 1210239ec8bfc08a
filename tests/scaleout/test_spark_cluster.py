"""``shipyard batch --engine spark`` on a real Spark standalone cluster (a master and two
one-core workers, each its own process) scoring S3 input into S3 output: the executors read
and write the object store themselves, and the output equals the local engine's row for row."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from shipyard.serving.batch import batch_score
from tests.monitoring.conftest import make_frame
from tests.scaleout.conftest import OnS3
from tests.services import SparkCluster, start_spark_cluster

pytestmark = pytest.mark.slow
FEATURES = ["age", "income", "tenure"]


def test_the_cluster_scores_s3_into_s3_as_the_local_engine_does(
    on_s3: OnS3,
    spark_cluster: SparkCluster,
    tmp_path: Path,
) -> None:
    ws = on_s3.workspace
    frame = make_frame(9_000, seed=7)[FEATURES]
    frame.to_parquet(tmp_path / "in.parquet", row_group_size=3_000)
    ws.artifacts.fs.put_file(str(tmp_path / "in.parquet"), f"{on_s3.bucket}/input/in.parquet")
    # the driver runs as `shipyard batch` would, from its own process
    settings = ws.settings
    done = subprocess.run(
        [str(Path(sys.executable).parent / "shipyard"), "--store", settings.resolved_store_url,
         "--artifacts", settings.resolved_artifacts_url, "batch", "churn/1",
         "--input", on_s3.url("input/in.parquet"), "--output", on_s3.url("spark-out"),
         "--engine", "spark", "--spark-master", spark_cluster.url, "--rows-per-part", "3000"],
        env={**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable},
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    batch_score("churn/1", str(tmp_path / "in.parquet"), str(tmp_path / "local"),
                workspace=ws, workers=0, rows_per_part=3_000, name="churn-local")  # fmt: skip

    parts = sorted(k for k in on_s3.objects("spark-out/") if k.endswith(".parquet"))
    assert len(parts) == 3 and not any("/.tmp-" in k for k in on_s3.objects())
    fs = ws.artifacts.fs
    fs.invalidate_cache()
    got = pd.concat([pd.read_parquet(fs.open(f"{on_s3.bucket}/{p}", "rb")) for p in parts])
    want = pd.concat(pd.read_parquet(p) for p in sorted((tmp_path / "local").glob("part-*")))
    got, want = (f.sort_values("row_id", ignore_index=True) for f in (got, want))
    assert len(got) == 9_000
    pd.testing.assert_frame_equal(got, want)
    for index in range(2):  # the job's executors ran on both workers
        assert list((spark_cluster.directory / f"work-{index}").glob("app-*/*/stderr"))


PARTS = 96


def test_killing_a_worker_mid_job_still_scores_every_row_exactly_once(
    on_s3: OnS3, tmp_path: Path
) -> None:
    cluster = start_spark_cluster(workers=2)  # its own: one of its workers dies here
    try:
        ws = on_s3.workspace
        # 96 parts of 1,000 rows: the driver records them a wave of four at a time, so the
        # job is still running well after its first wave is in (24 parts of 2,000 once
        # finished within the watcher's poll on a fast run)
        frame = make_frame(PARTS * 1_000, seed=8)[FEATURES]
        frame.to_parquet(tmp_path / "in.parquet", row_group_size=1_000)
        ws.artifacts.fs.put_file(str(tmp_path / "in.parquet"), f"{on_s3.bucket}/in/in.parquet")
        settings = ws.settings
        driver = subprocess.Popen(
            [str(Path(sys.executable).parent / "shipyard"), "--store", settings.resolved_store_url,
             "--artifacts", settings.resolved_artifacts_url, "batch", "churn/1",
             "--input", on_s3.url("in/in.parquet"), "--output", on_s3.url("out"),
             "--engine", "spark", "--spark-master", cluster.url, "--rows-per-part", "1000",
             "--json"],
            env={**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip
        fs = ws.artifacts.fs
        manifest = f"{on_s3.bucket}/out/_shipyard_job.json"
        deadline = time.monotonic() + 600
        done_at_kill = 0
        while time.monotonic() < deadline and driver.poll() is None:
            fs.invalidate_cache()
            if fs.exists(manifest):
                done_at_kill = len(json.loads(fs.cat_file(manifest))["parts"])
                if done_at_kill:
                    break  # the first parts are in: the job is under way
            time.sleep(0.2)
        cluster.workers[0].kill()
        assert driver.poll() is None and 0 < done_at_kill < PARTS  # killed mid-job
        output, _ = driver.communicate(timeout=900)
        assert driver.returncode == 0, output.decode(errors="replace")
        recorded = json.loads(fs.cat_file(manifest))
        assert len(recorded["parts"]) == PARTS and recorded["finished"] is not None
        fs.invalidate_cache()
        parts = sorted(
            p for p in fs.find(f"{on_s3.bucket}/out") if p.rpartition("/")[2].startswith("part-")
        )
        assert len(parts) == PARTS
        scored = pd.concat([pd.read_parquet(fs.open(p, "rb")) for p in parts])
        assert sorted(scored["row_id"].tolist()) == list(range(PARTS * 1_000))  # exactly once
    finally:
        cluster.stop()
