"""Expectations, declared in Python or YAML, and the reports they produce."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shipyard.core.errors import ConfigurationError, NotFoundError
from shipyard.core.settings import load_settings
from shipyard.data.config import configured_expectations, read_expectations_file
from shipyard.data.errors import DataValidationError
from shipyard.data.expectations import Check, Column, Expectations
from shipyard.data.validate import validate

RULES = Expectations(
    columns={
        "customer_id": Column(dtype="string", unique=True, regex=r"C[0-9]{6}"),
        "tenure_months": Column(dtype="integer", nullable=False, min=1, max=71),
        "monthly_charges": Column(dtype="number", nullable=False, min=0),
        "plan": Column(dtype="string", allowed=["basic", "standard", "premium"]),
        "signed_up": Column(dtype="datetime", min="2024-01-01", max="2025-12-31"),
        "churned": Column(dtype="boolean", nullable=False),
        "support_calls": Column(max=20),
    },
    rows={"min": 100, "max": 1_000_000},
    extra_columns="forbid",
)


def test_clean_data_passes(frame: pd.DataFrame) -> None:
    frame["monthly_charges"] = frame["monthly_charges"].abs()
    report = validate(frame, RULES, dataset="churn")
    assert report.passed, report.to_text()
    assert report.checks == 1 + 7 + 1 + 16
    assert report.to_text().startswith("PASSED  churn passed all 25 checks (1,000 rows).")
    assert report.raise_for_failure() is report


def test_each_rule_reports_failing_rows_and_examples(frame: pd.DataFrame) -> None:
    frame["monthly_charges"] = frame["monthly_charges"].abs()
    frame.loc[[5, 9], "customer_id"] = "C000001"  # a duplicate of row 1 as well
    frame.loc[7, "customer_id"] = "X7"
    frame.loc[[2, 4], "tenure_months"] = [0, 500]
    frame.loc[11, "monthly_charges"] = np.nan
    frame.loc[[12, 13, 14], "plan"] = ["gold", None, "gold"]
    frame.loc[15, "signed_up"] = pd.Timestamp("2019-05-01", tz="UTC")
    frame["extra"] = 1

    report = validate(frame, RULES, dataset="churn/2")
    found = {(f.column, f.rule): f for f in report.failures}
    assert set(found) == {
        ("customer_id", "unique"), ("customer_id", "regex"), ("tenure_months", "range"),
        ("monthly_charges", "not_null"), ("plan", "allowed"), ("signed_up", "range"),
        ("extra", "extra_column"),
    }  # fmt: skip
    assert found["customer_id", "unique"].failing_rows == 3
    assert [e["row"] for e in found["customer_id", "unique"].examples] == [1, 5, 9]
    assert found["customer_id", "regex"].examples == ({"row": 7, "value": "X7"},)
    assert found["tenure_months", "range"].failing_rows == 2
    assert [e["value"] for e in found["tenure_months", "range"].examples] == [0, 500]
    assert found["monthly_charges", "not_null"].examples == ({"row": 11, "value": None},)
    assert found["plan", "allowed"].failing_rows == 2  # a null is not a disallowed value
    assert found["signed_up", "range"].examples[0]["value"].startswith("2019-05-01")
    assert not report.passed
    assert report.headline().startswith("churn/2 failed 7 of 25 checks (1,000 rows)")
    text = report.to_text()
    assert "plan" in text and "2 rows" in text and "'gold'" in text
    as_json = json.loads(report.to_json())
    assert as_json["passed"] is False and as_json["failed"] == 7
    with pytest.raises(DataValidationError, match="failed 7 of 25") as info:
        report.raise_for_failure()
    assert info.value.report is report


def test_wrong_dtype_missing_columns_and_row_count(frame: pd.DataFrame) -> None:
    frame["tenure_months"] = frame["tenure_months"].astype(str)
    report = validate(frame.drop(columns=["churned"]).head(50), RULES)
    found = {(f.column, f.rule): f for f in report.failures}
    assert found["tenure_months", "dtype"].examples == ({"found": "string (string)"},)
    assert ("tenure_months", "range") not in found  # value rules assume the declared dtype
    assert found["churned", "present"].failing_rows is None
    assert found[None, "row_count"].examples == ({"found": 50},)
    assert found[None, "row_count"].expected == "between 100 and 1,000,000 rows"


def test_custom_vectorised_checks(frame: pd.DataFrame) -> None:
    checks = Expectations(checks=[
        Check("charges_positive", lambda s: s > 0, column="monthly_charges",
              description="charges above zero"),
        Check("calls_vs_tenure", lambda df: df["support_calls"] <= df["tenure_months"] * 10),
        Check("enough_churners", lambda df: df["churned"].mean() > 0.9),
        Check("broken", lambda s: s / "x", column="tenure_months"),
        Check("ghost", lambda s: s > 0, column="nope"),
    ])  # fmt: skip
    frame.loc[[3, 8], "monthly_charges"] = [-1.0, 0.0]
    report = validate(frame, checks)
    found = {f.rule: f for f in report.failures}
    assert found["check:charges_positive"].failing_rows == 2
    assert found["check:charges_positive"].expected == "charges above zero"
    assert [e["row"] for e in found["check:charges_positive"].examples] == [3, 8]
    assert "check:calls_vs_tenure" not in found
    assert found["check:enough_churners"].failing_rows is None
    assert "TypeError" in found["check:broken"].examples[0]["error"]
    assert found["check:ghost"].examples == ({"found": "no such column"},)


def test_yaml_expectations_and_bad_keys(tmp_path: Path) -> None:
    (tmp_path / "shipyard.yaml").write_text(
        "project: churn\n"
        "datasets:\n"
        "  churn-train:\n"
        "    rows: {min: 10}\n"
        "    extra_columns: forbid\n"
        "    columns:\n"
        "      plan: {dtype: string, allowed: [basic, premium]}\n"
        "      tenure_months: {dtype: integer, nullable: false, min: 0, max: 120}\n"
        "      signed_up: {min: 2024-01-01}\n"
    )
    settings = load_settings()
    rules = configured_expectations("churn-train", settings=settings)
    assert rules.columns["tenure_months"] == Column(dtype="integer", nullable=False, min=0,
                                                    max=120)  # fmt: skip
    assert rules.rows is not None and rules.rows.min == 10 and rules.extra_columns == "forbid"
    assert rules.fingerprint() == configured_expectations("churn-train").fingerprint()
    with pytest.raises(NotFoundError, match="declares no expectations for dataset 'other'"):
        configured_expectations("other", settings=settings)

    bad = tmp_path / "bad.yaml"
    bad.write_text("datasets:\n  churn:\n    columns:\n      plan: {allowd: [a]}\n")
    with pytest.raises(
        ConfigurationError, match=r"bad\.yaml:4 datasets\.churn\.columns\.plan\.allowd"
    ):
        read_expectations_file(bad)
    bad.write_text("datasets:\n  churn:\n    columns:\n      age: {dtype: int}\n")
    with pytest.raises(ConfigurationError, match=r"columns\.age\.dtype.*must be one of"):
        read_expectations_file(bad)
    bad.write_text("datasets:\n  churn:\n    columns:\n      age: {min: 5, max: 1}\n")
    with pytest.raises(ConfigurationError, match="min 5 is greater than max 1"):
        read_expectations_file(bad)
    bad.write_text("datasets:\n  churn:\n    checks: [x]\n")
    with pytest.raises(ConfigurationError, match=r"bad\.yaml:3 datasets\.churn\.checks: custom"):
        read_expectations_file(bad)
    bad.write_text("datasets: [\n")
    with pytest.raises(ConfigurationError, match=r"bad\.yaml:2: "):
        read_expectations_file(bad)
    bad.write_text("datasets:\n  churn: {}\n  churn: {}\n")
    with pytest.raises(ConfigurationError, match=r"bad\.yaml:3 datasets\.churn: duplicated key"):
        read_expectations_file(bad)


def test_bad_rules_for_the_data_are_configuration_errors(frame: pd.DataFrame) -> None:
    with pytest.raises(ConfigurationError, match="allowed values of column 'tenure_months'"):
        validate(frame, Expectations(columns={"tenure_months": Column(allowed=["x"])}))
    with pytest.raises(ConfigurationError, match="not valid RE2"):
        validate(frame, Expectations(columns={"plan": Column(regex="(?=a)")}))
    report = validate(frame, Expectations(columns={"plan": Column(min=1)}))
    assert report.failures[0].examples == ({"found": "a string column"},)
