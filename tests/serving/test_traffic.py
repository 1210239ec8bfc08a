"""sy.deployment_traffic: per version and time bucket, the rows, the rows the model raised on
(logged with the role ``error``), the error rate and the latency of the answered rows, read
from a real prediction log, including files written before errors were logged."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

import shipyard as sy
from shipyard._store.workspace import Workspace
from shipyard.core.clock import utcnow
from shipyard.core.errors import NotFoundError, UsageError
from shipyard.serving.prediction_log import PredictionBatch, PredictionLog, PredictionLogReader
from tests.packaged import package_hash


def test_error_rate_per_version_over_time(sqlite_workspace: Workspace) -> None:
    ws = sqlite_workspace
    for _ in range(2):
        ws.models.create_version("churn", package_hash=package_hash(ws), flavor="sklearn",
                                 signature={"inputs": []}, source_run_id=None,
                                 actor="ana")  # fmt: skip
    ws.deployments.apply("shop", model="churn", routes=[{"version": 1, "weight": 100}],
                         actor="ana")  # fmt: skip
    now = utcnow()
    log = PredictionLog(ws.artifacts, flush_interval=60)

    def write(version: int, minutes: int, count: int, role: str = "serve") -> None:
        log.write(PredictionBatch(
            deployment="shop", model="churn", version=version,
            inputs=pd.DataFrame({"x": [1.0] * count}),
            predictions=[None if role == "error" else 1] * count,
            request_ids=[f"{version}-{minutes}-{role}-{i}" for i in range(count)],
            latency_ms=10.0 * version, role=role, time=now - timedelta(minutes=minutes),
        ))  # fmt: skip

    write(1, 50, 10)  # an hour-old stretch with no errors logged (as an old log would be)
    write(1, 5, 8)
    write(2, 5, 6)
    write(2, 5, 2, role="error")
    write(2, 5, 2, role="shadow")
    log.close()

    found = sy.deployment_traffic("shop", hours=2, buckets=2, workspace=ws)
    assert len(found.x) == 2 and found.bucket_ms >= 1000
    one, two = found.versions
    assert (one.version, one.rows, one.errors, one.error_rate) == (1, [10, 8], [0, 0], [0.0, 0.0])
    assert (two.version, two.rows, two.errors) == (2, [0, 10], [0, 2])
    assert two.error_rate == [None, pytest.approx(20.0)]
    assert two.p50_ms == [None, 20.0] and one.p99_ms == [10.0, 10.0]  # answered rows only
    assert found.to_dict()["versions"][1]["errors"] == [0, 2]
    # the readers of served predictions (monitoring, rollouts, A/B) never see the errors
    served = PredictionLogReader(ws.artifacts).predictions("shop")
    assert len(served) == 24 and served["prediction"].notna().all()

    assert sy.deployment_traffic("shop", hours=2, until=now - timedelta(hours=3),
                                 workspace=ws).versions == []  # fmt: skip
    with pytest.raises(NotFoundError):
        sy.deployment_traffic("nowhere", workspace=ws)
    with pytest.raises(UsageError):
        sy.deployment_traffic("shop", hours=0, workspace=ws)
