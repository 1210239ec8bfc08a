"""Plain Python models for the python flavor tests (importable, so they load by reference)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd


class LinearScorer:
    """Saves itself as JSON: loadable by reference, no pickle."""

    def __init__(self, weights: dict[str, float], bias: float) -> None:
        self.weights = weights
        self.bias = bias

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        total = np.full(len(frame), self.bias)
        for name, weight in self.weights.items():
            total = total + weight * frame[name].to_numpy(dtype=float)
        return total

    def save_model(self, directory: Path) -> None:
        (directory / "weights.json").write_bytes(
            orjson.dumps({"weights": self.weights, "bias": self.bias})
        )

    @classmethod
    def load_model(cls, directory: Path) -> LinearScorer:
        data = orjson.loads((directory / "weights.json").read_bytes())
        return cls(data["weights"], data["bias"])


class ThresholdRule:
    """No save hooks: can only be pickled, and only when trusted."""

    def __init__(self, column: str, threshold: float) -> None:
        self.column = column
        self.threshold = threshold

    def predict(self, frame: pd.DataFrame) -> pd.Series:
        labels = np.where(frame[self.column] > self.threshold, "high", "low")
        return pd.Series(labels, name="band")


class FrameModel:
    """Returns a DataFrame: plain output is a list of records."""

    def predict(self, frame: pd.DataFrame) -> pd.DataFrame:
        x = frame["x"].to_numpy(dtype=float)
        return pd.DataFrame({"double": x * 2, "positive": x > 0})

    def save_model(self, directory: Path) -> None:
        (directory / "marker").write_text("frame-model")

    @classmethod
    def load_model(cls, directory: Path) -> FrameModel:
        assert (directory / "marker").read_text() == "frame-model"
        return cls()


def double(values: np.ndarray) -> np.ndarray:
    """A custom function for a FunctionTransformer: skops does not trust it by default."""
    return values * 2


class PickyScorer:
    """Scores customers (``spend`` over 50) but raises on any batch holding a row whose
    ``age`` is one of ``refused``: valid input that the model itself cannot handle."""

    def __init__(self, refused: list[int]) -> None:
        self.refused = refused

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        ages = frame["age"].to_numpy()
        bad = np.isin(ages, self.refused)
        if bad.any():
            raise ValueError(f"cannot score age {int(ages[bad][0])}")
        return (frame["spend"].to_numpy(dtype=float) > 50).astype(int)

    def save_model(self, directory: Path) -> None:
        (directory / "refused.json").write_bytes(orjson.dumps(self.refused))

    @classmethod
    def load_model(cls, directory: Path) -> PickyScorer:
        return cls(orjson.loads((directory / "refused.json").read_bytes()))


class Forgetful:
    """Predicts with the estimator it wraps, but saves none of it: loaded back from its
    package it knows nothing (every probability 0.5, every label 0). Its in-memory and
    packaged predictions differ, as a model whose save hook drops state would."""

    def __init__(self, estimator: Any = None) -> None:
        self.estimator = estimator

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        if self.estimator is None:
            return np.zeros(len(frame), dtype=int)
        return np.asarray(self.estimator.predict(frame))

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        if self.estimator is None:
            return np.full((len(frame), 2), 0.5)
        return np.asarray(self.estimator.predict_proba(frame))

    def save_model(self, directory: Path) -> None:
        (directory / "nothing.json").write_bytes(b"{}")

    @classmethod
    def load_model(cls, directory: Path) -> Forgetful:
        return cls()
