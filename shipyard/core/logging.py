"""Loggers under the ``shipyard`` namespace; the application decides where they go."""

from __future__ import annotations

import logging


def get_logger(name: str) -> logging.Logger:
    """The logger for a Shipyard module (pass ``__name__``)."""
    return logging.getLogger(name if name.startswith("shipyard") else f"shipyard.{name}")
