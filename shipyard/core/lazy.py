"""Packages whose public names load on first use (PEP 562).

A package's ``__init__.pyi`` stub imports each public name from the module that defines it;
the ``__init__`` calls :func:`attach_stub`, which reads that stub, so the names are written
once: type checkers and editors read the stub, and at run time importing the package costs
nothing while ``from package import name`` imports just the module behind ``name``.
"""

from __future__ import annotations

import ast
import importlib
import sys
import types
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any


class _LazyPackage(types.ModuleType):
    """A package module that keeps its public names bound to what they export.

    Importing a submodule binds it as an attribute of its package; when a public name is also
    a submodule's name (``validate`` in ``validate.py``), that would hide the export behind the
    module. Here the export wins, as it does when an eager ``__init__`` imports it.
    """

    _exports: Mapping[str, str]

    def __setattr__(self, name: str, value: Any) -> None:
        exports = self.__dict__.get("_exports", {})
        if isinstance(value, types.ModuleType) and exports.get(name) == value.__name__:
            value = getattr(value, name)
        super().__setattr__(name, value)


def attach(
    package: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package``, resolving ``exports`` (public name
    -> defining module) on first access and keeping each value once resolved."""

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(exports))

    module = sys.modules[package]
    module.__class__ = _LazyPackage
    module.__dict__["_exports"] = exports
    return __getattr__, __dir__


def stub_exports(stub: Path) -> dict[str, str]:
    """Each name a ``.pyi`` stub imports (``from module import name as name``) and its module."""
    exports: dict[str, str] = {}
    for node in ast.parse(stub.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                exports[alias.asname or alias.name] = node.module
    return exports


def attach_stub(
    package: str, init_file: str
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """:func:`attach` with the names the package's ``__init__.pyi`` (beside ``init_file``)
    imports; also returns them sorted, for ``__all__``."""
    exports = stub_exports(Path(init_file).with_suffix(".pyi"))
    getattr_, dir_ = attach(package, exports)
    return getattr_, dir_, sorted(exports)
