"""The model registry: versions, aliases, promotion policies, approvals, promotion and
rollback, all audited."""

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
    delete_alias,
    load_model,
    promote,
    resolve,
    rollback,
    trust_for,
)

__all__ = [
    "ModelRef",
    "PolicyVerdict",
    "alias_history",
    "approve",
    "check_policy",
    "delete_alias",
    "delete_policy",
    "get_policy",
    "latest_evaluation",
    "list_policies",
    "load_model",
    "mark_version",
    "parse_ref",
    "promote",
    "record_evaluation",
    "resolve",
    "rollback",
    "set_policy",
    "trust_for",
    "version_marks",
]
