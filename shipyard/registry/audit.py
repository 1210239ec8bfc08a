"""The audit log, read back (:func:`get_audit`) and checked (:func:`verify_audit`): the hash
chain is intact, and every alias points where the last event about it says (see
``shipyard._store.audit_chain`` for what is hashed)."""

from __future__ import annotations

from shipyard._store.audit_chain import AuditProblem, AuditVerdict
from shipyard._store.records import AuditRecord
from shipyard._store.workspace import Workspace, workspace_for
from shipyard.core.errors import UsageError
from shipyard.core.settings import Settings

__all__ = ["AuditProblem", "AuditVerdict", "get_audit", "verify_audit"]


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


def verify_audit(
    *, workspace: Workspace | None = None, settings: Settings | None = None
) -> AuditVerdict:
    """Walk the audit log's hash chain. The verdict names the first event that was changed or
    removed (and every later problem), and each alias whose current target disagrees with the
    last audit event about it; ``verdict.ok`` is True when there is nothing to report."""
    return (workspace or workspace_for(settings)).audit.verify()
