"""Progressive rollouts, the public calls: :func:`rollout` starts one (and by default runs it
to its end), :func:`get_rollout` and :func:`list_rollouts` read them back,
:func:`pause_rollout`, :func:`resume_rollout` and :func:`abort_rollout` steer one from any
process. See ``docs/rollouts.md``.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from shipyard._store.rollouts import ACTIVE, STATUSES, Change, RolloutRecord, busy
from shipyard._store.workspace import Workspace, workspace_for
from shipyard.core.clock import utcnow
from shipyard.core.errors import ConflictError, NotFoundError, ShipyardError, UsageError
from shipyard.core.settings import Settings, find_config_file
from shipyard.delivery.controller import drive
from shipyard.delivery.live import look_at_servers
from shipyard.delivery.outcomes import pause
from shipyard.delivery.routes import controller_id, set_routes, spec_of, watched
from shipyard.delivery.smoke import load_smoke_cases, smoke_test
from shipyard.delivery.spec import RolloutSpec, load_spec, spec_with
from shipyard.registry import authorize, check_policy, parse_ref, resolve
from shipyard.registry.traffic import DEFAULT_ALIAS
from shipyard.serving.deploy import deployments_of

log = logging.getLogger("shipyard.rollout")

STALE_AFTER_S = 15.0
"""A running rollout whose controller has not been heard from for this long (plus a few
looks) is taken to be dead, and may be resumed by another process."""


def rollout(
    deployment: str,
    to: str,
    *,
    alias: str | None = None,
    force: bool = False,
    reason: str | None = None,
    config: str | Path | None = None,
    wait: bool = True,
    workspace: Workspace | None = None,
    settings: Settings | None = None,
    **options: Any,
) -> RolloutRecord:
    """Roll ``deployment`` out to ``to`` (``NAME/VERSION``) step by step.

    The spec is the ``rollout:`` section of ``config`` (default: ``shipyard.yaml`` here) with
    ``options`` laid over it (``steps``, ``interval``, ``min_samples``, ``max_duration``,
    ``alpha``, ``on_failure``, ``approval``, ``labels``, ``smoke``, ``sinks``, ``servers``,
    ``checks``). The version must meet the promotion policy of the alias the deployment
    serves (``alias``, default the route's alias or ``production``) unless ``force`` with a
    ``reason`` (audited). Its smoke tests run on a server of its own before any user traffic
    reaches it. With ``wait`` the call returns when the rollout is promoted, rolled back or
    paused; otherwise at once, to be driven by :func:`resume_rollout`."""
    ws = workspace or workspace_for(settings)
    record = deployments_of(ws).get(deployment)
    if record.mode == "batch":
        raise UsageError(f"Deployment {deployment!r} is a batch job; only online and stream "
                         f"deployments take live traffic to roll out.")  # fmt: skip
    active = ws.rollouts.active(deployment)
    if active is not None:
        raise busy(deployment, active)  # before the smoke tests, not after
    target = parse_ref(to)
    if target.name != record.model_name:
        raise UsageError(
            f"Deployment {deployment!r} serves model {record.model_name!r}, not {target.name!r}.",
            hint=f"Roll out {record.model_name}/N.",
        )
    if target.version is None and target.alias is None:
        raise UsageError(f"{to!r} does not say which version.", hint=f"Write {target.name}/N.")
    canary = resolve(target, workspace=ws).version
    stable, served_alias = _stable(ws, deployment, record.routes)
    alias = alias or served_alias or DEFAULT_ALIAS
    if canary == stable:
        raise UsageError(f"{deployment!r} already serves {target.name}/{canary}.")
    note = authorize([check_policy(target.name, canary, alias, workspace=ws)], force=force,
                     reason=reason)  # fmt: skip
    file = Path(config) if config is not None else find_config_file()
    spec = spec_with(load_spec(file), {**options, "config": str(file) if file else None})
    started = ws.rollouts.create(
        deployment=deployment, model=target.name, alias=alias, stable_version=stable,
        canary_version=canary, spec=spec.to_dict(), actor=ws.actor, reason=note or reason,
        state={"original_routes": record.routes, "forced": bool(note and force),
               "force_reason": note if force else None, "controller": controller_id()},
    )  # fmt: skip
    if spec.smoke and not _smoke_before_traffic(ws, started, spec):
        return ws.rollouts.get(started.id)
    began = _begin_traffic(ws, started, spec)
    return drive(ws, began.id) if wait else began


def _begin_traffic(ws: Workspace, record: RolloutRecord, spec: RolloutSpec) -> RolloutRecord:
    """The servers' counters as they stand, then the first step's share to the canary."""
    versions = [record.stable_version, record.canary_version]
    baseline = {s.url: dict(s.errors or {}) for s in look_at_servers(
        watched(ws, record), record.model, versions) if s.ready}  # fmt: skip
    share = int(spec.plan.steps[0])
    set_routes(ws, record, share, why=f"step 1: canary at {share}%")
    why = f"{'smoke tests passed; ' if spec.smoke else ''}canary at {share}%"
    return ws.rollouts.change(
        record.id, Change("rollout.decision", {"action": "advance", "share": share}, why,
                          step_index=0, new_step=True,
                          state={"traffic_since": utcnow().isoformat(), "baseline": baseline},
                          entry={"action": "advance", "step": share,
                                 "reason": f"traffic begins: canary at {share}%"}),
        actor=ws.actor,
    )  # fmt: skip


def _stable(ws: Workspace, deployment: str, routes: list[dict[str, Any]]) -> tuple[int, str | None]:
    if len(routes) != 1:
        raise ConflictError(
            f"Deployment {deployment!r} already splits its traffic between {len(routes)} routes.",
            hint="A rollout starts from one stable version: route it all to one version first.",
        )
    route = routes[0]
    if "alias" in route:
        model = deployments_of(ws).get(deployment).model_name
        return ws.models.resolve_alias(model, route["alias"]).version, str(route["alias"])
    return int(route["version"]), None


def _smoke_before_traffic(ws: Workspace, record: RolloutRecord, spec: RolloutSpec) -> bool:
    cases = load_smoke_cases(spec.config) if spec.config else []
    report = smoke_test(record.target, cases, workspace=ws)
    if report.passed:
        return True
    reason = "smoke tests failed before any user traffic: " + "; ".join(report.failures[:5])
    details = {"action": "abort", "step": 0, "reason": reason, "smoke": report.to_dict()}
    change = Change("rollout.abort", details, reason, status="failed", entry=details,
                    final_reason=reason)  # fmt: skip
    ws.rollouts.change(record.id, change, actor=ws.actor)
    return False


def get_rollout(
    rollout: str, *, workspace: Workspace | None = None, settings: Settings | None = None
) -> RolloutRecord:
    """A rollout by id, or a deployment's active rollout (else its newest)."""
    _check_name(rollout, "A rollout is named by its id or its deployment's name")
    ws = workspace or workspace_for(settings)
    found = ws.rollouts.active(rollout)
    if found is not None:
        return found
    newest = ws.rollouts.list(deployment=rollout, limit=1)
    if newest:
        return newest[0]
    try:
        return ws.rollouts.get(rollout)
    except NotFoundError:
        raise NotFoundError(f"There is no rollout of or called {rollout!r}.",
                            hint="List them with `shipyard rollout list`.") from None  # fmt: skip


def list_rollouts(
    deployment: str | None = None,
    status: str | None = None,
    *,
    limit: int = 100,
    workspace: Workspace | None = None,
    settings: Settings | None = None,
) -> list[RolloutRecord]:
    """Rollouts, newest first: of one ``deployment``, in one ``status`` (running, paused,
    promoted, rolled_back, aborted, failed)."""
    if status is not None and status not in STATUSES:
        raise UsageError(f"Status {status!r} is not one of {', '.join(STATUSES)}.")
    if limit < 1:
        raise UsageError(f"limit must be 1 or more, not {limit}.")
    ws = workspace or workspace_for(settings)
    return ws.rollouts.list(deployment=deployment, status=status, limit=limit)


def pause_rollout(
    deployment: str,
    *,
    reason: str | None = None,
    actor: str | None = None,
    workspace: Workspace | None = None,
    settings: Settings | None = None,
) -> RolloutRecord:
    """Pause the deployment's running rollout where it stands (its controller stops at its
    next look); the routes stay as they are. ``actor`` is who the audit log names (default:
    the workspace's)."""
    ws = workspace or workspace_for(settings)
    record = _active(ws, deployment)
    who = actor or ws.actor
    return pause(ws, record, reason or f"paused by {who}", action="rollout.pause", actor=who)


def resume_rollout(
    deployment: str,
    *,
    wait: bool = True,
    background: bool = False,
    actor: str | None = None,
    workspace: Workspace | None = None,
    settings: Settings | None = None,
) -> RolloutRecord:
    """Carry on with the deployment's rollout from its recorded step: a paused one (which
    also approves the last step when it waits for approval), or a running one whose
    controller died. With ``wait``, drive it to its end here; with ``background``, drive it on
    a thread of this process and return at once (for a long-lived process such as the web UI:
    if the process stops, ``shipyard rollout resume`` carries on from the recorded step)."""
    ws = workspace or workspace_for(settings)
    record = _active(ws, deployment)
    who = actor or ws.actor
    now = utcnow()
    state: dict[str, Any] = {"controller": controller_id()}
    if record.status == "paused":
        paused_at = record.state.get("paused_at")
        if paused_at:
            gap = (now - datetime.fromisoformat(paused_at)).total_seconds()
            state["paused_s"] = float(record.state.get("paused_s", 0.0)) + gap
        if "approval" in (record.reason or "") or "approval" in str(record.history[-1:]):
            state["approved"] = who
        why = f"resumed by {who}"
    else:
        quiet = (now - (record.heartbeat_at or record.updated_at)).total_seconds()
        alive = _controller_alive(record.state.get("controller") or {})
        if alive or (alive is None and quiet < STALE_AFTER_S + 3 * float(record.spec["interval"])):
            raise ConflictError(
                f"Rollout {record.id} of {deployment!r} is running, and its controller was "
                f"heard from {quiet:.0f} s ago.",
                hint=f"Pause it first (`shipyard rollout pause {deployment}`), or wait.",
            )
        why = f"resumed by {who}: its controller was silent for {quiet:.0f} s"
    resumed = ws.rollouts.change(
        record.id, Change("rollout.resume", {"action": "resume"}, why, status="running",
                          state=state, entry={"action": "resume", "reason": why,
                                              "step": record.spec["steps"][record.step_index]}),
        actor=who,
    )  # fmt: skip
    if "traffic_since" not in resumed.state:  # it died before traffic began: start afresh
        spec = spec_of(resumed)
        if spec.smoke and not _smoke_before_traffic(ws, resumed, spec):
            return ws.rollouts.get(resumed.id)
        resumed = _begin_traffic(ws, resumed, spec)
    share = int(record.spec["steps"][record.step_index])
    set_routes(ws, resumed, share, why=f"resumed at step {record.step_index + 1}: {share}%")
    if background and resumed.status == "running":
        threading.Thread(target=_drive_quietly, args=(ws, resumed.id),
                         name=f"rollout-{resumed.id}", daemon=True).start()  # fmt: skip
        return resumed
    return drive(ws, resumed.id) if wait else resumed


def _drive_quietly(ws: Workspace, rollout_id: str) -> None:
    """Drive a rollout on a background thread, logging (never raising) why it stopped."""
    try:
        drive(ws, rollout_id)
    except ShipyardError as error:  # paused or ended elsewhere, or the store went away
        log.warning("Stopped driving rollout %s: %s", rollout_id, error)
    except Exception:
        log.exception("Driving rollout %s failed", rollout_id)


def abort_rollout(
    deployment: str,
    *,
    reason: str | None = None,
    actor: str | None = None,
    workspace: Workspace | None = None,
    settings: Settings | None = None,
) -> RolloutRecord:
    """End the deployment's active rollout now: all traffic back to the stable version."""
    ws = workspace or workspace_for(settings)
    record = _active(ws, deployment)
    who = actor or ws.actor
    why = reason or f"aborted by {who}"
    set_routes(ws, record, None, why="aborted: 100% to the stable version")
    details = {"action": "abort", "step": record.spec["steps"][record.step_index], "reason": why}
    return ws.rollouts.change(record.id, Change("rollout.abort", details, why, status="aborted",
                                                entry=details, final_reason=why),
                              actor=who)  # fmt: skip


def _controller_alive(controller: Mapping[str, Any]) -> bool | None:
    """Whether the controller process recorded is alive: known only on its own host."""
    if controller.get("host") != socket.gethostname() or not controller.get("pid"):
        return None
    if int(controller["pid"]) == os.getpid():
        return False
    try:
        os.kill(int(controller["pid"]), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _check_name(value: object, what: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise UsageError(f"{what}, not {value!r}.", hint="List them with `shipyard rollout list`.")


def _active(ws: Workspace, deployment: str) -> RolloutRecord:
    _check_name(deployment, "A rollout is named by its deployment's name")
    found = ws.rollouts.active(deployment)
    if found is None:
        deployments_of(ws).get(deployment)  # an unknown deployment is a NotFoundError
        raise ConflictError(
            f"Deployment {deployment!r} has no active rollout.",
            hint=f"See `shipyard rollout list --deployment {deployment}`.",
        )
    return found


def describe(record: RolloutRecord) -> Mapping[str, Any]:
    """The record as JSON-ready data, with the canary's share now."""
    return {**record.to_dict(), "canary_share": record.canary_share,
            "active": record.status in ACTIVE, "spec": spec_of(record).to_dict()}  # fmt: skip
