"""The registry: resolve references, load models by alias, promote, roll back.

Promotion moves an alias atomically and writes an audit event in the same transaction
(``shipyard.store.models``), once the alias's promotion policy holds (``policies``); rollback
is a promotion back to the alias's previous target, never stopped by the policy.
"""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING, Any

from shipyard.core.errors import (
    ArtifactIntegrityError,
    ArtifactMissingError,
    ConflictError,
    PolicyViolationError,
    UsageError,
)
from shipyard.core.names import check_alias, check_model_name
from shipyard.core.settings import Settings
from shipyard.models import Trust, fetch_package
from shipyard.registry.policies import PolicyVerdict, check_policy
from shipyard.registry.refs import ModelRef, needs_alias, parse_ref, version_ref
from shipyard.store.models import READY, AliasMove
from shipyard.store.records import AuditRecord, ModelVersionRecord
from shipyard.store.workspace import Workspace, workspace_for

if TYPE_CHECKING:
    from shipyard.models import LoadedModel

SET, ROLLBACK, DELETE = "alias.set", "alias.rollback", "alias.delete"


def resolve(ref: str | ModelRef, *, workspace: Workspace | None = None) -> ModelVersionRecord:
    """The version a reference points at: ``name@alias``, ``name/3`` or ``name`` (latest)."""
    ws = workspace or workspace_for()
    parsed = ref if isinstance(ref, ModelRef) else parse_ref(ref)
    if parsed.alias is not None:
        return ws.models.resolve_alias(parsed.name, parsed.alias)
    if parsed.version is not None:
        return ws.models.get_version(parsed.name, parsed.version)
    return ws.models.latest_version(parsed.name)


def trust_for(trusted: Trust, workspace: Workspace) -> Trust:
    """What a load may trust: the caller's choice plus the workspace's ``trusted_types``."""
    if trusted is True:
        return True
    return frozenset(trusted or ()) | frozenset(workspace.settings.trusted_types)


def load_model(
    ref: str | ModelRef,
    *,
    trusted: Trust = False,
    warm: bool = True,
    workspace: Workspace | None = None,
    settings: Settings | None = None,
) -> LoadedModel:
    """Load a registered model: every file's hash is verified, then the input example is run
    once. ``trusted=True`` allows formats that can run code (pickle, joblib); a list of type
    names trusts just those (added to the workspace's ``trusted_types`` setting)."""
    from shipyard.models import load_package  # the ML stack loads only when a model does

    ws = workspace or workspace_for(settings)
    trusted = trust_for(trusted, ws)
    version = resolve(ref, workspace=ws)
    cache = ws.cache_dir / "packages"
    directory = fetch_package(version.package_hash, ws.artifacts, cache)
    try:
        loaded = load_package(directory, trusted=trusted, warm=warm)
    except (ArtifactIntegrityError, ArtifactMissingError):
        # The local copy was damaged after it was verified; fetch it again from the store,
        # which verifies every blob, and load that (a damaged store blob raises from here).
        shutil.rmtree(directory, ignore_errors=True)
        directory = fetch_package(version.package_hash, ws.artifacts, cache)
        loaded = load_package(directory, trusted=trusted, warm=warm)
    loaded.registered_as = version
    return loaded


