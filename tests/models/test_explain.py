"""sy.explain: SHAP attributions compared with SHAP's own explainers on the same data, mapped
back to the input columns through a scikit-learn pipeline, and refused with a reason for a
model no fast explainer handles."""

from __future__ import annotations

import warnings
from pathlib import Path

import lightgbm
import numpy as np
import pandas as pd
import pytest
import shap
import xgboost
from sklearn.compose import ColumnTransformer
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import shipyard as sy
from shipyard.models.explain import ExplanationUnavailableError
from shipyard.models.package import load_package, save_package


def _data() -> tuple[pd.DataFrame, np.ndarray]:
    X, y = make_classification(n_samples=400, n_features=4, n_informative=3, n_redundant=0,
                               random_state=1)  # fmt: skip
    return pd.DataFrame(X, columns=["a", "b", "c", "d"]), y


def _packaged(model: object, example: pd.DataFrame, where: Path) -> sy.LoadedModel:
    save_package(model, where / "package", input_example=example)
    return load_package(where / "package", trusted=["sklearn.tree._tree.Tree"])


@pytest.mark.parametrize("framework", ["xgboost", "lightgbm", "forest"])
def test_tree_attributions_equal_shaps_tree_explainer(tmp_path: Path, framework: str) -> None:
    X, y = _data()
    if framework == "xgboost":
        model: object = xgboost.XGBClassifier(n_estimators=12, max_depth=3).fit(X, y)
    elif framework == "lightgbm":
        model = lightgbm.LGBMClassifier(n_estimators=12, verbose=-1).fit(X, y)
    else:
        target = make_regression(n_samples=400, n_features=4, random_state=1)[1]
        model = RandomForestRegressor(n_estimators=8, max_depth=4, random_state=0).fit(X, target)
    loaded = _packaged(model, X.head(20), tmp_path)
    rows = X.iloc[100:110]
    found = sy.explain(loaded, rows)
    with warnings.catch_warnings():  # LightGBM's binary output shape note
        warnings.simplefilter("ignore", UserWarning)
        expected = np.asarray(shap.TreeExplainer(model).shap_values(rows))
    if isinstance(expected, np.ndarray) and expected.ndim == 3 and expected.shape[0] == 2:
        expected = np.moveaxis(expected, 0, -1)
    if expected.ndim == 3:
        expected = expected[..., 1]
    assert found.method == "shap-tree" and found.features == ["a", "b", "c", "d"]
    np.testing.assert_allclose(np.asarray(found.values), expected, rtol=1e-5, atol=1e-6)
    assert list(found.rows()[0]) == ["a", "b", "c", "d"]
    importance = found.global_importance()
    assert list(importance.values()) == sorted(importance.values(), reverse=True)


def test_a_pipelines_attributions_name_its_input_columns_and_add_up(tmp_path: Path) -> None:
    X, y = _data()
    X["region"] = np.where(X["a"] > 0, "north", "south")
    prepare = ColumnTransformer([("num", StandardScaler(), ["a", "b", "c", "d"]),
                                 ("cat", OneHotEncoder(), ["region"])])  # fmt: skip
    model = make_pipeline(prepare, LogisticRegression()).fit(X, y)
    loaded = _packaged(model, X.head(50), tmp_path)
    rows = X.iloc[200:205]
    found = sy.explain(loaded, rows.to_dict(orient="records"))
    assert found.method == "shap-linear"
    assert found.features == ["a", "b", "c", "d", "region"]
    probability = model.predict_proba(rows)[:, 1]
    log_odds = np.log(probability / (1 - probability))
    totals = np.asarray(found.values).sum(axis=1) + found.base_value
    np.testing.assert_allclose(totals, log_odds, rtol=1e-6)
    # the same as SHAP's LinearExplainer on the produced features, summed per input column
    produced = model[:-1].transform(rows)
    background = model[:-1].transform(X.head(50))
    direct = shap.LinearExplainer(model[-1], background).shap_values(produced)
    np.testing.assert_allclose(np.asarray(found.values)[:, :4], direct[:, :4], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(found.values)[:, 4], direct[:, 4:].sum(axis=1),
                               rtol=1e-6, atol=1e-9)  # fmt: skip


def test_a_model_without_a_fast_explainer_is_refused_with_the_reason(tmp_path: Path) -> None:
    X, y = _data()
    loaded = _packaged(GaussianNB().fit(X, y), X.head(10), tmp_path)
    with pytest.raises(ExplanationUnavailableError, match=r"no fast explainer.*GaussianNB"):
        sy.explain(loaded, X.head(2))
    with pytest.raises(sy.UsageError, match="loaded model"):
        sy.explain("churn@production", X.head(2))  # type: ignore[arg-type]
