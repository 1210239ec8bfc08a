"""A model registered in a fresh workspace, for the tests of what serves it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import shipyard as sy
from shipyard._store.workspace import Workspace


@dataclass
class Registered:
    workspace: Workspace
    model: Pipeline
    frame: pd.DataFrame
    home: Path


def make_frame(rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "age": rng.integers(18, 90, rows),
            "income": rng.normal(50_000, 15_000, rows).round(2),
            "plan": rng.choice(["basic", "plus", "pro"], rows),
        }
    )


@pytest.fixture
def registered(tmp_path: Path) -> Iterator[Registered]:
    """A LogisticRegression pipeline registered as churn/1 in a fresh SQLite workspace."""
    frame = make_frame(5_000)
    label = ((frame["age"] > 50) ^ (frame["plan"] == "pro")).astype(int)
    prepare = ColumnTransformer(
        [("num", StandardScaler(), ["age", "income"]),
         ("cat", OneHotEncoder(handle_unknown="error"), ["plan"])]
    )  # fmt: skip
    model = Pipeline([("prepare", prepare), ("clf", LogisticRegression())]).fit(frame, label)
    home = tmp_path / ".shipyard"
    workspace = Workspace(sy.load_settings(home=home, capture_git=False))
    with sy.start_run(workspace=workspace) as run:
        run.log_model(model, "churn", input_example=frame.head(5))
    try:
        yield Registered(workspace, model, frame, home)
    finally:
        workspace.close()


def read_parts(folder: Path) -> pd.DataFrame:
    files = sorted(folder.glob("part-*.parquet"))
    return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
