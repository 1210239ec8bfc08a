"""A study's trials as runs: the tags every run of a study carries, which run stands for the
study, where each trial's run goes, which process each trial belongs to, and how a resumed
study settles the trials a killed process left running."""

from __future__ import annotations

import os
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shipyard._store.runs import KILLED
from shipyard._store.workspace import Workspace
from shipyard.core.origin import host_name, process_alive, process_start
from shipyard.tracking.fluent import start_run
from shipyard.tracking.run import ActiveRun

STUDY_TAG = "shipyard.tuning.study"
"""On every run a study produces: the id of the study's parent run."""
STUDY_NAME_TAG = "shipyard.tuning.study_name"
STATE_TAG = "shipyard.tuning.state"
TUNE_KIND = "tune"
TRIAL_KIND = "trial"
RUN_ATTR = "shipyard_run_id"
OWNER_ATTR = "shipyard_process"


STUDY_RUN_WAIT_S = 10.0
"""How long a process that joined a study another process has just created waits for the
creator to name the study's run (it names its own after that)."""
UNNAMED_TRIAL_GRACE_S = 60.0
"""A running trial that names neither its process nor its run after this long was abandoned
before it did (its process on another host cannot be asked whether it lives)."""


def study_run_for(study: Any, run_id: str, *, created: bool) -> str:
    """The id of the run that stands for ``study``: the first tuning run of the process that
    created it. Processes started together all find the study missing; only the one whose
    ``create_study`` succeeded names its run, and the others wait for that name (a check
    and a set by each would let the last writer win while the others tag with their own)."""
    if created:
        study.set_user_attr(RUN_ATTR, run_id)
        return run_id
    deadline = time.monotonic() + STUDY_RUN_WAIT_S
    while (named := study.user_attrs.get(RUN_ATTR)) is None:
        # A creator names the run before its first trial: a study with trials and no name
        # will not get one (plain Optuna made it, or its creator died before naming it).
        if study.get_trials(deepcopy=False) or time.monotonic() > deadline:
            study.set_user_attr(RUN_ATTR, run_id)
            return run_id
        time.sleep(0.05)
    return str(named)


@dataclass(frozen=True)
class TrialRuns:
    """Where a study's trial runs go: children of the tune run, tagged with the study."""

    parent: str
    study_run_id: str
    study: str

    def start(self, number: int, ws: Workspace) -> AbstractContextManager[ActiveRun]:
        tags = {STUDY_TAG: self.study_run_id, STUDY_NAME_TAG: self.study,
                "shipyard.tuning.trial": str(number)}  # fmt: skip
        return start_run(f"trial {number}", kind=TRIAL_KIND, parent=self.parent, workspace=ws,
                         tags=tags)  # fmt: skip


def this_process() -> dict[str, Any]:
    pid = os.getpid()
    return {"host": host_name(), "pid": pid, "start": process_start(pid)}


def _owner_died(owner: Any) -> bool | None:
    """Whether the process that ran a trial died, or None when this host cannot tell."""
    if not isinstance(owner, dict) or owner.get("host") != host_name():
        return None
    pid, start = owner.get("pid"), owner.get("start")
    if not isinstance(pid, int) or not (start is None or isinstance(start, int)):
        return None
    return not process_alive(pid, start)


def fail_abandoned(optuna: Any, study: Any, ws: Workspace, runs: TrialRuns) -> None:
    """Record as failed each running trial whose process died (its run, if it had one, was
    reaped when this run started), so a resumed study counts it and moves on; a trial killed
    before it named a run gets one, ended as killed, so every trial has its run."""
    running = optuna.trial.TrialState.RUNNING
    now = datetime.now()  # Optuna records trial times naive, in local time
    for trial in study.get_trials(deepcopy=False, states=(running,)):
        run_id = trial.user_attrs.get(RUN_ATTR)
        died = _owner_died(trial.user_attrs.get(OWNER_ATTR))
        if run_id is not None:
            abandoned = ws.runs.get(run_id).status != "running"
        elif died is not None:  # killed before it named its run
            abandoned = died
        else:  # another process may be starting it: it has named nothing yet
            started = trial.datetime_start
            if started is None or (now - started).total_seconds() < UNNAMED_TRIAL_GRACE_S:
                continue
            abandoned = True
        if not abandoned:
            continue
        if run_id is None:
            with runs.start(trial.number, ws) as child:
                child.set_tag(STATE_TAG, "failed")
                child.end(KILLED, error="its process died before the trial started training")
        study._storage.set_trial_state_values(trial._trial_id, optuna.trial.TrialState.FAIL)
