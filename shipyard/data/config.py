"""Expectations read from YAML: the ``datasets:`` section of ``shipyard.yaml``, or a file of
the same shape (``shipyard data infer-schema`` writes one). A file may also hold a single
expectations mapping (``columns:``, ``rows:`` … at the top level).

A bad key or value is a :class:`ConfigurationError` naming the file and the key's path, e.g.
``datasets.churn.columns.plan.allowd: Extra inputs are not permitted``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from shipyard.core.errors import ConfigurationError, NotFoundError
from shipyard.core.settings import Settings, find_config_file
from shipyard.data.expectations import Expectations

SECTION = "datasets"


def read_expectations_file(path: str | Path) -> dict[str, Expectations]:
    """Every dataset's expectations in a YAML file; a single mapping is keyed ``""``."""
    path = Path(path)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise NotFoundError(f"The expectations file {path} does not exist.") from None
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"Cannot read {path}: {exc}",
                                 hint="Fix the YAML syntax.") from exc  # fmt: skip
    if not isinstance(document, dict):
        raise ConfigurationError(f"{path} must hold a mapping at the top level.")
    if SECTION in document:
        return parse_section(document[SECTION], path)
    if "columns" in document or "rows" in document:
        return {"": parse_expectations(document, path, "")}
    return {}


def parse_section(section: Any, path: Path | str) -> dict[str, Expectations]:
    if section is None:
        return {}
    if not isinstance(section, dict):
        raise ConfigurationError(
            f"`{SECTION}` in {path} must map dataset names to their expectations."
        )
    return {
        str(name): parse_expectations(body or {}, path, f"{SECTION}.{name}")
        for name, body in section.items()
    }


def parse_expectations(body: Any, path: Path | str, prefix: str) -> Expectations:
    if not isinstance(body, dict):
        raise ConfigurationError(f"{prefix or 'The expectations'} in {path} must be a mapping.")
    if "checks" in body:
        raise ConfigurationError(
            f"{_join(prefix, 'checks')} in {path}: custom checks are Python callables.",
            hint="Declare them in Python: Expectations(..., checks=[Check(name, fn)]).",
        )
    try:
        return Expectations.model_validate(body)
    except ValidationError as exc:
        problems = "; ".join(
            f"{_join(prefix, '.'.join(str(p) for p in error['loc']))}: {error['msg']}"
            for error in exc.errors()
        )
        raise ConfigurationError(
            f"Invalid expectations in {path}: {problems}.",
            hint="Column rules: dtype, nullable, min, max, allowed, unique, regex; table rules: "
            "rows, extra_columns, missing_columns.",
        ) from exc


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


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
