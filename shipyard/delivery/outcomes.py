"""How a rollout ends or stops: paused where it stands, promoted (all traffic to the canary,
the alias moved as ``promote`` moves it, the smoke tests run again on the live servers), or
rolled back (all traffic to the stable version, an alert through the monitoring sinks, and
the version's record saying why)."""

from __future__ import annotations

import time
from typing import Any

from shipyard._store.rollouts import Change, RolloutRecord
from shipyard._store.workspace import Workspace
from shipyard.core.clock import utcnow
from shipyard.core.errors import ShipyardError
from shipyard.core.logging import get_logger
from shipyard.delivery.live import wait_until_serving
from shipyard.delivery.routes import servers_of, set_routes, watched
from shipyard.delivery.smoke import load_smoke_cases, smoke_test
from shipyard.delivery.spec import RolloutSpec
from shipyard.monitoring.config import load_config
from shipyard.monitoring.sinks import Delivery, Dispatcher
from shipyard.registry import promote, rollback

log = get_logger(__name__)
ALERT_WAIT_S = 10.0
SWITCH_WAIT_S = 60.0
"""How long the servers may take to follow the promotion before its smoke tests fail."""


def pause(
    workspace: Workspace,
    record: RolloutRecord,
    reason: str,
    *,
    action: str,
    details: dict[str, Any] | None = None,
    actor: str | None = None,
) -> RolloutRecord:
    """Pause where it stands: the routes stay as they are until resumed or aborted."""
    found = details or {"action": "pause", "step": record.spec["steps"][record.step_index],
                        "reason": reason, "analysis": None}  # fmt: skip
    found = {**found, "action": "pause", "reason": reason}
    log.warning("rollout %s of %s paused: %s", record.id, record.deployment, reason)
    return workspace.rollouts.change(
        record.id, Change(action, found, reason, status="paused", entry=found,
                          state={"paused_at": utcnow().isoformat()}),
        actor=actor or workspace.actor, expect=("running",),
    )  # fmt: skip


def finish_promotion(
    workspace: Workspace,
    record: RolloutRecord,
    spec: RolloutSpec,
    reason: str,
    details: dict[str, Any],
) -> RolloutRecord:
    """All traffic to the canary, the alias moved as ``promote`` moves it, and the smoke
    tests run again against the live servers."""
    set_routes(workspace, record, 100, why="promoted: canary at 100%")
    move = promote(
        record.model, record.canary_version, record.alias, workspace=workspace,
        force=bool(record.state.get("forced")),
        reason=record.state.get("force_reason") or f"rollout {record.id}: {reason[:500]}",
    )  # fmt: skip
    original = record.state["original_routes"]
    if any("alias" in route for route in original):  # the alias now points at the canary
        set_routes(workspace, record, None, why="promoted: routes follow the alias again")
    details = {**details, "action": "promote", "alias_move": move.to_dict()}
    promoted = workspace.rollouts.change(
        record.id, Change("rollout.promote", details, reason, status="promoted", entry=details,
                          final_reason=reason), actor=workspace.actor, expect=("running",),
    )  # fmt: skip
    if spec.smoke:
        return smoke_after_promotion(workspace, promoted, spec)
    return promoted


def roll_back(
    workspace: Workspace,
    record: RolloutRecord,
    spec: RolloutSpec,
    reason: str,
    details: dict[str, Any],
    *,
    expect: tuple[str, ...] = ("running",),
) -> RolloutRecord:
    """All traffic back to the stable version, then the record, the audit and the alert."""
    started = time.perf_counter()
    set_routes(workspace, record, None, why="rolled back: 100% to the stable version")
    details = {**details, "action": "rollback",
               "routes_restored_s": round(time.perf_counter() - started, 4)}  # fmt: skip
    done = workspace.rollouts.change(
        record.id, Change("rollout.rollback", details, reason, status="rolled_back",
                          entry=details, final_reason=reason),
        actor=workspace.actor, expect=expect,
    )  # fmt: skip
    alert_rollback(workspace, done, spec)
    return done


def smoke_after_promotion(
    workspace: Workspace, record: RolloutRecord, spec: RolloutSpec
) -> RolloutRecord:
    """Run the smoke tests against every live server now serving the canary; a failure moves
    the alias back (``rollback``) and the routes with it."""
    urls = servers_of(workspace, record)  # stream workers answer no predictions over HTTP
    cases = load_smoke_cases(spec.config) if spec.config else []
    failures = [f"{url}: still serves another version after {SWITCH_WAIT_S:g} s"
                for url in wait_until_serving(watched(workspace, record), record.canary_version,
                                              timeout_s=SWITCH_WAIT_S)]  # fmt: skip
    for url in urls:
        report = smoke_test(record.target, cases, url=url, workspace=workspace,
                            ready_timeout_s=10.0)  # fmt: skip
        failures += [f"{url}: {failure}" for failure in report.failures]
    if not failures:
        return record
    reason = "smoke tests failed after promotion: " + "; ".join(failures[:5])
    move = rollback(record.model, record.alias, reason=reason, workspace=workspace)
    details = {"action": "rollback", "step": 100, "reason": reason, "analysis": None,
               "alias_move": move.to_dict()}  # fmt: skip
    return roll_back(workspace, record, spec, reason, details, expect=("promoted",))


def alert_rollback(workspace: Workspace, record: RolloutRecord, spec: RolloutSpec) -> None:
    """Open an alert for the rollback and send it through the declared monitoring sinks
    (waiting a few seconds at most); a sink that fails is recorded on the alert."""
    try:
        config = load_config(spec.config) if spec.config else load_config(None)
        alert, _ = workspace.monitoring.raise_alert(
            rule="rollout", deployment=record.deployment, fingerprint=f"rollout:{record.id}",
            severity="critical",
            message=f"rollout of {record.target} rolled back: {(record.reason or '')[:300]}",
            details={"rollout": record.id, "model": record.model,
                     "stable_version": record.stable_version,
                     "canary_version": record.canary_version, "reason": record.reason},
        )  # fmt: skip
        dispatcher = Dispatcher(workspace.monitoring)
        for sink in spec.sinks:
            dispatcher.submit(Delivery(alert, sink, config.sink(sink), "opened"))
        dispatcher.close(wait=ALERT_WAIT_S)
    except (ShipyardError, KeyError) as exc:  # the rollback stands; say the alert did not go
        log.error("rollout %s rolled back, but its alert could not be sent: %s", record.id, exc)
