"""Example data for pipelines, generated here (no downloads): a credit-risk classification
table with a sensitive attribute, and scikit-learn's bundled diabetes regression table.

Credit risk — how ``credit_risk(rows, seed)`` makes each application (all draws from one
``numpy.random.default_rng(seed)``, so a seed always gives the same table):

1. ``sex`` is female or male (50/50) and ``age`` is uniform on 21-70 years.
2. ``region`` is north/south/east/west (35/25/20/20 %); ``home_ownership`` is rent, mortgage
   or own, with owning likelier with age.
3. ``income`` is log-normal around 42,000 a year, rising with age up to 50 and 15 % higher
   in the north; men earn 6 % more on average (a realistic gap the model may pick up).
4. ``employment_years`` is at most age - 18; ``credit_history_years`` at most age - 21.
5. ``loan_amount`` is log-normal around a fifth of income; ``loan_term_months`` is 12, 24,
   36 or 60; ``purpose`` is car, home, education, business or debt_consolidation.
6. ``debt_to_income`` is beta-distributed (mean 0.3), higher for debt consolidation;
   ``late_payments`` is Poisson, more frequent with higher debt-to-income.
7. ``default`` (the label, 1 = defaulted) is drawn from a logistic model of debt-to-income,
   late payments, loan size relative to income, credit history, employment, ownership and
   purpose. Sex does not enter it: a fair model is possible, and the share of defaults is
   about 13 %.
8. ``applied_at`` spreads the applications over 2023-2024, for time-based splits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

CATEGORICAL = ["sex", "region", "home_ownership", "purpose"]
NUMERIC = [
    "age", "income", "employment_years", "credit_history_years", "loan_amount",
    "loan_term_months", "debt_to_income", "late_payments",
]  # fmt: skip
LABEL = "default"


def credit_risk(rows: int = 5000, seed: int = 7) -> pd.DataFrame:
    """Synthetic credit applications with a ``default`` label (see the module docstring)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    sex = rng.choice(["female", "male"], rows)
    age = rng.integers(21, 71, rows)
    region = rng.choice(["north", "south", "east", "west"], rows, p=[0.35, 0.25, 0.2, 0.2])
    own_chance = np.clip((age - 21) / 60, 0.05, 0.7)
    home = np.where(rng.random(rows) < own_chance, "own", rng.choice(["rent", "mortgage"], rows))
    log_income = (
        np.log(42_000) + 0.012 * np.minimum(age - 21, 29) + 0.15 * (region == "north")
        + 0.06 * (sex == "male") + rng.normal(0, 0.35, rows)
    )  # fmt: skip
    income = np.round(np.exp(log_income), -2)
    employment = np.minimum(rng.poisson(6, rows), age - 18)
    history = np.minimum(rng.poisson(8, rows), age - 21)
    loan = np.round(np.exp(np.log(income / 5) + rng.normal(0, 0.5, rows)), -2)
    term = rng.choice([12, 24, 36, 60], rows, p=[0.15, 0.3, 0.35, 0.2])
    purpose = rng.choice(["car", "home", "education", "business", "debt_consolidation"], rows,
                         p=[0.3, 0.2, 0.15, 0.1, 0.25])  # fmt: skip
    dti = rng.beta(3, 7, rows) + 0.08 * (purpose == "debt_consolidation")
    late = rng.poisson(0.3 + 2.0 * dti, rows)
    logit = (
        -2.1 + 4.0 * (dti - 0.3) + 0.55 * late + 1.2 * (loan / income - 0.2)
        - 0.06 * history - 0.04 * employment - 0.35 * (home == "own")
        + 0.4 * (purpose == "business") - 0.2 * (purpose == "home") + 0.004 * (term - 30)
    )  # fmt: skip
    default = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype("int64")
    start = np.datetime64("2023-01-01T00:00:00")
    applied = start + rng.integers(0, 730 * 24 * 3600, rows).astype("timedelta64[s]")
    return pd.DataFrame({
        "applicant_id": [f"A{seed:02d}{i:07d}" for i in range(rows)],
        "applied_at": pd.to_datetime(np.sort(applied)),
        "sex": sex, "age": age.astype("int64"), "region": region, "home_ownership": home,
        "income": income, "employment_years": employment.astype("int64"),
        "credit_history_years": history.astype("int64"), "loan_amount": loan,
        "loan_term_months": term.astype("int64"), "purpose": purpose,
        "debt_to_income": np.round(dti, 4), "late_payments": late.astype("int64"),
        LABEL: default,
    })  # fmt: skip


def diabetes() -> pd.DataFrame:
    """scikit-learn's bundled diabetes table (442 patients, ten standardised measurements,
    ``progression`` one year later), with ``sex`` as a readable category."""
    from sklearn.datasets import load_diabetes

    frame: pd.DataFrame = load_diabetes(as_frame=True, scaled=False).frame
    frame = frame.rename(columns={"target": "progression"})
    frame["sex"] = frame["sex"].map({1.0: "female", 2.0: "male"}).astype(str)
    frame["age"] = frame["age"].astype("int64")
    return frame.reset_index(drop=True)
