"""Real models on small generated data, and a real artifact store on a temporary folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from shipyard._store.artifacts import ArtifactStore


@pytest.fixture(scope="session")
def customers() -> pd.DataFrame:
    """A string column, an integer column and a float column."""
    rng = np.random.default_rng(7)
    n = 300
    return pd.DataFrame(
        {
            "plan": rng.choice(["basic", "plus", "pro"], n),
            "age": rng.integers(18, 80, n),
            "spend": rng.normal(50.0, 12.0, n).round(3),
        }
    )


@pytest.fixture(scope="session")
def churn_labels(customers: pd.DataFrame) -> pd.Series[Any]:
    score = customers["spend"] / 10 - customers["age"] / 20 + (customers["plan"] == "pro") * 1.5
    return pd.Series(np.where(score > score.median(), "churn", "stay"), name="label")


@pytest.fixture(scope="session")
def classifier(customers: pd.DataFrame, churn_labels: pd.Series[Any]) -> Pipeline:
    """OneHotEncoder on the string column, StandardScaler on the numbers, then a classifier."""
    features = ColumnTransformer(
        [
            ("plan", OneHotEncoder(), ["plan"]),
            ("numbers", StandardScaler(), ["age", "spend"]),
        ]
    )
    model = Pipeline([("features", features), ("classify", LogisticRegression())])
    return model.fit(customers, churn_labels)


@pytest.fixture(scope="session")
def regressor(customers: pd.DataFrame) -> HistGradientBoostingRegressor:
    numbers = customers[["age", "spend"]]
    target = customers["spend"] * 3 - customers["age"]
    return HistGradientBoostingRegressor(max_iter=30, random_state=0).fit(numbers, target)


@pytest.fixture()
def artifacts(tmp_path: Path) -> ArtifactStore:
    return ArtifactStore(str(tmp_path / "artifacts"))
