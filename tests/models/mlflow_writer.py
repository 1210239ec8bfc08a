"""Writes model directories with a real MLflow (run by the MLflow environment's interpreter,
never imported by the tests): ``python mlflow_writer.py OUT``. Each model is saved under
OUT/NAME with MLflow's own ``save_model``, and MLflow's ``pyfunc`` predictions on its input
example are written to OUT/NAME.predictions.json, for the import tests to compare with."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

REQUIREMENTS = ["numpy", "pandas"]
"""Given, so MLflow does not spend a subprocess per model inferring them."""


def frame() -> tuple[pd.DataFrame, np.ndarray]:
    X, y = make_classification(n_samples=300, n_features=5, random_state=0)
    return pd.DataFrame(X, columns=[f"x{i}" for i in range(5)]), y


def write(out: Path, name: str, save, example) -> None:
    target = out / name
    save(str(target), example)
    model = mlflow.pyfunc.load_model(str(target))
    predicted = model.predict(example)
    if isinstance(predicted, dict):  # ONNX: one array per graph output; the first predicts
        predicted = next(iter(predicted.values()))
    values = np.asarray(predicted.to_numpy() if hasattr(predicted, "to_numpy") else predicted)
    (out / f"{name}.predictions.json").write_text(json.dumps(values.tolist()))


class Doubler(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return model_input.sum(axis=1) * 2


def main(out: Path, which: list[str]) -> None:
    X, y = frame()
    example = X.head(5)
    if "sklearn" in which:
        model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
        write(
            out,
            "sklearn",
            lambda p, e: mlflow.sklearn.save_model(
                model, p, input_example=e, pip_requirements=REQUIREMENTS
            ),
            example,
        )
    if "xgboost" in which:
        import xgboost

        booster = xgboost.XGBClassifier(n_estimators=8, max_depth=3).fit(X, y)
        write(
            out,
            "xgboost",
            lambda p, e: mlflow.xgboost.save_model(
                booster, p, input_example=e, pip_requirements=REQUIREMENTS
            ),
            example,
        )
    if "lightgbm" in which:
        import lightgbm

        booster = lightgbm.train({"objective": "binary", "verbose": -1}, lightgbm.Dataset(X, y), 8)
        write(
            out,
            "lightgbm",
            lambda p, e: mlflow.lightgbm.save_model(
                booster, p, input_example=e, pip_requirements=REQUIREMENTS
            ),
            example,
        )
    if "onnx" in which:
        from skl2onnx import to_onnx

        sk = LogisticRegression().fit(X.to_numpy(np.float32), y)
        proto = to_onnx(sk, X.to_numpy(np.float32)[:1], options={"zipmap": False})
        arr = X.head(5).to_numpy(np.float32)
        write(
            out,
            "onnx",
            lambda p, e: mlflow.onnx.save_model(
                proto, p, input_example=e, pip_requirements=REQUIREMENTS
            ),
            arr,
        )
    if "pytorch" in which:
        import torch

        torch.manual_seed(0)
        net = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
        arr = X.head(5).to_numpy(np.float32)
        write(
            out,
            "pytorch",
            lambda p, e: mlflow.pytorch.save_model(
                net, p, input_example=e, pip_requirements=REQUIREMENTS
            ),
            arr,
        )
    if "logged" in which:  # a run in a file store, for runs:/ imports
        mlflow.set_tracking_uri(f"sqlite:///{out / 'mlflow.db'}")
        mlflow.set_experiment(
            experiment_id=mlflow.create_experiment(
                "import", artifact_location=(out / "mlartifacts").as_uri()
            )
        )
        model = LogisticRegression(C=0.5).fit(X, y)
        with mlflow.start_run() as run:
            mlflow.log_params({"C": 0.5})
            mlflow.log_metric("accuracy", float(model.score(X, y)))
            mlflow.set_tag("team", "risk")
            mlflow.sklearn.log_model(
                model, name="model", input_example=example, pip_requirements=REQUIREMENTS
            )
        (out / "logged.json").write_text(json.dumps({"run_id": run.info.run_id}))
    if "pyfunc" in which:
        write(
            out,
            "pyfunc",
            lambda p, e: mlflow.pyfunc.save_model(
                p, python_model=Doubler(), input_example=e, pip_requirements=REQUIREMENTS
            ),
            example,
        )


if __name__ == "__main__":
    main(
        Path(sys.argv[1]),
        sys.argv[2].split(",")
        if len(sys.argv) > 2
        else ["sklearn", "xgboost", "lightgbm", "onnx", "pytorch", "pyfunc", "logged"],
    )
