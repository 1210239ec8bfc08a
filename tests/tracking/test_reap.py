"""Runs whose process was killed (SIGKILL: no chance to say so) do not stay "running": the
next run started on the host, or `shipyard runs reap`, marks them killed when last seen, and
their staging folders go (on SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import shipyard as sy
from shipyard._store.workspace import Workspace
from shipyard.core.origin import host_name, process_start
from tests.cli_process import shipyard

DOOMED = """
import sys, time
import shipyard as sy
from shipyard.tracking.liveness import staging_dir

with sy.start_run("doomed") as parent, sy.start_run("step") as step:
    staging = staging_dir(step.id, "package")  # what a step stages its package in
    print(parent.id, step.id, staging.name, flush=True)
    time.sleep(600)
"""


def _start_doomed(workspace: Workspace) -> tuple[subprocess.Popen[str], list[str]]:
    settings = workspace.settings
    env = {**os.environ, "SHIPYARD_STORE_URL": settings.resolved_store_url,
           "SHIPYARD_ARTIFACTS_URL": settings.resolved_artifacts_url,
           "SHIPYARD_HOME": str(settings.home), "SHIPYARD_CAPTURE_GIT": "false",
           "SHIPYARD_CAPTURE_PACKAGES": "false", "SHIPYARD_HEARTBEAT_INTERVAL": "0.2"}  # fmt: skip
    process = subprocess.Popen([sys.executable, "-c", DOOMED], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env)  # fmt: skip
    assert process.stdout is not None
    line = process.stdout.readline().split()
    assert len(line) == 3, process.stderr.read() if process.stderr else ""
    return process, line


def _kill(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    process.communicate()


def _wait_for_a_heartbeat(workspace: Workspace, run_id: str) -> None:
    for _ in range(200):
        run = workspace.runs.get(run_id)
        if run.heartbeat_at is not None and run.heartbeat_at > run.start_time:
            return
        time.sleep(0.05)
    raise AssertionError("the run never beat a heartbeat")


@pytest.mark.slow
def test_runs_reap_marks_sigkilled_runs_killed_and_removes_staging(
    workspace: Workspace,
) -> None:
    process, (parent_id, step_id, folder) = _start_doomed(workspace)
    try:
        _wait_for_a_heartbeat(workspace, step_id)
        assert Path(folder).is_dir()
    finally:
        _kill(process)
    assert workspace.runs.get(parent_id).status == "running"  # the process could not say

    done = shipyard(workspace, "runs", "reap", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    reaped = {run["id"]: run for run in json.loads(done.stdout)}
    assert set(reaped) == {parent_id, step_id}
    for run_id in (parent_id, step_id):
        run = workspace.runs.get(run_id)
        assert run.status == "killed"
        assert run.end_time == run.heartbeat_at  # the time it was last seen alive
        assert f"process {process.pid} on {host_name()} is gone" in (run.error or "")
    assert not Path(folder).exists()
    again = shipyard(workspace, "runs", "reap")
    assert "No run was left running" in again.stdout


@pytest.mark.slow
def test_the_next_run_started_on_the_host_reaps_killed_runs(workspace: Workspace) -> None:
    process, (parent_id, step_id, _) = _start_doomed(workspace)
    _kill(process)
    with sy.start_run("next", workspace=workspace) as run:
        assert workspace.runs.get(parent_id).status == "killed"
        assert workspace.runs.get(step_id).status == "killed"
        assert workspace.runs.get(run.id).status == "running"  # a live run is left alone


def test_a_reused_pid_does_not_keep_a_dead_run_alive(workspace: Workspace) -> None:
    pid = os.getpid()  # alive, but not the process that started the first run
    started = process_start(pid)
    assert started is not None
    stale = workspace.runs.create(project="p", process=(host_name(), pid, started - 1))
    live = workspace.runs.create(project="p", process=(host_name(), pid, started))
    assert sy.reap_runs(workspace=workspace) == [stale.id]
    assert workspace.runs.get(live.id).status == "running"


def test_runs_on_other_hosts_are_reaped_after_the_heartbeat_timeout(
    workspace: Workspace,
) -> None:
    elsewhere = workspace.runs.create(project="p", process=("another-host", 4242, 1))
    assert sy.reap_runs(workspace=workspace) == []  # its heartbeat is fresh
    assert sy.reap_runs(local_only=True, timeout=0, workspace=workspace) == []
    assert sy.reap_runs(timeout=0, workspace=workspace) == [elsewhere.id]
    run = workspace.runs.get(elsewhere.id)
    assert run.status == "killed" and "no heartbeat from another-host" in (run.error or "")
