"""Two hosts, one store: two working directories with their own SHIPYARD_HOME and no local file
in common stand for two machines; both point at the same PostgreSQL and S3 (real servers).
Host A trains and promotes; host B serves by alias (a real `shipyard serve`) and follows the
promotion made on A, and runs a batch job; the monitor on A reads B's prediction log; and no
record in the shared store names a local path of either host."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pandas as pd
import pytest
from sqlalchemy import MetaData, create_engine, select

import shipyard as sy
from shipyard._store.workspace import Workspace
from shipyard.monitoring import monitor_run, parse_config
from tests.conftest import new_postgres_database
from tests.services import PostgresServer
from tests.serving.models import GOOD, customers, register_models
from tests.serving.server import ROOT, start_server

pytestmark = pytest.mark.slow


def _host(root: Path, store: str, artifacts: str, actor: str) -> Workspace:
    root.mkdir()
    return Workspace(sy.load_settings(home=root / ".shipyard", store_url=store,
                                      artifacts_url=artifacts, actor=actor, capture_git=False,
                                      capture_packages=False))  # fmt: skip


def _served_version(url: str) -> str:
    answer = httpx.post(f"{url}/predict", json={"instances": [GOOD]}, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.headers["x-shipyard-version"]


def _records(store: str) -> str:
    """Every row of every table of the store, as text."""
    engine = create_engine(store)
    try:
        tables = MetaData()
        tables.reflect(engine)
        with engine.connect() as connection:
            return "\n".join(str(row) for found in tables.sorted_tables
                             for row in connection.execute(select(found)))  # fmt: skip
    finally:
        engine.dispose()


def test_host_b_serves_and_scores_what_host_a_promoted_and_a_monitors_b(
    postgres: PostgresServer, s3_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, artifacts = new_postgres_database(postgres), f"{s3_url}/artifacts"
    host_a = _host(tmp_path / "host-a", store, artifacts, "alice@host-a")
    monkeypatch.chdir(tmp_path / "host-a")
    started = datetime.now(UTC) - timedelta(minutes=1)
    register_models(host_a)  # churn/1, churn/2; churn@production -> 1
    with sy.start_run("reference", workspace=host_a):
        sy.log_dataset(customers(), "customers", context="train")

    host_b = tmp_path / "host-b"  # only environment variables tell B where the store is
    (host_b / ".shipyard").mkdir(parents=True)
    monkeypatch.chdir(host_b)
    monkeypatch.setenv("SHIPYARD_STORE_URL", store)
    monkeypatch.setenv("SHIPYARD_ARTIFACTS_URL", artifacts)
    server = start_server(host_b / ".shipyard", "churn@production", "--poll-interval", "0.3",
                          timeout=180)  # fmt: skip
    try:
        assert _served_version(server.url) == "churn/1"
        sy.promote("churn", 2, "production", reason="better", workspace=host_a)  # on A
        deadline = time.monotonic() + 60
        while (version := _served_version(server.url)) != "churn/2":
            assert time.monotonic() < deadline, "host B did not follow the promotion"
            time.sleep(0.2)
        rows = {"instances": customers(200, seed=9).to_dict(orient="records")}
        assert httpx.post(f"{server.url}/predict", json=rows, timeout=30).status_code == 200
    finally:
        server.stop()
    assert "0 not written" in server.output()  # it drained: its log was written out to S3

    # a batch job from B, input and output on S3
    fs = host_a.artifacts.fs
    bucket = s3_url.removeprefix("s3://")
    with fs.open(f"{bucket}/scoring/in.parquet", "wb") as handle:
        customers(300, seed=5).to_parquet(handle)
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "SHIPYARD_CAPTURE_GIT": "false",
                   "SHIPYARD_ACTOR": "bob@host-b",
                   "SHIPYARD_TRUSTED_MODULES": '["tests"]'}  # fmt: skip
    done = subprocess.run(
        [str(Path(sys.executable).parent / "shipyard"), "--home", str(host_b / ".shipyard"),
         "batch", "churn@production", "--input", f"{s3_url}/scoring/in.parquet",
         "--output", f"{s3_url}/scored/"],
        cwd=host_b, env=environment, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    parts = [p for p in fs.ls(f"{bucket}/scored/") if p.endswith(".parquet")]
    scored = pd.concat(pd.read_parquet(fs.open(p, "rb")) for p in parts)
    assert len(scored) == 300

    # host A's monitor reads what B's server and B's batch job logged on S3
    monkeypatch.chdir(tmp_path / "host-a")
    until = datetime.now(UTC) + timedelta(minutes=1)
    online = monitor_run("churn-production", since=started, until=until,
                         config=parse_config({}), reference="customers/1",
                         workspace=host_a)  # fmt: skip
    assert online.rows >= 1 + 200 and version == "churn/2"  # every row B's server answered
    assert sy.PredictionLogReader(host_a.artifacts).count("churn-batch") == 300
    host_a.close()

    records = _records(store)
    assert "churn-production" in records and "bob@host-b" in records  # B wrote there too
    for local in (tmp_path / "host-a", tmp_path / "host-b", tmp_path):
        assert str(local) not in records, f"a record names a local path: {local}"
