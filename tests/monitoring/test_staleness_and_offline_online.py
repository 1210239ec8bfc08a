"""The impact of staleness (the production version on newer labelled data) and whether offline
and online metrics agree across versions, from real models, evaluations and monitor windows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import shipyard as sy
from shipyard.core.errors import ConfigurationError, NotFoundError
from shipyard.monitoring import monitor_run, parse_config
from tests.monitoring.conftest import (
    CATEGORICAL,
    DEPLOYMENT,
    NUMERIC,
    Monitored,
    make_frame,
    truth,
)
from tests.monitoring.test_cli_and_report import _cli


def _shifted(frame: pd.DataFrame, threshold: float) -> np.ndarray:
    """Labels of a world that moved: the rule's threshold is no longer 60."""
    return ((frame["age"] + 20 * (frame["plan"] == "pro")) > threshold).astype(int).to_numpy()


def test_staleness_shows_the_metric_decaying_on_newer_data(monitored: Monitored) -> None:
    ws = monitored.workspace
    sy.promote("churn", 1, "production", reason="first", workspace=ws)
    for seed, threshold in ((11, 60), (12, 66), (13, 74)):
        frame = make_frame(1500, seed=seed)
        sy.log_dataset(frame.assign(churned=_shifted(frame, threshold)), "churn-train",
                       workspace=ws)  # fmt: skip
    report = sy.staleness("churn", metric="accuracy", label="churned", task="classification",
                          workspace=ws)  # fmt: skip
    assert report.model == "churn/1" and report.trained_on == "churn-train/1"
    assert [p.dataset for p in report.points] == ["churn-train/2", "churn-train/3",
                                                  "churn-train/4"]  # fmt: skip
    values = [p.value for p in report.points]
    assert values[0] is not None and values[0] > 0.97  # same world: as good as ever
    assert values == sorted(values, reverse=True)  # then worse with every version
    assert report.change is not None and report.change < -0.1
    assert report.decay_per_30_days is not None and report.decay_per_30_days < 0
    study = ws.runs.get(str(report.run_id))
    assert study.kind == "staleness" and study.status == "finished"
    assert [p.value for p in ws.runs.metric_history(study.id, "accuracy")] == values
    shown = _cli(monitored, "staleness", "churn", "--metric", "accuracy", "--label", "churned",
                 "--task", "classification", "--json")  # fmt: skip
    assert shown.exit_code == 0, shown.output
    assert '"change"' in shown.stdout and "churn-train/4" in shown.stdout


def test_staleness_says_what_it_lacks(monitored: Monitored) -> None:
    ws = monitored.workspace
    with pytest.raises(NotFoundError, match="no version newer than churn-train/1"):
        sy.staleness("churn/1", label="churned", task="classification", workspace=ws)
    with pytest.raises(ConfigurationError) as error:
        sy.staleness("churn/1", workspace=ws, config=monitored.tmp / "none.yaml")
    assert "--label" in (error.value.hint or "")


def _model(frame: pd.DataFrame, threshold: float) -> Pipeline:
    prepare = ColumnTransformer(
        [("num", StandardScaler(), NUMERIC),
         ("cat", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL)]
    )  # fmt: skip
    model = Pipeline([("prepare", prepare), ("clf", LogisticRegression(max_iter=500))])
    return model.fit(frame, _shifted(frame, threshold))


def test_offline_and_online_metrics_are_paired_per_version_and_correlated(
    monitored: Monitored,
) -> None:
    ws, train = monitored.workspace, make_frame(3000, seed=5)
    holdout = make_frame(1500, seed=6).assign(churned=lambda f: truth(f))
    models = {1: monitored.model}
    for version, threshold in ((2, 70), (3, 85)):  # trained on a mistaken rule: worse
        models[version] = _model(train, threshold)
        with sy.start_run(workspace=ws) as run:
            sy.log_dataset(train.assign(churned=truth(train)), "churn-train", context="train")
            run.log_model(models[version], "churn", input_example=train.head(5))
    spec = sy.EvaluationSpec(task="classification", label="churned", metrics=["accuracy"])
    offline = {}
    for version, model in models.items():
        result = sy.evaluate(model, holdout, spec)
        with sy.start_run(f"evaluate {version}", workspace=ws) as run:
            sy.record_evaluation("churn", version, passed=True, gates=[], metrics=result.metrics,
                                 report_hashes={}, run_id=run.id, workspace=ws)  # fmt: skip
        offline[version] = result.metrics["accuracy"]
    config = parse_config({"label": "churned"})
    for index, version in enumerate((1, 2, 3)):
        ws.deployments.apply(DEPLOYMENT, model="churn", routes=[{"version": version, "weight":
                             100}], actor="tester@test")  # fmt: skip
        frame = make_frame(400, seed=20 + index)
        predictions = models[version].predict(frame).tolist()
        start, end = monitored.window(index, frame, labels=truth(frame), version=version,
                                      predictions=predictions)  # fmt: skip
        monitor_run(DEPLOYMENT, since=start, until=end, config=config, workspace=ws)
    found = sy.offline_online("churn", workspace=ws)
    assert found.metric == "accuracy" and found.deployments == [DEPLOYMENT]
    assert [v.version for v in found.paired] == [1, 2, 3]
    for row in found.versions:
        assert row.offline == pytest.approx(offline[row.version])
        assert row.labelled_rows == 400 and row.windows == 1
        assert row.difference is not None and abs(row.difference) < 0.08
    assert found.correlation is not None and found.correlation > 0.9
    shown = _cli(monitored, "models", "offline-online", "churn", "--json")
    assert shown.exit_code == 0, shown.output
    assert '"correlation"' in shown.stdout
