"""Dataset references as users write them: ``name@3`` (version 3), ``name`` or ``name@latest``.

For datasets ``@N`` is a version number: dataset versions have no aliases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from shipyard.core.errors import UsageError

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
        return self.name if self.version is None else f"{self.name}@{self.version}"


def parse_dataset_ref(text: str) -> DatasetRef:
    """Parse ``name@VERSION``, ``name@latest`` or ``name``; raise UsageError when malformed."""
    text = text.strip()
    name, at, version = text.partition("@")
    if not name:
        raise UsageError(f"{text!r} has no dataset name.", hint="Write NAME or NAME@VERSION.")
    check_dataset_name(name)
    if not at or version == "latest":
        return DatasetRef(name)
    if not version.isdigit() or int(version) < 1:
        raise UsageError(
            f"{text!r} names version {version!r}, which is not a positive whole number.",
            hint=f"Write NAME@VERSION, for example {name}@3, or {name} for the latest.",
        )
    return DatasetRef(name, int(version))


def is_path_like(text: str) -> bool:
    """Whether ``text`` names files (a path, glob or URL) rather than a dataset reference."""
    if "://" in text or "/" in text or any(c in text for c in "*?["):
        return True
    if text.lower().endswith((".parquet", ".pq", ".csv", ".csv.gz", ".tsv")):
        return True
    return Path(text).exists()
