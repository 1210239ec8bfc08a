"""Errors of batch scoring, in the one Shipyard error tree."""

from __future__ import annotations

from shipyard.core.errors import ConflictError, ShipyardError


class BatchInputError(ShipyardError):
    """An input file cannot be read, or does not match the model's signature."""

    http_status = 400


class OutputInUseError(ConflictError):
    """The output folder holds results of another job; nothing in it was touched."""
