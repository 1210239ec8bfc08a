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
