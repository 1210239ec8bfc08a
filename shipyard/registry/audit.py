"""Reading the audit log back: :func:`get_audit`."""

from __future__ import annotations

from shipyard._store.records import AuditRecord
from shipyard._store.workspace import Workspace, workspace_for
from shipyard.core.errors import UsageError
from shipyard.core.settings import Settings


def get_audit(
    *,
    model: str | None = None,
    target: str | None = None,
    target_type: str | None = None,
    action: str | None = None,
    limit: int | None = 100,
    newest_first: bool = True,
    workspace: Workspace | None = None,
    settings: Settings | None = None,
) -> list[AuditRecord]:
    """Audit events (who did what to which target, when, and why), newest first: about one
    ``model`` (its versions ``NAME/N`` and aliases ``NAME@A``), one ``target``
    (``churn@production``), one ``target_type`` (alias, model_version, deployment, dataset,
    alert…) or one ``action`` (``alias.set``…). ``limit=None`` reads every matching event."""
    if limit is not None and limit < 1:
        raise UsageError(f"limit must be 1 or more (or None for all), not {limit}.")
    return (workspace or workspace_for(settings)).audit.list(
        model=model, target=target, target_type=target_type, action=action, limit=limit,
        newest_first=newest_first,
    )  # fmt: skip
