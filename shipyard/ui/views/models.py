"""Models: the list, a model (versions with status, aliases and their history, policies), a
version (evaluation with its gates, policy verdicts, approvals, lineage), and the actions that
move aliases: approve, promote (refused with the policy's reasons) and roll back."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

import shipyard as sy
from shipyard.core.errors import NotFoundError, ShipyardError, UsageError
from shipyard.ui.pages import action, download, form_text, page
from shipyard.ui.state import UiState

USUAL_ALIASES = ("production", "staging", "champion")


def _version(request: Request) -> int:
    raw = request.path_params["version"]
    if not raw.isdigit():
        raise UsageError(
            f"A model version is a whole number, not {raw!r}.",
            hint="For example /models/churn/versions/3.",
        )
    return int(raw)


@page("/models", "models.html", "Every registered model with its latest version and aliases")
def models(request: Request, state: UiState) -> dict[str, Any]:
    return {"models": [m.to_dict() for m in sy.list_models(workspace=state.workspace())]}


def _aliases(ws: sy.Workspace, record: sy.ModelRecord) -> list[str]:
    """The model's aliases, and the usual ones when a policy guards them."""
    names = list(record.aliases)
    names += [
        a
        for a in USUAL_ALIASES
        if a not in names and sy.get_policy(record.name, a, workspace=ws) is not None
    ]
    return sorted(names)


@page(
    "/models/{name}",
    "model.html",
    "A model: versions with status, aliases with their "
    "history (who, when, why) and promotion policies",
)
def model(request: Request, state: UiState) -> dict[str, Any]:
    ws = state.workspace()
    record = sy.get_model(request.path_params["name"], workspace=ws)
    aliases = []
    for alias in _aliases(ws, record):
        policy = sy.get_policy(record.name, alias, workspace=ws)
        history = sy.alias_history(record.name, alias, workspace=ws)
        aliases.append(
            {
                "alias": alias,
                "version": record.aliases.get(alias),
                "policy": None if policy is None else policy.to_dict(),
                "history": [event.to_dict() for event in reversed(history)],
            }
        )
    return {
        "model": record.to_dict(),
        "versions": [v.to_dict() for v in sy.list_model_versions(record.name, workspace=ws)],
        "aliases": aliases,
    }


@page(
    "/models/{name}/versions/{version}",
    "version.html",
    "A model version: evaluation with gates, policy verdict per alias, approvals and lineage",
)
def version(request: Request, state: UiState) -> dict[str, Any]:
    ws = state.workspace()
    name, number = request.path_params["name"], _version(request)
    record = sy.get_model_version(name, number, workspace=ws)
    evaluation = sy.latest_evaluation(name, number, workspace=ws)
    verdicts = []
    for alias in _aliases(ws, sy.get_model(name, workspace=ws)):
        verdict = sy.check_policy(name, number, alias, actor=state.actor(request), workspace=ws)
        verdicts.append(verdict.to_dict())
    try:
        graph: dict[str, Any] | None = sy.lineage(f"{name}/{number}", workspace=ws).to_dict()
    except ShipyardError:
        graph = None
    labels = {node["id"]: node["label"] for node in (graph or {}).get("nodes", [])}
    return {
        "version": record.to_dict(),
        "evaluation": None if evaluation is None else evaluation.to_dict(),
        "verdicts": verdicts,
        "lineage": graph,
        "lineage_rows": [
            {
                "source": labels.get(e["source"], e["source"]),
                "relation": e["relation"],
                "label": e["label"],
                "target": labels.get(e["target"], e["target"]),
            }
            for e in (graph or {}).get("edges", [])
        ],
        "alias_choices": sorted({*USUAL_ALIASES, *(v["alias"] for v in verdicts)}),
    }


@action(
    "/models/{name}/versions/{version}/approve",
    "Approve a version for an alias",
    fields=("alias", "comment"),
)
def approve(request: Request, state: UiState, form: dict[str, str]) -> tuple[str, dict[str, Any]]:
    name, number = request.path_params["name"], _version(request)
    alias = form_text(form, "alias", required=True) or ""
    approval = sy.approve(
        name,
        number,
        alias,
        comment=form_text(form, "comment"),
        actor=state.actor(request),
        workspace=state.workspace(),
    )
    result = approval.to_dict()
    result["message"] = f"Approved {name}/{number} for {alias!r} as {approval.actor}."
    return f"/models/{name}/versions/{number}", result


@action(
    "/models/{name}/versions/{version}/promote",
    "Point an alias at this version, under "
    "the alias's promotion policy (a refusal is a 409 with the reasons)",
    fields=("alias", "reason"),
)
def promote(request: Request, state: UiState, form: dict[str, str]) -> tuple[str, dict[str, Any]]:
    name, number = request.path_params["name"], _version(request)
    alias = form_text(form, "alias", required=True) or ""
    move = sy.promote(
        name,
        number,
        alias,
        reason=form_text(form, "reason"),
        actor=state.actor(request),
        workspace=state.workspace(),
    )
    result = move.to_dict()
    result["message"] = f"{name}@{alias} now points at version {number} (was {move.before})."
    return f"/models/{name}", result


@action(
    "/models/{name}/aliases/{alias}/rollback",
    "Move an alias back to its previous version",
    fields=("reason",),
)
def rollback(request: Request, state: UiState, form: dict[str, str]) -> tuple[str, dict[str, Any]]:
    name, alias = request.path_params["name"], request.path_params["alias"]
    move = sy.rollback(
        name,
        alias,
        reason=form_text(form, "reason"),
        actor=state.actor(request),
        workspace=state.workspace(),
    )
    result = move.to_dict()
    result["message"] = f"{name}@{alias} rolled back from version {move.before} to {move.after}."
    return f"/models/{name}", result


@download("/models/{name}/versions/{version}/report", inline=True)
def report(request: Request, state: UiState) -> tuple[bytes, str, str]:
    """The HTML evaluation report of a version's newest evaluation (plots and all), read from
    the artifact store and checked against its hash."""
    ws = state.workspace()
    name, number = request.path_params["name"], _version(request)
    evaluation = sy.latest_evaluation(name, number, workspace=ws)
    digest = None if evaluation is None else evaluation.report_hashes.get("html")
    if digest is None:
        raise NotFoundError(
            f"{name}/{number} has no HTML evaluation report.",
            hint="Its evaluation, if any, is on the version's page.",
        )
    return ws.artifacts.get_bytes(digest, name="report.html"), "report.html", "text/html"
