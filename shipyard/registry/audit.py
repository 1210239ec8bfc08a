"""Checking the audit log: the hash chain is intact, and every alias points where the last
event about it says (see ``shipyard.store.audit_chain`` for what is hashed)."""

from __future__ import annotations

from shipyard.store.audit_chain import AuditProblem, AuditVerdict
from shipyard.store.workspace import Workspace, workspace_for

__all__ = ["AuditProblem", "AuditVerdict", "verify_audit"]


def verify_audit(*, workspace: Workspace | None = None) -> AuditVerdict:
    """Walk the audit log's hash chain. The verdict names the first event that was changed or
    removed (and every later problem), and each alias whose current target disagrees with the
    last audit event about it; ``verdict.ok`` is True when there is nothing to report."""
    return (workspace or workspace_for()).audit.verify()
