"""The monitoring part of `make demo`: production traffic drifts partway through, the monitor
flags the drifted features, an alert goes to a local webhook and to the log, and the alert
retrains the model on the newest data through the pipeline, whose candidate meets its gates.

``examples/demo.py`` calls ``run(step, first)`` once ``churn@production`` exists (trained on a
dataset logged with context "train"), from inside the demo workspace (``SHIPYARD_HOME`` set,
working directory ``.demo/``). It takes four steps, numbered from ``first``, and returns the
next step's number. ``python examples/demo_monitoring.py`` runs it alone in a fresh folder.
"""

from __future__ import annotations

import http.server
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import shipyard as sy
from shipyard.monitoring import load_config, monitor_run
from shipyard.serving.prediction_log import PredictionBatch, PredictionLog

Step = Callable[[int, str], None]
STEPS = 4
DEPLOYMENT = "churn-production"
WINDOWS, DRIFT_FROM = 6, 3  # six hourly windows; the last three drift

TRAIN = """
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


def fit(train, label, params):
    prepare = ColumnTransformer([
        ("numbers", StandardScaler(), ["tenure_months", "monthly_charges", "support_calls"]),
        ("plan", OneHotEncoder(handle_unknown="ignore"), ["plan"]),
    ])
    model = Pipeline([("prepare", prepare), ("classify", LogisticRegression(**params))])
    return model.fit(train.drop(columns=[label]), train[label])
"""

CONFIG = """\
project: churn
data:
  source: data/churn-latest.parquet     # the newest labelled data: what a retrain reads
  split: {{strategy: stratified, test_size: 0.25, seed: 7}}
train:
  entrypoint: train:fit
  params: {{C: 0.5, max_iter: 500}}
evaluation:
  task: classification
  label: churned
  gates:
    - {{kind: threshold, metric: roc_auc, min: 0.7}}
model: {{name: churn}}
promotion:
  staging: {{gates: all, auto: true}}   # a candidate that passes every gate goes to staging
monitoring:
  label: churned
  sinks:
    ops: {{type: webhook, url: "{url}", retries: 3, backoff: 0.2}}
  rules:
    - name: feature-drift
      metric: drift          # PSI for numbers, Jensen-Shannon for categories
      above: 0.2
      for: 2                 # two windows in a row
      severity: critical
      sinks: [log, ops]
      retrain: true
    - {{name: plan-nulls, metric: null_rate, features: [plan], above: 0.05}}
"""


def customers(rows: int, seed: int, *, drift: bool = False) -> pd.DataFrame:
    """Customers like the training data; drifted ones pay more and are mostly on basic."""
    rng = np.random.default_rng(seed)
    plans = [0.6, 0.3, 0.1] if drift else [1 / 3, 1 / 3, 1 / 3]
    frame = pd.DataFrame(
        {
            "tenure_months": rng.integers(1, 72, rows),
            "monthly_charges": rng.normal(95 if drift else 70, 20, rows).round(2),
            "support_calls": rng.poisson(1.5, rows),
            "plan": rng.choice(["basic", "standard", "premium"], rows, p=plans),
        }
    )
    score = (-0.05 * frame["tenure_months"] + 0.03 * frame["monthly_charges"]
             + 0.6 * frame["support_calls"]
             + frame["plan"].map({"basic": 0.7, "standard": 0.0, "premium": -0.7}))  # fmt: skip
    frame["churned"] = (score + rng.normal(0, 0.8, rows) > 1.6).astype(int)
    return frame


