"""Credit data with a planted bias, real scikit-learn models fitted on it, and a helper to
build specs."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from shipyard.evaluation.spec import EvaluationSpec

NUMBERS = ["income", "debt_ratio", "age"]


def credit(rows: int, seed: int) -> pd.DataFrame:
    """Loan applications; ``repaid`` depends on income and debt, and (the planted historical
    bias) on ``sex``. ``applicant_id`` is noise a model must not use."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "income": rng.lognormal(10.5, 0.5, rows).round(0),
            "debt_ratio": rng.uniform(0.0, 1.0, rows).round(3),
            "age": rng.integers(18, 75, rows),
            "region": rng.choice(["north", "south", "east", "west"], rows, p=[0.4, 0.3, 0.2, 0.1]),
            "sex": rng.choice(["female", "male"], rows),
            "applicant_id": rng.integers(0, 1_000_000, rows),
        }
    )
    logit = (
        (np.log(frame["income"]) - 10.5) * 2.5
        - (frame["debt_ratio"] - 0.5) * 3.0
        + np.where(frame["sex"] == "male", 1.2, -0.2)
    )
    frame["repaid"] = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(int)
    return frame


def fit(frame: pd.DataFrame, categories: list[str], numbers: list[str] = NUMBERS) -> Pipeline:
    prepare = ColumnTransformer(
        [
            ("numbers", StandardScaler(), numbers),
            ("categories", OneHotEncoder(handle_unknown="ignore"), categories),
        ]
    )
    model = Pipeline([("prepare", prepare), ("classify", LogisticRegression(max_iter=500))])
    return model.fit(frame.drop(columns=["repaid"]), frame["repaid"])


@pytest.fixture(scope="session")
def train() -> pd.DataFrame:
    return credit(4000, seed=1)


@pytest.fixture(scope="session")
def holdout() -> pd.DataFrame:
    return credit(3000, seed=2)


@pytest.fixture(scope="session")
def biased_model(train: pd.DataFrame) -> Pipeline:
    """Uses ``sex`` (and so reproduces the bias)."""
    return fit(train, ["region", "sex"])


@pytest.fixture(scope="session")
def blind_model(train: pd.DataFrame) -> Pipeline:
    """Does not see ``sex``."""
    return fit(train, ["region"])


@pytest.fixture(scope="session")
def weak_model(train: pd.DataFrame) -> Pipeline:
    """Sees only the region and age: barely better than chance."""
    return fit(train, ["region"], numbers=["age"])


def make_spec(*gates: dict[str, Any], **fields: Any) -> EvaluationSpec:
    body: dict[str, Any] = {"task": "classification", "label": "repaid", **fields}
    body["gates"] = list(gates)
    return EvaluationSpec.model_validate(body)


@pytest.fixture(scope="session")
def registered_credit(biased_model: Pipeline, train: pd.DataFrame, tmp_path_factory: Any) -> Any:
    """The biased model saved as a package and loaded back, the way serving loads it."""
    from shipyard.models.package import load_package, save_package

    directory = tmp_path_factory.mktemp("package") / "credit"
    save_package(biased_model, directory, input_example=train.drop(columns=["repaid"]).head(20))
    return load_package(directory)
