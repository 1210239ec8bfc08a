"""The model registry: versions, aliases, promotion and rollback, all audited."""

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
    "alias_history",
    "delete_alias",
    "load_model",
    "parse_ref",
    "promote",
    "resolve",
    "rollback",
    "trust_for",
]
