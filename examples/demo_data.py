"""The data part of `make demo`: version the training data and check it against declared
expectations, then reject a new batch that has planted defects, with a readable report.

``examples/demo.py`` calls ``run(step, first)`` from inside its workspace (``.demo/``);
``step(number, text)`` prints a step header, and ``run`` returns the next free step number.
It can also run alone: ``python examples/demo_data.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from shipyard.data.config import read_expectations_file
from shipyard.data.errors import DataValidationError
from shipyard.tracking.datasets import log_dataset

EXPECTATIONS = """\
datasets:
  churn:
    rows: {min: 1000}
    extra_columns: forbid
    columns:
      customer_id: {dtype: string, nullable: false, unique: true, regex: "C[0-9]{6}"}
      tenure_months: {dtype: integer, nullable: false, min: 0, max: 120}
      monthly_charges: {dtype: float, nullable: false, min: 0, max: 500}
      support_calls: {dtype: integer, nullable: false, min: 0}
      plan: {dtype: string, nullable: false, allowed: [basic, standard, premium]}
"""


def customers(rows: int, seed: int, first_id: int = 0) -> pd.DataFrame:
    """Synthetic churn features, like the ones the demo trains on."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "customer_id": [f"C{first_id + i:06d}" for i in range(rows)],
            "tenure_months": rng.integers(1, 72, rows),
            "monthly_charges": rng.normal(70, 20, rows).round(2).clip(5, None),
            "support_calls": rng.poisson(1.5, rows),
            "plan": rng.choice(["basic", "standard", "premium"], rows),
        }
    )


def with_defects(batch: pd.DataFrame) -> pd.DataFrame:
    """A batch as it sometimes arrives: an upstream bug in a few columns."""
    bad = batch.copy()
    bad["tenure_months"] = bad["tenure_months"].astype("Int64")
    bad.loc[[5, 17, 230], "tenure_months"] = pd.NA  # lost in a join
    bad.loc[[40, 41], "monthly_charges"] = [-12.5, -3.0]  # refunds booked as charges
    bad.loc[[7, 99, 512], "plan"] = "enterprise"  # a plan the model has never seen
    bad.loc[300, "customer_id"] = bad.loc[299, "customer_id"]  # a duplicated customer
    bad["promo_code"] = "SPRING"  # a column nobody declared
    return bad


def cli(*args: str, may_fail: bool = False) -> int:
    """Run the real `shipyard` command, as a user would type it."""
    command = [str(Path(sys.executable).with_name("shipyard")), *args]
    print("$ shipyard " + " ".join(args), flush=True)
    done = subprocess.run(command, check=False, env={**os.environ, "COLUMNS": "110"})
    if done.returncode and not may_fail:
        raise SystemExit(f"`shipyard {' '.join(args)}` failed with exit code {done.returncode}")
    if done.returncode:
        print(f"(exit code {done.returncode})")
    return done.returncode


def run(step: Callable[[int, str], None], first: int = 1) -> int:
    """The two data steps, numbered from ``first``; returns the next step number."""
    Path("data-expectations.yaml").write_text(EXPECTATIONS, encoding="utf-8")
    rules = read_expectations_file("data-expectations.yaml")["churn"]

    step(first, "Version the training data and validate it against its expectations")
    print("  data-expectations.yaml (the same format goes under `datasets:` in shipyard.yaml):")
    print("    " + EXPECTATIONS.rstrip().replace("\n", "\n    "))
    train = customers(20_000, seed=7)
    version = log_dataset(train, "churn", description="training data", validate=rules)
    print(f"  {version.ref}: {version.row_count:,} rows, content {version.content_hash[:12]}…,"
          " passed every check; logging the same data again returns the same version:")  # fmt: skip
    print(f"  {log_dataset(train.copy(), 'churn').ref}")
    cli("data", "show", "churn/1")

    step(first + 1, "A new batch with planted defects is rejected, with a readable report")
    batch = with_defects(customers(5_000, seed=8, first_id=20_000))
    try:
        log_dataset(batch, "churn", description="weekly batch", validate=rules)
    except DataValidationError as error:
        print("  rejected by sy.log_dataset(..., validate=...):")
        print("  " + error.report.to_text().replace("\n", "\n  "))
    cli("data", "validate", "churn/2", "--expectations", "data-expectations.yaml", may_fail=True)
    cli("data", "diff", "churn/1", "churn/2")
    return first + 2


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory(prefix="shipyard-demo-data-") as folder:
        os.chdir(folder)
        os.environ["SHIPYARD_HOME"] = str(Path(folder) / ".shipyard")
        run(lambda number, text: print(f"\n==> [{number}] {text}", flush=True))
