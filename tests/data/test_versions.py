"""Dataset versions end to end through the public API, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import shipyard as sy
from shipyard._store.datasets import DatasetRepository
from shipyard._store.workspace import Workspace
from shipyard.core.errors import ArtifactIntegrityError, NotFoundError, UsageError
from shipyard.data.api import dataset_drift, diff_datasets, get_dataset
from shipyard.data.errors import DataError, DataValidationError
from shipyard.data.expectations import Column, Expectations
from tests.data.conftest import churn_frame


def test_log_and_load_versions(workspace: Workspace, frame: pd.DataFrame, tmp_path: Path) -> None:
    first = sy.log_dataset(frame, "churn", description="training data", workspace=workspace)
    assert (first.ref, first.row_count) == ("churn/1", 1_000)
    assert first.source == "pandas DataFrame (1,000 rows x 7 columns)"
    assert [c["dtype"] for c in first.schema["columns"]][:3] == ["string", "integer", "float"]
    assert first.profile is not None and first.profile["columns"]["plan"]["distinct"] == 3
    assert workspace.artifacts.exists(first.artifact_hash)

    frame.to_parquet(tmp_path / "same.parquet", row_group_size=100)
    again = sy.log_dataset(tmp_path / "same.parquet", "churn", workspace=workspace)
    assert again.id == first.id  # same content, whatever the file layout: no new version

    changed = frame.copy()
    changed.loc[0, "plan"] = "premium" if changed.loc[0, "plan"] != "premium" else "basic"
    second = sy.log_dataset(changed, "churn", parents=["churn/1"], workspace=workspace)
    assert second.ref == "churn/2" and second.parents == ("churn/1",)
    assert get_dataset("churn", workspace=workspace).version == 2

    loaded = sy.load_dataset("churn/1", workspace=workspace)
    pd.testing.assert_frame_equal(loaded, frame)
    as_arrow = sy.load_dataset("churn", format="arrow", workspace=workspace)
    assert (
        isinstance(as_arrow, pa.Table)
        and as_arrow.column("plan")[0].as_py() == (changed.loc[0, "plan"])
    )
    assert isinstance(
        sy.load_dataset("churn/2", format="polars", workspace=workspace), pl.DataFrame
    )
    with pytest.raises(UsageError, match="format='excel'"):
        sy.load_dataset("churn/1", format="excel", workspace=workspace)
    with pytest.raises(NotFoundError, match="no version 9"):
        sy.load_dataset("churn/9", workspace=workspace)
    with pytest.raises(NotFoundError):
        sy.log_dataset(frame, "other", parents=["churn/7"], workspace=workspace)
    with pytest.raises(UsageError, match="not a valid dataset name"):
        sy.log_dataset(frame, "bad name!", workspace=workspace)


def test_a_corrupted_file_is_never_loaded(workspace: Workspace, frame: pd.DataFrame) -> None:
    record = sy.log_dataset(frame, "churn", workspace=workspace)
    sy.load_dataset("churn/1", workspace=workspace)  # leaves a verified copy in the cache
    cached = workspace.cache_dir / "datasets" / f"{record.artifact_hash}.parquet"
    cached.write_bytes(b"tampered")
    pd.testing.assert_frame_equal(sy.load_dataset("churn/1", workspace=workspace), frame)
    blob = Path(workspace.artifacts.uri(record.artifact_hash))
    blob.write_bytes(blob.read_bytes()[:-10] + b"0123456789")
    cached.unlink()
    with pytest.raises(ArtifactIntegrityError, match="dataset churn/1 is corrupted"):
        sy.load_dataset("churn/1", workspace=workspace)


def test_bad_input_leaves_nothing_behind(workspace: Workspace, tmp_path: Path) -> None:
    (tmp_path / "broken.parquet").write_bytes(b"not parquet at all")
    bad_inputs = [
        pd.DataFrame({"a": [1, "x"]}),
        pd.DataFrame({"a": pd.Series([], dtype="int64")}),
        tmp_path / "broken.parquet",
        pd.DataFrame({"a": [[1, 2]]}),
    ]
    for data in bad_inputs:
        with pytest.raises(DataError):
            sy.log_dataset(data, "churn", workspace=workspace)
    with pytest.raises(NotFoundError):
        DatasetRepository(workspace.db).list_versions("churn")
    blobs = Path(workspace.settings.resolved_artifacts_url)
    assert not blobs.exists() or not any(p.is_file() for p in blobs.rglob("*"))


def test_runs_record_the_datasets_they_read_and_wrote(
    workspace: Workspace, frame: pd.DataFrame
) -> None:
    with sy.start_run("prepare", workspace=workspace) as prepare:
        made = sy.log_dataset(frame, "features", role="output")
    with sy.start_run("train", workspace=workspace) as train:
        used = sy.log_dataset(frame, "features", context="train")
        sy.load_dataset("features/1", context="eval")
    assert made.id == used.id and made.created_by_run_id == prepare.id
    repo = DatasetRepository(workspace.db)
    found = {(u.run_id, u.role, u.context) for u in repo.usages(made.id)}
    # one row per run, version and role: the first context given is kept
    assert found == {(prepare.id, "output", None), (train.id, "input", "train")}
    assert [u.dataset_ref for u in repo.run_datasets(train.id)] == ["features/1"]
    with pytest.raises(UsageError, match="role"):
        sy.log_dataset(frame, "features", role="both", workspace=workspace)


def test_validation_reports_are_stored_against_the_version(
    workspace: Workspace, frame: pd.DataFrame
) -> None:
    rules = Expectations(columns={"tenure_months": Column(min=1, max=71),
                                  "plan": Column(allowed=["basic", "standard"])})  # fmt: skip
    with (
        pytest.raises(DataValidationError, match="churn/1 failed 1 of 4 checks") as info,
        sy.start_run("check", workspace=workspace) as run,
    ):
        sy.log_dataset(frame, "churn", validate=rules)
    assert info.value.report.failures[0].column == "plan"
    repo = DatasetRepository(workspace.db)
    version = repo.get_version("churn", 1)  # stored: the report needs it as evidence
    [result] = repo.validations(version.id)
    assert not result.passed and result.run_id == run.id
    assert result.summary["failures"][0]["rule"] == "allowed"
    assert result.report_hash is not None
    report = json.loads(workspace.artifacts.get_bytes(result.report_hash))
    assert report["failures"][0]["examples"][0]["value"] == "premium"

    passed = sy.validate_dataset("churn/1", Expectations(columns={"plan": Column(dtype="string")}),
                                 workspace=workspace)  # fmt: skip
    assert passed.passed and len(repo.validations(version.id)) == 2
    direct = sy.validate_dataset(frame, rules, workspace=workspace)
    assert not direct.passed and len(repo.validations(version.id)) == 2  # not stored
    with pytest.raises(DataValidationError):
        sy.validate_dataset(frame, rules, raise_on_failure=True, workspace=workspace)
    with pytest.raises(UsageError, match="Which expectations"):
        sy.validate_dataset(frame, workspace=workspace)


def test_drift_and_diff_between_versions(workspace: Workspace) -> None:
    before = churn_frame(5_000, seed=1)
    after = churn_frame(6_000, seed=2)
    after["monthly_charges"] += 25
    after = after.drop(columns=["churned"]).assign(region="north")
    sy.log_dataset(before, "churn", workspace=workspace)
    sy.log_dataset(after, "churn", workspace=workspace)

    drift = dataset_drift("churn/1", after, workspace=workspace)
    assert drift.drifted == ["monthly_charges"]
    assert dataset_drift("churn/1", "churn/2", workspace=workspace).drifted == ["monthly_charges"]

    diff = diff_datasets("churn/1", "churn/2", workspace=workspace)
    assert (diff.rows_before, diff.rows_after, diff.same_content) == (5_000, 6_000, False)
    changes = {(c.column, c.change) for c in diff.schema_changes}
    assert changes == {("churned", "removed"), ("region", "added")}
    assert diff.drift is not None and diff.drift.drifted == ["monthly_charges"]
    assert diff.to_dict()["rows"]["change"] == 1_000


def test_validate_true_uses_shipyard_yaml(workspace: Workspace, frame: pd.DataFrame) -> None:
    with pytest.raises(NotFoundError, match=r"no shipyard\.yaml here"):
        sy.log_dataset(frame, "churn", validate=True, workspace=workspace)
    with pytest.raises(NotFoundError):  # the declaration is looked up before anything is stored
        DatasetRepository(workspace.db).list_versions("churn")
    Path("shipyard.yaml").write_text(
        "datasets:\n  churn:\n    columns:\n      plan: {allowed: [basic, standard, premium]}\n"
    )
    record = sy.log_dataset(frame, "churn", validate=True, workspace=workspace)
    [result] = DatasetRepository(workspace.db).validations(record.id)
    assert result.passed
