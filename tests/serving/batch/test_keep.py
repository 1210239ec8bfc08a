from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import shipyard as sy
from shipyard.core.errors import UsageError
from shipyard.serving.batch import BatchInputError
from tests.registered_model import Registered, make_frame


def test_kept_columns_reach_output_and_rejects_and_row_ids_decode_to_files(
    registered: Registered, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for number in (0, 1):  # two CSV files: file_index follows the sorted paths
        frame = make_frame(50, seed=number).astype({"plan": object})
        frame.insert(0, "account", [f"f{number}-{i}" for i in range(50)])
        if number == 1:
            frame.loc[7, "plan"] = "platinum"
        frame.to_csv(folder / f"day-{number}.csv", index=False)
    result = sy.batch_score("churn/1", str(folder), str(tmp_path / "out"), keep=["account"],
                            workers=0, workspace=registered.workspace)  # fmt: skip
    assert (result.rows_scored, result.rows_rejected) == (99, 1)

    out = pd.read_parquet(tmp_path / "out")
    assert list(out.columns) == ["row_id", "account", "prediction", "model_version"]
    for row_id, account in zip(out["row_id"], out["account"], strict=True):
        position = sy.batch_row_position(int(row_id))
        assert account == f"f{position.file_index}-{position.row}"
    rejects = pd.read_parquet(tmp_path / "out" / "_rejects")
    assert rejects["account"].tolist() == ["f1-7"]
    assert sy.batch_row_position(int(rejects["row_id"][0]), str(tmp_path / "out")).file == str(
        folder / "day-1.csv"
    )


def test_keeping_a_missing_or_clashing_column_is_refused(
    registered: Registered, tmp_path: Path
) -> None:
    make_frame(20).to_parquet(tmp_path / "in.parquet")
    with pytest.raises(BatchInputError, match="no column customer_id to keep"):
        sy.batch_score("churn/1", str(tmp_path / "in.parquet"), str(tmp_path / "a"),
                       keep=["customer_id"], workspace=registered.workspace)  # fmt: skip
    with pytest.raises(UsageError, match="Cannot keep prediction"):
        sy.batch_score("churn/1", str(tmp_path / "in.parquet"), str(tmp_path / "b"),
                       keep=["prediction"], workspace=registered.workspace)  # fmt: skip
    with pytest.raises(UsageError, match="not a batch row id"):
        sy.batch_row_position(-1)
    assert not (tmp_path / "a").exists()
