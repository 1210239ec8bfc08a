from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shipyard._store.datasets import DatasetRepository
from shipyard._store.workspace import Workspace


def churn_frame(rows: int = 1_000, seed: int = 0) -> pd.DataFrame:
    """A small table with every common kind of column."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "customer_id": [f"C{i:06d}" for i in range(rows)],
            "tenure_months": rng.integers(1, 72, rows),
            "monthly_charges": rng.normal(70, 20, rows).round(2),
            "support_calls": rng.poisson(1.5, rows),
            "plan": rng.choice(["basic", "standard", "premium"], rows),
            "signed_up": pd.Timestamp("2024-01-01", tz="UTC")
            + pd.to_timedelta(rng.integers(0, 365, rows), unit="D"),
            "churned": rng.random(rows) < 0.3,
        }
    )


@pytest.fixture
def frame() -> pd.DataFrame:
    return churn_frame()


@pytest.fixture
def datasets(workspace: Workspace) -> DatasetRepository:
    """The dataset repository of the test workspace (SQLite, then PostgreSQL)."""
    return DatasetRepository(workspace.db)
