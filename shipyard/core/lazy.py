"""Packages whose public names load on first use (PEP 562).

A package's ``__init__`` lists each public name with the module that defines it and calls
:func:`attach`; importing the package then costs nothing, and ``from package import name``
imports just the module behind ``name``. The same names are imported under
``typing.TYPE_CHECKING`` for type checkers and editors (a test holds the two lists equal).
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Callable, Mapping
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
