"""What the framework flavors share: loading a framework on first use, naming the extra that
installs it, the versions to record, and telling a model's family without importing it."""

from __future__ import annotations

import importlib
import importlib.metadata
import math
from types import ModuleType
from typing import Any

from shipyard.core.errors import ModelError, UnsupportedModelError


def require(module: str, extra: str) -> ModuleType:
    """Import ``module``, or raise ModelError naming the extra that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ModelError(
            f"This model needs {module.split('.')[0]}, which is not installed ({exc}).",
            hint=f"Install the {extra} extra: pip install 'shipyard[{extra}]'.",
        ) from exc


def installed_versions(distribution: str, *builds: str) -> dict[str, str]:
    """``{distribution: version}`` as installed, the version read from the first of
    ``distribution`` and its other builds (e.g. ``xgboost-cpu``) that is installed."""
    for name in (distribution, *builds):
        try:
            return {distribution: importlib.metadata.version(name)}
        except importlib.metadata.PackageNotFoundError:
            continue
    return {}


def is_instance_of(model: Any, package: str, names: tuple[str, ...]) -> bool:
    """Whether ``model``'s class, or a base, is one of ``names`` defined under ``package``.

    Looks only at the class hierarchy, so asking never imports the framework.
    """
    return any(
        cls.__name__ in names and (cls.__module__ + ".").startswith(package + ".")
        for cls in type(model).__mro__
    )


def class_path(cls: type) -> str:
    """``module.qualname`` of a class, as recorded in a manifest."""
    return f"{cls.__module__}.{cls.__qualname__}"


def plain_params(params: dict[str, Any], owner: str) -> dict[str, Any]:
    """A wrapper's constructor parameters as JSON values; unset (None, NaN) ones are left out.

    A parameter holding code (a custom objective or metric) cannot be recorded and is refused.
    """
    plain: dict[str, Any] = {}
    for key, value in sorted(params.items()):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        if hasattr(value, "item") and not hasattr(value, "__len__"):
            value = value.item()  # a NumPy scalar
        if isinstance(value, str | int | float | bool) or _is_plain(value):
            plain[key] = value
            continue
        raise UnsupportedModelError(
            f"{owner} has parameter {key}={value!r}, which cannot be saved without pickle.",
            hint="Use the framework's built-in objective and metrics, or save the Booster.",
        )
    return plain


def _is_plain(value: Any) -> bool:
    if isinstance(value, list | tuple):
        return all(isinstance(item, str | int | float | bool) or item is None for item in value)
    if isinstance(value, dict):
        return all(
            isinstance(k, str) and (isinstance(v, str | int | float | bool) or v is None)
            for k, v in value.items()
        )
    return False
