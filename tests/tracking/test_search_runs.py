"""sy.get_run and sy.search_runs on SQLite and PostgreSQL: the filter language, ordering,
paging (each run exactly once, one page loaded at a time) and clear errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

import shipyard as sy
from shipyard._store.tables import Param, Run, Tag
from shipyard._store.workspace import Workspace

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def _bulk_runs(workspace: Workspace, count: int) -> list[str]:
    """``count`` finished runs inserted in bulk: run i has param C = i % 10, tag team = a|b,
    metric auc = i / count (and an older, lower value at step 0), started i seconds after T0."""
    ids = [f"{i:032x}" for i in range(count)]
    runs = [{"id": ids[i], "project": "bulk", "name": f"run-{i}", "kind": "train",
             "status": "failed" if i % 7 == 0 else "finished",
             "start_time": T0 + timedelta(seconds=i), "end_time": T0 + timedelta(seconds=i + 1)}
            for i in range(count)]  # fmt: skip
    params = [{"run_id": ids[i], "key": "C", "value": str(i % 10)} for i in range(count)]
    tags = [{"run_id": ids[i], "key": "team", "value": "ab"[i % 2]} for i in range(count)]
    metrics = [(ids[i], "auc", value, step, 0)
               for i in range(count) for step, value in ((0, -1.0), (1, i / count))]  # fmt: skip
    with workspace.db.write() as session:
        connection = session.connection()
        for table, rows in ((Run, runs), (Param, params), (Tag, tags)):
            for start in range(0, len(rows), 5000):
                connection.execute(insert(table), rows[start : start + 5000])
    workspace.runs.log_metrics(metrics)  # the store's batch writer keeps the latest values
    return ids


def test_get_run_has_params_tags_and_latest_metrics(workspace: Workspace) -> None:
    with sy.start_run("fit", workspace=workspace) as run:
        sy.log_params({"C": 1.0})
        sy.set_tag("team", "risk")
        sy.log_metric("loss", 0.9, step=0)
        sy.log_metric("loss", 0.4, step=1)
    found = sy.get_run(run.id, workspace=workspace)
    assert isinstance(found, sy.RunRecord)
    assert (found.params, found.tags["team"], found.metrics) == (
        {"C": "1.0"},
        "risk",
        {"loss": 0.4},
    )
    assert found.status == "finished"
    history = sy.get_metric_history(run.id, "loss", workspace=workspace)
    assert [(p.step, p.value) for p in history] == [(0, 0.9), (1, 0.4)]
    with pytest.raises(sy.NotFoundError, match="Run nope does not exist"):
        sy.get_run("nope", workspace=workspace)


def test_the_filter_language_over_params_metrics_tags_status_and_times(
    workspace: Workspace,
) -> None:
    _bulk_runs(workspace, 100)

    def names(text: str) -> list[str]:
        return [run.name for run in sy.search_runs(text, max_results=1000, workspace=workspace)]

    assert len(names("params.C = '3'")) == 10
    assert names("params.C = '3' and metrics.auc > 0.5 and tags.team = 'b'") == [
        "run-93", "run-83", "run-73", "run-63", "run-53",
    ]  # fmt: skip
    assert len(names("status = 'failed'")) == 15  # 0, 7, …, 98
    assert names("start_time >= '2026-03-01T00:01:38' and project = 'bulk'") == [
        "run-99", "run-98",
    ]  # fmt: skip
    assert names("name like 'run-9_' and status != 'failed' and metrics.auc >= 0.97") == [
        "run-99", "run-97",
    ]  # fmt: skip
    assert names("params.missing = '1'") == []
    assert names("params.`C` != '0' and params.C < '2'") == names("params.C = '1'")
    page = sy.search_runs("params.C = '1'", order_by=["metrics.auc ASC"], max_results=3,
                          workspace=workspace)  # fmt: skip
    assert [run.name for run in page] == ["run-1", "run-11", "run-21"]
    assert page.runs[0].metrics == {"auc": 0.01} and page.runs[0].params == {"C": "1"}


@pytest.mark.parametrize(
    ("text", "position", "problem"),
    [
        ("params.C = 1", 12, "expected a quoted string"),
        ("metrics.auc > 'high'", 15, "metrics.auc compares with a number"),
        ("params.C = '1' or status = 'failed'", 16, "expected 'and'"),
        ("colour = 'red'", 1, "unknown field 'colour'"),
        ("status = 'done'", 10, "status is one of"),
        ("start_time > 'yesterday'", 14, "'yesterday' is not an ISO date"),
        ("params.C ~ '1'", 10, 'unexpected "~'),
        ("metrics.auc >", 14, "expected a value"),
    ],
)
def test_a_malformed_filter_names_the_position(
    sqlite_workspace: Workspace, text: str, position: int, problem: str
) -> None:
    with pytest.raises(sy.UsageError, match=f"position {position}: {problem}") as info:
        sy.search_runs(text, workspace=sqlite_workspace)
    assert info.value.hint and "docs/api.md" in info.value.hint


def test_bad_ordering_paging_and_tokens_are_usage_errors(sqlite_workspace: Workspace) -> None:
    _bulk_runs(sqlite_workspace, 5)
    with pytest.raises(sy.UsageError, match=r"Cannot order runs by 'metrics\.auc sideways'"):
        sy.search_runs(order_by=["metrics.auc sideways"], workspace=sqlite_workspace)
    with pytest.raises(sy.UsageError, match="max_results must be between 1 and 1000"):
        sy.search_runs(max_results=0, workspace=sqlite_workspace)
    with pytest.raises(sy.UsageError, match="not one search_runs gave"):
        sy.search_runs(page_token="garbage!", workspace=sqlite_workspace)
    token = sy.search_runs(max_results=2, workspace=sqlite_workspace).next_page_token
    with pytest.raises(sy.UsageError, match="another filter or ordering"):
        sy.search_runs("status = 'failed'", max_results=2, page_token=token,
                       workspace=sqlite_workspace)  # fmt: skip


@pytest.mark.slow
def test_paging_through_many_runs_returns_each_run_once(workspace: Workspace) -> None:
    ids = _bulk_runs(workspace, 20_000)
    seen: list[str] = []
    page = sy.search_runs(order_by=["metrics.auc DESC"], max_results=1000, workspace=workspace)
    while True:
        assert len(page) <= 1000  # one page in memory at a time
        seen += [run.id for run in page]
        if page.next_page_token is None:
            break
        page = sy.search_runs(order_by=["metrics.auc DESC"], max_results=1000,
                              page_token=page.next_page_token, workspace=workspace)  # fmt: skip
    assert len(seen) == len(set(seen)) == len(ids)
    assert seen == ids[::-1]  # auc rises with i, so descending auc is newest first
    by_offset = sy.search_runs("params.C = '7'", max_results=5, offset=1995, workspace=workspace)
    assert [run.name for run in by_offset] == ["run-47", "run-37", "run-27", "run-17", "run-7"]
