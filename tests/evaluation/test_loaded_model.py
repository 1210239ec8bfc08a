"""A registered model is evaluated through the path serving uses, with the same numbers."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest
from sklearn.pipeline import Pipeline

from shipyard.core.errors import ModelError
from shipyard.evaluation.evaluate import evaluate
from shipyard.evaluation.result import Baseline
from shipyard.models.loaded import LoadedModel

from .conftest import make_spec

GATES = (
    {"kind": "threshold", "metric": "roc_auc", "min": 0.6},
    {"kind": "fairness", "sensitive": "sex", "constraint": "equalized_odds"},
    {"kind": "invariance", "columns": ["applicant_id"], "max_changed": 0.02},
    {"kind": "directional", "column": "income", "factor": 2.0, "expect": "increase"},
    {
        "kind": "minimum_functionality",
        "cases": [{"input": {"income": 2e6, "debt_ratio": 0.0}, "expect": 1}],
    },
)


def test_a_loaded_model_scores_like_its_estimator(
    registered_credit: LoadedModel, biased_model: Pipeline, holdout: pd.DataFrame
) -> None:
    spec = make_spec(*GATES, slices=["region"])
    loaded = evaluate(registered_credit, holdout, spec)
    raw = evaluate(biased_model, holdout, spec)
    assert loaded.metrics == pytest.approx(raw.metrics)
    assert loaded.fairness == raw.fairness
    assert [g.observed for g in loaded.gates] == pytest.approx([g.observed for g in raw.gates])
    assert loaded.classes == [0, 1] and loaded.positive_label == 1
    # and a loaded model works as a baseline too
    compared = evaluate(
        biased_model,
        holdout,
        make_spec({"kind": "no_regression", "metric": "roc_auc"}),
        baselines={"production": Baseline(registered_credit, "4")},
    )
    assert compared.gates[0].passed and compared.gates[0].margin == pytest.approx(0.0)


def test_probability_columns_must_match_the_signature(
    registered_credit: LoadedModel, holdout: pd.DataFrame
) -> None:
    signature = registered_credit.signature
    assert signature.outputs is not None
    swapped = replace(signature, outputs=replace(signature.outputs, classes=(1, 0)))
    model = LoadedModel(
        registered_credit.raw,
        flavor=registered_credit.flavor,
        manifest=registered_credit.manifest,
        signature=swapped,
    )
    with pytest.raises(ModelError, match=r"predict_proba columns are \[0, 1\]"):
        evaluate(model, holdout, make_spec())


def test_extra_columns_in_the_data_are_ignored_like_serving_would(
    registered_credit: LoadedModel, holdout: pd.DataFrame
) -> None:
    result = evaluate(registered_credit, holdout.assign(note="x"), make_spec())
    assert result.rows == len(holdout)
