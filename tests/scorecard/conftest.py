"""A project with real records to score: the credit pipeline run twice (a slice and a
fairness gate, expectations, a production policy), its production model served by a
deployment whose prediction log and feedback two monitor windows read, alert rules on drift,
nulls and live AUC, one approval and one rollback."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

import shipyard as sy
from shipyard._store.workspace import Workspace
from shipyard.core.clock import utcnow
from shipyard.serving.prediction_log import Feedback, PredictionBatch, PredictionLog
from tests.pipeline.project import CONFIG, make_project

DEPLOYMENT = "credit-online"
SLICE = "    - {name: by-region, kind: slice, column: region, metric: roc_auc, min: 0.4}\n"
MONITORING = """\
monitoring:
  label: default
  rules:
    - {name: drift, metric: drift, features: "*", above: 0.5}
    - {name: nulls, metric: null_rate, features: "*", above: 0.5}
    - {name: auc-floor, metric: roc_auc, below: 0.1}
"""


def project_config(*, slice_gate: bool = True, null_rule: bool = True) -> str:
    text = CONFIG.replace(
        "    - {name: parity,", (SLICE if slice_gate else "") + "    - {name: parity,"
    )
    text = text.replace("auto: true}", "auto: true, approval: false}")
    monitoring = (
        MONITORING
        if null_rule
        else MONITORING.replace(
            '    - {name: nulls, metric: null_rate, features: "*", above: 0.5}\n', ""
        )
    )
    return text + monitoring


@dataclass
class Project:
    workspace: Workspace
    config: Path
    directory: Path


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    directory = tmp_path_factory.mktemp("credit")
    config = make_project(directory, rows=800, config=project_config())
    settings = sy.load_settings(home=directory / ".shipyard", capture_git=False,
                                capture_packages=False, actor="tester@test")  # fmt: skip
    ws = Workspace(settings)
    try:
        sy.run_pipeline(config, workspace=ws)  # credit/1, promoted to production
        sy.run_pipeline(config, overrides=["train.params.C=2.0"], workspace=ws)  # credit/2
        sy.approve("credit", 2, "production", comment="reviewed the spec", workspace=ws)
        ws.deployments.apply(DEPLOYMENT, model="credit",
                             routes=[{"alias": "production", "weight": 100}],
                             actor="tester@test")  # fmt: skip
        _serve_and_monitor(ws, directory, config)
        sy.rollback("credit", "production", reason="a bad day", workspace=ws)
        yield Project(ws, config, directory)
    finally:
        ws.close()


def _serve_and_monitor(ws: Workspace, directory: Path, config: Path) -> None:
    """Two hourly windows of predictions by production (with feedback labels), each
    monitored with the project's rules."""
    frame = pd.read_parquet(directory / "data" / "applications.parquet")
    model = sy.load_model("credit@production", workspace=ws)
    version = model.registered_as.version
    inputs = frame.drop(columns="default").head(300)
    predictions = model.predict(inputs)
    log = PredictionLog(ws.artifacts, flush_interval=60)
    start = utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(hours=3)
    try:
        for index in range(2):
            moment = start + timedelta(hours=index, minutes=1)
            ids = [f"w{index}-{i}" for i in range(len(inputs))]
            log.write(PredictionBatch(
                deployment=DEPLOYMENT, model="credit", version=version, inputs=inputs,
                predictions=list(predictions), request_ids=ids, latency_ms=2.0, time=moment,
            ))  # fmt: skip
            log.write_feedback(
                [
                    Feedback(DEPLOYMENT, r, int(y), time=moment)
                    for r, y in zip(ids, frame["default"].head(300), strict=True)
                ]
            )
            log.flush()
    finally:
        log.close()
    for index in range(2):
        begin = start + timedelta(hours=index)
        sy.monitor_run(DEPLOYMENT, since=begin.isoformat(),
                       until=(begin + timedelta(hours=1)).isoformat(), config=config,
                       workspace=ws)  # fmt: skip
