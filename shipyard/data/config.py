"""Expectations read from YAML: the ``datasets:`` section of ``shipyard.yaml``, or a file of
the same shape (``shipyard data infer-schema`` writes one). A file may also hold a single
expectations mapping (``columns:``, ``rows:`` … at the top level).

A bad key or value is a :class:`ConfigurationError` naming the file and the key's path, e.g.
``shipyard.yaml:12 datasets.churn.columns.plan.allowd: Extra inputs are not permitted``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from shipyard.core.config_errors import validation_problems
from shipyard.core.errors import ConfigurationError, NotFoundError
from shipyard.core.settings import Settings, find_config_file
from shipyard.core.yamlfile import KeyPath, Locate, dotted, load_yaml, where
from shipyard.data.expectations import Expectations

SECTION = "datasets"


def read_expectations_file(path: str | Path) -> dict[str, Expectations]:
    """Every dataset's expectations in a YAML file; a single mapping is keyed ``""``."""
    path = Path(path)
    try:
        document, locate = load_yaml(path)
    except NotFoundError:
        raise NotFoundError(f"The expectations file {path} does not exist.") from None
    document = {} if document is None else document
    if not isinstance(document, dict):
        raise ConfigurationError(f"{path.name} must hold a mapping at the top level.")
    if SECTION in document:
        return parse_section(document[SECTION], path, locate)
    if "columns" in document or "rows" in document:
        return {"": parse_expectations(document, path, (), locate)}
    return {}


def parse_section(
    section: Any, path: Path | str, locate: Locate | None = None
) -> dict[str, Expectations]:
    """The ``datasets:`` section: each dataset's expectations (``locate`` names lines)."""
    if section is None:
        return {}
    if not isinstance(section, dict):
        raise ConfigurationError(
            f"{_where(path, locate, (SECTION,))}: must map dataset names to their expectations."
        )
    return {
        str(name): parse_expectations(body or {}, path, (SECTION, str(name)), locate)
        for name, body in section.items()
    }


def parse_expectations(
    body: Any, path: Path | str, prefix: KeyPath = (), locate: Locate | None = None
) -> Expectations:
    """One dataset's expectations; a bad key is named ``FILE:LINE datasets.NAME.KEY``."""
    if not isinstance(body, dict):
        raise ConfigurationError(f"{_where(path, locate, prefix)}: must be a mapping.")
    if "checks" in body:
        raise ConfigurationError(
            f"{_where(path, locate, (*prefix, 'checks'))}: custom checks are Python callables.",
            hint="Declare them in Python: Expectations(..., checks=[Check(name, fn)]).",
        )
    try:
        return Expectations.model_validate(body)
    except ValidationError as exc:
        problems = validation_problems(
            exc, body, lambda key_path: _where(path, locate, (*prefix, *key_path))
        )
        raise ConfigurationError(
            f"Invalid expectations: {problems}.",
            hint="Column rules: dtype, nullable, min, max, allowed, unique, regex; table rules: "
            "rows, extra_columns, missing_columns.",
        ) from exc


def _where(path: Path | str, locate: Locate | None, key_path: KeyPath) -> str:
    if locate is None:
        return f"{Path(path).name} {dotted(key_path)}".rstrip()
    return where(path, locate, key_path)


def configured_expectations(
    name: str, *, settings: Settings | None = None, path: str | Path | None = None
) -> Expectations:
    """The expectations declared for dataset ``name`` in ``path``, else in ``shipyard.yaml``
    (the settings' file, or the one in the working directory)."""
    source = Path(path) if path is not None else None
    if source is None:
        source = (settings.config_file if settings else None) or find_config_file()
    if source is None:
        raise NotFoundError(
            f"No expectations for dataset {name!r}: there is no shipyard.yaml here.",
            hint="Declare them under `datasets:` in shipyard.yaml, pass an expectations file, "
            "or start one with `shipyard data infer-schema`.",
        )
    declared = read_expectations_file(source)
    if name in declared:
        return declared[name]
    if "" in declared and len(declared) == 1:
        return declared[""]
    known = ", ".join(sorted(n for n in declared if n)) or "none"
    raise NotFoundError(
        f"{source} declares no expectations for dataset {name!r} (it has: {known}).",
        hint=f"Add `{SECTION}: {{{name}: ...}}` to it, or start with "
        f"`shipyard data infer-schema {name}`.",
    )
