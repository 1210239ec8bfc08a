"""The flavor registry: which flavor packages a model, and the flavor a manifest names.

Specific flavors are asked first, in registration order (the XGBoost and LightGBM wrappers
before scikit-learn, whose estimator class they extend); the generic ``python`` flavor (any
object with ``predict``) is asked last. Recognising a model never imports a framework: each
flavor imports its own on first use, and names the extra to install when it is missing.
"""

from __future__ import annotations

import platform
from functools import lru_cache
from typing import Any

from shipyard.core.errors import ConflictError, ModelError, UnsupportedModelError
from shipyard.models.flavors._support import installed_versions
from shipyard.models.flavors.base import Flavor, Prediction, SavedFlavor, Trust
from shipyard.models.flavors.lightgbm import LightGBMFlavor
from shipyard.models.flavors.onnx import OnnxFlavor
from shipyard.models.flavors.python import PythonFlavor
from shipyard.models.flavors.sklearn import SklearnFlavor
from shipyard.models.flavors.torch import TorchFlavor
from shipyard.models.flavors.xgboost import XGBoostFlavor

__all__ = [
    "Flavor",
    "LightGBMFlavor",
    "OnnxFlavor",
    "Prediction",
    "PythonFlavor",
    "SavedFlavor",
    "SklearnFlavor",
    "TorchFlavor",
    "Trust",
    "XGBoostFlavor",
    "available_flavors",
    "flavor_for",
    "flavor_packages",
    "framework_versions",
    "get_flavor",
    "register_flavor",
]

_REGISTRY: dict[str, Flavor] = {}


def register_flavor(flavor: Flavor, *, replace: bool = False) -> None:
    """Make ``flavor`` available for saving and loading under ``flavor.name``."""
    if flavor.name in _REGISTRY and not replace:
        raise ConflictError(
            f"A flavor called {flavor.name!r} is already registered.",
            hint="Pass replace=True to replace it on purpose.",
        )
    _REGISTRY[flavor.name] = flavor


def available_flavors() -> list[str]:
    """The names of every registered flavor, sorted."""
    return sorted(_REGISTRY)


def get_flavor(name: str) -> Flavor:
    """The flavor registered as ``name``."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ModelError(
            f"Unknown model flavor {name!r}; this Shipyard knows {', '.join(available_flavors())}.",
            hint="Upgrade Shipyard or install the plugin that provides this flavor.",
        ) from None


def flavor_for(model: Any) -> Flavor:
    """The first flavor that knows how to package ``model``."""
    generic_last = sorted(_REGISTRY.values(), key=lambda flavor: flavor.name == PythonFlavor.name)
    for flavor in generic_last:
        if flavor.handles(model):
            return flavor
    raise UnsupportedModelError(
        f"No flavor knows how to package a {type(model).__module__}.{type(model).__qualname__}; "
        f"the flavors are {', '.join(available_flavors())}.",
        hint="Give it a predict(frame) method to use the python flavor, or pass flavor=.",
    )


register_flavor(XGBoostFlavor())
register_flavor(LightGBMFlavor())
register_flavor(SklearnFlavor())
register_flavor(OnnxFlavor())
register_flavor(TorchFlavor())
register_flavor(PythonFlavor())


ALWAYS_CHECKED = ("python", "numpy", "pandas")
"""What every model depends on, whatever its flavor."""


def flavor_packages(name: str) -> list[str]:
    """The distributions a model of flavor ``name`` depends on (its framework's, and
    :data:`ALWAYS_CHECKED`): what a serving process must run in the versions it trained with."""
    known = _REGISTRY.get(name)
    own = list(known.framework_versions()) if known is not None else []
    return list(dict.fromkeys([*ALWAYS_CHECKED, *own]))


@lru_cache(maxsize=1)
def framework_versions() -> dict[str, str]:
    """The installed version of every registered flavor's frameworks, of Python, NumPy and
    pandas (read once per process): what a serving process records in its prediction log."""
    found: dict[str, str] = {"python": platform.python_version()}
    for name in ("numpy", "pandas"):
        found.update(installed_versions(name))
    for flavor in _REGISTRY.values():
        found.update({k: v for k, v in flavor.framework_versions().items() if v != "unknown"})
    return dict(sorted(found.items()))
