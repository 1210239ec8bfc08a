"""Starting expectations inferred from data: they pass on that data and catch defects."""

from __future__ import annotations

import pandas as pd
import yaml

from shipyard.data.config import parse_section
from shipyard.data.infer import infer_expectations, render_yaml
from shipyard.data.profile import profile_table
from shipyard.data.readers import read_table
from shipyard.data.schema import schema_of
from shipyard.data.validate import validate


def test_inferred_expectations_round_trip_and_pass(frame: pd.DataFrame) -> None:
    table = read_table(frame)
    inferred = infer_expectations(schema_of(table), profile_table(table))
    columns = inferred.columns
    assert columns["customer_id"].unique and columns["customer_id"].nullable is False
    assert columns["plan"].allowed == ["basic", "premium", "standard"]
    assert (columns["tenure_months"].min, columns["tenure_months"].max) == (
        frame["tenure_months"].min(),
        frame["tenure_months"].max(),
    )
    assert columns["churned"].allowed is None and columns["churned"].dtype == "boolean"
    assert inferred.extra_columns == "forbid"
    assert validate(table, inferred).passed

    text = render_yaml("churn", inferred, source="churn/1")
    assert text.startswith("# Expectations for dataset 'churn', inferred")
    document = yaml.safe_load(text)
    again = parse_section(document["datasets"], "inferred.yaml")["churn"]
    assert again.fingerprint() == inferred.fingerprint()

    defective = frame.copy()
    defective.loc[0, "plan"] = "gold"
    defective.loc[1, "customer_id"] = defective.loc[2, "customer_id"]
    failures = {(f.column, f.rule) for f in validate(defective, again).failures}
    assert failures == {("plan", "allowed"), ("customer_id", "unique")}
