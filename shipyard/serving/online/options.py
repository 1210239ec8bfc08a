"""How an online server behaves: :class:`ServeOptions`, declared once in
:mod:`shipyard.core.serve_options` (settings derive their serving defaults from it), built
from settings, a deployment's ``config`` and command-line options."""

from __future__ import annotations

from typing import Any

from shipyard.core.serve_options import (
    DEFAULT_PORT,
    DEPLOYMENT_KEYS,
    ServeOptions,
    defaults_from_settings,
)
from shipyard.core.settings import Settings, load_settings

__all__ = ["DEFAULT_PORT", "DEPLOYMENT_KEYS", "ServeOptions", "server_settings",
           "settings_defaults"]  # fmt: skip


def settings_defaults(settings: Settings) -> dict[str, Any]:
    """Serving defaults from settings, for the options a setting supplies."""
    return defaults_from_settings(settings)


def server_settings(options: ServeOptions) -> Settings:
    """The workspace settings a server uses (its overrides first, as everywhere)."""
    return load_settings(**options.settings)
