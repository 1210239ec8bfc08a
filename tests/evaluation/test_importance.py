"""Global feature importance recorded by every evaluation: permutation importance equal to
scikit-learn's own on the same sample, seed and repeats; SHAP importance equal to the mean
absolute value of SHAP's own explainers on the same rows; both plotted in the HTML report;
nothing computed when switched off; a model SHAP cannot explain fast says why."""

from __future__ import annotations

import base64
import re
from typing import Any

import numpy as np
import pandas as pd
import pytest
import shap
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.inspection import permutation_importance
from sklearn.linear_model import Ridge
from sklearn.neighbors import KNeighborsClassifier

from shipyard.evaluation import plots
from shipyard.evaluation.evaluate import evaluate
from shipyard.evaluation.report import render_html, render_markdown
from shipyard.evaluation.result import EvaluationResult
from shipyard.evaluation.spec import EvaluationSpec

FEATURES = ["income", "debt", "age", "noise"]
LOSS = "neg_root_mean_squared_error"  # scikit-learn's rmse scorer: larger is better


def numbers(rows: int, seed: int) -> pd.DataFrame:
    """Four numeric features; the label depends on income and debt, a little on age."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(size=(rows, 4)), columns=FEATURES)
    signal = 1.5 * frame["income"] - frame["debt"] + 0.3 * frame["age"]
    frame["target"] = signal + rng.normal(scale=0.5, size=rows)
    frame["label"] = (frame["target"] > 0).astype(int)
    return frame


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return numbers(900, seed=3)


@pytest.fixture(scope="module")
def trees(data: pd.DataFrame) -> GradientBoostingClassifier:
    model = GradientBoostingClassifier(n_estimators=30, max_depth=3, random_state=0)
    return model.fit(data[FEATURES], data["label"])


def spec(task: str = "classification", **importance: Any) -> EvaluationSpec:
    label, metrics = ("label", ["roc_auc", "accuracy"]) if task == "classification" else (
        "target", ["rmse", "r2"])  # fmt: skip
    return EvaluationSpec(task=task, label=label, metrics=metrics,
                          feature_importance=importance or True)  # fmt: skip


def sample(rows: int, max_rows: int, seed: int) -> np.ndarray:
    """The documented sample: ``max_rows`` positions drawn by ``seed`` without replacement,
    in order."""
    return np.sort(np.random.default_rng(seed).choice(rows, max_rows, replace=False))


def test_permutation_importance_equals_scikit_learns_on_the_same_sample(
    data: pd.DataFrame, trees: GradientBoostingClassifier
) -> None:
    chosen = spec(metric="roc_auc", max_rows=300, repeats=4, seed=11, shap=False)
    found = evaluate(trees, data, chosen).feature_importance
    assert found is not None and found["rows"] == 300 and found["repeats"] == 4
    rows = data.iloc[sample(len(data), 300, 11)]
    expected = permutation_importance(trees, rows[FEATURES], rows["label"], scoring="roc_auc",
                                      n_repeats=4, random_state=11)  # fmt: skip
    by_name = {row["feature"]: row for row in found["features"]}
    for position, feature in enumerate(FEATURES):
        assert by_name[feature]["importance"] == pytest.approx(expected.importances_mean[position])
        assert by_name[feature]["std"] == pytest.approx(expected.importances_std[position])
    assert [row["feature"] for row in found["features"]][:2] == ["income", "debt"]


def test_permutation_importance_of_a_loss_metric_is_how_much_it_grows(data: pd.DataFrame) -> None:
    model = Ridge().fit(data[FEATURES], data["target"])
    found = evaluate(model, data, spec("regression", max_rows=200, seed=2)).feature_importance
    assert found is not None and found["metric"] == "rmse" and found["repeats"] == 3
    rows = data.iloc[sample(len(data), 200, 2)]
    expected = permutation_importance(model, rows[FEATURES], rows["target"], n_repeats=3,
                                      scoring=LOSS, random_state=2)  # fmt: skip
    assert found["importances"] == pytest.approx(by_feature(expected.importances_mean))
    assert found["importances"]["income"] > 0 and "noise" in found["flagged"]


def test_shap_importance_equals_the_tree_explainers_mean_absolute_values(
    data: pd.DataFrame, trees: GradientBoostingClassifier
) -> None:
    chosen = spec(max_rows=400, seed=4, shap_rows=120, shap_seconds=600)
    found = evaluate(trees, data, chosen).feature_importance
    assert found is not None
    computed = found["shap"]
    assert computed["status"] == "computed" and computed["method"] == "shap-tree"
    assert computed["rows"] == 120
    rows = data.iloc[sample(len(data), 400, 4)[:120]][FEATURES]
    values = shap.TreeExplainer(trees).shap_values(rows)
    expected = np.abs(np.asarray(values)).mean(axis=0)
    assert computed["importances"] == pytest.approx(by_feature(expected))
    assert next(iter(computed["importances"])) == "income"  # largest first
    swarm = computed["beeswarm"]
    assert swarm["rows"] == 120 and swarm["points"][0]["feature"] == "income"
    income = swarm["points"][0]
    assert income["shap"] == pytest.approx(list(values[:, 0]), rel=1e-3, abs=1e-6)  # 4 digits
    assert all(v is None or 0.0 <= v <= 1.0 for v in income["value"])


def test_shap_importance_of_a_linear_model_equals_the_linear_explainers(
    data: pd.DataFrame,
) -> None:
    model = Ridge().fit(data[FEATURES], data["target"])
    chosen = spec("regression", max_rows=300, seed=6, shap_rows=80)
    found = evaluate(model, data, chosen).feature_importance
    assert found is not None and found["shap"]["method"] == "shap-linear"
    rows = data.iloc[sample(len(data), 300, 6)[:80]][FEATURES].to_numpy()
    values = shap.LinearExplainer(model, rows).shap_values(rows)  # against the same rows
    expected = np.abs(values).mean(axis=0)
    assert found["shap"]["importances"] == pytest.approx(by_feature(expected))


def test_the_html_report_plots_the_importances_and_the_beeswarm(
    data: pd.DataFrame, trees: GradientBoostingClassifier
) -> None:
    result = evaluate(trees, data, spec(shap_rows=60, shap_seconds=600))
    html = render_html(EvaluationResult.from_dict(result.to_dict()))  # as stored and read back
    bars, swarm = figure(html, "Feature importance"), figure(html, "SHAP summary")
    for name in FEATURES:
        assert f">{name}<" in bars and f">{name}<" in swarm
    assert "Permutation importance (roc_auc loss)" in bars and "Mean |SHAP value|" in bars
    assert bars.count("<path") > 2 * len(FEATURES)  # a bar (and its whisker) per feature
    assert "SHAP value (impact on the model" in swarm and "Feature value" in swarm
    assert swarm.count("<use") >= len(FEATURES) * 60  # a dot per explained row and feature
    markdown = render_markdown(result)
    assert r"mean \|SHAP\|" in markdown and "over 60 rows" in markdown  # escaped pipes


def test_the_charts_say_so_when_there_is_nothing_to_draw() -> None:
    empty_bars = decode(plots.importance_bars([], [], "roc_auc", None))
    assert "No features to rank." in empty_bars and "Permutation importance" in empty_bars
    empty_swarm = decode(plots.beeswarm([], "raw"))
    assert "No rows were explained." in empty_swarm and "SHAP value" in empty_swarm


def test_switched_off_nothing_is_computed(data: pd.DataFrame) -> None:
    model = CountingClassifier(n_estimators=10, random_state=0).fit(data[FEATURES], data["label"])
    CountingClassifier.calls = 0
    result = evaluate(model, data, spec().model_copy(update={"feature_importance": None}))
    assert result.feature_importance is None and model.calls == 2  # predict, predict_proba
    assert "Feature importance" not in render_html(result)
    evaluate(model, data, spec(shap=False, repeats=1))
    assert model.calls >= 2 + 1 + len(FEATURES)  # then the sample and each shuffle is scored


def test_a_model_without_a_fast_explainer_records_why_shap_was_skipped(
    data: pd.DataFrame,
) -> None:
    model = KNeighborsClassifier().fit(data[FEATURES], data["label"])
    result = evaluate(model, data, EvaluationSpec(task="classification", label="label"))
    found = result.feature_importance  # on by default
    assert found is not None and found["importances"]["income"] > 0
    assert found["shap"]["status"] == "skipped"
    assert "no fast explainer" in found["shap"]["reason"]
    assert "SHAP importance was skipped" in render_markdown(result)
    off = evaluate(model, data, spec(shap=False, max_rows=50)).feature_importance
    assert off is not None and "switched off" in off["shap"]["reason"]


class CountingClassifier(GradientBoostingClassifier):
    """A real gradient-boosting model that counts the predictions it is asked for."""

    calls = 0

    def predict(self, X: Any) -> Any:
        type(self).calls += 1
        return super().predict(X)

    def predict_proba(self, X: Any) -> Any:
        type(self).calls += 1
        return super().predict_proba(X)


def by_feature(values: Any) -> dict[str, float]:
    return dict(zip(FEATURES, (float(v) for v in values), strict=True))


def figure(html: str, alt: str) -> str:
    pattern = rf'<img src="(data:image/svg\+xml;base64,[^"]+)" alt="{re.escape(alt)}"'
    found = re.search(pattern, html)
    assert found is not None, f"no {alt} figure"
    return decode(found.group(1))


def decode(uri: str) -> str:
    svg = base64.b64decode(uri.split(",", 1)[1]).decode("utf-8")
    assert svg.lstrip().startswith(("<?xml", "<svg"))
    return svg
