"""A small, real pipeline project on disk: seeded credit-risk data, a training module and a
shipyard.yaml, for the pipeline tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

from shipyard.pipeline.examples import credit_risk

TRAIN = """
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

NUMERIC = ["age", "income", "debt_to_income", "late_payments", "credit_history_years"]
CATEGORICAL = ["region", "purpose"]


def fit(train, params, label):
    features = params.get("features") or NUMERIC + CATEGORICAL
    numeric = [c for c in features if c in NUMERIC]
    categorical = [c for c in features if c in CATEGORICAL]
    prepare = ColumnTransformer([("n", StandardScaler(), numeric),
                                 ("c", OneHotEncoder(handle_unknown="ignore"), categorical)])
    model = Pipeline([("prepare", prepare),
                      ("classify", LogisticRegression(C=params.get("C", 1.0), max_iter=500))])
    return model.fit(train[numeric + categorical], train[label])


def forgetful(train, params, label):
    from tests.models.pymodels import Forgetful

    return Forgetful(fit(train, params, label))


def broken(train, params):
    raise ValueError("the training data has no rows for region 'atlantis'")
"""

CONFIG = """\
project: tests
data:
  name: applications
  source: data/applications.parquet
  split: {strategy: stratified, test_size: 0.3, seed: 3}
datasets:
  applications:
    columns:
      age: {dtype: integer, min: 18}
      default: {dtype: integer, allowed: [0, 1]}
train:
  entrypoint: train:fit
  params: {C: 1.0}
  seed: 11
evaluation:
  task: classification
  label: default
  metrics: [roc_auc, accuracy]
  gates:
    - {name: auc, kind: threshold, metric: roc_auc, min: 0.7}
    - {name: no-worse, kind: no_regression, metric: roc_auc, against: production,
       tolerance: 0.02}
    - {name: parity, kind: fairness, sensitive: sex, constraint: demographic_parity,
       max: 0.15}
model:
  name: credit
promotion:
  production: {gates: [auc, no-worse, parity], auto: true}
"""


def make_project(directory: Path, *, rows: int = 1500, seed: int = 7, config: str = CONFIG) -> Path:
    """Write the project into ``directory``; returns the path of its shipyard.yaml."""
    (directory / "data").mkdir(parents=True, exist_ok=True)
    credit_risk(rows, seed).to_parquet(directory / "data" / "applications.parquet", index=False)
    (directory / "train.py").write_text(textwrap.dedent(TRAIN))
    path = directory / "shipyard.yaml"
    path.write_text(config)
    return path