class Receiver:
    """A local webhook receiver on 127.0.0.1 that prints what it gets."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        received = self.received

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                received.append(body)
                print(f"  [webhook 127.0.0.1] {body['event']}: {body['text']}", flush=True)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alerts"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _cli(*args: str) -> None:
    print("$ shipyard " + " ".join(args), flush=True)
    command = [str(Path(sys.executable).with_name("shipyard")), *args]
    subprocess.run(command, check=True, env={**os.environ, "COLUMNS": "110"})


def _log_traffic(workspace: sy.Workspace, start: datetime) -> None:
    """Six hours of production predictions; from hour DRIFT_FROM on, the customers drift."""
    model = sy.load_model("churn@production", workspace=workspace)
    version = model.registered_as.version
    with PredictionLog(workspace.artifacts, flush_interval=60) as log:
        for hour in range(WINDOWS):
            rows = customers(2000, seed=100 + hour, drift=hour >= DRIFT_FROM)
            inputs = rows.drop(columns="churned")
            log.write(PredictionBatch(
                deployment=DEPLOYMENT, model="churn", version=version, inputs=inputs,
                predictions=list(model.predict(inputs)), latency_ms=4.0,
                request_ids=[f"h{hour}-{i}" for i in range(len(rows))],
                time=start + timedelta(hours=hour, minutes=30),
            ))  # fmt: skip


def _project(folder: Path, url: str) -> Path:
    """The pipeline a retrain runs, with the monitoring rules, and the newest data."""
    (folder / "data").mkdir(parents=True, exist_ok=True)
    newest = pd.concat([customers(4000, seed=1), customers(4000, seed=2, drift=True)])
    newest.to_parquet(folder / "data" / "churn-latest.parquet")
    (folder / "train.py").write_text(TRAIN)
    (folder / "shipyard.yaml").write_text(CONFIG.format(url=url))
    return folder / "shipyard.yaml"


def run(step: Step, first: int = 1) -> int:
    logging.basicConfig(format="  [log sink] %(message)s", level=logging.WARNING)
    receiver = Receiver()
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=8)
    with sy.open_workspace() as workspace:
        if workspace.deployments.find(DEPLOYMENT) is None:
            route = {"alias": "production", "weight": 100}
            workspace.deployments.apply(DEPLOYMENT, model="churn", routes=[route],
                                        actor=workspace.actor)  # fmt: skip
        step(first, "Production traffic for six hours; customers drift from hour four")
        _log_traffic(workspace, start)
        config_file = _project(Path("monitoring-project").resolve(), receiver.url)
        config = load_config(config_file)
        print(f"  12,000 predictions logged; rules from {config_file.name}: "
              f"{', '.join(rule.name for rule in config.rules)}")  # fmt: skip

        step(first + 1, "Monitor hourly windows against the training data's stored profile")
        versions_before = len(workspace.models.list_versions("churn"))
        for hour in range(WINDOWS - 1):
            since = start + timedelta(hours=hour)
            result = monitor_run(DEPLOYMENT, since=since, until=since + timedelta(hours=1),
                                 config=config, workspace=workspace)  # fmt: skip
            drifted = ", ".join(result.summary["drifted"]) or "none"
            print(f"  {since:%H:%M}-{since + timedelta(hours=1):%H:%M}: {result.rows} "
                  f"predictions vs {result.reference}, drifted: {drifted}")  # fmt: skip
        last = start + timedelta(hours=WINDOWS - 1)
        _cli("monitor", "run", DEPLOYMENT, "--since", last.isoformat(), "--until",
             (last + timedelta(hours=1)).isoformat(), "--config", str(config_file))  # fmt: skip

        step(first + 2, "The alert fired once (to the webhook and the log) and retrained")
        _cli("alerts", "list")
        [alert] = workspace.monitoring.list_alerts(deployment=DEPLOYMENT)
        print(f"  the webhook received {len(receiver.received)} notification(s); the alert "
              f"was seen in {alert.occurrences} windows but retrained once: run "
              f"{alert.triggered_run_id}")  # fmt: skip
        versions = workspace.models.list_versions("churn")
        new = versions[0]
        verdict = workspace.runs.get(alert.triggered_run_id or "").tags.get("shipyard.verdict")
        print(f"  the pipeline trained {new.ref} on the newest data "
              f"({len(versions) - versions_before} new version): {verdict}, "
              f"aliases {list(new.aliases)}")  # fmt: skip

        step(first + 3, "A self-contained HTML report and a Markdown summary")
        _cli("monitor", "report", DEPLOYMENT, "--output", "report")
    receiver.stop()
    return first + STEPS


def main() -> None:
    """Run the monitoring steps alone: a fresh workspace with churn@production trained on a
    dataset logged as its training data."""
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    folder = Path(tempfile.mkdtemp(prefix="shipyard-demo-monitoring-"))
    os.chdir(folder)
    os.environ["SHIPYARD_HOME"] = str(folder / ".shipyard")
    data = customers(20_000, seed=7)
    prepare = ColumnTransformer(
        [("numbers", StandardScaler(), ["tenure_months", "monthly_charges", "support_calls"]),
         ("plan", OneHotEncoder(), ["plan"])]
    )  # fmt: skip
    model = Pipeline([("prepare", prepare), ("classify", LogisticRegression(max_iter=500))])
    model.fit(data.drop(columns="churned"), data["churned"])
    with sy.start_run("baseline") as active:
        sy.log_dataset(data, "churn-training", context="train")
        active.log_model(model, "churn", input_example=data.drop(columns="churned").head(3))
    sy.promote("churn", 1, "production", reason="first model")
    print(f"Monitoring demo in {folder}")

    def step(number: int, text: str) -> None:
        print(f"\n==> [{number}/{STEPS}] {text}", flush=True)

    run(step, 1)


if __name__ == "__main__":
    main()
