"""Packages whose public names load on first use (PEP 562).

A package's ``__init__`` lists each public name with the module that defines it and calls
:func:`attach`; importing the package then costs nothing, and ``from package import name``
imports just the module behind ``name``. The same names are imported under
``typing.TYPE_CHECKING`` for type checkers and editors (a test holds the two lists equal).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


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

    return __getattr__, __dir__
