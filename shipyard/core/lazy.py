"""A package whose public names load on first use (PEP 562), written once in a stub.

The package's ``__init__.pyi`` imports each public name from the module that defines it. Type
checkers and editors read the stub; at run time the ``__init__`` calls :func:`attach_stub`,
which reads the stub the first time a public name (or ``__all__``/``dir()``) is asked for. So
``import shipyard`` costs nothing, and ``from shipyard import name`` imports just the module
behind ``name``.
"""

from __future__ import annotations

import importlib
import os
import sys
import types
from collections.abc import Callable
from typing import Any


def stub_exports(stub: str) -> dict[str, str]:
    """Each name a ``.pyi`` stub imports (``from module import name as name``, or the same
    with names in parentheses) and its module. Plain string work, as ``import shipyard`` reads
    the stub every time and must stay cheap (no ``ast``, no ``pathlib``); the stub holds
    nothing but a docstring, such imports and annotations."""
    with open(stub, encoding="utf-8") as handle:  # noqa: PTH123 - pathlib costs an import
        text = handle.read()
    exports: dict[str, str] = {}
    for statement in text.split("\nfrom ")[1:]:
        module, _, names = statement.partition(" import ")
        names = names.split(")", 1)[0] if names.startswith("(") else names.split("\n", 1)[0]
        for item in names.strip("( \n").split(","):
            name, _, alias = item.partition(" as ")
            if name.strip():
                exports[alias.strip() or name.strip()] = module.strip()
    return exports


def attach_stub(
    package: str, init_file: str
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package``: each name its ``__init__.pyi``
    (beside ``init_file``) imports resolves on first access and is kept; ``__all__`` is every
    such name, sorted."""
    stub = os.path.splitext(init_file)[0] + ".pyi"  # noqa: PTH122 - pathlib costs an import
    table: dict[str, str] = {}

    def exports() -> dict[str, str]:
        if not table:
            table.update(stub_exports(stub))
        return table

    def __getattr__(name: str) -> Any:
        if name == "__all__":
            return sorted(exports())
        module = exports().get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(exports()))

    module = sys.modules[package]
    module.__class__ = _LazyPackage
    module.__dict__["_lazy_exports"] = exports
    return __getattr__, __dir__


class _LazyPackage(types.ModuleType):
    """A package whose public names stay bound to what they export.

    Importing a subpackage binds it as an attribute of its parent; when a public name is also
    a subpackage's name (``sy.ci``, the function, beside ``shipyard.ci``, the package), that
    would hide the export behind the module. Here the export wins. The stub is read only when
    such a clash happens."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and value.__name__ == f"{self.__name__}.{name}":
            exported = self.__dict__["_lazy_exports"]().get(name)
            if exported is not None and exported != value.__name__:
                value = getattr(importlib.import_module(exported), name)
        super().__setattr__(name, value)
