"""Real models for the serving tests: a churn classifier (a Pipeline with a one-hot encoder and
a LogisticRegression, two versions) and a spend regressor, registered in a real workspace."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import shipyard as sy
from shipyard._store.workspace import Workspace

GOOD = {"plan": "pro", "age": 30, "spend": 70.5}


def customers(rows: int = 400, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "plan": rng.choice(["basic", "plus", "pro"], rows),
            "age": rng.integers(18, 80, rows),
            "spend": rng.normal(50.0, 12.0, rows).round(2),
        }
    )


def classifier(c: float) -> Pipeline:
    data = customers()
    label = (data["spend"] / 10 - data["age"] / 20 + (data["plan"] == "pro") * 1.5 > 2).astype(int)
    features = ColumnTransformer(
        [("plan", OneHotEncoder(), ["plan"]), ("numbers", StandardScaler(), ["age", "spend"])]
    )
    return Pipeline([("features", features), ("classify", LogisticRegression(C=c))]).fit(
        data, label
    )


def register_models(workspace: Workspace) -> None:
    """churn/1, churn/2 (classifiers), churn@production -> 1; spend/1 (a regressor)."""
    example = customers().head(3)
    for c in (1.0, 0.01):
        with sy.start_run("train", workspace=workspace) as run:
            run.log_model(classifier(c), "churn", input_example=example)
    data = customers()
    regressor = HistGradientBoostingRegressor(max_iter=20, random_state=0).fit(
        data[["age", "spend"]], data["spend"] * 2 - data["age"]
    )
    with sy.start_run("train", workspace=workspace) as run:
        run.log_model(regressor, "spend", input_example=data[["age", "spend"]].head(3))
    sy.promote("churn", 1, "production", workspace=workspace)


REFUSED_AGES = [41, 77]
"""Valid ages the picky model raises on."""


def register_picky(workspace: Workspace) -> None:
    """picky/1, picky@production -> 1: a model that raises on valid rows aged REFUSED_AGES."""
    from tests.models.pymodels import PickyScorer

    with sy.start_run("train", workspace=workspace) as run:
        run.log_model(PickyScorer(REFUSED_AGES), "picky", input_example=customers().head(3))
    sy.promote("picky", 1, "production", workspace=workspace)
