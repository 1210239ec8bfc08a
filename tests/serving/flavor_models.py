"""One small model of each framework flavor, registered in a real workspace for serving tests:
``xgb`` (XGBClassifier), ``lgbm`` (LGBMRegressor), ``onnx`` (the ONNX conversion of a churn
pipeline with a text column) and ``torch`` (an MLP exported with torch.export), each at
version 1 with alias ``production``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

import shipyard as sy
from shipyard._store.workspace import Workspace
from tests.serving.models import classifier, customers


@dataclass
class Served:
    """A registered flavor model: the original model, inputs to send, and its own predictions."""

    name: str
    model: Any
    rows: pd.DataFrame

    def expected(self) -> list[Any]:
        """What the framework itself predicts for ``rows``."""
        if self.name == "torch":
            import torch

            tensor = torch.from_numpy(self.rows.to_numpy(dtype=np.float32))
            return list(self.model(tensor).detach().numpy().ravel().tolist())
        return np.asarray(self.model.predict(self.rows)).tolist()


def numbers(rows: int = 300, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"f0": rng.normal(0, 1, rows), "f1": rng.normal(2, 1, rows)})


def build() -> dict[str, Served]:
    import lightgbm as lgb
    import torch
    import xgboost as xgb

    data = numbers()
    label = (data["f0"] + data["f1"] > 2).astype(int)
    torch.manual_seed(0)
    mlp = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    return {
        "xgb": Served(
            "xgb",
            xgb.XGBClassifier(n_estimators=10, max_depth=3, n_jobs=1).fit(data, label),
            data.head(40),
        ),
        "lgbm": Served(
            "lgbm",
            lgb.LGBMRegressor(n_estimators=10, verbose=-1, n_jobs=1).fit(
                data, data["f0"] * 2 - data["f1"]
            ),
            data.head(40),
        ),
        "onnx": Served("onnx", classifier(1.0), customers(seed=9).head(40)),
        "torch": Served("torch", mlp.eval(), data.head(40)),
    }


def register(workspace: Workspace, served: dict[str, Served]) -> None:
    for name, item in served.items():
        example: Any = item.rows.head(5)
        options: dict[str, Any] = {}
        if name == "onnx":
            options["as_onnx"] = True
        if name == "torch":
            example = example.to_numpy(dtype=np.float32)
        with sy.start_run("train", workspace=workspace) as run:
            run.log_model(item.model, name, input_example=example, **options)
        sy.promote(name, 1, "production", workspace=workspace)


def same(values: list[Any], expected: list[Any], name: str) -> bool:
    """Equal predictions: exactly, or for torch (an exported graph, float32) within 1e-6."""
    if name == "torch":
        return len(values) == len(expected) and bool(np.allclose(values, expected, atol=1e-6))
    return values == expected
