"""The ``batch:`` section of ``shipyard.yaml``: what ``shipyard batch`` does by default in a
project (the command's own options win).

    batch:
      keep: [customer_id]     # input columns copied to the output and the rejects
      workers: 2              # worker processes of the local engine
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shipyard.core.errors import ConfigurationError
from shipyard.core.yamlfile import load_yaml, where

KEYS = ("keep", "workers")


def load_batch_defaults(path: str | Path) -> dict[str, Any]:
    """The ``batch:`` section of ``path`` checked (``{}`` when it has none); an error names
    the file's line (``shipyard.yaml:14 batch.keep[1]``)."""
    document, locate = load_yaml(path)
    section = document.get("batch") if isinstance(document, dict) else None
    if section is None:
        return {}
    if not isinstance(section, dict):
        raise ConfigurationError(f"{where(path, locate, ('batch',))}: expected a mapping.",
                                 hint="Write batch: {keep: [customer_id]}.")  # fmt: skip
    for key in section:
        if key not in KEYS:
            raise ConfigurationError(
                f"{where(path, locate, ('batch', key))}: unknown key {key!r}.",
                hint=f"The batch section may hold {', '.join(KEYS)}.",
            )
    keep = section.get("keep", [])
    if isinstance(keep, str):
        keep = [keep]
    if not isinstance(keep, list):
        raise ConfigurationError(f"{where(path, locate, ('batch', 'keep'))}: expected a list "
                                 "of column names.")  # fmt: skip
    for index, name in enumerate(keep):
        if not isinstance(name, str) or not name:
            raise ConfigurationError(
                f"{where(path, locate, ('batch', 'keep', index))}: expected a column name, "
                f"not {name!r}."
            )
    workers = section.get("workers")
    if workers is not None and (
        isinstance(workers, bool) or not isinstance(workers, int) or workers < 0
    ):
        raise ConfigurationError(
            f"{where(path, locate, ('batch', 'workers'))}: expected a whole number >= 0, "
            f"not {workers!r}."
        )
    found: dict[str, Any] = {"keep": list(keep)} if keep else {}
    if workers is not None:
        found["workers"] = workers
    return found
