"""Rollouts: the list (from → to, status, step and canary share, last decision), a rollout's
history of decisions with the figures, sample sizes and test behind each, and the actions
pause, resume and abort.

A rollout resumed here is driven by a thread of this UI's process, the way ``shipyard rollout
resume`` drives it in the terminal: if the UI stops, the rollout's controller is gone and
``shipyard rollout resume`` carries on from its recorded step."""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request

import shipyard as sy
from shipyard.core.errors import ConflictError
from shipyard.ui.pages import action, form_text, page
from shipyard.ui.state import UiState

log = logging.getLogger("shipyard.ui")

LIMIT = 200


def summary(record: sy.RolloutRecord) -> dict[str, Any]:
    """The record as JSON-ready data, with its canary share and its last decision."""
    last = record.history[-1] if record.history else None
    return {
        **record.to_dict(),
        "active": record.active,
        "canary_share": record.canary_share,
        "step": record.step_index + 1,
        "steps": list(record.spec.get("steps", [])),
        "last_decision": last,
    }


@page(
    "/rollouts",
    "rollouts.html",
    "Every rollout, newest first: deployment, from and to, status, step and canary share, "
    "last decision",
    params=("deployment", "status"),
)
def rollouts(request: Request, state: UiState) -> dict[str, Any]:
    query = request.query_params
    deployment, status = query.get("deployment") or None, query.get("status") or None
    found = sy.list_rollouts(deployment, status, limit=LIMIT, workspace=state.workspace())
    return {
        "rollouts": [summary(r) for r in found],
        "filters": {"deployment": deployment, "status": status},
    }


@page(
    "/rollouts/{id}",
    "rollout.html",
    "A rollout: its steps and every decision with the figures, sample sizes and test behind it",
)
def rollout(request: Request, state: UiState) -> dict[str, Any]:
    record = sy.get_rollout(request.path_params["id"], workspace=state.workspace())
    return {"rollout": summary(record), "history": list(reversed(record.history))}


def _active(request: Request, state: UiState) -> sy.RolloutRecord:
    record = sy.get_rollout(request.path_params["id"], workspace=state.workspace())
    if not record.active:
        raise ConflictError(
            f"Rollout {record.id} of {record.deployment!r} is {record.status}, not running or "
            "paused.",
            hint="Only an active rollout can be paused, resumed or aborted.",
        )
    return record


@action("/rollouts/{id}/pause", "Pause a running rollout where it stands", fields=("reason",))
def pause(request: Request, state: UiState, form: dict[str, str]) -> tuple[str, dict[str, Any]]:
    record = _active(request, state)
    paused = sy.pause_rollout(
        record.deployment,
        reason=form_text(form, "reason"),
        actor=state.actor(request),
        workspace=state.workspace(),
    )
    result = summary(paused)
    result["message"] = f"Rollout {paused.id} of {paused.deployment} is paused."
    return f"/rollouts/{paused.id}", result


@action(
    "/rollouts/{id}/resume",
    "Carry on with a paused rollout from its recorded step (approving the last step when it "
    "waits for approval); this UI drives it",
)
def resume(request: Request, state: UiState, form: dict[str, str]) -> tuple[str, dict[str, Any]]:
    record = _active(request, state)
    ws = state.workspace()
    resumed = sy.resume_rollout(
        record.deployment, background=True, actor=state.actor(request), workspace=ws
    )
    result = summary(resumed)
    result["message"] = f"Rollout {resumed.id} of {resumed.deployment} is {resumed.status}."
    return f"/rollouts/{resumed.id}", result


@action(
    "/rollouts/{id}/abort",
    "End an active rollout now: all traffic back to the stable version",
    fields=("reason",),
)
def abort(request: Request, state: UiState, form: dict[str, str]) -> tuple[str, dict[str, Any]]:
    record = _active(request, state)
    ended = sy.abort_rollout(
        record.deployment,
        reason=form_text(form, "reason"),
        actor=state.actor(request),
        workspace=state.workspace(),
    )
    result = summary(ended)
    result["message"] = f"Rollout {ended.id} of {ended.deployment} is aborted."
    return f"/rollouts/{ended.id}", result
