"""The simple models a candidate must beat (``kind: baseline`` gates): ``dummy`` predicts the
prior class (or the mean) whatever the input; ``linear`` is a logistic (or ridge) regression
over median-imputed, standardised numbers and one-hot categories. Both are fitted on the same
training rows and columns the candidate was, so the comparison is fair."""

from __future__ import annotations

from typing import Any, Literal

import pandas as pd

from shipyard.core.errors import DataError

SimpleKind = Literal["dummy", "linear"]
MAX_CATEGORIES = 50
"""One-hot columns kept per categorical feature (the rarest fall into one)."""


def fit_simple(
    kind: SimpleKind, task: str, features: pd.DataFrame, labels: pd.Series[Any], seed: int = 0
) -> Any:
    """A fitted scikit-learn estimator of ``kind`` for ``task``."""
    from sklearn.dummy import DummyClassifier, DummyRegressor

    if features.empty or labels.isna().all():
        raise DataError("The training data has no labelled rows to fit the baseline on.",
                        hint="Check the pipeline's train dataset and label column.")  # fmt: skip
    classify = task == "classification"
    if kind == "dummy":
        dummy = DummyClassifier(strategy="prior") if classify else DummyRegressor()
        return dummy.fit(features, labels)
    return _linear(classify, features, seed).fit(features, labels)


def _linear(classify: bool, features: pd.DataFrame, seed: int) -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numbers = [c for c in features.columns if pd.api.types.is_numeric_dtype(features[c])]
    others = [c for c in features.columns if c not in numbers
              and not pd.api.types.is_datetime64_any_dtype(features[c])]  # fmt: skip
    steps = []
    if numbers:
        steps.append(("numbers", make_pipeline(SimpleImputer(strategy="median"),
                                               StandardScaler()), numbers))  # fmt: skip
    if others:
        encode = OneHotEncoder(handle_unknown="infrequent_if_exist",
                               max_categories=MAX_CATEGORIES)  # fmt: skip
        steps.append(("categories", make_pipeline(
            SimpleImputer(strategy="most_frequent"), encode), others))  # fmt: skip
    prepare = ColumnTransformer(steps, remainder="drop")
    model = LogisticRegression(max_iter=1000, random_state=seed) if classify else Ridge()
    return make_pipeline(prepare, model)


def describe(model: Any) -> str:
    """The fitted baseline's last step, as ``LogisticRegression``."""
    steps = getattr(model, "steps", None)
    return type(steps[-1][1] if steps else model).__name__
