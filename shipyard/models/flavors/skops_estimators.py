"""skops' default trusted types, found once per installation instead of in every process.

Importing ``skops.io`` computes its lists of default trusted type names: every public
scikit-learn estimator (``sklearn.utils.all_estimators``, which imports every public
scikit-learn module, pytest included) and every NumPy and SciPy ufunc (each looked up in every
loaded module). That is most of the start-up of a process that loads one model: seconds, more
than the model's own imports. The lists depend only on the installed packages, so the first
import on a machine writes them to the user's cache (``$XDG_CACHE_HOME/shipyard``, else
``~/.cache/shipyard``), keyed by the versions and places of Python, scikit-learn, skops, NumPy
and SciPy; later imports give skops that same module of lists. skops then trusts exactly what
it would have trusted and checks every file as before. A list is read back only when each name
in it belongs to the family its own name says (``SKLEARN_…`` names start with ``sklearn.``,
``PRIMITIVE_…`` and ``CONTAINER_…`` are builtin types); anything else and skops computes its
lists itself.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import os
import sys
import types
from pathlib import Path
from typing import Any

import orjson

from shipyard.core.hashing import sha256_bytes

MODULE = "skops.io._trusted_types"
_BUILTINS = {f"builtins.{t.__name__}" for t in (int, float, str, bool, list, set, map, tuple)}


def cache_file(key: dict[str, str]) -> Path:
    """The cache file of this installation (one per key, so environments do not take turns)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    digest = sha256_bytes(orjson.dumps(key, option=orjson.OPT_SORT_KEYS))[:16]
    return Path(base) / "shipyard" / f"skops-trusted-types-{digest}.json"


def _key() -> dict[str, str]:
    key = {"python": f"{sys.version} {sys.prefix}"}
    for name in ("sklearn", "numpy", "scipy"):
        module = importlib.import_module(name)
        key[name] = f"{module.__version__} {Path(module.__file__ or '').parent}"
    key["skops"] = importlib.metadata.version("skops")
    return key


def _allowed(attribute: str, names: list[str]) -> bool:
    family = attribute.split("_", 1)[0]
    if family in ("PRIMITIVE", "CONTAINER"):
        return all(name in _BUILTINS for name in names)
    if family not in ("SKLEARN", "NUMPY", "SCIPY"):
        return False
    return all(name.startswith(f"{family.lower()}.") for name in names)


def _cached(key: dict[str, str]) -> dict[str, list[str]] | None:
    try:
        document = orjson.loads(cache_file(key).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    if not isinstance(document, dict) or document.get("key") != key:
        return None
    lists = document.get("lists")
    if not isinstance(lists, dict) or not lists:
        return None
    for attribute, names in lists.items():
        if not (isinstance(names, list) and all(isinstance(n, str) for n in names)):
            return None
        if not _allowed(attribute, names):
            return None
    return lists


def _remember(key: dict[str, str], module: Any) -> None:
    lists = {
        name: list(value)
        for name, value in vars(module).items()
        if name.endswith("_NAMES") and isinstance(value, list)
    }
    if not lists or not all(_allowed(name, names) for name, names in lists.items()):
        return
    path = cache_file(key)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_bytes(orjson.dumps({"key": key, "lists": lists}))
        temporary.replace(path)
    except OSError:  # a read-only home: every process computes them, as skops alone does
        with contextlib.suppress(OSError):
            temporary.unlink()


def import_skops_io() -> Any:
    """``skops.io``, computing its trusted-type lists only the first time on this
    installation (the caller holds the import lock and hides what it wants hidden)."""
    key = _key()
    lists = _cached(key)
    if lists is not None:
        module = types.ModuleType(MODULE, "skops' default trusted types, as last computed.")
        vars(module).update(lists)
        sys.modules[MODULE] = module
        try:
            return importlib.import_module("skops.io")
        except ImportError:  # this skops needs more from the module: let it compute them
            for name in [n for n in sys.modules if n == "skops.io" or n.startswith("skops.io.")]:
                del sys.modules[name]
    sio = importlib.import_module("skops.io")
    _remember(key, sys.modules[MODULE])
    return sio
