"""A simpler model is not better (``kind: baseline`` gates) and every feature is beneficial
(permutation importance in the ``feature_importance`` section), with real models."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sklearn.pipeline import Pipeline
from typer.testing import CliRunner

import shipyard as sy
from shipyard._store.workspace import Workspace
from shipyard.cli.app import app
from shipyard.core.errors import ConfigurationKeyError, UsageError
from shipyard.evaluation.evaluate import evaluate
from shipyard.evaluation.report import render_markdown
from shipyard.evaluation.result import EvaluationResult
from shipyard.evaluation.spec_check import check_spec
from shipyard.pipeline.runner import run_pipeline
from tests.evaluation.conftest import make_spec
from tests.pipeline.project import CONFIG, make_project

COLUMNS = {"income": "float", "debt_ratio": "float", "age": "integer", "region": "string",
           "sex": "string", "applicant_id": "integer", "repaid": "integer"}  # fmt: skip


def test_a_model_worse_than_a_linear_baseline_fails_and_a_good_one_passes(
    train: pd.DataFrame, holdout: pd.DataFrame, weak_model: Pipeline, biased_model: Pipeline
) -> None:
    spec = make_spec(
        {"kind": "baseline", "model": "linear", "metric": "roc_auc", "margin": 0.01},
        {"kind": "baseline", "model": "dummy", "metric": "roc_auc", "margin": 0.1},
    )
    weak = evaluate(weak_model, holdout, spec, train=train)
    linear = weak.gate("baseline:linear:roc_auc")
    assert not linear.passed and "short by" in linear.message
    assert "linear baseline" in linear.message and "+ margin 0.010" in linear.message
    assert linear.details["estimator"] == "LogisticRegression"
    assert linear.details["train_rows"] == len(train)
    assert weak.baselines["baseline:linear"]["metrics"]["roc_auc"] > weak.metrics["roc_auc"]
    good = evaluate(biased_model, holdout, spec, train=train)
    assert good.gate("baseline:dummy:roc_auc").passed
    assert good.gate("baseline:dummy:roc_auc").details["baseline"] == pytest.approx(0.5)
    assert "dummy baseline" in render_markdown(good)


def test_a_baseline_gate_on_a_loaded_package_fits_on_its_input_columns(
    train: pd.DataFrame, holdout: pd.DataFrame, registered_credit: Any
) -> None:
    spec = make_spec({"kind": "baseline", "model": "linear", "metric": "roc_auc", "margin": 0.2})
    result = evaluate(registered_credit, holdout, spec, train=train)
    gate = result.gate("baseline:linear:roc_auc")
    assert not gate.passed and gate.threshold is not None  # 0.2 better than linear: too much


def test_a_baseline_gate_without_training_data_is_a_usage_error(
    holdout: pd.DataFrame, biased_model: Pipeline
) -> None:
    spec = make_spec({"kind": "baseline", "model": "dummy", "metric": "accuracy"})
    with pytest.raises(UsageError) as error:
        evaluate(biased_model, holdout, spec)
    assert "train=" in (error.value.hint or "")


def test_permutation_importance_flags_a_feature_the_model_ignores(
    holdout: pd.DataFrame, biased_model: Pipeline
) -> None:
    spec = make_spec(feature_importance={"metric": "roc_auc", "repeats": 2, "max_rows": 1500})
    result = evaluate(biased_model, holdout, spec)
    found = result.feature_importance
    assert found is not None and found["metric"] == "roc_auc" and found["rows"] == 1500
    by_name = {row["feature"]: row for row in found["features"]}
    assert by_name["applicant_id"]["importance"] == 0.0 and by_name["applicant_id"]["flagged"]
    assert "applicant_id" in found["flagged"] and "income" not in found["flagged"]
    assert found["features"][0]["feature"] in {"income", "sex", "debt_ratio"}
    assert any("applicant_id" in note for note in result.notes)
    again = EvaluationResult.from_dict(result.to_dict())
    assert again.feature_importance == result.to_dict()["feature_importance"]
    assert "## Feature importance" in render_markdown(result)
    assert evaluate(biased_model, holdout, make_spec()).feature_importance is not None  # default
    off = evaluate(biased_model, holdout, make_spec(feature_importance=False))
    assert off.feature_importance is None


def test_the_new_sections_are_checked_with_their_key_paths() -> None:
    assert make_spec(feature_importance=True).importance_metric == "accuracy"
    assert make_spec(feature_importance=False).feature_importance is None
    with pytest.raises(ConfigurationKeyError) as error:
        check_spec(make_spec(feature_importance={"metric": "rmse"}), COLUMNS)
    assert error.value.key_path == ("evaluation", "feature_importance", "metric")
    with pytest.raises(ConfigurationKeyError) as error:
        check_spec(make_spec({"kind": "baseline", "metric": "aucc"}), COLUMNS)
    assert error.value.key_path == ("evaluation", "gates", 0, "metric")


def test_the_pipeline_fits_the_baseline_on_its_train_split_and_stores_importance(
    tmp_path: Path, sqlite_workspace: Workspace
) -> None:
    workspace = sqlite_workspace  # the store's side is tested on both backends elsewhere
    config = CONFIG.replace(
        "  gates:\n",
        "  feature_importance: {repeats: 2}\n  gates:\n"
        "    - {name: beats-dummy, kind: baseline, model: dummy, metric: roc_auc, margin: 0.05}\n",
    )
    result = run_pipeline(make_project(tmp_path, config=config), workspace=workspace)
    assert result.evaluation is not None
    assert result.evaluation.gate("beats-dummy").passed
    stored = sy.feature_importance("credit/1", workspace=workspace)
    assert stored is not None and stored["model"] == "credit/1"
    assert stored["metric"] == "roc_auc" and len(stored["features"]) >= 7
    assert "sex" in stored["flagged"]  # a column the training function never uses
    record = sy.latest_evaluation("credit", 1, workspace=workspace)
    assert record is not None and record.feature_importance is not None
    assert "feature_importance" not in record.metrics  # the metrics stay numbers
    assert record.feature_importance["importances"]["sex"] <= 0
    shap = record.feature_importance["shap"]  # the packaged pipeline, explained at its last step
    assert shap["status"] == "computed" and shap["method"] == "shap-linear"
    assert set(shap["importances"]) == set(record.feature_importance["importances"])
    settings = workspace.settings
    shown = CliRunner().invoke(app, ["--store", settings.resolved_store_url, "--artifacts",
                                     settings.resolved_artifacts_url, "models", "importance",
                                     "credit/1"], env={"COLUMNS": "200"})  # fmt: skip
    assert shown.exit_code == 0, shown.output
    assert "no benefit" in shown.stdout and "sex" in shown.stdout and "mean |SHAP|" in shown.stdout
