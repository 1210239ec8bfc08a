"""The Spark engine on a real local[2] Spark: same contract and same answers as local."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from shipyard.serving.batch import batch_score
from shipyard.serving.batch.spark import spark_session
from tests.registered_model import Registered, make_frame, read_parts

pytest.importorskip("pyspark")


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    session = spark_session("local[2]")
    try:
        yield session
    finally:
        session.stop()


@pytest.mark.slow
def test_spark_and_local_engines_write_identical_results(
    registered: Registered, tmp_path: Path, spark: Any
) -> None:
    frame = make_frame(30_000, seed=3)
    frame.loc[17, "plan"] = "gold"
    frame.to_parquet(tmp_path / "in.parquet", row_group_size=5_000)
    common = {"workspace": registered.workspace, "rows_per_part": 10_000}
    local = batch_score("churn/1", str(tmp_path / "in.parquet"), str(tmp_path / "local"),
                        workers=0, **common)  # fmt: skip
    on_spark = batch_score("churn/1", str(tmp_path / "in.parquet"), str(tmp_path / "spark"),
                           engine="spark", spark_master="local[2]", **common)  # fmt: skip
    assert (on_spark.rows_scored, on_spark.rows_rejected) == (local.rows_scored, 1)
    ours = read_parts(tmp_path / "spark").sort_values("row_id", ignore_index=True)
    theirs = read_parts(tmp_path / "local").sort_values("row_id", ignore_index=True)
    pd.testing.assert_frame_equal(ours, theirs)
    assert ours["prediction"].tolist() == registered.model.predict(frame.drop(index=17)).tolist()
    rejects = pd.read_parquet(tmp_path / "spark" / "_rejects")
    assert rejects["row_id"].tolist() == [17]

    again = batch_score("churn/1", str(tmp_path / "in.parquet"), str(tmp_path / "spark"),
                        engine="spark", spark_master="local[2]", **common)  # fmt: skip
    assert again.parts_skipped == again.parts == 3


@pytest.mark.slow
def test_spark_scores_a_challenger_and_keeps_columns_as_the_local_engine_does(
    registered: Registered, tmp_path: Path, spark: Any
) -> None:
    from sklearn.base import clone

    import shipyard as sy

    other = clone(registered.model).set_params(clf__C=0.05)
    other.fit(registered.frame, (registered.frame["age"] > 40).astype(int))
    with sy.start_run(workspace=registered.workspace) as run:
        run.log_model(other, "churn", input_example=registered.frame.head(5))
    frame = make_frame(6_000, seed=4)
    frame["key"] = range(6_000)
    frame.to_parquet(tmp_path / "in.parquet", row_group_size=2_000)
    common = {"workspace": registered.workspace, "rows_per_part": 3_000, "keep": ["key"],
              "challenger": "churn/2"}  # fmt: skip
    local = batch_score("churn/1", str(tmp_path / "in.parquet"), str(tmp_path / "local"),
                        workers=0, **common)  # fmt: skip
    on_spark = batch_score("churn/1", str(tmp_path / "in.parquet"), str(tmp_path / "spark"),
                           engine="spark", spark_master="local[2]", **common)  # fmt: skip
    assert on_spark.challenger_rows_scored == local.challenger_rows_scored == 6_000
    order = ["arm", "row_id"]
    ours = read_parts(tmp_path / "spark").sort_values(order, ignore_index=True)
    theirs = read_parts(tmp_path / "local").sort_values(order, ignore_index=True)
    pd.testing.assert_frame_equal(ours, theirs)
    assert set(ours["model_version"][ours["arm"] == "challenger"]) == {2}
