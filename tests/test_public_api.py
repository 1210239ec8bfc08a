from __future__ import annotations

import ast
import dataclasses
import importlib.metadata
import re
import subprocess
import sys
import tomllib
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


DOCS = [Path(__file__).parents[1] / "README.md",
        *sorted((Path(__file__).parents[1] / "docs").glob("*.md"))]  # fmt: skip


def test_every_name_the_docs_use_is_public_and_resolves() -> None:
    """``sy.NAME`` anywhere in README.md and docs/*.md, and ``shipyard.NAME(`` calls, name
    entries of ``__all__`` that resolve."""
    used: dict[str, str] = {}
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for match in re.finditer(r"\bsy\.([A-Za-z_]\w*)|\bshipyard\.([A-Za-z_]\w*)\(", text):
            used.setdefault(match.group(1) or match.group(2), doc.name)
    assert len(used) > 20  # the docs do use the API
    missing = {name: doc for name, doc in used.items()
               if name not in shipyard.__all__ and not name.startswith("__")}  # fmt: skip
    assert missing == {}
    for name in used:
        assert getattr(shipyard, name) is not None


def test_nothing_private_is_public() -> None:
    """No private name in ``__all__``; each public value is documented, and each record a
    frozen dataclass."""
    assert not [name for name in shipyard.__all__ if name.startswith("_")]
    undocumented = [name for name in shipyard.__all__ if not getattr(shipyard, name).__doc__]
    assert undocumented == []
    for name in shipyard.__all__:
        value = getattr(shipyard, name)
        if name.endswith(("Record", "Page", "Move", "Point", "Status")):
            assert dataclasses.is_dataclass(value), name
            assert value.__dataclass_params__.frozen, name  # type: ignore[attr-defined]


def test_the_stub_is_the_one_list_of_names() -> None:
    """``__init__.pyi`` (what type checkers read) is what ``__all__`` is made from."""
    stub = Path(str(shipyard.__file__)).with_suffix(".pyi")
    imported = {
        alias.asname or alias.name
        for node in ast.parse(stub.read_text()).body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert sorted(imported) == shipyard.__all__
    init = ast.parse(Path(str(shipyard.__file__)).read_text())
    modules = {node.module for node in ast.walk(init) if isinstance(node, ast.ImportFrom)}
    assert modules <= {"typing", "shipyard.core.lazy", "shipyard.core.version"}  # no second list


def test_a_submodule_import_gives_the_module() -> None:
    import shipyard.data.validate as v

    assert isinstance(v, ModuleType) and callable(v.validate)


def test_the_version_is_the_installed_distributions() -> None:
    assert shipyard.__version__ == importlib.metadata.version("shipyard")


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


def test_the_package_data_ships_the_type_information() -> None:
    """``py.typed`` and the stub are package data, and every package-data pattern matches a
    file (a renamed folder would otherwise drop files from the wheel silently)."""
    root = Path(__file__).parents[1]
    project = tomllib.loads((root / "pyproject.toml").read_text())
    patterns = project["tool"]["setuptools"]["package-data"]["shipyard"]
    assert {"py.typed", "__init__.pyi"} <= set(patterns)
    unmatched = [p for p in patterns if not list((root / "shipyard").glob(p))]
    assert unmatched == []


def test_a_public_name_shared_with_a_subpackage_stays_the_export() -> None:
    """``sy.ci`` is the function even after the ``shipyard.ci`` package has been imported
    (importing a subpackage binds it on its parent)."""
    import subprocess
    import sys

    code = (
        "import sys, shipyard as sy, shipyard.ci.report, shipyard.ci.runner; "
        "assert sy.ci is sys.modules['shipyard.ci.runner'].ci, sy.ci"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
