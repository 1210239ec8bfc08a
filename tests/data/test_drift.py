"""Drift statistics from a stored reference profile, against rows or another profile."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from shipyard.core.errors import UsageError
from shipyard.data.drift import Level, Thresholds, compare
from shipyard.data.errors import DataError
from shipyard.data.profile import profile_table
from shipyard.data.readers import read_table

ROWS = 40_000
PLAN, PLAN_DRIFTED = [0.34, 0.33, 0.33], [0.6, 0.3, 0.1]


def _frame(seed: int, drift: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "steady": rng.normal(0, 1, ROWS),
            "shifted": rng.normal(0.6 if drift else 0.0, 1, ROWS),
            "wider": rng.lognormal(0, 1, ROWS) * (1.6 if drift else 1.0),
            "calls": rng.poisson(2.5 if drift else 1.5, ROWS),
            "plan": rng.choice(["a", "b", "c"], ROWS, p=PLAN_DRIFTED if drift else PLAN),
            "region": rng.choice(["n", "s", "e", "w"], ROWS),
            "when": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 9, ROWS), "D"),
        }
    )  # fmt: skip


@pytest.fixture(scope="module")
def reference() -> dict:
    return profile_table(read_table(_frame(1)))


def test_planted_drift_is_found_and_nothing_else(reference: dict) -> None:
    report = compare(reference, _frame(2, drift=True))
    assert sorted(report.drifted) == ["calls", "plan", "shifted", "wider"]
    assert report.feature("steady").verdict == "ok"
    assert report.feature("region").verdict == "ok"
    assert report.feature("when").verdict == "skipped"
    assert report.verdict == "drift"  # 4 of 6 compared features: above the default half
    assert "4 of 6 features drifted" in report.headline()
    assert report.to_dict()["drifted"] == report.drifted

    same = compare(reference, _frame(3))
    assert same.verdict == "ok" and same.drifted == []
    assert all(f.score is None or f.score < 0.01 for f in same.features)


def test_numeric_statistics_match_the_two_sample_ones(reference: dict) -> None:
    ref_rows, current = _frame(1), _frame(2, drift=True)
    from_rows = compare(reference, current)
    from_profile = compare(reference, profile_table(read_table(current)))
    for column in ("steady", "shifted", "wider", "calls"):
        ks = stats.ks_2samp(ref_rows[column], current[column]).statistic
        distance = stats.wasserstein_distance(ref_rows[column], current[column])
        normalised = distance / ref_rows[column].std()
        for report in (from_rows, from_profile):
            found = report.feature(column).statistics
            assert found["ks"] == pytest.approx(ks, abs=0.012), column
            assert found["wasserstein_norm"] == pytest.approx(normalised, rel=0.05, abs=0.01)
    assert from_rows.feature("shifted").statistics["ks_pvalue"] < 1e-10
    assert from_rows.feature("shifted").statistics["psi"] > 0.2
    assert from_rows.feature("steady").statistics["psi"] < 0.01


def test_categorical_statistics(reference: dict) -> None:
    current = _frame(2, drift=True)
    current.loc[:399, "region"] = "mars"  # 1 % of a value never seen
    plan = compare(reference, current).feature("plan").statistics
    shares = np.array([0.34, 0.33, 0.33]), np.array([0.6, 0.3, 0.1])
    js = stats.entropy  # scipy's JS distance, base 2, on the true shares:
    middle = (shares[0] + shares[1]) / 2
    expected = np.sqrt((js(shares[0], middle, base=2) + js(shares[1], middle, base=2)) / 2)
    assert plan["jensen_shannon"] == pytest.approx(expected, abs=0.02)
    assert plan["chi_square_pvalue"] < 1e-10 and plan["cramers_v"] > 0.1
    region = compare(reference, current).feature("region")
    assert region.statistics["unseen_share"] == pytest.approx(0.01)
    assert region.verdict == "warning"  # Jensen–Shannon reacts to a new value: 0.07


def test_columns_that_cannot_be_compared_are_skipped(reference: dict) -> None:
    current = _frame(2).drop(columns=["region"])
    current["calls"] = current["calls"].astype(str)
    report = compare(reference, current)
    reasons = {f.column: f.reason for f in report.features if f.verdict == "skipped"}
    assert reasons == {
        "region": "missing from the current data",
        "calls": "was integer, is string now",
        "when": "datetime columns are not compared",
    }
    ids = profile_table(read_table(pd.DataFrame({"id": [f"u{i}" for i in range(25_000)]})))
    skipped = compare(ids, pd.DataFrame({"id": ["u1"]})).feature("id")
    assert skipped.reason == "too many distinct values to compare (an id-like column)"
    with pytest.raises(DataError, match="no column 'nope'"):
        compare(reference, current, columns=["nope"])
    with pytest.raises(DataError, match="must be a dataset profile"):
        compare({"x": 1}, current)


def test_thresholds_choose_the_deciding_statistic(reference: dict) -> None:
    current = _frame(2, drift=True)
    strict = Thresholds(levels={"ks": Level(0.05, 0.15)}, numeric_method="ks", dataset_share=1.0)
    report = compare(reference, current, thresholds=strict, columns=["steady", "wider"])
    assert report.feature("wider").method == "ks"
    assert report.verdict == "warning"  # one of two drifted, below a share of 1.0
    per_column = Thresholds(methods={"plan": "cramers_v"})
    assert compare(reference, current, thresholds=per_column).feature("plan").method == (
        "cramers_v"
    )
    with pytest.raises(UsageError, match="numeric_method"):
        Thresholds(numeric_method="jensen_shannon")
    with pytest.raises(UsageError, match="dataset_share"):
        Thresholds(dataset_share=0)
