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
    mark_version,
    record_evaluation,
    set_policy,
    version_marks,
)
from shipyard.registry.refs import ModelRef, parse_ref
from shipyard.registry.registry import (
    alias_history,
    authorize,
    delete_alias,
    load_model,
    promote,
    rollback,
    trust_for,
    verify_version_package,
)
from shipyard.registry.traffic import authorize_traffic
from shipyard.registry.versions import (
    get_model,
    get_model_version,
    list_model_versions,
    list_models,
    register_version,
    resolve,
)

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
    "get_model",
    "get_model_version",
    "get_policy",
    "latest_evaluation",
    "list_model_versions",
    "list_models",
    "list_policies",
    "load_model",
    "mark_version",
    "parse_ref",
    "promote",
    "record_evaluation",
    "register_version",
    "resolve",
    "rollback",
    "set_policy",
    "trust_for",
    "verify_audit",
    "verify_version_package",
    "version_marks",
]
