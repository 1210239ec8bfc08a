"""The end-to-end demo behind `make demo`: data versions and validation, training, the
registry, online, batch and stream serving, monitoring with alerts and retraining, a
`shipyard.yaml` pipeline with gates, promotion and reproduction, `shipyard ci` on it, the
scorecard of what was recorded, and progressive rollouts judged on live traffic.

Everything runs on the embedded default: a SQLite file and a local artifact folder under
.demo/, created fresh each time. No network, no server.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from demo_ci import run as ci_steps
from demo_data import run as data_steps
from demo_monitoring import run as monitoring_steps
from demo_pipeline import run as pipeline_steps
from demo_rollout import run as rollout_steps
from demo_scorecard import run as scorecard_steps
from demo_serving import run as serving_steps
from demo_streaming import run as streaming_steps
from demo_tuning import run as tuning_steps
from demo_ui import run as ui_steps
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import shipyard as sy

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / ".demo"
NUMBERS = ["tenure_months", "monthly_charges", "support_calls"]
TRUSTED_TYPES = ["sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"]


STEPS = 33


def step(number: int, text: str) -> None:
    print(f"\n==> [{number}/{STEPS}] {text}", flush=True)


def cli(*args: str) -> None:
    """Run the real `shipyard` command, as a user would type it."""
    command = [str(Path(sys.executable).with_name("shipyard")), *args]
    print("$ shipyard " + " ".join(args), flush=True)
    subprocess.run(command, check=True, env={**os.environ, "COLUMNS": "110"})


def make_data(rows: int, seed: int) -> pd.DataFrame:
    """A synthetic churn table with numbers, a category and a learnable label."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "tenure_months": rng.integers(1, 72, rows),
            "monthly_charges": rng.normal(70, 20, rows).round(2),
            "support_calls": rng.poisson(1.5, rows),
            "plan": rng.choice(["basic", "standard", "premium"], rows),
        }
    )
    score = (
        -0.05 * frame["tenure_months"]
        + 0.03 * frame["monthly_charges"]
        + 0.6 * frame["support_calls"]
        + 0.04 * (frame["support_calls"] * frame["monthly_charges"] > 150)
        + frame["plan"].map({"basic": 0.7, "standard": 0.0, "premium": -0.7})
    )
    frame["churned"] = (score + rng.normal(0, 0.8, rows) > score.median()).astype(int)
    return frame


def pipeline(classifier: object) -> Pipeline:
    prepare = ColumnTransformer(
        [("numbers", StandardScaler(), NUMBERS), ("plan", OneHotEncoder(), ["plan"])]
    )
    return Pipeline([("prepare", prepare), ("classify", classifier)])


def train(name: str, classifier: object, params: dict[str, object]) -> sy.ActiveRun:
    data = make_data(20_000, seed=7)
    x_train, x_test, y_train, y_test = train_test_split(
        data.drop(columns="churned"), data["churned"], test_size=0.25, random_state=0
    )
    with sy.start_run(name, params=params, tags={"demo": "true"}) as run:
        sy.seed_everything(42)
        sy.log_dataset(data, "churn-training", context="train")  # recorded as the run's input
        model = pipeline(classifier).fit(x_train, y_train)
        probabilities = model.predict_proba(x_test)[:, 1]
        metrics = {
            "auc": float(roc_auc_score(y_test, probabilities)),
            "accuracy": float(accuracy_score(y_test, model.predict(x_test))),
        }
        for cutoff in range(1, 10):  # a metric with steps: accuracy at each threshold
            predicted = (probabilities >= cutoff / 10).astype(int)
            sy.log_metric("accuracy_at_threshold", float((predicted == y_test).mean()), cutoff)
        sy.log_metrics(metrics)
        version = run.log_model(model, "churn", input_example=x_test.head(3))
    print(f"  run {run.id} ({name}): auc={metrics['auc']:.4f} -> registered {version.ref}")
    return run


