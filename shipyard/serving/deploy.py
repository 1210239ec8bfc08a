"""Deployments as users write them: ``--route churn/3=90 --route churn@production=10
--shadow churn/5``, a ``deployments:`` section in ``shipyard.yaml``, or a plain
``churn@production`` served on its own.

``shipyard.yaml``::

    deployments:
      churn-online:
        routes: {churn/3: 90, churn/4: 10}
        shadows: [churn/5]
        config: {max_batch_size: 32}
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from shipyard._store.deployments import DeploymentRecord, DeploymentRepository
from shipyard._store.workspace import Workspace
from shipyard.core.errors import ConfigurationError, NotFoundError, UsageError
from shipyard.core.serve_options import DEPLOYMENT_KEYS, ServeOptions
from shipyard.core.yamlfile import load_yaml, where
from shipyard.registry import ModelRef, authorize_traffic, parse_ref, resolve

CONFIG_KEYS = DEPLOYMENT_KEYS
"""Serving options a deployment's ``config`` may set (declared in core/serve_options.py)."""
_WEIGHT = re.compile(r"^\s*(?P<ref>[^=]+?)\s*(=\s*(?P<weight>[0-9]*\.?[0-9]+)\s*)?$")


def deployments_of(workspace: Workspace) -> DeploymentRepository:
    """The workspace's deployment repository."""
    found = getattr(workspace, "deployments", None)
    if isinstance(found, DeploymentRepository):
        return found
    return DeploymentRepository(workspace.db)


def parse_route(text: str) -> tuple[str, dict[str, Any]]:
    """``churn/3=90`` or ``churn@production=10`` (weight 100 when left out): model and route."""
    match = _WEIGHT.match(text)
    if match is None:
        raise UsageError(f"Route {text!r} is not MODEL/VERSION=WEIGHT.",
                         hint="For example --route churn/3=90.")  # fmt: skip
    ref = parse_ref(match["ref"])
    weight = float(match["weight"]) if match["weight"] else 100.0
    if weight <= 0:
        raise UsageError(f"Route {text!r} has weight {weight}; use a positive number.")
    return ref.name, {
        **_target(ref, text),
        "weight": int(weight) if weight.is_integer() else weight,
    }


def _target(ref: ModelRef, text: str) -> dict[str, Any]:
    if ref.alias is not None:
        return {"alias": ref.alias}
    if ref.version is not None:
        return {"version": ref.version}
    raise UsageError(f"{text!r} does not say which version.",
                     hint=f"Write {ref.name}/VERSION or {ref.name}@ALIAS.")  # fmt: skip


def parse_shadow(text: str, workspace: Workspace) -> tuple[str, int]:
    """``churn/5`` (or an alias, resolved now to its version): model and version."""
    ref = parse_ref(text)
    if ref.alias is None and ref.version is None:
        raise UsageError(f"Shadow {text!r} does not say which version.",
                         hint=f"Write {ref.name}/VERSION.")  # fmt: skip
    return ref.name, resolve(ref, workspace=workspace).version


def deploy_online(
    name: str,
    *,
    routes: Sequence[str],
    shadows: Sequence[str] = (),
    config: Mapping[str, Any] | None = None,
    reason: str | None = None,
    force: bool = False,
    workspace: Workspace,
) -> DeploymentRecord:
    """Create or change the online deployment ``name`` (audited), from route strings.

    A version the change gives live traffic is checked as a promotion is
    (:func:`~shipyard.registry.authorize_traffic`): refused when rejected, archived or short of
    the policy of the alias the deployment serves, unless ``force`` with a ``reason``."""
    parsed = [parse_route(route) for route in routes]
    shadow_versions = [parse_shadow(shadow, workspace) for shadow in shadows]
    models = {model for model, _ in parsed} | {model for model, _ in shadow_versions}
    if len(models) > 1:
        raise UsageError(
            f"A deployment serves one model; the routes name {', '.join(sorted(models))}.",
            hint="Create one deployment per model.",
        )
    if not parsed:
        raise UsageError(f"Deployment {name!r} needs at least one --route.",
                         hint="For example --route churn/3=90 --route churn/4=10.")  # fmt: skip
    unknown = sorted(set(config or {}) - CONFIG_KEYS)
    if unknown:
        raise UsageError(f"Unknown serving option(s) in the config: {', '.join(unknown)}.",
                         hint=f"Known: {', '.join(sorted(CONFIG_KEYS))}.")  # fmt: skip
    ServeOptions(deployment=name, **(config or {}))  # the values are checked as serve checks
    model, new_routes = parsed[0][0], [route for _, route in parsed]
    new_shadows = [version for _, version in shadow_versions]
    repository = deployments_of(workspace)
    before = repository.find(name)
    known = before if before is not None and before.model_name == model else None
    note = authorize_traffic(
        model, new_routes, new_shadows, before_routes=known.routes if known else (),
        before_shadows=known.shadows if known else (), force=force, reason=reason,
        workspace=workspace,
    )  # fmt: skip
    return repository.apply(
        name, model=model, routes=new_routes, shadows=new_shadows, mode="online",
        config=dict(config or {}), actor=workspace.actor, reason=note,
    )  # fmt: skip


_SPEC_KEYS = ("routes", "shadows", "config")


