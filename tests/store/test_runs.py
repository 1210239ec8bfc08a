from __future__ import annotations

import pytest

from shipyard._store.workspace import Workspace
from shipyard.core.errors import ConflictError, NotFoundError


def test_create_get_and_finish_a_run(workspace: Workspace) -> None:
    created = workspace.runs.create(project="churn", name="baseline", entrypoint="train.py")
    assert created.status == "running"
    assert created.start_time.tzinfo is not None

    finished = workspace.runs.finish(created.id, "finished")

    again = workspace.runs.get(created.id)
    assert again.status == "finished" == finished.status
    assert again.end_time is not None and again.end_time >= again.start_time
    assert again.name == "baseline" and again.project == "churn"
    assert again.entrypoint == "train.py"


def test_ending_an_ended_run_is_a_conflict(workspace: Workspace) -> None:
    run = workspace.runs.create(project="p")
    workspace.runs.finish(run.id, "failed", error="boom")
    with pytest.raises(ConflictError, match="already ended as failed"):
        workspace.runs.finish(run.id, "finished")
    assert workspace.runs.get(run.id).error == "boom"


def test_unknown_run_is_not_found(workspace: Workspace) -> None:
    with pytest.raises(NotFoundError, match="does not exist"):
        workspace.runs.get("0" * 32)
    with pytest.raises(NotFoundError):
        workspace.runs.create(project="p", parent_run_id="f" * 32)


def test_params_are_immutable_but_tags_change(workspace: Workspace) -> None:
    run = workspace.runs.create(project="p")
    workspace.runs.log_params(run.id, {"lr": "0.1", "depth": "3"})
    workspace.runs.log_params(run.id, {"lr": "0.1"})  # same value again is fine
    with pytest.raises(ConflictError, match="'lr'"):
        workspace.runs.log_params(run.id, {"lr": "0.2"})
    workspace.runs.set_tags(run.id, {"stage": "dev"})
    workspace.runs.set_tags(run.id, {"stage": "final", "owner": "ana"})

    record = workspace.runs.get(run.id)
    assert record.params == {"lr": "0.1", "depth": "3"}
    assert record.tags == {"stage": "final", "owner": "ana"}


def test_metrics_history_and_latest(workspace: Workspace) -> None:
    run = workspace.runs.create(project="p")
    rows = [(run.id, "loss", 1.0 / (step + 1), step, 1000 + step) for step in range(10)]
    rows += [(run.id, "acc", 0.5, 0, 1), (run.id, "acc", 0.9, 1, 2)]
    workspace.runs.log_metrics(rows)

    history = workspace.runs.metric_history(run.id, "loss")
    assert [p.step for p in history] == list(range(10))
    assert history[-1].value == pytest.approx(0.1)
    assert workspace.runs.count_metrics(run.id) == 12
    assert workspace.runs.latest_metrics([run.id]) == {
        run.id: {"loss": pytest.approx(0.1), "acc": 0.9}
    }


def test_list_filters_and_orders_newest_first(workspace: Workspace) -> None:
    first = workspace.runs.create(project="a")
    second = workspace.runs.create(project="b")
    child = workspace.runs.create(project="a", parent_run_id=first.id)
    workspace.runs.finish(second.id, "finished")

    assert [r.id for r in workspace.runs.list()] == [child.id, second.id, first.id]
    assert {r.id for r in workspace.runs.list(project="a")} == {first.id, child.id}
    assert [r.id for r in workspace.runs.list(status="finished")] == [second.id]
    assert [r.id for r in workspace.runs.list(parent_run_id=first.id)] == [child.id]
    assert len(workspace.runs.list(limit=1)) == 1


def test_artifacts_are_recorded_and_replaced_by_name(workspace: Workspace) -> None:
    run = workspace.runs.create(project="p")
    workspace.runs.add_artifact(run.id, name="report.md", hash="a" * 64, uri="u1", size=3)
    workspace.runs.add_artifact(run.id, name="report.md", hash="b" * 64, uri="u2", size=4)
    workspace.runs.add_artifact(run.id, name="data", hash="c" * 64, uri="u3", size=5, kind="folder")

    listed = workspace.runs.artifacts(run.id)
    assert [(a.name, a.hash[0], a.kind) for a in listed] == [
        ("data", "c", "folder"),
        ("report.md", "b", "file"),
    ]


def test_capture_fields_are_stored(workspace: Workspace) -> None:
    run = workspace.runs.create(project="p")
    workspace.runs.record_capture(
        run.id, git_commit="abc", git_dirty=True, seed=42, environment={"python": "3.11"}
    )
    record = workspace.runs.get(run.id)
    assert (record.git_commit, record.git_dirty, record.seed) == ("abc", True, 42)
    assert record.environment == {"python": "3.11"}
    with pytest.raises(ValueError, match="not capture fields"):
        workspace.runs.record_capture(run.id, status="finished")