def main() -> None:
    started = time.perf_counter()
    shutil.rmtree(DEMO, ignore_errors=True)
    DEMO.mkdir()
    os.chdir(DEMO)
    os.environ["SHIPYARD_HOME"] = str(DEMO / ".shipyard")
    # skops does not trust gradient-boosting tree containers by default (a crafted file could
    # read out-of-bounds memory); a team that reviewed it trusts it once, for its workspace.
    os.environ["SHIPYARD_TRUSTED_TYPES"] = json.dumps(TRUSTED_TYPES)
    print("Shipyard demo: workspace in .demo/ (SQLite store + local artifact folder)")
    print(f"Trusted model types in this workspace: {', '.join(TRUSTED_TYPES)}")

    n = data_steps(step, 1)

    step(n, "Train and track two candidate models")
    train(
        "logistic-baseline",
        LogisticRegression(C=0.1, max_iter=500),
        {"model": "logistic", "C": 0.1},
    )
    train("gradient-boosting", HistGradientBoostingClassifier(max_iter=100, random_state=0),
          {"model": "hgb", "max_iter": 100})  # fmt: skip
    cli("runs", "list")

    step(n + 1, "Promote version 1 to production, then version 2 (each move is audited)")
    sy.promote("churn", 1, "production", reason="first model to ship")
    sy.promote("churn", 2, "production", reason="higher AUC than version 1")
    cli("models", "show", "churn")

    step(n + 2, "Load churn@production back by alias (hashes verified) and predict")
    model = sy.load_model("churn@production")
    new_customers = [
        {"tenure_months": 2, "monthly_charges": 95.0, "support_calls": 4, "plan": "basic"},
        {"tenure_months": 60, "monthly_charges": 40.0, "support_calls": 0, "plan": "premium"},
    ]
    print(f"  churn@production is version {model.registered_as.version}")
    print(f"  predictions for two new customers: {model.predict(new_customers)}")

    step(n + 3, "Inputs are checked strictly: a missing field is an error, never a silent 0")
    try:
        model.predict([{"tenure_months": 2, "monthly_charges": "lots", "plan": "gold"}])
    except sy.InputValidationError as error:
        for problem in error.problems:
            print(f"  rejected: {problem}")

    step(n + 4, "Roll production back to the previous version")
    cli("rollback", "churn@production", "--reason", "demo of a rollback")

    n = serving_steps(step, n + 5)  # production is on version 1; version 2 exists
    n = monitoring_steps(step, n)  # drift, alerts, a retrain whose candidate goes to staging

    step(n, "The audit log says who moved production, when, and why")
    cli("audit", "--model", "churn")

    step(n + 1, "Score a held-out file in batch (one part: in-process; resumable, rejects kept)")
    held_out = make_data(50_000, seed=11).drop(columns="churned")
    held_out.loc[[3, 4], "plan"] = "enterprise"  # a plan the model never saw: rejected
    held_out.to_parquet(DEMO / "held_out.parquet", row_group_size=10_000)
    cli("batch", "churn@production", "--input", "held_out.parquet", "--output", "scored")
    scored = pd.read_parquet(DEMO / "scored")
    rejects = pd.read_parquet(DEMO / "scored" / "_rejects")
    print(f"  {len(scored):,} predictions; first rows:\n{scored.head(3).to_string(index=False)}")
    print(f"  {len(rejects)} rejected, e.g. row {rejects['row_id'].iloc[0]}: "
          f"{rejects['reason'].iloc[0]}")  # fmt: skip

    n = streaming_steps(step, n + 2)
    n = pipeline_steps(step, n)  # a shipyard.yaml project in .demo/credit
    n = ci_steps(step, n)  # `shipyard ci` passing, then failing a gate, in .demo/ci-credit
    n = tuning_steps(step, n)  # `shipyard tune`, the tuned run, and an explanation
    n = scorecard_steps(step, n)  # the ci-credit project's scorecard and maturity grid
    os.chdir(DEMO)
    n = rollout_steps(step, n)  # a good canary promoted, a worse one rolled back by itself
    n = ui_steps(step, n)  # the web UI on this workspace, every page photographed

    step(n, "Everything is recorded: any run can be traced and reproduced")
    cli("runs", "show", sy.resolve("churn/2").source_run_id or "")
    print(f"\nDemo finished in {time.perf_counter() - started:.1f} s.")


if __name__ == "__main__":
    main()