def promote(
    name: str,
    version: int | None = None,
    alias: str | None = None,
    *,
    reason: str | None = None,
    actor: str | None = None,
    force: bool = False,
    workspace: Workspace | None = None,
) -> AliasMove:
    """Point ``alias`` of model ``name`` at ``version``, atomically and audited.

    When the alias has a promotion policy, a version that fails it (a required gate not passed
    in its newest evaluation, no evaluation, not ready, or no approval when one is required) is
    refused with :class:`PolicyViolationError`. Without a policy, a version that is not ready
    (rejected or archived) is refused. Either refusal is overridden by ``force`` with a
    ``reason``; the audit event keeps the reason and, for a policy, every unmet requirement.
    The version may be given in ``name``, as the CLI takes it: ``promote("churn/3",
    alias="production")``.
    """
    name, version = version_ref(name, version)
    alias = needs_alias(alias, name, version)
    ws = workspace or workspace_for()
    refusal = _refusal(check_policy(name, version, alias, workspace=ws))
    note = reason
    if refusal is not None:
        if not force:
            raise refusal
        if not reason:
            raise UsageError("A forced promotion needs a reason.", hint='Add --reason "...".')
        note = f"[forced] {reason}"
        if isinstance(refusal, PolicyViolationError):
            note += f" (policy not met: {'; '.join(refusal.reasons)})"
    return ws.models.move_alias(
        name, alias, version, actor=actor or ws.actor, reason=note, action=SET
    )


def _refusal(verdict: PolicyVerdict) -> ConflictError | None:
    """Why the move may not happen without force, or None when it may."""
    ref, alias = f"{verdict.model}/{verdict.version}", verdict.alias
    if verdict.policy is not None:
        if verdict.allowed:
            return None
        return PolicyViolationError(
            f"{ref} does not meet the promotion policy of {verdict.model}@{alias}: "
            f"{'; '.join(verdict.reasons)}.",
            reasons=verdict.reasons,
        )
    if verdict.status == READY:
        return None
    return ConflictError(
        f"{ref} is {verdict.status}; it will not be promoted to {alias!r}.",
        hint="Promote another version, or pass --force with --reason to override.",
    )


def rollback(
    name: str,
    alias: str,
    *,
    reason: str | None = None,
    actor: str | None = None,
    workspace: Workspace | None = None,
) -> AliasMove:
    """Move ``alias`` back to the version it pointed at before its current one.

    Rollback is the emergency action, so the alias's promotion policy does not stop it (the
    version was promoted to this alias before); when the version no longer meets the policy,
    the audit event's reason says which requirements the rollback bypassed."""
    ws = workspace or workspace_for()
    stack = _target_stack(alias_history(name, alias, workspace=ws))
    current = ws.models.resolve_alias(name, alias).version
    if len(stack) < 2 or stack[-1] != current:
        raise ConflictError(
            f"{name}@{alias} has no earlier version to roll back to.",
            hint=f"See its history with `shipyard audit --model {name}`.",
        )
    verdict = check_policy(name, stack[-2], alias, workspace=ws)
    note = reason
    if not verdict.allowed:  # an emergency move goes through; the log says what it bypassed
        bypassed = f"policy not met: {'; '.join(verdict.reasons)}"
        note = f"{reason} ({bypassed})" if reason else bypassed
    return ws.models.move_alias(
        name, alias, stack[-2], actor=actor or ws.actor, reason=note, action=ROLLBACK
    )


def alias_history(
    name: str, alias: str, *, workspace: Workspace | None = None
) -> list[AuditRecord]:
    """Every move of ``name@alias``, oldest first."""
    check_model_name(name)
    check_alias(alias)
    ws = workspace or workspace_for()
    ws.models.get_model(name)
    return ws.audit.list(
        target_type="alias", target=f"{name}@{alias}", limit=None, newest_first=False
    )


def _target_stack(events: list[AuditRecord]) -> list[int]:
    """Replay alias moves: a promotion pushes its target, a rollback pops the current one."""
    stack: list[int] = []
    for event in events:
        after = _version_of(event.after)
        if event.action == ROLLBACK and stack:
            stack.pop()
        elif after is None:
            stack.clear()
        else:
            stack.append(after)
    return stack


def _version_of(state: dict[str, Any] | None) -> int | None:
    if not state or "version" not in state:
        return None
    return int(state["version"])


def delete_alias(
    name: str, alias: str, *, reason: str | None = None, workspace: Workspace | None = None
) -> AliasMove:
    ws = workspace or workspace_for()
    ws.models.resolve_alias(name, alias)
    return ws.models.move_alias(name, alias, None, actor=ws.actor, reason=reason, action=DELETE)
