"""Runs whose process died: found and closed as ``killed``.

A run records the host, pid and process start time of the process that runs it, and that
process beats a heartbeat (every ``heartbeat_interval`` seconds, on a daemon thread) while the
run lives. A process killed with SIGKILL cannot say goodbye, so its runs would stay
``running`` forever; :func:`reap_runs` closes them:

- on this host, a run whose process is gone (or whose pid now belongs to a later process,
  told apart by the start time) is killed at once;
- on another host, a run whose last heartbeat is older than ``heartbeat_timeout`` is killed.

Either way the run ends at the time it was last seen alive, and the staging folders it left
in the temporary directory are removed. Every run start reaps this host's dead runs (one
indexed query), and ``shipyard runs reap`` does the whole job.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
from datetime import timedelta
from pathlib import Path

from shipyard._store.runs import ProcessIdentity, RunningProcess
from shipyard._store.workspace import Workspace, workspace_for
from shipyard.core.clock import utcnow
from shipyard.core.origin import host_name, process_alive, process_start

STAGING_PREFIX = "shipyard-run-"


def this_process() -> ProcessIdentity:
    """(host, pid, start time) of the current process, as a run records it."""
    pid = os.getpid()
    return host_name(), pid, process_start(pid)


def staging_dir(
    run_id: str, purpose: str, parent: Path | None = None
) -> tempfile.TemporaryDirectory[str]:
    """A temporary folder for work a run stages (packages, reports), in ``parent`` (default:
    the host's temporary directory); named after the run so that the folders of a run that
    was killed can be found and removed."""
    return tempfile.TemporaryDirectory(prefix=f"{STAGING_PREFIX}{run_id}-{purpose}-", dir=parent)


def staging_places(workspace: Workspace) -> list[Path]:
    """Where runs stage: the host's temporary directory, and the package cache (a package is
    staged beside the cache so that it moves into it by a rename)."""
    return [Path(tempfile.gettempdir()), workspace.cache_dir / "packages"]


class Heartbeat:
    """A daemon thread that records, every ``interval`` seconds, that a run is alive."""

    def __init__(self, workspace: Workspace, run_id: str, interval: float) -> None:
        self._stop = threading.Event()
        self._workspace, self._run_id, self._interval = workspace, run_id, interval
        self._thread = threading.Thread(target=self._run, name="shipyard-heartbeat", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            with contextlib.suppress(Exception):  # a missed beat is retried at the next one
                self._workspace.runs.heartbeat([self._run_id])

    def stop(self) -> None:
        self._stop.set()


def reap_runs(
    *,
    timeout: float | None = None,
    local_only: bool = False,
    workspace: Workspace | None = None,
) -> list[str]:
    """Mark runs whose process is gone as ``killed`` (see the module docstring) and remove
    their staging folders; returns the ids of the runs reaped. ``timeout`` (seconds) overrides
    the ``heartbeat_timeout`` setting for runs on other hosts; ``local_only`` skips them."""
    ws = workspace or workspace_for()
    here = host_name()
    limit = timedelta(seconds=ws.settings.heartbeat_timeout if timeout is None else timeout)
    now = utcnow()
    reaped: list[str] = []
    for run in ws.runs.running_with_process():
        if run.host == here:
            if process_alive(run.pid, run.process_start):
                continue
            why = f"its process {run.pid} on {run.host} is gone"
        elif local_only or (run.heartbeat_at is not None and now - run.heartbeat_at < limit):
            continue
        else:
            why = f"no heartbeat from {run.host} for over {limit.total_seconds():g} s"
        if ws.runs.mark_killed(run.run_id, last_seen=run.heartbeat_at, error=_error(run, why)):
            reaped.append(run.run_id)
            if run.host == here:
                remove_staging(run.run_id, staging_places(ws))
    return reaped


def _error(run: RunningProcess, why: str) -> str:
    seen = run.heartbeat_at.isoformat() if run.heartbeat_at else "never"
    return f"killed: {why} (last seen alive {seen})"


def remove_staging(run_id: str, places: list[Path]) -> int:
    """Remove the staging folders of ``run_id`` in ``places``."""
    folders = [f for place in places for f in place.glob(f"{STAGING_PREFIX}{run_id}-*")]
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
    return len(folders)
