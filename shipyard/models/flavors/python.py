"""The python flavor: any object with a ``predict(frame)`` method.

Saved by reference when its class defines ``save_model(self, directory)`` and a classmethod
``load_model(cls, directory)``: the manifest records ``module:qualname`` and the class writes
and reads its own files under ``model/``; no pickle is involved, and loading imports the named
module, which must be installed. Importing a module runs its code, so a package is loaded by
reference only when the caller trusts the module it names (``trusted=["pkg"]`` trusts ``pkg``
and its submodules, or the ``trusted_modules`` setting through ``sy.load_model``); the module
is never imported before that check. Any other object can be pickled with the standard library,
but only when the caller marks it trusted (and loading it then needs ``trusted=True`` too).
"""

from __future__ import annotations

import importlib
import inspect
import pickle
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from shipyard.core.errors import ModelError, UnsafeModelError, UnsupportedModelError
from shipyard.models.flavors.base import (
    Flavor,
    Prediction,
    SavedFlavor,
    Trust,
    check_serialization,
    refuse_untrusted_load,
)
from shipyard.models.manifest import Manifest

if TYPE_CHECKING:
    import pandas as pd

MODEL_DIR = "model"
PICKLE_FILE = "model.pkl"


def has_reference_hooks(cls: type) -> bool:
    """Whether ``cls`` saves and loads itself (``save_model`` and classmethod ``load_model``)."""
    save = inspect.getattr_static(cls, "save_model", None)
    load = inspect.getattr_static(cls, "load_model", None)
    return callable(save) and isinstance(load, classmethod)


def class_reference(cls: type) -> str:
    """``module:qualname`` of ``cls``, checked to import back to the same class."""
    module, qualname = cls.__module__, cls.__qualname__
    if "<locals>" in qualname or module == "__main__":
        where = "inside a function" if "<locals>" in qualname else "in a script (__main__)"
        raise UnsupportedModelError(
            f"{qualname} is defined {where}, so it cannot be imported when the model is loaded.",
            hint="Move the class into an importable module of your project.",
        )
    reference = f"{module}:{qualname}"
    if resolve_reference(reference) is not cls:
        raise UnsupportedModelError(
            f"{reference} does not import back to the class of this model.",
            hint="Define the class at the top level of an importable module.",
        )
    return reference


def resolve_reference(reference: str) -> Any:
    """Import ``module:qualname`` and return the object it names."""
    module_name, _, qualname = reference.partition(":")
    if not module_name or not qualname:
        raise ModelError(f"{reference!r} is not a 'module:qualname' reference.")
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise ModelError(
            f"Cannot import module {module_name!r}, which defines this model's class: {exc}",
            hint="Install the package that defines the model class where you load the model.",
        ) from exc
    for part in qualname.split("."):
        try:
            target = getattr(target, part)
        except AttributeError as exc:
            raise ModelError(
                f"Module {module_name!r} has no {qualname!r}, which defines this model's class.",
                hint="Install the version of your code the model was saved with.",
            ) from exc
    return target


def module_trusted(reference: str, trusted: Trust) -> bool:
    """Whether ``trusted`` covers the module of ``module:qualname``: everything (True), the
    module or a package above it, or the class itself (``module.qualname`` or the reference)."""
    if trusted is True:
        return True
    if not trusted:
        return False
    module, _, qualname = reference.partition(":")
    names = set(trusted)
    if reference in names or f"{module}.{qualname}" in names:
        return True
    parts = module.split(".")
    return any(".".join(parts[:end]) in names for end in range(1, len(parts) + 1))


def refuse_untrusted_module(reference: str, trusted: Trust) -> None:
    """Raise UnsafeModelError, before anything is imported, unless the module is trusted."""
    if module_trusted(reference, trusted):
        return
    module = reference.partition(":")[0]
    raise UnsafeModelError(
        f"This python model is loaded by its class {reference}; importing module {module!r} "
        "would run its code, and this load does not trust it, so it was not loaded.",
        hint=f"If you trust it, pass trusted=[{module.split('.')[0]!r}] or list it under "
        "`trusted_modules` in shipyard.yaml (SHIPYARD_TRUSTED_MODULES).",
    )


class PythonFlavor(Flavor):
    """Plain Python objects with a ``predict`` method; the flavor of last resort."""

    name = "python"

    def handles(self, model: Any) -> bool:
        return callable(getattr(model, "predict", None))

    def save(
        self, model: Any, directory: Path, *, serialization: str | None, trusted: bool
    ) -> SavedFlavor:
        cls = type(model)
        by_reference = has_reference_hooks(cls)
        if serialization is None:
            serialization = "reference" if by_reference else "pickle"
        chosen = check_serialization(
            self.name, serialization, ("reference", "pickle"), trusted=True
        )
        if chosen == "reference":
            if not by_reference:
                raise UnsupportedModelError(_both_options(cls, "cannot be saved by reference"))
            reference = class_reference(cls)
            target = directory / MODEL_DIR
            target.mkdir()
            model.save_model(target)
            files = sorted(
                path.relative_to(directory).as_posix()
                for path in target.rglob("*")
                if path.is_file()
            )
            return SavedFlavor(files, "reference", {}, {"class": reference})
        if not trusted:
            raise UnsafeModelError(_both_options(cls, "would have to be pickled"))
        with (directory / PICKLE_FILE).open("wb") as handle:
            pickle.dump(model, handle, protocol=pickle.HIGHEST_PROTOCOL)
        return SavedFlavor(
            [PICKLE_FILE], "pickle", {}, {"class": f"{cls.__module__}:{cls.__qualname__}"}
        )

    def load(self, directory: Path, manifest: Manifest, *, trusted: Trust) -> Any:
        refuse_untrusted_load(manifest, trusted=trusted)
        if manifest.serialization == "pickle":
            with (directory / PICKLE_FILE).open("rb") as handle:
                return pickle.load(handle)  # noqa: S301 - only reached with trusted=True
        if manifest.serialization != "reference":
            raise ModelError(
                f"The python flavor cannot load serialization {manifest.serialization!r}."
            )
        reference = manifest.extra.get("class")
        if not isinstance(reference, str):
            raise ModelError("The manifest of this python model does not name its class.")
        refuse_untrusted_module(reference, trusted)
        cls = resolve_reference(reference)
        if not isinstance(cls, type) or not has_reference_hooks(cls):
            raise ModelError(
                f"{reference} is not a class with save_model and a classmethod load_model.",
                hint="Install the version of your code the model was saved with.",
            )
        model = cast(Any, cls).load_model(directory / MODEL_DIR)
        if not self.handles(model):
            raise ModelError(f"{reference}.load_model returned an object without predict().")
        return model

    def predict(self, model: Any, frame: pd.DataFrame) -> Prediction:
        predictions: Prediction = model.predict(frame)
        return predictions


def _both_options(cls: type, problem: str) -> str:
    return (
        f"{cls.__qualname__} {problem}. Either give the class a method "
        "save_model(self, directory) and a classmethod load_model(cls, directory), so Shipyard "
        "saves it by reference without pickle, or pass trusted=True to pickle it (loading will "
        "then need trusted=True too)."
    )
