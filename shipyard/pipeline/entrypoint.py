"""The training entrypoint: find its module (in the project folder first), import it fresh,
and call the function with the arguments it asks for by name.

The function may take any of ``train`` (the training DataFrame), ``eval`` (the evaluation
DataFrame), ``params`` (a dict), ``label`` (the label column) and ``seed``; it returns a
fitted model.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from importlib.machinery import PathFinder
from pathlib import Path
from typing import Any

from shipyard.core.errors import ConfigurationError

ARGUMENTS = ("train", "eval", "params", "label", "seed", "trial")


def module_file(module_name: str, search_path: Path) -> Path:
    """The source file of ``module_name``: looked up in ``search_path`` first (ignoring any
    module of that name already imported from elsewhere), then on the Python path."""
    origin = _find_in(module_name, search_path)
    if origin is None:
        try:
            spec = importlib.util.find_spec(module_name)
        except (ImportError, ValueError):
            spec = None
        origin = Path(spec.origin) if spec is not None and spec.origin else None
    if origin is None or not origin.is_file():
        raise ConfigurationError(
            f"train.entrypoint: cannot find module {module_name!r} (looked in {search_path} "
            "and on the Python path).",
            hint="Name a module of the project folder, like `train:fit` for train.py.",
        )
    return origin


def _find_in(module_name: str, search_path: Path) -> Path | None:
    locations: list[str] | None = [str(search_path)]
    spec = None
    for part in module_name.split("."):
        if locations is None:
            return None
        spec = PathFinder.find_spec(part, locations)
        if spec is None:
            return None
        found = spec.submodule_search_locations
        locations = list(found) if found is not None else None
    return Path(spec.origin) if spec is not None and spec.origin else None


@contextmanager
def entrypoint_function(entrypoint: str, search_path: Path) -> Iterator[Callable[..., Any]]:
    """The function ``module:function`` names, imported fresh from ``search_path``.

    While the block runs, ``search_path`` is first on ``sys.path`` (so the function can import
    its neighbours); afterwards the modules imported from there are forgotten and any module
    of the same name imported before is put back, so another project's ``train.py`` is never
    mistaken for this one.
    """
    module_name, _, function_name = entrypoint.partition(":")
    top = module_name.split(".")[0]
    root = str(search_path.resolve())
    saved = {
        name: module
        for name, module in sys.modules.items()
        if name == top or name.startswith(f"{top}.")
    }
    for name in saved:
        del sys.modules[name]
    before = set(sys.modules)
    sys.path.insert(0, root)
    try:
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise ConfigurationError(
                f"train.entrypoint: cannot import {module_name!r}: {exc}",
                hint="Check the module name and that its imports are installed.",
            ) from exc
        function = getattr(module, function_name, None)
        if not callable(function):
            raise ConfigurationError(
                f"train.entrypoint: module {module_name!r} has no function {function_name!r}.",
                hint="Name a function that takes the data and params and returns a model.",
            )
        yield function
    finally:
        if root in sys.path:
            sys.path.remove(root)
        for name in set(sys.modules) - before:
            file = getattr(sys.modules[name], "__file__", None) or ""
            if name == top or name.startswith(f"{top}.") or file.startswith(root):
                del sys.modules[name]
        sys.modules.update(saved)


def call_training(function: Callable[..., Any], available: Mapping[str, Any]) -> Any:
    """Call ``function`` with the arguments of ``available`` its signature names (all of them
    when it takes ``**kwargs``)."""
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return function(**available)
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return function(**available)
    unknown = [
        name
        for name, p in parameters.items()
        if name not in available
        and p.default is inspect.Parameter.empty
        and p.kind not in (inspect.Parameter.VAR_POSITIONAL,)
    ]
    if unknown:
        raise ConfigurationError(
            f"train.entrypoint: the training function asks for {', '.join(unknown)}, which "
            f"the pipeline does not provide (it gives: {', '.join(ARGUMENTS)}).",
            hint="Name its parameters train, eval, params, label, seed or trial (tuning).",
        )
    return function(**{name: available[name] for name in parameters if name in available})
