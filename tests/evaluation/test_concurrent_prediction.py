"""A classifier's labels and probabilities are asked side by side when the estimator allows
it, and one call at a time otherwise; the numbers are the same either way."""

from __future__ import annotations

import threading
from typing import Any

import pandas as pd
import pytest
from sklearn.pipeline import Pipeline

from shipyard.evaluation.evaluate import evaluate
from shipyard.evaluation.subject import predicts_concurrently

from .conftest import make_spec


class Recording:
    """Wraps a fitted estimator; notes the thread of each call, and with ``meet`` makes the two
    calls wait for each other (they can only both return if they run at the same time)."""

    def __init__(self, model: Pipeline, *, concurrent: bool | None, meet: bool) -> None:
        self.model = model
        self.classes_ = model.classes_
        self.feature_names_in_ = model.feature_names_in_
        if concurrent is not None:
            self.predicts_concurrently = concurrent
        self.threads: dict[str, str] = {}
        self._barrier = threading.Barrier(2, timeout=10) if meet else None

    def _call(self, method: str, features: pd.DataFrame) -> Any:
        self.threads[method] = threading.current_thread().name
        if self._barrier is not None:
            self._barrier.wait()
        return getattr(self.model, method)(features)

    def predict(self, features: pd.DataFrame) -> Any:
        return self._call("predict", features)

    def predict_proba(self, features: pd.DataFrame) -> Any:
        return self._call("predict_proba", features)


def test_an_estimator_that_allows_it_predicts_labels_and_probabilities_at_once(
    biased_model: Pipeline, holdout: pd.DataFrame
) -> None:
    # importance off: its shuffles ask for one of the two only, which the barrier cannot meet
    spec = make_spec({"kind": "threshold", "metric": "roc_auc", "min": 0.5},
                     feature_importance=False)  # fmt: skip
    wrapped = Recording(biased_model, concurrent=True, meet=True)
    result = evaluate(wrapped, holdout, spec)  # would fail on the barrier if run in turn
    assert wrapped.threads["predict"] != wrapped.threads["predict_proba"]
    assert result.metrics == pytest.approx(evaluate(biased_model, holdout, spec).metrics)


def test_other_models_are_asked_one_call_at_a_time(
    biased_model: Pipeline, holdout: pd.DataFrame
) -> None:
    wrapped = Recording(biased_model, concurrent=None, meet=False)
    assert not predicts_concurrently(wrapped) and predicts_concurrently(biased_model)
    evaluate(wrapped, holdout, make_spec({"kind": "threshold", "metric": "accuracy", "min": 0}))
    assert wrapped.threads["predict"] == wrapped.threads["predict_proba"]
