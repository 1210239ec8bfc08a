"""The registry steps: ``register`` (the package as a new model version, rejected when a
gate failed, with its evaluation) and ``promote`` (set each alias's policy from the
configuration and move the ``auto`` aliases the version qualifies for). See
:mod:`shipyard.pipeline.state` for what ``key``, ``compute`` and ``verify`` mean."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shipyard._store.models import ARCHIVED, READY, REJECTED
from shipyard._store.workspace import Workspace
from shipyard.core.errors import NotFoundError, ShipyardError
from shipyard.core.hashing import sha256_bytes
from shipyard.pipeline.cache import canonical_json
from shipyard.pipeline.state import State

if TYPE_CHECKING:
    from shipyard.tracking.run import ActiveRun


def register_key(state: State) -> dict[str, Any]:
    result = state.evaluation_outputs["result"]
    return {
        "package": state.package["package_hash"], "model": state.config.model.name,
        "description": state.config.model.description,
        "evaluation": sha256_bytes(canonical_json([result["passed"], result["gates"]])),
    }  # fmt: skip


def register_compute(state: State, run: ActiveRun) -> dict[str, Any]:
    """Register the package as a new version (rejected when a gate failed) with its
    evaluation; a package registered before keeps its version and gets the new evaluation.

    "Registered before" means the same content: a model trained again to the very same files
    (``shipyard run --no-cache`` with a seeded, deterministic training) differs from the
    registered package only in its run id and time, so it reuses that version rather than
    registering a copy and moving aliases to it (see docs/pipeline.md)."""
    from shipyard.registry import record_evaluation, register_version

    ws, config, result = state.workspace, state.config, state.evaluation
    name, package_hash = config.model.name, state.package["package_hash"]
    status = READY if result.passed else REJECTED
    version = _version_with_package(ws, name, package_hash)
    if version is None:
        version = register_version(
            name, package_hash=package_hash, flavor=state.package["flavor"],
            signature=state.package["signature"], source_run_id=state.package["producer_run_id"],
            status=status, description=config.model.description, workspace=ws,
        )  # fmt: skip
    elif version.status != status and version.status != ARCHIVED:
        version = ws.models.set_status(name, version.version, status, actor=ws.actor,
                                       reason=f"re-evaluated by run {run.id}")  # fmt: skip
    record_evaluation(
        name, version.version, passed=result.passed, gates=result.gates, metrics=result.metrics,
        report_hashes=state.evaluation_outputs["report_hashes"],
        run_id=state.evaluation_run_id, workspace=ws, feature_importance=result.feature_importance,
    )  # fmt: skip
    run.set_tags({"shipyard.model": version.ref, "shipyard.model_status": version.status})
    return {"version": version.version, "status": version.status,
            "package_hash": version.package_hash}  # fmt: skip


def _version_with_package(ws: Workspace, name: str, package_hash: str) -> Any:
    """The version holding this package, or else the newest one (not archived) holding the
    same content (:attr:`Manifest.content_key`); None when there is none."""
    try:
        versions = ws.models.list_versions(name)
    except NotFoundError:
        return None
    same = next((v for v in versions if v.package_hash == package_hash), None)
    if same is not None:
        return same
    wanted = _content_key(ws, package_hash)
    if wanted is None:
        return None
    return next(
        (v for v in versions
         if v.status != ARCHIVED and _content_key(ws, v.package_hash) == wanted),
        None,
    )  # fmt: skip


def _content_key(ws: Workspace, package_hash: str) -> str | None:
    """The package's content key; None when its manifest cannot be read (then it matches
    nothing, and the package gets a version of its own)."""
    from shipyard.models.manifest import Manifest

    try:
        return Manifest.from_bytes(ws.artifacts.get_bytes(package_hash)).content_key
    except ShipyardError:
        return None


def register_verify(state: State, outputs: dict[str, Any]) -> bool:
    try:
        found = state.workspace.models.get_version(state.config.model.name, outputs["version"])
    except NotFoundError:
        return False
    return found.package_hash in (state.package["package_hash"], outputs.get("package_hash"))


# -- promote -------------------------------------------------------------------------------------


def promote_compute(state: State, run: ActiveRun, pipeline_run_id: str) -> dict[str, Any]:
    """Set each alias's policy from the configuration, then move the ``auto`` aliases whose
    policy the new version meets."""
    from shipyard.registry import check_policy, promote, set_policy

    ws, config = state.workspace, state.config
    name, version = config.model.name, state.version
    assert version is not None
    promoted: list[str] = []
    refused: dict[str, list[str]] = {}
    for alias, rule in config.promotion.items():
        set_policy(name, alias, gates=rule.gate_names, require_approval=rule.requires_approval,
                   distinct_approver=rule.distinct_approver, requires=rule.require,
                   workspace=ws)  # fmt: skip
        if not rule.auto:
            continue
        if state.status != READY:
            refused[alias] = [f"{name}/{version} was rejected by its gates"]
            continue
        verdict = check_policy(name, version, alias, workspace=ws)
        if not verdict.allowed:
            refused[alias] = list(verdict.reasons)
            continue
        if _alias_target(ws, name, alias) != version:
            promote(
                name,
                version,
                alias,
                workspace=ws,
                reason=f"pipeline run {pipeline_run_id}: its promotion policy holds",
            )
        promoted.append(alias)
    run.set_tags({"shipyard.promoted": ",".join(promoted) or "-"})
    return {"promoted": promoted, "refused": refused}


def _alias_target(ws: Workspace, name: str, alias: str) -> int | None:
    try:
        return ws.models.resolve_alias(name, alias).version
    except NotFoundError:
        return None
