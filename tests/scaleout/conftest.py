"""Fixtures of the scale-out tests: a workspace on S3 and a Spark standalone cluster."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sklearn.linear_model import LogisticRegression

import shipyard as sy
from shipyard._store.workspace import Workspace
from tests.monitoring.conftest import make_frame, truth
from tests.services import SeaweedServer, SparkCluster, start_spark_cluster
from tests.serving.conftest import models_home
from tests.serving.stream.conftest import broker, kafka, redis_server  # noqa: F401 (fixtures)


@dataclass
class OnS3:
    workspace: Workspace
    bucket: str
    home: Path
    server: SeaweedServer

    def url(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def objects(self, prefix: str = "") -> list[str]:
        return [k for k in self.server.keys(self.bucket) if k.startswith(prefix)]


@pytest.fixture
def on_s3(seaweedfs: SeaweedServer, s3_url: str, tmp_path: Path) -> Iterator[OnS3]:
    """A workspace whose artifact store is a prefix in a fresh bucket (metadata in SQLite),
    with churn/1 trained on ``churn-train/1`` and deployed as ``churn-prod``."""
    home = tmp_path / ".shipyard"
    settings = sy.load_settings(
        home=home, artifacts_url=f"{s3_url}/artifacts", capture_git=False,
        capture_packages=False, actor="t@test",
    )  # fmt: skip
    workspace = Workspace(settings)
    frame = make_frame(4_000, seed=0)
    model = LogisticRegression(max_iter=500).fit(frame[["age", "income", "tenure"]], truth(frame))
    with sy.start_run(workspace=workspace) as run:
        sy.log_dataset(frame.assign(churned=truth(frame)), "churn-train", context="train")
        run.log_model(model, "churn", input_example=frame[["age", "income", "tenure"]].head(5))
    workspace.deployments.apply("churn-prod", model="churn",
                                routes=[{"version": 1, "weight": 100}], actor="t@test")  # fmt: skip
    try:
        yield OnS3(workspace, s3_url.removeprefix("s3://"), home, seaweedfs)
    finally:
        workspace.close()


@pytest.fixture(scope="session")
def spark_cluster() -> Iterator[SparkCluster]:
    """A Spark standalone master and two one-core workers on loopback, stopped by their pids."""
    cluster = start_spark_cluster(workers=2)
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def models(tmp_path: Path) -> Path:
    """A Shipyard home with churn/1, churn/2 (churn@production -> 1) and spend/1."""
    return models_home(tmp_path)
