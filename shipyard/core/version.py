"""Shipyard's version, from one place: the installed distribution's metadata, which comes from
``pyproject.toml`` (``shipyard.__version__``, model manifests and cache keys all read it here)."""

from __future__ import annotations

import importlib.metadata
from functools import cache


@cache
def shipyard_version() -> str:
    """The installed Shipyard version (``0.0.0+unknown`` in a source tree never installed)."""
    try:
        return importlib.metadata.version("shipyard")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover
        return "0.0.0+unknown"
