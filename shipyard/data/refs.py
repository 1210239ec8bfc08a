"""Dataset references, written as model references are: ``name/3`` (version 3), ``name`` or
``name@latest`` (the newest version). ``name@3`` meant version 3 before; it still does for
one release, with a DeprecationWarning.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path

from shipyard.core.errors import UsageError
from shipyard.core.refs import parse_version, split_reference

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")


def check_dataset_name(name: str) -> str:
    """Return ``name`` if it is a valid dataset name, else raise :class:`UsageError`."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise UsageError(
            f"{name!r} is not a valid dataset name.",
            hint="Use letters, digits, '.', '_' and '-', starting with a letter or digit.",
        )
    return name


@dataclass(frozen=True)
class DatasetRef:
    name: str
    version: int | None = None  # None: the latest version

    def __str__(self) -> str:
        return self.name if self.version is None else f"{self.name}/{self.version}"


def parse_dataset_ref(text: str) -> DatasetRef:
    """Parse ``name/VERSION``, ``name@latest`` or ``name``; raise UsageError when malformed.

    ``name@VERSION`` (the old form) is read as ``name/VERSION`` with a DeprecationWarning."""
    found = split_reference(text, kind="dataset")
    name = check_dataset_name(found.name)
    if found.alias is None or found.alias == "latest":
        return DatasetRef(name, found.version)
    if found.alias.isascii() and found.alias.isdigit():
        warnings.warn(
            f"Dataset reference {text.strip()!r}: write {name}/{found.alias} (NAME@VERSION is "
            "deprecated for datasets and will mean an alias, as it does for models).",
            DeprecationWarning,
            stacklevel=3,
        )
        return DatasetRef(name, parse_version(found.alias, ref=text.strip()))
    raise UsageError(
        f"{text.strip()!r} names alias {found.alias!r}; dataset versions have no aliases "
        "besides latest.",
        hint=f"Write {name}/VERSION, for example {name}/3, or {name} for the latest.",
    )


_VERSION_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}/[0-9]+$")


def is_path_like(text: str) -> bool:
    """Whether ``text`` names files (a path, glob or URL) rather than a dataset reference."""
    if _VERSION_REF.match(text.strip()) and not Path(text).exists():
        return False  # name/3: a dataset version
    if "://" in text or "/" in text or any(c in text for c in "*?["):
        return True
    if text.lower().endswith((".parquet", ".pq", ".csv", ".csv.gz", ".tsv")):
        return True
    return Path(text).exists()
