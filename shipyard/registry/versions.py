"""Registering model versions and reading models and versions back.

Registering a version belongs to the registry: tracking (``run.log_model``) and the pipeline's
register step come through :func:`register_version`, which writes the audit event with the
version in one transaction.
"""

from __future__ import annotations

from typing import Any

from shipyard._store.models import READY
from shipyard._store.records import ModelRecord, ModelVersionRecord
from shipyard._store.workspace import Workspace, workspace_for
from shipyard.core.names import check_model_name
from shipyard.core.settings import Settings
from shipyard.registry.refs import ModelRef, parse_ref


def register_version(
    name: str,
    *,
    package_hash: str,
    flavor: str,
    signature: dict[str, Any] | None,
    source_run_id: str | None,
    status: str = READY,
    description: str | None = None,
    actor: str | None = None,
    workspace: Workspace | None = None,
) -> ModelVersionRecord:
    """Register a stored model package as the next version of ``name`` (1, 2, 3…; the model is
    created on first use), audited as ``version.create``."""
    ws = workspace or workspace_for()
    return ws.models.create_version(
        name, package_hash=package_hash, flavor=flavor, signature=signature,
        source_run_id=source_run_id, actor=actor or ws.actor, status=status,
        description=description,
    )  # fmt: skip


def resolve(ref: str | ModelRef, *, workspace: Workspace | None = None) -> ModelVersionRecord:
    """The version a reference points at: ``name@alias``, ``name/3`` or ``name`` (latest)."""
    ws = workspace or workspace_for()
    parsed = ref if isinstance(ref, ModelRef) else parse_ref(ref)
    if parsed.alias is not None:
        return ws.models.resolve_alias(parsed.name, parsed.alias)
    if parsed.version is not None:
        return ws.models.get_version(parsed.name, parsed.version)
    return ws.models.latest_version(parsed.name)


def list_models(
    *, workspace: Workspace | None = None, settings: Settings | None = None
) -> list[ModelRecord]:
    """Every registered model, by name, with its latest version and its aliases."""
    return (workspace or workspace_for(settings)).models.list_models()


def get_model(
    name: str, *, workspace: Workspace | None = None, settings: Settings | None = None
) -> ModelRecord:
    """One registered model; an unknown name raises :class:`NotFoundError` listing known ones."""
    check_model_name(name)
    return (workspace or workspace_for(settings)).models.get_model(name)


def get_model_version(
    ref: str,
    version: int | None = None,
    *,
    workspace: Workspace | None = None,
    settings: Settings | None = None,
) -> ModelVersionRecord:
    """A model version: ``get_model_version("churn", 3)``, or a reference ``"churn/3"``,
    ``"churn@production"`` or ``"churn"`` (its latest version)."""
    ws = workspace or workspace_for(settings)
    if version is not None:
        return ws.models.get_version(parse_ref(ref).name, version)
    return resolve(ref, workspace=ws)


def list_model_versions(
    name: str, *, workspace: Workspace | None = None, settings: Settings | None = None
) -> list[ModelVersionRecord]:
    """Every version of model ``name``, newest first, each with its aliases."""
    return (workspace or workspace_for(settings)).models.list_versions(name)
