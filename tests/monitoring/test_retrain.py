"""The retraining trigger with the real pipeline: a drift alert with ``retrain: true`` runs
``shipyard.pipeline.retrain`` once, on the newest data, and links the alert to that run."""

from __future__ import annotations

import textwrap
from datetime import timedelta
from pathlib import Path

import pandas as pd

import shipyard as sy
from shipyard._store.workspace import Workspace
from shipyard.monitoring import load_config, monitor_run
from shipyard.pipeline.runner import run_pipeline
from shipyard.serving.prediction_log import PredictionBatch, PredictionLog
from tests.monitoring.conftest import START, make_frame, truth

TRAIN = """
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


def fit(train, label):
    prepare = ColumnTransformer([
        ("num", StandardScaler(), ["age", "income", "tenure", "score"]),
        ("cat", OneHotEncoder(handle_unknown="ignore"), ["plan", "region"]),
    ])
    model = Pipeline([("prepare", prepare), ("clf", LogisticRegression(max_iter=500))])
    return model.fit(train.drop(columns=[label]), train[label])
"""

CONFIG = """
project: churn
data:
  source: data/churn.parquet
  split: {strategy: random, test_size: 0.25, seed: 1}
train:
  entrypoint: train:fit
evaluation:
  task: classification
  label: churned
  gates:
    - {kind: threshold, metric: accuracy, min: 0.8}
model: {name: churn}
promotion:
  production: {gates: all, auto: true}
monitoring:
  label: churned
  rules:
    - name: income-drift
      metric: drift
      features: [income]
      above: 0.2
      severity: critical
      retrain: true
"""


def _data(path: Path, frame: pd.DataFrame) -> None:
    path.parent.mkdir(exist_ok=True)
    frame.assign(churned=truth(frame)).to_parquet(path)


def test_a_drift_alert_retrains_once_and_links_the_run(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(TRAIN)
    (tmp_path / "shipyard.yaml").write_text(textwrap.dedent(CONFIG))
    _data(tmp_path / "data" / "churn.parquet", make_frame(4000, seed=0))
    settings = sy.load_settings(home=tmp_path / ".shipyard", capture_git=False,
                                capture_packages=False, actor="tester@test")  # fmt: skip
    ws = Workspace(settings)
    first = run_pipeline(tmp_path / "shipyard.yaml", workspace=ws)
    assert first.verdict == "promoted" and first.model_version == 1
    ws.deployments.apply("churn-prod", model="churn", routes=[{"alias": "production"}],
                         actor="tester@test")  # fmt: skip

    # Production drifts; the newest data (what a retrain reads) holds the drifted rows.
    drifted = make_frame(3000, seed=9, drift=["income"])
    _data(tmp_path / "data" / "churn.parquet", pd.concat([make_frame(2000, seed=1), drifted]))
    config = load_config(tmp_path / "shipyard.yaml")
    with PredictionLog(ws.artifacts, flush_interval=60) as log:
        for hour in range(2):
            rows = drifted.iloc[hour * 1500 : (hour + 1) * 1500].reset_index(drop=True)
            log.write(PredictionBatch(
                deployment="churn-prod", model="churn", version=1, inputs=rows,
                predictions=[0] * len(rows), request_ids=[f"h{hour}-{i}" for i in range(len(rows))],
                time=START + timedelta(hours=hour, minutes=5),
            ))  # fmt: skip

    window = {"since": START, "until": START + timedelta(hours=1)}
    result = monitor_run("churn-prod", **window, config=config, workspace=ws)
    assert result.summary["drifted"] == ["income"]
    assert result.prediction_drift is not None and result.prediction_drift["verdict"] == "drift"
    [alert] = ws.monitoring.list_alerts()
    assert alert.triggered_run_id is not None and alert.retrain_error is None
    run = ws.runs.get(alert.triggered_run_id)
    assert run.tags["shipyard.alert"] == alert.id
    assert run.tags["shipyard.trigger"] == "retrain"
    assert [v.version for v in ws.models.list_versions("churn")] == [2, 1]
    assert ws.models.resolve_alias("churn", "production").version == 2  # passed its gates

    # The same alert, still open, in the next window: no second retrain.
    monitor_run("churn-prod", since=START + timedelta(hours=1),
                until=START + timedelta(hours=2), config=config, workspace=ws,
                reference=result.reference)  # fmt: skip
    [again] = ws.monitoring.list_alerts()
    assert again.id == alert.id and again.occurrences == 2
    assert again.triggered_run_id == alert.triggered_run_id
    assert len(ws.models.list_versions("churn")) == 2
    ws.close()
