"""Errors of the data package, in the one tree of ``shipyard.core.errors``::

ShipyardError
├── DataError                 exit 1, HTTP 422   data cannot be read, versioned or compared
│   └── DataValidationError                      data fails its expectations (has a report)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shipyard.core.errors import DataError

if TYPE_CHECKING:
    from shipyard.data.report import ValidationReport

__all__ = ["DataError", "DataValidationError"]


class DataValidationError(DataError):
    """Data failed its expectations; ``report`` says which column broke which rule, how often."""

    def __init__(self, report: ValidationReport, *, hint: str | None = None) -> None:
        self.report = report
        super().__init__(
            report.headline(),
            hint=hint or "Fix the data, or the expectations if the data is right.",
        )
