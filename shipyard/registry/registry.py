"""The registry: resolve references, load models by alias, promote, roll back.

Promotion moves an alias atomically and writes an audit event in the same transaction
(``shipyard._store.models``), once the alias's promotion policy holds (``policies``); rollback
is a promotion back to the alias's previous target, never stopped by the policy.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import orjson

from shipyard._store.aliases import move_alias
from shipyard._store.models import READY
from shipyard._store.records import AliasMove, AuditRecord, ModelVersionRecord
from shipyard._store.workspace import Workspace, workspace_for
from shipyard.core.errors import (
    ArtifactIntegrityError,
    ArtifactMissingError,
    ConflictError,
    PolicyViolationError,
    UsageError,
)
from shipyard.core.names import check_alias, check_model_name
from shipyard.core.settings import Settings
from shipyard.models.flavors.base import Trust
from shipyard.models.storage import fetch_package, verify_package
from shipyard.registry.policies import PolicyVerdict, check_policy
from shipyard.registry.refs import ModelRef, needs_alias, version_ref
from shipyard.registry.versions import resolve

if TYPE_CHECKING:
    from shipyard.models.loaded import LoadedModel

SET, ROLLBACK, DELETE = "alias.set", "alias.rollback", "alias.delete"


def trust_for(trusted: Trust, workspace: Workspace) -> Trust:
    """What a load may trust: the caller's choice plus the workspace's ``trusted_types`` and
    ``trusted_modules``."""
    if trusted is True:
        return True
    settings = workspace.settings
    return (
        frozenset(trusted or ())
        | frozenset(settings.trusted_types)
        | frozenset(settings.trusted_modules)
    )


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
    or module names trusts just those (added to the workspace's ``trusted_types`` and
    ``trusted_modules`` settings)."""
    from shipyard.models.package import load_package  # the ML stack loads only when a model does

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
    if loaded.registered_as is not None and loaded.registered_as != version:
        loaded = loaded.as_version()  # another version with the very same package is in use
    loaded.registered_as = version
    return loaded


def input_example(
    ref: str | ModelRef, *, workspace: Workspace | None = None
) -> list[dict[str, Any]]:
    """The input example stored with a registered version (its rows; none when it has no
    example), read from the verified package without loading the model."""
    from shipyard.models.manifest import Manifest

    ws = workspace or workspace_for()
    version = resolve(ref, workspace=ws)
    directory = fetch_package(version.package_hash, ws.artifacts, ws.cache_dir / "packages")
    manifest = Manifest.read(directory)
    if not manifest.input_example:
        return []
    rows = orjson.loads((directory / manifest.input_example).read_bytes())
    return [dict(row) for row in rows] if isinstance(rows, list) else []


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
    alias="production")``. Every blob of the version's package is read and checked against its
    hash first: a corrupt or incomplete package is never promoted, forced or not.
    """
    name, version = version_ref(name, version)
    alias = needs_alias(alias, name, version)
    ws = workspace or workspace_for()
    actor = actor or ws.actor
    verdict = check_policy(name, version, alias, actor=actor, workspace=ws)
    note = authorize([verdict], force=force, reason=reason)
    verify_version_package(ws.models.get_version(name, version), ws)
    return move_alias(ws.db, name, alias, version, actor=actor, reason=note, action=SET)


def authorize(verdicts: Sequence[PolicyVerdict], *, force: bool, reason: str | None) -> str | None:
    """What to write as the reason of a move judged by ``verdicts``: ``reason`` when every
    verdict allows it; with ``force``, ``[forced] reason (...)`` naming what was overridden;
    otherwise the refusal (the first one) is raised. A forced move needs a reason."""
    refused = [(v, found) for v in verdicts if (found := _refusal(v)) is not None]
    if not refused:
        return reason
    if not force:
        raise refused[0][1]
    if not reason:
        raise UsageError("A forced move needs a reason.", hint='Add --reason "...".')
    overridden = [
        f"policy not met: {'; '.join(r.reasons)}" if isinstance(r, PolicyViolationError)
        else f"{v.model}/{v.version} is {v.status}"
        for v, r in refused
    ]  # fmt: skip
    return f"[forced] {reason} ({'; '.join(overridden)})"


def verify_version_package(version: ModelVersionRecord, workspace: Workspace) -> None:
    """Check every blob of the version's package against its hash, or raise naming the file."""
    try:
        verify_package(version.package_hash, workspace.artifacts)
    except (ArtifactIntegrityError, ArtifactMissingError) as exc:
        raise type(exc)(
            f"{version.ref} cannot go live: its stored package is damaged ({exc.message})",
            hint="Register the model again from its source run, or choose another version.",
        ) from exc


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
        f"{ref} is {verdict.status}; it will not go to {alias!r}.",
        hint="Choose another version, or pass --force with --reason to override.",
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
    return move_alias(
        ws.db, name, alias, stack[-2], actor=actor or ws.actor, reason=note, action=ROLLBACK
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
    return move_alias(ws.db, name, alias, None, actor=ws.actor, reason=reason, action=DELETE)
