"""A tiny importable model for the rollout tests (loaded by reference, no pickle): it predicts
whether ``spend`` is above a threshold, and raises on rows whose ``age`` it refuses."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson
import pandas as pd

AGES = (18, 80)
"""Ages the traffic generator draws from (upper bound excluded): 62 values."""


class Threshold:
    def __init__(self, threshold: float = 50.0, refused: list[int] | None = None) -> None:
        self.threshold = threshold
        self.refused = list(refused or [])

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        ages = frame["age"].to_numpy()
        bad = np.isin(ages, self.refused)
        if bad.any():
            raise ValueError(f"cannot score age {int(ages[bad][0])}")
        return (frame["spend"].to_numpy(dtype=float) > self.threshold).astype(int)

    def save_model(self, directory: Path) -> None:
        (directory / "threshold.json").write_bytes(
            orjson.dumps({"threshold": self.threshold, "refused": self.refused})
        )

    @classmethod
    def load_model(cls, directory: Path) -> Threshold:
        data = orjson.loads((directory / "threshold.json").read_bytes())
        return cls(data["threshold"], data["refused"])


def example() -> pd.DataFrame:
    return pd.DataFrame({"age": [30, 52, 67], "spend": [41.5, 55.0, 63.25]})
