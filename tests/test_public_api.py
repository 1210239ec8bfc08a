from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import shipyard


def test_all_lists_exactly_the_public_names_sorted() -> None:
    assert shipyard.__all__ == sorted(shipyard.__all__)
    for name in shipyard.__all__:  # every name resolves (imported on first use)
        assert getattr(shipyard, name) is not None
    public = {name for name in vars(shipyard) if not name.startswith("_")}
    modules = {name for name in public if isinstance(getattr(shipyard, name), ModuleType)}
    assert set(shipyard.__all__) == public - modules
    assert set(shipyard.__all__) <= set(dir(shipyard))
    with pytest.raises(AttributeError):
        shipyard.not_a_public_name  # noqa: B018


LAZY_PACKAGES = ["shipyard", "shipyard.data", "shipyard.models", "shipyard.evaluation",
                 "shipyard.pipeline", "shipyard.tracking"]  # fmt: skip


@pytest.mark.parametrize("name", LAZY_PACKAGES)
def test_type_checkers_see_the_same_names_as_the_lazy_table(name: str) -> None:
    """The TYPE_CHECKING imports (what mypy and editors read) match the table of lazy names,
    and every name in it resolves."""
    package = importlib.import_module(name)
    tree = ast.parse(Path(str(package.__file__)).read_text())
    guarded = next(node for node in tree.body if isinstance(node, ast.If))
    imported = {
        alias.asname or alias.name: node.module
        for node in guarded.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert imported == package._EXPORTS
    assert package.__all__ == sorted(package._EXPORTS)
    for public in package.__all__:
        assert getattr(package, public) is not None


def test_importing_shipyard_loads_no_heavy_library() -> None:
    """`import shipyard` and the `shipyard` command start without the heavy libraries; each
    command imports what it uses."""
    heavy = "('pandas', 'sqlalchemy', 'scipy', 'sklearn', 'duckdb', 'httpx', 'pyarrow')"
    code = (
        f"import sys, shipyard, shipyard.cli.app; print([m for m in {heavy} if m in sys.modules])"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout.strip()  # fmt: skip
    assert loaded == "[]"


def test_the_error_tree_has_one_root() -> None:
    errors = [getattr(shipyard, n) for n in shipyard.__all__ if n.endswith("Error")]
    assert all(issubclass(e, shipyard.ShipyardError) for e in errors)
    assert shipyard.UsageError.exit_code == 2 and shipyard.NotFoundError.exit_code == 1
    assert shipyard.NotFoundError.http_status == 404
    assert shipyard.InputValidationError.http_status == 422


def test_a_public_name_shared_with_its_module_stays_the_export() -> None:
    """Importing ``shipyard.data.validate`` (the module) leaves ``shipyard.data.validate`` the
    function, as an eager ``__init__`` would."""
    code = (
        "import types, shipyard.data.validate, shipyard.data as d; "
        "print(callable(d.validate) and not isinstance(d.validate, types.ModuleType))"
    )
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True).stdout.strip()  # fmt: skip
    assert shown == "True"
