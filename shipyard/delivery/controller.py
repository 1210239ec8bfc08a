"""The rollout controller: at every look it reads both arms' live data, judges the canary
against the stable version, decides, and acts — moving the deployment's routes, promoting
the alias, or rolling back — writing each decision to the rollout's history and the audit
log with the figures that drove it.

Everything it needs to carry on is in the store (the rollout's step, when it began, the
original routes, the servers' counter baselines), so a controller killed at any moment is
resumed from the recorded step; the servers keep serving the routes they last read.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from shipyard._store.rollouts import Change, RolloutRecord
from shipyard._store.workspace import Workspace
from shipyard.core.clock import utcnow
from shipyard.core.errors import (
    ConflictError,
    ShipyardError,
    StoreError,
    StoreUnreachableError,
)
from shipyard.core.logging import get_logger
from shipyard.delivery.analysis import judge
from shipyard.delivery.decide import Decision, decide
from shipyard.delivery.live import arm_data, error_counts, look_at_servers
from shipyard.delivery.outcomes import finish_promotion, pause, roll_back
from shipyard.delivery.routes import set_routes, spec_of, watched
from shipyard.delivery.spec import RolloutSpec

log = get_logger(__name__)
LOOK_EVERY_MAX_S = 5.0


def drive(workspace: Workspace, rollout_id: str) -> RolloutRecord:
    """Run the rollout until it ends or pauses (here or from another process)."""
    rollouts = workspace.rollouts
    try:
        record = rollouts.get(rollout_id)
        spec = spec_of(record)
        look_every = max(0.05, min(spec.plan.min_interval_s / 2 or 0.05, LOOK_EVERY_MAX_S))
        while record.status == "running":
            time.sleep(look_every)
            record = rollouts.get(rollout_id)
            if record.status != "running":
                break
            try:
                record = look(workspace, record, spec)
            except ConflictError:  # paused or ended by another process meanwhile
                record = rollouts.get(rollout_id)
                if record.status == "running":
                    raise
        return record
    except StoreError as exc:
        raise StoreUnreachableError(
            f"The store is unreachable, so rollout {rollout_id} stopped where it stands; the "
            f"servers keep serving the routes they last read ({exc.message})",
            hint="Nothing is promoted blind. Once the store is back: shipyard rollout resume "
            "DEPLOYMENT.",
        ) from exc


def look(workspace: Workspace, record: RolloutRecord, spec: RolloutSpec) -> RolloutRecord:
    """One look: read, judge, decide, act."""
    plan = spec.plan
    urls = watched(workspace, record)
    versions = [record.stable_version, record.canary_version]
    states = look_at_servers(urls, record.model, versions)
    down = [state for state in states if not state.ready]
    if down:
        why = "; ".join(f"server {s.url}: {s.problem}" for s in down)
        return pause(workspace, record, f"a server is down, so nothing is judged: {why}",
                     action="rollout.pause")  # fmt: skip
    now = utcnow()
    since = datetime.fromisoformat(record.state["traffic_since"])
    try:
        arms = arm_data(workspace, record.deployment, versions, since, now,
                        error_counts(states, record.state.get("baseline", {})))  # fmt: skip
    except ShipyardError as exc:
        return pause(workspace, record, f"cannot read the live data: {exc.message}",
                     action="rollout.pause")  # fmt: skip
    judgement = judge(plan.checks, arms[record.canary_version], arms[record.stable_version],
                      alpha=plan.alpha, min_samples=plan.min_samples)  # fmt: skip
    paused_s = float(record.state.get("paused_s", 0.0))
    decision = decide(
        plan, judgement, step_index=record.step_index,
        step_elapsed_s=(now - record.step_started_at).total_seconds(),
        total_elapsed_s=(now - record.started_at).total_seconds() - paused_s,
    )  # fmt: skip
    return act(workspace, record, spec, decision)


def entry(record: RolloutRecord, decision: Decision) -> dict[str, Any]:
    """A history entry: the action, the reason, and each check's figures and test."""
    return {
        "action": decision.action,
        "step": record.spec["steps"][record.step_index],
        "reason": decision.reason,
        "analysis": None if decision.judgement is None else decision.judgement.to_dict(),
    }


def act(
    workspace: Workspace, record: RolloutRecord, spec: RolloutSpec, decision: Decision
) -> RolloutRecord:
    rollouts, actor = workspace.rollouts, workspace.actor
    details = entry(record, decision)
    if decision.action == "wait":
        last = record.history[-1] if record.history else {}
        if (
            last.get("action") == "wait"
            and last.get("step") == details["step"]
            and (last.get("reason", "").split(":")[0] == decision.reason.split(":")[0])
        ):
            return rollouts.heartbeat(record.id)  # the same wait as last time: no new entry
        return rollouts.change(record.id, Change("rollout.decision", details, decision.reason,
                                                 entry=details), actor=actor)  # fmt: skip
    if decision.action == "advance":
        index = record.step_index + 1
        share = int(record.spec["steps"][index])
        set_routes(workspace, record, share, why=f"step {index + 1}: canary at {share}%")
        return rollouts.change(record.id, Change("rollout.decision", details, decision.reason,
                                                 step_index=index, new_step=True,
                                                 entry=details), actor=actor)  # fmt: skip
    if decision.action == "promote":
        if spec.plan.approval_before_last and not record.state.get("approved"):
            return pause(workspace, record, "waiting for approval before the last step: "
                         "`shipyard rollout resume` approves it", action="rollout.pause",
                         details=details)  # fmt: skip
        return finish_promotion(workspace, record, spec, decision.reason, details)
    if decision.action == "pause":
        return pause(workspace, record, decision.reason, action="rollout.pause", details=details)
    return roll_back(workspace, record, spec, decision.reason, details)
