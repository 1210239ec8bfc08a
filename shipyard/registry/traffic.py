"""Giving a version live traffic is a promotion: one check for every route to traffic.

A deployment's route to a fixed version (``churn/3=100``) puts that version in front of users
as surely as moving ``churn@production`` does, so it is judged the same way: a version that is
rejected or archived, or that fails the policy of an alias the deployment serves, is refused
unless forced with a reason, and the audit event then says what was overridden. Shadows only
receive a copy of the traffic (their answers are logged, never returned), so a shadow is
refused only when its version is rejected or archived. ``shipyard deploy`` and anything else
that changes routes (a rollout controller) call :func:`authorize_traffic`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from shipyard._store.workspace import Workspace, workspace_for
from shipyard.core.errors import NotFoundError
from shipyard.registry.policies import PolicyVerdict, check_policy
from shipyard.registry.registry import authorize, verify_version_package
from shipyard.registry.versions import resolve

DEFAULT_ALIAS = "production"
"""The alias a deployment that routes only fixed versions is taken to serve."""


def served_aliases(*route_sets: Sequence[Mapping[str, Any]]) -> list[str]:
    """The aliases routes follow; :data:`DEFAULT_ALIAS` when they name none."""
    found = {str(r["alias"]) for routes in route_sets for r in routes if "alias" in r}
    return sorted(found) or [DEFAULT_ALIAS]


def authorize_traffic(
    model: str,
    routes: Sequence[Mapping[str, Any]],
    shadows: Sequence[int] = (),
    *,
    before_routes: Sequence[Mapping[str, Any]] = (),
    before_shadows: Sequence[int] = (),
    force: bool = False,
    reason: str | None = None,
    actor: str | None = None,
    workspace: Workspace | None = None,
) -> str | None:
    """Check what a change of routes (``before_*`` → ``routes``/``shadows``) gives traffic to.

    Each fixed version whose share of traffic is new or grows is judged against the policy of
    every alias the deployment serves (a version the alias points at now passes for it), and
    each new shadow must not be rejected or archived. Every version that would get traffic
    has its package blobs verified. Returns the reason to record (``[forced] ...`` naming what
    was overridden), or raises the first refusal (PolicyViolationError or ConflictError)."""
    ws = workspace or workspace_for()
    aliases = served_aliases(routes, before_routes)
    verdicts: list[PolicyVerdict] = []
    for version in _growing(routes, before_routes):
        for alias in aliases:
            if _current_target(model, alias, ws) != version:
                verdicts.append(check_policy(model, version, alias, actor=actor, workspace=ws))
    for version in sorted(set(shadows) - set(before_shadows)):
        status = resolve(f"{model}/{version}", workspace=ws).status
        verdicts.append(PolicyVerdict(allowed=True, reasons=(), model=model, version=version,
                                      alias="shadow", status=status))  # fmt: skip
    note = authorize(verdicts, force=force, reason=reason)
    for version in sorted(set(_growing(routes, before_routes)) | set(shadows)):
        verify_version_package(resolve(f"{model}/{version}", workspace=ws), ws)
    return note


def _growing(routes: Sequence[Mapping[str, Any]], before: Sequence[Mapping[str, Any]]) -> list[int]:
    """Fixed versions whose share of the traffic is new or larger than before."""
    new, old = _shares(routes), _shares(before)
    return sorted(v for v, share in new.items() if share > old.get(v, 0.0) + 1e-12)


def _shares(routes: Sequence[Mapping[str, Any]]) -> dict[int, float]:
    total = sum(float(r.get("weight", 100)) for r in routes) or 1.0
    shares: dict[int, float] = {}
    for route in routes:
        if "version" in route:
            version = int(route["version"])
            shares[version] = shares.get(version, 0.0) + float(route.get("weight", 100)) / total
    return shares


def _current_target(model: str, alias: str, workspace: Workspace) -> int | None:
    try:
        return workspace.models.resolve_alias(model, alias).version
    except NotFoundError:  # no such alias: nothing points there yet
        return None