def declared_deployments(config_file: Path | None) -> dict[str, dict[str, Any]]:
    """The ``deployments:`` section of ``shipyard.yaml`` (empty when there is none), each
    checked: a bad key is named ``shipyard.yaml:LINE deployments.NAME.KEY``."""
    if config_file is None or not config_file.is_file():
        return {}
    document, locate = load_yaml(config_file)
    section = document.get("deployments") if isinstance(document, dict) else None
    if section is None:
        return {}
    if not isinstance(section, dict) or not all(isinstance(v, dict) for v in section.values()):
        raise ConfigurationError(
            f"{where(config_file, locate, ('deployments',))}: must map names to mappings.",
            hint="For example deployments: {churn-online: {routes: {churn/3: 100}}}.",
        )
    for name, spec in section.items():
        _check_spec(str(name), spec, lambda *key: where(config_file, locate, key))
    return {str(key): value for key, value in section.items()}


def _check_spec(name: str, spec: dict[str, Any], place: Callable[..., str]) -> None:
    for key in spec:
        if key not in _SPEC_KEYS:
            raise ConfigurationError(f"{place('deployments', name, key)}: unknown key.",
                                     hint=f"Known: {', '.join(_SPEC_KEYS)}.")  # fmt: skip
    routes = spec.get("routes") or {}
    if not isinstance(routes, dict | list):
        raise ConfigurationError(
            f"{place('deployments', name, 'routes')}: must be a mapping or a list.",
            hint="For example routes: {churn/3: 100}.",
        )
    if not isinstance(spec.get("shadows") or [], list):
        raise ConfigurationError(f"{place('deployments', name, 'shadows')}: must be a list.",
                                 hint="For example shadows: [churn/4].")  # fmt: skip
    config = spec.get("config") or {}
    if not isinstance(config, dict):
        raise ConfigurationError(f"{place('deployments', name, 'config')}: must be a mapping.",
                                 hint="For example config: {max_batch_size: 32}.")  # fmt: skip
    for key in config:
        if key not in CONFIG_KEYS:
            raise ConfigurationError(
                f"{place('deployments', name, 'config', key)}: unknown serving option.",
                hint=f"Known: {', '.join(sorted(CONFIG_KEYS))}.",
            )
    texts = [f"{ref}={weight}" for ref, weight in routes.items()] if isinstance(routes, dict) \
        else [str(route) for route in routes]  # fmt: skip
    keys: list[str | int] = list(routes) if isinstance(routes, dict) else list(range(len(routes)))
    for where_key, text in zip(keys, texts, strict=True):
        try:
            parse_route(text)
        except UsageError as exc:
            raise ConfigurationError(f"{place('deployments', name, 'routes', where_key)}: "
                                     f"{exc.message}", hint=exc.hint) from None  # fmt: skip


def deploy_declared(
    name: str,
    *,
    config_file: Path | None,
    reason: str | None,
    force: bool = False,
    workspace: Workspace,
) -> DeploymentRecord:
    """Apply the deployment ``name`` as declared in ``shipyard.yaml``."""
    declared = declared_deployments(config_file)
    if name not in declared:
        known = ", ".join(sorted(declared)) or "none"
        raise NotFoundError(
            f"Deployment {name!r} is not declared in shipyard.yaml (declared: {known}).",
            hint="Pass --route MODEL/VERSION=WEIGHT, or add it under `deployments:`.",
        )
    spec = declared[name]
    routes = spec.get("routes") or {}
    if isinstance(routes, dict):
        route_texts = [f"{ref}={weight}" for ref, weight in routes.items()]
    else:
        route_texts = [str(route) for route in routes]
    shadows = [str(s) for s in spec.get("shadows") or []]
    return deploy_online(name, routes=route_texts, shadows=shadows, config=spec.get("config"),
                         reason=reason, force=force, workspace=workspace)  # fmt: skip


def deployment_for_target(
    target: str, *, workspace: Workspace, ephemeral: bool = False
) -> DeploymentRecord:
    """The deployment ``shipyard serve TARGET`` serves.

    ``NAME@ALIAS`` and ``NAME/VERSION`` serve one model on their own, recorded as the
    deployment ``NAME-ALIAS`` (``NAME-vVERSION``), which follows the alias as it moves; any
    other ``TARGET`` is the name of a stored deployment. A fixed version put on live traffic
    is judged as a promotion is; an ``ephemeral`` server (loopback only, for smoke tests and
    CI, which test a version before it may go live) is recorded as ``NAME-vVERSION-ephemeral``
    and not judged.
    """
    repository = deployments_of(workspace)
    if "@" not in target and "/" not in target:
        found = repository.find(target)
        if found is None:
            raise NotFoundError(
                f"There is no deployment called {target!r}.",
                hint=f"Serve a model with `shipyard serve {target}@production`, or create the "
                "deployment with `shipyard deploy online`.",
            )
        return found
    ref = parse_ref(target)
    resolve(ref, workspace=workspace)  # fails clearly on an unknown model, alias or version
    if ref.alias is not None:
        name, route = f"{ref.name}-{ref.alias}", {"alias": ref.alias, "weight": 100}
    else:
        name, route = f"{ref.name}-v{ref.version}", {"version": ref.version, "weight": 100}
    if ephemeral:
        name += "-ephemeral"
    existing = repository.find(name)
    if existing is not None and existing.routes == [route] and not existing.shadows:
        return existing
    reason = f"shipyard serve {target}"
    if ephemeral:
        reason = f"ephemeral loopback server for {target} (smoke tests, CI): no user traffic"
    elif ref.version is not None:  # a fixed version on live traffic is judged as a promotion
        authorize_traffic(ref.name, [route], workspace=workspace)
    return repository.apply(name, model=ref.name, routes=[route], mode="online",
                            actor=workspace.actor, reason=reason)  # fmt: skip
