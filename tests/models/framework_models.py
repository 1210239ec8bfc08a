"""Small models of every framework flavor, trained in well under a second on tiny data.

Each builder returns the fitted model and an input example it accepts; the frameworks are
imported inside the builders, so collecting the tests costs nothing for those not run.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

FRAME = pd.DataFrame(
    {
        "x": [0.5, -1.0, 2.0, -3.0, 1.5, -0.5, 0.1, -2.2],
        "y": [1.0, 2.0, -1.0, 0.0, 1.0, -2.0, 0.3, 0.7],
    }
)
LABELS = (FRAME["x"] + FRAME["y"] > 0).astype(int)


def xgboost_classifier() -> tuple[Any, pd.DataFrame]:
    import xgboost as xgb

    model = xgb.XGBClassifier(n_estimators=5, max_depth=2, n_jobs=1).fit(FRAME, LABELS)
    return model, FRAME


def xgboost_booster() -> tuple[Any, pd.DataFrame]:
    import xgboost as xgb

    data = xgb.DMatrix(FRAME, label=FRAME["x"] * 2)
    return xgb.train({"max_depth": 2, "nthread": 1}, data, num_boost_round=5), FRAME


def lightgbm_classifier() -> tuple[Any, pd.DataFrame]:
    import lightgbm as lgb

    model = lgb.LGBMClassifier(n_estimators=5, min_child_samples=1, verbose=-1, n_jobs=1)
    return model.fit(FRAME, LABELS), FRAME


def lightgbm_booster() -> tuple[Any, pd.DataFrame]:
    import lightgbm as lgb

    params = {"objective": "regression", "min_data_in_leaf": 1, "verbose": -1, "num_threads": 1}
    data = lgb.Dataset(FRAME, label=FRAME["x"] * 2, params={"min_data_in_bin": 1})
    return lgb.train(params, data, num_boost_round=5), FRAME


def onnx_regressor() -> tuple[Any, pd.DataFrame]:
    """A LinearRegression converted by skl2onnx: one float input of two columns."""
    from skl2onnx import to_onnx
    from sklearn.linear_model import LinearRegression

    model = LinearRegression().fit(FRAME.to_numpy(), FRAME["x"] * 3 - FRAME["y"])
    return to_onnx(model, FRAME.to_numpy().astype(np.float32)), FRAME.to_numpy()


def torch_mlp() -> tuple[Any, pd.DataFrame]:
    import torch

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    return model.eval(), FRAME.to_numpy().astype(np.float32)
