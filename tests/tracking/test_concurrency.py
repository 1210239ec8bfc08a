"""Several processes writing to one store: nothing lost, no "database is locked"."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from shipyard._store.workspace import Workspace
from tests.workers import log_many_metrics

PROCESSES = 8
STEPS = 1500


@pytest.mark.slow
def test_eight_processes_log_metrics_to_one_store(workspace: Workspace, tmp_path: Path) -> None:
    url = workspace.settings.resolved_store_url
    context = multiprocessing.get_context("spawn")
    with context.Pool(PROCESSES) as pool:
        run_ids = pool.starmap(log_many_metrics, [(url, str(tmp_path / "home"), STEPS)] * PROCESSES)
    assert len(set(run_ids)) == PROCESSES
    for run_id in run_ids:
        assert workspace.runs.get(run_id).status == "finished"
        assert workspace.runs.count_metrics(run_id) == 2 * STEPS
        history = workspace.runs.metric_history(run_id, "loss")
        assert [p.step for p in history] == list(range(STEPS))
