"""The model registry: versions, aliases, promotion policies, approvals, promotion and
rollback, all audited."""

from shipyard.registry.audit import AuditProblem, AuditVerdict, verify_audit
from shipyard.registry.policies import (
    PolicyVerdict,
    approve,
    check_policy,
    delete_policy,
    get_policy,
    latest_evaluation,
    list_policies,
    record_evaluation,
    set_policy,
)
from shipyard.registry.refs import ModelRef, parse_ref
from shipyard.registry.registry import (
    alias_history,
    authorize,
    delete_alias,
    load_model,
    promote,
    resolve,
    rollback,
    trust_for,
    verify_version_package,
)
from shipyard.registry.traffic import authorize_traffic

__all__ = [
    "AuditProblem",
    "AuditVerdict",
    "ModelRef",
    "PolicyVerdict",
    "alias_history",
    "approve",
    "authorize",
    "authorize_traffic",
    "check_policy",
    "delete_alias",
    "delete_policy",
    "get_policy",
    "latest_evaluation",
    "list_policies",
    "load_model",
    "parse_ref",
    "promote",
    "record_evaluation",
    "resolve",
    "rollback",
    "set_policy",
    "trust_for",
    "verify_audit",
    "verify_version_package",
]
