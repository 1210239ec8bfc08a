from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import threadpoolctl

import shipyard as sy
from shipyard.core.errors import NotFoundError
from shipyard.models.storage import fetch_package
from shipyard.registry import resolve
from shipyard.serving.batch import BatchInputError, OutputInUseError, batch_score
from shipyard.serving.batch.inputs import ROW_BITS
from shipyard.serving.batch.local import (
    available_memory,
    cores,
    package_bytes,
    plan_workers,
    start_pool,
)
from tests.models.pymodels import PickyScorer
from tests.registered_model import Registered, make_frame, read_parts
from tests.serving.models import REFUSED_AGES, customers


def test_batch_predictions_equal_online_predictions_exactly(
    registered: Registered, tmp_path: Path
) -> None:
    frame = make_frame(20_000, seed=1)
    frame.to_parquet(tmp_path / "in.parquet", row_group_size=4_000)
    result = batch_score(
        "churn/1", str(tmp_path / "in.parquet"), str(tmp_path / "out"),
        workspace=registered.workspace, workers=2, rows_per_part=8_000, batch_rows=3_000,
    )  # fmt: skip
    assert (result.rows_scored, result.rows_rejected, result.parts) == (20_000, 0, 3)
    # Two workers share the cores' native threads out; the manifest says so.
    threads = max(1, cores() // 2)
    assert (result.workers, result.threads) == (2, threads)
    manifest = json.loads((tmp_path / "out" / "_shipyard_job.json").read_text())
    assert (manifest["finished"]["workers"], manifest["finished"]["threads"]) == (2, threads)

    out = read_parts(tmp_path / "out").sort_values("row_id", ignore_index=True)
    assert out["row_id"].tolist() == list(range(20_000))
    assert set(out["model_version"]) == {1}
    online = sy.load_model("churn/1", workspace=registered.workspace)
    assert out["prediction"].tolist() == online.predict(frame)
    assert out["prediction"].tolist() == registered.model.predict(frame).tolist()


def test_the_default_workers_follow_the_cores_the_parts_and_the_model_in_memory(
    registered: Registered,
) -> None:
    package = fetch_package(
        resolve("churn/1", workspace=registered.workspace).package_hash,
        registered.workspace.artifacts, registered.workspace.cache_dir / "packages",
    )  # fmt: skip
    size = package_bytes(package)
    assert size > 0
    memory = available_memory()
    assert memory is not None and memory > 0  # Linux says
    # A small model: one worker per core (never more than the parts), cores shared out.
    plan = plan_workers(None, 64, "local", model_bytes=size, memory=memory)
    assert plan.workers == (cores() if cores() > 1 else 0)
    assert plan_workers(None, 1, "local", 1_000, model_bytes=size, memory=memory).workers == 0
    # 1 GB of package takes about 3 GB loaded; half of 12 GB holds two copies.
    two = plan_workers(None, 64, "local", model_bytes=10**9, memory=12 * 10**9)
    assert two.workers == min(cores(), 2) if cores() > 1 else two.workers == 0
    assert two.threads is None or two.threads == max(1, cores() // two.workers)
    # A model only one copy of which fits: the calling process scores every part.
    one = plan_workers(None, 64, "local", model_bytes=2 * 10**9, memory=8 * 10**9)
    assert one.workers == 0
    # Asked for, the workers are what the user said.
    assert plan_workers(3, 64, "local", model_bytes=2 * 10**9, memory=8 * 10**9).workers == 3


def test_bad_rows_go_to_rejects_with_a_reason_and_the_job_goes_on(
    registered: Registered, tmp_path: Path
) -> None:
    frame = make_frame(1_000).astype({"income": object})
    frame.loc[3, "plan"] = "platinum"
    frame.loc[7, "income"] = None
    frame.to_parquet(tmp_path / "in.parquet")
    result = batch_score("churn/1", str(tmp_path / "in.parquet"), str(tmp_path / "out"),
                         workspace=registered.workspace, workers=0)  # fmt: skip
    assert (result.rows_scored, result.rows_rejected) == (998, 2)
    rejects = pd.read_parquet(tmp_path / "out" / "_rejects").sort_values("row_id")
    assert rejects["row_id"].tolist() == [3, 7]
    reasons = rejects["reason"].tolist()
    assert "plan" in reasons[0] and "platinum" in reasons[0]
    assert "income" in reasons[1] and "null" in reasons[1]
    assert json.loads(rejects["row"].iloc[0])["plan"] == "platinum"
    assert 3 not in set(read_parts(tmp_path / "out")["row_id"])


@pytest.mark.slow
def test_rows_the_model_raises_on_are_rejected_as_model_errors_and_the_job_goes_on(
    registered: Registered, tmp_path: Path
) -> None:
    with sy.start_run(workspace=registered.workspace) as run:
        run.log_model(PickyScorer(REFUSED_AGES), "picky", input_example=customers().head(3))
    frame = customers(3_000, seed=5)
    frame["age"] = frame["age"].where(~frame["age"].isin(REFUSED_AGES), 30)
    refused = [10, 1_500, 2_999]  # valid rows the model raises on, in different parts
    frame.loc[refused, "age"] = [REFUSED_AGES[0], REFUSED_AGES[1], REFUSED_AGES[0]]
    frame = frame.astype({"plan": object})
    frame.loc[20, "plan"] = None  # an invalid row (plan takes no nulls): the input's problem
    frame.to_parquet(tmp_path / "in.parquet", row_group_size=500)
    result = batch_score("picky/1", str(tmp_path / "in.parquet"), str(tmp_path / "out"),
                         workspace=registered.workspace, trusted=["tests.models"], workers=2,
                         rows_per_part=1_000,
                         batch_rows=400)  # fmt: skip
    assert (result.rows_scored, result.rows_rejected) == (2_996, 4)
    rejects = pd.read_parquet(tmp_path / "out" / "_rejects").sort_values("row_id")
    assert rejects["row_id"].tolist() == [10, 20, 1_500, 2_999]
    assert rejects["kind"].tolist() == ["model", "input", "model", "model"]
    assert "cannot score age 41" in rejects["reason"].iloc[0]
    assert "plan" in rejects["reason"].iloc[1] and "null" in rejects["reason"].iloc[1]
    out = read_parts(tmp_path / "out").sort_values("row_id", ignore_index=True)
    scored = frame.drop(index=[10, 20, 1_500, 2_999])
    assert out["row_id"].tolist() == scored.index.tolist()
    assert out["prediction"].tolist() == (scored["spend"] > 50).astype(int).tolist()


def test_csv_cells_that_are_not_numbers_are_rejected_never_zeroed(
    registered: Registered, tmp_path: Path
) -> None:
    csv = tmp_path / "in.csv"
    csv.write_text("age,income,plan\n30,1000.5,basic\nold,2000,plus\n41,,pro\n55,300,pro\n")
    result = batch_score("churn/1", str(csv), str(tmp_path / "out"),
                         workspace=registered.workspace, workers=0)  # fmt: skip
    assert (result.rows_scored, result.rows_rejected) == (2, 2)
    rejects = pd.read_parquet(tmp_path / "out" / "_rejects").sort_values("row_id")
    assert rejects["row_id"].tolist() == [1, 2]
    assert "expected a number, got 'old'" in rejects["reason"].iloc[0]


def test_globs_and_folders_give_each_file_its_own_row_ids(
    registered: Registered, tmp_path: Path
) -> None:
    (tmp_path / "in").mkdir()
    make_frame(10).to_parquet(tmp_path / "in" / "a.parquet")
    make_frame(5, seed=2).to_parquet(tmp_path / "in" / "b.parquet")
    result = batch_score("churn/1", str(tmp_path / "in" / "*.parquet"), str(tmp_path / "out"),
                         workspace=registered.workspace, workers=0)  # fmt: skip
    assert result.rows_scored == 15
    ids = set(read_parts(tmp_path / "out")["row_id"])
    assert ids == set(range(10)) | {(1 << ROW_BITS) + i for i in range(5)}
    again = batch_score("churn/1", str(tmp_path / "in"), str(tmp_path / "out2"),
                        workspace=registered.workspace, workers=0)  # fmt: skip
    assert again.rows_scored == 15


def test_a_rerun_skips_finished_parts(registered: Registered, tmp_path: Path) -> None:
    make_frame(6_000).to_parquet(tmp_path / "in.parquet", row_group_size=1_000)
    args = ("churn/1", str(tmp_path / "in.parquet"), str(tmp_path / "out"))
    first = batch_score(*args, workspace=registered.workspace, workers=0, rows_per_part=2_000)
    second = batch_score(*args, workspace=registered.workspace, workers=0, rows_per_part=2_000)
    assert (first.parts_skipped, second.parts_skipped) == (0, 3)
    assert second.rows_scored == 6_000
    assert len(read_parts(tmp_path / "out")) == 6_000


def test_bad_inputs_are_clear_and_touch_nothing(registered: Registered, tmp_path: Path) -> None:
    ws = registered.workspace
    with pytest.raises(NotFoundError, match="No input files match"):
        batch_score("churn/1", str(tmp_path / "missing.parquet"), str(tmp_path / "o1"),
                    workspace=ws)  # fmt: skip
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(BatchInputError, match="Cannot read"):
        batch_score("churn/1", str(tmp_path / "broken.parquet"), str(tmp_path / "o2"),
                    workspace=ws)  # fmt: skip
    make_frame(10).drop(columns="plan").to_parquet(tmp_path / "narrow.parquet")
    with pytest.raises(BatchInputError, match="lacks the model's input columns: plan"):
        batch_score("churn/1", str(tmp_path / "narrow.parquet"), str(tmp_path / "o3"),
                    workspace=ws)  # fmt: skip
    assert not (tmp_path / "o1").exists() and not (tmp_path / "o3").exists()

    make_frame(10).to_parquet(tmp_path / "in.parquet")
    batch_score("churn/1", str(tmp_path / "in.parquet"), str(tmp_path / "done"), workspace=ws,
                workers=0)  # fmt: skip
    before = sorted(p.name for p in (tmp_path / "done").rglob("*"))
    make_frame(20).to_parquet(tmp_path / "other.parquet")
    with pytest.raises(OutputInUseError, match="holds the results of another job"):
        batch_score("churn/1", str(tmp_path / "other.parquet"), str(tmp_path / "done"),
                    workspace=ws)  # fmt: skip
    assert sorted(p.name for p in (tmp_path / "done").rglob("*")) == before

    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(OutputInUseError, match="holds no Shipyard batch job"):
        batch_score("churn/1", str(tmp_path / "in.parquet"), str(tmp_path / "mine"),
                    workspace=ws)  # fmt: skip
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


def test_the_job_is_recorded_and_its_predictions_are_logged(
    registered: Registered, tmp_path: Path
) -> None:
    from shipyard._store.deployments import DeploymentRepository
    from shipyard.serving.prediction_log import PredictionLogReader

    frame = make_frame(2_000)
    frame.loc[9, "plan"] = "platinum"
    frame.to_parquet(tmp_path / "in.parquet", row_group_size=500)
    args = ("churn/1", str(tmp_path / "in.parquet"), str(tmp_path / "out"))
    batch_score(*args, workspace=registered.workspace, workers=0, rows_per_part=1_000,
                name="nightly")  # fmt: skip
    batch_score(*args, workspace=registered.workspace, workers=0, rows_per_part=1_000,
                name="nightly")  # a resumed re-run logs nothing twice  # fmt: skip

    job = DeploymentRepository(registered.workspace.db).get("nightly")
    assert (job.mode, job.status, job.routes) == ("batch", "finished", [
        {"version": 1, "weight": 100}])  # fmt: skip
    assert job.stats is not None
    assert (job.stats["rows_scored"], job.stats["rows_rejected"]) == (1_999, 1)
    assert job.config["output"] == str(tmp_path / "out")

    reader = PredictionLogReader(registered.workspace.artifacts)
    logged = reader.predictions("nightly")
    assert len(logged) == 1_999
    assert logged["request_id"].is_unique and "9" not in set(logged["request_id"])
    scored = read_parts(tmp_path / "out").set_index("row_id")["prediction"]
    sample = logged.iloc[0]
    assert sample["prediction"] == scored[int(sample["request_id"])]


def test_each_worker_runs_its_model_on_the_threads_it_was_given(registered: Registered) -> None:
    """The limit is set once the model's native libraries are loaded: set before, it limited
    nothing, and every worker started a thread per core."""
    ws = registered.workspace
    version = resolve("churn/1", workspace=ws)
    package = fetch_package(version.package_hash, ws.artifacts, ws.cache_dir / "packages")
    pool = start_pool(2, str(package), True, 1)
    assert pool is not None
    try:
        pools = pool.submit(threadpoolctl.threadpool_info).result(timeout=120)
    finally:
        pool.shutdown()
    assert pools and {info["num_threads"] for info in pools} == {1}
